"""Hybrid retrieval: the candidate jobs for a query, before any scoring.

Retrieval runs in three steps, the same in every adapter:

1. **Hard filters first.** Only jobs that pass ``filters`` (``JobQuery.matches``: location,
   remote mode, salary, employment type, company, category, date, and its ``text`` words, which
   must *all* appear) are ever candidates. ``filters.sort`` is ignored.
2. **Up to three candidate lists.** Full-text candidates: the filtered jobs matching *any* word
   of the free-text ``text`` (PostgreSQL stems the words and ignores English stop words; the
   fake matches folded words as they are), best text relevance first; ``text_scope`` says where
   the words are looked for: everywhere (title, company, description: a typed search) or in the
   titles only (recommendations, whose query is a whole profile's titles and skills: its common
   words match most descriptions, so ranking them all costs seconds at scale while the vector
   list already covers the descriptions' words). Vector candidates: the filtered jobs that have
   a vector of the retriever's embedding model, most cosine-similar to
   ``vector`` first. Skill candidates (recommendations): the filtered jobs whose stored analysis
   asks for one of the person's rarest canonical skills (``SkillQuery``), ranked by the weight of
   the person's skills they ask for. Each list is cut at ``candidate_depth(limit)``; ties go to
   the smaller id.
3. **Fusion.** The lists are fused by reciprocal-rank fusion (``reciprocal_rank_fusion``, k = 60)
   and ordered by fused score, ties by job id. When fewer than ``limit`` jobs were retrieved but
   more pass the filters, the rest are filled with the other filtered jobs, newest first (the
   date order of ``JobRepository.search``), with no ranks and a fused score of 0 — so a retrieval
   never returns fewer than ``limit`` rows when at least ``limit`` jobs pass the filters.

Vector search may be approximate (an HNSW index); ``exact=True`` forces an exact scan, for
evaluation. Everything here is pure; the adapters do the I/O.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Protocol

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.text import fold
from jobraker_core.matching.embedding import content_hash, wrong_dimensions

if TYPE_CHECKING:
    from datetime import datetime

    from jobraker_core.jobs.model import JobPosting, JobQuery
    from jobraker_core.matching.embedding import EmbeddingSpec

RRF_K: Final = 60
"""The constant of reciprocal-rank fusion (Cormack et al. 2009): a rank r scores 1 / (k + r)."""

MAX_RETRIEVAL_LIMIT: Final = 1000
"""The most candidates one retrieval returns."""

MIN_CANDIDATE_DEPTH: Final = 100
"""Each candidate list holds at least this many jobs, so fusion has both lists to work with."""

MAX_QUERY_TERMS: Final = 32
"""Words of the free-text query beyond this many are ignored for full-text candidates."""


class TextScope(enum.Enum):
    """Where the full-text candidates' words are looked for."""

    EVERYWHERE = "everywhere"
    """Title, company and description (the title counts most): a person's typed search."""
    TITLES = "titles"
    """Job titles only: a profile's words (recommendations)."""


SKILL_ROW_BUDGET: Final = 3000
"""About how many postings the skill list may weigh: the rarest of the person's skills are looked
for until the postings asking for them add up to this many (by the storage's statistics). Each
posting costs about 2.4 µs to weigh in PostgreSQL (measured on two cores), so the list costs a
few milliseconds at any catalogue size; and the rarest skills are the ones that single a person's
jobs out."""

MAX_PROFILE_SKILLS: Final = 64
"""Skills of the person beyond this many (rarest first) are ignored by the skill list."""


