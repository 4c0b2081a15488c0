"""The ingestion task on the in-memory container: counts, progress and failures on the run."""

import uuid

import pytest

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory import InMemoryJobSource
from jobraker_core.errors import ConfigurationError, UpstreamUnavailable
from jobraker_core.jobs.ingestion import IngestionRun, RunStatus, SourceSpec
from jobraker_core.jobs.model import JobDraft, RejectedRecord
from jobraker_workers.tasks import execute_ingestion


def _drafts(count):
    return [
        JobDraft(
            source="demo",
            source_id=f"job-{n}",
            title=f"Python developer {n}",
            description=f"Build things, number {n}.",
            company=f"Company {n}",
        )
        for n in range(count)
    ]


def _container(source):
    container = build_memory_container()
    container.job_sources().sources = {"demo": source}
    run = IngestionRun.queue(SourceSpec("demo"), run_id=uuid.uuid4(), at=container.clock().now())
    with container.uow()() as uow:
        uow.ingestions.add(run)
        uow.commit()
    return container, run


def _stored(container, run):
    with container.uow()() as uow:
        return uow.ingestions.get(run.id)


def test_ingestion_returns_its_counts_as_json():
    """A successful run returns plain JSON counts and is stored succeeded."""
    container, run = _container(InMemoryJobSource([*_drafts(3), RejectedRecord("line 4", "bad")]))
    result = execute_ingestion(container, str(run.id))
    assert result == {
        "run_id": str(run.id),
        "status": "succeeded",
        "fetched": 4,
        "new": 3,
        "updated": 0,
        "duplicate": 0,
        "rejected": 1,
    }
    assert _stored(container, run).status is RunStatus.SUCCEEDED


def test_permanent_failure_is_recorded_and_not_raised():
    """A permanent error fails the run with its reason and returns, so RQ does not retry."""
    source = InMemoryJobSource(_drafts(2), error=ConfigurationError("Adzuna rejected the keys"))
    container, run = _container(source)
    assert execute_ingestion(container, str(run.id)) is None
    stored = _stored(container, run)
    assert stored.status is RunStatus.FAILED
    assert stored.error == "Adzuna rejected the keys"


def test_transient_failure_on_the_last_attempt_fails_the_run():
    """Outside RQ there are no retries: a transient error is the last attempt's failure."""
    source = InMemoryJobSource(_drafts(1), error=UpstreamUnavailable("503", service="adzuna"))
    container, run = _container(source)
    assert execute_ingestion(container, str(run.id)) is None
    assert _stored(container, run).status is RunStatus.FAILED


def test_unexpected_exception_fails_the_run_and_is_raised():
    """A bug is raised (so RQ keeps the traceback) and the run says it failed."""
    container, run = _container(InMemoryJobSource(_drafts(1), error=RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        execute_ingestion(container, str(run.id))
    stored = _stored(container, run)
    assert stored.status is RunStatus.FAILED
    assert stored.error == "internal error (RuntimeError)"


def test_finished_run_delivered_again_is_ignored():
    """RQ delivering a finished run again changes nothing."""
    container, run = _container(InMemoryJobSource(_drafts(2)))
    execute_ingestion(container, str(run.id))
    before = _stored(container, run)
    assert execute_ingestion(container, str(run.id)) is None
    assert _stored(container, run) == before


def test_unknown_or_malformed_run_ids_are_dropped():
    """A task for a run that does not exist, or a malformed id, is dropped without raising."""
    container, _ = _container(InMemoryJobSource())
    assert execute_ingestion(container, str(uuid.uuid4())) is None
    assert execute_ingestion(container, "not-a-uuid") is None
