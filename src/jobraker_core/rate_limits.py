"""Rate limits: how many requests a client may make, and the port of the store that counts them.

A ``Rate`` allows ``limit`` requests per ``window_seconds``, refilling continuously: this is the
generic cell rate algorithm (GCRA), a sliding window that needs one number per bucket. A client
that has been quiet may send a burst of ``limit`` requests at once; after that it gets one more
every ``window_seconds / limit`` seconds. Unlike a fixed window, there is no moment at a window's
edge where twice the limit gets through in a short time.

Each bucket remembers one instant, its *theoretical arrival time* (TAT): when it would be empty
again if no more requests came. ``gcra_step`` is the whole algorithm, a pure function; the
in-memory limiter runs it in Python and the Redis limiter runs the same steps in a Lua script, so
every process sharing one Redis shares the buckets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, Protocol

import attrs

from jobraker_core.errors import InvalidInput

_UNITS: Final = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}


@attrs.frozen
class Rate:
    """At most ``limit`` requests per ``window_seconds``.

    That is a burst of ``limit``, then a steady ``limit / window_seconds`` per second.
    """

    limit: int = attrs.field(validator=attrs.validators.ge(1))
    window_seconds: int = attrs.field(validator=attrs.validators.ge(1))

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Read ``"10/minute"`` (units: second, minute, hour, day) or ``"10/90s"``.

        ``InvalidInput`` for anything else.
        """
        count, _, per = text.strip().lower().partition("/")
        try:
            limit = int(count)
            if per.endswith("s") and per[:-1].isdigit():
                window = int(per[:-1])
            else:
                window = _UNITS[per.removeprefix("1 ").strip()]
            return cls(limit=limit, window_seconds=window)
        except (ValueError, KeyError):
            raise InvalidInput(
                f"{text!r} is not a rate such as '10/minute' or '100/3600s'", field="rate"
            ) from None

    @property
    def interval(self) -> float:
        """Seconds one request takes from the bucket's capacity (``window / limit``)."""
        return self.window_seconds / self.limit

    @property
    def policy(self) -> str:
        """The rate as a ``RateLimit-Policy`` header value, e.g. ``10;w=60``."""
        return f"{self.limit};w={self.window_seconds}"

    def __str__(self) -> str:
        return f"{self.limit}/{self.window_seconds}s"


@attrs.frozen
class Bucket:
    """One counter: ``key`` names what is counted (a client address, a user), ``rate`` its limit."""

    key: str
    rate: Rate


@attrs.frozen
class RateDecision:
    """The answer for one request, about the bucket that decided it.

    When several buckets were hit, that is the bucket that refused the request (the one with the
    longest wait), else the one with the fewest requests left. ``reset_after`` is how long until
    that bucket is full again; ``retry_after`` how long until a refused request may be retried
    (0 when allowed).
    """

    allowed: bool
    rate: Rate
    remaining: int
    reset_after: float
    retry_after: float = 0.0

    @classmethod
    def unlimited(cls, rate: Rate) -> RateDecision:
        """A decision that lets the request through with the whole ``rate`` left."""
        return cls(allowed=True, rate=rate, remaining=rate.limit, reset_after=0.0)


def gcra_step(tat: float | None, now: float, rate: Rate) -> tuple[RateDecision, float]:
    """Decide one request at ``now`` for a bucket whose TAT is ``tat`` (``None``: never used).

    Returns the decision and the bucket's TAT afterwards (unchanged when refused). Times are
    seconds on any clock, as long as ``tat`` and ``now`` come from the same one.
    """
    interval = rate.interval
    start = now if tat is None else max(tat, now)
    new_tat = start + interval
    allow_at = new_tat - rate.window_seconds
    if now < allow_at:
        wait = allow_at - now
        decision = RateDecision(
            allowed=False,
            rate=rate,
            remaining=0,
            reset_after=start - now,
            retry_after=wait,
        )
        return decision, start if tat is not None else now
    remaining = min(rate.limit - 1, math.floor((now - allow_at) / interval + 1e-9))
    return (
        RateDecision(
            allowed=True, rate=rate, remaining=max(0, remaining), reset_after=new_tat - now
        ),
        new_tat,
    )


def tightest(decisions: Sequence[RateDecision]) -> RateDecision:
    """The decision to report for a request that hit several buckets (see ``RateDecision``)."""
    refused = [d for d in decisions if not d.allowed]
    if refused:
        return max(refused, key=lambda d: d.retry_after)
    return min(decisions, key=lambda d: (d.remaining, -d.reset_after))


class RateLimiter(Protocol):
    """Counts requests in buckets shared by every process of the deployment.

    ``hit`` counts one request against every bucket given, atomically: if any bucket is full,
    none is counted and the request is refused. Raises ``UpstreamUnavailable`` when the store
    cannot be reached (the caller decides whether to let the request through).
    """

    async def hit(self, buckets: Sequence[Bucket]) -> RateDecision:
        """Count one request against ``buckets`` (at least one) and say whether it may pass."""
        ...

    async def aclose(self) -> None:
        """Release the connections of this limiter (it may be used again afterwards)."""
        ...
