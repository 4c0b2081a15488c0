"""Moderation use cases: flag jobs after ingestion, check apply links, work the review queue."""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final, TypeVar

import attrs

from jobraker_core.accounts.audit import AppendAuditEvent, require_admin
from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.model import AuditKind
from jobraker_core.clock import Clock
from jobraker_core.errors import InvalidInput, NotFound
from jobraker_core.jobs.model import JobPosting
from jobraker_core.moderation.model import (
    Action,
    Decision,
    Finding,
    FlagQuery,
    FlagRule,
    FlagStatus,
    JobFlag,
    Policy,
    Verdict,
    Visibility,
)
from jobraker_core.moderation.ports import LinkChecker, ModerationRepository
from jobraker_core.moderation.rules import evaluate, fingerprint, peers_of
from jobraker_core.pagination import Page, PageRequest
from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

MODERATE_TASK: Final = "jobraker_workers.moderation_tasks.moderate_ingestion"
SCAN_BATCH: Final = 200
MAX_SCAN: Final = 20_000
PEER_LIMIT: Final = 500
LINK_RECHECK: Final = timedelta(days=7)
MAX_LINK_CHECKS: Final = 200


def visibility_of(
    moderation: ModerationRepository, job_ids: Sequence[uuid.UUID], policy: Policy
) -> dict[uuid.UUID, Visibility]:
    """Each flagged job's standing under ``policy`` (unflagged jobs are left out)."""
    flags = moderation.flags_of(job_ids)
    return {job_id: policy.visibility(found) for job_id, found in flags.items()}


_T = TypeVar("_T")


def apply_policy(
    items: Iterable[_T], standing: Mapping[uuid.UUID, Visibility], key: Callable[[_T], uuid.UUID]
) -> list[_T]:
    """Drop the hidden items and move the demoted ones after the rest, keeping each order."""
    shown: list[_T] = []
    demoted: list[_T] = []
    for item in items:
        action = standing.get(key(item), Action.NONE)
        if action is Action.HIDE:
            continue
        (demoted if action is Action.DEMOTE else shown).append(item)
    return shown + demoted


def _store_findings(
    moderation: ModerationRepository,
    job: JobPosting,
    company_key: str,
    findings: Sequence[Finding],
    existing: Sequence[JobFlag],
    *,
    at: datetime,
) -> list[JobFlag]:
    """Raise new flags and refresh known ones; return the flags raised for the first time."""
    known = {flag.rule: flag for flag in existing}
    raised: list[JobFlag] = []
    for finding in findings:
        flag = known.get(finding.rule)
        if flag is None:
            fresh = JobFlag.raise_(job.id, company_key, finding, at=at)
            if finding.rule is FlagRule.BLOCKED_COMPANY:  # confirmed already: flagged on sight
                fresh = attrs.evolve(fresh, status=FlagStatus.CONFIRMED, reviewed_at=at)
            moderation.save_flag(fresh)
            raised.append(fresh)
        elif (refreshed := flag.refresh(finding, at=at)) is not flag:
            moderation.save_flag(refreshed)
    return raised


@attrs.frozen
class ModerationReport:
    """What a moderation pass did: jobs looked at, flags raised per rule."""

    scanned: int = 0
    raised: tuple[tuple[str, int], ...] = ()

    @property
    def flagged(self) -> int:
        """How many flags were raised in all."""
        return sum(count for _, count in self.raised)


@attrs.frozen
class ModerateSince:
    """Command: run the flag rules on every job seen at or after ``since``."""

    since: datetime
    limit: int = MAX_SCAN


