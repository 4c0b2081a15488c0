"""GET /api/v1/jobs/ and /api/v1/jobs/{id}/ over the in-memory fakes."""

from __future__ import annotations

import uuid

import pytest

JOBS = "/api/v1/jobs/"


def titles(response) -> set[str]:
    """Collect the titles of a job list response."""
    assert response.status_code == 200, response.text
    return {job["title"] for job in response.json()["data"]}


def test_list_is_enveloped_with_pagination_meta(client, jobs):
    """A job list answers success, the jobs as data, and pagination meta."""
    response = client.get(JOBS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is True
    assert len(body["data"]) == 6
    assert body["meta"] == {"pagination": {"page": 1, "per_page": 20, "total": 6, "total_pages": 1}}


def test_job_wire_shape(client, jobs):
    """A job carries every documented field, with decimals as JSON numbers."""
    job = jobs["python_contract_us"]
    body = client.get(f"{JOBS}{job.id}/").json()
    assert body["success"] is True
    assert body["meta"] == {}
    data = body["data"]
    assert data["id"] == str(job.id)
    assert data["title"] == "Python Contractor"
    assert data["company"] == "Initech"
    assert data["description"] == "About the role: Python Contractor."
    assert data["location"] == {
        "display": "Anywhere (US)",
        "city": None,
        "region": None,
        "country": "US",
        "remote": "remote",
    }
    assert data["salary"] == {
        "min": 90.5,
        "max": 95,
        "currency": "USD",
        "period": "hour",
        "annual_min": 188240,
        "annual_max": 197600,
        "estimated": False,
    }
    assert data["employment_type"] == "contract"
    assert data["category"] == "IT Jobs"
    assert data["posted_at"] == "2025-12-06T12:00:00Z"
    assert data["url"] is None
    assert data["apply_url"] is None
    assert data["first_seen"] == data["last_seen"] == "2026-01-15T12:00:00Z"
    assert data["sources"] == [{"source": "test", "source_id": job.source_id, "url": None}]


def test_job_without_salary_has_null_salary(client, jobs):
    """A job that states no salary has ``salary: null``."""
    body = client.get(f"{JOBS}{jobs['python_remote_gb'].id}").json()
    assert body["data"]["salary"] is None


@pytest.mark.parametrize("path", ["/api/v1/jobs/{id}", "/api/v1/jobs/{id}/"])
def test_job_detail_with_and_without_trailing_slash(client, jobs, path):
    """The job detail path works with and without the trailing slash."""
    job = jobs["nurse_leeds"]
    response = client.get(path.format(id=job.id))
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "Staff Nurse"


@pytest.mark.parametrize("path", ["/api/v1/jobs", "/api/v1/jobs/"])
def test_job_list_with_and_without_trailing_slash(client, jobs, path):
    """The job list path works with and without the trailing slash."""
    assert len(titles(client.get(path))) == 6


def test_unknown_job_is_404_problem(client, jobs):
    """An id no job has answers a 404 problem."""
    response = client.get(f"{JOBS}{uuid.uuid4()}/")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["success"] is False
    assert body["type"].endswith("/not-found")


def test_malformed_job_id_is_404_problem(client, jobs):
    """A malformed job id answers 404, like an unknown id (documented choice)."""
    response = client.get(f"{JOBS}not-a-uuid/")
    assert response.status_code == 404
    assert "not-a-uuid" in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=python", {"Senior Python Developer", "Python Contractor", "Staff Python Engineer"}),
        ("q=python+staff", {"Staff Python Engineer"}),
        ("q=PYTHON+developer", {"Senior Python Developer"}),
        ("q=acme", {"Senior Python Developer"}),
        ("location=manchester", {"Data Engineer"}),
        ("location=North+West", {"Data Engineer"}),
        (
            "country=gb",
            {"Senior Python Developer", "Data Engineer", "Staff Nurse", "Staff Python Engineer"},
        ),
        ("country=De", {"Marketing Intern"}),
        ("remote=true", {"Python Contractor", "Staff Python Engineer"}),
        ("remote=false", {"Data Engineer", "Staff Nurse"}),
        ("remote=hybrid", {"Senior Python Developer", "Marketing Intern"}),
        ("salary_min=55000&currency=gbp", {"Senior Python Developer", "Data Engineer"}),
        ("salary_max=40000&currency=GBP", {"Staff Nurse"}),
        (
            "salary_min=61000&salary_max=70000&currency=GBP",
            {"Senior Python Developer", "Data Engineer"},
        ),
        ("salary_min=150000&currency=usd", {"Python Contractor"}),
        ("salary_min=1&currency=EUR", {"Marketing Intern"}),
        (
            "employment_type=full_time",
            {"Senior Python Developer", "Data Engineer", "Staff Python Engineer"},
        ),
        ("employment_type=internship", {"Marketing Intern"}),
        ("company=acme+ltd", {"Senior Python Developer"}),
        ("company=ACME", set()),
        ("category=healthcare+jobs", {"Staff Nurse"}),
        ("posted_within_days=3", {"Senior Python Developer", "Staff Nurse"}),
        (
            "posted_within_days=7",
            {"Senior Python Developer", "Staff Nurse", "Staff Python Engineer"},
        ),
        ("q=python&country=GB&remote=true", {"Staff Python Engineer"}),
        (
            "q=",
            {
                "Senior Python Developer",
                "Data Engineer",
                "Python Contractor",
                "Staff Nurse",
                "Marketing Intern",
                "Staff Python Engineer",
            },
        ),
    ],
)
def test_each_filter(client, jobs, query, expected):
    """Each filter keeps exactly the jobs that satisfy it; filters combine with AND."""
    assert titles(client.get(f"{JOBS}?{query}")) == expected


