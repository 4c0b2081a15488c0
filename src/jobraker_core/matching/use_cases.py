"""Use cases of matching.

Résumés, the candidate profile, recommendations and their explanations, feedback, saved searches and
career insight.

Every use case is scoped to the ``user_id`` it is given, which the edge takes from the caller's
``Principal``: another person's résumé or saved search reads as ``NotFound``.

Recommendations, one explanation and the insight all go through ``MatchEngine``, so a job scores
the same wherever it is shown: retrieval (``JobRetriever``: hard filters, then full text and
vectors fused) finds the candidate jobs, and ``scoring.Scorer`` scores each with the cosine of
the profile's vector and the job's stored vector.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.accounts.profile import JobPreferences
from jobraker_core.errors import Conflict, InvalidInput, NotFound
from jobraker_core.jobs.model import JobPosting, JobQuery, JobSort
from jobraker_core.matching.analysis_store import JobAnalysisRepository, analyses_of
from jobraker_core.matching.candidate import (
    CandidateProfile,
    CandidateSkill,
    Education,
    Evidence,
    Language,
    Period,
    Role,
    YearMonth,
)
from jobraker_core.matching.embedding import EmbeddingSpec, content_hash
from jobraker_core.matching.feedback import DismissReason, Feedback, FeedbackKind, JobTraits
from jobraker_core.matching.insight import BEST_MATCHES, CareerInsight, career_insight
from jobraker_core.matching.ranked_pools import RankedEntry, RankedPools
from jobraker_core.matching.resume import MAX_RESUME_BYTES, Resume, ResumeParser
from jobraker_core.matching.retrieval import TextScope, job_content_hash
from jobraker_core.matching.saved_searches import (
    MAX_SEARCHES_PER_USER,
    RefreshOutcome,
    SavedSearch,
    SavedSearchHit,
)
from jobraker_core.matching.scoring import Scorer, Seeker, rank
from jobraker_core.matching.skills import seniority_of
from jobraker_core.moderation.model import DEFAULT_POLICY
from jobraker_core.moderation.use_cases import apply_policy, visibility_of
from jobraker_core.notifications.new_matches import saved_search_match
from jobraker_core.pagination import Page, PageRequest

if TYPE_CHECKING:
    from jobraker_core.clock import Clock
    from jobraker_core.matching.analysis import JobAnalyser
    from jobraker_core.matching.embedding import Embedder
    from jobraker_core.matching.explain import Match
    from jobraker_core.matching.ports import DocumentReader
    from jobraker_core.matching.retrieval import JobEmbeddingRepository, JobRetriever
    from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

RETRIEVAL_POOL: Final = 300
"""How many candidate jobs one recommendation request retrieves and scores."""
NO_PROFILE: Final = (
    "there is nothing to match yet: upload a résumé (POST /api/v1/users/resumes/) or set the "
    "job titles you want in your profile"
)
UPLOAD_ATTEMPTS: Final = 3
REFRESH_BATCH: Final = 100
REFRESH_SCAN: Final = 500
"""At most this many of a saved search's newest matching jobs are looked at per refresh."""


# ----------------------------------------------------------------------------- résumés


@attrs.frozen
class UploadResumeCommand:
    """Upload a résumé file (PDF, DOCX or plain text) or pasted text, as a new version."""

    user_id: uuid.UUID
    content: bytes
    filename: str | None = None


@attrs.frozen
class UploadedResume:
    """The stored version and the candidate profile parsed from it."""

    resume: Resume
    profile: CandidateProfile


