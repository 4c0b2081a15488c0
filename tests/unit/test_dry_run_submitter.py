"""The dry-run submitter and the request checks both submitters share."""

from __future__ import annotations

import uuid

import pytest

from jobraker_adapters.submitters.dry_run import DryRunSubmitter, dry_run_id
from jobraker_adapters.submitters.packet import check_request, webhook_url
from jobraker_core.applications.submission import Applicant, RunState, ScreeningAnswer
from jobraker_core.errors import InvalidInput, NotFound, UpstreamRejected
from submission_builders import make_submission


def test_a_dry_run_completes_without_evidence_and_says_so():
    """The dry run is completed, marked dry, with no confirmation (so never ``submitted``)."""
    report = DryRunSubmitter().submit(make_submission())
    assert report.state is RunState.COMPLETED
    assert report.dry_run is True
    assert report.confirmation is None
    assert report.blocked_by is None
    assert report.steps == 0


def test_a_dry_run_records_exactly_what_would_be_sent():
    """``sent`` holds the URL, applicant fields, résumé filename, letter and every answer."""
    request = make_submission()
    sent = DryRunSubmitter().submit(request).sent
    assert sent == {
        "url": "https://careers.example.com/jobs/42/apply",
        "job_title": "Senior Python Engineer",
        "company": "Acme Analytics",
        "applicant.full_name": "Ada Lovelace",
        "applicant.email": "ada@example.org",
        "applicant.phone": "+44 20 7946 0958",
        "applicant.location": "London, UK",
        "resume_filename": "ada-lovelace-cv.pdf",
        "cover_letter": "Dear Acme, I would love to build your data platform.",
        "answers.1.question": "Are you authorised to work in the UK?",
        "answers.1.answer": "Yes",
        "answers.2.question": "Years of Python experience?",
        "answers.2.answer": "8",
        "packet_hash": request.packet_hash,
    }


def test_optional_fields_are_left_out_of_the_record():
    """No phone, location, letter or answers: those keys are absent, not empty."""
    request = make_submission(
        applicant=Applicant(full_name="Ada", email="ada@example.org"), cover_letter="", answers=()
    )
    sent = DryRunSubmitter().submit(request).sent
    assert not {"applicant.phone", "applicant.location", "cover_letter"} & set(sent)
    assert not [key for key in sent if key.startswith("answers.")]


def test_submitting_one_attempt_twice_returns_the_same_run():
    """The second submit of an attempt returns the first run, unchanged."""
    submitter = DryRunSubmitter()
    request = make_submission()
    first = submitter.submit(request)
    assert submitter.submit(request) is first
    assert first.run_id == dry_run_id(request.attempt_id)


def test_find_is_certain_either_way():
    """``find`` knows the run of a submitted attempt and is sure no other attempt has one."""
    submitter = DryRunSubmitter()
    request = make_submission()
    assert submitter.find(request.attempt_id).report is None
    assert submitter.find(request.attempt_id).certain is True
    report = submitter.submit(request)
    lookup = submitter.find(request.attempt_id)
    assert lookup.certain is True
    assert lookup.report == report


def test_status_answers_for_dry_runs_of_other_processes():
    """A dry-run id this instance never saw is still a completed dry run (without ``sent``)."""
    attempt = uuid.uuid4()
    report = DryRunSubmitter().status(dry_run_id(attempt))
    assert report.state is RunState.COMPLETED
    assert report.dry_run is True
    assert report.sent == {}


def test_unknown_ids_are_not_found_and_cancel_is_harmless():
    """Ids that are not dry runs are ``NotFound``; cancelling a dry run changes nothing."""
    submitter = DryRunSubmitter()
    with pytest.raises(NotFound):
        submitter.status("tsk_v2_1")
    with pytest.raises(NotFound):
        submitter.cancel("dry_nothex")
    report = submitter.submit(make_submission())
    submitter.cancel(report.run_id)
    assert submitter.status(report.run_id) == report


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"apply_url": ""}, "apply_url"),
        ({"apply_url": "careers.example.com/apply"}, "apply_url"),
        ({"apply_url": "javascript:alert(1)"}, "apply_url"),
        ({"apply_url": "file:///etc/passwd"}, "apply_url"),
        ({"apply_url": "https://user:pw@careers.example.com/"}, "apply_url"),
        ({"apply_url": "http://10.1.2.3/apply"}, "apply_url"),
        ({"apply_url": "http://[::1]:8000/"}, "apply_url"),
        ({"apply_url": "http://app.localhost/"}, "apply_url"),
        ({"apply_url": "http://[not-an-ip/"}, "apply_url"),
        ({"job_title": ""}, "job_title"),
        ({"company": " "}, "company"),
        ({"resume_text": ""}, "resume_text"),
        ({"resume_filename": ""}, "resume_filename"),
        ({"packet_hash": ""}, "packet_hash"),
        ({"applicant": Applicant(full_name="", email="a@b.org")}, "applicant.full_name"),
        ({"applicant": Applicant(full_name="A", email="not-an-email")}, "applicant.email"),
        ({"answers": (ScreeningAnswer("Visa?", " "),)}, "answers.1.answer"),
        ({"answers": (ScreeningAnswer("", "Yes"),)}, "answers.1.question"),
        ({"cover_letter": "x" * 100_001}, "cover_letter"),
        ({"max_steps": 0}, "max_steps"),
    ],
)
def test_requests_that_cannot_be_submitted_are_refused(changes, field):
    """Every unusable field is named; the submitter rejects the request and records nothing."""
    request = make_submission(**changes)
    with pytest.raises(InvalidInput) as caught:
        check_request(request)
    assert caught.value.field == field
    submitter = DryRunSubmitter()
    with pytest.raises(UpstreamRejected, match=field.replace(".", r"\.")) as rejected:
        submitter.submit(request)
    assert rejected.value.service == "dry_run"
    assert submitter.find(request.attempt_id).report is None


def test_the_webhook_url_hangs_off_the_public_base_url():
    """``<public base URL>/api/v1/webhooks/skyvern/``, one slash whatever the base ends with."""
    assert webhook_url("https://jobs.example.com/") == (
        "https://jobs.example.com/api/v1/webhooks/skyvern/"
    )
    assert webhook_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/api/v1/webhooks/skyvern/"
