"""Ports the moderation use cases need; ``jobraker_adapters.memory`` has fakes of each."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from jobraker_core.moderation.model import (
    Decision,
    Fingerprint,
    FlagQuery,
    FlagRule,
    JobFlag,
    LinkStatus,
)
from jobraker_core.pagination import Page, PageRequest


class ModerationRepository(Protocol):
    """Stores fingerprints, flags (one per job and rule) and review decisions.

    Rows of a deleted job go with it. ``get_flag`` raises ``NotFound``. ``list_flags`` returns the
    newest first.
    """

    def job_keys_seen_since(self, since: datetime, limit: int) -> Sequence[str]:
        """The canonical keys of jobs last seen at or after ``since``, oldest sighting first."""
        ...

    def save_fingerprint(self, fingerprint: Fingerprint) -> None:
        """Insert or replace the fingerprint of its job."""
        ...

    def fingerprints(self, job_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Fingerprint]:
        """The stored fingerprints of these jobs, by job id."""
        ...

    def fingerprints_titled(self, title_key: str, limit: int) -> Sequence[Fingerprint]:
        """Up to ``limit`` fingerprints with this title key, most recently first seen first."""
        ...

    def flags_of(self, job_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[JobFlag]]:
        """The flags of these jobs, by job id (jobs without flags are left out)."""
        ...

    def save_flag(self, flag: JobFlag) -> None:
        """Insert or replace a flag (one per job and rule)."""
        ...

    def get_flag(self, flag_id: uuid.UUID) -> JobFlag:
        """The flag with this id."""
        ...

    def list_flags(self, query: FlagQuery, page: PageRequest) -> Page[JobFlag]:
        """The flags passing ``query``, newest first, one page."""
        ...

    def open_flags_of_company(self, rule: FlagRule, company_key: str) -> Sequence[JobFlag]:
        """The open flags of one rule on jobs of one company."""
        ...

    def decisions_for(self, company_keys: Collection[str]) -> dict[str, list[Decision]]:
        """The decisions about these companies, by company key."""
        ...

    def save_decision(self, decision: Decision) -> None:
        """Insert or replace the decision for its rule and company."""
        ...


class LinkChecker(Protocol):
    """Checks whether a job's apply link still answers.

    ``check`` never raises for the link's own failures: a link proven gone (404, 410, a host
    that does not exist) is ``dead``; a timeout or a 5xx is not proof; a target that is not a
    public address is ``refused`` without being contacted (also after a redirect).
    """

    def check(self, url: str) -> LinkStatus:
        """Check one link."""
        ...


@attrs.frozen
class QueueDepth:
    """How many tasks one queue holds in each state."""

    queue: str
    queued: int
    started: int
    scheduled: int
    failed: int


class QueueMonitor(Protocol):
    """Reads the depth of the task queues; ``UpstreamUnavailable`` when the queue is down."""

    def depths(self) -> Sequence[QueueDepth]:
        """One entry per queue."""
        ...


@attrs.frozen
class PlatformCounts:
    """Counts over the whole platform at one moment."""

    users: int
    active_users: int
    jobs_by_source: Mapping[str, int]
    applications_by_status: Mapping[str, int] | None


class PlatformStatistics(Protocol):
    """Counts users, jobs and applications (``None`` for applications when there are none yet).

    ``UpstreamUnavailable`` when storage is down.
    """

    def counts(self, active_since: datetime) -> PlatformCounts:
        """Users (active: signed in since ``active_since``), jobs by source, applications."""
        ...
