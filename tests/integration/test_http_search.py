"""The HTTP API over the real PostgreSQL and Redis: search, filters, sorting, ingestion, probes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from litestar.testing import TestClient

from account_builders import bearer_for, make_user, stored_user
from jobraker_adapters.container import Settings, build_container
from jobraker_core.accounts.identity import Role
from jobraker_core.jobs.model import EmploymentType, JobDraft, JobPosting, Location, RemoteMode
from jobraker_core.jobs.salary import Salary, SalaryPeriod
from jobraker_http import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration

JOBS = "/api/v1/jobs/"
NOW = datetime.now(UTC)


def job(title: str, description: str, *, days_ago: int | None = 1, **fields: object) -> JobPosting:
    """Make a posting seen now, posted ``days_ago`` days ago."""
    draft = JobDraft(
        source="itest",
        source_id=uuid.uuid4().hex,
        title=title,
        description=description,
        posted_at=None if days_ago is None else NOW - timedelta(days=days_ago),
        **fields,  # type: ignore[arg-type]
    )
    return JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=NOW)


CORPUS = [
    job(
        "Senior Python Developer",
        "Build web services with Django and PostgreSQL.",
        days_ago=2,
        company="Acme Ltd",
        location=Location(city="London", country_code="GB", remote=RemoteMode.HYBRID),
        salary=Salary(Decimal(60000), Decimal(80000), "GBP"),
        employment_type=EmploymentType.FULL_TIME,
        category="IT Jobs",
    ),
    job(
        "Data Engineer",
        "Pipelines in Python and Spark; some SQL.",
        days_ago=10,
        company="Globex",
        location=Location(city="Manchester", country_code="GB", remote=RemoteMode.ON_SITE),
        salary=Salary(Decimal(50000), Decimal(65000), "GBP"),
        employment_type=EmploymentType.FULL_TIME,
        category="IT Jobs",
    ),
    job(
        "Rust Contractor",
        "Systems programming, embedded devices.",
        days_ago=40,
        company="Initech",
        location=Location(country_code="US", remote=RemoteMode.REMOTE),
        salary=Salary(Decimal(90), Decimal(100), "USD", SalaryPeriod.HOUR),
        employment_type=EmploymentType.CONTRACT,
        category="IT Jobs",
    ),
    job(
        "Staff Nurse",
        "Care for patients on a busy ward.",
        days_ago=1,
        company="NHS Trust",
        location=Location(city="Leeds", country_code="GB", remote=RemoteMode.ON_SITE),
        salary=Salary(Decimal(30000), Decimal(35000), "GBP"),
        employment_type=EmploymentType.PART_TIME,
        category="Healthcare Jobs",
    ),
    job(
        "Frontend Engineer",
        "React and TypeScript; our backend team writes Python.",
        days_ago=None,
        company="Hooli",
        location=Location(country_code="GB", remote=RemoteMode.REMOTE),
        employment_type=EmploymentType.FULL_TIME,
        category="IT Jobs",
    ),
]


@pytest.fixture
def api(pg_container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """Serve the API over PostgreSQL holding the corpus."""
    with pg_container.uow()() as uow:
        uow.jobs.save(CORPUS)
        uow.commit()
    with TestClient(create_app(pg_container)) as client:
        client.headers.update(bearer_for(pg_container, stored_user(pg_container, role=Role.ADMIN)))
        yield client


def titles(client: TestClient, query: str) -> list[str]:  # type: ignore[type-arg]
    """List the titles a search returns, in order."""
    response = client.get(f"{JOBS}?{query}")
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["data"]]


def test_full_text_search_over_title_company_and_description(api):
    """``q`` searches title, company and description in PostgreSQL, every word required."""
    assert set(titles(api, "q=python")) == {
        "Senior Python Developer",
        "Data Engineer",
        "Frontend Engineer",
    }
    assert titles(api, "q=python+spark") == ["Data Engineer"]
    assert titles(api, "q=acme") == ["Senior Python Developer"]
    assert titles(api, "q=patients") == ["Staff Nurse"]
    assert titles(api, "q=cobol") == []


def test_relevance_ranks_title_matches_first(api):
    """With ``q`` and the default sort, a job naming the words in its title comes first."""
    assert titles(api, "q=python")[0] == "Senior Python Developer"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "country=gb",
            {"Senior Python Developer", "Data Engineer", "Staff Nurse", "Frontend Engineer"},
        ),
        ("remote=true", {"Rust Contractor", "Frontend Engineer"}),
        ("remote=false", {"Data Engineer", "Staff Nurse"}),
        ("remote=hybrid", {"Senior Python Developer"}),
        ("location=manch", {"Data Engineer"}),
        ("salary_min=55000&currency=gbp", {"Senior Python Developer", "Data Engineer"}),
        ("salary_max=40000&currency=GBP", {"Staff Nurse"}),
        ("salary_min=150000&currency=USD", {"Rust Contractor"}),
        ("employment_type=contract", {"Rust Contractor"}),
        ("company=hooli", {"Frontend Engineer"}),
        ("category=healthcare+jobs", {"Staff Nurse"}),
        ("posted_within_days=5", {"Senior Python Developer", "Staff Nurse"}),
        ("q=python&remote=true", {"Frontend Engineer"}),
    ],
)
def test_filters_on_postgresql(api, query, expected):
    """Each filter selects the same jobs on PostgreSQL as the domain's rules say."""
    assert set(titles(api, query)) == expected


