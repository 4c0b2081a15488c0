"""Scheduled ingestion: each configured ``Schedule`` is ingested once per time slot.

Time is cut into slots of ``every_minutes`` minutes counted from the Unix epoch
(``slot = minutes_since_epoch // every_minutes``). Once a minute the task
``jobraker_workers.tasks.schedule_ingestions`` asks ``QueueIngestion`` for a run of every schedule
with ``schedule_key = f"{name}:{slot}"``; the database keeps that key unique, so a slot runs once
however many workers tick, and a slot whose start was missed (no worker was up) still runs when
one comes back within the slot.

Why a loop thread and not RQ's own cron (checked against the installed rq 2.12.0 source):
``rq.cron.CronJob.enqueue`` builds ``Queue(name, connection=...)`` without a serializer, so cron
jobs are always pickled and a worker reading JSON cannot run them (and Jobraker never pickles);
the ``CronScheduler`` is also a separate blocking process (``rq cron config.py``) that installs
signal handlers, keeps its schedule in process memory and is marked beta. RQ's ``Repeat`` stops
re-scheduling after a failed run. So each worker runs a ``ScheduleTicker`` thread that, at every
minute boundary, enqueues the tick task under the job id ``schedule-ingestions-<minute>``: with
the queue's ``unique`` job ids, several workers produce one tick job per minute, and the tick runs
in a work horse like any other job (no database work in the worker's parent process).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import structlog

from jobraker_core.errors import JobrakerError
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.use_cases import QueueIngestion, StartIngestion

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from jobraker_adapters.settings import Schedule
    from jobraker_core.clock import Clock
    from jobraker_core.ports import TaskQueue

SCHEDULE_TASK: Final = "jobraker_workers.tasks.schedule_ingestions"
TICK_SECONDS: Final = 60

log = structlog.get_logger("jobraker.workers")

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def minutes_since_epoch(now: datetime) -> int:
    """Whole minutes from the Unix epoch to ``now`` (an aware datetime)."""
    return int((now - _EPOCH).total_seconds() // 60)


def slot_of(schedule: Schedule, now: datetime) -> int:
    """Return the number of the slot of ``schedule`` that ``now`` falls in."""
    return minutes_since_epoch(now) // max(schedule.every_minutes, 1)


def schedule_key(schedule: Schedule, now: datetime) -> str:
    """Return the key of the run of ``schedule`` for the slot ``now`` falls in."""
    return f"{schedule.name}:{slot_of(schedule, now)}"


def queue_due_ingestions(
    queue_ingestion: QueueIngestion, schedules: Sequence[Schedule], now: datetime
) -> list[IngestionRun]:
    """Queue a run of every schedule whose current slot has none yet; return the runs queued.

    A schedule that cannot be queued (bad parameters, a source without credentials, the queue
    down) is logged and skipped; the others still run.
    """
    queued: list[IngestionRun] = []
    for schedule in schedules:
        key = schedule_key(schedule, now)
        try:
            spec = SourceSpec(schedule.kind, schedule.params)
            run = queue_ingestion(StartIngestion(spec, schedule_key=key))
        except JobrakerError as error:
            log.error(  # noqa: TRY400 - an expected refusal: the reason, not a traceback
                "schedule.not_queued", schedule=schedule.name, key=key, error=error.message
            )
            continue
        if run is not None:
            log.info("schedule.queued", schedule=schedule.name, key=key, run_id=str(run.id))
            queued.append(run)
    return queued


class ScheduleTicker:
    """A daemon thread that enqueues the schedule task once a minute, on the minute.

    ``tick`` does one enqueue (the thread calls it at start and at every minute boundary); a
    failed enqueue (Redis down) is logged and the next minute tries again. ``periodic`` names
    more (task, job id) pairs to enqueue at a minute (the notification dispatch, the digests:
    ``jobraker_workers.notification_tasks.scheduled_tasks``); ``ingestions=False`` leaves the
    schedule task out (no schedules configured).
    """

    def __init__(
        self,
        queue: TaskQueue,
        clock: Clock,
        *,
        periodic: Callable[[int], Sequence[tuple[str, str]]] | None = None,
        ingestions: bool = True,
    ) -> None:
        """Tick onto ``queue`` by ``clock``; call ``start`` to begin."""
        self._queue = queue
        self._clock = clock
        self._periodic = periodic
        self._ingestions = ingestions
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> str | None:
        """Enqueue the schedule task for the current minute; return its job id (None on error)."""
        minute = minutes_since_epoch(self._clock.now())
        job_id = f"schedule-ingestions-{minute}"
        try:
            for task, periodic_id in self._periodic(minute) if self._periodic else ():
                self._queue.enqueue(task, periodic_id, job_id=periodic_id)
            if not self._ingestions:
                return None
            self._queue.enqueue(SCHEDULE_TASK, job_id=job_id)
        except JobrakerError as error:
            log.warning("schedule.tick_failed", error=error.message)
            return None
        return job_id

    def seconds_to_next_minute(self) -> float:
        """How long until the next minute boundary (at least a tenth of a second)."""
        now = self._clock.now()
        return max(TICK_SECONDS - (now.second + now.microsecond / 1e6), 0.1)

    def start(self) -> None:
        """Start ticking in a daemon thread; the first tick is immediate."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="jobraker-schedule", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop ticking and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            self.tick()
            if self._stop.wait(self.seconds_to_next_minute()):
                return
