"""Log redaction: canaries never appear in any captured log line.

Canary secrets and personal data are seeded through logging calls and through real requests.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import structlog
from dependency_injector import providers
from litestar.testing import TestClient

from jobraker_adapters.container import Settings, build_memory_container
from jobraker_adapters.observability import configure_logging
from jobraker_adapters.redaction import (
    REDACTED,
    RedactingFilter,
    is_sensitive_name,
    redact_event,
    redact_text,
)
from jobraker_http import create_app

PASSWORD = "Canary-Pass-7f3a9c-horse"
EMAIL = "canary.7f3a9c@example.com"
PHONE = "+44 20 7946 0958"
PHONE_E164 = "+442079460958"
SECRET = "canary-secret-7f3a9c"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlN2YzYTljeHg"
REFRESH = "jrr_canary7f3a9cABCDEFGH"
RESUME = "Canary résumé text 7f3a9c: ten years of COBOL"
CANARIES = (PASSWORD, EMAIL, PHONE, PHONE_E164, SECRET, JWT, REFRESH, RESUME, "7f3a9c")


def leaked(text: str, canaries=CANARIES) -> list[str]:
    """The canaries (or their lower-case forms) that appear in ``text``."""
    return [c for c in canaries if c in text or c.lower() in text.lower()]


@pytest.fixture
def log_stream():
    """Configure logging (JSON, DEBUG) into a buffer; undo it afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging(Settings(data_dir=Path("/nonexistent"), log_level="DEBUG"), stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


# ----------------------------------------------------------------------------- the rules


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "new_password",
        "jwt_secret",
        "client_secret",
        "access_token",
        "refresh_token",
        "Authorization",
        "cookie",
        "app_key",
        "api_key",
        "private_key",
        "signing_keys",
        "totp_code",
        "otp",
        "recovery_codes",
        "email",
        "phone",
        "resume",
        "resume_text",
        "contact",
        "credentials",
    ],
)
def test_sensitive_field_names(name):
    """Secrets and personal data are recognised by their field names."""
    assert is_sensitive_name(name)


@pytest.mark.parametrize(
    "name", ["key", "schedule_key", "job_key", "event", "path", "status", "run_id", "hotspot"]
)
def test_ordinary_field_names(name):
    """Names that only name things stay readable."""
    assert not is_sensitive_name(name)


@pytest.mark.parametrize(
    "text",
    [
        f"login by {EMAIL}",
        f"Authorization: Bearer {JWT}",
        f"token {JWT} expired",
        f"refresh {REFRESH} reused",
        f"GET https://api.example.com/jobs?app_key={SECRET}&what=python",
        f'payload {{"password": "{PASSWORD}", "x": 1}}',
        f"password={PASSWORD}",
        f"call {PHONE} or {PHONE_E164}",
        "call (555) 123-4567 or 020 7946 0958",
        f"Key (email)=({EMAIL}) already exists.",
    ],
)
def test_texts_are_cleaned(text):
    """Secrets and contact details are removed wherever they appear in a text."""
    cleaned = redact_text(text)
    assert not leaked(
        cleaned, (PASSWORD, EMAIL, PHONE, PHONE_E164, SECRET, JWT, REFRESH, "123-4567", "7946 0958")
    )


@pytest.mark.parametrize(
    "text",
    [
        "request GET /api/v1/jobs/ 200 in 12.5 ms",
        "2026-01-15T12:00:00Z run 3f2a1b4c-1d2e-4f5a-9b8c-7d6e5f4a3b2c",
        "ingested 1234 jobs from page 12 of 400",
        "Uvicorn running on http://127.0.0.1:8000",
        "version 1.2.3",
    ],
)
def test_ordinary_texts_are_left_alone(text):
    """Times, ids, counts, versions and local addresses are not mistaken for secrets."""
    assert redact_text(text) == text


