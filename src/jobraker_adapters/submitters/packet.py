"""What both submitters check and record about a ``SubmissionRequest``.

``check_request`` is the validation every submitter applies before anything else (through
``refuse_unsubmittable``, which raises it as the port's ``UpstreamRejected``), and
``sent_fields`` the plain-text record of what a request puts into a form (``RunReport.sent``).
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from jobraker_core.applications.submission import SubmissionRequest
from jobraker_core.errors import InvalidInput, UpstreamRejected

WEBHOOK_PATH: Final = "/api/v1/webhooks/skyvern/"
MAX_FIELD_CHARS: Final = 100_000


def webhook_url(public_base_url: str) -> str:
    """Where Skyvern reports the end of a run: ``<public base URL>/api/v1/webhooks/skyvern/``."""
    return public_base_url.rstrip("/") + WEBHOOK_PATH


def _check_apply_url(url: str) -> None:
    """Reject what is not an http(s) URL of a public host (no loopback, private or link-local IP).

    Names are not resolved (no network here); a literal address and ``localhost`` are checked.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise InvalidInput("apply_url is not a valid URL", field="apply_url") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise InvalidInput("apply_url must be an http(s) URL with a host", field="apply_url")
    if parts.username or parts.password:
        raise InvalidInput("apply_url must not carry credentials", field="apply_url")
    if host == "localhost" or host.endswith(".localhost"):
        raise InvalidInput("apply_url must point at a public site", field="apply_url")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not address.is_global:
        raise InvalidInput("apply_url must point at a public site", field="apply_url")


def check_request(request: SubmissionRequest) -> None:
    """Raise ``InvalidInput`` (naming the field) unless ``request`` can be submitted as it is.

    The apply URL is an http(s) URL of a public host; the job, the applicant's name and email,
    the résumé, the packet hash and every question and answer are non-empty (and not absurdly
    long); ``max_steps`` is positive.
    """
    _check_apply_url(request.apply_url.strip())
    required = {
        "job_title": request.job_title,
        "company": request.company,
        "applicant.full_name": request.applicant.full_name,
        "applicant.email": request.applicant.email,
        "resume_text": request.resume_text,
        "resume_filename": request.resume_filename,
        "packet_hash": request.packet_hash,
    }
    for index, answer in enumerate(request.answers, start=1):
        required[f"answers.{index}.question"] = answer.question
        required[f"answers.{index}.answer"] = answer.answer
    for field, value in required.items():
        if not value.strip():
            raise InvalidInput(f"{field} must not be empty", field=field)
    optional = {
        "cover_letter": request.cover_letter,
        "applicant.phone": request.applicant.phone or "",
        "applicant.location": request.applicant.location or "",
    }
    for field, value in {**required, **optional}.items():
        if len(value) > MAX_FIELD_CHARS:
            raise InvalidInput(f"{field} is longer than {MAX_FIELD_CHARS} characters", field=field)
    if "@" not in request.applicant.email:
        raise InvalidInput("applicant.email is not an email address", field="applicant.email")
    if request.max_steps < 1:
        raise InvalidInput("max_steps must be positive", field="max_steps")


def refuse_unsubmittable(request: SubmissionRequest, *, service: str) -> None:
    """``check_request`` in the port's terms: ``UpstreamRejected`` (do not retry) naming the field.

    The ``ApplicationSubmitter`` port promises ``UpstreamRejected`` for a request that will never
    go through, so the use case fails the application with the reason instead of retrying it.
    """
    try:
        check_request(request)
    except InvalidInput as error:
        raise UpstreamRejected(
            f"the application cannot be submitted: {error.message}", service=service
        ) from error


def sent_fields(request: SubmissionRequest) -> dict[str, str]:
    """What ``request`` puts into the application form, as plain strings for the person to read.

    Keys: ``url``, ``job_title``, ``company``, ``applicant.full_name``, ``applicant.email``,
    ``applicant.phone`` / ``applicant.location`` (when known), ``resume_filename``,
    ``cover_letter`` (when there is one), ``answers.<n>.question`` / ``answers.<n>.answer``
    (from 1) and ``packet_hash``.
    """
    sent = {
        "url": request.apply_url.strip(),
        "job_title": request.job_title,
        "company": request.company,
        "applicant.full_name": request.applicant.full_name,
        "applicant.email": request.applicant.email,
    }
    if request.applicant.phone:
        sent["applicant.phone"] = request.applicant.phone
    if request.applicant.location:
        sent["applicant.location"] = request.applicant.location
    sent["resume_filename"] = request.resume_filename
    if request.cover_letter.strip():
        sent["cover_letter"] = request.cover_letter
    for index, answer in enumerate(request.answers, start=1):
        sent[f"answers.{index}.question"] = answer.question
        sent[f"answers.{index}.answer"] = answer.answer
    sent["packet_hash"] = request.packet_hash
    return sent
