"""The ``UserDataCache`` in Redis: what is kept under a user's id, found and deleted on erasure.

The convention for anything Jobraker caches per user in Redis: keys under
``jobraker:user:<uuid>:`` (``jobraker_core.accounts.privacy.user_cache_prefix``). ``purge`` scans
that prefix (``SCAN MATCH``, never ``KEYS``) and deletes what it finds, plus the per-user keys
that other parts keep under their own prefixes: the API's rate-limit bucket of the user
(``jobraker:ratelimit:user:<uuid>``). Keys of other parts that could name the user hold only
keyed pseudonyms (the login throttle) or are needed to keep its tokens revoked (the revocation
list, which expires with the tokens).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import redis

from jobraker_core.accounts.privacy import user_cache_prefix
from jobraker_core.errors import UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

SERVICE: Final = "redis"
SCAN_BATCH: Final = 500
OTHER_USER_KEYS: Final = ("jobraker:ratelimit:user:{user_id}",)


@contextmanager
def _translate() -> Iterator[None]:
    try:
        yield
    except redis.RedisError as error:
        raise UpstreamUnavailable(f"Redis is unavailable: {error}", service=SERVICE) from error


def _glob_escape(text: str) -> str:
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


class RedisUserDataCache:
    """A ``UserDataCache`` over a Redis client."""

    def __init__(self, client: redis.Redis) -> None:
        """Purge keys of ``client``."""
        self._redis = client

    def purge(self, user_id: uuid.UUID) -> int:
        """Delete every key under the user's prefix and the user's other keys."""
        pattern = _glob_escape(user_cache_prefix(user_id)) + "*"
        deleted = 0
        with _translate():
            batch: list[str] = []
            for key in self._redis.scan_iter(match=pattern, count=SCAN_BATCH):
                batch.append(key.decode() if isinstance(key, bytes) else str(key))
                if len(batch) >= SCAN_BATCH:
                    deleted += int(self._redis.delete(*batch))
                    batch.clear()
            others = [template.format(user_id=user_id) for template in OTHER_USER_KEYS]
            deleted += int(self._redis.delete(*batch, *others))
        return deleted


__all__ = ["OTHER_USER_KEYS", "RedisUserDataCache"]
