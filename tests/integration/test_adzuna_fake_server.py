import httpx
import pytest

from fakes.adzuna_server import APP_ID, APP_KEY, FakeAdzunaServer, running_fake_adzuna

pytestmark = pytest.mark.integration

AUTH = {"app_id": APP_ID, "app_key": APP_KEY, "content-type": "application/json"}


@pytest.fixture
def fake():
    """Run a fake Adzuna server for this test."""
    with running_fake_adzuna() as server:
        yield server


def get(fake: FakeAdzunaServer, path: str, **params: str) -> httpx.Response:
    """Send one GET to the fake."""
    return httpx.get(f"{fake.base_url}{path}", params=params, timeout=5)


@pytest.mark.parametrize(
    "params",
    [{}, {"app_id": APP_ID}, {"app_key": APP_KEY}, {"app_id": APP_ID, "app_key": "wrong"}],
)
def test_missing_or_wrong_credentials_get_401_auth_fail(fake, params):
    """Without both correct credentials the fake answers 401 with Adzuna's AUTH_FAIL body."""
    response = get(fake, "/jobs/gb/search/1", **params)
    assert response.status_code == 401
    assert response.json()["exception"] == "AUTH_FAIL"
    assert {"display", "doc"} <= response.json().keys()


def test_search_answers_in_the_documented_shape(fake):
    """A search returns count, mean and results with string ids, __CLASS__ keys and gaps."""
    body = get(fake, "/jobs/gb/search/1", **AUTH, results_per_page="12").json()
    assert body["__CLASS__"] == "Adzuna::API::Response::JobSearchResults"
    assert body["count"] == 120
    assert isinstance(body["mean"], float | int)
    results = body["results"]
    assert len(results) == 12
    assert all(isinstance(r["id"], str) and r["__CLASS__"].endswith("::Job") for r in results)
    assert {r.get("salary_is_predicted") for r in results} == {"0", "1", None}
    assert any("company" not in r for r in results)
    assert any("<strong>" in r["title"] for r in results)
    assert all(r["location"]["area"][0] == "UK" for r in results)


def test_pages_and_page_size(fake):
    """``results_per_page`` is capped at 50 and pages past the end are empty."""
    first = get(fake, "/jobs/us/search/1", **AUTH, results_per_page="80").json()
    assert len(first["results"]) == 50
    third = get(fake, "/jobs/us/search/3", **AUTH, results_per_page="50").json()
    assert len(third["results"]) == 20
    assert get(fake, "/jobs/us/search/4", **AUTH, results_per_page="50").json()["results"] == []


def test_default_page_size_is_ten(fake):
    """Without ``results_per_page`` the fake returns ten results, like Adzuna."""
    assert len(get(fake, "/jobs/gb/search/1", **AUTH).json()["results"]) == 10


def test_requests_are_recorded(fake):
    """Every request is recorded with its path and query."""
    get(fake, "/jobs/gb/search/2", **AUTH, what="nurse")
    [request] = fake.requests
    assert (request.method, request.path, request.page) == ("GET", "/v1/api/jobs/gb/search/2", 2)
    assert request.query["what"] == "nurse"


def test_faults_apply_to_the_next_responses_only(fake):
    """Programmed faults answer the next requests, then the fake behaves again."""
    fake.fail_next(1, status=502)
    fake.rate_limit_next(1, retry_after="4")
    fake.malformed_next(1)
    assert get(fake, "/jobs/gb/search/1", **AUTH).status_code == 502
    limited = get(fake, "/jobs/gb/search/1", **AUTH)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "4")
    with pytest.raises(ValueError):
        get(fake, "/jobs/gb/search/1", **AUTH).json()
    assert get(fake, "/jobs/gb/search/1", **AUTH).status_code == 200


def test_unknown_paths_and_countries(fake):
    """Unknown endpoints are 404 and unknown countries 400, both with an error body."""
    assert get(fake, "/jobs/gb/top_companies", **AUTH).status_code == 404
    unsupported = get(fake, "/jobs/xx/search/1", **AUTH)
    assert unsupported.status_code == 400
    assert "xx" in unsupported.json()["display"]


def test_the_class_works_without_a_context_manager():
    """``start``/``stop`` run the server without ``with``; custom jobs are served."""
    server = FakeAdzunaServer(
        {
            "de": [
                {
                    "id": "1",
                    "title": "Koch",
                    "description": "Kochen",
                    "created": "2026-01-01T00:00:00Z",
                }
            ]
        }
    ).start()
    try:
        body = get(server, "/jobs/de/search/1", **AUTH).json()
        assert [r["title"] for r in body["results"]] == ["Koch"]
    finally:
        server.stop()
