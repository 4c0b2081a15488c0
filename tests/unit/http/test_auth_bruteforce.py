"""Login brute force and account enumeration at the HTTP edge."""

from __future__ import annotations

import attrs
from auth_helpers import TEST_PASSWORD, new_email
from litestar import Request

from jobraker_core.accounts.model import AuditKind
from jobraker_http.app import create_app
from jobraker_http.auth import client_ip

LOGIN = "/api/v1/auth/login/"
ACCOUNT_LIMIT = 5
CLIENT_LIMIT = 20
LOCKOUT_SECONDS = 15 * 60


def _register(client, email: str) -> None:
    response = client.post(
        "/api/v1/auth/register/", json={"email": email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 201


def _login(client, email: str, password: str, **headers: str):
    return client.post(LOGIN, json={"email": email, "password": password}, headers=headers)


def _without_request_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "request_id"}


def test_unknown_email_and_wrong_password_answer_identically(anonymous_client):
    """Same status, same headers that matter, same body apart from the request id."""
    email = new_email()
    _register(anonymous_client, email)
    wrong = _login(anonymous_client, email, "not the password")
    unknown = _login(anonymous_client, new_email(), "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert _without_request_id(wrong.json()) == _without_request_id(unknown.json())
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"]
    assert wrong.headers["content-type"] == unknown.headers["content-type"]


def test_both_failures_cost_one_password_verification(anonymous_client, container):
    """An unknown email is checked against a dummy hash, so it takes as long as a wrong one."""
    email = new_email()
    _register(anonymous_client, email)
    hasher = container.password_hasher()
    start = hasher.verified
    _login(anonymous_client, email, "not the password")
    middle = hasher.verified
    _login(anonymous_client, new_email(), "not the password")
    assert middle - start == hasher.verified - middle == 1


def test_an_account_locks_after_five_failures_with_retry_after(anonymous_client, container):
    """Failures 1-5 are 401; then 429 with ``Retry-After``, even with the right password."""
    email = new_email()
    _register(anonymous_client, email)
    for _ in range(ACCOUNT_LIMIT):
        assert _login(anonymous_client, email, "wrong password").status_code == 401
    locked = _login(anonymous_client, email, TEST_PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(LOCKOUT_SECONDS)
    assert locked.json()["title"] == "Too many requests"
    container.clock().advance(seconds=LOCKOUT_SECONDS)
    assert _login(anonymous_client, email, TEST_PASSWORD).status_code == 200


def test_a_locked_unknown_email_looks_like_a_locked_account(anonymous_client):
    """Lockouts do not reveal which emails exist: unknown ones lock the same way."""
    known, unknown = new_email(), new_email()
    _register(anonymous_client, known)
    answers = []
    for email in (known, unknown):
        for _ in range(ACCOUNT_LIMIT):
            _login(anonymous_client, email, "wrong password")
        answers.append(_login(anonymous_client, email, "wrong password"))
    assert [a.status_code for a in answers] == [429, 429]
    assert _without_request_id(answers[0].json()) == _without_request_id(answers[1].json())


def test_one_client_is_locked_after_twenty_failures_across_accounts(anonymous_client, container):
    """Credential stuffing from one address: after 20 failures on different accounts, 429."""
    for _ in range(CLIENT_LIMIT):
        assert _login(anonymous_client, new_email(), "wrong password").status_code == 401
    email = new_email()
    _register(anonymous_client, email)
    response = _login(anonymous_client, email, TEST_PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) == LOCKOUT_SECONDS
    throttled = [
        e for e in container.uow().store.audit.values() if e.kind is AuditKind.LOGIN_THROTTLED
    ]
    assert len(throttled) == 1


def _request_from(app, peer: str, forwarded: str):
    scope = {
        "type": "http",
        "method": "POST",
        "path": LOGIN,
        "query_string": b"",
        "headers": [(b"x-forwarded-for", forwarded.encode())],
        "client": (peer, 40000),
        "litestar_app": app,
        "app": app,
        "state": {},
    }
    return Request(scope)


def test_lockouts_see_the_client_behind_a_trusted_proxy(container):
    """Behind a trusted proxy, throttling keys on X-Forwarded-For; from anyone else, on the peer."""
    settings = attrs.evolve(container.settings(), trusted_proxies=("10.0.0.0/8",))
    container.settings.override(settings)
    app = create_app(container)
    assert client_ip(_request_from(app, "10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request_from(app, "203.0.113.9", "198.51.100.7")) == "203.0.113.9"