class ModerateJobs:
    """Runs the flag rules on recently seen jobs and stores the flags, batch by batch.

    Each job's fingerprint is stored first, so jobs of the same batch see each other. When a job
    turns out to be mass-posted, its same-company near-duplicates are looked at again in the same
    pass (they were flagged before the cluster was big enough). Known flags keep their review.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: ModerateSince) -> ModerationReport:
        """Moderate the jobs and return the report."""
        with self._uow() as uow:
            keys = list(uow.moderation.job_keys_seen_since(command.since, command.limit))
        raised: Counter[str] = Counter()
        scanned = 0
        for start in range(0, len(keys), SCAN_BATCH):
            with self._uow() as uow:
                jobs = list(uow.jobs.by_keys(keys[start : start + SCAN_BATCH]).values())
                scanned += self._moderate(uow, jobs, raised)
                uow.commit()
        return ModerationReport(scanned, tuple(sorted(raised.items())))

    def _moderate(self, uow: UnitOfWork, jobs: list[JobPosting], raised: Counter[str]) -> int:
        now = self._clock.now()
        moderation = uow.moderation
        known = moderation.fingerprints([job.id for job in jobs])
        for job in jobs:
            checked = known[job.id].link_checked_at if job.id in known else None
            moderation.save_fingerprint(fingerprint(job, link_checked_at=checked))
        queue = list(jobs)
        done: set[uuid.UUID] = set()
        while queue:
            job = queue.pop(0)
            if job.id in done:
                continue
            done.add(job.id)
            own = fingerprint(job)
            peers = peers_of(moderation.fingerprints_titled(own.title_key, PEER_LIMIT), job.id)
            decisions = moderation.decisions_for([own.company_key]).get(own.company_key, [])
            findings = evaluate(job, own, peers, decisions)
            existing = moderation.flags_of([job.id]).get(job.id, [])
            if any(flag.status is FlagStatus.CONFIRMED for flag in existing):
                # already hidden for a confirmed reason: a blocked-company flag adds nothing
                findings = [f for f in findings if f.rule is not FlagRule.BLOCKED_COMPANY]
            for flag in _store_findings(
                moderation, job, own.company_key, findings, existing, at=now
            ):
                raised[flag.rule.value] += 1
            if any(f.rule is FlagRule.MASS_POSTING for f in findings):
                again = [p.job_id for p in peers if p.company_key == own.company_key]
                for other in again:
                    if other not in done:
                        try:
                            queue.append(uow.jobs.get(other))
                        except NotFound:
                            continue
        return len(done)


@attrs.frozen
class CheckLinks:
    """Command: check the apply links of jobs seen since ``since`` (not checked lately)."""

    since: datetime
    limit: int = MAX_LINK_CHECKS


class CheckApplyLinks:
    """Checks apply links and flags the dead ones (``dead_link``), at most ``limit`` a pass.

    A link is checked again after ``LINK_RECHECK``. The checks happen outside any transaction.
    """

    def __init__(self, uow: UnitOfWorkFactory, checker: LinkChecker, clock: Clock) -> None:
        self._uow = uow
        self._checker = checker
        self._clock = clock

    def __call__(self, command: CheckLinks) -> int:
        """Check the links; return how many were found dead."""
        now = self._clock.now()
        with self._uow() as uow:
            keys = list(uow.moderation.job_keys_seen_since(command.since, MAX_SCAN))
            jobs = list(uow.jobs.by_keys(keys).values())
            prints = uow.moderation.fingerprints([job.id for job in jobs])
        due = [
            job
            for job in jobs
            if job.apply_url
            and (
                job.id not in prints
                or prints[job.id].link_checked_at is None
                or now - prints[job.id].link_checked_at > LINK_RECHECK  # type: ignore[operator]
            )
        ][: command.limit]
        dead = 0
        for job in due:
            status = self._checker.check(job.apply_url or "")
            with self._uow() as uow:
                own = fingerprint(job, link_checked_at=now)
                uow.moderation.save_fingerprint(own)
                decisions = uow.moderation.decisions_for([own.company_key]).get(own.company_key, [])
                allowed = any(
                    d.rule is FlagRule.DEAD_LINK and d.verdict is Verdict.ALLOW for d in decisions
                )
                if status.dead and not allowed:
                    dead += 1
                    finding = Finding.of(
                        FlagRule.DEAD_LINK,
                        url=status.url,
                        status_code=status.status_code if status.status_code is not None else "",
                        reason=status.reason or "",
                        checked_at=now.isoformat(),
                    )
                    existing = uow.moderation.flags_of([job.id]).get(job.id, [])
                    _store_findings(
                        uow.moderation, job, own.company_key, [finding], existing, at=now
                    )
                uow.commit()
        return dead


@attrs.frozen
class FlaggedJob:
    """A flag with the job it is on (``None`` if the job is gone)."""

    flag: JobFlag
    job: JobPosting | None


class ListFlags:
    """The moderation queue: flags passing the filters, newest first, with their jobs."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(
        self, principal: Principal, query: FlagQuery, page: PageRequest
    ) -> Page[FlaggedJob]:
        """Return one page (admins only)."""
        require_admin(principal)
        with self._uow() as uow:
            found = uow.moderation.list_flags(query, page)
            items = []
            for flag in found.items:
                try:
                    job: JobPosting | None = uow.jobs.get(flag.job_id)
                except NotFound:
                    job = None
                items.append(FlaggedJob(flag, job))
        return Page(tuple(items), found.total, found.request)


