"""JWT access tokens: what they carry, and every way a forged or stale one is refused."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from jobraker_adapters.security.tokens import (
    LEEWAY,
    REQUIRED_CLAIMS,
    JwtAccessTokens,
    access_token_lifetime,
    refresh_token_lifetime,
)
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import User, UserStatus, new_refresh_token
from jobraker_core.errors import ConfigurationError, Unauthenticated

SECRET = b"k" * 64
OTHER_SECRET = b"o" * 64
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TOKENS = JwtAccessTokens(SECRET, "jobraker", "jobraker-api", timedelta(minutes=15))
USER = User(
    id=uuid.uuid4(),
    email="ada@example.com",
    role=Role.ADMIN,
    status=UserStatus.ACTIVE,
    password_hash=None,
    created_at=NOW,
    token_version=3,
)
SESSION = uuid.uuid4()


def _claims(**changes: object) -> dict[str, object]:
    issued = int(NOW.timestamp())
    claims: dict[str, object] = {
        "iss": "jobraker",
        "aud": "jobraker-api",
        "sub": str(USER.id),
        "iat": issued,
        "nbf": issued,
        "exp": issued + 900,
        "jti": uuid.uuid4().hex,
        "sid": str(SESSION),
        "role": "admin",
        "ver": 3,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(
    claims: dict[str, object], *, key: bytes = SECRET, alg: str = "HS256", typ: str = "at+jwt"
) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"typ": typ})


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_issued_token_verifies_with_its_claims():
    """A token round-trips: user, role, version, session, id and expiry."""
    issued = TOKENS.issue(USER, SESSION, NOW)
    claims = TOKENS.verify(issued.token, NOW)
    assert claims.user_id == USER.id
    assert claims.role is Role.ADMIN
    assert claims.token_version == 3
    assert claims.session_id == SESSION
    assert claims.token_id == issued.token_id
    assert claims.expires_at == issued.expires_at == NOW + timedelta(minutes=15)


def test_the_token_is_hs256_typed_as_an_access_token_and_holds_no_email():
    """The header pins HS256 and ``at+jwt``; the payload names the user by id only."""
    issued = TOKENS.issue(USER, SESSION, NOW)
    assert jwt.get_unverified_header(issued.token) == {"alg": "HS256", "typ": "at+jwt"}
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    assert set(payload) == set(REQUIRED_CLAIMS)
    assert "@" not in json.dumps(payload)  # no email (random hex ids may hold "ada")


def test_alg_none_is_refused():
    """An unsigned token (``alg: none``) is refused."""
    unsigned = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(_claims())}."
    with pytest.raises(Unauthenticated):
        TOKENS.verify(unsigned, NOW)


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_other_algorithms_are_refused_even_with_the_right_key(alg):
    """Only HS256 is accepted, whatever key signed the token."""
    with pytest.raises(Unauthenticated):
        TOKENS.verify(_sign(_claims(), alg=alg), NOW)


def test_a_token_signed_with_another_key_is_refused():
    """A signature made with another secret is refused."""
    with pytest.raises(Unauthenticated):
        TOKENS.verify(_sign(_claims(), key=OTHER_SECRET), NOW)


def test_a_tampered_payload_is_refused():
    """Changing the role inside a signed token breaks its signature."""
    header, _, signature = _sign(_claims(role="user")).split(".")
    forged = f"{header}.{_b64(_claims(role='admin'))}.{signature}"
    with pytest.raises(Unauthenticated):
        TOKENS.verify(forged, NOW)


def test_the_token_type_must_be_access():
    """A token of our key but another ``typ`` (an ID token, say) is refused."""
    with pytest.raises(Unauthenticated):
        TOKENS.verify(_sign(_claims(), typ="JWT"), NOW)


def test_an_expired_token_is_refused_without_leeway():
    """At ``exp`` the token is dead, to the second."""
    token = TOKENS.issue(USER, SESSION, NOW).token
    assert TOKENS.verify(token, NOW + timedelta(seconds=899))
    with pytest.raises(Unauthenticated):
        TOKENS.verify(token, NOW + timedelta(seconds=900))


def test_a_token_from_the_future_is_refused_beyond_the_leeway():
    """``nbf`` (and ``iat``) in the future beyond a small clock-skew leeway are refused."""
    token = TOKENS.issue(USER, SESSION, NOW).token
    assert TOKENS.verify(token, NOW - LEEWAY)
    with pytest.raises(Unauthenticated):
        TOKENS.verify(token, NOW - LEEWAY - timedelta(seconds=1))
    late_nbf = _sign(_claims(nbf=int(NOW.timestamp()) + 60))
    with pytest.raises(Unauthenticated):
        TOKENS.verify(late_nbf, NOW)


@pytest.mark.parametrize("missing", REQUIRED_CLAIMS)
def test_every_claim_is_required(missing):
    """A token lacking any one claim is refused."""
    claims = _claims()
    del claims[missing]
    with pytest.raises(Unauthenticated):
        TOKENS.verify(_sign(claims), NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"aud": ["jobraker-api", "another-api"]},
        {"sub": "not-a-uuid"},
        {"sid": 42},
        {"role": "root"},
        {"ver": -1},
        {"ver": "3"},
        {"ver": True},
        {"jti": ""},
        {"exp": "tomorrow"},
    ],
)
def test_wrong_issuer_audience_or_claim_types_are_refused(changes):
    """Issuer and audience must be ours exactly; every claim must have its type."""
    with pytest.raises(Unauthenticated):
        TOKENS.verify(_sign(_claims(**changes)), NOW)


@pytest.mark.parametrize(
    "token", [new_refresh_token(), "", "garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "x" * 5000]
)
def test_non_tokens_and_refresh_tokens_are_refused(token):
    """A refresh token (opaque, not a JWT) or junk is refused as an access token."""
    with pytest.raises(Unauthenticated):
        TOKENS.verify(token, NOW)


def test_every_refusal_says_the_same_thing():
    """The message does not tell a forger which check failed."""
    messages = set()
    for token in (_sign(_claims(), key=OTHER_SECRET), _sign(_claims(iss="x")), "junk"):
        with pytest.raises(Unauthenticated) as refused:
            TOKENS.verify(token, NOW)
        messages.add(refused.value.message)
    assert len(messages) == 1


def test_short_secrets_and_bad_lifetimes_are_configuration_errors():
    """A secret under 32 bytes or a non-positive lifetime is refused at start-up."""
    with pytest.raises(ConfigurationError):
        JwtAccessTokens(b"short", "i", "a", timedelta(minutes=1))
    with pytest.raises(ConfigurationError):
        JwtAccessTokens(SECRET, "i", "a", timedelta(0))
    with pytest.raises(ConfigurationError):
        access_token_lifetime(0)
    with pytest.raises(ConfigurationError):
        refresh_token_lifetime(0)
    assert access_token_lifetime(15) == timedelta(minutes=15)
    assert refresh_token_lifetime(30) == timedelta(days=30)
