"""One contract for every ``ApplicationSubmitter``: the dry run and Skyvern on the fake server."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import httpx
import pytest

from fakes.skyvern_server import FakeSkyvernServer
from jobraker_adapters.submitters.dry_run import DryRunSubmitter
from jobraker_adapters.submitters.skyvern import SkyvernSubmitter
from jobraker_core.applications.submission import ApplicationSubmitter, RunReport, RunState
from jobraker_core.errors import NotFound, UpstreamRejected
from submission_builders import make_submission


@attrs.frozen
class Subject:
    """A submitter under test and what its adapter promises beyond the contract."""

    submitter: ApplicationSubmitter
    dry_run: bool
    requests_sent: object  # () -> int: calls that reached the vendor so far


@pytest.fixture(params=["dry_run", "skyvern"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    """Give each submitter: the dry run, and Skyvern over a fake Skyvern server."""
    if request.param == "dry_run":
        yield Subject(DryRunSubmitter(), dry_run=True, requests_sent=lambda: 0)
        return
    with (
        FakeSkyvernServer() as fake,
        httpx.Client(timeout=httpx.Timeout(2.0, connect=2.0)) as http,
    ):
        submitter = SkyvernSubmitter(
            http=http, api_key=fake.api_key, base_url=fake.base_url, sleep=lambda _: None
        )
        yield Subject(submitter, dry_run=False, requests_sent=lambda: len(fake.requests))


def _until_terminal(submitter: ApplicationSubmitter, run_id: str) -> RunReport:
    report = submitter.status(run_id)
    for _ in range(20):
        if report.state.terminal:
            break
        report = submitter.status(run_id)
    return report


def test_submit_starts_a_run_recording_what_it_sends(subject):
    """A submission returns a run with an id and the sent fields, marked dry run or not."""
    request = make_submission()
    report = subject.submitter.submit(request)
    assert report.run_id
    assert report.dry_run is subject.dry_run
    assert report.sent["url"] == request.apply_url
    assert report.sent["applicant.full_name"] == request.applicant.full_name
    assert report.sent["resume_filename"] == request.resume_filename
    assert report.sent["answers.1.answer"] == request.answers[0].answer
    assert report.state in {RunState.CREATED, RunState.QUEUED, RunState.RUNNING, RunState.COMPLETED}


def test_every_run_reaches_a_terminal_state_that_never_changes(subject):
    """Following a run ends in a terminal state, and reading it again gives the same report."""
    report = subject.submitter.submit(make_submission())
    final = _until_terminal(subject.submitter, report.run_id)
    assert final.state.terminal
    assert final.run_id == report.run_id
    again = subject.submitter.status(report.run_id)
    assert (again.state, again.confirmation, again.failure_reason) == (
        final.state,
        final.confirmation,
        final.failure_reason,
    )


def test_a_dry_run_never_shows_a_confirmation(subject):
    """Only a real submission can carry evidence; a dry run's final report has none."""
    report = subject.submitter.submit(make_submission())
    final = _until_terminal(subject.submitter, report.run_id)
    if subject.dry_run:
        assert final.confirmation is None
    else:
        assert final.confirmation is not None  # the fake's default outcome confirms


def test_cancel_leaves_the_run_terminal(subject):
    """After ``cancel`` the run is (or already was) in a terminal state."""
    report = subject.submitter.submit(make_submission())
    subject.submitter.cancel(report.run_id)
    assert subject.submitter.status(report.run_id).state.terminal
    subject.submitter.cancel(report.run_id)  # twice is harmless


def test_unknown_runs_are_not_found(subject):
    """``status`` and ``cancel`` of a run the submitter does not know raise ``NotFound``."""
    with pytest.raises(NotFound):
        subject.submitter.status("no-such-run")
    with pytest.raises(NotFound):
        subject.submitter.cancel("no-such-run")


def test_invalid_requests_are_refused_and_nothing_is_sent(subject):
    """An unusable request is ``UpstreamRejected`` (never retried) and reaches no vendor."""
    with pytest.raises(UpstreamRejected):
        subject.submitter.submit(make_submission(apply_url="mailto:jobs@example.com"))
    assert subject.requests_sent() == 0


def test_find_is_truthful(subject):
    """``find`` returns a report only when it is certain, and then it is the attempt's run."""
    request = make_submission()
    before = subject.submitter.find(request.attempt_id)
    assert before.report is None
    report = subject.submitter.submit(request)
    lookup = subject.submitter.find(request.attempt_id)
    if lookup.report is not None:
        assert lookup.certain
        assert lookup.report.run_id == report.run_id
    if lookup.certain:
        assert lookup.report is not None
        assert subject.submitter.submit(request).run_id == report.run_id
