"""Greenhouse and Lever boards ingested end to end through the worker task on real PostgreSQL."""

from __future__ import annotations

import attrs
import pytest
from dependency_injector import providers

from fakes.greenhouse_server import make_greenhouse_jobs, running_fake_greenhouse
from fakes.lever_server import make_lever_postings, running_fake_lever
from jobraker_adapters.container import build_container
from jobraker_adapters.sources.catalog import SourceCatalog
from jobraker_core.jobs.ingestion import RunStatus, SourceSpec
from jobraker_core.jobs.model import JobQuery
from jobraker_core.jobs.use_cases import SearchJobsQuery, StartIngestion
from jobraker_workers.tasks import execute_ingestion

pytestmark = pytest.mark.integration


def _ingest(container, spec):
    run = container.queue_ingestion()(StartIngestion(spec))
    execute_ingestion(container, str(run.id))
    return container.get_ingestion()(run.id)


def test_greenhouse_boards_are_ingested_by_the_worker_task(settings, db, redis_client):
    """Both configured boards are fetched; their jobs are stored and searchable, once."""
    boards = {
        "acme": make_greenhouse_jobs("acme", 3, company="Acme Inc"),
        "globex": make_greenhouse_jobs("globex", 2),
    }
    with running_fake_greenhouse(boards) as server:
        configured = attrs.evolve(
            settings,
            greenhouse_base_url=server.base_url,
            greenhouse_boards=(("acme", None), ("globex", "Globex Corp")),
        )
        container = build_container(configured)
        try:
            run = _ingest(container, SourceSpec("greenhouse"))
            again = _ingest(container, SourceSpec("greenhouse"))
            found = container.search_jobs()(SearchJobsQuery(JobQuery(company="Globex Corp")))
        finally:
            container.shutdown_resources()
    assert run.status is RunStatus.SUCCEEDED
    assert (run.counts.fetched, run.counts.new) == (5, 5)
    assert again.counts.new == 0
    assert found.total == 2
    job = found.items[0]
    assert job.source == "greenhouse"
    assert job.apply_url is not None
    assert job.apply_url.startswith("https://boards.greenhouse.io/globex/")


def test_lever_company_is_ingested_and_an_unknown_one_fails_the_run(settings, db, redis_client):
    """A Lever company's postings are stored with salary; an unknown company fails clearly."""
    with running_fake_lever({"initech": make_lever_postings("initech", 4)}) as server:
        container = build_container(attrs.evolve(settings, lever_base_url=server.base_url))
        try:
            run = _ingest(container, SourceSpec.of("lever", {"company": "initech"}))
            stored = container.search_jobs()(SearchJobsQuery(JobQuery(company="Initech")))
            missing = _ingest(container, SourceSpec.of("lever", {"company": "nosuch"}))
        finally:
            container.shutdown_resources()
    assert run.status is RunStatus.SUCCEEDED
    assert run.counts.new == 4
    assert sum(1 for job in stored.items if job.salary is not None) == 2
    assert missing.status is RunStatus.FAILED
    assert missing.error is not None
    assert "nosuch" in missing.error


def test_greenhouse_outage_is_retried_and_recorded(settings, db, redis_client):
    """A board down for every attempt leaves the run failed with the reason (no retries left)."""
    with running_fake_greenhouse({"acme": make_greenhouse_jobs("acme", 1)}) as server:
        server.fail_next(10, status=502)
        configured = attrs.evolve(settings, greenhouse_base_url=server.base_url)
        container = build_container(configured)
        container.job_sources.override(
            providers.Singleton(
                SourceCatalog,
                settings=configured,
                http=container.http_client,
                redis=container.redis,
                clock=container.clock,
                sleep=lambda _seconds: None,
            )
        )
        try:
            run = _ingest(container, SourceSpec.of("greenhouse", {"board": "acme"}))
        finally:
            container.shutdown_resources()
        assert len(server.requests) == 4
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert "HTTP 502" in run.error
