"""Use cases of applications: apply, track by hand, approve, submit, settle runs, withdraw.

Never twice, in layers (``docs/adr/0011-applications-never-twice.md``):

- ``ApplyToJob`` inserts the application under the live-per-job unique constraint in the same
  transaction as its first state change;
- every task goes through the transactional ``TaskOutbox`` (``RelayTasks`` hands it to the queue
  after the commit, under a unique job id);
- ``SubmitApplication`` *claims* the application (``queued`` -> ``submitting`` with a fresh
  attempt id) and commits before calling the submitter; a second worker's claim finds nothing;
- after a crash between claim and submission (the application is found in ``submitting`` with
  no run), it asks the submitter about the attempt, and parks the application in
  ``needs_review`` when the answer is not certain;
- run reports (from the submit call, the webhook, the reconciler) are applied by
  ``RecordRunReport``, idempotently and monotonically: a run state never goes back, a settled
  application never changes again by a report.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from jobraker_core.applications.limits import ApplicationSettings, SiteBreaker
from jobraker_core.applications.model import (
    IN_FLIGHT,
    Actor,
    Application,
    ApplicationEvent,
    Contact,
    Interview,
    InvalidTransition,
    Job,
    Mode,
    Reminder,
    Status,
    Tracking,
    allowed,
)
from jobraker_core.applications.packet import (
    BankAnswer,
    Packet,
    PacketFacts,
    Provenance,
    Topic,
    build_packet,
)
from jobraker_core.applications.ports import ApplicationFilter, MatchScores, TaskMessage
from jobraker_core.applications.submission import (
    Applicant,
)
from jobraker_core.errors import (
    Conflict,
    InvalidInput,
    JobrakerError,
    NotFound,
    UpstreamUnavailable,
)
from jobraker_core.jobs.model import Location, canonical_job_key
from jobraker_core.notifications.events import NotificationEvent, NotificationKind
from jobraker_core.pagination import Page, PageRequest

if TYPE_CHECKING:
    from jobraker_core.clock import Clock
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.ports import TaskQueue, UnitOfWork, UnitOfWorkFactory

SUBMIT_TASK: Final = "jobraker_workers.application_tasks.submit_application"
CANCEL_TASK: Final = "jobraker_workers.application_tasks.cancel_application_run"
SAVE_ATTEMPTS: Final = 3

T = TypeVar("T")


# ----------------------------------------------------------------------------- helpers


def notify(  # noqa: PLR0917 - the fields of a notification
    uow: UnitOfWork,
    app: Application,
    kind: NotificationKind,
    key: str,
    title: str,
    body: str,
    at: datetime,
) -> bool:
    """Add a notification about ``app`` to the unit's outbox (once per ``key``)."""
    return uow.notifications.add(
        NotificationEvent(
            id=uuid.uuid4(),
            user_id=app.user_id,
            kind=kind,
            dedupe_key=key,
            title=title,
            body=body,
            created_at=at,
            data={"application_id": str(app.id), "status": app.status.value},
        )
    )


def _where(app: Application) -> str:
    return f"{app.job.title} at {app.job.company}" if app.job.company else app.job.title


def notify_status(uow: UnitOfWork, app: Application, at: datetime) -> None:
    """Tell the person their application moved to its current status (once per status)."""
    label = app.status.value.replace("_", " ")
    dry = " (dry run: nothing was sent)" if app.dry_run else ""
    notify(
        uow,
        app,
        NotificationKind.APPLICATION_STATUS,
        f"{app.id}:{app.status.value}",
        f"Application {label}{dry}",
        f"Your application for {_where(app)} is now {label}{dry}.",
        at,
    )


def store(uow: UnitOfWork, moved: tuple[Application, ApplicationEvent]) -> Application:
    """Save a changed application and append its event; return the stored application."""
    app, event = moved
    saved = uow.applications.save(app)
    uow.applications.add_event(event)
    return saved


