"""JWT negatives at the HTTP edge: every bad or stale token is a 401 with a Bearer challenge."""

from __future__ import annotations

import base64
import json
import uuid

import jwt
import pytest
from auth_helpers import bearer, log_in

from jobraker_core.accounts.admin import UserChange
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import UserStatus

JOBS = "/api/v1/jobs/"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def _resign(
    container,
    token: str,
    *,
    key: bytes | None = None,
    alg: str = "HS256",
    typ: str = "at+jwt",
    **changes,
) -> str:
    claims = {**_payload(token), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key or container.jwt_secret(), algorithm=alg, headers={"typ": typ})


def _assert_refused(client, token: str) -> None:
    response = client.get(JOBS, headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Unauthenticated"


@pytest.fixture
def session(container):
    """A logged-in user's id and tokens."""
    return log_in(container)


def test_the_genuine_token_works(anonymous_client, container, session):
    """The baseline: the token as issued is accepted, and so is a re-signing with our key."""
    token = session[1].access_token
    assert anonymous_client.get(JOBS, headers=bearer(token)).status_code == 200
    assert anonymous_client.get(JOBS, headers=bearer(_resign(container, token))).status_code == 200


def test_no_token_and_malformed_headers(anonymous_client):
    """No header, another scheme, or an empty bearer are all 401."""
    for headers in (
        {},
        {"Authorization": "Basic YTpi"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer"},
    ):
        response = anonymous_client.get(JOBS, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_alg_none(anonymous_client, session):
    """An unsigned token carrying genuine claims is refused."""
    claims = _payload(session[1].access_token)
    _assert_refused(anonymous_client, f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(claims)}.")


def test_another_algorithm_with_our_key(anonymous_client, container, session):
    """HS512 with our own secret is still refused: the algorithm is pinned."""
    _assert_refused(anonymous_client, _resign(container, session[1].access_token, alg="HS512"))


def test_a_wrong_key(anonymous_client, container, session):
    """A token signed with another secret is refused."""
    forged = _resign(container, session[1].access_token, key=b"w" * 64)
    _assert_refused(anonymous_client, forged)


def test_a_forged_admin_role(anonymous_client, container, session):
    """A forged admin role gets nowhere: without our key 401, with it the stored role rules."""
    forged = _resign(container, session[1].access_token, key=b"w" * 64, role="admin")
    _assert_refused(anonymous_client, forged)
    resigned = _resign(container, session[1].access_token, role="admin")
    assert anonymous_client.get("/api/v1/ingestions/", headers=bearer(resigned)).status_code == 403


def test_an_expired_token(anonymous_client, container, session):
    """Once the clock passes ``exp`` the token is refused."""
    container.clock().advance(minutes=15)
    _assert_refused(anonymous_client, session[1].access_token)


def test_a_token_not_valid_yet(anonymous_client, container, session):
    """A token whose ``nbf`` is in the future is refused."""
    token = session[1].access_token
    later = _payload(token)["nbf"] + 3600
    _assert_refused(anonymous_client, _resign(container, token, nbf=later, iat=later))


@pytest.mark.parametrize(
    "claim", ["iss", "aud", "sub", "exp", "nbf", "iat", "jti", "sid", "role", "ver"]
)
def test_a_missing_claim(anonymous_client, container, session, claim):
    """A token without any one required claim is refused."""
    token = _resign(container, session[1].access_token, **{claim: None})
    _assert_refused(anonymous_client, token)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("iss", "evil"), ("aud", "another-api"), ("sub", str(uuid.uuid4())), ("ver", 7)],
)
def test_a_wrong_issuer_audience_subject_or_version(
    anonymous_client, container, session, claim, value
):
    """Claims that are not ours (or name no such user/version) are refused."""
    _assert_refused(anonymous_client, _resign(container, session[1].access_token, **{claim: value}))


def test_a_refresh_token_used_as_an_access_token(anonymous_client, session):
    """The refresh token opens nothing."""
    _assert_refused(anonymous_client, session[1].refresh_token)


def test_a_token_after_logout(anonymous_client, session):
    """Logging out kills the token at once."""
    token = session[1].access_token
    assert anonymous_client.post("/api/v1/auth/logout/", headers=bearer(token)).status_code == 204
    _assert_refused(anonymous_client, token)


def test_a_token_after_logout_everywhere(anonymous_client, session):
    """Logging out everywhere kills the token."""
    token = session[1].access_token
    anonymous_client.post("/api/v1/auth/logout-all/", headers=bearer(token))
    _assert_refused(anonymous_client, token)


def test_a_token_after_a_password_change(anonymous_client, session):
    """Changing the password kills the token."""
    token = session[1].access_token
    body = {"current_password": "a long test passphrase", "new_password": "another passphrase!"}
    assert (
        anonymous_client.post(
            "/api/v1/users/me/password/", json=body, headers=bearer(token)
        ).status_code
        == 200
    )
    _assert_refused(anonymous_client, token)


def test_a_token_of_a_disabled_user(anonymous_client, container, session):
    """Disabling the account kills its token."""
    user_id, tokens = session
    admin_id, _ = log_in(container, role=Role.ADMIN)
    with container.uow()() as uow:
        admin = uow.users.get(admin_id)
    container.update_user()(admin.principal("t"), UserChange(user_id, status=UserStatus.DISABLED))
    _assert_refused(anonymous_client, tokens.access_token)


def test_a_token_of_a_deleted_user(anonymous_client, container, session):
    """When the account is gone its token is refused."""
    user_id, tokens = session
    del container.uow().store.users[user_id]
    _assert_refused(anonymous_client, tokens.access_token)


def test_a_token_in_the_query_string_is_ignored(anonymous_client, session):
    """HTTP routes read the token from the header only (URLs end up in logs)."""
    response = anonymous_client.get(f"{JOBS}?token={session[1].access_token}")
    assert response.status_code == 401
