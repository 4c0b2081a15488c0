"""Market intelligence: what jobs Jobraker has seen pay, and how postings move week by week.

Salaries are summarised per currency (never converted, ADR 0006) and with stated and estimated
figures (``Salary.estimated``, Adzuna's ``salary_is_predicted``) kept apart. Each job counts
once, by the midpoint of its annualised range; percentiles interpolate linearly between the two
nearest jobs (PostgreSQL's ``percentile_cont``), rounded to whole currency units.

A title is looked up through the occupation taxonomy (``TitleNormaliser``), so "Senior Software
Engineer" and "Software Developer (m/w/d)" count together. Each job's occupation and skills are
read once into ``JobFacts`` (``AnalyseMarket``), which the queries filter and group on.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Final

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import JobQuery
from jobraker_core.jobs.text import fold

PERCENTILES: Final = (0.1, 0.25, 0.5, 0.75, 0.9)
MAX_TREND_WEEKS: Final = 104
DEFAULT_TREND_WEEKS: Final = 12
MAX_TOP: Final = 50


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """``percentile_cont``: linear interpolation at ``fraction * (n - 1)`` of ``ordered``."""
    if not ordered:
        raise ValueError("no values")
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def whole(value: float) -> Decimal:
    """A computed figure in whole currency units (half to even)."""
    return Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


def midpoint(low: Decimal, high: Decimal) -> float:
    """The figure a job counts with: the middle of its annual range."""
    return float((low + high) / 2)


@attrs.frozen
class SalaryStats:
    """What the jobs of one currency pay, stated or estimated, as yearly figures."""

    currency: str
    estimated: bool
    jobs: int
    p10: Decimal
    p25: Decimal
    median: Decimal
    p75: Decimal
    p90: Decimal

    @classmethod
    def of(cls, currency: str, estimated: bool, figures: Sequence[float]) -> SalaryStats:
        """Summarise ``figures`` (one per job)."""
        ordered = sorted(figures)
        p10, p25, p50, p75, p90 = (whole(percentile(ordered, p)) for p in PERCENTILES)
        return cls(currency, estimated, len(ordered), p10, p25, p50, p75, p90)


@attrs.frozen
class Occupation:
    """A taxonomy occupation a title maps to."""

    code: str
    title: str


@attrs.frozen
class JobFacts:
    """What market queries need to know of one job, read once from its text.

    ``title_words`` is the folded title (for titles no occupation fits); ``skills`` are the
    taxonomy skills it asks for; ``job_seen_at`` is the job's ``last_seen`` when it was read,
    so a job seen again since is read again.
    """

    job_id: uuid.UUID
    occupation: Occupation | None
    title_words: tuple[str, ...]
    skills: tuple[str, ...]
    job_seen_at: datetime


def title_words(title: str) -> tuple[str, ...]:
    """The folded words of a title."""
    return tuple(fold(title).split())


@attrs.frozen
class MarketScope:
    """Which jobs a market query looks at.

    ``occupation`` (else every word of ``words``, for a title no occupation fits) narrows by
    title; ``filters`` narrows by place (its ``location``, ``country``, ``remote``).
    """

    filters: JobQuery = attrs.field(factory=JobQuery)
    occupation: Occupation | None = None
    words: tuple[str, ...] = ()

    @property
    def by_title(self) -> bool:
        """Whether the scope narrows by title (so only analysed jobs can count)."""
        return self.occupation is not None or bool(self.words)


@attrs.frozen
class SalaryBucket:
    """One bar of an external salary histogram: jobs paying from ``lower`` up."""

    lower: int
    jobs: int


@attrs.frozen
class MonthlySalary:
    """An external source's average advertised salary in one month (``YYYY-MM``)."""

    month: str
    average: Decimal


@attrs.frozen
class ExternalSalaries:
    """What an external source (Adzuna) says of a title's pay in a country."""

    source: str
    country: str
    currency: str
    histogram: tuple[SalaryBucket, ...]
    history: tuple[MonthlySalary, ...]


