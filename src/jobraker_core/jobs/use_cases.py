"""Use cases of the jobs capability: ingest, search, read, and run ingestions on the worker."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Final

import attrs

from jobraker_core.clock import Clock
from jobraker_core.errors import Conflict, JobrakerError, UpstreamUnavailable
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import (
    Change,
    JobDraft,
    JobPosting,
    JobQuery,
    RejectedRecord,
)
from jobraker_core.jobs.ports import JobRepository, JobSource, JobSourceCatalog
from jobraker_core.pagination import Page, PageRequest
from jobraker_core.ports import TaskQueue, UnitOfWorkFactory

RUN_INGESTION_TASK: Final = "jobraker_workers.tasks.run_ingestion"
BATCH_SIZE: Final = 250
STORE_ATTEMPTS: Final = 3


def _batches(
    items: Iterable[JobDraft | RejectedRecord], size: int
) -> Iterator[list[JobDraft | RejectedRecord]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _until_failure(
    source: JobSource, failures: list[Exception]
) -> Iterator[JobDraft | RejectedRecord]:
    """Yield the source's records; if fetching fails, put the failure in ``failures`` and stop.

    So the records read before a failure are still stored (a retry then finds them already
    there) and the failure is raised only after them.
    """
    try:
        yield from source.fetch()
    except Exception as error:  # noqa: BLE001 - handed to the caller, which re-raises it
        failures.append(error)


def _store_batch(jobs: JobRepository, drafts: list[tuple[JobDraft, JobPosting]]) -> list[Change]:
    """Merge a batch of normalised postings into the repository; return each one's outcome.

    Lookup order: a job already seen under the same source id, else a job with the same canonical
    key (the same job from another source, or re-posted under a new id), else a new job. Postings
    within one batch that share a key merge with each other, so a feed that repeats a job yields
    one job and a duplicate. Every sighting is saved (it moves ``last_seen`` and may add a source).
    """
    by_source: dict[str, dict[str, JobPosting]] = {}
    for source in {draft.source for draft, _ in drafts}:
        ids = [draft.source_id for draft, _ in drafts if draft.source == source]
        by_source[source] = jobs.by_source_ids(source, ids)
    by_key = jobs.by_keys([posting.key for _, posting in drafts])
    current: dict[uuid.UUID, JobPosting] = {}
    outcomes: list[Change] = []
    for draft, fresh in drafts:
        existing = by_source[draft.source].get(draft.source_id) or by_key.get(fresh.key)
        if existing is None:
            merged, change = fresh, Change.NEW
            by_key[fresh.key] = fresh
        else:
            merged, change = current.get(existing.id, existing).absorb(
                fresh, seen_at=fresh.last_seen
            )
        current[merged.id] = merged
        by_source[draft.source][draft.source_id] = merged
        outcomes.append(change)
    jobs.save(list(current.values()))
    return outcomes


@attrs.frozen
class RunIngestion:
    """Command: carry out the queued ingestion run ``run_id``.

    ``retries_left`` more attempts follow a transient failure.
    """

    run_id: uuid.UUID
    retries_left: int = 0


ProgressCallback = Callable[[IngestionRun], None]


class IngestJobs:
    """Runs one ingestion: fetch the source, normalise, de-duplicate and store, batch by batch.

    Each batch commits on its own, together with the run's progress, so a crash loses at most one
    batch and a retry redoes the run idempotently; when the source fails, the records it delivered
    before failing are stored first. A batch that collides with a concurrent
    ingestion (``Conflict``) is re-read and stored again, up to ``STORE_ATTEMPTS`` times. A failure
    is recorded on the run (``retrying`` when a transient error has retries left, else ``failed``)
    and re-raised for the worker to decide; so is any unexpected exception, which fails the run.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sources: JobSourceCatalog,
        clock: Clock,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._uow = uow
        self._sources = sources
        self._clock = clock
        self._batch_size = batch_size

    def __call__(
        self, command: RunIngestion, on_progress: ProgressCallback | None = None
    ) -> IngestionRun:
        """Carry out the run and return its final state."""
        with self._uow() as uow:
            run = uow.ingestions.get(command.run_id).start(self._clock.now())
            uow.ingestions.update(run)
            uow.commit()
        try:
            source = self._sources.open(run.source)
            rejections: list[RejectedRecord] = []
            failures: list[Exception] = []
            for batch in _batches(_until_failure(source, failures), self._batch_size):
                run = self._ingest_batch(run, batch, rejections)
                if on_progress is not None:
                    on_progress(run)
            if failures:
                raise failures[0]  # noqa: TRY301 - handled like every other failure below
        except JobrakerError as error:
            will_retry = isinstance(error, UpstreamUnavailable) and command.retries_left > 0
            self._finish(run.fail(self._clock.now(), error.message, will_retry=will_retry))
            raise
        except Exception as error:
            # A bug, not a known failure: never leave the run looking as if it still runs.
            # The message may carry anything (a secret in a URL): record only the type.
            reason = f"internal error ({type(error).__name__})"
            self._finish(run.fail(self._clock.now(), reason, will_retry=False))
            raise
        return self._finish(run.succeed(self._clock.now()))

    def _finish(self, run: IngestionRun) -> IngestionRun:
        with self._uow() as uow:
            uow.ingestions.update(run)
            uow.commit()
        return run

    def _ingest_batch(
        self,
        run: IngestionRun,
        batch: list[JobDraft | RejectedRecord],
        rejections: list[RejectedRecord],
    ) -> IngestionRun:
        """Store one batch and the run's progress in one transaction; return the updated run."""
        seen_at = self._clock.now()
        counts = run.counts
        normalised: list[tuple[JobDraft, JobPosting]] = []
        for item in batch:
            if isinstance(item, RejectedRecord):
                rejections.append(item)
                counts = counts.reject()
                continue
            try:
                posting = JobPosting.from_draft(item, job_id=uuid.uuid4(), seen_at=seen_at)
            except JobrakerError as error:
                rejections.append(RejectedRecord(f"{item.source}:{item.source_id}", error.message))
                counts = counts.reject()
                continue
            normalised.append((item, posting))
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                with self._uow() as uow:
                    outcomes = _store_batch(uow.jobs, normalised)
                    stored = counts
                    for change in outcomes:
                        stored = stored.add(change)
                    progressed = run.progress(stored, tuple(rejections))
                    uow.ingestions.update(progressed)
                    uow.commit()
            except Conflict:
                if attempt == STORE_ATTEMPTS:
                    raise
            else:
                return progressed
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


