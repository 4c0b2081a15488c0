"""In-memory job vectors and hybrid retrieval: the reference semantics of the matching ports.

``InMemoryJobEmbeddingRepository`` keeps vectors in a dict next to an ``InMemoryStore`` (whose
committed jobs it reads); ``InMemoryJobRetriever`` retrieves with an exact cosine scan, so its
``exact`` flag changes nothing, and finds skill candidates in an ``InMemoryJobAnalysisRepository``'s
analyses with exact skill shares. The contract tests run the same suite against these and against
the PostgreSQL adapters.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime

import attrs

from jobraker_adapters.memory.analyses import InMemoryJobAnalysisRepository
from jobraker_adapters.memory.uow import InMemoryStore
from jobraker_core.errors import Conflict, InvalidInput, NotFound
from jobraker_core.jobs.model import JobPosting, JobQuery
from jobraker_core.jobs.text import fold
from jobraker_core.matching.embedding import EmbeddingSpec, cosine
from jobraker_core.matching.retrieval import (
    JobEmbedding,
    PendingJob,
    RetrievedJob,
    SkillQuery,
    TextScope,
    VectorHit,
    candidate_depth,
    check_request,
    fuse,
    query_terms,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _newest_first(jobs: Sequence[JobPosting]) -> list[JobPosting]:
    """The date order of ``InMemoryJobRepository.search`` (and of PostgreSQL)."""
    return sorted(
        jobs, key=lambda j: (j.posted_at or _EPOCH, j.first_seen, str(j.id)), reverse=True
    )


@attrs.define
class InMemoryJobEmbeddingRepository:
    """A ``JobEmbeddingRepository`` over dicts, reading jobs from the committed ``store``."""

    store: InMemoryStore = attrs.field(factory=InMemoryStore)
    models: dict[str, EmbeddingSpec] = attrs.field(factory=dict)
    active: str | None = None
    vectors: dict[tuple[str, uuid.UUID], JobEmbedding] = attrs.field(factory=dict)
    embedded: list[uuid.UUID] = attrs.field(factory=list)
    """Every job id whose vector was written by ``upsert``, in order (for tests)."""
    lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False, eq=False)

    def _register(self, spec: EmbeddingSpec) -> None:
        known = self.models.setdefault(spec.model_id, spec)
        if known.dimensions != spec.dimensions:
            raise Conflict(
                f"embedding model {spec.model_id} is registered with {known.dimensions} "
                f"dimensions, not {spec.dimensions}"
            )

    def register_model(self, spec: EmbeddingSpec) -> None:
        """Record the model (idempotent); ``Conflict`` for the same id at another dimension."""
        with self.lock:
            self._register(spec)

    def active_model(self) -> EmbeddingSpec | None:
        """The model marked active, or None."""
        with self.lock:
            return self.models.get(self.active) if self.active else None

    def activate_model(self, spec: EmbeddingSpec) -> None:
        """Register ``spec`` if needed and mark it the only active model."""
        with self.lock:
            self._register(spec)
            self.active = spec.model_id

    def committed_jobs(self) -> dict[uuid.UUID, JobPosting]:
        """A copy of the store's committed jobs, by id."""
        with self.store.lock:
            return dict(self.store.jobs)

    def pending(
        self, spec: EmbeddingSpec, *, after: uuid.UUID | None = None, limit: int = 256
    ) -> list[PendingJob]:
        """Jobs without a vector of ``spec`` or seen since it was checked, by id after ``after``."""
        found: list[PendingJob] = []
        jobs = self.committed_jobs()
        with self.lock:
            for job_id in sorted(jobs):
                if after is not None and job_id <= after:
                    continue
                job = jobs[job_id]
                stored = self.vectors.get((spec.model_id, job_id))
                if stored is not None and job.last_seen <= stored.job_seen_at:
                    continue
                found.append(
                    PendingJob(
                        job_id=job_id,
                        title=job.title,
                        company=job.company,
                        description=job.description,
                        last_seen=job.last_seen,
                        stored_hash=stored.content_hash if stored else None,
                    )
                )
                if len(found) >= limit:
                    break
        return found

    def upsert(self, spec: EmbeddingSpec, embeddings: Sequence[JobEmbedding]) -> None:
        """Insert or replace vectors; checks everything before writing anything."""
        jobs = self.committed_jobs()
        with self.lock:
            if spec.model_id not in self.models:
                raise NotFound("this embedding model is not registered")
            for item in embeddings:
                if len(item.vector) != spec.dimensions:
                    raise InvalidInput(
                        f"a vector of model {spec.model_id} has {spec.dimensions} dimensions, "
                        f"not {len(item.vector)}",
                        field="vector",
                    )
                if item.job_id not in jobs:
                    raise Conflict("a job of these vectors is not stored (deleted meanwhile?)")
            for item in embeddings:
                self.vectors[spec.model_id, item.job_id] = item
                self.embedded.append(item.job_id)

    def touch(self, spec: EmbeddingSpec, seen: Mapping[uuid.UUID, datetime]) -> None:
        """Move the stored vectors' ``job_seen_at`` forward to these times."""
        with self.lock:
            for job_id, at in seen.items():
                stored = self.vectors.get((spec.model_id, job_id))
                if stored is not None and at > stored.job_seen_at:
                    self.vectors[spec.model_id, job_id] = attrs.evolve(stored, job_seen_at=at)

    def vectors_by_hash(
        self, spec: EmbeddingSpec, hashes: Collection[str]
    ) -> dict[str, tuple[float, ...]]:
        """One stored vector of ``spec`` per content hash found (the smallest job id's)."""
        wanted = set(hashes)
        found: dict[str, tuple[float, ...]] = {}
        with self.lock:
            for (model_id, _), item in sorted(self.vectors.items(), key=lambda kv: kv[0][1]):
                if model_id == spec.model_id and item.content_hash in wanted:
                    found.setdefault(item.content_hash, item.vector)
        return found

    def similarities_by_hash(
        self, spec: EmbeddingSpec, vector: Sequence[float], hashes: Collection[str]
    ) -> dict[str, float]:
        """The cosine of ``vector`` and each found hash's stored vector (``vectors_by_hash``)."""
        spec.check(vector)
        return {
            digest: cosine(vector, stored)
            for digest, stored in self.vectors_by_hash(spec, hashes).items()
        }

    def count(self, spec: EmbeddingSpec) -> int:
        """How many stored jobs have a vector of ``spec``."""
        jobs = self.committed_jobs()
        with self.lock:
            return sum(
                1
                for (model_id, job_id) in self.vectors
                if model_id == spec.model_id and job_id in jobs
            )

    def delete_model(self, model_id: str) -> int:
        """Forget the model and its vectors; return how many vectors went."""
        with self.lock:
            doomed = [key for key in self.vectors if key[0] == model_id]
            for key in doomed:
                del self.vectors[key]
            self.models.pop(model_id, None)
            if self.active == model_id:
                self.active = None
        return len(doomed)

    def vector_of(self, spec: EmbeddingSpec, job_id: uuid.UUID) -> tuple[float, ...] | None:
        """The stored vector of one job, or None (for the retriever and tests)."""
        with self.lock:
            stored = self.vectors.get((spec.model_id, job_id))
        return stored.vector if stored else None


