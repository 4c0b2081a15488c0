"""Submitting applications and settling their runs (worker tasks, the webhook, the reconciler).

See ``jobraker_core.applications.use_cases`` for the layers of "never twice" these take part in.
"""

from __future__ import annotations

import contextlib
import enum
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.accounts.model import AuditKind
from jobraker_core.applications.limits import DAY, site_of
from jobraker_core.applications.model import Actor, Application, InvalidTransition, Status, run_rank
from jobraker_core.applications.submission import (
    ApplicationSubmitter,
    RunReport,
    RunState,
    RunWebhook,
    ScreeningAnswer,
    SubmissionNotStarted,
    SubmissionRequest,
)
from jobraker_core.applications.use_cases import (
    SUBMIT_TASK,
    RelayTasks,
    kick,
    notify,
    notify_status,
    queue_task,
    retry_on_conflict,
    store,
)
from jobraker_core.errors import (
    ConfigurationError,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
    UpstreamError,
    UpstreamRejected,
)
from jobraker_core.jobs.model import company_words
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.spending import application_subject
from jobraker_core.usage import UsageEntry, UsageKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jobraker_core.accounts.audit import AppendAuditEvent
    from jobraker_core.applications.model import Run
    from jobraker_core.clock import Clock
    from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

STALE_AFTER: Final = timedelta(minutes=5)
ORPHAN_AFTER: Final = timedelta(minutes=10)
NOT_STARTED_WAIT: Final = timedelta(minutes=5)
"""How long a submission that never reached the submitter waits before it is tried again."""


class Outcome(enum.StrEnum):
    """What a submit, record or reconcile step did."""

    CLAIMED = "claimed"
    DEFERRED = "deferred"
    SKIPPED = "skipped"
    RECORDED = "recorded"
    IGNORED = "ignored"
    REVIEW = "needs_review"
    FAILED = "failed"


def submission_request(
    app: Application, webhook_url: str | None, max_steps: int
) -> SubmissionRequest:
    """What the submitter is given for ``app``'s current attempt (its approved packet)."""
    packet, run = app.packet, app.run
    if packet is None or run is None or app.packet_hash_approved is None or not app.job.apply_url:
        raise InvalidTransition("the application has no approved packet and attempt")
    return SubmissionRequest(
        attempt_id=run.attempt_id,
        application_id=app.id,
        apply_url=app.job.apply_url,
        job_title=app.job.title,
        company=app.job.company or "",
        applicant=packet.applicant,
        resume_text=packet.resume_text,
        resume_filename=packet.resume_filename,
        cover_letter=packet.cover_letter,
        answers=tuple(ScreeningAnswer(a.question, a.answer) for a in packet.answers),
        packet_hash=app.packet_hash_approved,
        webhook_url=webhook_url,
        max_steps=max_steps,
    )


@attrs.frozen
class Recorded:
    """What ``RecordRunReport`` did: ``outcome``, and whether the run must be cancelled."""

    outcome: Outcome
    cancel_run: str | None = None
    application: Application | None = None


_REPORTABLE: Final = frozenset(
    {Status.SUBMITTING, Status.NEEDS_REVIEW, Status.SUBMITTED_UNVERIFIED}
)


