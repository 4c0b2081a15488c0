"""Ports of market intelligence: the market data store and external salary data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from jobraker_core.jobs.model import JobPosting
from jobraker_core.market.model import (
    Dimension,
    Employer,
    ExternalSalaries,
    JobFacts,
    MarketScope,
    SalaryStats,
    WeeklyCount,
)


class MarketData(Protocol):
    """Reads the stored jobs for market questions, and keeps each job's ``JobFacts``.

    A job's week is that of its ``posted_at`` (else ``first_seen``), in UTC, weeks starting on
    Monday. Storage that is down raises ``UpstreamUnavailable``.
    """

    def stale(self, limit: int) -> Sequence[JobPosting]:
        """Up to ``limit`` jobs with no facts, or facts read before the job was last seen."""
        ...

    def unanalysed(self) -> int:
        """How many jobs ``stale`` would return without a limit."""
        ...

    def save_facts(self, facts: Sequence[JobFacts]) -> None:
        """Store (or replace) these facts."""
        ...

    def without_facts(self, job_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``job_ids`` that have no facts yet (``AnalyseMarket`` has not read them)."""
        ...

    def salary_stats(self, scope: MarketScope) -> Sequence[SalaryStats]:
        """Per currency and stated/estimated, the percentiles of the scope's salaried jobs.

        Ordered by jobs (most first), then currency, then stated before estimated.
        """
        ...

    def weekly(
        self, dimension: Dimension, scope: MarketScope, start: date, end: date
    ) -> Sequence[WeeklyCount]:
        """Postings per (name, week) for weeks from ``start`` to ``end`` (Mondays, inclusive).

        Titles are the occupation (else the posting's title), places the city (else region,
        else the location text), skills each taxonomy skill asked for.
        """
        ...

    def employers(
        self, scope: MarketScope, start: date, end: date, limit: int
    ) -> Sequence[Employer]:
        """The companies with the most postings in the weeks, most first (ties by name)."""
        ...

    def latest_week(self, scope: MarketScope) -> date | None:
        """The Monday of the newest posting in scope (None when there is none)."""
        ...


class ExternalSalaryData(Protocol):
    """Salary figures from outside Jobraker (Adzuna's histogram and history endpoints).

    Raises ``UpstreamUnavailable`` (``RateLimited`` when the call quota is used up),
    ``UpstreamRejected`` or ``ConfigurationError`` like a job source, and ``InvalidInput`` for
    a country it does not serve.
    """

    def salaries(self, country: str, title: str, months: int) -> ExternalSalaries:
        """The histogram and the last ``months`` of average salaries of ``title``."""
        ...
