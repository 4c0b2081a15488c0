"""Access tokens: HS256-signed JWTs (RFC 7519, shaped after the RFC 9068 access-token profile).

Header ``{"alg": "HS256", "typ": "at+jwt"}``. Claims, all required:

========  ==========================================================
``iss``   the issuer (``JOBRAKER_JWT_ISSUER``)
``aud``   the audience (``JOBRAKER_JWT_AUDIENCE``)
``sub``   the user id (a UUID)
``iat``   issued at; ``nbf`` not before (the same instant)
``exp``   expiry (``JOBRAKER_ACCESS_TOKEN_MINUTES`` after ``iat``)
``jti``   the token's unique id (what logout revokes)
``sid``   the login session (refresh-token family) it belongs to
``role``  the user's role when it was issued (requests use the stored role)
``ver``   the user's ``token_version`` when it was issued
========  ==========================================================

Verification pins the algorithm to HS256 (``alg: none`` and every other algorithm are refused
before the signature is looked at), checks the signature, ``typ``, issuer and audience, requires
every claim above with the right type, and checks the time window against the injected clock
(not the machine's): ``nbf``/``iat`` may be up to ``LEEWAY`` in the future, ``exp`` has no leeway.
Any failure is ``Unauthenticated`` with a message that does not say which check failed.

Refresh tokens are not JWTs: they are opaque random strings (``jobraker_core.accounts.model``),
so one presented as an access token fails to decode.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs
import jwt

from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import AccessClaims, IssuedAccessToken, User
from jobraker_core.errors import ConfigurationError, Unauthenticated

ALGORITHM: Final = "HS256"
TOKEN_TYPE: Final = "at+jwt"  # noqa: S105 - a media type (RFC 9068), not a secret
LEEWAY: Final = timedelta(seconds=10)
REQUIRED_CLAIMS: Final = ("iss", "aud", "sub", "iat", "nbf", "exp", "jti", "sid", "role", "ver")
MIN_SECRET_BYTES: Final = 32
INVALID: Final = "the access token is invalid or has expired"


def _instant(value: object) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthenticated(INVALID)
    return datetime.fromtimestamp(value, UTC)


def _uuid(value: object) -> uuid.UUID:
    if not isinstance(value, str):
        raise Unauthenticated(INVALID)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Unauthenticated(INVALID) from None


def _claims_of(payload: dict[str, Any]) -> AccessClaims:
    version = payload["ver"]
    token_id = payload["jti"]
    try:
        role = Role(payload["role"])
    except ValueError:
        raise Unauthenticated(INVALID) from None
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise Unauthenticated(INVALID)
    if not isinstance(token_id, str) or not token_id:
        raise Unauthenticated(INVALID)
    return AccessClaims(
        user_id=_uuid(payload["sub"]),
        role=role,
        token_id=token_id,
        session_id=_uuid(payload["sid"]),
        token_version=version,
        issued_at=_instant(payload["iat"]),
        expires_at=_instant(payload["exp"]),
    )


@attrs.frozen
class JwtAccessTokens:
    """The ``AccessTokenIssuer`` and ``AccessTokenVerifier`` of production.

    ``ConfigurationError`` when ``secret`` is shorter than 32 bytes (RFC 7518 §3.2).
    """

    secret: bytes = attrs.field(repr=False)
    issuer: str
    audience: str
    lifetime: timedelta

    def __attrs_post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise ConfigurationError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        if self.lifetime <= timedelta(0):
            raise ConfigurationError("the access-token lifetime must be positive")

    def issue(self, user: User, session_id: uuid.UUID, now: datetime) -> IssuedAccessToken:
        """Sign a token for ``user`` in session ``session_id``, valid from ``now``."""
        issued = int(now.timestamp())
        expires = issued + int(self.lifetime.total_seconds())
        token_id = uuid.uuid4().hex
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user.id),
            "iat": issued,
            "nbf": issued,
            "exp": expires,
            "jti": token_id,
            "sid": str(session_id),
            "role": user.role.value,
            "ver": user.token_version,
        }
        token = jwt.encode(payload, self.secret, algorithm=ALGORITHM, headers={"typ": TOKEN_TYPE})
        return IssuedAccessToken(
            token=token, token_id=token_id, expires_at=datetime.fromtimestamp(expires, UTC)
        )

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """The claims of ``token`` if it is valid at ``now``; ``Unauthenticated`` otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE:
                raise Unauthenticated(INVALID)
            payload: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_signature": True,
                    "verify_aud": True,
                    "verify_iss": True,
                    "verify_exp": False,  # checked below against the injected clock
                    "verify_nbf": False,
                    "verify_iat": False,
                    "strict_aud": True,
                },
            )
        except jwt.InvalidTokenError:
            raise Unauthenticated(INVALID) from None
        claims = _claims_of(payload)
        not_before = _instant(payload["nbf"])
        if now + LEEWAY < not_before or now + LEEWAY < claims.issued_at:
            raise Unauthenticated(INVALID)
        if now >= claims.expires_at:
            raise Unauthenticated(INVALID)
        return claims


def access_token_lifetime(minutes: int) -> timedelta:
    """How long an access token lives (``JOBRAKER_ACCESS_TOKEN_MINUTES``, at least 1)."""
    if minutes < 1:
        raise ConfigurationError("JOBRAKER_ACCESS_TOKEN_MINUTES must be 1 or more")
    return timedelta(minutes=minutes)


def refresh_token_lifetime(days: int) -> timedelta:
    """How long a refresh token lives (``JOBRAKER_REFRESH_TOKEN_DAYS``, at least 1)."""
    if days < 1:
        raise ConfigurationError("JOBRAKER_REFRESH_TOKEN_DAYS must be 1 or more")
    return timedelta(days=days)