def queue_task(
    uow: UnitOfWork,
    task: str,
    arg: str,
    job_id: str,
    at: datetime,
    *,
    not_before: datetime | None = None,
) -> bool:
    """Add a task to the unit's outbox (stored once per ``job_id``)."""
    return uow.task_outbox.add(
        TaskMessage(
            id=uuid.uuid4(),
            task=task,
            args=(arg,),
            job_id=job_id,
            created_at=at,
            not_before=not_before,
        )
    )


def retry_on_conflict(action: Callable[[], T]) -> T:
    """Run ``action`` again (up to ``SAVE_ATTEMPTS``) when a concurrent change made it conflict."""
    for _ in range(SAVE_ATTEMPTS - 1):
        try:
            return action()
        except InvalidTransition:
            raise
        except Conflict:
            continue
    return action()


class RelayTasks:
    """Hands the outbox's pending tasks to the queue; returns how many it relayed.

    A queue that is down stops the relay (what was relayed stays marked); the next relay (the
    minute tick) carries on. Relaying a task twice is harmless: job ids are unique in the queue,
    and every task is idempotent.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, queue: TaskQueue, clock: Clock, *, limit: int = 100
    ) -> None:
        self._uow = uow
        self._queue = queue
        self._clock = clock
        self._limit = limit

    def __call__(self) -> int:
        """Relay up to ``limit`` pending tasks."""
        relayed = 0
        with self._uow() as uow:
            now = self._clock.now()
            for message in uow.task_outbox.pending(self._limit):
                delay = (message.not_before - now).total_seconds() if message.not_before else 0.0
                try:
                    self._queue.enqueue(
                        message.task,
                        *message.args,
                        job_id=message.job_id,
                        delay_seconds=max(delay, 0.0),
                    )
                except UpstreamUnavailable:
                    break
                uow.task_outbox.mark_relayed(message.id, now)
                relayed += 1
            uow.commit()
        return relayed


def kick(relay: RelayTasks | None) -> None:
    """Relay the outbox now if possible; when the queue is down the minute tick does it."""
    if relay is None:
        return
    try:
        relay()
    except UpstreamUnavailable:
        return  # the minute tick relays it


def queue_for_submission(uow: UnitOfWork, app: Application, at: datetime) -> Application:
    """Move an approved application to ``queued`` and put its submit task in the outbox."""
    moved = app.move(Status.QUEUED, actor=Actor.SYSTEM, at=at, reason="queued for submission")
    stored = store(uow, moved)
    queue_task(uow, SUBMIT_TASK, str(app.id), f"submit-{app.id}-{moved[1].id.hex[:12]}", at)
    return stored


def _after_packet(
    uow: UnitOfWork, app: Application, settings: ApplicationSettings, at: datetime
) -> Application:
    """Move a drafted (or answered) application on: needs_user, pending approval or approved."""
    packet = app.packet
    assert packet is not None  # noqa: S101 - called only with a packet
    if packet.open_questions:
        if app.status is not Status.NEEDS_USER:
            app = store(
                uow,
                app.move(
                    Status.NEEDS_USER,
                    actor=Actor.SYSTEM,
                    at=at,
                    reason="a question only you can answer",
                ),
            )
        for question in packet.open_questions:
            notify(
                uow,
                app,
                NotificationKind.NEEDS_USER,
                f"{app.id}:q:{packet.digest()[:16]}:{question[:80]}",
                "A question only you can answer",
                f"Your application for {_where(app)} asks: {question}",
                at,
            )
        return app
    if settings.may_auto_approve(from_facts=packet.from_facts, score=app.match_score) and allowed(
        app.status, Status.APPROVED, Actor.SYSTEM
    ):
        reason = "auto-approved: every answer from your facts, score above your threshold"
        app = store(uow, app.approve(packet.digest(), actor=Actor.SYSTEM, at=at, reason=reason))
        app = queue_for_submission(uow, app, at)
        notify_status(uow, app, at)
        return app
    if app.status is not Status.PENDING_APPROVAL:
        app = store(
            uow,
            app.move(
                Status.PENDING_APPROVAL,
                actor=Actor.SYSTEM,
                at=at,
                reason="packet ready for your approval",
            ),
        )
    notify(
        uow,
        app,
        NotificationKind.APPROVAL_WAITING,
        f"{app.id}:approve:{packet.digest()[:16]}",
        "An application waits for your approval",
        f"Review and approve the packet for {_where(app)}.",
        at,
    )
    return app


def _applicant(uow: UnitOfWork, user_id: uuid.UUID) -> Applicant:
    profile = uow.profiles.get(user_id)
    user = uow.users.get(user_id)
    name = profile.name if profile is not None else None
    if not name:
        raise Conflict("add your name to your profile before applying automatically")
    email = (profile.contact.email if profile is not None else None) or user.email
    places = profile.locations if profile is not None else ()
    location = None
    if places:
        first = places[0]
        location = ", ".join(p for p in (first.city, first.region, first.country_code) if p) or None
    phone = profile.contact.phone if profile is not None else None
    return Applicant(full_name=name, email=email, phone=phone, location=location)


def _job_of(posting: JobPosting) -> Job:
    return Job(
        key=posting.key,
        title=posting.title,
        company=posting.company,
        job_id=posting.id,
        source=posting.source,
        apply_url=posting.apply_url or posting.url,
        location=posting.location.describe() or None,
    )


def _packet(  # noqa: PLR0917 - what a packet is built from
    uow: UnitOfWork,
    posting: JobPosting,
    user_id: uuid.UUID,
    resume_id: uuid.UUID | None,
    questions: Sequence[str],
    at: datetime,
) -> Packet:
    if resume_id is not None:
        resume = uow.resumes.get(user_id, resume_id)
    else:
        found = uow.resumes.list(user_id, PageRequest(1, 1)).items
        if not found:
            raise Conflict("upload a résumé before applying automatically")
        resume = found[0]
    facts = PacketFacts(
        job=posting,
        profile=uow.profiles.get(user_id),
        candidate=uow.candidates.get(user_id),
        bank=uow.application_settings.answers(user_id),
        as_of=at,
    )
    return build_packet(
        facts, resume=resume, applicant=_applicant(uow, user_id), questions=questions
    )


# ----------------------------------------------------------------------------- creating


@attrs.frozen
class ApplyCommand:
    """Apply to job ``job_id``: track it by hand (``manual``) or let Jobraker submit (``auto``).

    ``resume_id`` picks the résumé version (the latest by default); ``questions`` are extra
    screening questions of the form.
    """

    user_id: uuid.UUID
    job_id: uuid.UUID
    mode: Mode = Mode.MANUAL
    resume_id: uuid.UUID | None = None
    questions: tuple[str, ...] = ()


class ApplyToJob:
    """Starts the person's one application to a job.

    ``Conflict`` when they have a live application to the same job (by canonical key) already,
    when an automatic one lacks a résumé or their name; ``InvalidInput`` when the job has no
    apply URL for an automatic application; ``NotFound`` for an unknown job.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        scores: MatchScores | None = None,
        relay: RelayTasks | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._scores = scores
        self._relay = relay

    def __call__(self, command: ApplyCommand) -> Application:
        """Create the application (and, for ``auto``, its packet); return it as stored."""
        score = self._score(command)
        now = self._clock.now()
        with self._uow() as uow:
            posting = uow.jobs.get(command.job_id)
            existing = uow.applications.live_for_job(command.user_id, posting.key)
            if existing is not None:
                raise Conflict(f"you already have an application for this job: {existing.id}")
            job = _job_of(posting)
            if command.mode is Mode.AUTO and not job.apply_url:
                raise InvalidInput("this job has no apply URL; track it manually", field="mode")
            app, event = Application.start(
                application_id=uuid.uuid4(),
                user_id=command.user_id,
                job=job,
                mode=command.mode,
                at=now,
                match_score=score,
            )
            uow.applications.add(app)
            uow.applications.add_event(event)
            if command.mode is Mode.AUTO:
                packet = _packet(
                    uow, posting, command.user_id, command.resume_id, command.questions, now
                )
                app = store(
                    uow,
                    app.move(
                        Status.DRAFT,
                        actor=Actor.SYSTEM,
                        at=now,
                        reason="packet drafted",
                        packet=packet,
                    ),
                )
                settings = uow.application_settings.get(command.user_id)
                app = _after_packet(uow, app, settings, now)
            uow.commit()
        kick(self._relay)
        return app

    def _score(self, command: ApplyCommand) -> float | None:
        if self._scores is None:
            return None
        return self._scores.score(command.user_id, command.job_id)


