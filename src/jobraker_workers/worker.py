"""The worker process: an RQ worker on the Jobraker queue, with RQ's scheduler and ours.

RQ's scheduler (``with_scheduler=True``, a forked process, one active per queue) moves delayed
jobs and retries waiting out their back-off into the queue; without it a retried ingestion would
never run again. The ``ScheduleTicker`` thread enqueues the scheduled-ingestion tick once a
minute when ``JOBRAKER_SCHEDULES`` is set, and the notification dispatch (every minute) and
digests (every quarter hour) always (see ``jobraker_workers.scheduler`` for why it is not RQ's
cron).

Jobs are JSON (``rq.serializers.JSONSerializer``), the same serializer the ``TaskQueue`` adapter
writes with; a pickled job on this queue fails to deserialize instead of running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rq import Queue, Worker
from rq.serializers import JSONSerializer

from jobraker_adapters.container import Settings, build_container
from jobraker_workers.application_tasks import with_application_tasks
from jobraker_workers.instrumentation import measured
from jobraker_workers.notification_tasks import scheduled_tasks
from jobraker_workers.scheduler import ScheduleTicker

if TYPE_CHECKING:
    from rq.worker import BaseWorker

__all__ = ["JOB_SERIALIZER", "run_worker"]

JOB_SERIALIZER = JSONSerializer


def run_worker(
    settings: Settings,
    *,
    burst: bool = False,
    with_scheduler: bool = True,
    worker_class: type[BaseWorker] = Worker,
) -> bool:
    """Work the queue ``settings.queue_name`` until stopped; return whether any job ran.

    The worker stops on SIGINT/SIGTERM (after its current job) or, with ``burst``, when the queue
    is empty.

    ``worker_class`` is RQ's forking ``Worker`` by default; tests pass ``SimpleWorker``. The
    schedule ticker runs only in a long-lived worker with the scheduler on.
    """
    container = build_container(settings)
    ticker: ScheduleTicker | None = None
    try:
        connection = container.redis()
        queue = Queue(settings.queue_name, connection=connection, serializer=JOB_SERIALIZER)
        worker = measured(worker_class)([queue], connection=connection, serializer=JOB_SERIALIZER)
        if with_scheduler and not burst:
            ticker = ScheduleTicker(
                container.task_queue(),
                container.clock(),
                periodic=with_application_tasks(scheduled_tasks),
                ingestions=bool(settings.schedules),
            )
            ticker.start()
        return bool(
            worker.work(
                burst=burst, with_scheduler=with_scheduler, logging_level=settings.log_level
            )
        )
    finally:
        if ticker is not None:
            ticker.stop()
        container.shutdown_resources()
