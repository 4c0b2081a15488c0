"""The ``TaskQueue`` port on RQ (Redis Queue), and the Redis client every Redis adapter shares.

Payloads are JSON (RQ's ``JSONSerializer``), never pickle: a task is a dotted path plus string
arguments. Every job carries a ``job_id`` and is enqueued with ``unique=True``, so enqueueing an id
that still exists in Redis (waiting, scheduled, running, or finished within RQ's ``result_ttl``)
does nothing. RQ is at-least-once, so the tasks themselves are idempotent; this only stops the
queue from holding the same job twice.

Facts of rq 2.12.0 this module relies on (checked against its source):

- ``Queue.enqueue(..., unique=True)`` raises ``DuplicateJobError`` when the job hash exists.
- ``Queue.enqueue_in``/``enqueue_at`` parse ``unique`` but ignore it (a second ``enqueue_in`` with
  the same id silently overwrites the job), so delayed jobs are built with ``create_job`` and
  handed to ``schedule_job(..., unique=True)``, which does check atomically.
- ``Retry(max, interval=[...])`` picks interval ``[len - retries_left]``, reusing the *first*
  interval when ``max`` exceeds the list, so the list given here always has ``max`` entries.
  Retries after an interval (and delayed jobs) need a worker started with ``with_scheduler=True``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from jobraker_core.errors import UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "DEFAULT_JOB_TIMEOUT",
    "DEFAULT_RETRIES",
    "JOB_SERIALIZER",
    "RQTaskQueue",
    "open_redis",
    "retry_intervals",
]

JOB_SERIALIZER: Final = JSONSerializer
DEFAULT_RETRIES: Final = 3
DEFAULT_RETRY_BASE_SECONDS: Final = 30
MAX_RETRY_INTERVAL_SECONDS: Final = 3_600
DEFAULT_JOB_TIMEOUT: Final = 2 * 3_600  # an Adzuna crawl under its quota can take long
SOCKET_CONNECT_TIMEOUT: Final = 2.0
SOCKET_TIMEOUT: Final = 10.0


class _RedisEndpoint(Protocol):
    @property
    def redis_url(self) -> str: ...


def open_redis(endpoints: _RedisEndpoint) -> Iterator[Redis]:
    """Yield a Redis client for ``endpoints.redis_url``; close its pool afterwards.

    Timeouts are short so a dead Redis fails fast (``UpstreamUnavailable`` in the adapters) rather
    than hanging a request; an RQ worker raises the socket timeout above its blocking-pop timeout
    itself. Responses stay bytes, as RQ requires.
    """
    client = Redis.from_url(
        endpoints.redis_url,
        socket_connect_timeout=SOCKET_CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        health_check_interval=30,
    )
    try:
        yield client
    finally:
        client.close()


def retry_intervals(retries: int, base_seconds: int) -> list[int]:
    """Back-off before each retry: ``base``, ``4·base``, ``16·base``, ... capped at an hour."""
    return [
        min(base_seconds * 4**attempt, MAX_RETRY_INTERVAL_SECONDS) for attempt in range(retries)
    ]


class RQTaskQueue:
    """A ``TaskQueue`` that puts JSON jobs on the RQ queue ``queue_name``.

    Every job is retried ``retries`` times after a failure, waiting ``retry_intervals(retries,
    retry_base_seconds)`` in between (``retry_base_seconds=0`` retries at once), and is killed after
    ``job_timeout`` seconds. Redis errors become ``UpstreamUnavailable(service="redis")``.
    """

    def __init__(
        self,
        redis: Redis,
        queue_name: str,
        *,
        retries: int = DEFAULT_RETRIES,
        retry_base_seconds: int = DEFAULT_RETRY_BASE_SECONDS,
        job_timeout: int = DEFAULT_JOB_TIMEOUT,
    ) -> None:
        """Put jobs on ``queue_name`` through ``redis``, with this retry policy and timeout."""
        if retries < 0 or retry_base_seconds < 0 or job_timeout < 1:
            raise ValueError("retries and retry_base_seconds must be >= 0, job_timeout >= 1")
        self._queue = Queue(queue_name, connection=redis, serializer=JOB_SERIALIZER)
        self._retry = (
            Retry(max=retries, interval=retry_intervals(retries, retry_base_seconds))
            if retries
            else None
        )
        self._job_timeout = job_timeout

    @property
    def queue(self) -> Queue:
        """The RQ queue jobs go to (for workers and tests)."""
        return self._queue

    def enqueue(self, task: str, *args: str, job_id: str, delay_seconds: float = 0) -> None:
        """Queue ``task(*args)`` as job ``job_id``; do nothing if that job already exists."""
        try:
            if delay_seconds > 0:
                job = self._queue.create_job(
                    task,
                    args=args,
                    job_id=job_id,
                    timeout=self._job_timeout,
                    retry=self._retry,
                    status=JobStatus.SCHEDULED,
                )
                when = datetime.now(UTC) + timedelta(seconds=delay_seconds)
                self._queue.schedule_job(job, when, unique=True)
            else:
                self._queue.enqueue(
                    task,
                    args=args,
                    job_id=job_id,
                    job_timeout=self._job_timeout,
                    retry=self._retry,
                    unique=True,
                )
        except DuplicateJobError:
            return
        except RedisError as error:
            raise UpstreamUnavailable(
                f"the task queue is unreachable: {error}", service="redis"
            ) from error
