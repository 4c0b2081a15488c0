"""The one mapping from the error tree to what RQ does with a failed ingestion."""

import uuid

import pytest

from jobraker_adapters.container import build_memory_container
from jobraker_core.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    NotFound,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.jobs.ingestion import IngestionRun, RunStatus, SourceSpec
from jobraker_workers.errors import Verdict, classify, describe, settle_ingestion_failure

PERMANENT = [
    ConfigurationError("Adzuna rejected the credentials"),
    UpstreamRejected("bad request", service="adzuna"),
    InvalidInput("no such feed file", field="path"),
    NotFound("ingestion run not found"),
    Conflict("ingestion run has already succeeded"),
]


@pytest.mark.parametrize("retries_left", [1, 3])
@pytest.mark.parametrize(
    "error",
    [
        UpstreamUnavailable("timeout", service="adzuna"),
        RateLimited("429", service="adzuna", retry_after=30),
    ],
)
def test_transient_error_with_retries_left_is_retried(error, retries_left):
    """A transient error is re-raised for RQ to retry while retries are left."""
    assert classify(error, retries_left=retries_left) is Verdict.RETRY


def test_transient_error_without_retries_left_gives_up():
    """The last attempt of a transient failure gives up instead of retrying."""
    assert classify(UpstreamUnavailable("down", service="redis"), retries_left=0) is Verdict.GIVE_UP


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("retries_left", [0, 3])
def test_permanent_errors_give_up_whatever_the_retries(error, retries_left):
    """Configuration, rejected, invalid, missing and conflicting runs are never retried."""
    assert classify(error, retries_left=retries_left) is Verdict.GIVE_UP


def test_unexpected_exceptions_fail():
    """An exception outside the error tree is a bug: the task fails."""
    assert classify(KeyError("x"), retries_left=3) is Verdict.FAIL


def test_describe_uses_the_domain_message_or_names_the_exception():
    """Domain errors keep their message; others only name their type (messages may hold secrets)."""
    assert describe(InvalidInput("no such feed file")) == "no such feed file"
    assert describe(ZeroDivisionError("secret-token")) == "internal error (ZeroDivisionError)"


def _queued_run(container):
    run = IngestionRun.queue(SourceSpec("demo"), run_id=uuid.uuid4(), at=container.clock().now())
    with container.uow()() as uow:
        uow.ingestions.add(run)
        uow.commit()
    return run


def _stored(container, run):
    with container.uow()() as uow:
        return uow.ingestions.get(run.id)


def test_unexpected_exception_marks_the_run_failed():
    """A crash leaves the run failed with the exception named, not stuck in queued."""
    container = build_memory_container()
    run = _queued_run(container)
    verdict = settle_ingestion_failure(
        RuntimeError("boom"),
        run_id=run.id,
        retries_left=2,
        uow=container.uow(),
        clock=container.clock(),
    )
    assert verdict is Verdict.FAIL
    stored = _stored(container, run)
    assert stored.status is RunStatus.FAILED
    assert stored.error == "internal error (RuntimeError)"


def test_exhausted_transient_failure_before_start_marks_the_run_failed():
    """A run that failed before it started (database down) still ends up failed on its record."""
    container = build_memory_container()
    run = _queued_run(container)
    verdict = settle_ingestion_failure(
        UpstreamUnavailable("database unreachable", service="postgresql"),
        run_id=run.id,
        retries_left=0,
        uow=container.uow(),
        clock=container.clock(),
    )
    assert verdict is Verdict.GIVE_UP
    assert _stored(container, run).status is RunStatus.FAILED
    assert _stored(container, run).error == "database unreachable"


def test_retry_leaves_the_run_to_the_next_attempt():
    """A retried failure does not finish the run."""
    container = build_memory_container()
    run = _queued_run(container)
    verdict = settle_ingestion_failure(
        UpstreamUnavailable("timeout", service="adzuna"),
        run_id=run.id,
        retries_left=1,
        uow=container.uow(),
        clock=container.clock(),
    )
    assert verdict is Verdict.RETRY
    assert _stored(container, run).status is RunStatus.QUEUED


def test_finished_run_is_left_as_it_is():
    """A conflict on a finished run (a duplicate delivery) gives up without touching the run."""
    container = build_memory_container()
    run = _queued_run(container)
    done = run.start(container.clock().now()).succeed(container.clock().now())
    with container.uow()() as uow:
        uow.ingestions.update(done)
        uow.commit()
    verdict = settle_ingestion_failure(
        Conflict("already succeeded"),
        run_id=run.id,
        retries_left=3,
        uow=container.uow(),
        clock=container.clock(),
    )
    assert verdict is Verdict.GIVE_UP
    assert _stored(container, run) == done


def test_missing_run_gives_up():
    """A run that does not exist (deleted data) is logged and dropped."""
    container = build_memory_container()
    verdict = settle_ingestion_failure(
        NotFound("ingestion run not found"),
        run_id=uuid.uuid4(),
        retries_left=3,
        uow=container.uow(),
        clock=container.clock(),
    )
    assert verdict is Verdict.GIVE_UP


def test_transient_failure_that_cannot_be_recorded_fails_in_rq():
    """When storage is down too, the failure is kept by RQ instead of vanishing."""
    container = build_memory_container()

    def broken_uow():
        raise UpstreamUnavailable("database unreachable", service="postgresql")

    verdict = settle_ingestion_failure(
        UpstreamUnavailable("database unreachable", service="postgresql"),
        run_id=uuid.uuid4(),
        retries_left=0,
        uow=broken_uow,
        clock=container.clock(),
    )
    assert verdict is Verdict.FAIL