@attrs.frozen
class StartIngestion:
    """Command: queue an ingestion of ``source`` to run on a worker."""

    source: SourceSpec
    schedule_key: str | None = None


class QueueIngestion:
    """Records a queued ingestion run and hands it to the worker queue.

    The source spec is checked first (``InvalidInput`` / ``ConfigurationError``), so a bad request
    never leaves a run behind. With a ``schedule_key`` the run is created at most once per key:
    a second call returns ``None``. If the queue is down the run is marked failed and the
    ``UpstreamUnavailable`` is re-raised.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, sources: JobSourceCatalog, queue: TaskQueue, clock: Clock
    ) -> None:
        self._uow = uow
        self._sources = sources
        self._queue = queue
        self._clock = clock

    def __call__(self, command: StartIngestion) -> IngestionRun | None:
        """Queue the run and return it (None when its schedule slot was already taken)."""
        self._sources.open(command.source)
        run = IngestionRun.queue(
            command.source,
            run_id=uuid.uuid4(),
            at=self._clock.now(),
            schedule_key=command.schedule_key,
        )
        try:
            with self._uow() as uow:
                uow.ingestions.add(run)
                uow.commit()
        except Conflict:
            if command.schedule_key is not None:
                return None
            raise
        try:
            self._queue.enqueue(RUN_INGESTION_TASK, str(run.id), job_id=f"ingestion-{run.id}")
        except UpstreamUnavailable as error:
            failed = run.fail(
                self._clock.now(), f"could not queue: {error.message}", will_retry=False
            )
            with self._uow() as uow:
                uow.ingestions.update(failed)
                uow.commit()
            raise
        return run


@attrs.frozen
class SearchJobsQuery:
    """Query: one page of the jobs matching ``query``."""

    query: JobQuery
    page: PageRequest = attrs.field(factory=PageRequest)


class SearchJobs:
    """Finds jobs by filters and full text, one page at a time."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, query: SearchJobsQuery) -> Page[JobPosting]:
        """Return the requested page of matching jobs."""
        with self._uow() as uow:
            return uow.jobs.search(query.query, query.page)


class GetJob:
    """Reads one job by id (``NotFound`` when there is none)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, job_id: uuid.UUID) -> JobPosting:
        """Return the job."""
        with self._uow() as uow:
            return uow.jobs.get(job_id)


class ListIngestions:
    """Lists ingestion runs, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, page: PageRequest) -> Page[IngestionRun]:
        """Return one page of runs."""
        with self._uow() as uow:
            return uow.ingestions.list(page)


class GetIngestion:
    """Reads one ingestion run by id (``NotFound`` when there is none)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, run_id: uuid.UUID) -> IngestionRun:
        """Return the run."""
        with self._uow() as uow:
            return uow.ingestions.get(run_id)
