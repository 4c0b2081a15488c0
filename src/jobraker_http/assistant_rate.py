"""The per-person rate of requests that use the assistant's language model.

Chat messages (HTTP and WebSocket) and document requests (tailored résumé, cover letter) count
together in one bucket per person, ``assistant:<user id>``, at ``JOBRAKER_CHAT_RATE_LIMIT``,
shared by every process through the rate limiter; over it the request is refused with 429 and
``Retry-After``. This bounds how fast one person can spend model time; the monthly token budget
(``JOBRAKER_LLM_MONTHLY_TOKENS``) bounds how much.

The limiter being unreachable lets the request through (the token budget still holds), like the
edge's other rate limits (``jobraker_http.protection``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import structlog

from jobraker_core.errors import TooManyRequests, UpstreamUnavailable
from jobraker_core.rate_limits import Bucket

if TYPE_CHECKING:
    import uuid

    from litestar.datastructures import State

    from jobraker_adapters.container import Container
    from jobraker_http.protection import RateLimitPolicy

_log = structlog.get_logger(__name__)


def assistant_bucket(user_id: uuid.UUID) -> str:
    """The rate limiter's key of the person's assistant requests."""
    return f"assistant:{user_id}"


async def check_assistant_rate(state: State, user_id: uuid.UUID) -> None:
    """Count one request against the person's assistant rate; ``TooManyRequests`` over it.

    The limiter is the app's (``RateLimitPolicy.shared_limiter``), so its Redis connections are
    closed when the app stops.
    """
    rate = cast("Container", state.container).settings().chat_rate
    limiter = await cast("RateLimitPolicy", state.rate_limits).shared_limiter()
    try:
        decision = await limiter.hit([Bucket(key=assistant_bucket(user_id), rate=rate)])
    except UpstreamUnavailable as error:
        _log.warning("assistant.rate_limit_unavailable", error=error.message)
        return
    if not decision.allowed:
        raise TooManyRequests(
            f"you can make at most {rate.limit} requests to the assistant (chat messages and "
            f"documents together) every {rate.window_seconds} seconds",
            retry_after=decision.retry_after,
        )