def test_sort_by_salary(api):
    """``sort=salary`` orders by the highest annual figure, jobs without a salary last."""
    assert titles(api, "sort=salary") == [
        "Rust Contractor",
        "Senior Python Developer",
        "Data Engineer",
        "Staff Nurse",
        "Frontend Engineer",
    ]


def test_sort_by_date(api):
    """``sort=date`` puts the newest first and undated jobs last."""
    assert titles(api, "sort=date") == [
        "Staff Nurse",
        "Senior Python Developer",
        "Data Engineer",
        "Rust Contractor",
        "Frontend Engineer",
    ]


def test_pagination_on_postgresql(api):
    """Pages of two tile the five jobs, with totals in meta."""
    pages = [api.get(f"{JOBS}?sort=date&per_page=2&page={n}").json() for n in (1, 2, 3, 4)]
    assert [p["meta"]["pagination"]["total_pages"] for p in pages] == [3, 3, 3, 3]
    joined = [item["title"] for p in pages for item in p["data"]]
    assert joined == titles(api, "sort=date")
    assert pages[3]["data"] == []


def test_job_detail_on_postgresql(api):
    """A stored job reads back through the API with its salary as numbers."""
    stored = CORPUS[2]
    data = api.get(f"{JOBS}{stored.id}/").json()["data"]
    assert data["title"] == "Rust Contractor"
    assert data["salary"]["annual_max"] == 208000
    assert data["sources"] == [{"source": "itest", "source_id": stored.source_id, "url": None}]
    assert api.get(f"{JOBS}{uuid.uuid4()}").status_code == 404


def test_ready_with_real_services(api):
    """``/ready`` answers 200 when the real PostgreSQL and Redis are up."""
    response = api.get("/ready")
    assert response.status_code == 200
    assert response.json()["services"] == {"postgresql": True, "redis": True}


def test_post_ingestion_stores_the_run_and_queues_it_in_redis(api, redis_client):
    """Starting the demo ingestion stores a queued run and puts its job in Redis."""
    response = api.post("/api/v1/ingestions/", json={"source": "demo"})
    assert response.status_code == 202, response.text
    run_id = response.json()["data"]["id"]
    assert redis_client.exists(f"rq:job:ingestion-{run_id}")
    read = api.get(f"/api/v1/ingestions/{run_id}").json()["data"]
    assert read["status"] == "queued"
    assert read["source"] == {"kind": "demo", "params": {}}


def test_feed_outside_the_feeds_folder_is_refused(api):
    """A feed name that tries to leave the feeds folder is refused with 422."""
    response = api.post(
        "/api/v1/ingestions/", json={"source": "feed", "params": {"name": "../../etc/passwd"}}
    )
    assert response.status_code == 422
    assert response.json()["success"] is False


@pytest.fixture
def unreachable_api(tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """Serve the API with a PostgreSQL and a Redis that nothing listens on."""
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql://nobody@127.0.0.1:9/none",
        redis_url="redis://127.0.0.1:9/0",
        db_pool_timeout=0.5,
    )
    container = build_container(settings)
    with TestClient(create_app(container)) as client:
        # a well-signed token: checking it needs Redis and PostgreSQL, which are down
        client.headers.update(bearer_for(container, make_user(role=Role.ADMIN)))
        yield client


def test_database_down_answers_503_with_retry_after(unreachable_api):
    """With PostgreSQL unreachable, searches answer 503 + Retry-After and /ready says so."""
    response = unreachable_api.get(JOBS)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["success"] is False
    ready = unreachable_api.get("/ready")
    assert ready.status_code == 503
    assert set(ready.json()["down"]) == {"postgresql", "redis"}


@pytest.mark.parametrize(
    "query",
    [
        "salary_min=1e999999&currency=GBP",
        "salary_min=1e-999999&currency=GBP",
        "salary_max=123456789012345678901234567890&currency=GBP",
        "q=a%00b",
        "location=%00",
        "company=%25",
        "category=_",
        "q=!!!",
        "q=%27%22%3B--",
        "q=a+%26+b+%7C+!c",
        "q=%3A*",
        "per_page=99999999999999999999999999",
        "page=100000&per_page=100",
    ],
)
def test_hostile_query_values_never_answer_500(api, query):
    """Odd or hostile query values answer 200 or a 400 problem on PostgreSQL, never 500."""
    response = api.get(f"{JOBS}?{query}")
    assert response.status_code in {200, 400}, response.text
    assert response.json()["success"] is (response.status_code == 200)


def test_nul_in_ingestion_params_is_422_not_500(api):
    """A NUL character in ingestion params is refused before it reaches PostgreSQL."""
    response = api.post("/api/v1/ingestions/", json={"source": "demo", "params": {"x": "a\u0000b"}})
    assert response.status_code == 422