def test_events_are_cleaned_by_name_and_by_value_recursively():
    """Nested mappings, lists and object reprs are cleaned; safe keys are kept as they are."""

    class User:
        def __repr__(self) -> str:
            return f"User(email={EMAIL!r})"

    event = {
        "event": f"signed in {EMAIL}",
        "timestamp": "2026-01-15T12:00:00Z",
        "password": PASSWORD,
        "user": User(),
        "context": {"headers": {"authorization": f"Bearer {JWT}"}, "items": [EMAIL, 3]},
        "schedule_key": "adzuna:gb:2026-01-15T12",
    }
    cleaned = redact_event(None, "info", event)
    assert cleaned["password"] == REDACTED
    assert cleaned["context"]["headers"]["authorization"] == REDACTED
    assert cleaned["timestamp"] == event["timestamp"]
    assert cleaned["schedule_key"] == event["schedule_key"]
    assert not leaked(repr(cleaned), (PASSWORD, EMAIL, JWT))


def test_the_filter_cleans_records_for_any_handler():
    """RedactingFilter cleans message, arguments, extras and formatted tracebacks of a record."""
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "user %s password %s", (EMAIL, PASSWORD), None
    )
    record.token = JWT
    record.exc_text = f"ValueError: {EMAIL}"
    assert RedactingFilter().filter(record)
    assert not leaked(record.getMessage() + str(record.token) + record.exc_text)


# ----------------------------------------------------------------------------- canaries


def test_canaries_logged_in_every_way_never_reach_the_output(log_stream):
    """Structlog and stdlib calls, positional args, extras, bound context and tracebacks."""
    log = structlog.get_logger("jobraker.test")
    std = logging.getLogger("some.library")
    log.info("user signed up", email=EMAIL, password=PASSWORD, phone=PHONE)
    log.info("calling %s with %s", "https://api.example.com/?app_key=" + SECRET, {"token": JWT})
    log.warning("settings", jwt_secret=SECRET, adzuna_app_key=SECRET, resume=RESUME)
    log.info("profile saved", profile={"contact": {"email": EMAIL, "phone": PHONE_E164}})
    std.warning("login failed for %s with password %s", EMAIL, PASSWORD)
    std.info("headers", extra={"authorization": f"Bearer {JWT}", "refresh_token": REFRESH})
    structlog.contextvars.bind_contextvars(user_email=EMAIL)
    log.info("with bound context")
    structlog.contextvars.clear_contextvars()

    def fail() -> None:
        raise RuntimeError(f"cannot reach {EMAIL} with token {JWT} and refresh {REFRESH}")

    try:
        fail()
    except RuntimeError:
        log.exception("boom")
        std.exception("stdlib boom")
    output = log_stream.getvalue()
    assert output.count("\n") >= 9
    assert "Traceback" in output
    assert leaked(output) == []


def test_canaries_sent_through_real_requests_never_reach_the_output(log_stream):
    """Register, log in, use the tokens, save a profile, fail a login and hit a 500: 0 canaries."""
    container = build_memory_container()
    with TestClient(create_app(container)) as client:
        registered = client.post(
            "/api/v1/auth/register/", json={"email": EMAIL, "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        client.post("/api/v1/auth/register/", json={"email": EMAIL, "password": PASSWORD})
        client.post("/api/v1/auth/login/", json={"email": EMAIL, "password": "wrong " + PASSWORD})
        login = client.post("/api/v1/auth/login/", json={"email": EMAIL, "password": PASSWORD})
        tokens = login.json()["data"]
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        auth = {"Authorization": f"Bearer {access}"}
        profile = {
            "name": "Canary 7f3a9c",
            "headline": RESUME,
            "contact": {"email": EMAIL, "phone": PHONE},
        }
        assert client.put("/api/v1/users/profile/", headers=auth, json=profile).status_code == 200
        client.patch("/api/v1/users/profile/", headers=auth, json={"contact": {"email": "bad"}})
        client.post("/api/v1/auth/refresh/", json={"refresh_token": refresh})
        client.post("/api/v1/auth/refresh/", json={"refresh_token": refresh})  # reuse
        client.get(f"/api/v1/jobs/?q={EMAIL}&token={access}", headers=auth)

        def broken_uow():
            msg = f"cannot store {EMAIL} / {PHONE_E164} for token {access}, password={PASSWORD}"
            raise RuntimeError(msg)

        container.uow.override(providers.Callable(broken_uow))
        assert client.get("/api/v1/users/profile/", headers=auth).status_code == 500
    output = log_stream.getvalue()
    assert "unhandled error" in output
    assert '"path": "/api/v1/users/profile/"' in output
    assert leaked(output, (*CANARIES, access, refresh)) == []
