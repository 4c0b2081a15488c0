"""The 2FA routes over the memory container: enrol, confirm, log in with a code, disable."""

from __future__ import annotations

import pytest
from auth_helpers import TEST_PASSWORD, bearer, log_in, new_email

from jobraker_adapters.security.totp import PyOtpTotp
from jobraker_core.accounts.twofactor import time_step

TOTP = PyOtpTotp()


def _code(container, secret: str, steps_back: int = 0) -> str:
    return TOTP.code(secret, time_step(container.clock().now()) - steps_back)


@pytest.fixture
def enrolled(container, anonymous_client):
    """A user with 2FA on: (email, auth header, seed, recovery codes); the clock moved on."""
    email = new_email()
    _, tokens = log_in(container, email=email)
    auth = bearer(tokens.access_token)
    enrol = anonymous_client.post("/api/v1/auth/2fa/enrol/", headers=auth)
    assert enrol.status_code == 201, enrol.text
    secret = enrol.json()["data"]["secret"]
    confirm = anonymous_client.post(
        "/api/v1/auth/2fa/confirm/", headers=auth, json={"code": _code(container, secret)}
    )
    assert confirm.status_code == 200, confirm.text
    container.clock().advance(seconds=60)
    return email, auth, secret, confirm.json()["data"]["recovery_codes"]


def _login(client, email: str):
    return client.post("/api/v1/auth/login/", json={"email": email, "password": TEST_PASSWORD})


def test_enrolment_answers_the_seed_once_and_never_again(container, anonymous_client):
    """Enrol answers seed and URI, uncacheable; the status never shows them; 2FA stays pending."""
    _, tokens = log_in(container)
    auth = bearer(tokens.access_token)
    enrol = anonymous_client.post("/api/v1/auth/2fa/enrol/", headers=auth)
    assert enrol.status_code == 201
    assert enrol.headers["cache-control"] == "no-store"
    data = enrol.json()["data"]
    assert data["otpauth_uri"].startswith("otpauth://totp/")
    assert (data["digits"], data["period"], data["algorithm"]) == (6, 30, "SHA1")
    status = anonymous_client.get("/api/v1/auth/2fa/", headers=auth)
    assert status.status_code == 200
    assert data["secret"] not in status.text
    assert status.json()["data"] | {"confirmed_at": None} == {
        "enabled": False,
        "pending": True,
        "confirmed_at": None,
        "recovery_codes_left": 0,
    }


def test_a_login_with_2fa_needs_the_second_step(container, anonymous_client, enrolled):
    """The password answers a challenge; the challenge plus a code answers tokens."""
    email, _, secret, _ = enrolled
    first = _login(anonymous_client, email)
    assert first.status_code == 200
    data = first.json()["data"]
    assert data["two_factor_required"] is True
    assert "access_token" not in data
    assert data["expires_in"] == 300
    second = anonymous_client.post(
        "/api/v1/auth/login/2fa/",
        json={"challenge": data["challenge"], "code": _code(container, secret)},
    )
    assert second.status_code == 200, second.text
    access = second.json()["data"]["access_token"]
    assert anonymous_client.get("/api/v1/auth/2fa/", headers=bearer(access)).json()["data"][
        "enabled"
    ]


def test_a_reused_code_and_a_wrong_code_are_401(container, anonymous_client, enrolled):
    """The same code fails the second time; a wrong code fails; neither gives tokens."""
    email, _, secret, _ = enrolled
    code = _code(container, secret)
    challenge = _login(anonymous_client, email).json()["data"]["challenge"]
    ok = anonymous_client.post(
        "/api/v1/auth/login/2fa/", json={"challenge": challenge, "code": code}
    )
    assert ok.status_code == 200
    again = _login(anonymous_client, email).json()["data"]["challenge"]
    reused = anonymous_client.post(
        "/api/v1/auth/login/2fa/", json={"challenge": again, "code": code}
    )
    assert reused.status_code == 401
    wrong = anonymous_client.post(
        "/api/v1/auth/login/2fa/", json={"challenge": again, "code": "000000"}
    )
    assert wrong.status_code == 401
    assert "access_token" not in wrong.text