class RecordRunReport:
    """Applies a run report to its application, idempotently and monotonically.

    The report is keyed on (run id, state): a state at or below the run's recorded progress
    changes nothing; a settled application (anything but ``submitting``/``needs_review``, and
    ``submitted_unverified`` waiting for evidence) is never changed by a report. A completed run
    with a confirmation makes the application ``submitted``; without one,
    ``submitted_unverified``; a failed, terminated, timed-out or cancelled run ``failed`` (with
    the reason). The first terminal report also records the run's steps in the cost ledger,
    updates the site's circuit breaker and notifies the person.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, *, step_cost_usd: Decimal = Decimal(0)
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._step_cost = step_cost_usd

    def __call__(
        self,
        report: RunReport,
        *,
        application_id: uuid.UUID | None = None,
        source: str = "submitter",
    ) -> Recorded:
        """Apply ``report`` to the application ``application_id`` (else the one of its run id)."""
        return retry_on_conflict(lambda: self._record(report, application_id, source))

    def _record(self, report: RunReport, application_id: uuid.UUID | None, source: str) -> Recorded:
        now = self._clock.now()
        with self._uow() as uow:
            if application_id is not None:
                try:
                    app: Application | None = uow.applications.by_id(
                        application_id, for_update=True
                    )
                except NotFound:
                    app = None
            else:
                app = uow.applications.by_run(report.run_id, for_update=True)
            if app is None or app.run is None:
                return Recorded(Outcome.IGNORED)
            run = app.run
            if run.run_id is not None and run.run_id != report.run_id:
                return Recorded(Outcome.IGNORED, application=app)
            if app.status not in _REPORTABLE:
                cancel = (
                    report.run_id
                    if app.status is Status.WITHDRAWN and not report.state.terminal
                    else None
                )
                return Recorded(Outcome.IGNORED, cancel_run=cancel, application=app)
            progressed = run.state is None or run_rank(report.state) > run_rank(run.state)
            settles_review = app.status is Status.NEEDS_REVIEW and report.state.terminal
            confirms = (
                app.status is Status.SUBMITTED_UNVERIFIED
                and report.state is RunState.COMPLETED
                and bool(report.confirmation)
            )
            if not (progressed or settles_review or confirms):
                return Recorded(Outcome.IGNORED, application=app)
            updated_run = attrs.evolve(
                run,
                run_id=report.run_id,
                state=report.state,
                dry_run=report.dry_run,
                confirmation=report.confirmation or run.confirmation,
                sent=tuple(sorted(report.sent.items())) or run.sent,
            )
            data = {"run_id": report.run_id, "state": report.state.value, "source": source}
            if not report.state.terminal:
                app = store(
                    uow,
                    app.note(
                        actor=Actor.SYSTEM,
                        at=now,
                        reason=f"run {report.state.value}",
                        data=data,
                        run=updated_run,
                    ),
                )
                uow.commit()
                return Recorded(Outcome.RECORDED, application=app)
            app = self._settle(uow, app, report, run=updated_run, data=data, now=now)
            uow.commit()
            return Recorded(Outcome.RECORDED, application=app)

    def _settle(
        self,
        uow: UnitOfWork,
        app: Application,
        report: RunReport,
        *,
        run: Run,
        data: Mapping[str, str],
        now: datetime,
    ) -> Application:
        if app.status is Status.SUBMITTED_UNVERIFIED:
            if report.state is not RunState.COMPLETED or not report.confirmation:
                return app
            target, reason = Status.SUBMITTED, "the site's confirmation arrived"
        elif report.state is RunState.COMPLETED:
            if report.confirmation:
                target, reason = Status.SUBMITTED, f"submitted; confirmation: {report.confirmation}"
            else:
                target, reason = (
                    Status.SUBMITTED_UNVERIFIED,
                    "the run completed without a confirmation",
                )
        else:
            why = report.failure_reason or (report.blocked_by.value if report.blocked_by else None)
            target, reason = Status.FAILED, f"run {report.state.value}: {why or 'no reason given'}"
        if report.dry_run:
            reason = f"{reason} (dry run: nothing was sent)"
        failure = reason if target is Status.FAILED else None
        app = store(
            uow,
            app.move(
                target,
                actor=Actor.SYSTEM,
                at=now,
                reason=reason,
                data=data,
                run=run,
                failure_reason=failure,
            ),
        )
        if report.steps:
            uow.usage.record(
                UsageEntry(
                    id=uuid.uuid4(),
                    user_id=app.user_id,
                    kind=UsageKind.AUTOMATION_STEPS,
                    quantity=report.steps,
                    cost_usd=Decimal(0) if report.dry_run else self._step_cost * report.steps,
                    subject=application_subject(app.id),
                    recorded_at=now,
                )
            )
        notify_status(uow, app, now)
        if not report.dry_run:
            self._breaker(uow, app, report, now)
        return app

    @staticmethod
    def _breaker(uow: UnitOfWork, app: Application, report: RunReport, now: datetime) -> None:
        site = site_of(app.job.apply_url)
        if not site:
            return
        breaker = uow.site_breakers.get(site, for_update=True)
        if report.state is RunState.COMPLETED:
            if breaker.failures or breaker.open_until:
                uow.site_breakers.put(breaker.succeeded(now))
            return
        if report.state is RunState.CANCELED and report.blocked_by is None:
            return
        after = breaker.failed(now, report.blocked_by)
        uow.site_breakers.put(after)
        if after.is_open(now) and not breaker.is_open(now):
            notify(
                uow,
                app,
                NotificationKind.SITE_PAUSED,
                f"site:{site}:{after.opened}",
                f"Submissions to {site} are paused",
                f"{site} refused the last attempt ({after.last_signal}); Jobraker waits until "
                f"{after.open_until:%Y-%m-%d %H:%M} UTC before trying it again.",
                now,
            )


class SubmitApplication:
    """Submits one queued application: claim, commit, then call the submitter (a worker task).

    Idempotent: an application that is not ``queued`` is skipped, except one found in
    ``submitting`` without a run (a crash between claim and submission): its attempt is looked
    up first, and if the submitter cannot tell, the application parks in ``needs_review``.
    Limits and an open site breaker defer it (``not_before`` and a delayed task). When the
    submitter proves no run started (``RateLimited``, ``SubmissionNotStarted``) the application
    goes back to ``queued`` and is tried again later (after ``retry_after``, or
    ``not_started_wait``), with no lookup and no review. Any other ``UpstreamUnavailable``
    propagates (the outcome is unknown: the task is retried, and the retry looks the attempt up);
    ``UpstreamRejected`` fails the application with the reason.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        submitter: ApplicationSubmitter,
        record: RecordRunReport,
        clock: Clock,
        *,
        webhook_url: str | None = None,
        max_steps: int = 40,
        orphan_after: timedelta = ORPHAN_AFTER,
        relay: RelayTasks | None = None,
        not_started_wait: timedelta = NOT_STARTED_WAIT,
    ) -> None:
        self._orphan = orphan_after
        self._not_started_wait = not_started_wait
        self._uow = uow
        self._submitter = submitter
        self._record = record
        self._clock = clock
        self._webhook_url = webhook_url
        self._max_steps = max_steps
        self._relay = relay

    def __call__(self, application_id: uuid.UUID) -> Outcome:
        """Do the next step for the application; return what was done."""
        app, outcome, recovering = retry_on_conflict(lambda: self._claim(application_id))
        if outcome is Outcome.DEFERRED:
            kick(self._relay)
        if app is None or outcome is not Outcome.CLAIMED:
            return outcome
        return self._submit(app, recovering=recovering)

    def _claim(  # noqa: PLR0911 - one exit per case
        self, application_id: uuid.UUID
    ) -> tuple[Application | None, Outcome, bool]:
        now = self._clock.now()
        with self._uow() as uow:
            try:
                app = uow.applications.by_id(application_id, for_update=True)
            except NotFound:
                return None, Outcome.SKIPPED, False
            if app.status is Status.SUBMITTING and app.run is not None and app.run.run_id is None:
                # claimed by another try: recover only once that try is surely dead
                orphaned = app.run.claimed_at <= now - self._orphan
                return app, (Outcome.CLAIMED if orphaned else Outcome.SKIPPED), orphaned
            if app.status is not Status.QUEUED:
                return app, Outcome.SKIPPED, False
            if not app.approval_valid:
                reason = "the approval does not match the packet"
                app = store(
                    uow,
                    app.move(Status.PENDING_APPROVAL, actor=Actor.SYSTEM, at=now, reason=reason),
                )
                uow.commit()
                return app, Outcome.SKIPPED, False
            if not app.job.apply_url:
                reason = "the job has no apply URL"
                app = store(
                    uow,
                    app.move(
                        Status.FAILED,
                        actor=Actor.SYSTEM,
                        at=now,
                        reason=reason,
                        failure_reason=reason,
                    ),
                )
                notify_status(uow, app, now)
                uow.commit()
                return app, Outcome.FAILED, False
            hold = self._hold(uow, app, now)
            if hold is not None:
                until, why = hold
                if app.not_before != until:
                    reason = f"held until {until:%Y-%m-%d %H:%M} UTC: {why}"
                    app = store(
                        uow, app.note(actor=Actor.SYSTEM, at=now, reason=reason, not_before=until)
                    )
                job_id = f"submit-{app.id}-at{int(until.timestamp())}"
                queue_task(uow, SUBMIT_TASK, str(app.id), job_id, now, not_before=until)
                uow.commit()
                return app, Outcome.DEFERRED, False
            claimed, event = app.claim(uuid.uuid4(), at=now)
            stored = uow.applications.claim(claimed)
            if stored is None:
                return app, Outcome.SKIPPED, False
            uow.applications.add_event(event)
            uow.commit()
            return stored, Outcome.CLAIMED, False

    @staticmethod
    def _hold(uow: UnitOfWork, app: Application, now: datetime) -> tuple[datetime, str] | None:
        breaker = uow.site_breakers.get(site_of(app.job.apply_url))
        if breaker.is_open(now) and breaker.open_until is not None:
            return breaker.open_until, f"{breaker.site} is paused ({breaker.last_signal})"
        settings = uow.application_settings.get(app.user_id, for_update=True)
        window = max(DAY, timedelta(hours=settings.employer_spacing_hours))
        claims = [
            c
            for c in uow.applications.claims_since(app.user_id, now - window)
            if c.id != app.id and c.run is not None
        ]
        last_day = tuple(
            c.run.claimed_at for c in claims if c.run is not None and c.run.claimed_at >= now - DAY
        )
        employer = company_words(app.job.company) if app.job.company else None
        same = [
            c.run.claimed_at
            for c in claims
            if c.run is not None and employer and company_words(c.job.company) == employer
        ]
        return settings.hold_until(
            now, claims_last_day=last_day, last_to_employer=max(same, default=None)
        )

    def _submit(self, app: Application, *, recovering: bool) -> Outcome:
        run = app.run
        assert run is not None  # noqa: S101 - claimed applications have a run
        if recovering:
            lookup = self._submitter.find(run.attempt_id)
            if lookup.report is not None:
                return self._settle(app, lookup.report)
            if not lookup.certain:
                return self._review(
                    app,
                    "a submission may have started before an interruption; "
                    "check the site before retrying",
                )
        try:
            report = self._submitter.submit(
                submission_request(app, self._webhook_url, self._max_steps)
            )
        except (RateLimited, SubmissionNotStarted) as error:  # no run started: try again later
            return self._requeue(app, error)
        except (UpstreamRejected, InvalidInput, ConfigurationError) as error:
            return self._reject(app, error.message)
        return self._settle(app, report)

    def _settle(self, app: Application, report: RunReport) -> Outcome:
        recorded = self._record(report, application_id=app.id)
        if recorded.cancel_run is not None:
            # best effort: a run that cannot be cancelled now ends on its own
            with contextlib.suppress(UpstreamError, NotFound):
                self._submitter.cancel(recorded.cancel_run)
        return recorded.outcome

    def _review(self, app: Application, reason: str) -> Outcome:
        return self._conclude(app, Status.NEEDS_REVIEW, reason, Outcome.REVIEW)

    def _conclude(self, app: Application, status: Status, reason: str, outcome: Outcome) -> Outcome:
        """Move a still-``submitting`` application to ``status`` for ``reason``, and notify."""

        def conclude() -> Outcome:
            now = self._clock.now()
            with self._uow() as uow:
                current = uow.applications.by_id(app.id, for_update=True)
                if current.status is not Status.SUBMITTING:
                    return Outcome.SKIPPED
                moved = store(
                    uow,
                    current.move(
                        status, actor=Actor.SYSTEM, at=now, reason=reason, failure_reason=reason
                    ),
                )
                notify_status(uow, moved, now)
                uow.commit()
            return outcome

        return retry_on_conflict(conclude)

    def _requeue(self, app: Application, error: RateLimited | SubmissionNotStarted) -> Outcome:
        def requeue() -> Outcome:
            now = self._clock.now()
            with self._uow() as uow:
                current = uow.applications.by_id(app.id, for_update=True)
                if current.status is not Status.SUBMITTING or current.run != app.run:
                    return Outcome.SKIPPED
                if isinstance(error, RateLimited):
                    until = now + timedelta(seconds=max(error.retry_after, 1.0))
                    reason = f"the submitter asked to wait (nothing was sent): {error.message}"
                else:
                    until = now + self._not_started_wait
                    reason = (
                        f"the submitter could not be reached (nothing was sent): {error.message}"
                    )
                store(
                    uow,
                    current.move(
                        Status.QUEUED,
                        actor=Actor.SYSTEM,
                        at=now,
                        reason=reason,
                        run=None,
                        not_before=until,
                    ),
                )
                job_id = f"submit-{app.id}-at{int(until.timestamp())}"
                queue_task(uow, SUBMIT_TASK, str(app.id), job_id, now, not_before=until)
                uow.commit()
            return Outcome.DEFERRED

        outcome = retry_on_conflict(requeue)
        kick(self._relay)
        return outcome

    def _reject(self, app: Application, message: str) -> Outcome:
        reason = f"the submitter refused the request: {message}"
        return self._conclude(app, Status.FAILED, reason, Outcome.FAILED)