class ReviewChoice(enum.StrEnum):
    """An admin's word on a flag."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"


@attrs.frozen
class ReviewFlagCommand:
    """Command: confirm or dismiss flag ``flag_id`` (with an optional note)."""

    flag_id: uuid.UUID
    choice: ReviewChoice
    note: str | None = None
    ip: str | None = None


class ReviewFlag:
    """Confirms or dismisses a flag, feeds the decision back into the rules, and audits it.

    Dismissing a flag on a job with a known company allows that rule for that company from now
    on (and dismisses its other open flags of that rule). Confirming a scam flag blocks the
    company: its jobs get a confirmed ``blocked_company`` flag on sight. ``NotFound`` for an
    unknown flag; ``Conflict`` when it was already reviewed the other way.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, audit: AppendAuditEvent) -> None:
        self._uow = uow
        self._clock = clock
        self._audit = audit

    def __call__(self, principal: Principal, command: ReviewFlagCommand) -> JobFlag:
        """Record the review and return the flag."""
        require_admin(principal)
        now = self._clock.now()
        status = (
            FlagStatus.CONFIRMED if command.choice is ReviewChoice.CONFIRM else FlagStatus.DISMISSED
        )
        note = command.note.strip() if command.note else None
        with self._uow() as uow:
            flag = uow.moderation.get_flag(command.flag_id)
            reviewed = flag.review(status, at=now, note=note or None)
            uow.moderation.save_flag(reviewed)
            verdict = self._verdict(flag, status)
            if verdict is not None:
                uow.moderation.save_decision(
                    Decision(flag.rule, flag.company_key, verdict, now, flag.id)
                )
            if verdict is Verdict.ALLOW:
                for other in uow.moderation.open_flags_of_company(flag.rule, flag.company_key):
                    if other.id != flag.id:
                        uow.moderation.save_flag(other.review(FlagStatus.DISMISSED, at=now))
            self._audit(
                uow.audit,
                AuditKind.JOB_FLAG_CONFIRMED
                if status is FlagStatus.CONFIRMED
                else AuditKind.JOB_FLAG_DISMISSED,
                actor_id=principal.user_id,
                ip=command.ip,
                details={
                    "flag_id": str(flag.id),
                    "job_id": str(flag.job_id),
                    "rule": flag.rule.value,
                    "company": flag.company_key,
                    "decision": verdict.value if verdict is not None else "none",
                },
            )
            uow.commit()
        return reviewed

    @staticmethod
    def _verdict(flag: JobFlag, status: FlagStatus) -> Verdict | None:
        if not flag.company_key:
            return None
        if status is FlagStatus.DISMISSED:
            return Verdict.ALLOW
        if flag.rule.is_scam:
            return Verdict.BLOCK
        return None


def parse_choice(raw: str) -> ReviewChoice:
    """Read ``confirm`` or ``dismiss``; ``InvalidInput`` otherwise."""
    try:
        return ReviewChoice(raw)
    except ValueError:
        raise InvalidInput("decision must be confirm or dismiss", field="decision") from None
