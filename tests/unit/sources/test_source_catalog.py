import json
from pathlib import Path

import httpx
import pytest
import redis

from jobraker_adapters.memory import FixedClock
from jobraker_adapters.settings import Settings
from jobraker_adapters.sources.adzuna import AdzunaJobSource, AdzunaQuery
from jobraker_adapters.sources.catalog import SourceCatalog
from jobraker_adapters.sources.feed_file import FeedFormat, FileJobSource
from jobraker_core.errors import ConfigurationError, InvalidInput
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.model import JobDraft

JOB = {"source_id": "a", "title": "Dev", "description": "Build things"}


@pytest.fixture
def clients():
    """Give an HTTP client on a dead transport and an unconnected Redis client."""
    http = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(599)))
    store = redis.Redis(host="127.0.0.1", port=1)
    yield http, store
    http.close()
    store.close()


def catalog_for(settings: Settings, clients) -> SourceCatalog:
    """Build a catalog on ``settings`` with the test clients."""
    http, store = clients
    return SourceCatalog(settings=settings, http=http, redis=store, clock=FixedClock())


@pytest.fixture
def settings(tmp_path):
    """Give settings with Adzuna configured and a data dir in ``tmp_path``."""
    return Settings(
        data_dir=tmp_path / "data",
        adzuna_app_id="id-1",
        adzuna_app_key="key-1",
        adzuna_base_url="http://adzuna.test/v1/api",
    )


@pytest.fixture
def catalog(settings, clients):
    """Give the catalog under test."""
    return catalog_for(settings, clients)


def test_demo_opens_the_shipped_feed(catalog):
    """The ``demo`` kind is the packaged demo corpus under source name "demo"."""
    source = catalog.open(SourceSpec("demo"))
    assert isinstance(source, FileJobSource)
    assert source.source_name == "demo"
    assert source.format is FeedFormat.JSONL
    first = next(iter(source.fetch()))
    assert isinstance(first, JobDraft)
    assert first.source == "demo"


def test_file_takes_any_path_and_names_the_source_after_the_file(catalog, tmp_path):
    """The ``file`` kind reads any path; the source is "file:<file name>" unless given."""
    path = tmp_path / "jobs.ndjson"
    path.write_text(json.dumps(JOB) + "\n")
    source = catalog.open(SourceSpec.of("file", {"path": str(path)}))
    assert isinstance(source, FileJobSource)
    assert (source.source_name, source.format) == ("file:jobs.ndjson", FeedFormat.JSONL)
    [draft] = source.fetch()
    assert isinstance(draft, JobDraft)
    assert draft.source == "file:jobs.ndjson"


def test_file_source_name_and_format_can_be_given(catalog, tmp_path):
    """``source`` and ``format`` parameters override the defaults from the file name."""
    spec = SourceSpec.of(
        "file", {"path": str(tmp_path / "export.txt"), "source": "acme-ats", "format": "CSV"}
    )
    source = catalog.open(spec)
    assert isinstance(source, FileJobSource)
    assert (source.source_name, source.format) == ("acme-ats", FeedFormat.CSV)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "path"),
        ({"path": "jobs.xml"}, "format"),
        ({"path": "jobs.csv", "format": "xml"}, "format"),
        ({"path": "jobs.csv", "source": "adzuna"}, "source"),
        ({"path": "jobs.csv", "source": "x" * 101}, "source"),
        ({"path": "jobs.csv", "colour": "red"}, "colour"),
    ],
)
def test_bad_file_params_name_the_param(catalog, params, field):
    """Bad or missing ``file`` parameters raise ``InvalidInput`` naming the parameter."""
    with pytest.raises(InvalidInput) as raised:
        catalog.open(SourceSpec.of("file", params))
    assert raised.value.field == field


def test_open_does_no_io(catalog, tmp_path):
    """Opening a file that does not exist succeeds; only fetching reports it missing."""
    source = catalog.open(SourceSpec.of("file", {"path": str(tmp_path / "later.csv")}))
    with pytest.raises(InvalidInput) as raised:
        list(source.fetch())
    assert raised.value.field == "path"


def test_feed_reads_a_file_inside_the_feeds_folder(catalog, settings):
    """The ``feed`` kind reads a named file from ``feeds_dir``."""
    settings.feeds_dir.mkdir(parents=True)
    (settings.feeds_dir / "partner.jsonl").write_text(json.dumps(JOB) + "\n")
    source = catalog.open(SourceSpec.of("feed", {"name": "partner.jsonl"}))
    [draft] = source.fetch()
    assert isinstance(draft, JobDraft)
    assert draft.source == "file:partner.jsonl"


@pytest.mark.parametrize(
    "name",
    [
        "../secret.jsonl",
        "..",
        "sub/feed.jsonl",
        "/etc/passwd.csv",
        "..\\x.csv",
        ".hidden.csv",
        "a/../b.csv",
        " feed.csv",
        "",
        "nul\x00.csv",
    ],
)
def test_feed_refuses_names_that_could_leave_the_folder(catalog, name):
    """Path separators, "..", hidden names and control characters are refused for ``feed``."""
    with pytest.raises(InvalidInput) as raised:
        catalog.open(SourceSpec(kind="feed", params=(("name", name),)))
    assert raised.value.field == "name"


