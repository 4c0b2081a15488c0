from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from fakes.adzuna_server import DEFAULT_NOW, FakeAdzunaServer, make_jobs, running_fake_adzuna
from jobraker_adapters.memory import FixedClock
from jobraker_adapters.settings import Settings
from jobraker_adapters.sources.adzuna import AdzunaJobSource, AdzunaQuery
from jobraker_adapters.sources.catalog import SourceCatalog
from jobraker_adapters.sources.quota import RedisCallQuota, quota_key
from jobraker_core.errors import ConfigurationError, RateLimited, UpstreamUnavailable
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.model import EmploymentType, JobDraft, RejectedRecord

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


class Harness:
    """An Adzuna source on the fake server with a real Redis quota and a controlled clock."""

    def __init__(self, fake: FakeAdzunaServer, http: httpx.Client, redis_client) -> None:
        """Wire a real Redis quota and a recording sleep to the fake server."""
        self.fake = fake
        self.http = http
        self.clock = FixedClock(DEFAULT_NOW)
        self.sleeps: list[float] = []
        self.quota = RedisCallQuota(
            redis_client, key=quota_key("adzuna", fake.app_id), clock=self.clock, sleep=self.sleep
        )

    def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock instead of sleeping."""
        self.sleeps.append(seconds)
        self.clock.advance(seconds=seconds)

    def source(self, *, app_key: str | None = None, quota=None, **query) -> AdzunaJobSource:
        """Build an Adzuna source for a query (country gb unless given)."""
        return AdzunaJobSource(
            http=self.http,
            base_url=self.fake.base_url,
            app_id=self.fake.app_id,
            app_key=app_key or self.fake.app_key,
            query=AdzunaQuery(**{"country": "gb", **query}),
            quota=quota or self.quota,
            sleep=self.sleep,
            clock=self.clock,
        )


class StampingQuota:
    """Delegates to the real quota and notes the clock time of every call it grants."""

    def __init__(self, inner: RedisCallQuota, clock: FixedClock) -> None:
        """Wrap ``inner`` and read times from ``clock``."""
        self.inner = inner
        self.clock = clock
        self.stamps: list = []

    def acquire(self) -> None:
        """Acquire from the real quota, then note the time."""
        self.inner.acquire()
        self.stamps.append(self.clock.now())


@pytest.fixture
def harness(fake, http, redis_client) -> Harness:
    """Give a harness on the fake server and the test Redis."""
    return Harness(fake, http, redis_client)


def drafts(items: list[JobDraft | RejectedRecord]) -> list[JobDraft]:
    """Assert every item is a draft and return them."""
    assert all(isinstance(item, JobDraft) for item in items), items
    return [item for item in items if isinstance(item, JobDraft)]


def test_pages_are_fetched_until_every_result_is_in(harness):
    """120 results at 50 a page take exactly three calls, even when ten pages were allowed."""
    items = drafts(list(harness.source(pages=10, results_per_page=50).fetch()))
    assert len(items) == 120
    assert len({d.source_id for d in items}) == 120
    requests = harness.fake.search_requests()
    assert [(r.path, r.page) for r in requests] == [
        ("/v1/api/jobs/gb/search/1", 1),
        ("/v1/api/jobs/gb/search/2", 2),
        ("/v1/api/jobs/gb/search/3", 3),
    ]
    assert requests[0].query["content-type"] == "application/json"
    assert requests[0].query["results_per_page"] == "50"


def test_the_fake_contract_maps_cleanly(harness):
    """String ids, <strong> titles, predicted salaries and missing keys all map as documented."""
    items = drafts(list(harness.source(results_per_page=12).fetch()))
    raw = make_jobs("gb", 12)
    assert [d.source_id for d in items] == [r["id"] for r in raw]
    assert all("<strong>" not in d.title for d in items)
    assert items[1].title == "Senior Python Engineer"
    assert items[1].salary is not None
    assert items[1].salary.estimated is True
    assert items[0].salary is not None
    assert items[0].salary.estimated is False
    assert items[0].salary.currency == "GBP"
    assert items[2].company is None
    assert items[2].salary is None
    assert items[0].employment_type is EmploymentType.CONTRACT
    assert items[0].location.city == "City of London"
    assert items[0].location.region == "London"
    assert items[0].url == items[0].apply_url == raw[0]["redirect_url"]


def test_search_filters_reach_adzuna(harness):
    """``what``, ``where``, ``max_days_old`` and ``sort_by`` are sent and honoured."""
    items = drafts(
        list(
            harness.source(
                what="python", where="manchester", max_days_old=20, sort_by="date", pages=3
            ).fetch()
        )
    )
    assert items
    assert all("python" in d.title.lower() or "python" in d.description.lower() for d in items)
    assert all(d.location.city == "Manchester" for d in items)
    cutoff = DEFAULT_NOW - timedelta(days=20)
    assert all(d.posted_at is not None and d.posted_at >= cutoff for d in items)
    dates = [d.posted_at for d in items]
    assert dates == sorted(dates, reverse=True)
    query = harness.fake.search_requests()[0].query
    assert (query["what"], query["where"], query["max_days_old"], query["sort_by"]) == (
        "python",
        "manchester",
        "20",
        "date",
    )


def test_wrong_credentials_are_a_configuration_error(harness):
    """A 401 AUTH_FAIL from Adzuna raises ``ConfigurationError`` without the key in it."""
    with pytest.raises(ConfigurationError) as raised:
        list(harness.source(app_key="wrong-key-123").fetch())
    assert "AUTH_FAIL" in raised.value.message
    assert "wrong-key-123" not in raised.value.message
    assert len(harness.fake.search_requests()) == 1


def test_server_errors_then_success(harness):
    """Two 500s are retried with backoff and the third call's page is used."""
    harness.fake.fail_next(2)
    items = drafts(list(harness.source(results_per_page=5).fetch()))
    assert len(items) == 5
    assert harness.sleeps == [1.0, 2.0]
    assert len(harness.fake.search_requests()) == 3


