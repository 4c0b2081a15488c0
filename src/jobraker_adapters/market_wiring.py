"""What the container needs to wire market intelligence: Adzuna's salary data, when configured."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from jobraker_adapters.sources.adzuna import AdzunaSalaryData
from jobraker_adapters.sources.quota import ADZUNA_WINDOWS, RedisCallQuota, quota_key

if TYPE_CHECKING:
    import httpx
    import redis

    from jobraker_adapters.settings import Settings
    from jobraker_core.clock import Clock

QUOTA_MAX_WAIT: Final = 2.0
"""Seconds a salary request may wait for the Adzuna quota (it serves an HTTP request)."""


def adzuna_salary_data(
    settings: Settings, http: httpx.Client, redis: redis.Redis, clock: Clock
) -> AdzunaSalaryData | None:
    """Adzuna's salary endpoints on the shared quota; None when Adzuna is not configured."""
    if not settings.adzuna_enabled or not settings.adzuna_app_id or not settings.adzuna_app_key:
        return None
    quota = RedisCallQuota(
        redis,
        key=quota_key("adzuna", settings.adzuna_app_id),
        clock=clock,
        windows=ADZUNA_WINDOWS,
        service="adzuna",
        max_wait=QUOTA_MAX_WAIT,
    )
    return AdzunaSalaryData(
        http=http,
        base_url=settings.adzuna_base_url,
        app_id=settings.adzuna_app_id,
        app_key=settings.adzuna_app_key,
        quota=quota,
        clock=clock,
    )
