import json
import logging
from collections.abc import Callable

import httpx
import pytest

from jobraker_adapters.sources.adzuna import AdzunaJobSource, AdzunaQuery
from jobraker_core.errors import (
    ConfigurationError,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.jobs.model import JobDraft, RejectedRecord

APP_KEY = "s3cret-app-key"
BASE = "https://adzuna.test/v1/api"


class CountingQuota:
    """A test double of the call quota: counts acquisitions, or refuses once used up."""

    def __init__(self, allow: int | None = None) -> None:
        """Allow ``allow`` calls (None: unlimited)."""
        self.calls = 0
        self.allow = allow

    def acquire(self) -> None:
        """Count a call, or raise ``RateLimited`` once used up."""
        if self.allow is not None and self.calls >= self.allow:
            raise RateLimited("quota used up", service="adzuna", retry_after=3600)
        self.calls += 1


def result(n: int) -> dict[str, object]:
    """Build one minimal search result."""
    return {
        "__CLASS__": "Adzuna::API::Response::Job",
        "id": str(n),
        "title": f"Job {n}",
        "description": "Do work",
        "redirect_url": f"https://adzuna.test/land/{n}",
    }


def page_body(ids: range, count: int) -> dict[str, object]:
    """Build a search response body with these result ids."""
    return {
        "__CLASS__": "Adzuna::API::Response::JobSearchResults",
        "count": count,
        "mean": 1.0,
        "results": [result(n) for n in ids],
    }


class Scripted:
    """A MockTransport handler answering with scripted responses and recording requests."""

    def __init__(
        self, *responses: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
    ) -> None:
        """Answer with ``responses`` in order."""
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Record the request and give the next scripted answer."""
        self.requests.append(request)
        answer = self.responses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def ok(ids: range, count: int) -> httpx.Response:
    """Build a 200 search response."""
    return httpx.Response(200, json=page_body(ids, count))


def make_source(
    handler: Scripted, query: AdzunaQuery | None = None, quota: CountingQuota | None = None
) -> tuple[AdzunaJobSource, list[float]]:
    """Build an Adzuna source on a MockTransport; return it and its recorded sleeps."""
    sleeps: list[float] = []
    client = httpx.Client(transport=httpx.MockTransport(handler))
    source = AdzunaJobSource(
        http=client,
        base_url=BASE,
        app_id="app-1",
        app_key=APP_KEY,
        query=query or AdzunaQuery(country="gb"),
        quota=quota or CountingQuota(),
        sleep=sleeps.append,
    )
    return source, sleeps


def test_the_request_follows_the_adzuna_contract():
    """A search is GET /jobs/{country}/search/{page} with credentials, JSON and the filters."""
    handler = Scripted(ok(range(2), 2))
    query = AdzunaQuery(
        country="gb",
        what="python developer",
        where="leeds",
        distance=15,
        max_days_old=3,
        category="it-jobs",
        sort_by="date",
        salary_min=30000,
        full_time=True,
        contract=True,
        results_per_page=20,
    )
    source, _ = make_source(handler, query)
    assert len(list(source.fetch())) == 2
    [request] = handler.requests
    assert request.method == "GET"
    assert request.url.path == "/v1/api/jobs/gb/search/1"
    assert dict(request.url.params) == {
        "app_id": "app-1",
        "app_key": APP_KEY,
        "results_per_page": "20",
        "what": "python developer",
        "where": "leeds",
        "distance": "15",
        "max_days_old": "3",
        "category": "it-jobs",
        "sort_by": "date",
        "salary_min": "30000",
        "full_time": "1",
        "contract": "1",
        "content-type": "application/json",
    }


def test_pages_are_fetched_in_order_until_the_count_is_reached():
    """Pages 1..N are fetched in turn, and fetching stops once ``count`` results were seen."""
    handler = Scripted(ok(range(2), 5), ok(range(2, 4), 5), ok(range(4, 5), 5))
    quota = CountingQuota()
    source, _ = make_source(handler, AdzunaQuery(country="us", pages=10, results_per_page=2), quota)
    items = list(source.fetch())
    assert [i.source_id for i in items if isinstance(i, JobDraft)] == ["0", "1", "2", "3", "4"]
    assert [r.url.path.rsplit("/", 1)[-1] for r in handler.requests] == ["1", "2", "3"]
    assert quota.calls == 3


def test_an_empty_page_stops_the_fetch():
    """An empty results page ends the fetch without asking for further pages."""
    handler = Scripted(ok(range(2), 100), ok(range(0), 100))
    source, _ = make_source(handler, AdzunaQuery(country="gb", pages=5, results_per_page=2))
    assert len(list(source.fetch())) == 2
    assert len(handler.requests) == 2


def test_no_more_than_the_requested_pages_are_fetched():
    """``pages`` caps the calls even when Adzuna has more results."""
    handler = Scripted(ok(range(2), 1000), ok(range(2, 4), 1000))
    source, _ = make_source(handler, AdzunaQuery(country="gb", pages=2, results_per_page=2))
    assert len(list(source.fetch())) == 4
    assert len(handler.requests) == 2


def test_bad_results_are_rejected_and_the_rest_kept():
    """An unmappable result becomes a rejection; its neighbours are still drafts."""
    body = page_body(range(2), 3)
    body["results"].insert(1, {"id": "bad", "title": "No description"})  # type: ignore[attr-defined]
    source, _ = make_source(Scripted(httpx.Response(200, json=body)))
    items = list(source.fetch())
    assert [type(i).__name__ for i in items] == ["JobDraft", "RejectedRecord", "JobDraft"]
    assert items[1] == RejectedRecord("adzuna:bad", "result has no description")


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_are_a_configuration_error(status):
    """401/403 raise ``ConfigurationError`` naming the settings, without the key, and no retry."""
    auth_fail = {"exception": "AUTH_FAIL", "display": "Authorisation failed", "doc": "x"}
    handler = Scripted(httpx.Response(status, json=auth_fail))
    source, sleeps = make_source(handler)
    with pytest.raises(ConfigurationError) as raised:
        list(source.fetch())
    assert "ADZUNA_APP_ID" in raised.value.message
    assert "AUTH_FAIL" in raised.value.message
    assert APP_KEY not in raised.value.message
    assert (len(handler.requests), sleeps) == (1, [])


def test_server_errors_are_retried_with_exponential_backoff():
    """5xx responses are retried after 1 s, 2 s, ...; a later success is used."""
    handler = Scripted(httpx.Response(500), httpx.Response(503), ok(range(1), 1))
    quota = CountingQuota()
    source, sleeps = make_source(handler, quota=quota)
    assert len(list(source.fetch())) == 1
    assert sleeps == [1.0, 2.0]
    assert quota.calls == 3  # every attempt counts against the quota


def test_persistent_server_errors_become_upstream_unavailable():
    """After the bounded attempts, 5xx raises ``UpstreamUnavailable`` for adzuna."""
    handler = Scripted(*(httpx.Response(502) for _ in range(4)))
    source, sleeps = make_source(handler)
    with pytest.raises(UpstreamUnavailable) as raised:
        list(source.fetch())
    assert not isinstance(raised.value, RateLimited)
    assert raised.value.service == "adzuna"
    assert "502" in raised.value.message
    assert sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
)
def test_network_errors_and_timeouts_are_retried(error):
    """Connection failures and timeouts are retried like 5xx."""
    source, sleeps = make_source(Scripted(error, ok(range(1), 1)))
    assert len(list(source.fetch())) == 1
    assert sleeps == [1.0]


def test_the_app_key_never_appears_in_errors():
    """A transport error quoting the URL is reported with the app_key redacted."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    source, _ = make_source(Scripted(fail, fail, fail, fail))
    with pytest.raises(UpstreamUnavailable) as raised:
        list(source.fetch())
    assert APP_KEY not in raised.value.message
    assert "app_key=REDACTED" in raised.value.message


def test_the_app_key_never_appears_in_logs(caplog):
    """Nothing logged while fetching (by the source or by httpx) contains the app_key."""
    caplog.set_level(logging.DEBUG)
    # configure_logging (run by other tests) quiets httpx; open it up so its lines are checked too
    caplog.set_level(logging.DEBUG, logger="httpx")
    source, _ = make_source(Scripted(httpx.Response(500), ok(range(1), 1)))
    list(source.fetch())
    assert any(r.name == "httpx" for r in caplog.records)
    assert any(r.name.startswith("jobraker_adapters") for r in caplog.records)
    for record in caplog.records:
        assert APP_KEY not in record.getMessage()
        assert APP_KEY not in json.dumps(record.__dict__, default=str)


def test_429_waits_for_retry_after_then_retries():
    """A 429 waits the ``Retry-After`` seconds and tries again."""
    handler = Scripted(httpx.Response(429, headers={"Retry-After": "7"}), ok(range(1), 1))
    source, sleeps = make_source(handler)
    assert len(list(source.fetch())) == 1
    assert sleeps == [7.0]


def test_429_without_retry_after_waits_a_minute():
    """A 429 without ``Retry-After`` waits 60 s (the quota's minute window)."""
    source, sleeps = make_source(Scripted(httpx.Response(429), ok(range(1), 1)))
    list(source.fetch())
    assert sleeps == [60.0]


def test_repeated_429_becomes_rate_limited():
    """After three 429 waits the fourth 429 raises ``RateLimited`` with its wait."""
    handler = Scripted(*(httpx.Response(429, headers={"Retry-After": "2"}) for _ in range(4)))
    source, sleeps = make_source(handler)
    with pytest.raises(RateLimited) as raised:
        list(source.fetch())
    assert raised.value.retry_after == 2.0
    assert sleeps == [2.0, 2.0, 2.0]


def test_a_long_retry_after_is_not_slept_through():
    """A 429 asking for more than two minutes raises ``RateLimited`` at once."""
    source, sleeps = make_source(Scripted(httpx.Response(429, headers={"Retry-After": "3600"})))
    with pytest.raises(RateLimited) as raised:
        list(source.fetch())
    assert raised.value.retry_after == 3600.0
    assert sleeps == []


def test_other_client_errors_are_rejected_with_adzunas_message():
    """A 400 raises ``UpstreamRejected`` carrying Adzuna's ``display`` text, without retry."""
    body = {"exception": "BAD_PARAM", "display": "Invalid category 'x'", "doc": "d"}
    handler = Scripted(httpx.Response(400, json=body))
    source, sleeps = make_source(handler)
    with pytest.raises(UpstreamRejected) as raised:
        list(source.fetch())
    assert "Invalid category 'x'" in raised.value.message
    assert (len(handler.requests), sleeps) == (1, [])


def test_malformed_json_is_retried_then_unavailable():
    """A body that is not JSON is retried and finally raises ``UpstreamUnavailable``."""
    handler = Scripted(*(httpx.Response(200, content=b'{"results": [') for _ in range(4)))
    source, _ = make_source(handler)
    with pytest.raises(UpstreamUnavailable) as raised:
        list(source.fetch())
    assert "malformed" in raised.value.message


def test_a_body_without_results_is_unavailable():
    """A JSON body lacking the results list raises ``UpstreamUnavailable``."""
    source, _ = make_source(Scripted(httpx.Response(200, json={"count": 3})))
    with pytest.raises(UpstreamUnavailable):
        list(source.fetch())


def test_the_quota_is_asked_before_every_call():
    """When the quota is used up no request is sent and ``RateLimited`` propagates."""
    handler = Scripted(ok(range(2), 10))
    source, _ = make_source(
        handler, AdzunaQuery(country="gb", pages=2, results_per_page=2), CountingQuota(allow=1)
    )
    items = source.fetch()
    assert [next(items).source_id, next(items).source_id] == ["0", "1"]
    with pytest.raises(RateLimited):
        next(items)
    assert len(handler.requests) == 1
