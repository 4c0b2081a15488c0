"""In-memory moderation store, platform statistics and link checker: the reference semantics.

The store follows migration 0060: one fingerprint per job, one flag per (job, rule), one decision
per (rule, company).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from jobraker_adapters.memory.tables import TableSession
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.jobs.model import JobPosting
from jobraker_core.moderation.model import (
    Decision,
    Fingerprint,
    FlagQuery,
    FlagRule,
    FlagStatus,
    JobFlag,
    LinkStatus,
)
from jobraker_core.moderation.ports import PlatformCounts, QueueDepth
from jobraker_core.pagination import Page, PageRequest

if TYPE_CHECKING:
    from jobraker_adapters.memory.queue import InMemoryTaskQueue
    from jobraker_adapters.memory.uow import InMemoryStore


@attrs.define
class ModerationTables:
    """Stored fingerprints, flags and decisions."""

    fingerprints: dict[uuid.UUID, Fingerprint] = attrs.field(factory=dict)
    flags: dict[uuid.UUID, JobFlag] = attrs.field(factory=dict)
    decisions: dict[tuple[FlagRule, str], Decision] = attrs.field(factory=dict)

    def copy(self) -> ModerationTables:
        """A copy whose dictionaries can change without touching these."""
        return ModerationTables(dict(self.fingerprints), dict(self.flags), dict(self.decisions))


_OUTCOMES = ("fetched", "new", "updated", "duplicate", "rejected")
JobsView = Callable[[], Mapping[uuid.UUID, JobPosting]]


@attrs.define
class InMemoryModerationRepository:
    """``ModerationRepository`` over ``ModerationTables`` and the unit's view of the jobs."""

    tables: ModerationTables
    jobs: JobsView

    def job_keys_seen_since(self, since: datetime, limit: int) -> Sequence[str]:
        """Keys of jobs last seen at or after ``since``, oldest sighting first."""
        seen = [job for job in self.jobs().values() if job.last_seen >= since]
        seen.sort(key=lambda job: (job.last_seen, str(job.id)))
        return [job.key for job in seen[:limit]]

    def save_fingerprint(self, fingerprint: Fingerprint) -> None:
        """Insert or replace the fingerprint of its job."""
        self.tables.fingerprints[fingerprint.job_id] = fingerprint

    def fingerprints(self, job_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Fingerprint]:
        """The stored fingerprints of these jobs."""
        return {i: self.tables.fingerprints[i] for i in job_ids if i in self.tables.fingerprints}

    def fingerprints_titled(self, title_key: str, limit: int) -> Sequence[Fingerprint]:
        """Fingerprints with this title key, most recently first seen first."""
        found = [fp for fp in self.tables.fingerprints.values() if fp.title_key == title_key]
        found.sort(key=lambda fp: (fp.first_seen, str(fp.job_id)), reverse=True)
        return found[:limit]

    def flags_of(self, job_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[JobFlag]]:
        """The flags of these jobs, by job id."""
        wanted = set(job_ids)
        found: dict[uuid.UUID, list[JobFlag]] = {}
        for flag in sorted(self.tables.flags.values(), key=lambda f: (f.raised_at, str(f.id))):
            if flag.job_id in wanted:
                found.setdefault(flag.job_id, []).append(flag)
        return found

    def save_flag(self, flag: JobFlag) -> None:
        """Insert or replace a flag; the (job, rule) pair keeps its first flag's id."""
        for other in self.tables.flags.values():
            if (other.job_id, other.rule) == (flag.job_id, flag.rule) and other.id != flag.id:
                raise Conflict(f"job {flag.job_id} already has a {flag.rule.value} flag")
        self.tables.flags[flag.id] = flag

    def get_flag(self, flag_id: uuid.UUID) -> JobFlag:
        """The flag with this id."""
        try:
            return self.tables.flags[flag_id]
        except KeyError:
            raise NotFound(f"no flag {flag_id}") from None

    def list_flags(self, query: FlagQuery, page: PageRequest) -> Page[JobFlag]:
        """The flags passing ``query``, newest first."""
        found = [f for f in self.tables.flags.values() if query.matches(f)]
        found.sort(key=lambda f: (f.raised_at, str(f.id)), reverse=True)
        return Page(tuple(found[page.offset : page.offset + page.per_page]), len(found), page)

    def open_flags_of_company(self, rule: FlagRule, company_key: str) -> Sequence[JobFlag]:
        """The open flags of one rule on jobs of one company."""
        return [
            f
            for f in self.tables.flags.values()
            if f.rule is rule and f.company_key == company_key and f.status is FlagStatus.OPEN
        ]

    def decisions_for(self, company_keys: Collection[str]) -> dict[str, list[Decision]]:
        """The decisions about these companies."""
        wanted = set(company_keys)
        found: dict[str, list[Decision]] = {}
        for (_, company), decision in sorted(self.tables.decisions.items()):
            if company in wanted:
                found.setdefault(company, []).append(decision)
        return found

    def save_decision(self, decision: Decision) -> None:
        """Insert or replace the decision for its rule and company."""
        self.tables.decisions[(decision.rule, decision.company_key)] = decision