class UploadResume:
    """Reads an uploaded résumé, keeps it as a new version and makes the profile from it.

    Refused with ``InvalidInput`` (nothing stored): a file over ``MAX_RESUME_BYTES``, an empty,
    image-only, unreadable or unsupported file, or a text from which no skill, role, education
    or language can be read. The new profile replaces the person's previous one (edits
    included) and names this version.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, reader: DocumentReader, parser: ResumeParser, clock: Clock
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._parser = parser
        self._clock = clock

    def __call__(self, command: UploadResumeCommand) -> UploadedResume:
        """Store the version and its profile; return both."""
        if len(command.content) > MAX_RESUME_BYTES:
            raise InvalidInput(
                f"the file is larger than {MAX_RESUME_BYTES // (1024 * 1024)} MiB", field="file"
            )
        if not command.content:
            raise InvalidInput("the file is empty", field="file")
        read = self._reader.read(command.content, filename=command.filename)
        now = self._clock.now()
        resume_id = uuid.uuid4()
        profile = self._parser.parse(
            read.text, user_id=command.user_id, resume_id=resume_id, now=now
        )
        digest = _sha256(command.content)
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            try:
                with self._uow() as uow:
                    version = uow.resumes.latest_version(command.user_id) + 1
                    resume = Resume(
                        id=resume_id,
                        user_id=command.user_id,
                        version=version,
                        filename=_filename(command.filename),
                        media_type=read.media_type,
                        size=len(command.content),
                        sha256=digest,
                        text=read.text,
                        uploaded_at=now,
                    )
                    uow.resumes.add(resume)
                    uow.candidates.save(profile)
                    uow.commit()
            except Conflict:
                if attempt == UPLOAD_ATTEMPTS:
                    raise
            else:
                return UploadedResume(resume, profile)
        raise AssertionError("unreachable")  # pragma: no cover


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _filename(name: str | None) -> str | None:
    if name is None:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(ch for ch in base if ch.isprintable())[:255]
    return cleaned or None


class ListResumes:
    """The person's résumé versions, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, page: PageRequest) -> Page[Resume]:
        """Return one page of versions."""
        with self._uow() as uow:
            return uow.resumes.list(user_id, page)


class GetResume:
    """One of the person's résumé versions (``NotFound`` for another person's)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> Resume:
        """Return the version."""
        with self._uow() as uow:
            return uow.resumes.get(user_id, resume_id)


# ----------------------------------------------------------------------------- the profile


class GetCandidateProfile:
    """The person's candidate profile; ``NotFound`` until a résumé was uploaded or one saved."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID) -> CandidateProfile:
        """Return the profile."""
        with self._uow() as uow:
            profile = uow.candidates.get(user_id)
        if profile is None:
            raise NotFound("you have no candidate profile yet; upload a résumé first")
        return profile


@attrs.frozen
class RoleInput:
    """A role as the person writes it; ``start``/``end`` are ``YYYY-MM`` (``end`` None: now)."""

    title: str
    company: str | None = None
    start: str | None = None
    end: str | None = None
    description: str = ""


@attrs.frozen
class EducationInput:
    """A qualification as the person writes it."""

    text: str
    level: str | None = None
    field_of_study: str | None = None
    year: int | None = None


@attrs.frozen
class LanguageInput:
    """A language and the level the person states."""

    name: str
    level: str | None = None


@attrs.frozen
class ReplaceCandidateProfileCommand:
    """Make the person's candidate profile exactly this (the reviewed and edited version)."""

    user_id: uuid.UUID
    skills: tuple[str, ...] = ()
    roles: tuple[RoleInput, ...] = ()
    education: tuple[EducationInput, ...] = ()
    languages: tuple[LanguageInput, ...] = ()
    locations: tuple[str, ...] = ()
    summary: str | None = None