@attrs.frozen
class SkillQuery:
    """What the skill candidate list looks for, and how it weighs a posting.

    A posting is a candidate when its analysis asks for one of ``rarest``; it weighs the sum of
    ``weights`` over the person's skills it asks for, divided by the square root of how many
    canonical skills it asks for in all (``weigh``): a posting that asks mostly for what the
    person has beats one that also asks for twenty other things. A skill's weight is its inverse
    document frequency, ``log(1 + 1 / share)``, ``share`` being the share of analysed postings
    that ask for it, so a rare skill the person shares with a posting says more than a common one.
    """

    weights: tuple[tuple[str, float], ...]
    """Every skill of the person (at most ``MAX_PROFILE_SKILLS``) and its weight, rarest first."""
    rarest: tuple[str, ...]
    """The skills whose postings are candidates: the rarest, within ``SKILL_ROW_BUDGET``."""

    @classmethod
    def of(
        cls,
        skills: Collection[str],
        shares: Mapping[str, float],
        *,
        postings: float,
        unlisted: float,
        budget: int = SKILL_ROW_BUDGET,
    ) -> SkillQuery | None:
        """The query for a person's canonical ``skills``; None when there are none.

        ``shares`` gives, for the skills the storage keeps statistics on, the share of the
        ``postings`` analysed postings that ask for each; a skill it does not list is taken to be
        asked for by ``unlisted`` of them (statistics list the common ones). The rarest skill
        is always looked for; the next ones while the postings asking for them stay within
        ``budget``.
        """
        floor = 1.0 / max(postings, 1.0)
        share = {skill: max(shares.get(skill, unlisted), floor) for skill in set(skills)}
        ordered = sorted(share, key=lambda skill: (share[skill], skill))[:MAX_PROFILE_SKILLS]
        if not ordered:
            return None
        rarest: list[str] = []
        expected = 0.0
        for skill in ordered:
            expected += share[skill] * postings
            if rarest and expected > budget:
                break
            rarest.append(skill)
        weights = tuple((skill, math.log1p(1.0 / share[skill])) for skill in ordered)
        return cls(weights, tuple(rarest))

    def weigh(self, asked: Collection[str]) -> float:
        """How much a posting asking for the canonical skills ``asked`` weighs (0 for none)."""
        if not asked:
            return 0.0
        return sum(weight for skill, weight in self.weights if skill in asked) / math.sqrt(
            len(asked)
        )

    def ranking(self, asked_by_job: Mapping[uuid.UUID, Collection[str]]) -> list[uuid.UUID]:
        """The jobs asking for one of ``rarest``, heaviest first, ties by id (the fakes' list)."""
        rarest = set(self.rarest)
        weighed = [
            (self.weigh(asked), job_id)
            for job_id, asked in asked_by_job.items()
            if rarest.intersection(asked)
        ]
        return [job_id for _, job_id in sorted(weighed, key=lambda item: (-item[0], item[1]))]


def candidate_depth(limit: int) -> int:
    """How many candidates each list (full-text, vector) holds for a retrieval of ``limit``."""
    return max(limit, MIN_CANDIDATE_DEPTH)


def query_terms(text: str | None) -> tuple[str, ...]:
    """The distinct folded words of a free-text query, in order, at most ``MAX_QUERY_TERMS``."""
    if not text:
        return ()
    return tuple(dict.fromkeys(fold(text).split()))[:MAX_QUERY_TERMS]


def check_request(*, vector: Sequence[float] | None, limit: int, dimensions: int) -> None:
    """Raise ``InvalidInput`` for a limit out of range or a vector of the wrong length."""
    if isinstance(limit, bool) or not 1 <= limit <= MAX_RETRIEVAL_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_RETRIEVAL_LIMIT}; got {limit!r}", field="limit"
        )
    if vector is not None and len(vector) != dimensions:
        raise wrong_dimensions(len(vector), dimensions)


@attrs.frozen
class RetrievedJob:
    """One candidate of a retrieval, with where each list put it."""

    job_id: uuid.UUID
    text_rank: int | None
    """1-based rank among the full-text candidates; None when the text did not match it."""
    vector_rank: int | None
    """1-based rank by vector similarity; None when not among the vector candidates."""
    vector_similarity: float | None
    """Cosine similarity of the job's vector to the query vector, in [-1, 1]."""
    fused_score: float
    """The reciprocal-rank fusion score: the sum of 1 / (k + rank) over the lists."""
    skill_rank: int | None = None
    """1-based rank among the skill candidates; None when not among them."""


