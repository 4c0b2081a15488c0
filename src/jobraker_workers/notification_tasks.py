"""RQ tasks of notifications: dispatch the outbox, send daily digests, notify strong matches.

- ``dispatch_notifications`` delivers pending events and the held pushes now due. Each worker's
  ``ScheduleTicker`` enqueues it once a minute (job id ``notifications-<minute>``), and it is
  enqueued at once after every saved-search refresh and after the strong-match pass, so a new
  match reaches an open WebSocket within seconds of the ingestion that found it.
- ``send_digests`` sends the daily digests that are due; the ticker enqueues it every quarter
  hour (each person's digest goes at the first run after their ``digest_hour``).
- ``notify_after_ingestion`` reads the market facts of new and changed jobs (``AnalyseMarket``,
  for salary insight and trends), adds NEW_MATCH events for new jobs above people's score
  threshold (``NotifyStrongMatches``), then dispatches; the ingestion task queues it when a run
  stored new or changed jobs.

Like every task they build their own container in the work horse.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final

import attrs
import structlog

from jobraker_adapters.container import Container, Settings, build_container
from jobraker_core.errors import JobrakerError

if TYPE_CHECKING:
    from jobraker_core.jobs.ingestion import IngestionCounts

DISPATCH_TASK: Final = "jobraker_workers.notification_tasks.dispatch_notifications"
DIGEST_TASK: Final = "jobraker_workers.notification_tasks.send_digests"
AFTER_INGESTION_TASK: Final = "jobraker_workers.notification_tasks.notify_after_ingestion"
DIGEST_EVERY_MINUTES: Final = 15

log = structlog.get_logger("jobraker.workers.notifications")


def queue_dispatch(container: Container, key: str) -> None:
    """Queue a dispatch run named ``key``; a queue failure only delays it (the ticker runs it)."""
    try:
        container.task_queue().enqueue(DISPATCH_TASK, key, job_id=f"notifications-{key}")
    except JobrakerError as error:
        log.warning("notifications.not_queued", key=key, error=error.message)


def queue_after_ingestion(container: Container, run_id: str, counts: IngestionCounts) -> None:
    """Queue the market analysis and strong-match pass after a run that stored new jobs."""
    if counts.new + counts.updated == 0:
        return
    try:
        container.task_queue().enqueue(
            AFTER_INGESTION_TASK, run_id, job_id=f"strong-matches-{run_id}"
        )
    except JobrakerError as error:
        log.warning("strong_matches.not_queued", run_id=run_id, error=error.message)


def scheduled_tasks(minute: int) -> list[tuple[str, str]]:
    """The (task, job id) pairs the ticker enqueues at ``minute`` (minutes since the epoch)."""
    due = [(DISPATCH_TASK, f"notifications-{minute}")]
    if minute % DIGEST_EVERY_MINUTES == 0:
        due.append((DIGEST_TASK, f"digests-{minute}"))
    return due


def execute_dispatch(container: Container, key: str) -> dict[str, object]:
    """Dispatch pending notifications with ``container``; return what it did."""
    outcome = container.dispatch_notifications()()
    result: dict[str, object] = {"key": key, **attrs.asdict(outcome)}
    log.info("notifications.dispatched", **result)
    return result


def execute_digests(container: Container, key: str) -> dict[str, object]:
    """Send the digests that are due with ``container``; return how many."""
    sent = container.send_digests()()
    log.info("notifications.digests", key=key, sent=sent)
    return {"key": key, "sent": sent}


def execute_after_ingestion(container: Container, run_id: str) -> dict[str, object]:
    """Analyse new and changed jobs, notify strong matches after run ``run_id``, dispatch.

    The analyses of new and changed jobs are stored first (so no process reads them again; the
    market facts below find them remembered), then the market facts (occupation, skills) are
    read, so salary insight and trends count the run's jobs; then new jobs above people's
    thresholds become events, dispatched at once.
    """
    stored = container.analyse_jobs()(
        on_progress=lambda counts: log.info(
            "analyses.progress", run_id=run_id, **attrs.asdict(counts)
        )
    )
    analysed = container.analyse_market()()
    with container.uow()() as uow:
        run = uow.ingestions.get(uuid.UUID(run_id))
    since = run.started_at or run.created_at
    added = container.notify_strong_matches()(since)
    log.info(
        "after_ingestion.done",
        run_id=run_id,
        analysed=analysed,
        analyses_stored=stored.analysed,
        analyses_unchanged=stored.unchanged,
        events=added,
    )
    result: dict[str, object] = {
        "run_id": run_id,
        "analysed": analysed,
        "analyses": attrs.asdict(stored),
        "events": added,
    }
    if added:
        result["dispatch"] = execute_dispatch(container, f"run-{run_id}")
    return result


def _with_container(work: str, key: str) -> dict[str, object]:
    container = build_container(Settings.from_os())
    try:
        if work == "dispatch":
            return execute_dispatch(container, key)
        if work == "digests":
            return execute_digests(container, key)
        return execute_after_ingestion(container, key)
    finally:
        container.shutdown_resources()


def dispatch_notifications(key: str) -> dict[str, object]:
    """RQ task: deliver pending notifications (``DISPATCH_TASK``); ``key`` names the trigger."""
    return _with_container("dispatch", key)


def send_digests(key: str) -> dict[str, object]:
    """RQ task: send the daily digests that are due (``DIGEST_TASK``)."""
    return _with_container("digests", key)


def notify_after_ingestion(run_id: str) -> dict[str, object]:
    """RQ task: notify new jobs above people's thresholds after run ``run_id``, then dispatch."""
    return _with_container("after", run_id)
