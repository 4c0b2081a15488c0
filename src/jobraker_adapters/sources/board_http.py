"""The HTTP side shared by the keyless job-board APIs (Greenhouse, Lever).

``BoardFetcher.get_json`` makes one GET and returns the decoded JSON, mapping failures to core
errors the way the Adzuna source does: 404 → ``UpstreamRejected`` naming the board (an unknown
board is a permanent mistake); 429 → wait per ``Retry-After`` and retry, then ``RateLimited``;
5xx, network errors, timeouts and malformed JSON → retry with exponential backoff, then
``UpstreamUnavailable``; other 4xx → ``UpstreamRejected``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Final

import httpx

from jobraker_adapters.sources.retrying import RetryPolicy, retry_after
from jobraker_core.clock import Clock, SystemClock
from jobraker_core.errors import RateLimited, UpstreamRejected, UpstreamUnavailable

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER: Final = 30.0


class BoardNotFound(UpstreamRejected):
    """Raised when the job board (a Greenhouse board, a Lever company) does not exist (HTTP 404)."""


class BoardFetcher:
    """GETs JSON from one vendor with Jobraker's retry policy.

    ``max_attempts`` bounds calls per URL on transient failures (backoff ``backoff`` s, doubling up
    to ``max_backoff``); ``max_rate_limit_waits`` bounds 429 waits, and a ``Retry-After`` longer
    than ``max_retry_after`` raises ``RateLimited`` at once. ``sleep`` is how it waits (tests pass
    a recorder).
    """

    def __init__(
        self,
        *,
        http: httpx.Client,
        service: str,
        vendor: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock | None = None,
        max_attempts: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_rate_limit_waits: int = 3,
        max_retry_after: float = 120.0,
    ) -> None:
        """Take the shared client, the service name for errors, the vendor's display name."""
        self._http = http
        self.service = service
        self._vendor = vendor
        self._sleep = sleep
        self._clock = clock or SystemClock()
        self._retry = RetryPolicy(
            max_attempts, backoff, max_backoff, max_rate_limit_waits, max_retry_after
        )

    def get_json(self, url: str, params: Mapping[str, str], *, what: str) -> object:
        """GET ``url`` and return its JSON body; ``what`` names the board in error messages."""
        return self._retry.call(
            lambda: self._attempt(url, params, what),
            sleep=self._sleep,
            log=log,
            service=self.service,
        )

    def _attempt(self, url: str, params: Mapping[str, str], what: str) -> object:
        """One call: the decoded body, or the transient error to retry after; raise if permanent."""
        try:
            response = self._http.get(url, params=dict(params))
        except httpx.TimeoutException:
            return UpstreamUnavailable(f"{self._vendor} timed out ({what})", service=self.service)
        except httpx.HTTPError as error:
            return UpstreamUnavailable(
                f"{self._vendor} is unreachable ({what}): {type(error).__name__}",
                service=self.service,
            )
        status = response.status_code
        if status == 404:  # noqa: PLR2004
            raise BoardNotFound(f"{self._vendor} has no {what} (HTTP 404)", service=self.service)
        if status == 429:  # noqa: PLR2004
            wait = retry_after(response.headers, default=DEFAULT_RETRY_AFTER, now=self._clock.now())
            return RateLimited(
                f"{self._vendor} asked us to slow down (HTTP 429, retry in {wait:.0f} s)",
                service=self.service,
                retry_after=wait,
            )
        if status >= 500:  # noqa: PLR2004
            return UpstreamUnavailable(
                f"{self._vendor} failed with HTTP {status} ({what})", service=self.service
            )
        if status != 200:  # noqa: PLR2004
            raise UpstreamRejected(
                f"{self._vendor} refused the request for {what} (HTTP {status}): "
                f"{response.text[:200].strip()}",
                service=self.service,
            )
        try:
            return response.json()
        except ValueError:
            return UpstreamUnavailable(
                f"{self._vendor} sent malformed JSON ({what})", service=self.service
            )