@attrs.frozen
class SalaryReport:
    """Salary insight for a title and place.

    ``stats`` is ordered by jobs (most first), then currency, stated before estimated.
    ``unanalysed`` counts jobs not read yet (they count once ``AnalyseMarket`` has run).
    """

    title: str | None
    occupation: Occupation | None
    location: str | None
    country: str | None
    stats: tuple[SalaryStats, ...]
    unanalysed: int
    external: ExternalSalaries | None = None
    external_error: str | None = None


class Dimension(StrEnum):
    """What postings are counted by in a trend."""

    TITLE = "title"
    SKILL = "skill"
    LOCATION = "location"


@attrs.frozen
class WeeklyCount:
    """How many postings of ``name`` were posted in the week starting ``week`` (a Monday)."""

    name: str
    week: date
    jobs: int


@attrs.frozen
class Series:
    """One line of a chart: postings per week, every week of the window (zeros included)."""

    name: str
    total: int
    counts: tuple[int, ...]


@attrs.frozen
class Growth:
    """A skill asked for more in the second half of the window than in the first."""

    name: str
    earlier: int
    recent: int

    @property
    def ratio(self) -> float:
        """``(recent + 1) / (earlier + 1)``: above 1 is growing."""
        return (self.recent + 1) / (self.earlier + 1)


@attrs.frozen
class Employer:
    """A company and how many postings it made in the window."""

    name: str
    jobs: int


@attrs.frozen
class Trends:
    """Postings per week by title, skill and place, the fastest-growing skills, top employers.

    ``weeks`` are the Mondays of the window, oldest first; each series has one count per week.
    """

    weeks: tuple[date, ...]
    titles: tuple[Series, ...]
    skills: tuple[Series, ...]
    locations: tuple[Series, ...]
    growing_skills: tuple[Growth, ...]
    employers: tuple[Employer, ...]
    unanalysed: int


def monday(moment: date) -> date:
    """The Monday of ``moment``'s ISO week."""
    return moment - timedelta(days=moment.weekday())


def check_window(weeks: int, top: int) -> None:
    """Refuse a window or a top count out of bounds."""
    if not 1 <= weeks <= MAX_TREND_WEEKS:
        raise InvalidInput(f"weeks must be between 1 and {MAX_TREND_WEEKS}", field="weeks")
    if not 1 <= top <= MAX_TOP:
        raise InvalidInput(f"top must be between 1 and {MAX_TOP}", field="top")


def series(counts: Sequence[WeeklyCount], weeks: Sequence[date], top: int) -> tuple[Series, ...]:
    """The ``top`` names by total, each as a full weekly series (ties by name)."""
    index = {week: i for i, week in enumerate(weeks)}
    table: dict[str, list[int]] = {}
    for count in counts:
        if count.week in index:
            table.setdefault(count.name, [0] * len(weeks))[index[count.week]] += count.jobs
    ranked = sorted(table.items(), key=lambda item: (-sum(item[1]), item[0]))[:top]
    return tuple(Series(name, sum(values), tuple(values)) for name, values in ranked)


def growing(counts: Sequence[WeeklyCount], weeks: Sequence[date], top: int) -> tuple[Growth, ...]:
    """Skills by growth from the first half of the window to the second (at least 2 recent)."""
    if len(weeks) < 2:  # noqa: PLR2004 - two halves
        return ()
    split = weeks[len(weeks) // 2]
    earlier: dict[str, int] = {}
    recent: dict[str, int] = {}
    for count in counts:
        if weeks[0] <= count.week <= weeks[-1]:
            side = recent if count.week >= split else earlier
            side[count.name] = side.get(count.name, 0) + count.jobs
    found = [
        Growth(name, earlier.get(name, 0), jobs)
        for name, jobs in recent.items()
        if jobs >= 2 and jobs > earlier.get(name, 0)  # noqa: PLR2004 - noise floor
    ]
    found.sort(key=lambda g: (-g.ratio, -g.recent, g.name))
    return tuple(found[:top])