class CancelApplicationRun:
    """Asks the submitter to stop the run of a withdrawn application (a worker task)."""

    def __init__(self, uow: UnitOfWorkFactory, submitter: ApplicationSubmitter) -> None:
        self._uow = uow
        self._submitter = submitter

    def __call__(self, application_id: uuid.UUID) -> bool:
        """Cancel the run if the application is withdrawn and has one; return whether it asked."""
        with self._uow() as uow:
            try:
                app = uow.applications.by_id(application_id)
            except NotFound:
                return False
        if app.status is not Status.WITHDRAWN or app.run is None or app.run.run_id is None:
            return False
        try:
            self._submitter.cancel(app.run.run_id)
        except NotFound:
            return False
        return True


class ReceiveRunWebhook:
    """Reads a vendor's signed run callback and applies its report.

    A bad signature is refused (``Unauthenticated``) with an audit event and no other change;
    a valid one is applied by ``RecordRunReport`` (duplicates and replays change nothing).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        webhook: RunWebhook,
        record: RecordRunReport,
        audit: AppendAuditEvent,
    ) -> None:
        self._uow = uow
        self._webhook = webhook
        self._record = record
        self._audit = audit

    def __call__(
        self, body: bytes, headers: Mapping[str, str], *, ip: str | None = None
    ) -> Recorded:
        """Verify and apply; ``Unauthenticated`` / ``InvalidInput`` when the callback is refused."""
        try:
            report = self._webhook.read(body, headers)
        except Unauthenticated:
            with self._uow() as uow:
                self._audit(
                    uow.audit,
                    AuditKind.WEBHOOK_SIGNATURE_REJECTED,
                    ip=ip,
                    details={"webhook": "skyvern"},
                )
                uow.commit()
            raise
        return self._record(report, source="webhook")


class ReconcileApplications:
    """Settles applications stuck in a non-terminal state (the minute tick runs it).

    ``submitting`` with a run unchanged for ``stale_after``: the run's status is polled and
    applied. ``submitting`` without a run for ``orphan_after`` (a worker died between claim and
    submission) and ``queued`` ones whose time has come: their submit task is queued again (the
    task itself looks the attempt up). Returns how many applications it acted on.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        submitter: ApplicationSubmitter,
        record: RecordRunReport,
        clock: Clock,
        *,
        stale_after: timedelta = STALE_AFTER,
        orphan_after: timedelta = ORPHAN_AFTER,
        limit: int = 100,
    ) -> None:
        self._uow = uow
        self._submitter = submitter
        self._record = record
        self._clock = clock
        self._stale = stale_after
        self._orphan = orphan_after
        self._limit = limit

    def __call__(self) -> int:
        """Do one pass."""
        now = self._clock.now()
        minute = int(now.timestamp() // 60)
        acted = 0
        with self._uow() as uow:
            stuck = list(
                uow.applications.stuck(
                    [Status.SUBMITTING, Status.QUEUED], before=now - self._stale, limit=self._limit
                )
            )
            polls: list[Application] = []
            for app in stuck:
                if app.status is Status.SUBMITTING and app.run is not None and app.run.run_id:
                    polls.append(app)
                    continue
                if app.status is Status.SUBMITTING and (
                    app.run is None or app.run.claimed_at > now - self._orphan
                ):
                    continue
                if app.not_before is not None and app.not_before > now:
                    continue
                acted += queue_task(
                    uow, SUBMIT_TASK, str(app.id), f"submit-{app.id}-r{minute}", now
                )
            uow.commit()
        for app in polls:
            assert app.run is not None  # noqa: S101 - filtered above
            assert app.run.run_id is not None  # noqa: S101 - filtered above
            try:
                report = self._submitter.status(app.run.run_id)
            except NotFound:
                report = RunReport(
                    run_id=app.run.run_id,
                    state=RunState.FAILED,
                    failure_reason="the submitter does not know this run",
                )
            except UpstreamError:
                continue
            if self._record(report, application_id=app.id).outcome is Outcome.RECORDED:
                acted += 1
        return acted
