"""Salary insight and trends over HTTP, answering from the demo corpus ingested into PostgreSQL.

The corpus is ingested and analysed by the worker's task functions; every figure the API gives
is recomputed here from the stored postings with plain Python (``statistics``, ``Counter``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from litestar.testing import TestClient

from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.model import JobQuery
from jobraker_core.jobs.use_cases import StartIngestion
from jobraker_core.pagination import PageRequest
from jobraker_http import create_app
from jobraker_workers.notification_tasks import execute_after_ingestion
from jobraker_workers.tasks import execute_ingestion

pytestmark = pytest.mark.integration

PER_YEAR = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}


def _all_jobs(container):
    jobs, page = [], 1
    with container.uow()() as uow:
        while True:
            found = uow.jobs.search(JobQuery(), PageRequest(page=page, per_page=100))
            jobs.extend(found.items)
            if page >= found.total_pages:
                return jobs
            page += 1


def _annual_midpoint(salary) -> float:
    factor = PER_YEAR[salary.period.value]
    bounds = [b for b in (salary.minimum, salary.maximum) if b is not None]
    low, high = (round(min(bounds) * factor), round(max(bounds) * factor))
    return (low + high) / 2


def _whole(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


@pytest.fixture
def world(pg_container):
    """The demo corpus ingested and analysed; a signed-in client."""
    run = pg_container.queue_ingestion()(StartIngestion(SourceSpec("demo")))
    assert execute_ingestion(pg_container, str(run.id))["status"] == "succeeded"
    after = execute_after_ingestion(pg_container, str(run.id))
    jobs = _all_jobs(pg_container)
    assert after["analysed"] == len(jobs) > 400
    pg_container.create_user_account()(
        CreateUser(email="m@example.com", password="a long passphrase here")
    )
    tokens = pg_container.login()(
        LogIn(email="m@example.com", password="a long passphrase here")
    ).tokens
    with TestClient(create_app(pg_container)) as client:
        client.headers["Authorization"] = f"Bearer {tokens.access_token}"
        yield pg_container, client, jobs


def test_salaries_of_a_title_match_the_stored_postings(world):
    """Percentiles per currency of the title's salaried jobs, recomputed from the postings."""
    container, client, jobs = world
    answer = client.get("/api/v1/market/salaries/", params={"title": "Software Engineer"})
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["occupation"]["title"] == "Software Developers"
    assert data["jobs_not_yet_analysed"] == 0
    analyser = container.job_analyser()
    code = data["occupation"]["code"]
    groups: dict[tuple[str, bool], list[float]] = {}
    for job in jobs:
        if job.salary is not None and analyser.analyse(job).occupation_code == code:
            key = (job.salary.currency, job.salary.estimated)
            groups.setdefault(key, []).append(_annual_midpoint(job.salary))
    assert groups, "the demo corpus has salaried software jobs"
    got = {(s["currency"], s["estimated"]): s for s in data["salaries"]}
    assert set(got) == set(groups)
    for key, figures in groups.items():
        figures.sort()
        stats = got[key]
        assert stats["jobs"] == len(figures)
        if len(figures) == 1:
            assert {stats[p] for p in ("p10", "p25", "median", "p75", "p90")} == {
                float(_whole(figures[0]))
            }
            continue
        twentieths = statistics.quantiles(figures, n=20, method="inclusive")
        quarters = statistics.quantiles(figures, n=4, method="inclusive")
        expected = {
            "p10": twentieths[1],
            "p25": quarters[0],
            "median": statistics.median(figures),
            "p75": quarters[2],
            "p90": twentieths[17],
        }
        for name, value in expected.items():
            assert Decimal(str(stats[name])) == _whole(value), name


def test_a_place_narrows_the_salaries(world):
    """A city keeps only its jobs (compared with the postings' own city text)."""
    _, client, jobs = world
    city = Counter(j.location.city for j in jobs if j.salary and j.location.city).most_common(1)[0][
        0
    ]
    data = client.get("/api/v1/market/salaries/", params={"location": city}).json()["data"]
    expected = sum(
        1
        for j in jobs
        if j.salary
        and any(
            city.casefold() in (p or "").casefold()
            for p in (j.location.city, j.location.region, j.location.display)
        )
    )
    assert sum(s["jobs"] for s in data["salaries"]) == expected


def test_trends_count_postings_per_week_as_the_postings_say(world):
    """Weeks end at the newest posting; title series, employers recomputed from the postings."""
    container, client, jobs = world
    answer = client.get("/api/v1/market/trends/", params={"weeks": 6, "top": 5})
    assert answer.status_code == 200
    data = answer.json()["data"]

    def week_of(job):
        moment = (job.posted_at or job.first_seen).astimezone(UTC).date()
        return moment - timedelta(days=moment.weekday())

    last = max(week_of(j) for j in jobs)
    weeks = [last - timedelta(weeks=n) for n in reversed(range(6))]
    assert data["weeks"] == [w.isoformat() for w in weeks]
    analyser = container.job_analyser()
    in_window = [j for j in jobs if weeks[0] <= week_of(j) <= last]
    titles = Counter()
    per_week: dict[str, Counter] = {}
    for job in in_window:
        name = analyser.analyse(job).occupation or job.title
        titles[name] += 1
        per_week.setdefault(name, Counter())[week_of(job)] += 1
    top = sorted(titles.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert [(s["name"], s["total"]) for s in data["titles"]] == top
    first = data["titles"][0]
    assert first["counts"] == [per_week[first["name"]][w] for w in weeks]
    employers = Counter(j.company for j in in_window if j.company)
    expected = sorted(employers.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert [(e["name"], e["jobs"]) for e in data["top_employers"]] == expected
    skills = Counter(
        s.name
        for j in in_window
        for s in {x.name: x for x in analyser.analyse(j).skills if x.skill_id}.values()
    )
    assert data["skills"][0]["total"] == max(skills.values())
    assert all(g["recent"] > g["earlier"] for g in data["growing_skills"])
