"""Source health and platform metrics for admins, computed from what is stored.

Source health comes from the ingestion runs of the last ``HEALTH_WINDOW``: per source kind, how
many runs succeeded and failed, what they yielded, and when and why they last failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from jobraker_core.accounts.audit import require_admin
from jobraker_core.accounts.identity import Principal
from jobraker_core.clock import Clock
from jobraker_core.errors import JobrakerError
from jobraker_core.jobs.ingestion import IngestionRun, RunStatus
from jobraker_core.moderation.model import FlagQuery, FlagStatus
from jobraker_core.moderation.ports import (
    PlatformCounts,
    PlatformStatistics,
    QueueDepth,
    QueueMonitor,
)
from jobraker_core.pagination import MAX_PER_PAGE, PageRequest
from jobraker_core.ports import UnitOfWorkFactory

HEALTH_WINDOW: Final = timedelta(days=30)
ACTIVE_WINDOW: Final = timedelta(days=30)
MAX_RUNS: Final = 5_000


@attrs.frozen
class SourceHealth:
    """How one kind of source has fared over the window.

    ``yield_per_run`` is the mean of new + updated jobs per successful run; ``error_rate`` the
    share of finished runs that failed.
    """

    source: str
    runs: int
    succeeded: int
    failed: int
    fetched: int
    new: int
    updated: int
    rejected: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_failure_reason: str | None

    @property
    def yield_per_run(self) -> float:
        """Mean new + updated jobs per successful run (0 without one)."""
        return round((self.new + self.updated) / self.succeeded, 2) if self.succeeded else 0.0

    @property
    def error_rate(self) -> float:
        """Failed runs over finished runs (0 without one)."""
        finished = self.succeeded + self.failed
        return round(self.failed / finished, 4) if finished else 0.0


def source_health(runs: Iterable[IngestionRun]) -> list[SourceHealth]:
    """Health per source kind from these runs (any order), sorted by kind."""
    grouped: dict[str, list[IngestionRun]] = {}
    for run in runs:
        grouped.setdefault(run.source.kind, []).append(run)
    report: list[SourceHealth] = []
    for kind in sorted(grouped):
        group = grouped[kind]
        ok = [r for r in group if r.status is RunStatus.SUCCEEDED]
        bad = [r for r in group if r.status is RunStatus.FAILED or r.status is RunStatus.RETRYING]
        last_ok = max(ok, key=lambda r: r.finished_at or r.created_at, default=None)
        last_bad = max(bad, key=lambda r: r.finished_at or r.created_at, default=None)
        report.append(
            SourceHealth(
                source=kind,
                runs=len(group),
                succeeded=len(ok),
                failed=sum(1 for r in group if r.status is RunStatus.FAILED),
                fetched=sum(r.counts.fetched for r in ok),
                new=sum(r.counts.new for r in ok),
                updated=sum(r.counts.updated for r in ok),
                rejected=sum(r.counts.rejected for r in group),
                last_success_at=(last_ok.finished_at or last_ok.created_at) if last_ok else None,
                last_failure_at=(last_bad.finished_at or last_bad.created_at) if last_bad else None,
                last_failure_reason=last_bad.error if last_bad else None,
            )
        )
    return report


def _recent_runs(uow: UnitOfWorkFactory, since: datetime) -> list[IngestionRun]:
    runs: list[IngestionRun] = []
    with uow() as unit:
        page_number = 1
        while len(runs) < MAX_RUNS:
            page = unit.ingestions.list(PageRequest(page_number, MAX_PER_PAGE))
            fresh = [run for run in page.items if run.created_at >= since]
            runs.extend(fresh)
            if len(fresh) < len(page.items) or page_number >= page.total_pages:
                break
            page_number += 1
    return runs


class GetSourceHealth:
    """Per-source ingestion health over the last ``HEALTH_WINDOW`` (admins only)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, principal: Principal) -> list[SourceHealth]:
        """Return the health of every source kind that ran in the window."""
        require_admin(principal)
        return source_health(_recent_runs(self._uow, self._clock.now() - HEALTH_WINDOW))


@attrs.frozen
class PlatformMetrics:
    """The platform at a glance for admins.

    ``queues`` is empty and ``queue_error`` says why when the queue could not be read.
    ``ingestion_failure_rate`` is over the window's finished runs.
    """

    at: datetime
    counts: PlatformCounts
    sources: tuple[SourceHealth, ...]
    queues: tuple[QueueDepth, ...]
    queue_error: str | None
    ingestion_failure_rate: float
    open_flags: int


class GetPlatformMetrics:
    """Users, active users, jobs by source, ingestion health, applications, queues, failures."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        statistics: PlatformStatistics,
        queues: QueueMonitor,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._statistics = statistics
        self._queues = queues
        self._clock = clock

    def __call__(self, principal: Principal) -> PlatformMetrics:
        """Return the metrics as of now (admins only)."""
        require_admin(principal)
        now = self._clock.now()
        counts = self._statistics.counts(now - ACTIVE_WINDOW)
        sources = source_health(_recent_runs(self._uow, now - HEALTH_WINDOW))
        queue_error: str | None = None
        depths: Sequence[QueueDepth] = ()
        try:
            depths = self._queues.depths()
        except JobrakerError as error:
            queue_error = error.message
        with self._uow() as uow:
            open_flags = uow.moderation.list_flags(
                FlagQuery(status=FlagStatus.OPEN), PageRequest(1, 1)
            ).total
        finished = sum(s.succeeded + s.failed for s in sources)
        failed = sum(s.failed for s in sources)
        return PlatformMetrics(
            at=now,
            counts=counts,
            sources=tuple(sources),
            queues=tuple(depths),
            queue_error=queue_error,
            ingestion_failure_rate=round(failed / finished, 4) if finished else 0.0,
            open_flags=open_flags,
        )
