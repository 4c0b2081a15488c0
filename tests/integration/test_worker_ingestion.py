"""A real RQ worker (burst mode) running queued ingestions on the test PostgreSQL and Redis.

Success, a transient failure retried then succeeding, retries running out, permanent failures, a
crash, and the scheduled-ingestion tick.
"""

import json

import attrs
import pytest
from dependency_injector import providers
from rq import SimpleWorker
from rq.job import Job, JobStatus

from fakes.adzuna_server import running_fake_adzuna
from jobraker_adapters.container import build_container
from jobraker_adapters.memory import InMemoryJobSource, InMemoryJobSourceCatalog
from jobraker_adapters.redis_queue import JOB_SERIALIZER, RQTaskQueue
from jobraker_adapters.settings import Settings
from jobraker_core.jobs.ingestion import RunStatus, SourceSpec
from jobraker_core.jobs.model import JobDraft, JobQuery
from jobraker_core.jobs.use_cases import SearchJobsQuery, StartIngestion
from jobraker_core.pagination import PageRequest
from jobraker_workers.scheduler import SCHEDULE_TASK
from jobraker_workers.tasks import execute_ingestion
from jobraker_workers.worker import run_worker

pytestmark = pytest.mark.integration


@pytest.fixture
def queueing(pg_container, settings):
    """Return the container that queues runs, retrying twice without waiting."""
    pg_container.task_queue.override(
        providers.Singleton(
            RQTaskQueue,
            redis=pg_container.redis,
            queue_name=settings.queue_name,
            retries=2,
            retry_base_seconds=0,
        )
    )
    return pg_container


def _work(settings):
    return run_worker(settings, burst=True, worker_class=SimpleWorker)


def _rq_job(container, run):
    return Job.fetch(f"ingestion-{run.id}", connection=container.redis(), serializer=JOB_SERIALIZER)


def _adzuna(worker_env, settings, server, key=None):
    worker_env.setenv("ADZUNA_APP_ID", server.app_id)
    worker_env.setenv("ADZUNA_API_KEY", key or server.app_key)
    worker_env.setenv("ADZUNA_BASE_URL", server.base_url)
    return attrs.evolve(
        settings,
        adzuna_app_id=server.app_id,
        adzuna_app_key=key or server.app_key,
        adzuna_base_url=server.base_url,
    )


def _queue(container, spec):
    return container.queue_ingestion()(StartIngestion(spec))


def test_worker_ingests_a_queued_feed(queueing, settings, worker_env, tmp_path):
    """A queued feed is ingested by the worker: jobs stored, counts and rejections on the run."""
    feed = tmp_path / "feed.jsonl"
    lines = [
        json.dumps(
            {
                "source_id": f"s{n}",
                "title": f"Rust engineer {n}",
                "description": "Systems work.",
                "company": f"Firm {n}",
            }
        )
        for n in range(3)
    ]
    feed.write_text("\n".join([*lines, "{not json"]) + "\n")
    run = _queue(queueing, SourceSpec.of("file", {"path": str(feed)}))

    assert _work(settings) is True

    stored = queueing.get_ingestion()(run.id)
    assert stored.status is RunStatus.SUCCEEDED
    assert (stored.counts.new, stored.counts.rejected) == (3, 1)
    assert stored.rejections[0].ref == "line 4"
    found = queueing.search_jobs()(SearchJobsQuery(JobQuery(text="rust engineer")))
    assert found.total == 3
    job = _rq_job(queueing, run)
    assert job.get_status() is JobStatus.FINISHED
    assert job.meta["progress"]["new"] == 3
    assert job.return_value()["status"] == "succeeded"


def test_transient_failure_is_retried_then_succeeds(queueing, settings, worker_env):
    """Adzuna saying "slow down" fails the first attempt; RQ retries and the run succeeds."""
    with running_fake_adzuna() as server:
        adzuna_settings = _adzuna(worker_env, settings, server)
        container = build_container(adzuna_settings)
        container.task_queue.override(queueing.task_queue)
        try:
            server.rate_limit_next(1, retry_after="3600")
            run = _queue(container, SourceSpec.of("adzuna", {"country": "gb", "what": "python"}))
            _work(settings)
        finally:
            container.shutdown_resources()
        assert len(server.search_requests()) == 2

    stored = queueing.get_ingestion()(run.id)
    assert stored.status is RunStatus.SUCCEEDED
    assert stored.attempts == 2
    assert stored.error is None
    assert stored.counts.new > 0
    assert _rq_job(queueing, run).get_status() is JobStatus.FINISHED