def _text_score(terms: Sequence[str], job: JobPosting, scope: TextScope) -> int:
    """How well a job matches the query words: 3 per word in the title, 1 per word elsewhere.

    With ``TextScope.TITLES`` only the title's words count.
    """
    title = set(fold(job.title).split())
    if scope is TextScope.TITLES:
        return sum(3 for term in terms if term in title)
    rest = set(fold(f"{job.company or ''} {job.description}").split())
    return sum(3 if term in title else 1 for term in terms if term in title or term in rest)


@attrs.define
class InMemoryJobRetriever:
    """A ``JobRetriever`` over the store's jobs and the vectors of one model (exact cosine)."""

    embeddings: InMemoryJobEmbeddingRepository
    spec: EmbeddingSpec
    analyses: InMemoryJobAnalysisRepository | None = None
    """Where skill candidates are found; without it ``skills`` finds none."""
    calls: list[dict[str, object]] = attrs.field(factory=list)
    """What each ``retrieve`` was asked (for tests)."""

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
        """Filter, rank by words, by exact cosine and by skills, fuse (see the port)."""
        check_request(vector=vector, limit=limit, dimensions=self.spec.dimensions)
        self.calls.append(
            {
                "text": text,
                "vector": vector,
                "filters": filters,
                "limit": limit,
                "exact": exact,
                "text_scope": text_scope,
                "skills": skills,
            }
        )
        depth = candidate_depth(limit)
        passing = [job for job in self.embeddings.committed_jobs().values() if filters.matches(job)]
        terms = query_terms(text)
        text_ids: list[uuid.UUID] = []
        if terms:
            scored = [
                (score, job.id) for job in passing if (score := _text_score(terms, job, text_scope))
            ]
            text_ids = [job_id for _, job_id in sorted(scored, key=lambda s: (-s[0], s[1]))]
        hits = self._nearest(vector, passing)[:depth] if vector is not None else []
        return fuse(
            text_ids[:depth],
            hits,
            limit=limit,
            fillers=(job.id for job in _newest_first(passing)),
            skill_ranking=self._skill_candidates(skills, passing)[:depth],
        )

    def _skill_candidates(
        self, skills: Collection[str], jobs: Sequence[JobPosting]
    ) -> list[uuid.UUID]:
        """The passing jobs asking for the person's rarest skills, by ``SkillQuery``'s weight."""
        if not skills or self.analyses is None:
            return []
        asked = self.analyses.asked_skills()
        counts: dict[str, int] = {}
        for found in asked.values():
            for skill in found:
                counts[skill] = counts.get(skill, 0) + 1
        total = len(asked)
        query = SkillQuery.of(
            skills,
            {skill: count / total for skill, count in counts.items()},
            postings=total,
            unlisted=0.0,
        )
        if query is None:
            return []
        return query.ranking({job.id: asked[job.id] for job in jobs if job.id in asked})

    def _nearest(self, vector: Sequence[float], jobs: Sequence[JobPosting]) -> list[VectorHit]:
        scored: list[tuple[float, uuid.UUID, float]] = []
        for job in jobs:
            stored = self.embeddings.vector_of(self.spec, job.id)
            if stored is not None:
                similarity = cosine(vector, stored)
                scored.append((1.0 - similarity, job.id, similarity))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [VectorHit(job_id, similarity) for _, job_id, similarity in scored]
