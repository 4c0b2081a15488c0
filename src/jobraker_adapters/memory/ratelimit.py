"""The in-memory rate limiter: the same GCRA buckets as the Redis limiter, in one process."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from jobraker_core.errors import UpstreamUnavailable
from jobraker_core.rate_limits import Bucket, RateDecision, gcra_step, tightest

if TYPE_CHECKING:
    from jobraker_core.clock import Clock


@attrs.define
class InMemoryRateLimiter:
    """A ``RateLimiter`` whose buckets live in a dict and whose time is ``clock``'s.

    ``requests`` records the bucket keys of every request asked about, allowed or not. Set
    ``unavailable`` to make it fail like a Redis that is down (``UpstreamUnavailable``).
    """

    clock: Clock
    tats: dict[str, float] = attrs.field(factory=dict)
    requests: list[tuple[str, ...]] = attrs.field(factory=list)
    unavailable: bool = False
    closed: int = 0
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    async def hit(self, buckets: Sequence[Bucket]) -> RateDecision:
        """Count one request against every bucket, atomically; refuse if any is full."""
        if not buckets:
            msg = "hit() needs at least one bucket"
            raise ValueError(msg)
        if self.unavailable:
            raise UpstreamUnavailable("the in-memory rate limiter is switched off", service="redis")
        now = self.clock.now().timestamp()
        with self._lock:
            self.requests.append(tuple(bucket.key for bucket in buckets))
            steps = [gcra_step(self.tats.get(b.key), now, b.rate) for b in buckets]
            if all(decision.allowed for decision, _ in steps):
                for bucket, (_, tat) in zip(buckets, steps, strict=True):
                    self.tats[bucket.key] = tat
        return tightest([decision for decision, _ in steps])

    async def aclose(self) -> None:
        """Count the closes (nothing to release)."""
        self.closed += 1