@attrs.frozen
class VectorHit:
    """A vector candidate: a job and the cosine similarity of its vector to the query's."""

    job_id: uuid.UUID
    similarity: float


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[uuid.UUID]], *, k: int = RRF_K
) -> list[tuple[uuid.UUID, float]]:
    """Fuse ranked lists of job ids into one, best first.

    Each list gives the id at (1-based) rank r the score 1 / (k + r); an id's fused score is the
    sum over the lists it appears in (an id repeated within one list counts at its best rank).
    The result is ordered by fused score, highest first, ties by id; the same lists always give
    the same result, and improving an id's rank in any list never lowers its fused score.
    """
    if k < 1:
        raise InvalidInput(f"the fusion constant k must be at least 1; got {k}", field="k")
    scores: dict[uuid.UUID, float] = {}
    for ranking in rankings:
        seen: set[uuid.UUID] = set()
        for rank, job_id in enumerate(ranking, start=1):
            if job_id in seen:
                continue
            seen.add(job_id)
            scores[job_id] = scores.get(job_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse(
    text_ranking: Sequence[uuid.UUID],
    vector_hits: Sequence[VectorHit],
    *,
    limit: int,
    fillers: Iterable[uuid.UUID] = (),
    k: int = RRF_K,
    skill_ranking: Sequence[uuid.UUID] = (),
) -> list[RetrievedJob]:
    """Fuse the candidate lists into at most ``limit`` results (step 3 of the module doc).

    ``text_ranking``, ``vector_hits`` and ``skill_ranking`` are best first. ``fillers`` are the
    other filtered jobs in the order they should fill a short result; ids already retrieved are
    skipped.
    """
    text_ranks = _first_ranks(text_ranking)
    skill_ranks = _first_ranks(skill_ranking)
    vector_ranks: dict[uuid.UUID, tuple[int, float]] = {}
    for rank, hit in enumerate(vector_hits, start=1):
        vector_ranks.setdefault(hit.job_id, (rank, hit.similarity))
    fused = reciprocal_rank_fusion([list(text_ranks), list(vector_ranks), list(skill_ranks)], k=k)
    results: list[RetrievedJob] = []
    for job_id, score in fused[:limit]:
        vector = vector_ranks.get(job_id)
        results.append(
            RetrievedJob(
                job_id=job_id,
                text_rank=text_ranks.get(job_id),
                vector_rank=vector[0] if vector else None,
                vector_similarity=vector[1] if vector else None,
                fused_score=score,
                skill_rank=skill_ranks.get(job_id),
            )
        )
    return fill(results, fillers, limit=limit)


def _first_ranks(ranking: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each id's 1-based rank in ``ranking`` (its first, if repeated), in ranking order."""
    ranks: dict[uuid.UUID, int] = {}
    for rank, job_id in enumerate(ranking, start=1):
        ranks.setdefault(job_id, rank)
    return ranks


def fill(
    results: list[RetrievedJob], fillers: Iterable[uuid.UUID], *, limit: int
) -> list[RetrievedJob]:
    """Append unranked ``fillers`` (skipping ids already present) until ``limit`` results."""
    present = {result.job_id for result in results}
    for job_id in fillers:
        if len(results) >= limit:
            break
        if job_id in present:
            continue
        present.add(job_id)
        results.append(
            RetrievedJob(
                job_id=job_id,
                text_rank=None,
                vector_rank=None,
                vector_similarity=None,
                fused_score=0.0,
            )
        )
    return results


class JobRetriever(Protocol):
    """Finds the candidate jobs for a query: hard filters, then full-text, vector and skill lists.

    ``retrieve`` follows the module docstring: only jobs passing ``filters`` (``JobQuery``
    semantics, its sort ignored) are returned; full-text candidates for ``text`` and vector
    candidates for ``vector`` (of the retriever's embedding model) are fused by reciprocal-rank
    fusion with k = 60, ties broken by job id, so the same data and query always give the same
    list. ``exact=True`` forces an exact vector scan instead of the approximate index (for
    evaluation; slower). It never returns fewer than ``limit`` rows when at least ``limit`` jobs
    pass the filters (short lists are filled with the other filtered jobs, newest first, unranked).
    With neither ``text``, ``vector`` nor ``skills`` it returns the filtered jobs newest first.
    ``text_scope`` says where ``text``'s words are looked for (``TextScope``). ``skills`` are the
    person's canonical skill ids: the filtered jobs whose stored analysis (of any analyser
    version: a candidate list, not a score) asks for the rarest of them make a third list, weighed
    by ``SkillQuery`` with the share of stored analyses asking for each skill. On an approximate
    vector path the text and skill candidates' own similarities are merged into the vector list.

    Raises ``InvalidInput`` for a ``limit`` outside 1..``MAX_RETRIEVAL_LIMIT`` or a ``vector``
    whose length is not the model's dimension, and ``UpstreamUnavailable`` when storage is down.
    """

    def retrieve(
        self,
        *,
        text: str | None,
        vector: Sequence[float] | None,
        filters: JobQuery,
        limit: int,
        exact: bool = False,
        text_scope: TextScope = TextScope.EVERYWHERE,
        skills: Collection[str] = (),
    ) -> list[RetrievedJob]:
        """Return at most ``limit`` candidates, best fused score first."""
        ...


def job_embedding_text(title: str, company: str | None, description: str) -> str:
    """The text of a job that its vector is made from: title, company and description."""
    return "\n".join(part for part in (title, company or "", description) if part)


def job_content_hash(job: JobPosting) -> str:
    """The content hash of ``job``'s text, which its vector and stored analysis are kept under."""
    return content_hash(job_embedding_text(job.title, job.company, job.description))


@attrs.frozen
class JobEmbedding:
    """The vector of one job's text under one model, and what it was made from.

    ``content_hash`` is ``content_hash(job_embedding_text(...))`` of the text embedded;
    ``job_seen_at`` is the job's ``last_seen`` when that text was read, so a job seen again later
    is checked again (``JobEmbeddingRepository.pending``).
    """

    job_id: uuid.UUID
    content_hash: str
    vector: tuple[float, ...]
    job_seen_at: datetime


@attrs.frozen
class PendingJob:
    """A job whose vector of some model is missing or may be out of date, with its text."""

    job_id: uuid.UUID
    title: str
    company: str | None
    description: str
    last_seen: datetime
    stored_hash: str | None
    """The content hash of the vector stored for the job, or None when it has none."""

    @property
    def text(self) -> str:
        """The text to embed (``job_embedding_text``)."""
        return job_embedding_text(self.title, self.company, self.description)


class JobEmbeddingRepository(Protocol):
    """Stores job vectors, one per job and embedding model, with the hash of the text embedded.

    Vectors of several models may be stored side by side (while a re-index runs); each model is
    registered first with its ``EmbeddingSpec``, and one of them is recorded as *active* (the one
    the last complete re-index produced). Every method is its own transaction: vectors are derived
    data, written after (slow) embedding calls rather than inside a job's unit of work. A job's
    vectors go when the job goes.

    Raises ``InvalidInput`` for a vector whose length is not the model's dimension, ``NotFound``
    when writing vectors of an unregistered model, ``Conflict`` for a job that is not stored (it
    was deleted meanwhile), and ``UpstreamUnavailable`` when storage is down.
    """

    def register_model(self, spec: EmbeddingSpec) -> None:
        """Record that vectors of ``spec`` may be stored (idempotent) and prepare its index.

        Raises ``Conflict`` when the model id is registered with another dimension.
        """
        ...

    def active_model(self) -> EmbeddingSpec | None:
        """The model recorded as active, or None before the first complete index."""
        ...

    def activate_model(self, spec: EmbeddingSpec) -> None:
        """Record ``spec`` (registering it if needed) as the active model."""
        ...

    def pending(
        self, spec: EmbeddingSpec, *, after: uuid.UUID | None = None, limit: int = 256
    ) -> list[PendingJob]:
        """Up to ``limit`` jobs that need a look, by ascending id after ``after``.

        Those are the jobs with no vector of ``spec``, and those seen (``last_seen``) after
        their vector's ``job_seen_at``.
        """
        ...

    def upsert(self, spec: EmbeddingSpec, embeddings: Sequence[JobEmbedding]) -> None:
        """Insert or replace the vectors of these jobs for the model ``spec``."""
        ...

    def touch(self, spec: EmbeddingSpec, seen: Mapping[uuid.UUID, datetime]) -> None:
        """Record that these jobs' stored vectors of ``spec`` are current as of these times.

        Called when a job's text hashed the same as its stored vector's (``last_seen`` given);
        jobs with no vector of ``spec`` are skipped.
        """
        ...

    def vectors_by_hash(
        self, spec: EmbeddingSpec, hashes: Collection[str]
    ) -> dict[str, tuple[float, ...]]:
        """A stored vector of ``spec`` for each of these content hashes that has one."""
        ...

    def similarities_by_hash(
        self, spec: EmbeddingSpec, vector: Sequence[float], hashes: Collection[str]
    ) -> dict[str, float]:
        """The cosine of ``vector`` and the stored vector of ``spec`` of each content hash found.

        The store computes it where the vectors are (a score needs a few hundred of them per
        request; reading them out costs far more than the arithmetic). Cosines are in [-1, 1]; a
        zero vector is similar to nothing (0.0). ``InvalidInput`` when ``vector`` does not have
        ``spec``'s dimensions.
        """
        ...

    def count(self, spec: EmbeddingSpec) -> int:
        """How many jobs have a vector of ``spec``."""
        ...

    def delete_model(self, model_id: str) -> int:
        """Forget a model: delete its vectors (and index) and registration; the vectors deleted."""
        ...
