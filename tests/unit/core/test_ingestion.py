"""Ingestion runs: their lifecycle, counts and rejections, and source specs."""

import uuid
from datetime import timedelta

import pytest
from core_builders import NOW
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from jobraker_core.errors import Conflict, InvalidInput
from jobraker_core.jobs.ingestion import (
    MAX_PARAM_LENGTH,
    MAX_PARAMS,
    MAX_REJECTIONS_KEPT,
    IngestionCounts,
    IngestionRun,
    RunStatus,
    SourceSpec,
)
from jobraker_core.jobs.model import Change, RejectedRecord

LATER = NOW + timedelta(minutes=5)


def queued() -> IngestionRun:
    """Queue a fresh run of the ``file`` source."""
    return IngestionRun.queue(
        SourceSpec.of("file", {"path": "/x.jsonl"}), run_id=uuid.uuid4(), at=NOW
    )


def test_a_queued_run_has_not_started():
    """A new run is queued, with no attempt, counts or times yet."""
    run = queued()
    assert run.status is RunStatus.QUEUED
    assert (run.attempts, run.started_at, run.finished_at, run.error) == (0, None, None, None)
    assert run.counts == IngestionCounts()


def test_a_run_goes_from_queued_through_running_to_succeeded():
    """Start, progress and succeed record the attempt, its counts and its times."""
    run = queued().start(NOW)
    assert (run.status, run.attempts, run.started_at) == (RunStatus.RUNNING, 1, NOW)
    counts = IngestionCounts().add(Change.NEW).add(Change.UPDATED).add(Change.UNCHANGED).reject()
    run = run.progress(counts, (RejectedRecord("line 4", "no title"),))
    done = run.succeed(LATER)
    assert (done.status, done.finished_at, done.error) == (RunStatus.SUCCEEDED, LATER, None)
    assert done.counts == IngestionCounts(fetched=4, new=1, updated=1, duplicate=1, rejected=1)
    assert done.rejections == (RejectedRecord("line 4", "no title"),)
    assert done.status.is_final


def test_a_failed_attempt_with_a_retry_coming_is_retrying():
    """A failure with another attempt to follow leaves the run open, showing the error."""
    run = queued().start(NOW).fail(LATER, "Adzuna is down", will_retry=True)
    assert (run.status, run.error, run.finished_at) == (RunStatus.RETRYING, "Adzuna is down", LATER)
    assert not run.status.is_final


def test_starting_again_resets_the_counts_and_counts_the_attempt():
    """A retry begins afresh: counts and rejections reset, attempts go up, finished_at clears."""
    run = queued().start(NOW)
    run = run.progress(IngestionCounts(fetched=3, new=3), (RejectedRecord("r", "bad"),))
    run = run.fail(LATER, "timeout", will_retry=True).start(LATER)
    assert (run.status, run.attempts, run.started_at, run.finished_at) == (
        RunStatus.RUNNING,
        2,
        LATER,
        None,
    )
    assert run.counts == IngestionCounts()
    assert run.rejections == ()


def test_a_run_left_running_by_a_dead_worker_can_start_again():
    """A redelivered run still marked running starts a new attempt."""
    run = queued().start(NOW).start(LATER)
    assert (run.status, run.attempts) == (RunStatus.RUNNING, 2)


def test_a_failure_without_retry_is_final():
    """A failure with no retry to follow fails the run for good; a queued run can fail too."""
    run = queued().start(NOW).fail(LATER, "x" * 5_000, will_retry=False)
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert len(run.error) == 2_000
    assert queued().fail(NOW, "could not queue", will_retry=False).status is RunStatus.FAILED


@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.FAILED])
def test_a_finished_run_cannot_be_restarted_or_changed(status):
    """Start, progress, succeed and fail on a finished run all raise Conflict."""
    running = queued().start(NOW)
    done = (
        running.succeed(LATER)
        if status is RunStatus.SUCCEEDED
        else running.fail(LATER, "boom", will_retry=False)
    )
    with pytest.raises(Conflict, match="already"):
        done.start(LATER)
    with pytest.raises(Conflict):
        done.progress(IngestionCounts(), ())
    with pytest.raises(Conflict):
        done.succeed(LATER)
    with pytest.raises(Conflict):
        done.fail(LATER, "again", will_retry=True)


@pytest.mark.parametrize(
    "make", [queued, lambda: queued().start(NOW).fail(NOW, "x", will_retry=True)]
)
def test_only_a_running_run_records_progress_or_succeeds(make):
    """Progress and success need a running attempt."""
    run = make()
    with pytest.raises(Conflict, match="not running"):
        run.progress(IngestionCounts(), ())
    with pytest.raises(Conflict, match="not running"):
        run.succeed(LATER)