def ordered_titles(client, query: str) -> list[str]:
    """List the titles of a job list, in order."""
    response = client.get(f"{JOBS}?{query}")
    assert response.status_code == 200, response.text
    return [job["title"] for job in response.json()["data"]]


def test_sort_by_date_is_newest_first_with_undated_last(client, jobs):
    """``sort=date`` lists the most recently posted first, and undated jobs last."""
    assert ordered_titles(client, "sort=date") == [
        "Staff Nurse",
        "Senior Python Developer",
        "Staff Python Engineer",
        "Data Engineer",
        "Python Contractor",
        "Marketing Intern",
    ]


def test_sort_by_salary_is_highest_annual_first(client, jobs):
    """``sort=salary`` lists the highest annual salary first and jobs without one last."""
    assert ordered_titles(client, "sort=salary") == [
        "Python Contractor",
        "Senior Python Developer",
        "Data Engineer",
        "Staff Nurse",
        "Marketing Intern",
        "Staff Python Engineer",
    ]


def test_sort_by_relevance_ranks_title_matches_first(client, jobs):
    """``sort=relevance`` with ``q`` ranks jobs whose title holds the words first."""
    order = ordered_titles(client, "q=python&sort=relevance")
    assert set(order) == {"Senior Python Developer", "Python Contractor", "Staff Python Engineer"}


def test_relevance_without_text_sorts_by_date(client, jobs):
    """The default sort (relevance) without ``q`` falls back to date."""
    assert ordered_titles(client, "") == ordered_titles(client, "sort=date")


def test_per_page_above_the_cap_is_clamped(client, jobs):
    """``per_page`` above 100 is served as 100 and meta says 100."""
    body = client.get(f"{JOBS}?per_page=1000").json()
    assert body["meta"]["pagination"]["per_page"] == 100
    assert len(body["data"]) == 6


def test_page_past_the_end_is_empty_with_meta(client, jobs):
    """A page after the last one is empty, with the true totals in meta."""
    body = client.get(f"{JOBS}?page=3&per_page=4").json()
    assert body["data"] == []
    assert body["meta"]["pagination"] == {"page": 3, "per_page": 4, "total": 6, "total_pages": 2}


def test_empty_store_lists_nothing(client):
    """With no jobs the list is empty and has zero pages."""
    body = client.get(JOBS).json()
    assert body == {
        "success": True,
        "data": [],
        "meta": {"pagination": {"page": 1, "per_page": 20, "total": 0, "total_pages": 0}},
    }
