"""Accounts over real PostgreSQL and Redis with the production adapters (argon2id, JWT)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
import pytest
from litestar.testing import TestClient

from jobraker_core.accounts.model import AuditKind
from jobraker_http import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

PASSWORD = "a long integration passphrase"
JOBS = "/api/v1/jobs/"


@pytest.fixture
def api(pg_container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The API over the production container on the clean test services."""
    with TestClient(create_app(pg_container)) as client:
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _kinds(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [row[0] for row in conn.execute("SELECT kind FROM audit_log ORDER BY occurred_at")]


def test_the_account_lifecycle_on_real_services(api, settings, redis_client):
    """Register, log in, rotate, detect reuse, log out, change the password: all on PG + Redis."""
    email = "ada@example.com"
    assert (
        api.post("/api/v1/auth/register/", json={"email": email, "password": PASSWORD}).status_code
        == 201
    )
    with psycopg.connect(settings.database_url) as conn:
        stored = conn.execute(
            "SELECT password_hash FROM users WHERE email = %s", (email,)
        ).fetchone()
    assert stored is not None
    assert stored[0].startswith("$argon2id$v=19$m=65536,t=3,p=4$")

    login = api.post("/api/v1/auth/login/", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    first = login.json()["data"]
    assert api.get(JOBS, headers=_bearer(first["access_token"])).status_code == 200

    with psycopg.connect(settings.database_url) as conn:
        digests = [row[0] for row in conn.execute("SELECT token_hash FROM refresh_tokens")]
    assert first["refresh_token"] not in digests  # stored as a digest only

    rotated = api.post("/api/v1/auth/refresh/", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()["data"]
    replay = api.post("/api/v1/auth/refresh/", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert api.get(JOBS, headers=_bearer(second["access_token"])).status_code == 401
    assert redis_client.keys("jobraker:revoked:session:*")

    third = api.post("/api/v1/auth/login/", json={"email": email, "password": PASSWORD}).json()[
        "data"
    ]
    assert (
        api.post("/api/v1/auth/logout/", headers=_bearer(third["access_token"])).status_code == 204
    )
    assert api.get(JOBS, headers=_bearer(third["access_token"])).status_code == 401
    assert redis_client.keys("jobraker:revoked:token:*")

    fourth = api.post("/api/v1/auth/login/", json={"email": email, "password": PASSWORD}).json()[
        "data"
    ]
    change = api.post(
        "/api/v1/users/me/password/",
        json={"current_password": PASSWORD, "new_password": "a different passphrase"},
        headers=_bearer(fourth["access_token"]),
    )
    assert change.status_code == 200
    assert api.get(JOBS, headers=_bearer(fourth["access_token"])).status_code == 401
    assert api.get(JOBS, headers=_bearer(change.json()["data"]["access_token"])).status_code == 200

    kinds = _kinds(settings.database_url)
    for kind in (
        AuditKind.REGISTERED,
        AuditKind.TOKEN_REUSE_DETECTED,
        AuditKind.LOGGED_OUT,
        AuditKind.PASSWORD_CHANGED,
    ):
        assert kinds.count(kind.value) == 1
    assert kinds.count(AuditKind.LOGIN_SUCCEEDED.value) == 3


def test_brute_force_is_throttled_across_processes_in_redis(api, redis_client):
    """Five failures lock the account in Redis: the sixth attempt is 429 with Retry-After."""
    api.post("/api/v1/auth/register/", json={"email": "bob@example.com", "password": PASSWORD})
    for _ in range(5):
        wrong = api.post(
            "/api/v1/auth/login/", json={"email": "bob@example.com", "password": "not it at all"}
        )
        assert wrong.status_code == 401
    locked = api.post(
        "/api/v1/auth/login/", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    keys = [key.decode() for key in redis_client.keys("jobraker:login:lock:*")]
    assert keys
    assert not any("bob" in key for key in keys)  # keys are pseudonyms, never the email


def test_the_jwt_secret_is_made_in_the_data_directory(pg_container, settings):
    """With no configured secret, the first use writes ``<data_dir>/secrets/jwt.key`` (0600)."""
    pg_container.access_tokens()
    key = settings.data_dir / "secrets" / "jwt.key"
    assert key.is_file()
    assert key.stat().st_mode & 0o777 == 0o600
