"""The retry policy of the job sources' vendor HTTP calls (Adzuna, Greenhouse, Lever).

``RetryPolicy.call`` repeats one attempt that answers a value or the transient error to retry
after: ``RateLimited`` (a 429) is retried after the wait the vendor asked for, at most
``max_rate_limit_waits`` times and never for longer than ``max_retry_after`` seconds; any other
``UpstreamUnavailable`` is retried with exponential backoff (``backoff`` seconds, doubling up to
``max_backoff``) until ``max_attempts`` calls have failed. ``retry_after`` reads the wait from a
429's ``Retry-After`` (seconds or an HTTP date).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, TypeVar

import attrs

from jobraker_core.errors import RateLimited, UpstreamUnavailable

if TYPE_CHECKING:
    import logging

    import httpx

_T = TypeVar("_T")


def retry_after(headers: httpx.Headers, *, default: float, now: datetime) -> float:
    """Seconds to wait per a response's ``Retry-After``; ``default`` when absent or unreadable."""
    raw = headers.get("Retry-After")
    if raw is None:
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@attrs.frozen
class RetryPolicy:
    """How often and how long a vendor call is retried."""

    max_attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_rate_limit_waits: int = 3
    max_retry_after: float = 120.0

    def call(
        self,
        attempt: Callable[[], _T | UpstreamUnavailable],
        *,
        sleep: Callable[[float], None],
        log: logging.Logger,
        service: str,
    ) -> _T:
        """Run ``attempt`` until it answers a value; raise its last error when retries run out."""
        failures = 0
        waits = 0
        while True:
            outcome = attempt()
            if not isinstance(outcome, UpstreamUnavailable):
                return outcome
            if isinstance(outcome, RateLimited):
                waits += 1
                if waits > self.max_rate_limit_waits or outcome.retry_after > self.max_retry_after:
                    raise outcome
                log.warning(
                    "%s rate limited; waiting", service, extra={"wait_s": outcome.retry_after}
                )
                sleep(outcome.retry_after)
                continue
            failures += 1
            if failures >= self.max_attempts:
                raise outcome
            wait = min(self.max_backoff, self.backoff * 2 ** (failures - 1))
            log.warning(
                "%s call failed; retrying",
                service,
                extra={"error": outcome.message, "attempt": failures, "wait_s": wait},
            )
            sleep(wait)
