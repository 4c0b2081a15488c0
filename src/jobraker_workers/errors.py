"""The one place that decides what a failed task means for RQ: retry it, give up, or fail it.

::

    UpstreamUnavailable (incl. RateLimited), retries left  -> RETRY:   re-raise; RQ retries it
                                                                      after the queue's backoff
    UpstreamUnavailable, no retries left                   -> GIVE_UP: the run is failed
    ConfigurationError, UpstreamRejected, InvalidInput,
    NotFound, Conflict (e.g. the run already finished)     -> GIVE_UP: the run is failed
    anything else (a bug)                                  -> FAIL:    the run is marked failed,
                                                                      the exception re-raised and
                                                                      RQ told not to retry

``GIVE_UP`` returns normally, so RQ neither retries nor keeps a failed job: the ingestion run is
the record users read, and ``IngestJobs`` has already written ``failed`` and the reason on it.
Where it could not (the failure came before the run was started, e.g. the database was down), the
run is marked failed here; if even that is impossible the verdict becomes ``FAIL`` so that RQ's
failed-job registry keeps the trace.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import structlog

from jobraker_core.errors import JobrakerError, UpstreamUnavailable

if TYPE_CHECKING:
    import uuid

    from jobraker_core.clock import Clock
    from jobraker_core.ports import UnitOfWorkFactory

log = structlog.get_logger("jobraker.workers")


class Verdict(enum.Enum):
    """What the task does with a failure."""

    RETRY = "retry"
    GIVE_UP = "give_up"
    FAIL = "fail"


def classify(error: BaseException, *, retries_left: int) -> Verdict:
    """Decide what ``error`` means for an attempt with ``retries_left`` retries after it."""
    if isinstance(error, UpstreamUnavailable):
        return Verdict.RETRY if retries_left > 0 else Verdict.GIVE_UP
    if isinstance(error, JobrakerError):
        return Verdict.GIVE_UP
    return Verdict.FAIL


def describe(error: BaseException) -> str:
    """Return a one-line reason for logs and the run record."""
    if isinstance(error, JobrakerError):
        return error.message
    # Like ``IngestJobs``: the message of an unexpected exception may hold anything (a URL with a
    # key, a row); the run shows its type, the log line has the traceback.
    return f"internal error ({type(error).__name__})"


def mark_run_failed(uow: UnitOfWorkFactory, clock: Clock, run_id: uuid.UUID, reason: str) -> bool:
    """Mark the run failed unless it is already final; return whether it is now final.

    Returns False when the run cannot be read or written (it does not exist, or storage is down).
    """
    try:
        with uow() as unit:
            run = unit.ingestions.get(run_id)
            if run.status.is_final:
                return True
            unit.ingestions.update(run.fail(clock.now(), reason, will_retry=False))
            unit.commit()
    except JobrakerError as error:
        log.warning("ingestion.mark_failed_impossible", run_id=str(run_id), error=error.message)
        return False
    return True


def settle_ingestion_failure(
    error: BaseException,
    *,
    run_id: uuid.UUID,
    retries_left: int,
    uow: UnitOfWorkFactory,
    clock: Clock,
) -> Verdict:
    """Log ``error`` from the ingestion of ``run_id``, make sure the run shows it, and decide."""
    verdict = classify(error, retries_left=retries_left)
    reason = describe(error)
    context = {
        "run_id": str(run_id),
        "error": reason,
        "error_type": type(error).__name__,
        "retries_left": retries_left,
    }
    if verdict is Verdict.RETRY:
        log.warning("ingestion.retrying", **context)
        return verdict
    if verdict is Verdict.GIVE_UP:
        log.error("ingestion.failed", **context)
        recorded = mark_run_failed(uow, clock, run_id, reason)
        if not recorded and isinstance(error, UpstreamUnavailable):
            return Verdict.FAIL  # storage is down too: keep the trace in RQ's failed registry
        return verdict
    log.error("ingestion.crashed", exc_info=error, **context)
    mark_run_failed(uow, clock, run_id, reason)
    return verdict
