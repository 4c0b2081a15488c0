"""Worker-side metrics: each job's duration and outcome, written to the fleet metrics in Redis.

RQ runs a job in a forked work horse that exits afterwards, so the numbers are added to Redis
(``jobraker_adapters.metrics.RedisMetricsSink``, over the worker's own connection) rather than
kept in memory; any API process's ``/metrics`` reads them (ADR 0017).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rq.job import JobStatus

from jobraker_adapters.metrics import RedisMetricsSink, record_task

if TYPE_CHECKING:
    from rq import Queue
    from rq.job import Job
    from rq.worker import BaseWorker


def measured(worker_class: type[BaseWorker]) -> type[BaseWorker]:
    """A subclass of ``worker_class`` that records every job it performs."""

    class MeasuredWorker(worker_class):  # type: ignore[valid-type,misc]
        """``worker_class`` recording each job's duration and outcome per queue and task."""

        def perform_job(self, job: Job, queue: Queue) -> Any:
            """Perform the job as RQ does, then record it (never failing the job for it)."""
            started = time.perf_counter()
            try:
                return super().perform_job(job, queue)
            finally:
                status = job.get_status(refresh=False)
                outcome = "succeeded" if status == JobStatus.FINISHED else "failed"
                record_task(
                    RedisMetricsSink(self.connection),
                    queue=queue.name,
                    task=job.func_name or "unknown",
                    outcome=outcome,
                    seconds=time.perf_counter() - started,
                )

    MeasuredWorker.__name__ = f"Measured{worker_class.__name__}"
    MeasuredWorker.__qualname__ = MeasuredWorker.__name__
    return MeasuredWorker