class ReplaceCandidateProfile:
    """Replaces the candidate profile with the person's reviewed version.

    Skill names are matched to the taxonomy (so "k8s" becomes Kubernetes); a skill or a role the
    profile already had keeps its evidence from the résumé, anything new is marked as entered by
    the person. The profile keeps naming the résumé version it came from and is marked edited.
    """

    def __init__(self, uow: UnitOfWorkFactory, analyser: JobAnalyser, clock: Clock) -> None:
        self._uow = uow
        self._analyser = analyser
        self._clock = clock

    def __call__(self, command: ReplaceCandidateProfileCommand) -> CandidateProfile:
        """Store and return the new profile."""
        from jobraker_core.matching.candidate import DegreeLevel  # noqa: PLC0415

        with self._uow() as uow:
            current = uow.candidates.get(command.user_id)
            skills = [self._skill(name, current) for name in command.skills]
            roles = [self._role(role, current) for role in command.roles]
            education = []
            for entry in command.education:
                try:
                    level = DegreeLevel(entry.level) if entry.level else None
                except ValueError:
                    allowed = ", ".join(d.value for d in DegreeLevel)
                    raise InvalidInput(
                        f"education.level must be one of {allowed}", field="education.level"
                    ) from None
                education.append(
                    Education(
                        text=entry.text,
                        level=level,
                        field_of_study=entry.field_of_study,
                        year=entry.year,
                        evidence=Evidence.entered(entry.text),
                    )
                )
            languages = [
                Language(name=e.name, level=e.level, evidence=Evidence.entered(e.name))
                for e in command.languages
            ]
            locations = tuple(
                dict.fromkeys(" ".join(p.split()) for p in command.locations if p.strip())
            )
            profile = CandidateProfile(
                user_id=command.user_id,
                resume_id=current.resume_id if current else None,
                skills=tuple(skills),
                roles=tuple(roles),
                education=tuple(education),
                languages=tuple(languages),
                locations=locations,
                summary=(command.summary or "").strip()[:1000] or None,
                edited=True,
                updated_at=self._clock.now(),
            )
            if profile.is_empty:
                raise InvalidInput(
                    "a candidate profile needs a skill, a role, an education entry or a language",
                    field="skills",
                )
            uow.candidates.save(profile)
            uow.commit()
        return profile

    def _skill(self, name: str, current: CandidateProfile | None) -> CandidateSkill:
        skill = self._analyser.extractor.taxonomy.find(name)
        wanted = CandidateSkill(
            name=skill.name if skill else name, skill_id=skill.id if skill else None
        )
        if current is not None:
            for known in current.skills:
                if known.key == wanted.key:
                    return known
        return attrs.evolve(wanted, evidence=Evidence.entered(name))

    def _role(self, given: RoleInput, current: CandidateProfile | None) -> Role:
        period = None
        if given.start:
            period = Period(
                YearMonth.parse(given.start), YearMonth.parse(given.end) if given.end else None
            )
        elif given.end:
            raise InvalidInput("a role with an end needs a start", field="roles.start")
        occupation = self._analyser.titles.normalise(given.title)
        role = Role(
            title=given.title,
            company=given.company,
            period=period,
            description=given.description,
            occupation_code=occupation.code if occupation else None,
            occupation=occupation.title if occupation else None,
            seniority=seniority_of(given.title),
        )
        if current is not None:
            for known in current.roles:
                if (known.title, known.company, known.period) == (
                    role.title,
                    role.company,
                    role.period,
                ):
                    return attrs.evolve(role, evidence=known.evidence)
        return attrs.evolve(role, evidence=Evidence.entered(given.title))


# ----------------------------------------------------------------------------- matching