@attrs.frozen
class TrackCommand:
    """Record an application made elsewhere (a job Jobraker may not know)."""

    user_id: uuid.UUID
    title: str
    company: str | None = None
    url: str | None = None
    location: str | None = None
    source: str | None = None
    status: Status = Status.SAVED
    notes: str = ""


_TRACKABLE: Final = frozenset({Status.SAVED, Status.SUBMITTED, Status.INTERVIEWING, Status.OFFER})


class TrackApplication:
    """Records a manual application; ``Conflict`` when one to the same job is live already."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: TrackCommand) -> Application:
        """Create it in ``saved``, then move it (as the person) to the status given."""
        title = command.title.strip()
        if not title or len(title) > 300:  # noqa: PLR2004
            raise InvalidInput("title must be 1-300 characters", field="title")
        if command.status not in _TRACKABLE:
            raise InvalidInput(
                "a tracked application starts saved, submitted, interviewing or offer",
                field="status",
            )
        key = canonical_job_key(
            title=title,
            company=command.company,
            location=Location(display=command.location),
            description=command.url or "",
        )
        job = Job(
            key=key,
            title=title,
            company=command.company,
            source=command.source or "manual",
            apply_url=command.url,
            location=command.location,
        )
        now = self._clock.now()
        with self._uow() as uow:
            if uow.applications.live_for_job(command.user_id, key) is not None:
                raise Conflict("you already have an application for this job")
            app, event = Application.start(
                application_id=uuid.uuid4(),
                user_id=command.user_id,
                job=job,
                mode=Mode.MANUAL,
                at=now,
                reason="tracked by hand",
            )
            app = attrs.evolve(app, tracking=Tracking(notes=command.notes))
            uow.applications.add(app)
            uow.applications.add_event(event)
            path = {
                Status.SUBMITTED: (Status.SUBMITTED,),
                Status.INTERVIEWING: (Status.SUBMITTED, Status.INTERVIEWING),
                Status.OFFER: (Status.SUBMITTED, Status.OFFER),
            }.get(command.status, ())
            for target in path:
                app = store(
                    uow, app.move(target, actor=Actor.USER, at=now, reason="recorded by hand")
                )
            uow.commit()
        return app


# ----------------------------------------------------------------------------- reading


class ListApplications:
    """One page of the person's applications, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(
        self, user_id: uuid.UUID, where: ApplicationFilter, page: PageRequest
    ) -> Page[Application]:
        """Return the page."""
        with self._uow() as uow:
            return uow.applications.list(user_id, where, page)