class InMemoryModerationSession(TableSession[ModerationTables]):
    """One unit of work's view of the moderation tables: a copy, published on commit."""

    def __init__(self, committed: ModerationTables | None, jobs: JobsView) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        super().__init__(committed or ModerationTables())
        self.moderation = InMemoryModerationRepository(self.tables, jobs)

    def check(self, store: ModerationTables) -> None:
        """Raise ``Conflict`` if another unit stored a flag for the same (job, rule) meanwhile."""
        for flag_id, flag in self.tables.flags.items():
            if flag_id in self._before.flags:
                continue
            for other in store.flags.values():
                if (other.job_id, other.rule) == (flag.job_id, flag.rule) and other.id != flag_id:
                    raise Conflict(
                        f"a {flag.rule.value} flag on {flag.job_id} was stored meanwhile"
                    )


@attrs.define
class InMemoryPlatformStatistics:
    """``PlatformStatistics`` over the in-memory store."""

    store: InMemoryStore

    def counts(self, active_since: datetime) -> PlatformCounts:
        """Users, active users, jobs by source and applications by status, as committed."""
        with self.store.lock:
            users = list(self.store.users.values())
            jobs = list(self.store.jobs.values())
            applications = list(self.store.applications.applications.values())
        return PlatformCounts(
            users=len(users),
            active_users=sum(
                1 for u in users if u.last_login_at is not None and u.last_login_at >= active_since
            ),
            jobs_by_source=dict(sorted(Counter(job.source for job in jobs).items())),
            applications_by_status=dict(
                sorted(Counter(a.status.value for a in applications).items())
            ),
        )

    def ingestion_totals(self) -> Sequence[tuple[str, str, int, Mapping[str, int]]]:
        """(source kind, status, runs, summed counts) over every stored run."""
        with self.store.lock:
            runs = list(self.store.ingestions.values())
        grouped: dict[tuple[str, str], list[int]] = {}
        for run in runs:
            sums = grouped.setdefault((run.source.kind, run.status.value), [0] * 6)
            counts = run.counts
            for index, value in enumerate(
                (1, counts.fetched, counts.new, counts.updated, counts.duplicate, counts.rejected)
            ):
                sums[index] += value
        return [
            (kind, status, sums[0], dict(zip(_OUTCOMES, sums[1:], strict=True)))
            for (kind, status), sums in sorted(grouped.items())
        ]


@attrs.define
class InMemoryQueueMonitor:
    """``QueueMonitor`` over the in-memory task queue: everything it holds counts as queued."""

    queue: InMemoryTaskQueue
    name: str = "jobraker"

    def depths(self) -> Sequence[QueueDepth]:
        """The one queue's depth."""
        return [QueueDepth(self.name, len(self.queue.tasks), 0, 0, 0)]


@attrs.define
class InMemoryLinkChecker:
    """A ``LinkChecker`` answering from ``dead`` (URL -> status code); records every check."""

    dead: dict[str, int] = attrs.field(factory=dict)
    checked: list[str] = attrs.field(factory=list)

    def check(self, url: str) -> LinkStatus:
        """Dead when the URL is in ``dead``, else alive."""
        self.checked.append(url)
        code = self.dead.get(url)
        if code is None:
            return LinkStatus(url, dead=False, status_code=200)
        return LinkStatus(url, dead=True, status_code=code, reason=f"HTTP {code}")
