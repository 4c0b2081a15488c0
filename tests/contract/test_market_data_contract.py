"""``MarketData`` on the in-memory fake and on PostgreSQL: the same answers for the same jobs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from jobraker_adapters.memory import InMemoryUnitOfWorkFactory
from jobraker_adapters.memory.market import InMemoryMarketData
from jobraker_adapters.postgres.market import PostgresMarketData
from jobraker_core.jobs.model import JobDraft, JobPosting, JobQuery, Location, RemoteMode
from jobraker_core.jobs.salary import Salary, SalaryPeriod
from jobraker_core.market.model import (
    Dimension,
    Employer,
    JobFacts,
    MarketScope,
    Occupation,
    SalaryStats,
    WeeklyCount,
)

if TYPE_CHECKING:
    from jobraker_core.market.ports import MarketData
    from jobraker_core.ports import UnitOfWorkFactory

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
DEV = Occupation("15-1252.00", "Software Developers")


def _job(
    number: int,
    title: str,
    *,
    city: str | None = "London",
    salary=None,
    company="Acme",
    days_ago=0,
    remote=None,
):
    draft = JobDraft(
        source="test",
        source_id=str(number),
        title=title,
        description=f"Job number {number}.",
        company=company,
        location=Location(city=city, country_code="GB", remote=remote),
        salary=salary,
        posted_at=NOW - timedelta(days=days_ago),
    )
    return JobPosting.from_draft(draft, job_id=uuid.UUID(int=number), seen_at=NOW)


JOBS = [
    _job(
        n,
        f"Developer {n}",
        salary=Salary(Decimal(1000 * n), Decimal(1000 * n + 500), "GBP"),
        days_ago=7 * (n % 3),
    )
    for n in range(1, 8)
] + [
    _job(
        10,
        "Developer 10",
        salary=Salary(Decimal(20), Decimal(30), "GBP", SalaryPeriod.HOUR),
        city="Leeds",
    ),
    _job(
        11,
        "Developer 11",
        salary=Salary(Decimal(50_000), None, "GBP", estimated=True),
        company="Globex",
    ),
    _job(
        12,
        "Developer 12",
        salary=Salary(Decimal(90_000), Decimal(95_000), "USD"),
        city=None,
        remote=RemoteMode.REMOTE,
    ),
    _job(13, "Nurse", salary=Salary(Decimal(30_000), Decimal(31_000), "GBP"), company="NHS"),
]


def _facts(job: JobPosting) -> JobFacts:
    dev = job.title.startswith("Developer")
    skills = ("Python", "SQL") if dev and job.id.int % 2 else ("Python",) if dev else ("Care",)
    return JobFacts(
        job.id, DEV if dev else None, tuple(job.title.lower().split()), skills, job.last_seen
    )


@pytest.fixture
def market(uow_factory: UnitOfWorkFactory, request: pytest.FixtureRequest) -> MarketData:
    """The market data of the storage under test, holding ``JOBS`` (none analysed yet)."""
    with uow_factory() as uow:
        uow.jobs.save(JOBS)
        uow.commit()
    if isinstance(uow_factory, InMemoryUnitOfWorkFactory):
        return InMemoryMarketData(store=uow_factory.store)
    return PostgresMarketData(request.getfixturevalue("pg_pool"))


def test_jobs_without_facts_are_stale_until_their_facts_are_saved(market):
    """Every job starts stale (first seen first); saved facts make it current."""
    assert market.unanalysed() == len(JOBS)
    first = market.stale(3)
    assert [j.id for j in first] == sorted((j.id for j in JOBS), key=str)[:3]
    market.save_facts([_facts(j) for j in JOBS])
    assert market.unanalysed() == 0
    assert market.stale(10) == []


def test_without_facts_names_the_jobs_not_read_yet(market):
    """Of the ids asked about, those without facts; unknown ids count as without facts."""
    read, unread = JOBS[:3], JOBS[3:5]
    market.save_facts([_facts(j) for j in read])
    unknown = uuid.uuid4()
    asked = [j.id for j in read + unread] + [unknown]
    assert market.without_facts(asked) == {j.id for j in unread} | {unknown}
    assert market.without_facts([]) == set()


def test_salary_stats_per_currency_with_estimates_apart(market):
    """Percentiles of annual midpoints, rounded to whole units, most jobs first."""
    market.save_facts([_facts(j) for j in JOBS])
    stats = market.salary_stats(MarketScope(JobQuery(), occupation=DEV))
    assert [(s.currency, s.estimated, s.jobs) for s in stats] == [
        ("GBP", False, 8),
        ("GBP", True, 1),
        ("USD", False, 1),
    ]
    # midpoints 1250, 2250, ..., 7250 and 52000 (25/h * 2080): p10 at 0.7, p90 at 6.3
    assert stats[0] == SalaryStats(
        "GBP",
        estimated=False,
        jobs=8,
        p10=Decimal(1950),
        p25=Decimal(3000),
        median=Decimal(4750),
        p75=Decimal(6500),
        p90=Decimal(20675),
    )
    assert stats[1].median == Decimal(50_000)
    leeds = market.salary_stats(MarketScope(JobQuery(location="leeds"), occupation=DEV))
    assert [(s.jobs, s.median) for s in leeds] == [(1, Decimal(52_000))]
    words = market.salary_stats(MarketScope(JobQuery(), words=("nurse",)))
    assert [(s.jobs, s.median) for s in words] == [(1, Decimal(30_500))]
    everyone = market.salary_stats(MarketScope(JobQuery()))
    assert sum(s.jobs for s in everyone) == len(JOBS)


def test_weekly_counts_employers_and_latest_week(market):
    """Postings by (name, week) per dimension, employers by count, the newest week."""
    market.save_facts([_facts(j) for j in JOBS])
    scope = MarketScope(JobQuery())
    this_week = date(2026, 1, 12)
    start = this_week - timedelta(weeks=2)
    assert market.latest_week(scope) == this_week
    titles = sorted(
        (c.name, c.week, c.jobs) for c in market.weekly(Dimension.TITLE, scope, start, this_week)
    )
    assert titles == [
        ("Nurse", this_week, 1),
        ("Software Developers", this_week - timedelta(weeks=2), 2),
        ("Software Developers", this_week - timedelta(weeks=1), 3),
        ("Software Developers", this_week, 5),
    ]
    places = {
        c.name: c.jobs for c in market.weekly(Dimension.LOCATION, scope, this_week, this_week)
    }
    assert places == {"London": 4, "Leeds": 1, "Remote": 1}
    skills = market.weekly(Dimension.SKILL, scope, this_week, this_week)
    assert WeeklyCount("Python", this_week, 5) in skills
    assert market.employers(scope, start, this_week, 2) == [
        Employer("Acme", 9),
        Employer("Globex", 1),
    ]
    assert market.latest_week(MarketScope(JobQuery(country="DE"))) is None
