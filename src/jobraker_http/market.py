"""Market intelligence routes (signed-in users).

- ``GET /api/v1/market/salaries/?title=&location=&country=&remote=``: salary percentiles of a
  title (looked up in the occupation taxonomy) and place, per currency, stated and estimated
  apart; with Adzuna configured and a ``country`` given, Adzuna's histogram and history too;
- ``GET /api/v1/market/trends/?title=&location=&country=&weeks=&top=&until=``: postings per
  week by title, skill and place, the fastest-growing skills and the top employers, as series
  ready to chart (one count per week of ``weeks``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from litestar import Router, get
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import Parameter

from jobraker_core.jobs.model import RemoteMode
from jobraker_core.market.model import (
    DEFAULT_TREND_WEEKS,
    MAX_TOP,
    MAX_TREND_WEEKS,
    SalaryReport,
    Series,
    Trends,
)
from jobraker_core.market.use_cases import (
    MarketTrends,
    SalaryInsight,
    SalaryQuestion,
    TrendQuestion,
)
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import requires_user
from jobraker_http.providers import container_provider

_TEXT = 200


class OccupationOut(msgspec.Struct, kw_only=True):
    """The taxonomy occupation the title was read as."""

    code: str
    title: str


class SalaryStatsOut(msgspec.Struct, kw_only=True):
    """Yearly salary percentiles of the jobs of one currency, stated or estimated."""

    currency: str
    estimated: bool
    jobs: int
    p10: int
    p25: int
    median: int
    p75: int
    p90: int


class BucketOut(msgspec.Struct, kw_only=True):
    """One histogram bar: jobs paying from ``lower`` up to the next bar."""

    lower: int
    jobs: int


class MonthOut(msgspec.Struct, kw_only=True):
    """The average advertised salary in one month."""

    month: str
    average: int


class ExternalOut(msgspec.Struct, kw_only=True):
    """Another source's figures for the title in the country."""

    source: str
    country: str
    currency: str
    histogram: list[BucketOut]
    history: list[MonthOut]


class SalaryReportOut(msgspec.Struct, kw_only=True):
    """Salary insight for a title and place."""

    title: str | None
    occupation: OccupationOut | None
    location: str | None
    country: str | None
    salaries: list[SalaryStatsOut]
    jobs_not_yet_analysed: int
    external: ExternalOut | None
    external_error: str | None


class SalaryReportEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around salary insight."""

    success: bool
    data: SalaryReportOut
    meta: ItemMeta


class SeriesOut(msgspec.Struct, kw_only=True):
    """One chart line: postings per week (aligned with ``weeks``) and their total."""

    name: str
    total: int
    counts: list[int]


class GrowthOut(msgspec.Struct, kw_only=True):
    """A skill asked for more in the second half of the window than in the first."""

    name: str
    earlier: int
    recent: int
    ratio: float


class EmployerOut(msgspec.Struct, kw_only=True):
    """A company and its postings in the window."""

    name: str
    jobs: int


class TrendsOut(msgspec.Struct, kw_only=True):
    """Posting trends over the window's weeks (Mondays, oldest first)."""

    weeks: list[date]
    titles: list[SeriesOut]
    skills: list[SeriesOut]
    locations: list[SeriesOut]
    growing_skills: list[GrowthOut]
    top_employers: list[EmployerOut]
    jobs_not_yet_analysed: int


class TrendsEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around trends."""

    success: bool
    data: TrendsOut
    meta: ItemMeta


def report_to_wire(report: SalaryReport) -> SalaryReportOut:
    """The wire form of salary insight."""
    external = report.external
    return SalaryReportOut(
        title=report.title,
        occupation=None
        if report.occupation is None
        else OccupationOut(code=report.occupation.code, title=report.occupation.title),
        location=report.location,
        country=report.country,
        salaries=[
            SalaryStatsOut(
                currency=s.currency,
                estimated=s.estimated,
                jobs=s.jobs,
                p10=int(s.p10),
                p25=int(s.p25),
                median=int(s.median),
                p75=int(s.p75),
                p90=int(s.p90),
            )
            for s in report.stats
        ],
        jobs_not_yet_analysed=report.unanalysed,
        external=None
        if external is None
        else ExternalOut(
            source=external.source,
            country=external.country,
            currency=external.currency,
            histogram=[BucketOut(lower=b.lower, jobs=b.jobs) for b in external.histogram],
            history=[MonthOut(month=m.month, average=int(m.average)) for m in external.history],
        ),
        external_error=report.external_error,
    )


def _series(found: tuple[Series, ...]) -> list[SeriesOut]:
    return [SeriesOut(name=s.name, total=s.total, counts=list(s.counts)) for s in found]


def trends_to_wire(trends: Trends) -> TrendsOut:
    """The wire form of trends."""
    return TrendsOut(
        weeks=list(trends.weeks),
        titles=_series(trends.titles),
        skills=_series(trends.skills),
        locations=_series(trends.locations),
        growing_skills=[
            GrowthOut(name=g.name, earlier=g.earlier, recent=g.recent, ratio=round(g.ratio, 3))
            for g in trends.growing_skills
        ],
        top_employers=[EmployerOut(name=e.name, jobs=e.jobs) for e in trends.employers],
        jobs_not_yet_analysed=trends.unanalysed,
    )


_Title = Annotated[
    str | None,
    Parameter(max_length=_TEXT, description="a job title, read through the occupation taxonomy"),
]
_Location = Annotated[
    str | None, Parameter(max_length=_TEXT, description="city, region or place text (contains)")
]
_Country = Annotated[
    str | None, Parameter(min_length=2, max_length=2, description="ISO 3166 country code")
]


@get(
    "/salaries",
    sync_to_thread=True,
    summary="Salaries for a title and place",
    description="Yearly salary percentiles (p10, p25, median, p75, p90) of the jobs Jobraker has "
    "seen for the title (read through the occupation taxonomy) and place, per currency (never "
    "converted), stated and estimated apart; each job counts once, by the middle of its range. "
    "With Adzuna configured and `country` given, Adzuna's histogram and monthly history too.",
    responses=problem_responses(400, 401, 503),
)
def market_salaries(
    salary_insight: NamedDependency[SalaryInsight],
    title: _Title = None,
    location: _Location = None,
    country: _Country = None,
    remote: Annotated[
        Literal["on_site", "hybrid", "remote"] | None, Parameter(description="work mode")
    ] = None,
) -> SalaryReportEnvelope:
    """Answer with salary insight."""
    question = SalaryQuestion(
        title=title,
        location=location,
        country=country,
        remote=RemoteMode(remote) if remote else None,
    )
    report = salary_insight(question)
    return SalaryReportEnvelope(success=True, data=report_to_wire(report), meta=ItemMeta())


@get(
    "/trends",
    sync_to_thread=True,
    summary="Posting trends",
    description="Postings per week by title, skill and place (top `top` of each, every week of "
    "the window with zeros), the fastest-growing skills (second half of the window against the "
    "first) and the top employers. The window is `weeks` weeks up to `until` (default: the week "
    "of the newest posting in scope). A job counts in the week it was posted (else first seen).",
    responses=problem_responses(400, 401, 503),
)
def market_trends(
    market_trends: NamedDependency[MarketTrends],
    *,
    title: _Title = None,
    location: _Location = None,
    country: _Country = None,
    weeks: Annotated[int, Parameter(ge=1, le=MAX_TREND_WEEKS)] = DEFAULT_TREND_WEEKS,
    top: Annotated[int, Parameter(ge=1, le=MAX_TOP)] = 10,
    until: Annotated[date | None, Parameter(description="a day in the window's last week")] = None,
) -> TrendsEnvelope:
    """Answer with posting trends."""
    question = TrendQuestion(
        title=title, location=location, country=country, weeks=weeks, top=top, until=until
    )
    trends = market_trends(question)
    return TrendsEnvelope(success=True, data=trends_to_wire(trends), meta=ItemMeta())


def market_router() -> Router:
    """The market routes under ``/api/v1/market``."""
    return Router(
        path="/market",
        route_handlers=[market_salaries, market_trends],
        tags=["market"],
        guards=[requires_user],
        dependencies={
            name: container_provider(name) for name in ("salary_insight", "market_trends")
        },
    )


__all__ = ["market_router"]
