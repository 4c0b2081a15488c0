"""The transparent match score: hard constraints first, then a score made of named parts.

Pure and deterministic: the same profile, preferences, feedback, job, similarity and ``now``
always give the same ``Match``.

**Hard constraints** (the person's preferences) exclude a job, each with a reason: an excluded
company; a remote mode they do not accept; a place they did not name (unless the job is remote or
they are willing to relocate); pay below their floor in the *same* currency (never converted);
an employment type they did not choose; a country they may not work in (unless the posting offers
visa sponsorship), or a posting that refuses sponsorship to someone who needs it; a job they
dismissed.

**The score** is the sum of the parts' points, clamped to [0, 100], rounded to a hundredth.
Each part has a weight (the most points it can give) and a value in [0, 1]; a value that cannot
be told (the job states no salary) scores ``NEUTRAL`` of the weight, and the part says so. Skills
are the exception: a job with no skill we can read gives no skill points, since nothing shows a fit.

=============  ======  ======================================================================
part           weight  value
=============  ======  ======================================================================
skills         40      share of the skills the job asks for that the profile shows, required
                       ones counting 1, unstated 0.75, nice-to-have 0.5; a skill the taxonomy
                       does not know counts as shown when one profile line has enough of its
                       words (``needed_terms``)
title          15      1 when a role or desired title is the job's O*NET occupation, else the
                       best word overlap of the titles
experience     20      mean of the years fit (per requirement, years found in the role asked
                       for: 0.8 x found/asked, capped, + 0.2 x found/(2 x asked), capped) and
                       the seniority fit (1 - 0.34 per level apart)
similarity     10      cosine of the profile's and the job's vectors, 0.05 -> 0, 0.5 -> 1
location       5       1 remote or same city, 0.6 same country, 0.2 elsewhere
salary         5       1 when the lowest pay meets the floor, less as less of the range does
freshness      5       1 up to 3 days old, falling linearly to 0 at 60 days
feedback       -20     minus 4 per applicable dismissal of a similar job (``feedback``)
=============  ======  ======================================================================

Why these weights: what a person can check (skills with evidence, years in the roles asked
for, the title) carries 75 points; the opaque text similarity 10. ``docs/matching-quality.md``
measures the result on labelled data.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.jobs.model import EmploymentType, RemoteMode, company_words
from jobraker_core.jobs.text import fold
from jobraker_core.matching.candidate import (
    CandidateProfile,
    Evidence,
    EvidenceSource,
    Period,
    YearMonth,
    union_years,
)
from jobraker_core.matching.explain import (
    Exclusion,
    ExclusionCode,
    ExperienceFit,
    Match,
    PartName,
    ScorePart,
    SkillMatch,
)
from jobraker_core.matching.feedback import (
    FEEDBACK_WEIGHT,
    Feedback,
    FeedbackKind,
    JobTraits,
    feedback_effects,
)
from jobraker_core.matching.phrases import TERMS_MEMO, needed_terms, overlap, terms
from jobraker_core.matching.skills import Seniority

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from jobraker_core.accounts.profile import JobPreferences
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.analysis import ExperienceRequirement, JobAnalysis, JobSkill
    from jobraker_core.matching.skills import TitleNormaliser

SKILLS_WEIGHT: Final = 40.0
TITLE_WEIGHT: Final = 15.0
EXPERIENCE_WEIGHT: Final = 20.0
SIMILARITY_WEIGHT: Final = 10.0
LOCATION_WEIGHT: Final = 5.0
SALARY_WEIGHT: Final = 5.0
FRESHNESS_WEIGHT: Final = 5.0
NEUTRAL: Final = 0.5
"""The value of a part that cannot be told."""

REQUIRED_SKILL: Final = 1.0
UNSTATED_SKILL: Final = 0.75
NICE_SKILL: Final = 0.5
ROLE_MATCH: Final = 0.6
"""Word overlap (either way) at which a role title counts as the role a requirement names."""
EXTRA_YEARS_SHARE: Final = 0.2
"""Share of a years fit earned by experience beyond what is asked, up to twice as much."""
SENIORITY_STEP: Final = 0.34
SIMILARITY_FLOOR: Final = 0.05
SIMILARITY_CEILING: Final = 0.5
FRESH_DAYS: Final = 3.0
STALE_DAYS: Final = 60.0
SAME_COUNTRY: Final = 0.6
ELSEWHERE: Final = 0.2
TITLE_ONLY_SHARE: Final = 0.5
"""The credit of a skill the profile names only in a job title ("Java Developer", no more)."""
MISSING_SHOWN: Final = 5
"""How many missing skills the skills part's sentence names."""