class GetApplication:
    """The person's application (``NotFound`` for anyone else's)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, application_id: uuid.UUID) -> Application:
        """Return it."""
        with self._uow() as uow:
            return uow.applications.get(user_id, application_id)


class ListApplicationEvents:
    """The history of the person's application, oldest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        """Return the events (``NotFound`` for another person's application)."""
        with self._uow() as uow:
            uow.applications.get(user_id, application_id)
            return uow.applications.events(user_id, application_id)


# ----------------------------------------------------------------------------- changing


@attrs.frozen
class AnswerInput:
    """An answer the person gives to a screening question of the packet."""

    question: str
    answer: str


@attrs.frozen
class UpdateCommand:
    """Changes to an application; None leaves a field as it is.

    ``replace_tracking`` (PUT) replaces notes, contacts, interviews and reminders whole, with
    None meaning empty.
    """

    user_id: uuid.UUID
    application_id: uuid.UUID
    status: Status | None = None
    reason: str | None = None
    notes: str | None = None
    contacts: tuple[Contact, ...] | None = None
    interviews: tuple[Interview, ...] | None = None
    reminders: tuple[Reminder, ...] | None = None
    cover_letter: str | None = None
    answers: tuple[AnswerInput, ...] | None = None
    resume_id: uuid.UUID | None = None
    replace_tracking: bool = False


class UpdateApplication:
    """The person edits their application: its stage, notes, and (before submission) its packet.

    A status change is a move by the person (``InvalidTransition`` when not allowed; moves into
    the automatic path, like ``approved``, have their own use cases). A packet change voids an
    approval of another packet.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, relay: RelayTasks | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._relay = relay

    def __call__(self, command: UpdateCommand) -> Application:
        """Apply the changes in one transaction; return the stored application."""
        result = retry_on_conflict(lambda: self._update(command))
        kick(self._relay)
        return result

    def _update(self, command: UpdateCommand) -> Application:
        now = self._clock.now()
        with self._uow() as uow:
            app = uow.applications.get(command.user_id, command.application_id, for_update=True)
            tracking = self._tracking(app.tracking, command)
            if tracking != app.tracking:
                app = store(
                    uow,
                    app.note(actor=Actor.USER, at=now, reason="notes updated", tracking=tracking),
                )
            packet = self._packet(uow, app, command)
            if packet is not None and packet != app.packet:
                app = store(
                    uow, app.with_packet(packet, actor=Actor.USER, at=now, reason="packet edited")
                )
                if app.status is Status.NEEDS_USER and not packet.open_questions:
                    app = _after_packet(uow, app, uow.application_settings.get(app.user_id), now)
            if command.status is not None and command.status is not app.status:
                if command.status is Status.APPROVED:
                    raise InvalidInput(
                        "approve through POST .../approve/ with the packet hash", field="status"
                    )
                if command.status is Status.WITHDRAWN:
                    raise InvalidInput("withdraw through POST .../withdraw/", field="status")
                app = store(
                    uow,
                    app.move(
                        command.status,
                        actor=Actor.USER,
                        at=now,
                        reason=command.reason or "moved by you",
                    ),
                )
                if app.status is Status.QUEUED:  # a retry after review: submit it again
                    job_id = f"submit-{app.id}-u{app.version}"
                    queue_task(uow, SUBMIT_TASK, str(app.id), job_id, now)
                notify_status(uow, app, now)
            uow.commit()
        return app

    @staticmethod
    def _tracking(current: Tracking, command: UpdateCommand) -> Tracking:
        if command.replace_tracking:
            return Tracking(
                notes=command.notes or "",
                contacts=command.contacts or (),
                interviews=command.interviews or (),
                reminders=command.reminders or (),
            ).keeping_reminders_of(current)
        changes: dict[str, object] = {}
        for name in ("notes", "contacts", "interviews", "reminders"):
            value = getattr(command, name)
            if value is not None:
                changes[name] = value
        if not changes:
            return current
        return attrs.evolve(current, **changes).keeping_reminders_of(current)  # type: ignore[arg-type]

    @staticmethod
    def _packet(uow: UnitOfWork, app: Application, command: UpdateCommand) -> Packet | None:
        if command.cover_letter is None and command.answers is None and command.resume_id is None:
            return None
        if app.packet is None:
            raise InvalidTransition("this application has no packet (it is tracked by hand)")
        packet = app.packet
        if command.cover_letter is not None:
            packet = attrs.evolve(packet, cover_letter=command.cover_letter)
        for given in command.answers or ():
            packet = packet.answered(given.question, given.answer, Provenance.ANSWER_BANK)
        if command.resume_id is not None:
            resume = uow.resumes.get(app.user_id, command.resume_id)
            packet = attrs.evolve(
                packet,
                resume_id=resume.id,
                resume_version=resume.version,
                resume_filename=resume.filename or f"resume-v{resume.version}.txt",
                resume_text=resume.text,
            )
        return packet