class MatchEngine:
    """Finds and scores jobs for a person (the shared part of the matching use cases).

    It keeps a small memo of profile vectors (by model and text), so an unchanged profile is
    embedded once per process.
    """

    def __init__(
        self,
        retriever: JobRetriever,
        embedder: Embedder,
        embeddings: JobEmbeddingRepository,
        analyser: JobAnalyser,
        clock: Clock,
        *,
        analyses: JobAnalysisRepository | None = None,
    ) -> None:
        """Retrieve, embed and score with these; ``analyses``: the stored job analyses, if any."""
        self._retriever = retriever
        self._embedder = embedder
        self._embeddings = embeddings
        self._analyser = analyser
        self._clock = clock
        self._analyses = analyses
        self._vectors: OrderedDict[tuple[str, str], tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def analyser(self) -> JobAnalyser:
        """The job analyser the engine scores with."""
        return self._analyser

    def seeker(self, uow: UnitOfWork, user_id: uuid.UUID) -> Seeker:
        """Everything about the person that scoring uses, read in ``uow``."""
        account = uow.profiles.get(user_id)
        preferences = account.preferences if account is not None else JobPreferences()
        return Seeker(uow.candidates.get(user_id), preferences, tuple(uow.feedback.list(user_id)))

    def scorer(self, seeker: Seeker) -> Scorer:
        """A scorer for ``seeker`` at the clock's current time."""
        return Scorer(seeker, self._analyser.titles, self._clock.now())

    @staticmethod
    def query_text(seeker: Seeker) -> str:
        """The words retrieval looks for in job titles: desired titles, role titles and skills."""
        parts = list(seeker.preferences.titles)
        if seeker.candidate is not None:
            parts.extend(role.title for role in seeker.candidate.roles)
            parts.extend(skill.name for skill in seeker.candidate.skills)
        return " ".join(parts)

    @staticmethod
    def skill_ids(seeker: Seeker) -> frozenset[str]:
        """The person's canonical skills, which retrieval looks for in stored job analyses."""
        if seeker.candidate is None:
            return frozenset()
        return frozenset(s.skill_id for s in seeker.candidate.skills if s.skill_id)

    def profile_vector(self, seeker: Seeker) -> tuple[float, ...] | None:
        """The vector of the person's profile text (None when there is no text)."""
        parts = list(seeker.preferences.titles)
        if seeker.candidate is not None:
            parts.append(seeker.candidate.text())
        text = "\n".join(parts)
        if not text.strip():
            return None
        key = (self._embedder.model_id, content_hash(text))
        with self._lock:
            known = self._vectors.get(key)
        if known is not None:
            return known
        vector = self._embedder.embed([text])[0]
        with self._lock:
            self._vectors[key] = vector
            while len(self._vectors) > 1024:  # noqa: PLR2004 - a small memo
                self._vectors.popitem(last=False)
        return vector

    def similarities(
        self, vector: tuple[float, ...] | None, jobs: Sequence[JobPosting]
    ) -> dict[uuid.UUID, float]:
        """Cosine of ``vector`` and each job's stored vector (jobs without one are left out)."""
        if vector is None or not jobs:
            return {}
        spec = EmbeddingSpec.of(self._embedder)
        hashes = {job.id: job_content_hash(job) for job in jobs}
        found = self._embeddings.similarities_by_hash(spec, vector, set(hashes.values()))
        return {job_id: found[digest] for job_id, digest in hashes.items() if digest in found}

    def require_something(self, seeker: Seeker) -> None:
        """Raise ``Conflict`` when there is nothing to match the person by."""
        candidate = seeker.candidate
        if (candidate is None or candidate.is_empty) and not seeker.preferences.titles:
            raise Conflict(NO_PROFILE)

    def matches(
        self, uow: UnitOfWork, seeker: Seeker, filters: JobQuery, *, pool: int = RETRIEVAL_POOL
    ) -> list[Match]:
        """Retrieve up to ``pool`` jobs passing ``filters`` and score them (not ranked)."""
        vector = self.profile_vector(seeker)
        retrieved = self._retriever.retrieve(
            text=self.query_text(seeker) or None,
            vector=vector,
            filters=filters,
            limit=pool,
            text_scope=TextScope.TITLES,
            skills=self.skill_ids(seeker),
        )
        # One read for the whole pool; a job deleted since retrieval is left out.
        jobs = uow.jobs.get_many([item.job_id for item in retrieved])
        return self.score(seeker, vector, jobs)

    def score(
        self, seeker: Seeker, vector: tuple[float, ...] | None, jobs: Sequence[JobPosting]
    ) -> list[Match]:
        """Score these jobs for the person."""
        similarity = self.similarities(vector, jobs)
        scorer = self.scorer(seeker)
        analyses = analyses_of(self._analyser, self._analyses, jobs)
        return [
            scorer.score(job, analysis, similarity.get(job.id))
            for job, analysis in zip(jobs, analyses, strict=True)
        ]


@attrs.frozen
class RecommendQuery:
    """The person's recommendations passing ``filters`` and scoring at least ``min_score``."""

    user_id: uuid.UUID
    filters: JobQuery = attrs.field(factory=JobQuery)
    min_score: float | None = None
    page: PageRequest = attrs.field(factory=PageRequest)

    def __attrs_post_init__(self) -> None:
        """Check the minimum score."""
        if self.min_score is not None and not 0 <= self.min_score <= 100:  # noqa: PLR2004
            raise InvalidInput("min_score must be between 0 and 100", field="min_score")


class Recommend:
    """The best jobs for the person, explained, one page at a time.

    Jobs excluded by the person's hard constraints (and dismissed ones) are left out; the rest
    are ranked by score with near-duplicates moved down (``scoring.rank``). Jobs the moderation
    policy hides are left out and the ones it demotes come after the rest. The ranking covers
    the ``RETRIEVAL_POOL`` jobs retrieval finds first, so ``total`` is at most that many.
    ``Conflict`` when there is nothing to match the person by.

    With ``pools`` the ranking is kept for a while (``RankedPools``): the same person asking
    again for the same filters and minimum, with the same profile, preferences and feedback,
    gets the kept order, and only the page's postings are read and scored again. Moderation is
    applied afresh, and a page posting that is gone or now excluded is left out, so a kept
    order never shows what a fresh one would not.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, engine: MatchEngine, *, pools: RankedPools | None = None
    ) -> None:
        self._uow = uow
        self._engine = engine
        self._pools = pools

    def __call__(self, query: RecommendQuery) -> Page[Match]:
        """Return the page asked for."""
        filters = attrs.evolve(query.filters, sort=JobSort.RELEVANCE)
        minimum = query.min_score if query.min_score is not None else 0.0
        page = query.page
        with self._uow() as uow:
            seeker = self._engine.seeker(uow, query.user_id)
            self._engine.require_something(seeker)
            # "Posted within N days" arrives as a moment that moves with every request; to the
            # minute, it names the same ranking for a minute (a boundary N days back, moved by
            # less than the ranking's own lifetime).
            key = attrs.evolve(
                filters,
                posted_since=(
                    filters.posted_since.replace(second=0, microsecond=0)
                    if filters.posted_since is not None
                    else None
                ),
            )
            kept = self._pools.get(query.user_id, seeker, key, minimum) if self._pools else None
            if kept is not None:
                return self._from_kept(uow, seeker, kept, page)
            found = self._engine.matches(uow, seeker, filters)
            ranked = rank(m for m in found if not m.excluded and m.score >= minimum)
            if self._pools is not None:
                self._pools.put(query.user_id, seeker, key, minimum, ranked)
            # moderation: flagged jobs are hidden or moved down (jobraker_core.moderation)
            standing = visibility_of(uow.moderation, [m.job.id for m in ranked], DEFAULT_POLICY)
        shown = apply_policy(ranked, standing, key=lambda m: m.job.id)
        return Page(
            items=tuple(shown[page.offset : page.offset + page.per_page]),
            total=len(shown),
            request=page,
        )

    def _from_kept(
        self,
        uow: UnitOfWork,
        seeker: Seeker,
        kept: Sequence[RankedEntry],
        page: PageRequest,
    ) -> Page[Match]:
        """The page of a kept ranking: moderation afresh, the page's postings scored again."""
        standing = visibility_of(uow.moderation, [e.job_id for e in kept], DEFAULT_POLICY)
        shown = apply_policy(kept, standing, key=lambda e: e.job_id)
        entries = shown[page.offset : page.offset + page.per_page]
        jobs = uow.jobs.get_many([e.job_id for e in entries])
        vector = self._engine.profile_vector(seeker)
        scored = {m.job.id: m for m in self._engine.score(seeker, vector, jobs)}
        items = tuple(
            attrs.evolve(match, duplicate_of=entry.duplicate_of)
            for entry in entries
            if (match := scored.get(entry.job_id)) is not None and not match.excluded
        )
        return Page(items=items, total=len(shown), request=page)


class ExplainMatch:
    """The full explanation of one job for the person.

    It is given even when a constraint excludes the job, with the reason. ``NotFound`` for an
    unknown job, ``Conflict`` with nothing to match.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: MatchEngine) -> None:
        self._uow = uow
        self._engine = engine

    def __call__(self, user_id: uuid.UUID, job_id: uuid.UUID) -> Match:
        """Return the match."""
        with self._uow() as uow:
            job = uow.jobs.get(job_id)
            seeker = self._engine.seeker(uow, user_id)
        self._engine.require_something(seeker)
        vector = self._engine.profile_vector(seeker)
        return self._engine.score(seeker, vector, [job])[0]


@attrs.frozen
class GiveFeedbackCommand:
    """Save a job, or dismiss it with a reason (and an optional note)."""

    user_id: uuid.UUID
    job_id: uuid.UUID
    kind: FeedbackKind
    reason: DismissReason | None = None
    note: str | None = None


class GiveFeedback:
    """Records what the person thinks of a job; the latest word replaces the previous one.

    A dismissed job disappears from recommendations and lowers similar ones (``feedback``).
    ``NotFound`` for an unknown job.
    """

    def __init__(self, uow: UnitOfWorkFactory, analyser: JobAnalyser, clock: Clock) -> None:
        self._uow = uow
        self._analyser = analyser
        self._clock = clock

    def __call__(self, command: GiveFeedbackCommand) -> Feedback:
        """Store and return the feedback."""
        with self._uow() as uow:
            job = uow.jobs.get(command.job_id)
            feedback = Feedback(
                user_id=command.user_id,
                job_id=job.id,
                kind=command.kind,
                reason=command.reason,
                note=command.note,
                traits=JobTraits.of(job, self._analyser.analyse(job)),
                created_at=self._clock.now(),
            )
            uow.feedback.put(feedback)
            uow.commit()
        return feedback


class WithdrawFeedback:
    """Forgets what the person said about a job (``NotFound`` when they said nothing)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, job_id: uuid.UUID) -> None:
        """Delete the feedback."""
        with self._uow() as uow:
            if not uow.feedback.delete(user_id, job_id):
                raise NotFound(f"you gave no feedback on job {job_id}")
            uow.commit()


