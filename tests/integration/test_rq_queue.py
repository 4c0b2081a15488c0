"""The RQ ``TaskQueue`` adapter on a real Redis: JSON payloads, unique ids, delays, retries."""

import json
import socket
import zlib

import pytest
from redis import Redis
from rq import Queue
from rq.exceptions import DeserializationError
from rq.job import Job

from jobraker_adapters.redis_queue import (
    DEFAULT_JOB_TIMEOUT,
    JOB_SERIALIZER,
    RQTaskQueue,
    open_redis,
    retry_intervals,
)
from jobraker_core.errors import UpstreamUnavailable

pytestmark = pytest.mark.integration

TASK = "jobraker_workers.tasks.run_ingestion"


def _raw_payload(redis_client, job_id):
    return json.loads(zlib.decompress(redis_client.hget(f"rq:job:{job_id}", "data")))


def test_payload_is_json_with_the_dotted_path_and_string_args(redis_client):
    """What lands in Redis is plain JSON naming the task by path: never a pickle."""
    RQTaskQueue(redis_client, "test").enqueue(TASK, "run-1", job_id="ingestion-run-1")
    assert _raw_payload(redis_client, "ingestion-run-1") == [TASK, None, ["run-1"], {}]
    job = Job.fetch("ingestion-run-1", connection=redis_client, serializer=JOB_SERIALIZER)
    assert (job.func_name, list(job.args)) == (TASK, ["run-1"])


def test_same_job_id_twice_is_one_job(redis_client):
    """Enqueueing an id that is already waiting does nothing the second time."""
    queue = RQTaskQueue(redis_client, "test")
    queue.enqueue(TASK, "first", job_id="ingestion-x")
    queue.enqueue(TASK, "second", job_id="ingestion-x")
    assert queue.queue.job_ids == ["ingestion-x"]
    assert _raw_payload(redis_client, "ingestion-x")[2] == ["first"]


def test_delay_puts_the_job_in_the_scheduled_registry_once(redis_client):
    """A delayed job waits in the scheduled registry, not the queue; its id stays unique."""
    queue = RQTaskQueue(redis_client, "test")
    queue.enqueue(TASK, "later", job_id="ingestion-later", delay_seconds=120)
    registry = queue.queue.scheduled_job_registry
    first_time = registry.get_scheduled_time("ingestion-later")
    queue.enqueue(TASK, "again", job_id="ingestion-later", delay_seconds=600)
    assert queue.queue.count == 0
    assert registry.get_job_ids() == ["ingestion-later"]
    assert registry.get_scheduled_time("ingestion-later") == first_time
    assert _raw_payload(redis_client, "ingestion-later")[2] == ["later"]


def test_jobs_carry_the_retry_policy_and_timeout(redis_client):
    """Every job retries with growing back-off and may run for the ingestion timeout."""
    RQTaskQueue(redis_client, "test", retries=3).enqueue(TASK, "r", job_id="ingestion-r")
    job = Job.fetch("ingestion-r", connection=redis_client, serializer=JOB_SERIALIZER)
    assert job.retries_left == 3
    assert job.retry_intervals == retry_intervals(3, 30) == [30, 120, 480]
    assert job.timeout == DEFAULT_JOB_TIMEOUT


def test_no_retries_means_no_retry_policy(redis_client):
    """With ``retries=0`` a failed job is not retried."""
    RQTaskQueue(redis_client, "test", retries=0).enqueue(TASK, "n", job_id="ingestion-n")
    job = Job.fetch("ingestion-n", connection=redis_client, serializer=JOB_SERIALIZER)
    assert job.retries_left is None


def test_a_pickling_reader_cannot_run_our_jobs(redis_client):
    """The queue is JSON end to end: RQ's default (pickle) serializer cannot even read a job."""
    RQTaskQueue(redis_client, "test").enqueue(TASK, "p", job_id="ingestion-p")
    job = Queue("test", connection=redis_client).fetch_job("ingestion-p")
    with pytest.raises(DeserializationError):
        _ = job.args


def test_unreachable_redis_is_upstream_unavailable():
    """A Redis that does not answer becomes ``UpstreamUnavailable`` naming redis."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    with pytest.raises(UpstreamUnavailable) as raised:
        RQTaskQueue(client, "test").enqueue(TASK, "x", job_id="ingestion-down")
    assert raised.value.service == "redis"
    with pytest.raises(UpstreamUnavailable):
        RQTaskQueue(client, "test").enqueue(TASK, "x", job_id="ingestion-down", delay_seconds=5)


def test_open_redis_gives_a_client_with_timeouts_and_closes_it(services):
    """The shared client answers, fails fast when Redis hangs, and is closed afterwards."""
    resource = open_redis(services)
    client = next(resource)
    assert client.ping()
    kwargs = client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] <= 10
    assert kwargs["socket_connect_timeout"] <= 5
    with pytest.raises(StopIteration):
        next(resource)
