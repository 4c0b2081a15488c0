"""The auth endpoints end to end on the memory container."""

from __future__ import annotations

import pytest
from auth_helpers import TEST_PASSWORD, bearer, new_email

from jobraker_core.accounts.model import AuditKind

REGISTER = "/api/v1/auth/register/"
LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUT_ALL = "/api/v1/auth/logout-all/"
PASSWORD = "/api/v1/users/me/password/"
JOBS = "/api/v1/jobs/"


def _register(client, email: str, password: str = TEST_PASSWORD):
    return client.post(REGISTER, json={"email": email, "password": password})


def _login(client, email: str, password: str = TEST_PASSWORD):
    return client.post(LOGIN, json={"email": email, "password": password})


def _tokens(client, email: str | None = None) -> dict:
    email = email or new_email()
    assert _register(client, email).status_code == 201
    response = _login(client, email)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _events(container, kind: AuditKind) -> list:
    return [e for e in container.uow().store.audit.values() if e.kind is kind]


def test_register_answers_the_account_without_secrets(anonymous_client):
    """201 with id, normalised email, role, status and times; never a hash or token version."""
    response = _register(anonymous_client, "  Ada@Example.COM ")
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == {"id", "email", "role", "status", "created_at", "last_login_at"}
    assert data["email"] == "ada@example.com"
    assert (data["role"], data["status"], data["last_login_at"]) == ("user", "active", None)
    assert TEST_PASSWORD not in response.text


def test_an_email_is_taken_whatever_its_case(anonymous_client):
    """A second registration of the address, in any case, is 409."""
    assert _register(anonymous_client, "ada@example.com").status_code == 201
    response = _register(anonymous_client, "ADA@example.com")
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8 characters"),
        ("x" * 129, "at most 128 characters"),
        ("password123", "most commonly used"),
        ("grace.hopper@example.com", "email"),
    ],
)
def test_the_password_policy_answers_422_with_a_clear_reason(anonymous_client, password, message):
    """Each broken rule is a 422 naming the ``password`` field and the rule."""
    response = _register(anonymous_client, "grace.hopper@example.com", password)
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "password"
    assert message in body["errors"][0]["message"]


def test_a_long_passphrase_is_accepted(anonymous_client):
    """64 characters and more (up to 128), spaces and Unicode included, are fine."""
    assert _register(anonymous_client, new_email(), "ünïcode passphrase " * 5).status_code == 201


