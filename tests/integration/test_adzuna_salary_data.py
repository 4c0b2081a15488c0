"""Adzuna's salary histogram and history (§1.5) against the fake server, on the real quota."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import attrs
import httpx
import pytest

from fakes.adzuna_server import DEFAULT_NOW, FakeAdzunaServer, running_fake_adzuna
from jobraker_adapters.market_wiring import adzuna_salary_data
from jobraker_adapters.memory import FixedClock
from jobraker_adapters.sources.adzuna import AdzunaSalaryData
from jobraker_adapters.sources.quota import RedisCallQuota, quota_key
from jobraker_core.errors import ConfigurationError, UpstreamUnavailable
from jobraker_core.market.model import SalaryBucket
from jobraker_core.market.use_cases import SalaryInsight, SalaryQuestion

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[FakeAdzunaServer]:
    """Run a fake Adzuna server for this test."""
    with running_fake_adzuna() as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """Give an HTTP client with short timeouts."""
    with httpx.Client(timeout=httpx.Timeout(2.0, connect=2.0)) as client:
        yield client


def _data(fake, http, redis_client, *, app_key=None) -> AdzunaSalaryData:
    clock = FixedClock(DEFAULT_NOW)
    return AdzunaSalaryData(
        http=http,
        base_url=fake.base_url,
        app_id=fake.app_id,
        app_key=app_key or fake.app_key,
        quota=RedisCallQuota(redis_client, key=quota_key("adzuna", fake.app_id), clock=clock),
        clock=clock,
        sleep=lambda _: None,
    )


def _paid(fake, words):
    return [
        j
        for j in fake.jobs("gb")
        if "salary_min" in j
        and all(
            w
            in f"{j['title']} {j['description']}".replace("<strong>", "")
            .replace("</strong>", "")
            .lower()
            for w in words
        )
    ]


def test_histogram_and_history_are_read_in_order_whatever_order_adzuna_sends(
    fake, http, redis_client
):
    """Buckets sorted by lower bound, months oldest first, figures as the server computed."""
    found = _data(fake, http, redis_client).salaries("gb", "python", 12)
    paid = _paid(fake, ["python"])
    counts = Counter(int((j["salary_min"] + j["salary_max"]) / 2) // 10_000 * 10_000 for j in paid)
    assert found.histogram == tuple(SalaryBucket(k, v) for k, v in sorted(counts.items()))
    assert found.currency == "GBP"
    months = [m.month for m in found.history]
    assert months
    assert months == sorted(months)
    latest = [j for j in paid if j["created"].startswith(months[-1])]
    average = sum((j["salary_min"] + j["salary_max"]) / 2 for j in latest) / len(latest)
    assert found.history[-1].average == Decimal(str(round(average, 2))).quantize(Decimal(1))
    calls = [r for r in fake.requests if r.path.endswith(("/histogram", "/history"))]
    assert [r.query["what"] for r in calls] == ["python", "python"]
    assert calls[1].query["months"] == "12"
    # both calls were counted against the shared Adzuna quota
    quota = RedisCallQuota(
        redis_client, key=quota_key("adzuna", fake.app_id), clock=FixedClock(DEFAULT_NOW)
    )
    assert quota.used()["minute"] == 2


def test_bad_credentials_and_outages_map_to_core_errors(fake, http, redis_client):
    """401 is ConfigurationError; repeated 5xx is UpstreamUnavailable."""
    with pytest.raises(ConfigurationError):
        _data(fake, http, redis_client, app_key="wrong").salaries("gb", "python", 3)
    fake.fail_next(4)
    with pytest.raises(UpstreamUnavailable):
        _data(fake, http, redis_client).salaries("gb", "python", 3)


def test_salary_insight_adds_adzuna_figures_or_says_why_not(fake, http, redis_client, settings):
    """With Adzuna configured and a country, the report carries its figures; failures are noted."""
    configured = attrs.evolve(
        settings,
        adzuna_app_id=fake.app_id,
        adzuna_app_key=fake.app_key,
        adzuna_base_url=fake.base_url,
    )
    external = adzuna_salary_data(configured, http, redis_client, FixedClock(DEFAULT_NOW))
    assert adzuna_salary_data(settings, http, redis_client, FixedClock(DEFAULT_NOW)) is None
    from jobraker_adapters.container import build_memory_container  # noqa: PLC0415 - only here

    container = build_memory_container()
    insight = SalaryInsight(container.market_data(), container.title_normaliser(), external)
    report = insight(SalaryQuestion(title="Python Developer", country="GB"))
    assert report.external is not None
    assert report.external.country == "gb"
    assert sum(b.jobs for b in report.external.histogram) > 0
    assert insight(SalaryQuestion(title="Python Developer")).external is None  # no country
    fake.fail_next(10)
    failed = insight(SalaryQuestion(title="Python Developer", country="GB"))
    assert failed.external is None
    assert "Adzuna" in failed.external_error