_RANK: Final = {level: number for number, level in enumerate(Seniority)}
_SPONSORS: Final = re.compile(
    r"visa sponsorship (?:is )?(?:available|provided|offered)|(?:we|will|can) sponsor"
    r"|sponsorship (?:is )?(?:available|provided|offered)",
    re.IGNORECASE,
)
_NO_SPONSORSHIP: Final = re.compile(
    r"(?:no|not|unable to|cannot|can't|do not|does not|will not|won't)\s+(?:offer\s+|provide\s+)?"
    r"(?:visa\s+)?sponsor(?:ship)?",
    re.IGNORECASE,
)
_TITLE_NOISE_WORDS: Final = (
    "senior sr junior jr lead principal staff intern mid level entry i ii iii iv remote "
    "hybrid contract temporary full part time"
)
_TITLE_NOISE: Final = frozenset(_TITLE_NOISE_WORDS.split())


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _part(name: PartName, weight: float, value: float | None, summary: str) -> ScorePart:
    points = weight * (NEUTRAL if value is None else value)
    return ScorePart(
        name, weight, None if value is None else round(value, 3), round(points, 2), summary
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{int(amount):,} {currency}"


@functools.lru_cache(maxsize=TERMS_MEMO)
def _title_terms(title: str) -> frozenset[str]:
    return frozenset(t for t in terms(title) if t not in _TITLE_NOISE)


@attrs.frozen
class _Line:
    terms: frozenset[str]
    evidence: Evidence


@attrs.frozen
class Seeker:
    """Who jobs are scored for: the candidate profile (if any), preferences and feedback."""

    candidate: CandidateProfile | None
    preferences: JobPreferences
    feedback: tuple[Feedback, ...] = ()


class Scorer:
    """Scores jobs for one ``Seeker`` at one moment (build one per request, reuse per job)."""

    def __init__(self, seeker: Seeker, titles: TitleNormaliser, now: datetime) -> None:
        self._seeker = seeker
        self._prefs = seeker.preferences
        self._now = now
        self._as_of = YearMonth.of(now)
        candidate = seeker.candidate
        self._candidate = candidate
        self._skills: dict[str, Evidence] = {}
        self._titled: dict[str, Evidence] = {}
        self._lines: list[_Line] = []
        self._titles: list[tuple[str, str | None, frozenset[str]]] = []
        if candidate is not None:
            self._index(candidate)
        for title in self._prefs.titles:
            found = titles.normalise(title)
            self._titles.append((title, found.code if found else None, _title_terms(title)))
        latest: dict[uuid.UUID, Feedback] = {}
        for item in sorted(seeker.feedback, key=lambda f: f.created_at):
            latest[item.job_id] = item
        self._feedback = latest
        self._dismissals = [f for f in latest.values() if f.kind is FeedbackKind.DISMISS]
        # The same for every job of a request: worked out once.
        self._seniority = candidate.seniority(self._as_of) if candidate is not None else None
        self._years: dict[tuple[str | None, str | None], tuple[float, tuple[str, ...]]] = {}
        self._phrases: dict[frozenset[str], Evidence | None] = {}

    def _index(self, candidate: CandidateProfile) -> None:
        seen_contexts: set[str] = set()
        only_in_title = _title_only(candidate)
        for skill in candidate.skills:
            evidence = skill.evidence or Evidence.entered(skill.name)
            if skill.skill_id is not None and only_in_title(evidence):
                # A title says what the person was called, not which skills they claim (the
                # phrase lines below leave titles out for the same reason): "Java Developer"
                # alone is shown as named in a title, half credit, and listed as missing.
                self._titled.setdefault(skill.skill_id, evidence)
                continue
            if skill.skill_id is not None:
                self._skills.setdefault(skill.skill_id, evidence)
            self._lines.append(_Line(terms(skill.name), evidence))
            context = evidence.context
            if context and context not in seen_contexts:
                seen_contexts.add(context)
                self._lines.append(
                    _Line(
                        terms(context), attrs.evolve(evidence, text=context, start=None, end=None)
                    )
                )
        for role in candidate.roles:
            # A title says what the person was, not which skills they used: the description
            # lines are evidence of skills, the title is not (it counts for title and years).
            self._add_lines(role.description)
            self._titles.append((role.title, role.occupation_code, _title_terms(role.title)))
        self._add_lines(candidate.summary or "")

    def _add_lines(self, text: str) -> None:
        """Each non-blank line of ``text`` as a profile line (evidence of skills)."""
        for line in text.split("\n"):
            if line.strip():
                self._lines.append(_Line(terms(line), Evidence(line.strip(), context=line.strip())))

    # ------------------------------------------------------------------------------ scoring

    def score(self, job: JobPosting, analysis: JobAnalysis, similarity: float | None) -> Match:
        """Score ``job`` (whose analysis is ``analysis``) with the given vector similarity."""
        skills = self._skill_matches(analysis.skills)
        experience = self._experience_fits(analysis.experience)
        traits = JobTraits.of(job, analysis)
        parts = (
            self._skills_part(skills),
            self._title_part(job, analysis),
            self._experience_part(experience, analysis),
            self._similarity_part(similarity),
            self._location_part(job),
            self._salary_part(job),
            self._freshness_part(job),
            self._feedback_part(traits),
        )
        total = max(0.0, min(100.0, sum(part.points for part in parts)))
        own = self._feedback.get(job.id)
        return Match(
            job=job,
            score=round(total, 2),
            parts=parts,
            skills=tuple(skills),
            experience=tuple(experience),
            exclusions=tuple(self._exclusions(job, own)),
            family=analysis.family,
            saved=own is not None and own.kind is FeedbackKind.SAVE,
        )

    def _skill_matches(self, asked: Iterable[JobSkill]) -> list[SkillMatch]:
        matches: list[SkillMatch] = []
        for skill in asked:
            if skill.skill_id is not None:
                evidence = self._skills.get(skill.skill_id)
            else:
                evidence = self._phrase_evidence(skill.terms or terms(skill.name))
            titled = None if evidence is not None or not skill.skill_id else self._titled
            matches.append(
                SkillMatch(
                    name=skill.name,
                    skill_id=skill.skill_id,
                    required=skill.required,
                    matched=evidence is not None,
                    job_evidence=skill.evidence,
                    candidate_evidence=evidence
                    or (titled.get(skill.skill_id or "") if titled else None),
                )
            )
        return matches

    def _phrase_evidence(self, phrase: frozenset[str]) -> Evidence | None:
        """The profile line sharing the most of ``phrase``'s words, if it shares enough."""
        if not phrase:
            return None
        if phrase in self._phrases:
            return self._phrases[phrase]
        found = self._phrases[phrase] = self._best_line(phrase)
        return found

    def _best_line(self, phrase: frozenset[str]) -> Evidence | None:
        best: tuple[int, Evidence | None] = (0, None)
        for line in self._lines:
            shared = len(phrase & line.terms)
            if shared > best[0]:
                best = (shared, line.evidence)
        return best[1] if best[0] >= needed_terms(len(phrase)) else None

    @staticmethod
    def _skills_part(skills: Sequence[SkillMatch]) -> ScorePart:
        if not skills:
            # No free points: a job whose skills cannot be read is not shown to fit (otherwise
            # postings with no skill list outrank jobs the person half fits).
            return _part(
                PartName.SKILLS,
                SKILLS_WEIGHT,
                0.0,
                "the job names no skill we could read, so none of yours is shown to fit",
            )
        weight = {True: REQUIRED_SKILL, None: UNSTATED_SKILL, False: NICE_SKILL}
        total = sum(weight[s.required] for s in skills)
        have = sum(weight[s.required] for s in skills if s.matched) + TITLE_ONLY_SHARE * sum(
            weight[s.required] for s in skills if s.only_in_title
        )
        required = [s for s in skills if s.required is not False]
        missing = [s.name for s in skills if not s.matched and s.required is not False]
        summary = (
            f"you show {sum(1 for s in required if s.matched)} of {len(required)} required "
            f"skills and {sum(1 for s in skills if s.required is False and s.matched)} of "
            f"{sum(1 for s in skills if s.required is False)} nice-to-have"
        )
        if missing:
            shown = missing[:MISSING_SHOWN]
            summary += "; missing: " + ", ".join(shown) + ("…" if len(missing) > len(shown) else "")
        return _part(PartName.SKILLS, SKILLS_WEIGHT, have / total, summary)

    def _title_part(self, job: JobPosting, analysis: JobAnalysis) -> ScorePart:
        if not self._titles:
            return _part(PartName.TITLE, TITLE_WEIGHT, None, "no role or desired title to compare")
        job_terms = _title_terms(job.title)
        best: tuple[float, str] = (0.0, "")
        for title, code, own in self._titles:
            if code is not None and code == analysis.occupation_code:
                value = 1.0
            elif own and job_terms:
                value = 2 * len(own & job_terms) / (len(own) + len(job_terms))
            else:
                value = 0.0
            if value > best[0]:
                best = (value, title)
        if best[0] == 1.0 and analysis.occupation:
            summary = f'"{best[1]}" is the same occupation ({analysis.occupation})'
        elif best[0] > 0:
            summary = f'"{best[1]}" shares words with "{job.title}"'
        else:
            summary = f'none of your titles is like "{job.title}"'
        return _part(PartName.TITLE, TITLE_WEIGHT, best[0], summary)

    def _role_years(self, requirement: ExperienceRequirement) -> tuple[float, tuple[str, ...]]:
        """The person's years in the role ``requirement`` names, and the roles or skills counted.

        Many postings ask for the same role: each (role, occupation) is worked out once.
        """
        key = (requirement.role, requirement.occupation_code)
        known = self._years.get(key)
        if known is None:
            known = self._years[key] = self._years_in(requirement)
        return known

    def _years_in(self, requirement: ExperienceRequirement) -> tuple[float, tuple[str, ...]]:
        candidate = self._candidate
        if candidate is None:
            return 0.0, ()
        if requirement.role is None:
            return candidate.years_experience(self._as_of), ("all roles",)
        wanted = _title_terms(requirement.role)
        periods: list[Period] = []
        names: list[str] = []
        for role in candidate.roles:
            if role.period is None:
                continue
            own = _title_terms(role.title)
            same = (
                requirement.occupation_code is not None
                and requirement.occupation_code == role.occupation_code
            ) or max(overlap(wanted, own), overlap(own, wanted)) >= ROLE_MATCH
            if same:
                periods.append(role.period)
                names.append(role.title)
        if not periods:
            for skill in candidate.skills:
                if skill.periods and overlap(terms(skill.name), wanted) >= ROLE_MATCH:
                    periods.extend(skill.periods)
                    names.append(skill.name)
        return union_years(periods, self._as_of), tuple(dict.fromkeys(names))

    def _experience_fits(self, asked: Iterable[ExperienceRequirement]) -> list[ExperienceFit]:
        fits: list[ExperienceFit] = []
        for requirement in asked:
            years, names = self._role_years(requirement)
            fits.append(
                ExperienceFit(
                    years_required=requirement.years,
                    role=requirement.role,
                    years_found=years,
                    fit=round(years_fit(years, requirement.years), 3),
                    job_evidence=requirement.evidence,
                    found_in=names,
                )
            )
        return fits

    def _experience_part(self, fits: Sequence[ExperienceFit], analysis: JobAnalysis) -> ScorePart:
        values: list[float] = []
        notes: list[str] = []
        if fits:
            values.append(sum(f.fit for f in fits) / len(fits))
            short = [f for f in fits if f.years_found < f.years_required]
            if short:
                worst = min(short, key=lambda f: f.fit)
                where = f" as {worst.role}" if worst.role else ""
                notes.append(
                    f"asks {worst.years_required:g} years{where}, you show {worst.years_found:g}"
                )
            else:
                notes.append(f"you meet all {len(fits)} experience requirements")
        mine = self._seniority
        if analysis.seniority is not None and mine is not None:
            gap = abs(_RANK[analysis.seniority] - _RANK[mine])
            values.append(_clamp(1 - SENIORITY_STEP * gap))
            notes.append(f"the job is {analysis.seniority.value}, you are {mine.value}")
        if not values:
            return _part(
                PartName.EXPERIENCE,
                EXPERIENCE_WEIGHT,
                None,
                "no experience requirement or seniority to compare",
            )
        return _part(
            PartName.EXPERIENCE, EXPERIENCE_WEIGHT, sum(values) / len(values), "; ".join(notes)
        )

    @staticmethod
    def _similarity_part(similarity: float | None) -> ScorePart:
        if similarity is None:
            return _part(
                PartName.SIMILARITY,
                SIMILARITY_WEIGHT,
                None,
                "no text similarity available for this job",
            )
        value = _clamp((similarity - SIMILARITY_FLOOR) / (SIMILARITY_CEILING - SIMILARITY_FLOOR))
        return _part(
            PartName.SIMILARITY,
            SIMILARITY_WEIGHT,
            value,
            f"text similarity of your profile and the job: {similarity:.2f}",
        )

    def _places(self) -> list[tuple[str | None, str | None, str | None]]:
        places = [(p.city, p.region, p.country_code) for p in self._prefs.locations]
        if not places and self._candidate is not None:
            places = [(text, None, None) for text in self._candidate.locations]
        return places

    def _location_part(self, job: JobPosting) -> ScorePart:
        location = job.location
        modes = self._prefs.remote_modes
        if location.remote is RemoteMode.REMOTE and (not modes or RemoteMode.REMOTE in modes):
            return _part(PartName.LOCATION, LOCATION_WEIGHT, 1.0, "remote job")
        places = self._places()
        if not places:
            return _part(PartName.LOCATION, LOCATION_WEIGHT, None, "you named no place")
        if not (location.city or location.display or location.country_code):
            return _part(PartName.LOCATION, LOCATION_WEIGHT, None, "the job names no place")
        value = ELSEWHERE
        where = location.describe()
        for city, region, country in places:
            if city and _place_in(city, job):
                return _part(PartName.LOCATION, LOCATION_WEIGHT, 1.0, f"in {where}, where you want")
            if country and country == location.country_code:
                value = max(value, SAME_COUNTRY if city else 1.0)
            elif region and _place_in(region, job):
                value = max(value, 1.0)
        summary = f"in {where}" + (
            ", in a country you named" if value >= SAME_COUNTRY else ", not a place you named"
        )
        return _part(PartName.LOCATION, LOCATION_WEIGHT, value, summary)

    def _salary_part(self, job: JobPosting) -> ScorePart:
        floor = self._prefs.salary_floor
        salary = job.salary
        if floor is None:
            return _part(PartName.SALARY, SALARY_WEIGHT, None, "you set no salary floor")
        if salary is None:
            return _part(PartName.SALARY, SALARY_WEIGHT, None, "the job states no salary")
        if salary.currency != floor.currency:
            return _part(
                PartName.SALARY,
                SALARY_WEIGHT,
                None,
                f"paid in {salary.currency}, your floor is in {floor.currency}: "
                "not compared (Jobraker does not convert currencies)",
            )
        low, high, wanted = salary.annual_low, salary.annual_high, floor.annual
        if low >= wanted:
            value = 1.0
        elif high < wanted:
            value = 0.0
        else:
            value = float((high - wanted) / (high - low)) if high > low else 1.0
        summary = (
            f"pays {_money(low, salary.currency)} to {_money(high, salary.currency)} a year; "
            f"your floor is {_money(wanted, floor.currency)}"
        )
        return _part(PartName.SALARY, SALARY_WEIGHT, value, summary)

    def _freshness_part(self, job: JobPosting) -> ScorePart:
        when = job.posted_at or job.first_seen
        days = max(0.0, (self._now - when).total_seconds() / 86_400)
        value = freshness(days)
        what = "posted" if job.posted_at else "first seen"
        return _part(PartName.FRESHNESS, FRESHNESS_WEIGHT, value, f"{what} {days:.0f} days ago")

    def _feedback_part(self, traits: JobTraits) -> ScorePart:
        effects = feedback_effects(self._dismissals, traits)
        taken = sum(effect.points for effect in effects)
        summary = "; ".join(e.summary for e in effects) if effects else "no feedback applies"
        return ScorePart(
            PartName.FEEDBACK,
            FEEDBACK_WEIGHT,
            round(1 - taken / FEEDBACK_WEIGHT, 3),
            -taken,
            summary,
        )

    # ------------------------------------------------------------------------ constraints

    def _exclusions(self, job: JobPosting, own: Feedback | None) -> list[Exclusion]:
        prefs = self._prefs
        found: list[Exclusion] = []
        if own is not None and own.kind is FeedbackKind.DISMISS and own.reason is not None:
            found.append(
                Exclusion(
                    ExclusionCode.DISMISSED, f'you dismissed this job as "{own.reason.label}"'
                )
            )
        company = company_words(job.company)
        found.extend(
            Exclusion(ExclusionCode.EXCLUDED_COMPANY, f"you excluded {excluded}")
            for excluded in prefs.excluded_companies
            if company and company == company_words(excluded)
        )
        remote = job.location.remote
        if prefs.remote_modes and remote is not None and remote not in prefs.remote_modes:
            wanted = " or ".join(mode.value.replace("_", "-") for mode in prefs.remote_modes)
            found.append(
                Exclusion(
                    ExclusionCode.REMOTE,
                    f"the job is {remote.value.replace('_', '-')}; you want {wanted}",
                )
            )
        places = [(p.city, p.region, p.country_code) for p in prefs.locations]
        if (
            places
            and remote is not RemoteMode.REMOTE
            and prefs.willing_to_relocate is not True
            and (job.location.city or job.location.display or job.location.country_code)
            and not any(_place_matches(place, job) for place in places)
        ):
            found.append(
                Exclusion(
                    ExclusionCode.LOCATION,
                    f"the job is in {job.location.describe()}, not a place you named",
                )
            )
        floor = prefs.salary_floor
        salary = job.salary
        if (
            floor is not None
            and salary is not None
            and salary.currency == floor.currency
            and salary.annual_high < floor.annual
        ):
            found.append(
                Exclusion(
                    ExclusionCode.SALARY,
                    f"pays at most {_money(salary.annual_high, salary.currency)} a year, below "
                    f"your floor of {_money(floor.annual, floor.currency)}",
                )
            )
        kinds: tuple[EmploymentType, ...] = prefs.employment_types
        if kinds and job.employment_type is not None and job.employment_type not in kinds:
            found.append(
                Exclusion(
                    ExclusionCode.EMPLOYMENT_TYPE,
                    f"the job is {job.employment_type.value.replace('_', '-')}; you want "
                    + " or ".join(k.value.replace("_", "-") for k in kinds),
                )
            )
        country = job.location.country_code
        if country is not None:
            allowed = prefs.authorized_in(country)
            if allowed is False and not _SPONSORS.search(job.description):
                found.append(
                    Exclusion(
                        ExclusionCode.WORK_AUTHORIZATION,
                        f"you are not authorized to work in {country} and the job "
                        "does not offer visa sponsorship",
                    )
                )
            elif (
                allowed is not True
                and prefs.needs_sponsorship is True
                and _NO_SPONSORSHIP.search(job.description)
            ):
                found.append(
                    Exclusion(
                        ExclusionCode.WORK_AUTHORIZATION,
                        "you need visa sponsorship and the job says it offers none",
                    )
                )
        return found


def _title_only(candidate: CandidateProfile) -> Callable[[Evidence], bool]:
    """A test of evidence: the résumé names the skill in a job title and nowhere else."""
    titles = [
        (role.evidence.start, role.evidence.end, f" {fold(role.title)} ")
        for role in candidate.roles
        if role.evidence is not None and role.evidence.start is not None
    ]
    texts = (*(role.description for role in candidate.roles), candidate.summary)
    said = " " + " ".join(fold(text) for text in texts if text) + " "

    def only_in_title(evidence: Evidence) -> bool:
        if evidence.start is None or evidence.source is not EvidenceSource.RESUME:
            return False
        words = f" {fold(evidence.text)} "
        return words not in said and any(
            start is not None
            and end is not None
            and start <= evidence.start < end
            and words in title
            for start, end, title in titles
        )

    return only_in_title


def _place_in(name: str, job: JobPosting) -> bool:
    needle = fold(name)
    location = job.location
    return bool(needle) and any(
        needle == fold(part) or f" {needle} " in f" {fold(part)} "
        for part in (location.city, location.region, location.display)
        if part
    )


def _place_matches(place: tuple[str | None, str | None, str | None], job: JobPosting) -> bool:
    city, region, country = place
    if country is not None and job.location.country_code not in {None, country}:
        return False
    if city:
        return _place_in(city, job)
    if region:
        return _place_in(region, job)
    return country is not None and job.location.country_code == country


def years_fit(found: float, asked: float) -> float:
    """How well ``found`` years meet ``asked``: 0.8 for meeting them, the rest for up to double.

    Never decreasing in ``found``; 1 at twice the years asked.
    """
    base = 1 - EXTRA_YEARS_SHARE
    return base * _clamp(found / asked) + EXTRA_YEARS_SHARE * _clamp(found / (2 * asked))


def freshness(days: float) -> float:
    """The freshness value of a posting ``days`` old: 1 up to 3 days, 0 from 60, linear between."""
    if days <= FRESH_DAYS:
        return 1.0
    return round(_clamp(1 - (days - FRESH_DAYS) / (STALE_DAYS - FRESH_DAYS)), 4)


def rank(matches: Iterable[Match]) -> list[Match]:
    """Order matches best first (score, then job id) and keep near-duplicates from crowding.

    The first posting of each family keeps its place; the second of a family comes after every
    first, the third after every second, and so on. Moved postings name the one they repeat.
    """
    ordered = sorted(matches, key=lambda m: (-m.score, str(m.job.id)))
    seen: dict[str, int] = {}
    firsts: dict[str, uuid.UUID] = {}
    keyed: list[tuple[int, int, Match]] = []
    for position, match in enumerate(ordered):
        occurrence = seen.get(match.family, 0)
        seen[match.family] = occurrence + 1
        if occurrence == 0:
            firsts[match.family] = match.job.id
            keyed.append((occurrence, position, match))
        else:
            moved = attrs.evolve(match, duplicate_of=firsts[match.family])
            keyed.append((occurrence, position, moved))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [match for _, _, match in keyed]


def describe_evidence_source(evidence: Evidence) -> str:
    """Where a piece of evidence comes from, in words."""
    return {
        EvidenceSource.RESUME: "your résumé",
        EvidenceSource.USER: "your profile",
        EvidenceSource.JOB: "the job posting",
    }[evidence.source]


def scores_by_job(matches: Iterable[Match]) -> Mapping[uuid.UUID, float]:
    """Each match's score by job id."""
    return {m.job.id: m.score for m in matches}