@pytest.mark.parametrize(
    "extra",
    [
        {"role": "admin"},
        {"is_admin": True},
        {"status": "active"},
        {"id": "00000000-0000-0000-0000-000000000001"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"token_version": 0},
    ],
)
def test_register_refuses_fields_a_client_may_not_set(anonymous_client, container, extra):
    """Mass assignment: any field beyond email and password is a 422; nothing is stored."""
    body = {"email": "mallory@example.com", "password": TEST_PASSWORD, **extra}
    response = anonymous_client.post(REGISTER, json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == next(iter(extra))
    with container.uow()() as uow:
        assert uow.users.by_email("mallory@example.com") is None


def test_login_answers_a_bearer_token_pair_that_is_not_cached(anonymous_client):
    """200 with the token pair, ``Cache-Control: no-store``; the access token opens the API."""
    email = new_email()
    _register(anonymous_client, email)
    response = _login(anonymous_client, email.upper())
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    data = response.json()["data"]
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 15 * 60
    assert data["refresh_expires_in"] == 30 * 86_400
    assert data["refresh_token"].startswith("jrr_")
    assert anonymous_client.get(JOBS, headers=bearer(data["access_token"])).status_code == 200


def test_refresh_rotates_and_a_reused_token_ends_the_session(anonymous_client, container):
    """The new pair works; replaying the old refresh token is 401 and kills the new pair too."""
    first = _tokens(anonymous_client)
    response = anonymous_client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    second = response.json()["data"]
    assert anonymous_client.get(JOBS, headers=bearer(second["access_token"])).status_code == 200

    replay = anonymous_client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.headers["www-authenticate"].startswith("Bearer")
    again = anonymous_client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 401
    for access in (first["access_token"], second["access_token"]):
        assert anonymous_client.get(JOBS, headers=bearer(access)).status_code == 401
    assert len(_events(container, AuditKind.TOKEN_REUSE_DETECTED)) == 1


def test_an_access_token_is_no_refresh_token(anonymous_client):
    """Presenting the access token at the refresh endpoint is 401."""
    tokens = _tokens(anonymous_client)
    response = anonymous_client.post(REFRESH, json={"refresh_token": tokens["access_token"]})
    assert response.status_code == 401


def test_logout_revokes_this_session_only(anonymous_client):
    """After logout this access and refresh token fail; another session goes on."""
    email = new_email()
    mine = _tokens(anonymous_client, email)
    other = _login(anonymous_client, email).json()["data"]
    assert anonymous_client.post(LOGOUT, headers=bearer(mine["access_token"])).status_code == 204
    assert anonymous_client.get(JOBS, headers=bearer(mine["access_token"])).status_code == 401
    refresh = anonymous_client.post(REFRESH, json={"refresh_token": mine["refresh_token"]})
    assert refresh.status_code == 401
    assert anonymous_client.get(JOBS, headers=bearer(other["access_token"])).status_code == 200


def test_logout_everywhere_revokes_every_session(anonymous_client):
    """After "log out everywhere" no earlier token of the user works."""
    email = new_email()
    first = _tokens(anonymous_client, email)
    second = _login(anonymous_client, email).json()["data"]
    response = anonymous_client.post(LOGOUT_ALL, headers=bearer(second["access_token"]))
    assert response.status_code == 204
    for tokens in (first, second):
        assert anonymous_client.get(JOBS, headers=bearer(tokens["access_token"])).status_code == 401
        refresh = anonymous_client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
        assert refresh.status_code == 401


def test_logout_needs_a_token(anonymous_client):
    """Logging out without a token is 401."""
    assert anonymous_client.post(LOGOUT).status_code == 401
    assert anonymous_client.post(LOGOUT_ALL).status_code == 401


def test_changing_the_password_revokes_older_tokens(anonymous_client):
    """The old token dies, the answer's token works, and only the new password logs in."""
    email = new_email()
    old = _tokens(anonymous_client, email)
    body = {"current_password": TEST_PASSWORD, "new_password": "a brand new passphrase"}
    response = anonymous_client.post(PASSWORD, json=body, headers=bearer(old["access_token"]))
    assert response.status_code == 200, response.text
    fresh = response.json()["data"]
    assert anonymous_client.get(JOBS, headers=bearer(old["access_token"])).status_code == 401
    assert anonymous_client.get(JOBS, headers=bearer(fresh["access_token"])).status_code == 200
    assert _login(anonymous_client, email).status_code == 401
    assert _login(anonymous_client, email, "a brand new passphrase").status_code == 200


def test_a_wrong_current_password_is_422(anonymous_client):
    """The current password must be right; the error names ``current_password``."""
    tokens = _tokens(anonymous_client)
    body = {"current_password": "not my password", "new_password": "a brand new passphrase"}
    response = anonymous_client.post(PASSWORD, json=body, headers=bearer(tokens["access_token"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "current_password"


def test_the_password_change_needs_a_token(anonymous_client):
    """Without a token the password cannot be changed."""
    body = {"current_password": TEST_PASSWORD, "new_password": "a brand new passphrase"}
    assert anonymous_client.post(PASSWORD, json=body).status_code == 401


def test_security_events_reach_the_audit_log(anonymous_client, container):
    """Register, login success and failure, logout each leave one audit row without PII."""
    email = new_email()
    tokens = _tokens(anonymous_client, email)
    _login(anonymous_client, email, "wrong password!")
    anonymous_client.post(LOGOUT, headers=bearer(tokens["access_token"]))
    kinds = [e.kind for e in container.uow().store.audit.values()]
    for kind in (
        AuditKind.REGISTERED,
        AuditKind.LOGIN_SUCCEEDED,
        AuditKind.LOGIN_FAILED,
        AuditKind.LOGGED_OUT,
    ):
        assert kinds.count(kind) == 1
    assert not any(email in repr(e) for e in container.uow().store.audit.values())
    assert not any("testclient" in repr(e) for e in container.uow().store.audit.values())
