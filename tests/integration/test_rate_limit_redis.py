"""Rate limits on real Redis: shared by every API process, expiring, and failing open."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from typing import TYPE_CHECKING

import attrs
import pytest
import structlog
from dependency_injector import providers
from litestar.testing import TestClient

from account_builders import bearer_for, stored_user
from jobraker_adapters.container import build_container
from jobraker_adapters.embedded import ServiceEndpoints
from jobraker_adapters.observability import configure_logging
from jobraker_adapters.security.ratelimit import KEY_PREFIX, RedisRateLimiter, open_async_redis
from jobraker_core.errors import UpstreamUnavailable
from jobraker_core.rate_limits import Bucket, Rate
from jobraker_http import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

REGISTER = "/api/v1/auth/register/"
JOBS = "/api/v1/jobs/"


def parsed(stream: io.StringIO) -> list[dict]:
    """The JSON lines written to ``stream``."""
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


@pytest.fixture
def limited(settings, db, redis_client):
    """Settings with rate limiting on: auth 4, address 6, user 3 an hour (clean DB and Redis)."""
    return attrs.evolve(
        settings,
        rate_limit_enabled=True,
        rate_limit_auth_ip=Rate(4, 3600),
        rate_limit_ip=Rate(6, 3600),
        rate_limit_user=Rate(3, 3600),
    )


@pytest.fixture
def two_apps(limited) -> Iterator[tuple[TestClient, TestClient, object]]:
    """Two API processes (two containers, two apps) on the same PostgreSQL and Redis."""
    first, second = build_container(limited), build_container(limited)
    try:
        with TestClient(create_app(first)) as one, TestClient(create_app(second)) as two:
            yield one, two, first
    finally:
        first.shutdown_resources()
        second.shutdown_resources()


def test_two_processes_share_the_auth_limit(two_apps, redis_client):
    """Auth requests spread over two processes still get 4 an hour in total, then 429."""
    one, two, _ = two_apps
    statuses = [(one if i % 2 else two).post(REGISTER, json={}).status_code for i in range(6)]
    assert statuses == [422, 422, 422, 422, 429, 429]
    refused = one.post(REGISTER, json={})
    assert refused.headers["retry-after"] == "900"  # 4 an hour: a slot every 15 minutes
    assert refused.headers["ratelimit-policy"] == "4;w=3600"
    keys = [key.decode() for key in redis_client.keys(KEY_PREFIX + "*")]
    assert len(keys) == 1
    assert keys[0].startswith(KEY_PREFIX + "auth-ip:")
    assert "testclient" not in keys[0]


def test_two_processes_share_a_users_limit(two_apps):
    """A user's three requests an hour are counted across processes."""
    one, two, container = two_apps
    headers = bearer_for(container, stored_user(container))
    statuses = [(one, two, one, two)[i].get(JOBS, headers=headers).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_buckets_expire_once_full_again(two_apps, redis_client):
    """Every bucket key carries an expiry no longer than its window: Redis never fills up."""
    one, _, _ = two_apps
    one.get(JOBS)
    [key] = redis_client.keys(KEY_PREFIX + "*")
    assert 0 < redis_client.pttl(key) <= 3600 * 1000 // 6 + 1000


def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dead_redis() -> ServiceEndpoints:
    """Endpoints naming a Redis that is not there."""
    return ServiceEndpoints(database_url="", redis_url=f"redis://127.0.0.1:{closed_port()}/0")


def test_redis_down_fails_open_and_warns(limited):
    """With the limiter's Redis unreachable, requests are served (not 429, not 500) and logged."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging(limited, stream=stream)
    container = build_container(limited)
    container.async_redis.override(providers.Singleton(open_async_redis, dead_redis()))
    try:
        with TestClient(create_app(container)) as client:
            statuses = [client.post(REGISTER, json={}).status_code for _ in range(8)]
    finally:
        container.shutdown_resources()
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        structlog.reset_defaults()
    assert statuses == [422] * 8
    warnings = [
        line for line in parsed(stream) if "rate limiter unavailable" in str(line.get("event"))
    ]
    assert len(warnings) == 1
    assert warnings[0]["level"] == "warning"


def test_after_a_failure_the_limiter_rests_before_asking_again():
    """A failed Redis is not asked again during the cooldown; afterwards it is."""
    now = [100.0]
    limiter = RedisRateLimiter(
        open_async_redis(dead_redis()), cooldown=5.0, monotonic=lambda: now[0]
    )
    bucket = Bucket(key="k", rate=Rate(1, 60))

    async def scenario() -> list[str]:
        messages = []
        for advance in (0.0, 1.0, 10.0):
            now[0] += advance
            with pytest.raises(UpstreamUnavailable) as raised:
                await limiter.hit([bucket])
            messages.append(raised.value.message)
        await limiter.aclose()
        return messages

    first, resting, again = asyncio.run(scenario())
    assert "unavailable for rate limiting" in first
    assert "not asking again yet" in resting
    assert "unavailable for rate limiting" in again