def test_persistent_server_errors_give_up(harness):
    """Four 503s in a row raise ``UpstreamUnavailable`` for adzuna."""
    harness.fake.fail_next(4, status=503)
    with pytest.raises(UpstreamUnavailable) as raised:
        list(harness.source().fetch())
    assert raised.value.service == "adzuna"
    assert len(harness.fake.search_requests()) == 4


def test_429_waits_for_retry_after(harness):
    """A 429 with Retry-After: 3 waits three seconds and retries."""
    harness.fake.rate_limit_next(1, retry_after="3")
    assert len(drafts(list(harness.source(results_per_page=5).fetch()))) == 5
    assert harness.sleeps == [3.0]


def test_endless_429_becomes_rate_limited(harness):
    """A 429 that keeps coming raises ``RateLimited`` after a bounded number of waits."""
    harness.fake.rate_limit_next(10, retry_after="2")
    with pytest.raises(RateLimited):
        list(harness.source().fetch())
    assert len(harness.fake.search_requests()) == 4


def test_malformed_json_is_retried(harness):
    """A truncated JSON body is retried and the next good page is used."""
    harness.fake.malformed_next(1)
    assert len(drafts(list(harness.source(results_per_page=5).fetch()))) == 5
    assert harness.sleeps == [1.0]


def test_a_hang_beyond_the_timeout_is_retried(fake, redis_client):
    """A response slower than the client timeout counts as a failure and is retried."""
    with httpx.Client(timeout=httpx.Timeout(0.3, connect=2.0)) as quick:
        harness = Harness(fake, quick, redis_client)
        fake.hang_next(1, seconds=3)
        assert len(drafts(list(harness.source(results_per_page=5).fetch()))) == 5
    assert harness.sleeps == [1.0]


def test_every_call_is_counted_in_the_shared_quota(harness):
    """Each HTTP call, retries included, is one call in the Redis quota."""
    harness.fake.fail_next(1)
    list(harness.source(pages=3, results_per_page=50).fetch())
    assert len(harness.fake.search_requests()) == 4
    assert harness.quota.used() == {"minute": 4, "day": 4, "week": 4, "month": 4}


def test_the_quota_paces_calls_to_25_a_minute(harness):
    """Two 20-page fetches make 40 calls, never more than 25 in any minute of the clock."""
    quota = StampingQuota(harness.quota, harness.clock)
    for _ in range(2):
        list(harness.source(pages=20, results_per_page=6, quota=quota).fetch())
    stamps = quota.stamps
    assert len(stamps) == 40
    assert len(harness.fake.search_requests()) == 40
    for i, moment in enumerate(stamps):
        in_minute = [s for s in stamps[: i + 1] if s > moment - timedelta(seconds=60)]
        assert len(in_minute) <= 25
    assert harness.sleeps == [pytest.approx(60.0)]


def test_the_catalog_wires_adzuna_to_settings_and_redis(
    fake, http, redis_client, services, tmp_path: Path
):
    """A catalog on settings naming the fake server fetches through the Redis quota."""
    settings = Settings(
        data_dir=tmp_path,
        redis_url=services.redis_url,
        adzuna_app_id=fake.app_id,
        adzuna_app_key=fake.app_key,
        adzuna_base_url=fake.base_url,
    )
    catalog = SourceCatalog(
        settings=settings, http=http, redis=redis_client, clock=FixedClock(DEFAULT_NOW)
    )
    source = catalog.open(
        SourceSpec.of(
            "adzuna", {"country": "us", "what": "engineer", "pages": "2", "results_per_page": "10"}
        )
    )
    items = drafts(list(source.fetch()))
    assert len(items) == 20
    assert {d.location.country_code for d in items} == {"US"}
    assert {d.salary.currency for d in items if d.salary} == {"USD"}
    used = RedisCallQuota(
        redis_client, key=quota_key("adzuna", fake.app_id), clock=FixedClock(DEFAULT_NOW)
    ).used()
    assert used["minute"] == 2
