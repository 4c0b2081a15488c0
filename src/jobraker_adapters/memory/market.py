"""In-memory ``MarketData`` over the committed jobs of an ``InMemoryStore``.

The reference semantics of ``jobraker_adapters.postgres.market`` (migration 0051).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date

import attrs

from jobraker_adapters.memory.uow import InMemoryStore
from jobraker_core.jobs.model import JobPosting, RemoteMode
from jobraker_core.market.model import (
    Dimension,
    Employer,
    JobFacts,
    MarketScope,
    SalaryStats,
    WeeklyCount,
    midpoint,
    monday,
)


def job_week(job: JobPosting) -> date:
    """The Monday of the week a job counts in (posted, else first seen; UTC)."""
    moment = job.posted_at or job.first_seen
    return monday(moment.astimezone(UTC).date())


def place_of(job: JobPosting) -> str | None:
    """The place a job counts under: city, else region, else its text, else Remote."""
    where = job.location
    if where.city or where.region or where.display:
        return where.city or where.region or where.display
    return "Remote" if where.remote is RemoteMode.REMOTE else None


@attrs.define
class InMemoryMarketData:
    """``MarketData`` reading the store's committed jobs; facts kept here, by job id."""

    store: InMemoryStore = attrs.field(factory=InMemoryStore)
    facts: dict[uuid.UUID, JobFacts] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False, eq=False)

    def _jobs(self) -> list[JobPosting]:
        with self.store.lock:
            return list(self.store.jobs.values())

    def _stale(self) -> list[JobPosting]:
        with self.lock:
            facts = dict(self.facts)
        found = [
            j for j in self._jobs() if j.id not in facts or facts[j.id].job_seen_at < j.last_seen
        ]
        return sorted(found, key=lambda j: (j.first_seen, str(j.id)))

    def stale(self, limit: int) -> Sequence[JobPosting]:
        """Jobs without facts or seen again since, first seen first."""
        return self._stale()[:limit]

    def unanalysed(self) -> int:
        """How many jobs are stale."""
        return len(self._stale())

    def save_facts(self, facts: Sequence[JobFacts]) -> None:
        """Store these facts."""
        with self.lock:
            self.facts.update({f.job_id: f for f in facts})

    def without_facts(self, job_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``job_ids`` with no facts."""
        with self.lock:
            return {job_id for job_id in job_ids if job_id not in self.facts}

    def _in_scope(self, scope: MarketScope) -> Iterator[tuple[JobPosting, JobFacts | None]]:
        with self.lock:
            facts = dict(self.facts)
        for job in self._jobs():
            fact = facts.get(job.id)
            if not scope.filters.matches(job):
                continue
            if scope.occupation is not None and (
                fact is None
                or fact.occupation is None
                or fact.occupation.code != scope.occupation.code
            ):
                continue
            if scope.words and (fact is None or not set(scope.words) <= set(fact.title_words)):
                continue
            yield job, fact

    def salary_stats(self, scope: MarketScope) -> Sequence[SalaryStats]:
        """Percentiles per (currency, estimated) of the scope's salaried jobs."""
        groups: dict[tuple[str, bool], list[float]] = {}
        for job, _ in self._in_scope(scope):
            if job.salary is not None:
                key = (job.salary.currency, job.salary.estimated)
                figure = midpoint(job.salary.annual_low, job.salary.annual_high)
                groups.setdefault(key, []).append(figure)
        stats = [SalaryStats.of(c, e, figures) for (c, e), figures in groups.items()]
        return sorted(stats, key=lambda s: (-s.jobs, s.currency, s.estimated))

    def weekly(
        self, dimension: Dimension, scope: MarketScope, start: date, end: date
    ) -> Sequence[WeeklyCount]:
        """Postings per (name, week) in the weeks."""
        counts: Counter[tuple[str, date]] = Counter()
        for job, fact in self._in_scope(scope):
            week = job_week(job)
            if not start <= week <= end:
                continue
            if dimension is Dimension.TITLE:
                names = [fact.occupation.title if fact and fact.occupation else job.title]
            elif dimension is Dimension.SKILL:
                names = list(fact.skills) if fact else []
            else:
                place = place_of(job)
                names = [place] if place else []
            for name in names:
                counts[(name, week)] += 1
        found = [WeeklyCount(name, week, jobs) for (name, week), jobs in counts.items()]
        return sorted(found, key=lambda c: (c.week, c.name))

    def employers(
        self, scope: MarketScope, start: date, end: date, limit: int
    ) -> Sequence[Employer]:
        """The companies with the most postings in the weeks."""
        counts = Counter(
            job.company
            for job, _ in self._in_scope(scope)
            if job.company and start <= job_week(job) <= end
        )
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [Employer(name, jobs) for name, jobs in ranked[:limit]]

    def latest_week(self, scope: MarketScope) -> date | None:
        """The Monday of the newest posting in scope."""
        weeks = [job_week(job) for job, _ in self._in_scope(scope)]
        return max(weeks) if weeks else None
