"""A vendor call quota kept in Redis, shared by every process that calls the vendor.

Each granted call is a member of one sorted set (score = the time of the call). One Lua script
counts the calls inside every sliding window, records the new call only if every window has room,
and otherwise answers how long to wait until the window that is full has room again. Redis runs
the script atomically, so processes on any number of machines never exceed a limit together.

Sliding windows at least as long as the vendor's calendar periods keep every calendar period
within its limit too: a day is 24 h, a week 7 days, and a month 31 days (the longest month).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

import attrs
import redis

from jobraker_core.errors import RateLimited, UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from jobraker_core.clock import Clock

DAY: Final = 86_400.0


@attrs.frozen
class QuotaWindow:
    """At most ``limit`` calls in any ``seconds``-long stretch of time."""

    name: str
    seconds: float
    limit: int


ADZUNA_WINDOWS: Final = (
    QuotaWindow("minute", 60.0, 25),
    QuotaWindow("day", DAY, 250),
    QuotaWindow("week", 7 * DAY, 1000),
    QuotaWindow("month", 31 * DAY, 2500),
)
"""Adzuna's default limits: 25 calls a minute, 250 a day, 1,000 a week, 2,500 a month."""

# KEYS[1]: the sorted set of calls (score = time of the call in integer milliseconds).
# ARGV[1]: now (ms), ARGV[2]: a unique member for this call, then (window ms, limit) pairs.
# Integers keep the arithmetic exact in Lua's doubles. Returns {1, 0} when the call is recorded,
# else {0, milliseconds to wait until every full window has room again}.
_ACQUIRE_SCRIPT: Final = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local longest = 0
for i = 3, #ARGV, 2 do
  local span = tonumber(ARGV[i])
  if span > longest then longest = span end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
local wait = 0
for i = 3, #ARGV, 2 do
  local span = tonumber(ARGV[i])
  local limit = tonumber(ARGV[i + 1])
  local since = '(' .. string.format('%d', now - span)
  local count = redis.call('ZCOUNT', key, since, '+inf')
  if count >= limit then
    local oldest = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES',
                              'LIMIT', count - limit, 1)
    local free_in = tonumber(oldest[2]) + span - now
    if free_in > wait then wait = free_in end
  end
end
if wait > 0 then
  return {0, wait}
end
redis.call('ZADD', key, now, ARGV[2])
redis.call('PEXPIRE', key, longest + 60000)
return {1, 0}
"""

# KEYS[1]: the calls. ARGV[1]: now (ms), then window lengths (ms). Returns the count in each.
_COUNT_SCRIPT: Final = """
local now = tonumber(ARGV[1])
local counts = {}
for i = 2, #ARGV do
  local since = '(' .. string.format('%d', now - tonumber(ARGV[i]))
  counts[#counts + 1] = redis.call('ZCOUNT', KEYS[1], since, '+inf')
end
return counts
"""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)


def quota_key(vendor: str, app_id: str) -> str:
    """Return the Redis key of one vendor account's quota."""
    return f"jobraker:quota:{vendor}:{app_id}"


class RedisCallQuota:
    """A call quota over sliding windows, kept in Redis and shared across processes.

    ``try_acquire`` records a call if every window allows it and otherwise says how long to wait.
    ``acquire`` waits (through ``sleep``) when the wait is at most ``max_wait`` seconds, and raises
    ``RateLimited`` with the wait when it is longer (a day, week or month is used up). Time comes
    from ``clock``, so tests move it instead of sleeping. Redis failures raise
    ``UpstreamUnavailable(service="redis")``.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        key: str,
        clock: Clock,
        windows: Sequence[QuotaWindow] = ADZUNA_WINDOWS,
        service: str = "adzuna",
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 60.0,
        max_attempts: int = 5,
    ) -> None:
        """Take the Redis client, key and windows; ``acquire`` tries ``max_attempts`` times."""
        self._client = client
        self._key = key
        self._clock = clock
        self._windows = tuple(windows)
        self._service = service
        self._sleep = sleep
        self._max_wait = max_wait
        self._max_attempts = max_attempts

    @property
    def key(self) -> str:
        """The Redis key holding the calls."""
        return self._key

    def try_acquire(self) -> float:
        """Record one call now if every window has room and return 0; else the seconds to wait."""
        args: list[int | str] = [self._now_ms(), uuid.uuid4().hex]
        for window in self._windows:
            args += [_milliseconds(window.seconds), window.limit]
        try:
            reply: list[object] = self._client.eval(_ACQUIRE_SCRIPT, 1, self._key, *args)
        except redis.RedisError as error:
            raise UpstreamUnavailable(
                f"the {self._service} call quota in Redis is unavailable: {error}", service="redis"
            ) from None
        granted, wait_ms = reply
        return 0.0 if granted == 1 else max(int(str(wait_ms)), 1) / 1000

    def acquire(self) -> None:
        """Record one call, waiting for short waits; raise ``RateLimited`` for long ones."""
        for _ in range(self._max_attempts):
            wait = self.try_acquire()
            if wait == 0:
                return
            if wait > self._max_wait:
                raise RateLimited(
                    f"the {self._service} call quota is used up; try again in {wait:.0f} s",
                    service=self._service,
                    retry_after=wait,
                )
            self._sleep(wait)
        raise RateLimited(
            f"the {self._service} call quota stayed busy after {self._max_attempts} waits",
            service=self._service,
            retry_after=self._max_wait,
        )

    def used(self) -> dict[str, int]:
        """How many calls each window holds now, by window name."""
        args = [self._now_ms(), *(_milliseconds(w.seconds) for w in self._windows)]
        try:
            counts: list[int] = self._client.eval(_COUNT_SCRIPT, 1, self._key, *args)
        except redis.RedisError as error:
            raise UpstreamUnavailable(
                f"the {self._service} call quota in Redis is unavailable: {error}", service="redis"
            ) from None
        return {w.name: int(c) for w, c in zip(self._windows, counts, strict=True)}

    def _now_ms(self) -> int:
        return (self._clock.now() - _EPOCH) // _MS