class AnswerQuestion:
    """The person answers a question of the packet (optionally saving it to the answer bank).

    An application in ``needs_user`` moves on once no question is open.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, relay: RelayTasks | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._relay = relay

    def __call__(
        self,
        user_id: uuid.UUID,
        application_id: uuid.UUID,
        answer: AnswerInput,
        *,
        save_to_bank: bool = True,
    ) -> Application:
        """Record the answer; return the stored application."""

        def run() -> Application:
            now = self._clock.now()
            with self._uow() as uow:
                app = uow.applications.get(user_id, application_id, for_update=True)
                if app.packet is None:
                    raise InvalidTransition(
                        "this application has no packet (it is tracked by hand)"
                    )
                packet = app.packet.answered(answer.question, answer.answer, Provenance.ANSWER_BANK)
                app = store(
                    uow,
                    app.with_packet(packet, actor=Actor.USER, at=now, reason="question answered"),
                )
                topic = packet.answers[-1].topic
                if save_to_bank and topic is not Topic.OTHER:
                    uow.application_settings.put_answer(
                        BankAnswer(user_id, topic, answer.answer, now)
                    )
                if app.status is Status.NEEDS_USER and not packet.open_questions:
                    app = _after_packet(uow, app, uow.application_settings.get(user_id), now)
                uow.commit()
            return app

        result = retry_on_conflict(run)
        kick(self._relay)
        return result


class ApproveApplication:
    """The person approves the packet with hash ``packet_hash``; it is queued for submission.

    ``Conflict`` when the packet changed since (another hash), or the state does not allow it.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, relay: RelayTasks | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._relay = relay

    def __call__(
        self, user_id: uuid.UUID, application_id: uuid.UUID, packet_hash: str
    ) -> Application:
        """Approve and queue; return the stored application."""
        now = self._clock.now()
        with self._uow() as uow:
            app = uow.applications.get(user_id, application_id, for_update=True)
            if app.mode is not Mode.AUTO:
                raise InvalidTransition("only automatic applications are approved")
            app = store(
                uow, app.approve(packet_hash, actor=Actor.USER, at=now, reason="approved by you")
            )
            app = queue_for_submission(uow, app, now)
            notify_status(uow, app, now)
            uow.commit()
        kick(self._relay)
        return app


