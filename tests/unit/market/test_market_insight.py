"""Salary insight and trends on the memory container, checked against independent arithmetic."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_adapters.container import build_memory_container
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import JobDraft, JobPosting, Location
from jobraker_core.jobs.salary import Salary, SalaryPeriod
from jobraker_core.market.model import percentile
from jobraker_core.market.use_cases import SalaryQuestion, TrendQuestion

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
MONDAY = date(2026, 1, 12)
PYTHON = "Requirements:\n- Python\n- PostgreSQL\n"
JAVA = "Requirements:\n- Java\n- Spring\n"


def _job(number, title, *, city="London", salary=None, company="Acme", days_ago=0, text=PYTHON):
    draft = JobDraft(
        source="test",
        source_id=str(number),
        title=title,
        description=f"{text}\nRole number {number}.",
        company=company,
        location=Location(city=city, country_code="GB"),
        salary=salary,
        posted_at=NOW - timedelta(days=days_ago),
    )
    return JobPosting.from_draft(draft, job_id=uuid.UUID(int=number), seen_at=NOW)


@pytest.fixture
def container():
    """Software engineers in London and Leeds (GBP, some estimated, one hourly), a nurse, USD."""
    built = build_memory_container()
    jobs = [
        _job(
            n,
            f"Senior Software Engineer - Team {n}",
            salary=Salary(Decimal(40_000 + 5_000 * n), Decimal(50_000 + 5_000 * n), "GBP"),
            days_ago=7 * (n % 4),
        )
        for n in range(1, 12)
    ]
    jobs += [
        _job(
            20,
            "Software Developer (m/w/d)",
            city="Leeds",
            salary=Salary(Decimal(30), Decimal(40), "GBP", SalaryPeriod.HOUR),
        ),
        _job(
            21,
            "Software Engineer",
            salary=Salary(Decimal(60_000), Decimal(60_000), "GBP", estimated=True),
        ),
        _job(
            22,
            "Software Engineer",
            salary=Salary(Decimal(70_000), Decimal(80_000), "USD"),
            city="Austin",
            text=JAVA,
            company="Globex",
        ),
        _job(
            23,
            "Staff Nurse",
            salary=Salary(Decimal(30_000), Decimal(35_000), "GBP"),
            company="NHS",
            text="Requirements:\n- Patient care\n",
        ),
        _job(24, "Software Engineer", days_ago=35, company="Globex", text=JAVA),
    ]
    with built.uow()() as uow:
        uow.jobs.save(jobs)
        uow.commit()
    return built


def _midpoints(container, predicate):
    with container.uow()() as uow:
        jobs = list(uow.jobs.jobs.values())
    return sorted(
        float((j.salary.annual_low + j.salary.annual_high) / 2)
        for j in jobs
        if j.salary is not None and predicate(j)
    )


def test_salaries_of_a_title_count_every_wording_of_it_per_currency(container):
    """Titles fold to one occupation; stated GBP, estimated GBP and USD are three groups."""
    assert container.salary_insight()(SalaryQuestion(title="software engineer")).unanalysed == 16
    assert container.analyse_market()() == 16
    report = container.salary_insight()(SalaryQuestion(title="Software Engineer"))
    assert report.occupation.title == "Software Developers"
    assert report.unanalysed == 0
    groups = {(s.currency, s.estimated): s for s in report.stats}
    assert set(groups) == {("GBP", False), ("GBP", True), ("USD", False)}
    stated = _midpoints(
        container,
        lambda j: "Software" in j.title and j.salary.currency == "GBP" and not j.salary.estimated,
    )
    assert groups["GBP", False].jobs == len(stated) == 12
    cuts = statistics.quantiles(stated, n=20, method="inclusive")  # p5, p10, ..., p95
    quartiles = statistics.quantiles(stated, n=4, method="inclusive")
    assert groups["GBP", False].p10 == round(Decimal(repr(cuts[1])))
    assert groups["GBP", False].p25 == round(Decimal(repr(quartiles[0])))
    assert groups["GBP", False].median == round(Decimal(repr(statistics.median(stated))))
    assert groups["GBP", False].p75 == round(Decimal(repr(quartiles[2])))
    assert groups["GBP", False].p90 == round(Decimal(repr(cuts[17])))
    assert groups["GBP", True].median == Decimal(60_000)
    assert report.stats[0].currency == "GBP"  # most jobs first


def test_place_filters_narrow_like_the_job_search(container):
    """Location matches city text; country narrows to its code."""
    container.analyse_market()()
    leeds = container.salary_insight()(SalaryQuestion(title="software engineer", location="leed"))
    (only,) = leeds.stats
    assert (only.jobs, only.median) == (1, Decimal(72_800))  # 35/h * 2080
    nowhere = container.salary_insight()(SalaryQuestion(title="software engineer", country="DE"))
    assert nowhere.stats == ()


def test_a_title_no_occupation_fits_is_matched_by_its_words(container):
    """An unknown title falls back to jobs whose title has all its words."""
    container.analyse_market()()
    report = container.salary_insight()(SalaryQuestion(title="Zorblax Wrangler"))
    assert report.occupation is None
    assert report.stats == ()
    with pytest.raises(InvalidInput):
        container.salary_insight()(SalaryQuestion(title="--"))


def test_trends_are_weekly_series_with_growth_and_employers(container):
    """Counts per week add up to the postings in the window, by title, skill and place."""
    container.analyse_market()()
    trends = container.market_trends()(TrendQuestion(weeks=4, top=5))
    assert trends.weeks == tuple(MONDAY - timedelta(weeks=n) for n in (3, 2, 1, 0))
    titles = {s.name: s for s in trends.titles}
    # engineers 1-11 posted 7*(n%4) days ago: 3 at 21, 14 and 7 days, 2 this week, plus 20-22
    # this week; the 35-day-old one is out of the window
    engineers = titles["Software Developers"]
    assert engineers.total == 14
    assert engineers.counts == (3, 3, 3, 5)
    assert sum(s.total for s in trends.titles) == 15  # and the nurse
    places = {s.name: s.total for s in trends.locations}
    assert places == {"London": 13, "Leeds": 1, "Austin": 1}
    skills = {s.name: s for s in trends.skills}
    assert skills["Python"].total == 13
    assert trends.employers[0].name == "Acme"
    assert trends.employers[0].jobs == 13
    # weeks 3+3 against 3+4 for Python and PostgreSQL; Java and Spring have one recent posting
    assert [(g.name, g.earlier, g.recent) for g in trends.growing_skills] == [
        ("PostgreSQL", 6, 7),
        ("Python", 6, 7),
    ]


def test_an_empty_scope_has_no_weeks(container):
    """No postings in scope: no window at all; bad bounds are InvalidInput."""
    trends = container.market_trends()(TrendQuestion(country="DE"))
    assert trends.weeks == ()
    with pytest.raises(InvalidInput):
        container.market_trends()(TrendQuestion(weeks=0))


@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=40),
    st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]),
)
def test_percentile_agrees_with_the_standard_library(values, fraction):
    """Linear interpolation equals statistics.quantiles(method="inclusive") at the same cut."""
    ordered = sorted(float(v) for v in values)
    if len(ordered) == 1:
        assert percentile(ordered, fraction) == ordered[0]
        return
    cuts = statistics.quantiles(ordered, n=20, method="inclusive")
    expected = cuts[round(fraction * 20) - 1]
    assert percentile(ordered, fraction) == pytest.approx(expected)
