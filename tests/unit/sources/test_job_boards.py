"""Greenhouse and Lever sources against their local fake servers: mapping, paging and errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import httpx
import pytest

from fakes.greenhouse_server import make_greenhouse_jobs, running_fake_greenhouse
from fakes.lever_server import make_lever_postings, running_fake_lever
from jobraker_adapters.memory import FixedClock
from jobraker_adapters.settings import Settings
from jobraker_adapters.sources.board_http import BoardFetcher
from jobraker_adapters.sources.catalog import SourceCatalog
from jobraker_adapters.sources.greenhouse import GreenhouseJobSource, map_job, parse_place
from jobraker_adapters.sources.lever import LeverJobSource, map_posting
from jobraker_core.errors import (
    ConfigurationError,
    InvalidInput,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.model import (
    EmploymentType,
    JobDraft,
    JobPosting,
    RejectedRecord,
    RemoteMode,
)
from jobraker_core.jobs.salary import SalaryPeriod


@pytest.fixture
def http():
    """A plain httpx client, closed afterwards."""
    with httpx.Client(timeout=5) as client:
        yield client


def _fetcher(http, service: str, sleeps: list[float]) -> BoardFetcher:
    return BoardFetcher(http=http, service=service, vendor=service.title(), sleep=sleeps.append)


def test_greenhouse_jobs_map_to_drafts_with_salary_and_remote_mode(http):
    """Each Greenhouse job becomes a draft: unescaped HTML, company, place, pay, apply URL."""
    jobs = make_greenhouse_jobs("acme", 4, company="Acme Inc")
    with running_fake_greenhouse({"acme": jobs}) as server:
        source = GreenhouseJobSource(
            fetcher=_fetcher(http, "greenhouse", []), base_url=server.base_url, boards=["acme"]
        )
        drafts = list(source.fetch())
        assert server.requests[0].query == {"content": "true"}
    assert all(isinstance(d, JobDraft) for d in drafts)
    first = drafts[0]
    assert isinstance(first, JobDraft)
    assert first.source == "greenhouse"
    assert first.source_id == "acme:4100000"
    assert first.company == "Acme Inc"
    assert "<strong>acme</strong>" in first.description
    assert first.apply_url == "https://boards.greenhouse.io/acme/jobs/4100000"
    assert first.employment_type is EmploymentType.FULL_TIME
    assert first.salary is not None
    assert (first.salary.minimum, first.salary.maximum) == (Decimal(120000), Decimal(150000))
    assert first.location.city == "San Francisco"
    remote = drafts[2]
    assert isinstance(remote, JobDraft)
    assert remote.location.remote is RemoteMode.REMOTE
    assert remote.location.country_code == "US"
    posting = JobPosting.from_draft(
        first, job_id=__import__("uuid").uuid4(), seen_at=FixedClock().now()
    )
    assert "&amp;" not in posting.description
    assert "Posting 0 & more." in posting.description


def test_greenhouse_unknown_board_is_a_rejection_and_all_unknown_fails(http):
    """A 404 board yields a rejection naming it; when every board is unknown the fetch fails."""
    with running_fake_greenhouse({"acme": make_greenhouse_jobs("acme", 1)}) as server:
        mixed = GreenhouseJobSource(
            fetcher=_fetcher(http, "greenhouse", []),
            base_url=server.base_url,
            boards=["nosuch", "acme"],
        )
        items = list(mixed.fetch())
        assert isinstance(items[0], RejectedRecord)
        assert "nosuch" in items[0].reason
        assert isinstance(items[1], JobDraft)
        lonely = GreenhouseJobSource(
            fetcher=_fetcher(http, "greenhouse", []), base_url=server.base_url, boards=["nosuch"]
        )
        with pytest.raises(UpstreamRejected, match="check the names"):
            list(lonely.fetch())


def test_greenhouse_server_errors_are_retried_with_backoff(http):
    """Two 503s then success: three calls, waits of 1 s and 2 s, and the jobs."""
    sleeps: list[float] = []
    with running_fake_greenhouse({"acme": make_greenhouse_jobs("acme", 2)}) as server:
        server.fail_next(2, status=503)
        source = GreenhouseJobSource(
            fetcher=_fetcher(http, "greenhouse", sleeps), base_url=server.base_url, boards=["acme"]
        )
        assert len(list(source.fetch())) == 2
        assert len(server.requests) == 3
    assert sleeps == [1.0, 2.0]


def test_greenhouse_failures_outlasting_retries_raise_unavailable(http):
    """Malformed JSON on every attempt ends in ``UpstreamUnavailable`` after four calls."""
    with running_fake_greenhouse({"acme": []}) as server:
        server.malformed_next(4)
        source = GreenhouseJobSource(
            fetcher=_fetcher(http, "greenhouse", []), base_url=server.base_url, boards=["acme"]
        )
        with pytest.raises(UpstreamUnavailable, match="malformed JSON"):
            list(source.fetch())
        assert len(server.requests) == 4


def test_rate_limit_waits_then_gives_up_with_rate_limited(http):
    """429s are waited out per Retry-After, and a too-long wait raises ``RateLimited``."""
    sleeps: list[float] = []
    with running_fake_greenhouse({"acme": make_greenhouse_jobs("acme", 1)}) as server:
        server.rate_limit_next(1, retry_after="7")
        source = GreenhouseJobSource(
            fetcher=_fetcher(http, "greenhouse", sleeps), base_url=server.base_url, boards=["acme"]
        )
        assert len(list(source.fetch())) == 1
        server.rate_limit_next(1, retry_after="3600")
        with pytest.raises(RateLimited):
            list(source.fetch())
    assert sleeps == [7.0]


def test_greenhouse_job_without_content_is_rejected():
    """A job without content cannot become a draft; the rejection names board and id."""
    rejected = map_job({"id": 7, "title": "X"}, "acme", None)
    assert rejected == RejectedRecord("greenhouse:acme:7", "job has no content")


def test_place_parser_reads_hybrid_and_countries():
    """Free-text places give a city, a country code and a remote mode where they say so."""
    assert parse_place("Hybrid - Berlin, Germany").city == "Berlin"
    place = parse_place("Berlin, Germany (Hybrid)")
    assert (place.city, place.country_code, place.remote) == ("Berlin", "DE", RemoteMode.HYBRID)


def test_lever_postings_are_paged_with_skip_and_limit(http):
    """Five postings read two at a time take three calls with skip 0, 2, 4."""
    with running_fake_lever({"globex": make_lever_postings("globex", 5)}) as server:
        source = LeverJobSource(
            fetcher=_fetcher(http, "lever", []),
            base_url=server.base_url,
            companies=["globex"],
            page_size=2,
        )
        drafts = list(source.fetch())
        assert [r.query["skip"] for r in server.requests] == ["0", "2", "4"]
        assert all(r.query["mode"] == "json" for r in server.requests)
    assert len(drafts) == 5
    assert len({d.source_id for d in drafts if isinstance(d, JobDraft)}) == 5


def test_lever_posting_maps_workplace_salary_commitment_and_lists():
    """A Lever posting keeps its apply URL, workplace type, salary interval and lists."""
    posting = make_lever_postings("globex", 3)[0]
    posting["salaryRange"] = {"min": 40, "max": 50, "currency": "usd", "interval": "per-hour-wage"}
    draft = map_posting(posting, "globex", "Globex Corp")
    assert isinstance(draft, JobDraft)
    assert draft.company == "Globex Corp"
    assert draft.apply_url is not None
    assert draft.apply_url.endswith("/apply")
    assert draft.location.remote is RemoteMode.HYBRID
    assert draft.location.country_code == "CA"
    assert draft.employment_type is EmploymentType.CONTRACT
    assert draft.salary is not None
    assert (draft.salary.currency, draft.salary.period) == ("USD", SalaryPeriod.HOUR)
    assert "Requirements" in draft.description
    assert draft.posted_at is not None
    assert draft.posted_at.isoformat() == "2026-01-01T00:00:00+00:00"
    remote = map_posting(make_lever_postings("globex", 3)[2], "globex", None)
    assert isinstance(remote, JobDraft)
    assert remote.company == "Globex"
    assert remote.location.remote is RemoteMode.REMOTE


def test_lever_unknown_company_fails_clearly(http):
    """The only company being unknown to Lever fails the fetch with a message naming it."""
    with running_fake_lever({}) as server:
        source = LeverJobSource(
            fetcher=_fetcher(http, "lever", []), base_url=server.base_url, companies=["nosuch"]
        )
        with pytest.raises(UpstreamRejected, match="nosuch"):
            list(source.fetch())


def _catalog(http, **changes: object) -> SourceCatalog:
    settings = attrs.evolve(Settings(data_dir=Path("/nonexistent")), **changes)
    return SourceCatalog(settings=settings, http=http, redis=None, clock=FixedClock())  # type: ignore[arg-type]


def test_catalog_opens_configured_boards_and_refuses_bad_names(http):
    """The catalog uses the configured boards by default, one named board, and checks names."""
    catalog = _catalog(
        http,
        greenhouse_boards=(("acme", "Acme Inc"), ("globex", None)),
        lever_companies=(("initech", None),),
    )
    source = catalog.open(SourceSpec("greenhouse"))
    assert isinstance(source, GreenhouseJobSource)
    assert source.boards == ("acme", "globex")
    one = catalog.open(SourceSpec.of("lever", {"company": "Hooli"}))
    assert isinstance(one, LeverJobSource)
    assert one.companies == ("hooli",)
    with pytest.raises(InvalidInput):
        catalog.open(SourceSpec.of("greenhouse", {"board": "../etc"}))
    with pytest.raises(InvalidInput):
        catalog.open(SourceSpec.of("greenhouse", {"company": "x"}))
    with pytest.raises(ConfigurationError, match="JOBRAKER_LEVER_COMPANIES"):
        _catalog(http).open(SourceSpec("lever"))


def test_board_settings_are_read_from_the_environment():
    """``JOBRAKER_GREENHOUSE_BOARDS`` takes short names with optional employer names."""
    settings = Settings.from_env(
        {
            "JOBRAKER_GREENHOUSE_BOARDS": "acme, globex=Globex Corp",
            "JOBRAKER_LEVER_BASE_URL": "http://127.0.0.1:9/",
        },
        data_dir=Path("/tmp/jobraker-settings-test"),  # noqa: S108 - never created
    )
    assert settings.greenhouse_boards == (("acme", None), ("globex", "Globex Corp"))
    assert settings.lever_base_url == "http://127.0.0.1:9"
    with pytest.raises(ConfigurationError):
        Settings.from_env({"JOBRAKER_LEVER_COMPANIES": "a b"}, data_dir=Path("/tmp/x"))  # noqa: S108
