"""Rate limits at the HTTP edge, on the in-memory limiter.

Per client address, stricter on ``/api/v1/auth/*``, per user with a valid token; 429 with
``Retry-After`` and ``RateLimit-*``. Auth requests here are refused registrations (422), so the
login throttle never gets involved.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import jwt
import pytest
from auth_helpers import bearer, log_in
from litestar.testing import TestClient

from jobraker_adapters.container import Settings, build_memory_container
from jobraker_core.rate_limits import Rate
from jobraker_http import create_app

LOGIN = "/api/v1/auth/register/"
JOBS = "/api/v1/jobs/"
BAD_LOGIN: dict[str, str] = {}  # refused before anything is looked up: 422


def limited_settings(**overrides) -> Settings:
    """Settings with rate limiting on and small limits (auth 3, address 6, user 4 a minute)."""
    values = {
        "data_dir": Path("/nonexistent/jobraker"),
        "rate_limit_enabled": True,
        "rate_limit_auth_ip": Rate(3, 60),
        "rate_limit_ip": Rate(6, 60),
        "rate_limit_user": Rate(4, 60),
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def container():
    """A memory container with rate limiting switched on."""
    return build_memory_container(limited_settings())


@pytest.fixture
def client(container):
    """A client of the rate-limited app that sends no token."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


def statuses(client, count: int, path: str = JOBS, **kwargs) -> list[int]:
    """The statuses of ``count`` GETs (or POSTs with ``json``) of ``path``."""
    method = client.post if "json" in kwargs else client.get
    return [method(path, **kwargs).status_code for _ in range(count)]


def test_auth_endpoints_allow_few_requests_per_address(client):
    """Three auth requests a minute per address pass (whatever they answer); the fourth is 429."""
    assert statuses(client, 4, LOGIN, json=BAD_LOGIN) == [422, 422, 422, 429]


def test_a_refusal_is_a_problem_with_retry_after_and_ratelimit_headers(client):
    """429 is a problem document with Retry-After and the RateLimit-* headers of its bucket."""
    statuses(client, 3, LOGIN, json=BAD_LOGIN)
    response = client.post(LOGIN, json=BAD_LOGIN)
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/too-many-requests")
    assert body["status"] == 429
    assert response.headers["retry-after"] == "20"  # 3 a minute: a slot frees every 20 s
    assert response.headers["ratelimit-limit"] == "3"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-policy"] == "3;w=60"
    assert int(response.headers["ratelimit-reset"]) == 60
    assert response.headers["x-content-type-options"] == "nosniff"


def test_allowed_responses_count_down(client):
    """Every limited response says how many requests are left in its bucket."""
    remaining = [client.get(JOBS).headers["ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["5", "4", "3"]


def test_waiting_retry_after_lets_the_next_request_through(client, container):
    """After Retry-After seconds the bucket has room for one more request."""
    statuses(client, 3, LOGIN, json=BAD_LOGIN)
    wait = int(client.post(LOGIN, json=BAD_LOGIN).headers["retry-after"])
    container.clock().advance(seconds=wait)
    assert statuses(client, 2, LOGIN, json=BAD_LOGIN) == [422, 429]


def test_the_auth_limit_does_not_spend_the_general_one(client):
    """Exhausting the auth bucket leaves the other endpoints their own allowance."""
    statuses(client, 4, LOGIN, json=BAD_LOGIN)
    assert client.get(JOBS).status_code == 401  # unauthenticated, but not rate limited


def test_other_endpoints_are_limited_per_address_even_without_a_token(client):
    """Requests that fail authentication still count against their address."""
    assert statuses(client, 7) == [401] * 6 + [429]


def test_each_user_has_an_allowance_of_their_own(client, container):
    """A user's token spends that user's bucket; another user's requests are unaffected."""
    client_one = bearer(log_in(container)[1].access_token)
    client_two = bearer(log_in(container)[1].access_token)
    assert statuses(client, 5, headers=client_one) == [200] * 4 + [429]
    assert client.get(JOBS, headers=client_two).status_code == 200


def test_the_user_limit_follows_the_user_across_addresses(container):
    """A user's bucket is per user: two addresses (two apps on one limiter) share it."""
    token = bearer(log_in(container)[1].access_token)
    with TestClient(create_app(container)) as first, TestClient(create_app(container)) as second:
        assert [first.get(JOBS, headers=token).status_code for _ in range(2)] == [200, 200]
        assert [second.get(JOBS, headers=token).status_code for _ in range(3)] == [200, 200, 429]


def test_a_forged_token_cannot_spend_someone_elses_allowance(client, container):
    """A token not signed by us counts against no user: the victim's bucket stays untouched."""
    victim_id, tokens = log_in(container)
    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "x" * 64, algorithm="HS256", headers={"typ": "at+jwt"})
    assert statuses(client, 5, headers=bearer(forged)) == [401] * 5
    assert all(f"user:{victim_id}" not in keys for keys in container.rate_limiter().requests)
    assert not any(key.startswith("user:") for key in container.rate_limiter().tats)


def test_probes_are_never_limited(client):
    """/health and /ready answer however often they are asked."""
    assert set(statuses(client, 20, "/health")) == {200}
    assert 429 not in statuses(client, 10, "/ready")


def test_cors_preflights_are_never_limited(container):
    """OPTIONS preflights do not spend the allowance."""
    settings = limited_settings(cors_origins=("https://app.example.com",))
    app = create_app(build_memory_container(settings))
    with TestClient(app) as client:
        headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
        assert 429 not in [client.options(JOBS, headers=headers).status_code for _ in range(10)]


def test_limits_are_off_unless_switched_on():
    """Settings built in code have rate limiting off: no 429, no RateLimit headers."""
    app = create_app(build_memory_container())
    with TestClient(app) as client:
        responses = [client.post(LOGIN, json=BAD_LOGIN) for _ in range(12)]
    assert {r.status_code for r in responses} == {422}
    assert "ratelimit-limit" not in responses[-1].headers


def test_an_unavailable_limiter_lets_requests_through_and_warns_once(container, json_logs):
    """Redis down: fail open, and log one warning rather than one per request."""
    container.rate_limiter().unavailable = True
    with TestClient(create_app(container)) as client:
        assert statuses(client, 8, LOGIN, json=BAD_LOGIN) == [422] * 8
        assert "ratelimit-limit" not in client.post(LOGIN, json=BAD_LOGIN).headers
    warnings = [
        line
        for line in json_logs.lines()
        if line.get("level") == "warning" and "rate limiter unavailable" in str(line.get("event"))
    ]
    assert len(warnings) == 1
    assert warnings[0]["service"] == "redis"


def test_client_addresses_are_stored_as_pseudonyms(client, container):
    """The limiter never sees a raw client address, only a keyed pseudonym."""
    client.get(JOBS)
    [keys] = container.rate_limiter().requests
    assert keys[0].startswith("ip:")
    assert "testclient" not in keys[0]
    assert str(uuid.UUID(int=0)) not in keys[0]


def test_the_limiter_is_closed_with_the_app(container):
    """Stopping the app closes the limiter's connections."""
    with TestClient(create_app(container)) as client:
        client.get(JOBS)
    assert container.rate_limiter().closed == 1