def test_rejections_kept_are_capped_but_all_are_counted():
    """Only the first MAX_REJECTIONS_KEPT rejections are kept; counts.rejected counts them all."""
    rejections = tuple(RejectedRecord(f"line {n}", "bad") for n in range(MAX_REJECTIONS_KEPT + 50))
    counts = IngestionCounts()
    for _ in rejections:
        counts = counts.reject()
    run = queued().start(NOW).progress(counts, rejections)
    assert len(run.rejections) == MAX_REJECTIONS_KEPT
    assert run.rejections == rejections[:MAX_REJECTIONS_KEPT]
    assert run.counts.rejected == run.counts.fetched == MAX_REJECTIONS_KEPT + 50


@pytest.mark.parametrize(
    ("change", "field"),
    [(Change.NEW, "new"), (Change.UPDATED, "updated"), (Change.UNCHANGED, "duplicate")],
)
def test_counts_add_one_fetched_record_per_outcome(change, field):
    """Each stored record counts as fetched and as its outcome; an unchanged one is a duplicate."""
    counts = IngestionCounts().add(change)
    assert counts.fetched == 1
    assert getattr(counts, field) == 1
    assert sum((counts.new, counts.updated, counts.duplicate, counts.rejected)) == 1


OPEN = {RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.RETRYING}
RUNNING = {RunStatus.RUNNING}


class RunLifecycle(RuleBasedStateMachine):
    """Any sequence of operations on a run keeps its lifecycle's promises."""

    def __init__(self) -> None:
        """Begin with a queued run."""
        super().__init__()
        self.run = queued()
        self.history = [self.run]

    def _apply(self, operation, allowed_from: set[RunStatus]) -> None:
        """Apply ``operation``: it must succeed exactly from ``allowed_from``, else Conflict."""
        before = self.run
        try:
            after = operation(before)
        except Conflict:
            assert before.status not in allowed_from
            return
        assert before.status in allowed_from
        self.run = after
        self.history.append(after)

    @rule()
    def start(self) -> None:
        """Start an attempt: from queued, retrying, or running (a redelivery)."""
        self._apply(lambda run: run.start(LATER), OPEN)

    @rule(fetched=st.integers(0, 5))
    def progress(self, fetched: int) -> None:
        """Record progress: only while running."""
        self._apply(lambda run: run.progress(IngestionCounts(fetched=fetched), ()), RUNNING)

    @rule()
    def succeed(self) -> None:
        """Finish successfully: only while running."""
        self._apply(lambda run: run.succeed(LATER), RUNNING)

    @rule(will_retry=st.booleans())
    def fail(self, will_retry: bool) -> None:
        """Fail, with or without a retry to follow: from any open status."""
        self._apply(lambda run: run.fail(LATER, "boom", will_retry=will_retry), OPEN)

    @invariant()
    def keeps_its_promises(self) -> None:
        """Check that final stays final, attempts never fall, and running means unfinished."""
        statuses = [run.status for run in self.history]
        first_final = next((n for n, status in enumerate(statuses) if status.is_final), None)
        if first_final is not None:
            assert set(statuses[first_final:]) == {statuses[first_final]}
        attempts = [run.attempts for run in self.history]
        assert attempts == sorted(attempts)
        if self.run.status is RunStatus.RUNNING:
            assert self.run.finished_at is None
            assert self.run.attempts >= 1


TestRunLifecycle = RunLifecycle.TestCase


def test_source_spec_of_drops_empty_values_and_sorts():
    """A spec built from a mapping keeps only the given parameters, sorted by name."""
    spec = SourceSpec.of("adzuna", {"what": "python", "where": None, "country": "gb", "x": ""})
    assert spec == SourceSpec("adzuna", (("country", "gb"), ("what", "python")))
    assert spec.get("what") == "python"
    assert spec.get("where") is None
    assert spec.get("where", "london") == "london"


def test_source_specs_with_the_same_parameters_are_equal():
    """Parameter order does not make two specs different."""
    assert SourceSpec.of("file", {"b": "2", "a": "1"}) == SourceSpec.of(
        "file", {"a": "1", "b": "2"}
    )


def test_source_spec_limits_its_parameters():
    """At most MAX_PARAMS parameters, each name and value at most MAX_PARAM_LENGTH long."""
    SourceSpec.of("file", {f"p{n}": "v" for n in range(MAX_PARAMS)})
    with pytest.raises(InvalidInput) as too_many:
        SourceSpec.of("file", {f"p{n}": "v" for n in range(MAX_PARAMS + 1)})
    assert too_many.value.field == "params"
    with pytest.raises(InvalidInput):
        SourceSpec.of("file", {"path": "x" * (MAX_PARAM_LENGTH + 1)})
    with pytest.raises(InvalidInput):
        SourceSpec.of("file", {"x" * (MAX_PARAM_LENGTH + 1): "v"})
