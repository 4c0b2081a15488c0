"""Use cases of the vector index: embed new and changed jobs, re-index on a model change.

Jobs are embedded after ingestion, on the worker (``EMBED_JOBS_TASK``, queued when a run stored
new or updated jobs), in batches, and cached by content hash: a job whose text hashes the same as
its stored vector's is never embedded again, and a text already embedded for another job (the same
posting from two sources) reuses that vector. ``ReindexJobs`` (``jobraker reindex``) makes sure
every job has a vector of the configured embedder and records that model as the active one,
deleting the vectors of the model it replaces.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Final

import attrs

from jobraker_core.matching.embedding import Embedder, EmbeddingSpec, content_hash
from jobraker_core.matching.retrieval import JobEmbedding, JobEmbeddingRepository, PendingJob
from jobraker_core.ports import TaskQueue, UnitOfWorkFactory

EMBED_JOBS_TASK: Final = "jobraker_workers.tasks.embed_jobs"
EMBED_BATCH_SIZE: Final = 128
"""Jobs per embedding batch: at least 100, so per-task overheads stay small."""


@attrs.frozen
class EmbeddingCounts:
    """What an embedding pass did with the jobs it looked at."""

    checked: int = 0
    """Jobs looked at (missing a vector, or seen again since theirs was checked)."""
    embedded: int = 0
    """Texts sent to the embedder."""
    reused: int = 0
    """Jobs given a vector already stored for the same text (another job's)."""
    unchanged: int = 0
    """Jobs whose text had not changed since their vector was made (nothing embedded)."""

    def __add__(self, other: EmbeddingCounts) -> EmbeddingCounts:
        """Sum two counts."""
        return EmbeddingCounts(
            checked=self.checked + other.checked,
            embedded=self.embedded + other.embedded,
            reused=self.reused + other.reused,
            unchanged=self.unchanged + other.unchanged,
        )


@attrs.frozen
class EmbedPendingJobs:
    """Command: embed the jobs whose vectors of the configured model are missing or stale.

    ``max_jobs`` bounds the work of one call (None: until nothing is pending).
    """

    max_jobs: int | None = None


EmbeddingProgress = Callable[[EmbeddingCounts], None]


class EmbedJobs:
    """Gives every job that needs one a vector of the embedder's model, batch by batch.

    Each batch is written on its own (a crash loses at most one batch; a rerun carries on). Errors
    of the embedder (``UpstreamUnavailable``, ``RateLimited``, ``ConfigurationError``, ...) and of
    storage propagate after the batches before them are stored.
    """

    def __init__(
        self,
        embeddings: JobEmbeddingRepository,
        embedder: Embedder,
        *,
        batch_size: int = EMBED_BATCH_SIZE,
    ) -> None:
        self._embeddings = embeddings
        self._embedder = embedder
        self._batch_size = batch_size

    def __call__(
        self,
        command: EmbedPendingJobs | None = None,
        on_progress: EmbeddingProgress | None = None,
    ) -> EmbeddingCounts:
        """Embed what is pending; return the counts."""
        command = command or EmbedPendingJobs()
        spec = EmbeddingSpec.of(self._embedder)
        self._embeddings.register_model(spec)
        counts = EmbeddingCounts()
        after: uuid.UUID | None = None
        while command.max_jobs is None or counts.checked < command.max_jobs:
            size = self._batch_size
            if command.max_jobs is not None:
                size = min(size, command.max_jobs - counts.checked)
            batch = self._embeddings.pending(spec, after=after, limit=size)
            if not batch:
                break
            after = batch[-1].job_id
            counts += self._embed_batch(spec, batch)
            if on_progress is not None:
                on_progress(counts)
        return counts

    def _embed_batch(self, spec: EmbeddingSpec, batch: list[PendingJob]) -> EmbeddingCounts:
        texts = {job.job_id: job.text for job in batch}
        hashes = {job_id: content_hash(text) for job_id, text in texts.items()}
        unchanged = {
            job.job_id: job.last_seen for job in batch if job.stored_hash == hashes[job.job_id]
        }
        changed = [job for job in batch if job.job_id not in unchanged]
        self._embeddings.touch(spec, unchanged)
        if not changed:
            return EmbeddingCounts(checked=len(batch), unchanged=len(unchanged))
        vectors = self._embeddings.vectors_by_hash(spec, {hashes[job.job_id] for job in changed})
        reused = sum(1 for job in changed if hashes[job.job_id] in vectors)
        to_embed: dict[str, str] = {}
        for job in changed:
            digest = hashes[job.job_id]
            if digest not in vectors:
                to_embed.setdefault(digest, texts[job.job_id])
        if to_embed:
            made = self._embedder.embed(list(to_embed.values()))
            vectors.update(zip(to_embed, made, strict=True))
        self._embeddings.upsert(
            spec,
            [
                JobEmbedding(
                    job_id=job.job_id,
                    content_hash=hashes[job.job_id],
                    vector=vectors[hashes[job.job_id]],
                    job_seen_at=job.last_seen,
                )
                for job in changed
            ],
        )
        return EmbeddingCounts(
            checked=len(batch), embedded=len(to_embed), reused=reused, unchanged=len(unchanged)
        )


@attrs.frozen
class Reindex:
    """Command: make the configured embedder's model the active one.

    ``full`` deletes the model's own vectors first, so every job is embedded again even when the
    model has not changed (for an embedder whose output changed without a new model id).
    """

    full: bool = False


@attrs.frozen
class ReindexResult:
    """What a re-index did."""

    previous: EmbeddingSpec | None
    """The model that was active before (None on the first index)."""
    current: EmbeddingSpec
    """The model now active."""
    counts: EmbeddingCounts
    removed: int
    """Vectors of the previous model deleted (0 when the model did not change)."""

    @property
    def changed(self) -> bool:
        """Whether the active model (or its dimension) changed."""
        return self.previous != self.current


ReindexProgress = Callable[[EmbeddingCounts, int], None]
"""Called after each batch with the counts so far and the number of stored jobs."""


class ReindexJobs:
    """Embeds every job for the configured model, then records that model as the active one.

    When the model (or its dimension) changed, every job is embedded (its vectors were missing),
    and then the previous model's vectors and index are deleted. When it did not, only the jobs
    whose vectors are missing or stale are embedded. Searches keep working throughout on whatever
    vectors of the configured model exist.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        embeddings: JobEmbeddingRepository,
        embedder: Embedder,
        *,
        batch_size: int = EMBED_BATCH_SIZE,
    ) -> None:
        self._uow = uow
        self._embeddings = embeddings
        self._embed = EmbedJobs(embeddings, embedder, batch_size=batch_size)
        self._spec = EmbeddingSpec.of(embedder)

    def __call__(
        self, command: Reindex | None = None, on_progress: ReindexProgress | None = None
    ) -> ReindexResult:
        """Re-index and return what was done."""
        command = command or Reindex()
        previous = self._embeddings.active_model()
        if command.full:
            self._embeddings.delete_model(self._spec.model_id)
        with self._uow() as uow:
            total = uow.jobs.count()

        def progress(counts: EmbeddingCounts) -> None:
            if on_progress is not None:
                on_progress(counts, total)

        counts = self._embed(EmbedPendingJobs(), progress)
        self._embeddings.activate_model(self._spec)
        removed = 0
        if previous is not None and previous.model_id != self._spec.model_id:
            removed = self._embeddings.delete_model(previous.model_id)
        return ReindexResult(previous=previous, current=self._spec, counts=counts, removed=removed)


class QueueEmbedding:
    """Queues an embedding pass on the worker, e.g. after an ingestion run stored jobs.

    ``key`` makes the enqueue idempotent (one pass per ingestion run). Raises
    ``UpstreamUnavailable`` when the queue is down.
    """

    def __init__(self, queue: TaskQueue) -> None:
        self._queue = queue

    def __call__(self, key: str) -> None:
        """Queue ``EMBED_JOBS_TASK`` under ``embed-<key>``."""
        self._queue.enqueue(EMBED_JOBS_TASK, key, job_id=f"embed-{key}")