class RejectPacket:
    """The person declines a pending packet: the application is withdrawn (nothing was sent)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(
        self, user_id: uuid.UUID, application_id: uuid.UUID, reason: str | None = None
    ) -> Application:
        """Withdraw the pending application; return it."""
        now = self._clock.now()
        with self._uow() as uow:
            app = uow.applications.get(user_id, application_id, for_update=True)
            if app.status is not Status.PENDING_APPROVAL:
                raise InvalidTransition("only a packet waiting for approval can be rejected")
            app = store(
                uow,
                app.move(
                    Status.WITHDRAWN,
                    actor=Actor.USER,
                    at=now,
                    reason=reason or "packet rejected by you",
                ),
            )
            notify_status(uow, app, now)
            uow.commit()
        return app


class WithdrawApplication:
    """The person withdraws their application; a run under way is cancelled (through a task)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, relay: RelayTasks | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._relay = relay

    def __call__(
        self, user_id: uuid.UUID, application_id: uuid.UUID, reason: str | None = None
    ) -> Application:
        """Withdraw; return the stored application."""
        now = self._clock.now()
        with self._uow() as uow:
            app = uow.applications.get(user_id, application_id, for_update=True)
            app = store(
                uow,
                app.move(
                    Status.WITHDRAWN, actor=Actor.USER, at=now, reason=reason or "withdrawn by you"
                ),
            )
            run = app.run
            if (
                run is not None
                and run.run_id is not None
                and (run.state is None or not run.state.terminal)
            ):
                queue_task(uow, CANCEL_TASK, str(app.id), f"cancel-{app.id}", now)
            notify_status(uow, app, now)
            uow.commit()
        kick(self._relay)
        return app


