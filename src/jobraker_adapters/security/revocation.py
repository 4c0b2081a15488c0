"""The token revocation list in Redis, shared by every API process.

Keys (all with a TTL, so the list never outgrows the tokens it guards):

- ``jobraker:revoked:token:<jti>`` — one revoked access token, until it would have expired;
- ``jobraker:revoked:session:<sid>`` — a revoked login session (logout, refresh-token reuse),
  for one access-token lifetime;
- ``jobraker:revoked:user:<uuid>`` — the user's lowest valid ``token_version`` (password change,
  "log out everywhere", disabling), for one access-token lifetime.

PostgreSQL stays the source of truth for sessions and token versions (requests compare the
token's version with the stored user's); this list makes a logout take effect at once and adds a
second check that does not depend on the database. Redis errors are ``UpstreamUnavailable``: a
request whose token cannot be checked is refused, never let through.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import redis

from jobraker_core.errors import UpstreamUnavailable

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterator
    from datetime import datetime

    from jobraker_core.accounts.model import AccessClaims

SERVICE: Final = "redis"
PREFIX: Final = "jobraker:revoked"

# Keep the highest version: a late, lower revocation must not lower the bar.
_RAISE_VERSION: Final = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
end
return 1
"""


@contextmanager
def translate_redis_errors() -> Iterator[None]:
    """Turn redis-py errors into ``UpstreamUnavailable(service="redis")``."""
    try:
        yield
    except redis.RedisError as error:
        raise UpstreamUnavailable(f"Redis is unavailable: {error}", service=SERVICE) from error


def _ttl(until: datetime, now: datetime) -> int:
    return math.ceil((until - now).total_seconds())


class RedisRevocationStore:
    """A ``RevocationStore`` in Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str = PREFIX) -> None:
        """Keep revocations in ``client`` under keys starting with ``prefix``."""
        self._redis = client
        self._prefix = prefix
        self._raise_version = client.register_script(_RAISE_VERSION)

    def _token_key(self, token_id: str) -> str:
        return f"{self._prefix}:token:{token_id}"

    def _session_key(self, session_id: uuid.UUID) -> str:
        return f"{self._prefix}:session:{session_id}"

    def _user_key(self, user_id: uuid.UUID) -> str:
        return f"{self._prefix}:user:{user_id}"

    def revoke_token(self, token_id: str, expires_at: datetime, now: datetime) -> None:
        """Revoke the access token until it expires (nothing to do if it already has)."""
        ttl = _ttl(expires_at, now)
        if ttl > 0:
            with translate_redis_errors():
                self._redis.set(self._token_key(token_id), b"1", ex=ttl)

    def revoke_session(self, session_id: uuid.UUID, until: datetime, now: datetime) -> None:
        """Revoke the session's access tokens until ``until``."""
        ttl = _ttl(until, now)
        if ttl > 0:
            with translate_redis_errors():
                self._redis.set(self._session_key(session_id), b"1", ex=ttl)

    def revoke_user(
        self, user_id: uuid.UUID, token_version: int, until: datetime, now: datetime
    ) -> None:
        """Revoke the user's tokens older than ``token_version`` until ``until``."""
        ttl = _ttl(until, now)
        if ttl > 0:
            with translate_redis_errors():
                self._raise_version(keys=[self._user_key(user_id)], args=[token_version, ttl])

    def is_revoked(self, claims: AccessClaims) -> bool:
        """Whether the token, its session, or its version was revoked (one round trip)."""
        keys = [
            self._token_key(claims.token_id),
            self._session_key(claims.session_id),
            self._user_key(claims.user_id),
        ]
        with translate_redis_errors():
            token, session, version = self._redis.mget(keys)
        if token is not None or session is not None:
            return True
        return version is not None and claims.token_version < int(version)