class ListFeedback:
    """Everything the person said about jobs, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID) -> list[Feedback]:
        """Return the feedback."""
        with self._uow() as uow:
            return sorted(uow.feedback.list(user_id), key=lambda f: f.created_at, reverse=True)


class GetCareerInsight:
    """The skills most often missing from the person's best matches, and what those jobs pay.

    The best matches are the ``BEST_MATCHES`` best jobs not excluded; each skill comes with how
    many of them ask for it.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: MatchEngine) -> None:
        self._uow = uow
        self._engine = engine

    def __call__(self, user_id: uuid.UUID) -> CareerInsight:
        """Return the insight."""
        with self._uow() as uow:
            seeker = self._engine.seeker(uow, user_id)
            self._engine.require_something(seeker)
            found = self._engine.matches(uow, seeker, JobQuery())
        best = rank(m for m in found if not m.excluded)[:BEST_MATCHES]
        return career_insight(best)


# ----------------------------------------------------------------------------- saved searches


@attrs.frozen
class CreateSavedSearchCommand:
    """Save ``query`` under ``name``; with ``min_score``, only jobs scoring that much count."""

    user_id: uuid.UUID
    name: str
    query: JobQuery
    min_score: float | None = None


class CreateSavedSearch:
    """Saves a search (``Conflict`` past ``MAX_SEARCHES_PER_USER``)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: CreateSavedSearchCommand) -> SavedSearch:
        """Store and return the search."""
        search = SavedSearch(
            id=uuid.uuid4(),
            user_id=command.user_id,
            name=command.name,
            query=attrs.evolve(command.query, sort=JobSort.DATE, posted_since=None),
            min_score=command.min_score,
            created_at=self._clock.now(),
        )
        with self._uow() as uow:
            if (
                uow.saved_searches.list(command.user_id, PageRequest()).total
                >= MAX_SEARCHES_PER_USER
            ):
                raise Conflict(f"you may keep at most {MAX_SEARCHES_PER_USER} saved searches")
            uow.saved_searches.add(search)
            uow.commit()
        return search


@attrs.frozen
class SavedSearchView:
    """A saved search and how many jobs it has found."""

    search: SavedSearch
    hits: int


class ListSavedSearches:
    """The person's saved searches, newest first, with their hit counts."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, page: PageRequest) -> Page[SavedSearchView]:
        """Return one page."""
        with self._uow() as uow:
            found = uow.saved_searches.list(user_id, page)
            counts = uow.saved_searches.hit_counts([s.id for s in found.items])
        views = tuple(SavedSearchView(s, counts.get(s.id, 0)) for s in found.items)
        return Page(items=views, total=found.total, request=found.request)