class DeleteApplication:
    """Deletes the person's application and its history; ``Conflict`` while a submission may run."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, application_id: uuid.UUID) -> None:
        """Delete it (``NotFound`` when it is not theirs)."""
        with self._uow() as uow:
            app = uow.applications.get(user_id, application_id, for_update=True)
            if app.status in IN_FLIGHT or app.status is Status.NEEDS_REVIEW:
                raise Conflict("a submission may be under way; withdraw the application first")
            if app.run is not None and app.live:
                raise Conflict("an application that was submitted is withdrawn, not deleted")
            uow.applications.delete(user_id, application_id)
            uow.commit()


# ----------------------------------------------------------------------------- settings


@attrs.frozen
class SettingsChanges:
    """Changes to the person's limits and auto-approval; None keeps a value."""

    per_day: int | None = None
    employer_spacing_hours: int | None = None
    quiet_hours: object = None  # QuietHours, or ``CLEAR`` to remove them
    timezone: str | None = None
    auto_approve: bool | None = None
    auto_approve_min_score: float | None = None


CLEAR: Final = object()


class GetApplicationSettings:
    """The person's limits and auto-approval choice."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID) -> ApplicationSettings:
        """Return them."""
        with self._uow() as uow:
            return uow.application_settings.get(user_id)


class UpdateApplicationSettings:
    """The person changes their limits or auto-approval."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, user_id: uuid.UUID, changes: SettingsChanges) -> ApplicationSettings:
        """Store and return the new settings."""
        with self._uow() as uow:
            current = uow.application_settings.get(user_id, for_update=True)
            given: dict[str, object] = {
                k: v for k, v in attrs.asdict(changes, recurse=False).items() if v is not None
            }
            if given.get("quiet_hours") is CLEAR:
                given["quiet_hours"] = None
            updated = attrs.evolve(current, updated_at=self._clock.now(), **given)  # type: ignore[arg-type]
            uow.application_settings.put(updated)
            uow.commit()
        return updated


class ListBankAnswers:
    """The person's answer bank."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID) -> list[BankAnswer]:
        """Return the answers, by topic."""
        with self._uow() as uow:
            answers = uow.application_settings.answers(user_id)
        return [answers[t] for t in sorted(answers)]


class PutBankAnswer:
    """The person saves their answer on a topic."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, user_id: uuid.UUID, topic: Topic, answer: str) -> BankAnswer:
        """Store and return it."""
        saved = BankAnswer(user_id, topic, answer, self._clock.now())
        with self._uow() as uow:
            uow.application_settings.put_answer(saved)
            uow.commit()
        return saved


class DeleteBankAnswer:
    """The person deletes their answer on a topic (``NotFound`` when there is none)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, topic: Topic) -> None:
        """Delete it."""
        with self._uow() as uow:
            if not uow.application_settings.delete_answer(user_id, topic):
                raise NotFound(f"no saved answer on {topic.value}")
            uow.commit()


class ListSiteBreakers:
    """The circuit breakers of sites, open ones first."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self) -> list[SiteBreaker]:
        """Return them."""
        now = self._clock.now()
        with self._uow() as uow:
            breakers = list(uow.site_breakers.all())
        return sorted(breakers, key=lambda b: (not b.is_open(now), b.site))


# ----------------------------------------------------------------------------- submitting


class ExplainedMatchScores:
    """``MatchScores`` from the matching capability (None when there is nothing to match by)."""

    def __init__(self, explain: Callable[[uuid.UUID, uuid.UUID], object]) -> None:
        self._explain = explain

    def score(self, user_id: uuid.UUID, job_id: uuid.UUID) -> float | None:
        """The job's score for the person."""
        try:
            match = self._explain(user_id, job_id)
        except JobrakerError:  # nothing to match by, or matching is down: apply without a score
            return None
        score = getattr(match, "score", None)
        return float(score) if isinstance(score, int | float) else None