def test_failure_outlasting_the_retries_is_visible_on_the_run(queueing, settings, worker_env):
    """When every attempt fails, the run is failed with the reason after 1 + retries attempts."""
    with running_fake_adzuna() as server:
        adzuna_settings = _adzuna(worker_env, settings, server)
        container = build_container(adzuna_settings)
        container.task_queue.override(queueing.task_queue)
        try:
            server.rate_limit_next(3, retry_after="3600")
            run = _queue(container, SourceSpec.of("adzuna", {"country": "gb", "what": "python"}))
            _work(settings)
        finally:
            container.shutdown_resources()

    stored = queueing.get_ingestion()(run.id)
    assert stored.status is RunStatus.FAILED
    assert stored.attempts == 3
    assert "slow down" in stored.error
    assert _rq_job(queueing, run).get_status() is JobStatus.FINISHED


def test_permanent_failure_is_not_retried(queueing, settings, worker_env):
    """Credentials Adzuna refuses fail the run once, with the reason, and RQ does not retry."""
    with running_fake_adzuna() as server:
        wrong = _adzuna(worker_env, settings, server, key="not-the-key")
        container = build_container(wrong)
        container.task_queue.override(queueing.task_queue)
        try:
            run = _queue(container, SourceSpec.of("adzuna", {"country": "gb", "what": "python"}))
            _work(settings)
        finally:
            container.shutdown_resources()
        assert len(server.search_requests()) == 1

    stored = queueing.get_ingestion()(run.id)
    assert stored.status is RunStatus.FAILED
    assert stored.attempts == 1
    assert "check ADZUNA_APP_ID" in stored.error
    assert "not-the-key" not in stored.error


def test_missing_feed_file_fails_the_run(queueing, settings, worker_env, tmp_path):
    """A feed file that is not there is a permanent failure recorded on the run."""
    run = _queue(queueing, SourceSpec.of("file", {"path": str(tmp_path / "gone.jsonl")}))
    _work(settings)
    stored = queueing.get_ingestion()(run.id)
    assert stored.status is RunStatus.FAILED
    assert stored.attempts == 1
    assert stored.error


def crashing_ingestion(run_id):
    """Run an ingestion whose source has a bug: it raises a plain ``RuntimeError``."""
    container = build_container(Settings.from_os())
    catalog = InMemoryJobSourceCatalog(
        {
            "demo": InMemoryJobSource(
                [JobDraft(source="demo", source_id="1", title="T", description="D")],
                error=RuntimeError("bug"),
            )
        }
    )
    container.job_sources.override(providers.Object(catalog))
    try:
        return execute_ingestion(container, run_id)
    finally:
        container.shutdown_resources()


def test_unexpected_exception_fails_the_job_once(queueing, settings, worker_env):
    """A bug fails the run and the RQ job (with its traceback) without being retried."""
    queueing.job_sources.override(
        providers.Object(InMemoryJobSourceCatalog({"demo": InMemoryJobSource()}))
    )
    run = queueing.queue_ingestion()(StartIngestion(SourceSpec("demo")))
    rq_queue = queueing.task_queue().queue
    rq_queue.remove(f"ingestion-{run.id}")
    rq_queue.connection.delete(f"rq:job:ingestion-{run.id}")
    queueing.task_queue().enqueue(
        f"{__name__}.crashing_ingestion", str(run.id), job_id=f"crash-{run.id}"
    )
    _work(settings)

    stored = queueing.get_ingestion()(run.id)
    assert stored.status is RunStatus.FAILED
    assert stored.attempts == 1
    job = Job.fetch(f"crash-{run.id}", connection=queueing.redis(), serializer=JOB_SERIALIZER)
    assert job.get_status() is JobStatus.FAILED
    assert "RuntimeError: bug" in job.latest_result().exc_string


def test_schedule_tick_queues_and_runs_each_slot_once(queueing, settings, worker_env, tmp_path):
    """The tick task queues a run per configured schedule; a second tick in the slot adds none."""
    feed = tmp_path / "scheduled.jsonl"
    feed.write_text(json.dumps({"source_id": "1", "title": "Scheduled job", "description": "D"}))
    schedules = [
        {"name": "nightly", "kind": "file", "params": {"path": str(feed)}, "every_minutes": 1440}
    ]
    worker_env.setenv("JOBRAKER_SCHEDULES", json.dumps(schedules))
    tasks = queueing.task_queue()
    tasks.enqueue(SCHEDULE_TASK, job_id="schedule-ingestions-1")
    _work(settings)
    tasks.enqueue(SCHEDULE_TASK, job_id="schedule-ingestions-2")
    _work(settings)

    runs = queueing.list_ingestions()(PageRequest()).items
    assert len(runs) == 1
    assert runs[0].schedule_key.startswith("nightly:")
    assert runs[0].status is RunStatus.SUCCEEDED
