"""Hybrid retrieval: the candidate jobs for a query, before any scoring.

Retrieval runs in three steps, the same in every adapter:

1. **Hard filters first.** Only jobs that pass ``filters`` (``JobQuery.matches``: location,
   remote mode, salary, employment type, company, category, date, and its ``text`` words, which
   must *all* appear) are ever candidates. ``filters.sort`` is ignored.
2. **Two candidate lists.** Full-text candidates: the filtered jobs matching *any* word of the
   free-text ``text`` (PostgreSQL stems the words and ignores English stop words; the fake
   matches folded words as they are), best text relevance first; ``text_scope`` says where the
   words are looked for: everywhere (title, company, description: a typed search) or in the
   titles only (recommendations, whose query is a whole profile's titles and skills: its common
   words match most descriptions, so ranking them all costs seconds at scale while the vector
   list already covers the descriptions' words). Vector candidates: the
   filtered jobs that have a vector of the retriever's embedding model, most cosine-similar to
   ``vector`` first. Each list is cut at ``candidate_depth(limit)``; ties go to the smaller id.
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
) -> list[RetrievedJob]:
    """Fuse the two candidate lists into at most ``limit`` results (step 3 of the module doc).

    ``text_ranking`` and ``vector_hits`` are best first. ``fillers`` are the other filtered jobs
    in the order they should fill a short result; ids already retrieved are skipped.
    """
    text_ranks: dict[uuid.UUID, int] = {}
    for rank, job_id in enumerate(text_ranking, start=1):
        text_ranks.setdefault(job_id, rank)
    vector_ranks: dict[uuid.UUID, tuple[int, float]] = {}
    for rank, hit in enumerate(vector_hits, start=1):
        vector_ranks.setdefault(hit.job_id, (rank, hit.similarity))
    fused = reciprocal_rank_fusion([list(text_ranks), list(vector_ranks)], k=k)
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
            )
        )
    return fill(results, fillers, limit=limit)


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
    """Finds the candidate jobs for a query: hard filters, then full-text and vector search fused.

    ``retrieve`` follows the module docstring: only jobs passing ``filters`` (``JobQuery``
    semantics, its sort ignored) are returned; full-text candidates for ``text`` and vector
    candidates for ``vector`` (of the retriever's embedding model) are fused by reciprocal-rank
    fusion with k = 60, ties broken by job id, so the same data and query always give the same
    list. ``exact=True`` forces an exact vector scan instead of the approximate index (for
    evaluation; slower). It never returns fewer than ``limit`` rows when at least ``limit`` jobs
    pass the filters (short lists are filled with the other filtered jobs, newest first, unranked).
    With neither ``text`` nor ``vector`` it returns the filtered jobs newest first.
    ``text_scope`` says where ``text``'s words are looked for (``TextScope``).

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
