"""RQ tasks of applications: submit one, cancel a withdrawn one's run, and the minute tick.

Every task takes string ids, builds its container in the worker process (like
``jobraker_workers.tasks``) and is idempotent, because RQ runs a job at least once, never exactly
once:

- ``submit_application(id)`` claims the application (``queued`` -> ``submitting``, committed)
  before it calls the submitter, so a duplicate or retried job finds nothing to claim (and
  queues a notification dispatch, so the person hears of the outcome at once); a job
  killed between claim and submission leaves the claim, which a later try (the reconciler's,
  after ``ORPHAN_AFTER``) recovers by asking the submitter about the attempt (``needs_review``
  when it cannot tell). ``UpstreamUnavailable`` is re-raised while RQ has retries left.
- ``tick_applications(key)``, enqueued every minute by the worker's ticker under
  ``application-tick-<minute>``: relays the task outbox to the queue, reconciles
  applications stuck in ``queued``/``submitting`` (polling the runs whose webhook never came),
  and turns due reminders into notifications (each once).
- ``cancel_application_run(id)`` asks the submitter to stop a withdrawn application's run.
- ``purge_idempotency_keys(key)``, enqueued on the hour under ``idempotency-purge-<hour>``:
  deletes expired ``Idempotency-Key`` records.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Final

import structlog
from rq import get_current_job

from jobraker_adapters.container import Container, Settings, build_container
from jobraker_core.errors import JobrakerError, UpstreamUnavailable
from jobraker_workers.notification_tasks import queue_dispatch

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

TICK_TASK: Final = "jobraker_workers.application_tasks.tick_applications"
PURGE_TASK: Final = "jobraker_workers.application_tasks.purge_idempotency_keys"
PURGE_EVERY_MINUTES: Final = 60

log = structlog.get_logger("jobraker.workers.applications")


def _id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        log.error("applications.bad_id", id=raw[:64])  # noqa: TRY400 - no traceback needed
        return None


def _retries_left() -> int:
    job = get_current_job()
    return (job.retries_left or 0) if job is not None else 0


def execute_submit(container: Container, application_id: str) -> str | None:
    """Do the next submission step of ``application_id`` with ``container``; return the outcome.

    A transient failure (the vendor or our database unreachable) is re-raised while RQ has
    retries left, so the job runs again (and the retry looks the attempt up first); after the
    last one the reconciler takes over. Any other refusal is settled by the use case or logged.
    """
    parsed = _id(application_id)
    if parsed is None:
        return None
    try:
        outcome = container.submit_application()(parsed)
    except UpstreamUnavailable as error:
        log.warning("applications.submit_retry", id=application_id, error=error.message)
        if _retries_left() > 0:
            raise
        return None
    except JobrakerError as error:
        log.error("applications.submit_refused", id=application_id, error=error.message)  # noqa: TRY400
        return None
    log.info("applications.submit", id=application_id, outcome=outcome.value)
    # the outcome's notification goes out now, not at the next minute tick
    queue_dispatch(container, f"application-{application_id}-{outcome.value}")
    return outcome.value


def execute_cancel(container: Container, application_id: str) -> bool:
    """Cancel the run of withdrawn application ``application_id``; whether it asked."""
    parsed = _id(application_id)
    if parsed is None:
        return False
    return container.cancel_application_run()(parsed)


def execute_tick(container: Container) -> dict[str, int]:
    """Relay the outbox, reconcile stuck applications, notify due reminders; return the counts."""
    reconciled = container.reconcile_applications()()
    relayed = container.relay_tasks()()  # after reconciling: its requeued tasks go out now
    reminded = container.notify_due_reminders()()
    result = {"relayed": relayed, "reconciled": reconciled, "reminded": reminded}
    if relayed or reconciled or reminded:
        log.info("applications.tick", **result)
    return result


def submit_application(application_id: str) -> str | None:
    """RQ task: submit (or recover, or defer) one application."""
    container = build_container(Settings.from_os())
    try:
        return execute_submit(container, application_id)
    finally:
        container.shutdown_resources()


def cancel_application_run(application_id: str) -> bool:
    """RQ task: cancel a withdrawn application's run."""
    container = build_container(Settings.from_os())
    try:
        return execute_cancel(container, application_id)
    finally:
        container.shutdown_resources()


def tick_applications(key: str) -> dict[str, int]:
    """RQ task, once a minute (``key`` names the minute): relay, reconcile, remind."""
    del key
    container = build_container(Settings.from_os())
    try:
        return execute_tick(container)
    finally:
        container.shutdown_resources()


def execute_purge(container: Container) -> int:
    """Delete the expired ``Idempotency-Key`` records; return how many went."""
    purged = container.idempotent_requests().purge()
    if purged:
        log.info("idempotency.purged", records=purged)
    return purged


def purge_idempotency_keys(key: str) -> int:
    """RQ task, once an hour (``key`` names the hour): delete expired idempotency records."""
    del key
    container = build_container(Settings.from_os())
    try:
        return execute_purge(container)
    finally:
        container.shutdown_resources()


def application_periodic_tasks(minute: int) -> list[tuple[str, str]]:
    """The (task, job id) pairs the worker's ticker enqueues at ``minute`` for applications.

    The tick every minute; the idempotency purge on the hour (a missed hour is harmless: the
    next one purges, and a claim deletes its user's expired records anyway).
    """
    tasks = [(TICK_TASK, f"application-tick-{minute}")]
    if minute % PURGE_EVERY_MINUTES == 0:
        tasks.append((PURGE_TASK, f"idempotency-purge-{minute // PURGE_EVERY_MINUTES}"))
    return tasks


def with_application_tasks(
    other: Callable[[int], Sequence[tuple[str, str]]],
) -> Callable[[int], list[tuple[str, str]]]:
    """``other``'s periodic tasks followed by the applications tick."""

    def periodic(minute: int) -> list[tuple[str, str]]:
        return [*other(minute), *application_periodic_tasks(minute)]

    return periodic
