"""Log redaction on the real services: a whole account journey at DEBUG leaves 0 canaries."""

from __future__ import annotations

import io
import logging

import attrs
import pytest
import structlog
from litestar.testing import TestClient

from jobraker_adapters.observability import configure_logging
from jobraker_core.rate_limits import Rate
from jobraker_http import create_app

pytestmark = pytest.mark.integration

PASSWORD = "Canary-Pass-d41c07-staple"
EMAIL = "canary.d41c07@example.com"
PHONE = "+44 20 7946 0958"
PHONE_E164 = "+442079460958"
RESUME = "Canary résumé d41c07: fifteen years of Fortran"


@pytest.fixture
def log_stream(settings):
    """Every line Jobraker logs during the test, as JSON at DEBUG, in a buffer."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging(attrs.evolve(settings, log_level="DEBUG"), stream=stream)
    yield stream
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_a_journey_on_postgresql_and_redis_logs_no_canary(settings, db, redis_client, log_stream):
    """Registering, logging in, refreshing, editing the profile and 429s log no canary."""
    from jobraker_adapters.container import build_container  # noqa: PLC0415 - like pg_container

    limited = attrs.evolve(settings, rate_limit_enabled=True, rate_limit_auth_ip=Rate(8, 3600))
    container = build_container(limited)
    try:
        with TestClient(create_app(container)) as client:
            register = {"email": EMAIL, "password": PASSWORD}
            assert client.post("/api/v1/auth/register/", json=register).status_code == 201
            assert client.post("/api/v1/auth/register/", json=register).status_code == 409
            wrong = {"email": EMAIL, "password": PASSWORD + "-wrong"}
            assert client.post("/api/v1/auth/login/", json=wrong).status_code == 401
            login = client.post("/api/v1/auth/login/", json=register)
            assert login.status_code == 200, login.text
            tokens = login.json()["data"]
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            profile = {"headline": RESUME, "contact": {"email": EMAIL, "phone": PHONE}}
            assert client.put("/api/v1/users/profile/", headers=auth, json=profile).is_success
            client.patch("/api/v1/users/profile/", headers=auth, json={"user_id": EMAIL})
            refresh = {"refresh_token": tokens["refresh_token"]}
            assert client.post("/api/v1/auth/refresh/", json=refresh).status_code == 200
            assert client.post("/api/v1/auth/refresh/", json=refresh).status_code == 401
            statuses = [
                client.post("/api/v1/auth/login/", json=wrong).status_code for _ in range(4)
            ]
            assert 429 in statuses
    finally:
        container.shutdown_resources()
    output = log_stream.getvalue()
    assert '"path": "/api/v1/users/profile/"' in output
    canaries = (
        PASSWORD,
        EMAIL,
        PHONE,
        PHONE_E164,
        RESUME,
        "d41c07",
        tokens["access_token"],
        tokens["refresh_token"],
    )
    assert [c for c in canaries if c.lower() in output.lower()] == []
