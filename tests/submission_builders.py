"""Builders of submission requests for the submitter and webhook tests."""

from __future__ import annotations

import uuid
from typing import Any

import attrs

from jobraker_core.applications.submission import Applicant, ScreeningAnswer, SubmissionRequest


def make_submission(**changes: Any) -> SubmissionRequest:
    """A valid submission request (a fresh attempt id each time) with ``changes`` applied."""
    request = SubmissionRequest(
        attempt_id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        apply_url="https://careers.example.com/jobs/42/apply",
        job_title="Senior Python Engineer",
        company="Acme Analytics",
        applicant=Applicant(
            full_name="Ada Lovelace",
            email="ada@example.org",
            phone="+44 20 7946 0958",
            location="London, UK",
        ),
        resume_text="Ada Lovelace\nPython engineer, 8 years.\n",
        resume_filename="ada-lovelace-cv.pdf",
        cover_letter="Dear Acme, I would love to build your data platform.",
        answers=(
            ScreeningAnswer("Are you authorised to work in the UK?", "Yes"),
            ScreeningAnswer("Years of Python experience?", "8"),
        ),
        packet_hash="sha256:" + "ab" * 32,
        webhook_url="https://jobraker.example.com/api/v1/webhooks/skyvern/",
        max_steps=30,
    )
    return attrs.evolve(request, **changes)
