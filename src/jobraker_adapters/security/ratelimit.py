"""The ``RateLimiter`` port on Redis: buckets shared by every API process of a deployment.

One Lua script does the whole decision atomically on the Redis server, with the server's clock
(``TIME``), so processes on hosts whose clocks disagree still share exact buckets. The script
runs ``jobraker_core.rate_limits.gcra_step`` for every bucket of the request (microseconds, one
key per bucket holding its TAT); only if every bucket allows the request are the new TATs
written, each expiring when its bucket is full again. A bucket therefore costs one short string
key, whatever its limit.

Redis that cannot be reached raises ``UpstreamUnavailable(service="redis")``. After a failure the
limiter does not call Redis again for ``cooldown`` seconds (it raises at once), so a dead Redis
costs each request nothing but the check of a timestamp. The client is an asyncio client with
short timeouts and no retries (``open_async_redis``): the HTTP edge asks it on the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from jobraker_core.errors import UpstreamUnavailable
from jobraker_core.rate_limits import Bucket, RateDecision, tightest

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

SERVICE: Final = "redis"
KEY_PREFIX: Final = "jobraker:ratelimit:"
DEFAULT_COOLDOWN_SECONDS: Final = 1.0
SOCKET_TIMEOUT_SECONDS: Final = 0.5
_MICROS: Final = 1_000_000

# KEYS[i]: the bucket keys. ARGV: limit_1, window_us_1, limit_2, window_us_2, ...
# Returns one {allowed, remaining, reset_after_us, retry_after_us} per bucket.
GCRA_SCRIPT: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {}
local tats = {}
local all_allowed = true
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local interval = window / limit
  local stored = redis.call('GET', KEYS[i])
  local start = now
  if stored then start = math.max(tonumber(stored), now) end
  local new_tat = start + interval
  local allow_at = new_tat - window
  if now < allow_at then
    all_allowed = false
    out[i] = {0, 0, math.ceil(start - now), math.ceil(allow_at - now)}
  else
    local remaining = math.floor((now - allow_at) / interval + 1e-9)
    if remaining > limit - 1 then remaining = limit - 1 end
    if remaining < 0 then remaining = 0 end
    tats[i] = new_tat
    out[i] = {1, remaining, math.ceil(new_tat - now), 0}
  end
end
if all_allowed then
  for i = 1, #KEYS do
    local ttl_ms = math.ceil((tats[i] - now) / 1000) + 1
    redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', ttl_ms)
  end
end
return out
"""


class _RedisEndpoint(Protocol):
    @property
    def redis_url(self) -> str: ...


def open_async_redis(endpoints: _RedisEndpoint) -> Redis:
    """An asyncio Redis client for ``endpoints.redis_url``: short timeouts, no retries.

    Making it opens no connection; connections are made on first use, on the event loop that
    uses them. Close it with ``await client.aclose()`` (``RedisRateLimiter.aclose`` does).
    """
    return Redis.from_url(
        endpoints.redis_url,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )


class RedisRateLimiter:
    """A ``RateLimiter`` on Redis (see the module docstring)."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = KEY_PREFIX,
        cooldown: float = DEFAULT_COOLDOWN_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Count in ``client``'s database under keys starting with ``prefix``."""
        self._client = client
        self._prefix = prefix
        self._cooldown = cooldown
        self._monotonic = monotonic
        self._down_until = 0.0
        self._script: AsyncScript = client.register_script(GCRA_SCRIPT)

    async def hit(self, buckets: Sequence[Bucket]) -> RateDecision:
        """Count one request against every bucket, atomically; refuse if any is full."""
        if not buckets:
            msg = "hit() needs at least one bucket"
            raise ValueError(msg)
        if self._monotonic() < self._down_until:
            raise UpstreamUnavailable(
                "Redis failed moments ago; not asking again yet", service=SERVICE
            )
        keys = [self._prefix + bucket.key for bucket in buckets]
        args: list[int] = []
        for bucket in buckets:
            args += [bucket.rate.limit, bucket.rate.window_seconds * _MICROS]
        try:
            rows = await self._script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as error:
            self._down_until = self._monotonic() + self._cooldown
            raise UpstreamUnavailable(
                f"Redis is unavailable for rate limiting: {type(error).__name__}: {error}",
                service=SERVICE,
            ) from error
        return tightest(
            [
                RateDecision(
                    allowed=bool(row[0]),
                    rate=bucket.rate,
                    remaining=int(row[1]),
                    reset_after=int(row[2]) / _MICROS,
                    retry_after=int(row[3]) / _MICROS,
                )
                for bucket, row in zip(buckets, rows, strict=True)
            ]
        )

    async def aclose(self) -> None:
        """Close the client's connections (new ones are made if the limiter is used again)."""
        await self._client.aclose()
