"""RQ tasks: module-level functions taking string ids, enqueued by dotted path as JSON.

Each task builds its own container from the environment in the process that runs it (after the
worker's fork) and shuts its resources down at the end, so nothing is shared across the fork. The
work itself is in ``execute_*`` functions that take a container, which is what tests call with a
container whose providers they have overridden.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import TYPE_CHECKING

import attrs
import structlog
from redis.exceptions import RedisError
from rq import get_current_job

from jobraker_adapters.container import Container, Settings, build_container
from jobraker_core.errors import JobrakerError
from jobraker_core.jobs.use_cases import RunIngestion
from jobraker_workers.errors import Verdict, settle_ingestion_failure
from jobraker_workers.matching_tasks import (
    execute_saved_search_refresh,
    queue_saved_search_refresh,
)
from jobraker_workers.moderation_tasks import execute_moderation, queue_moderation
from jobraker_workers.notification_tasks import execute_after_ingestion, queue_after_ingestion
from jobraker_workers.scheduler import queue_due_ingestions

if TYPE_CHECKING:
    from collections.abc import Callable

    from rq.job import Job

    from jobraker_core.jobs.ingestion import IngestionCounts, IngestionRun
    from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "FOLLOW_UPS",
    "FollowUp",
    "counts_as_dict",
    "embed_jobs",
    "execute_embedding",
    "execute_ingestion",
    "execute_schedules",
    "follow_up_ingestion",
    "run_ingestion",
    "schedule_ingestions",
]

log = structlog.get_logger("jobraker.workers")


def counts_as_dict(counts: IngestionCounts) -> dict[str, int]:
    """Return the counts as plain JSON."""
    return {
        "fetched": counts.fetched,
        "new": counts.new,
        "updated": counts.updated,
        "duplicate": counts.duplicate,
        "rejected": counts.rejected,
    }


def _reporter(job: Job | None) -> Callable[[IngestionRun], None]:
    def report(run: IngestionRun) -> None:
        counts = counts_as_dict(run.counts)
        log.info("ingestion.progress", run_id=str(run.id), attempt=run.attempts, **counts)
        if job is not None:
            job.meta["run_id"] = str(run.id)
            job.meta["progress"] = counts
            with suppress(RedisError):  # progress in RQ is a convenience; the run has it too
                job.save_meta()  # type: ignore[no-untyped-call]

    return report


def _retries_left(job: Job | None) -> int:
    return (job.retries_left or 0) if job is not None else 0


def execute_ingestion(container: Container, run_id: str) -> dict[str, object] | None:
    """Carry out ingestion run ``run_id`` with ``container``; return the final counts.

    Failures go through ``jobraker_workers.errors``: re-raised for RQ to retry, or settled and
    returned from (None), or re-raised with the RQ job's retries cancelled.
    """
    job = get_current_job()
    retries_left = _retries_left(job)
    try:
        parsed = uuid.UUID(run_id)
    except ValueError:
        log.error("ingestion.bad_run_id", run_id=run_id)  # noqa: TRY400 - no traceback needed
        return None

    def unit_of_work() -> UnitOfWork:
        # Resolved only when needed: the pool itself may be what failed.
        factory: UnitOfWorkFactory = container.uow()
        return factory()

    log.info("ingestion.started", run_id=run_id, retries_left=retries_left)
    try:
        ingest = container.ingest_jobs()
        run = ingest(RunIngestion(parsed, retries_left), on_progress=_reporter(job))
    except Exception as error:
        verdict = settle_ingestion_failure(
            error,
            run_id=parsed,
            retries_left=retries_left,
            uow=unit_of_work,
            clock=container.clock(),
        )
        if verdict is Verdict.GIVE_UP:
            return None
        if verdict is Verdict.FAIL and job is not None:
            job.retries_left = 0  # the run is failed for good: RQ must not run it again
        raise
    result: dict[str, object] = {"run_id": run_id, "status": run.status.value}
    result.update(counts_as_dict(run.counts))
    log.info("ingestion.succeeded", **result)
    follow_up_ingestion(container, run_id, run.counts)
    return result


def _queue_embedding(container: Container, run_id: str, counts: IngestionCounts) -> None:
    """Queue the embedding of what the run stored; a queue failure only delays it."""
    if counts.new + counts.updated == 0:
        return
    try:
        container.queue_embedding()(run_id)
    except JobrakerError as error:  # the next run's pass (or `jobraker reindex`) catches up
        log.warning("embedding.not_queued", run_id=run_id, error=error.message)


def execute_embedding(container: Container, key: str) -> dict[str, object]:
    """Embed every job whose vector is missing or stale; return the counts.

    Embedder and storage errors propagate, so RQ retries the task with its back-off (each batch
    already stored stays stored; the retry carries on from there).
    """
    log.info("embedding.started", key=key)
    counts = container.embed_jobs()()
    result: dict[str, object] = {"key": key, **attrs.asdict(counts)}
    log.info("embedding.finished", **result)
    return result


@attrs.frozen
class FollowUp:
    """A step the product takes after every successful ingestion run.

    ``wanted`` says whether a run with these counts needs it; ``queue`` hands it to a worker
    (guarded the same way); ``execute`` does it in this process and returns what it did.
    """

    name: str
    wanted: Callable[[IngestionCounts], bool]
    queue: Callable[[Container, str, IngestionCounts], None]
    execute: Callable[[Container, str], object]


def _stored(counts: IngestionCounts) -> bool:
    return counts.new + counts.updated > 0


# In the order they run in one process: flags first (so flagged jobs are hidden from the start),
# then the market facts (salary insight, trends, strong-match events), vectors, saved searches.
FOLLOW_UPS: tuple[FollowUp, ...] = (
    FollowUp("moderation", lambda counts: counts.fetched > 0, queue_moderation, execute_moderation),
    FollowUp("market", _stored, queue_after_ingestion, execute_after_ingestion),
    FollowUp("embedding", _stored, _queue_embedding, execute_embedding),
    FollowUp(
        "saved_searches",
        lambda counts: counts.new > 0,
        queue_saved_search_refresh,
        execute_saved_search_refresh,
    ),
)


def follow_up_ingestion(
    container: Container, run_id: str, counts: IngestionCounts, *, now: bool = False
) -> dict[str, object]:
    """Take the steps that follow ingestion run ``run_id``: queue them, or (``now``) run them.

    The worker queues them after each run; ``jobraker ingest`` and the first-start seeding of
    ``jobraker up`` run them in their own process, so the jobs are moderated, analysed for the
    market, embedded and matched to saved searches before the command returns. A step that
    fails in this process is logged and reported as ``{"error": ...}``; the others still run.
    Returns what each step that ran did (empty when queued).
    """
    done: dict[str, object] = {}
    for step in FOLLOW_UPS:
        if not step.wanted(counts):
            continue
        if not now:
            step.queue(container, run_id, counts)
            continue
        try:
            done[step.name] = step.execute(container, run_id)
        except JobrakerError as error:
            log.warning("follow_up.failed", step=step.name, run_id=run_id, error=error.message)
            done[step.name] = {"error": error.message}
    return done


def embed_jobs(key: str) -> dict[str, object]:
    """RQ task: embed new and changed jobs (``EMBED_JOBS_TASK``); ``key`` names the trigger."""
    container = build_container(Settings.from_os())
    try:
        return execute_embedding(container, key)
    finally:
        container.shutdown_resources()


def run_ingestion(run_id: str) -> dict[str, object] | None:
    """RQ task: carry out the queued ingestion run ``run_id`` (``RUN_INGESTION_TASK``)."""
    container = build_container(Settings.from_os())
    try:
        return execute_ingestion(container, run_id)
    finally:
        container.shutdown_resources()


def execute_schedules(container: Container) -> int:
    """Queue the due runs of the container's configured schedules; return how many were queued."""
    settings: Settings = container.settings()
    if not settings.schedules:
        return 0
    runs = queue_due_ingestions(
        container.queue_ingestion(), settings.schedules, container.clock().now()
    )
    return len(runs)


def schedule_ingestions() -> int:
    """RQ task, enqueued once a minute by each worker's ``ScheduleTicker``: queue due schedules."""
    container = build_container(Settings.from_os())
    try:
        return execute_schedules(container)
    finally:
        container.shutdown_resources()