class GetSavedSearch:
    """One of the person's saved searches (``NotFound`` for another person's)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, search_id: uuid.UUID) -> SavedSearchView:
        """Return the search with its hit count."""
        with self._uow() as uow:
            search = uow.saved_searches.get(user_id, search_id)
            count = uow.saved_searches.hit_counts([search.id]).get(search.id, 0)
        return SavedSearchView(search, count)


class DeleteSavedSearch:
    """Deletes one of the person's saved searches and its hits (``NotFound`` otherwise)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, search_id: uuid.UUID) -> None:
        """Delete it."""
        with self._uow() as uow:
            if not uow.saved_searches.delete(user_id, search_id):
                raise NotFound(f"saved search {search_id} not found")
            uow.commit()


@attrs.frozen
class SavedSearchMatch:
    """A job a saved search found."""

    hit: SavedSearchHit
    job: JobPosting | None
    """None when the job has gone since."""


class ListSavedSearchMatches:
    """The jobs one of the person's saved searches found, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(
        self, user_id: uuid.UUID, search_id: uuid.UUID, page: PageRequest
    ) -> Page[SavedSearchMatch]:
        """Return one page."""
        with self._uow() as uow:
            hits = uow.saved_searches.hits(user_id, search_id, page)
            jobs = {job.id: job for job in uow.jobs.get_many([h.job_id for h in hits.items])}
            items = [SavedSearchMatch(hit, jobs.get(hit.job_id)) for hit in hits.items]
        return Page(items=tuple(items), total=hits.total, request=hits.request)


class RefreshSavedSearches:
    """Records, for every saved search, the new jobs that match it (run after each ingestion).

    A job counts for a search when it passes the search's filters, was first seen after the
    search was saved, was not recorded for it before, and, if the search has a ``min_score``,
    scores at least that for its owner. Idempotent: running it twice records nothing new.
    At most ``REFRESH_SCAN`` of each search's newest matching jobs are looked at per run.
    """

    def __init__(self, uow: UnitOfWorkFactory, engine: MatchEngine, clock: Clock) -> None:
        self._uow = uow
        self._engine = engine
        self._clock = clock

    def __call__(self) -> RefreshOutcome:
        """Run every search once; say how many searches ran and how many hits are new."""
        after: uuid.UUID | None = None
        searches = new_hits = 0
        seekers: dict[uuid.UUID, Seeker] = {}
        while True:
            with self._uow() as uow:
                batch = uow.saved_searches.every(after=after, limit=REFRESH_BATCH)
            if not batch:
                break
            for search in batch:
                new_hits += self._refresh(search, seekers)
                searches += 1
            after = batch[-1].id
        return RefreshOutcome(searches=searches, new_hits=new_hits)

    def _refresh(self, search: SavedSearch, seekers: dict[uuid.UUID, Seeker]) -> int:
        now = self._clock.now()
        with self._uow() as uow:
            fresh: list[JobPosting] = []
            page = 1
            per_page = 100
            while (page - 1) * per_page < REFRESH_SCAN:
                found = uow.jobs.search(search.query, PageRequest(page=page, per_page=per_page))
                fresh.extend(j for j in found.items if j.first_seen > search.created_at)
                if page >= found.total_pages:
                    break
                page += 1
            scores: dict[uuid.UUID, float] = {}
            if search.min_score is not None and fresh:
                seeker = seekers.get(search.user_id)
                if seeker is None:
                    seeker = seekers[search.user_id] = self._engine.seeker(uow, search.user_id)
                vector = self._engine.profile_vector(seeker)
                for match in self._engine.score(seeker, vector, fresh):
                    if not match.excluded:
                        scores[match.job.id] = match.score
                fresh = [j for j in fresh if scores.get(j.id, 0.0) >= search.min_score]
            hits = [SavedSearchHit(search.id, job.id, now, scores.get(job.id)) for job in fresh]
            added = uow.saved_searches.add_hits(hits)
            for job in fresh:  # one NEW_MATCH per (search, job): the outbox drops repeats
                uow.notifications.add(saved_search_match(search, job, now, scores.get(job.id)))
            uow.saved_searches.mark_checked(search.id, now)
            uow.commit()
        return added
