"""The shared ``httpx.Client`` that HTTP-speaking adapters (Adzuna, ...) receive."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from jobraker_adapters.settings import Settings

USER_AGENT = "Jobraker/0.1 (+https://github.com/jobraker/jobraker)"


def open_http_client(
    settings: Settings, transport: httpx.BaseTransport | None = None
) -> Iterator[httpx.Client]:
    """Yield a client with Jobraker's timeouts and user agent; close it afterwards.

    Redirects are not followed: an adapter that expects one follows it explicitly. The container
    passes a ``transport`` that measures every call per vendor (``jobraker_adapters.metrics``).
    """
    client = httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout, connect=5.0),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        transport=transport,
    )
    try:
        yield client
    finally:
        client.close()
