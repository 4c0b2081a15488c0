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

from typing import TYPE_CHECKING

import structlog
from litestar.concurrency import sync_to_thread

from jobraker_core.errors import TooManyRequests, UpstreamUnavailable
from jobraker_core.rate_limits import Bucket

if TYPE_CHECKING:
    import uuid

    from jobraker_adapters.container import Container

_log = structlog.get_logger(__name__)


def assistant_bucket(user_id: uuid.UUID) -> str:
    """The rate limiter's key of the person's assistant requests."""
    return f"assistant:{user_id}"


async def check_assistant_rate(container: Container, user_id: uuid.UUID) -> None:
    """Count one request against the person's assistant rate; ``TooManyRequests`` over it."""
    rate = container.settings().chat_rate
    limiter = await sync_to_thread(container.rate_limiter)
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