def test_guessing_codes_is_throttled(container, anonymous_client, enrolled):
    """After five wrong codes the account's code checks answer 429 with Retry-After."""
    email, _, secret, _ = enrolled
    challenge = _login(anonymous_client, email).json()["data"]["challenge"]
    statuses = [
        anonymous_client.post(
            "/api/v1/auth/login/2fa/", json={"challenge": challenge, "code": f"{n:06d}"}
        ).status_code
        for n in range(5)
    ]
    assert statuses == [401] * 5
    fresh = _login(anonymous_client, email).json()["data"]["challenge"]
    locked = anonymous_client.post(
        "/api/v1/auth/login/2fa/", json={"challenge": fresh, "code": _code(container, secret)}
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


def test_a_recovery_code_logs_in_once(anonymous_client, enrolled):
    """Each recovery code replaces a code once."""
    email, _, _, codes = enrolled
    for expected in (200, 401):
        challenge = _login(anonymous_client, email).json()["data"]["challenge"]
        answer = anonymous_client.post(
            "/api/v1/auth/login/2fa/", json={"challenge": challenge, "recovery_code": codes[0]}
        )
        assert answer.status_code == expected


def test_the_second_step_needs_exactly_one_proof(anonymous_client, enrolled):
    """Neither or both of code and recovery_code is 422; unknown fields are 422 too."""
    email, _, _, codes = enrolled
    challenge = _login(anonymous_client, email).json()["data"]["challenge"]
    for body in (
        {"challenge": challenge},
        {"challenge": challenge, "code": "123456", "recovery_code": codes[0]},
        {"challenge": challenge, "code": "123456", "user_id": "x"},
    ):
        assert anonymous_client.post("/api/v1/auth/login/2fa/", json=body).status_code in {
            400,
            422,
        }


def test_disabling_needs_password_and_code(container, anonymous_client, enrolled):
    """Wrong password or code is 422; both right is 204 and logins answer tokens again."""
    email, auth, secret, _ = enrolled
    url = "/api/v1/auth/2fa/disable/"
    code = _code(container, secret)
    assert (
        anonymous_client.post(url, headers=auth, json={"password": "wrong pw!", "code": code})
    ).status_code == 422
    assert (
        anonymous_client.post(url, headers=auth, json={"password": TEST_PASSWORD, "code": "000000"})
    ).status_code == 422
    container.clock().advance(seconds=30)
    done = anonymous_client.post(
        url, headers=auth, json={"password": TEST_PASSWORD, "code": _code(container, secret)}
    )
    assert done.status_code == 204, done.text
    assert "access_token" in _login(anonymous_client, email).json()["data"]


def test_the_2fa_routes_need_a_token(anonymous_client):
    """Without a bearer token every account 2FA route is 401."""
    for path in ("enrol", "confirm", "disable", "recovery-codes"):
        assert anonymous_client.post(f"/api/v1/auth/2fa/{path}/", json={}).status_code == 401
    assert anonymous_client.get("/api/v1/auth/2fa/").status_code == 401


def test_recovery_codes_can_be_replaced(container, anonymous_client, enrolled):
    """A code answers ten new recovery codes, uncacheable."""
    _, auth, secret, old = enrolled
    answer = anonymous_client.post(
        "/api/v1/auth/2fa/recovery-codes/", headers=auth, json={"code": _code(container, secret)}
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert set(answer.json()["data"]["recovery_codes"]).isdisjoint(old)


def test_every_audit_kind_can_be_shown_to_admins():
    """The admin audit API's kinds are exactly the core's (the new 2FA/OIDC/privacy ones too)."""
    from typing import get_args  # noqa: PLC0415 - only here

    from jobraker_core.accounts.model import AuditKind  # noqa: PLC0415 - only here
    from jobraker_http.admin import AuditKindWire  # noqa: PLC0415 - only here

    assert set(get_args(AuditKindWire)) == {kind.value for kind in AuditKind}
