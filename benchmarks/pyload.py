"""A small closed-loop HTTP load generator, used when ``wrk`` is not installed."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx


async def _worker(
    client: httpx.AsyncClient, url: str, stop: float, latencies: list[float], failures: list[int]
) -> None:
    while time.perf_counter() < stop:
        started = time.perf_counter()
        try:
            response = await client.get(url)
            if response.status_code >= 400:
                failures.append(response.status_code)
        except httpx.HTTPError:
            failures.append(0)
        latencies.append(time.perf_counter() - started)


async def _run(url: str, connections: int, seconds: int, token: str | None) -> dict[str, Any]:
    latencies: list[float] = []
    failures: list[int] = []
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as client:
        started = time.perf_counter()
        stop = started + seconds
        await asyncio.gather(
            *(_worker(client, url, stop, latencies, failures) for _ in range(connections))
        )
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "tool": "python",
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": sum(1 for f in failures if f == 0),
        "non2xx": sum(1 for f in failures if f != 0),
    }


def run_load(url: str, connections: int, seconds: int, token: str | None = None) -> dict[str, Any]:
    """Keep ``connections`` requests in flight against ``url`` for ``seconds``; report rates."""
    return asyncio.run(_run(url, connections, seconds, token))
