"""Builders for the applications tests: a person ready to apply, jobs with apply URLs, a submitter.

``ScriptedSubmitter`` is a working fake of the ``ApplicationSubmitter`` port: it keeps its runs
by attempt, advances them when asked, and can be told to fail in the ways the vendor fails
(unreachable, refusing, blocked, uncertain about attempts). It records every call.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import attrs

from account_builders import make_user
from jobraker_core.accounts.profile import Profile
from jobraker_core.applications.submission import (
    AttemptLookup,
    BlockSignal,
    RunReport,
    RunState,
    SubmissionRequest,
)
from jobraker_core.errors import NotFound, UpstreamRejected, UpstreamUnavailable
from jobraker_core.jobs.model import JobDraft, JobPosting, Location
from jobraker_core.matching.resume import Resume
from profile_builders import full_changes

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
RESUME_TEXT = (
    "Ada Lovelace\nPython developer\nExperience\nEngineer, Acme 2018-2025\nSkills: Python, SQL"
)


def make_job(
    *,
    title: str = "Python Developer",
    company: str | None = "Acme",
    apply_url: str | None = "https://jobs.acme.example/apply/1",
    country: str = "GB",
    city: str = "London",
    source: str = "feed",
    seen: datetime = T0,
) -> JobPosting:
    """A posting with an apply URL, keyed canonically (same title/company/place: same key)."""
    draft = JobDraft(
        source=source,
        source_id=uuid.uuid4().hex,
        title=title,
        description="Build Python services with SQL.",
        company=company,
        location=Location(city=city, country_code=country),
        url=apply_url,
        apply_url=apply_url,
    )
    return JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=seen)


def make_resume(user_id: uuid.UUID, version: int = 1, text: str = RESUME_TEXT) -> Resume:
    """A stored résumé version of ``user_id``."""
    return Resume(
        id=uuid.uuid4(),
        user_id=user_id,
        version=version,
        filename=f"cv-{version}.txt",
        media_type="text/plain",
        size=len(text),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        text=text,
        uploaded_at=T0,
    )


@attrs.frozen
class Person:
    """A stored person ready to apply: their id, their résumé, and a stored job."""

    user_id: uuid.UUID
    resume: Resume
    job: JobPosting


def make_person(
    uow_factory: UnitOfWorkFactory,
    *,
    profile: Profile | None = None,
    job: JobPosting | None = None,
    with_resume: bool = True,
) -> Person:
    """Store a user with a full profile (authorized in GB, no sponsorship), a résumé and a job."""
    user = make_user()
    resume = make_resume(user.id)
    posting = job or make_job()
    with uow_factory() as uow:
        uow.users.add(user)
        uow.profiles.save(profile or Profile.empty(user.id).changed(full_changes(), T0))
        if with_resume:
            uow.resumes.add(resume)
        if uow.jobs.by_keys([posting.key]) == {}:
            uow.jobs.save([posting])
        uow.commit()
    return Person(user.id, resume, posting)


def store_job(uow_factory: UnitOfWorkFactory, job: JobPosting) -> JobPosting:
    """Store ``job``."""
    with uow_factory() as uow:
        uow.jobs.save([job])
        uow.commit()
    return job


@attrs.define
class ScriptedSubmitter:
    """A working fake submitter: runs kept by attempt; behaviour set by the test.

    ``outcome`` is the state a new run reports (``completed`` by default, ``queued`` for a run
    that settles later through ``finish``); ``confirmation`` the evidence a completed run shows.
    ``fail_submit`` raises that error from ``submit`` (after creating the run when
    ``fail_after_start``: the vendor started it but we never heard back). ``certain`` is what
    ``find`` says about unknown attempts.
    """

    name: str = "scripted"
    outcome: RunState = RunState.COMPLETED
    confirmation: str | None = "CONF-123"
    blocked_by: BlockSignal | None = None
    steps: int = 7
    dry_run: bool = False
    fail_submit: Exception | None = None
    fail_after_start: bool = False
    certain: bool = True
    runs: dict[uuid.UUID, RunReport] = attrs.field(factory=dict)
    submitted: list[SubmissionRequest] = attrs.field(factory=list)
    cancelled: list[str] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock, eq=False, repr=False)

    def submit(self, request: SubmissionRequest) -> RunReport:
        """Start (or return) the run of ``request.attempt_id``."""
        with self.lock:
            self.submitted.append(request)
            if self.fail_submit is not None and not self.fail_after_start:
                raise self.fail_submit
            known = self.runs.get(request.attempt_id)
            if known is None:
                known = self._report(f"run_{request.attempt_id.hex[:12]}", self.outcome)
                self.runs[request.attempt_id] = known
            if self.fail_submit is not None:
                raise self.fail_submit
            return known

    def _report(self, run_id: str, state: RunState) -> RunReport:
        done = state is RunState.COMPLETED
        return RunReport(
            run_id=run_id,
            state=state,
            dry_run=self.dry_run,
            confirmation=self.confirmation if done else None,
            failure_reason="blocked"
            if self.blocked_by
            else ("run failed" if state.terminal and not done else None),
            blocked_by=self.blocked_by,
            steps=self.steps if state.terminal else None,
            sent={"cover_letter": "..."},
        )

    def finish(self, run_id: str, state: RunState = RunState.COMPLETED) -> RunReport:
        """Move run ``run_id`` to ``state`` and return its report."""
        with self.lock:
            for attempt, report in self.runs.items():
                if report.run_id == run_id:
                    self.runs[attempt] = self._report(run_id, state)
                    return self.runs[attempt]
        raise NotFound(run_id)

    def status(self, run_id: str) -> RunReport:
        """The run's report."""
        for report in self.runs.values():
            if report.run_id == run_id:
                return report
        raise NotFound(run_id)

    def cancel(self, run_id: str) -> None:
        """Record the cancellation."""
        self.status(run_id)
        self.cancelled.append(run_id)

    def find(self, attempt_id: uuid.UUID) -> AttemptLookup:
        """The run of ``attempt_id``; certain only if set so (or when found)."""
        report = self.runs.get(attempt_id)
        return AttemptLookup(report=report, certain=report is not None or self.certain)


__all__ = [
    "T0",
    "Person",
    "ScriptedSubmitter",
    "UpstreamRejected",
    "UpstreamUnavailable",
    "make_job",
    "make_person",
    "make_resume",
    "store_job",
]
