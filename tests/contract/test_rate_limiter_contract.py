"""The ``RateLimiter`` contract, run on the in-memory fake and on real Redis.

Windows are long (an hour), so the real time a test takes never refills a bucket and the fake's
stopped clock and Redis's running one agree.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest

from jobraker_adapters.memory import FixedClock, InMemoryRateLimiter
from jobraker_adapters.security.ratelimit import RedisRateLimiter, open_async_redis
from jobraker_core.rate_limits import Bucket, Rate, RateDecision

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from jobraker_core.rate_limits import RateLimiter

HOURLY_3 = Rate(3, 3600)
HOURLY_5 = Rate(5, 3600)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def make_limiter(request: pytest.FixtureRequest) -> Callable[[], RateLimiter]:
    """Make limiters over one shared store: the in-memory fake or the test Redis."""
    if request.param == "memory":
        shared = InMemoryRateLimiter(FixedClock())
        return lambda: shared
    request.getfixturevalue("redis_client")  # flushed for this test
    endpoints = request.getfixturevalue("services")
    return lambda: RedisRateLimiter(open_async_redis(endpoints))


def run(make_limiter, scenario: Callable[[RateLimiter], Awaitable[object]]) -> object:
    """Run ``scenario`` on a fresh limiter in an event loop of its own, then close it."""

    async def main() -> object:
        limiter = make_limiter()
        try:
            return await scenario(limiter)
        finally:
            await limiter.aclose()

    return asyncio.run(main())


def bucket(rate: Rate = HOURLY_3) -> Bucket:
    """A bucket no other test uses."""
    return Bucket(key=f"test:{uuid.uuid4().hex}", rate=rate)


async def hits(limiter: RateLimiter, buckets: list[Bucket], count: int) -> list[RateDecision]:
    """``count`` requests against ``buckets``, one after the other."""
    return [await limiter.hit(buckets) for _ in range(count)]


class TestRateLimiter:
    """Counting requests in shared buckets."""

    def test_the_limit_passes_and_the_next_is_refused(self, make_limiter):
        """Three of an hourly three pass, counting down; the fourth waits about 20 minutes."""
        one = bucket()
        decisions = run(make_limiter, lambda limiter: hits(limiter, [one], 4))
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0]
        assert decisions[-1].retry_after == pytest.approx(1200, abs=2)
        assert decisions[-1].rate == HOURLY_3
        assert decisions[0].reset_after == pytest.approx(1200, abs=2)

    def test_buckets_are_independent(self, make_limiter):
        """Filling one bucket leaves another untouched."""
        first, second = bucket(), bucket()

        async def scenario(limiter):
            await hits(limiter, [first], 3)
            return await limiter.hit([second])

        decision = run(make_limiter, scenario)
        assert decision.allowed
        assert decision.remaining == 2

    def test_limiters_on_one_store_share_buckets(self, make_limiter):
        """Two limiters (two processes) on the same store count into the same bucket."""
        one = bucket()
        run(make_limiter, lambda limiter: hits(limiter, [one], 2))
        decisions = run(make_limiter, lambda limiter: hits(limiter, [one], 2))
        assert [d.allowed for d in decisions] == [True, False]

    def test_a_refusal_by_one_bucket_counts_in_none(self, make_limiter):
        """When one bucket of a request is full, the others are not charged for it."""
        full, roomy = bucket(HOURLY_3), bucket(HOURLY_5)

        async def scenario(limiter):
            await hits(limiter, [full], 3)
            refused = await limiter.hit([full, roomy])
            alone = await limiter.hit([roomy])
            return refused, alone

        refused, alone = run(make_limiter, scenario)
        assert not refused.allowed
        assert refused.rate == HOURLY_3
        assert alone.remaining == 4

    def test_the_decision_reports_the_bucket_with_least_left(self, make_limiter):
        """A request that passes reports the bucket closest to its limit."""
        small, big = bucket(HOURLY_3), bucket(HOURLY_5)
        decision = run(make_limiter, lambda limiter: limiter.hit([big, small]))
        assert decision.rate == HOURLY_3
        assert decision.remaining == 2

    def test_concurrent_requests_never_exceed_the_limit(self, make_limiter):
        """Twenty requests at once on an hourly five: exactly five pass."""
        one = bucket(HOURLY_5)

        async def scenario(limiter):
            return await asyncio.gather(*(limiter.hit([one]) for _ in range(20)))

        decisions = run(make_limiter, scenario)
        assert sum(d.allowed for d in decisions) == 5

    def test_at_least_one_bucket_is_needed(self, make_limiter):
        """Asking about no bucket is a programming error."""
        with pytest.raises(ValueError, match="at least one bucket"):
            run(make_limiter, lambda limiter: limiter.hit([]))