def test_feed_refuses_a_symlink_that_points_outside(catalog, settings, tmp_path):
    """A feed file that is a symbolic link out of ``feeds_dir`` is refused when fetched."""
    settings.feeds_dir.mkdir(parents=True)
    outside = tmp_path / "outside.jsonl"
    outside.write_text(json.dumps(JOB) + "\n")
    (settings.feeds_dir / "link.jsonl").symlink_to(outside)
    source = catalog.open(SourceSpec.of("feed", {"name": "link.jsonl"}))
    with pytest.raises(InvalidInput) as raised:
        list(source.fetch())
    assert raised.value.field == "name"


def test_feed_does_not_take_a_path(catalog):
    """The ``feed`` kind has no ``path`` parameter, so the API cannot name arbitrary files."""
    with pytest.raises(InvalidInput) as raised:
        catalog.open(SourceSpec.of("feed", {"name": "a.csv", "path": "/etc/passwd"}))
    assert raised.value.field == "path"


def test_adzuna_builds_the_query_from_params(catalog):
    """The ``adzuna`` kind parses its parameters into an ``AdzunaQuery``."""
    spec = SourceSpec.of(
        "adzuna",
        {
            "country": "GB",
            "what": "python developer",
            "where": "leeds",
            "distance": "10",
            "max_days_old": "7",
            "category": "it-jobs",
            "sort_by": "date",
            "salary_min": "40000",
            "full_time": "1",
            "permanent": "true",
            "pages": "3",
            "results_per_page": "20",
        },
    )
    source = catalog.open(spec)
    assert isinstance(source, AdzunaJobSource)
    assert source.query == AdzunaQuery(
        country="gb",
        what="python developer",
        where="leeds",
        distance=10,
        max_days_old=7,
        category="it-jobs",
        sort_by="date",
        salary_min=40000,
        full_time=True,
        permanent=True,
        pages=3,
        results_per_page=20,
    )


def test_adzuna_defaults_to_one_page_of_fifty(catalog):
    """Without ``pages``/``results_per_page`` an Adzuna source fetches one page of 50."""
    source = catalog.open(SourceSpec.of("adzuna", {"country": "us"}))
    assert isinstance(source, AdzunaJobSource)
    assert (source.query.pages, source.query.results_per_page) == (1, 50)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "country"),
        ({"country": "xx"}, "country"),
        ({"country": "gb", "pages": "21"}, "pages"),
        ({"country": "gb", "pages": "0"}, "pages"),
        ({"country": "gb", "pages": "two"}, "pages"),
        ({"country": "gb", "results_per_page": "51"}, "results_per_page"),
        ({"country": "gb", "sort_by": "random"}, "sort_by"),
        ({"country": "gb", "full_time": "perhaps"}, "full_time"),
        ({"country": "gb", "salary_min": "-5"}, "salary_min"),
        ({"country": "gb", "distance": "far"}, "distance"),
        ({"country": "gb", "max_days_old": "0"}, "max_days_old"),
        ({"country": "gb", "app_key": "steal"}, "app_key"),
    ],
)
def test_bad_adzuna_params_name_the_param(catalog, params, field):
    """Bad Adzuna parameters raise ``InvalidInput`` naming the parameter."""
    with pytest.raises(InvalidInput) as raised:
        catalog.open(SourceSpec.of("adzuna", params))
    assert raised.value.field == field


def test_adzuna_without_credentials_is_a_configuration_error(tmp_path, clients):
    """An Adzuna spec on a deployment without Adzuna keys raises ``ConfigurationError``."""
    catalog = catalog_for(Settings(data_dir=tmp_path), clients)
    with pytest.raises(ConfigurationError) as raised:
        catalog.open(SourceSpec.of("adzuna", {"country": "gb"}))
    assert raised.value.message == (
        "Adzuna is not configured: set ADZUNA_APP_ID and ADZUNA_API_KEY"
    )


def test_unknown_kinds_are_invalid_input_for_source(catalog):
    """An unknown source kind raises ``InvalidInput`` with field "source"."""
    with pytest.raises(InvalidInput) as raised:
        catalog.open(SourceSpec("ftp"))
    assert raised.value.field == "source"


def test_demo_takes_no_params(catalog):
    """The ``demo`` kind refuses parameters it does not know."""
    with pytest.raises(InvalidInput) as raised:
        catalog.open(SourceSpec.of("demo", {"path": "/etc/passwd"}))
    assert raised.value.field == "path"


def test_paths_are_plain_paths(catalog, tmp_path):
    """A ``file`` path is used as given (relative paths are relative to the working folder)."""
    source = catalog.open(SourceSpec.of("file", {"path": "feeds/jobs.csv"}))
    assert isinstance(source, FileJobSource)
    assert source.path == Path("feeds/jobs.csv")
