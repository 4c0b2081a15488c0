"""Application routes: apply, track by hand, approve, withdraw, limits, answer bank, analytics.

Every route needs a signed-in user and sees that user's applications only (404 for anyone
else's). Bodies refuse unknown fields (422), so ``user_id``, ``status`` on create or
``created_at`` cannot be assigned. The create routes (``POST /jobs/{id}/apply/``,
``POST /applications/``) honour ``Idempotency-Key``.

- ``POST /api/v1/jobs/{id}/apply/``: ``mode`` ``manual`` (track it) or ``auto`` (Jobraker drafts
  the packet, then waits for approval or an answer);
- ``GET|POST /api/v1/applications/``; ``GET|PUT|PATCH|DELETE /api/v1/applications/{id}/``;
- ``GET .../{id}/events/``; ``POST .../{id}/approve/`` (with the packet hash shown),
  ``.../{id}/reject/``, ``.../{id}/withdraw/``, ``.../{id}/answers/`` (a needs_user question);
- ``GET|PATCH /api/v1/applications/settings/`` (limits, quiet hours, auto-approval);
- ``GET /api/v1/applications/answers/``, ``PUT|DELETE /api/v1/applications/answers/{topic}/``;
- ``GET /api/v1/applications/sites/`` (circuit breakers); ``GET .../analytics/``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Final, Literal

import msgspec
from litestar import Router, delete, get, patch, post, put
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads the annotations at runtime
from litestar.params import JSONBody, Parameter

from jobraker_core.accounts.identity import Principal
from jobraker_core.applications.analytics import (
    ApplicationAnalytics,
    Funnel,
    GetApplicationAnalytics,
    Group,
)
from jobraker_core.applications.limits import ApplicationSettings, QuietHours, SiteBreaker
from jobraker_core.applications.model import (
    Application,
    ApplicationEvent,
    Contact,
    Interview,
    Mode,
    Reminder,
    Status,
)
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_core.applications.ports import ApplicationFilter
from jobraker_core.applications.use_cases import (
    CLEAR,
    AnswerInput,
    AnswerQuestion,
    ApplyCommand,
    ApplyToJob,
    ApproveApplication,
    DeleteApplication,
    DeleteBankAnswer,
    GetApplication,
    GetApplicationSettings,
    ListApplicationEvents,
    ListApplications,
    ListBankAnswers,
    ListSiteBreakers,
    PutBankAnswer,
    RejectPacket,
    SettingsChanges,
    TrackApplication,
    TrackCommand,
    UpdateApplication,
    UpdateApplicationSettings,
    UpdateCommand,
    WithdrawApplication,
)
from jobraker_core.errors import InvalidInput
from jobraker_core.pagination import DEFAULT_PER_PAGE
from jobraker_core.spending import GetApplicationSpending
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, ListMeta, list_meta
from jobraker_http.guards import requires_user
from jobraker_http.idempotency import IDEMPOTENT
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id
from jobraker_http.providers import container_provider
from jobraker_http.usage import SpendingOut, spending_to_wire

StatusWire = Literal[
    "saved",
    "draft",
    "needs_user",
    "pending_approval",
    "approved",
    "queued",
    "submitting",
    "submitted_unverified",
    "submitted",
    "interviewing",
    "offer",
    "accepted",
    "rejected",
    "withdrawn",
    "failed",
    "needs_review",
]
TopicWire = Literal[
    "work_authorization",
    "sponsorship",
    "years_experience",
    "salary_expectation",
    "relocation",
    "demographic",
    "notice_period",
    "motivation",
    "other",
]
AppId = Annotated[str, Parameter(description="The application's id (a UUID).")]
JobId = Annotated[str, Parameter(description="The job's id (a UUID).")]
TopicPath = Annotated[str, Parameter(description="The topic (e.g. sponsorship).")]
_Short = Annotated[str, msgspec.Meta(max_length=500)]
_Text = Annotated[str, msgspec.Meta(max_length=2_000)]
_HASH: Final = r"^[0-9a-f]{64}$"
_CLOCK: Final = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

# ----------------------------------------------------------------------------- wire: out


class JobRefOut(msgspec.Struct, kw_only=True):
    """The job an application is for (``job_id`` null for one tracked by hand)."""

    job_id: uuid.UUID | None
    title: str
    company: str | None
    source: str | None
    apply_url: str | None
    location: str | None


class ApplicantOut(msgspec.Struct, kw_only=True):
    """The person as the form will see them."""

    full_name: str
    email: str
    phone: str | None
    location: str | None


class AnswerOut(msgspec.Struct, kw_only=True):
    """A screening answer and where it came from."""

    question: str
    answer: str
    topic: TopicWire
    provenance: Literal["profile_fact", "answer_bank", "generated"]


class PacketOut(msgspec.Struct, kw_only=True):
    """Exactly what would be sent; approve it by its ``hash``."""

    hash: str
    applicant: ApplicantOut
    resume_id: uuid.UUID | None
    resume_version: int | None
    resume_filename: str
    resume_text: str
    cover_letter: str
    answers: list[AnswerOut]
    open_questions: list[str]


class RunOut(msgspec.Struct, kw_only=True):
    """The submission attempt: ``dry_run`` true means nothing was sent to the employer."""

    attempt_id: uuid.UUID
    claimed_at: datetime
    run_id: str | None
    state: str | None
    dry_run: bool
    confirmation: str | None
    sent: dict[str, str]


class ContactOut(msgspec.Struct, kw_only=True):
    """Someone at the employer."""

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class InterviewOut(msgspec.Struct, kw_only=True):
    """An interview on the calendar."""

    at: datetime
    kind: str = "interview"
    notes: str | None = None


class ReminderOut(msgspec.Struct, kw_only=True):
    """A reminder; ``notified_at`` says when the person was notified (once, when it was due)."""

    id: uuid.UUID
    at: datetime
    text: str
    notified_at: datetime | None = None


class ApplicationOut(msgspec.Struct, kw_only=True):
    """An application, its packet, its run and the person's notes."""

    id: uuid.UUID
    status: StatusWire
    mode: Literal["manual", "auto"]
    job: JobRefOut
    created_at: datetime
    updated_at: datetime
    applied_at: datetime | None
    match_score: float | None
    dry_run: bool
    approved: bool
    packet: PacketOut | None
    run: RunOut | None
    not_before: datetime | None
    failure_reason: str | None
    notes: str
    contacts: list[ContactOut]
    interviews: list[InterviewOut]
    reminders: list[ReminderOut]
    cost: SpendingOut | None = None
    """What the application has cost (automation steps, USD); only on the single application."""


def application_to_wire(app: Application) -> ApplicationOut:
    """Return the wire form of an application."""
    packet, run = app.packet, app.run
    return ApplicationOut(
        id=app.id,
        status=app.status.value,
        mode=app.mode.value,
        job=JobRefOut(
            job_id=app.job.job_id,
            title=app.job.title,
            company=app.job.company,
            source=app.job.source,
            apply_url=app.job.apply_url,
            location=app.job.location,
        ),
        created_at=app.created_at,
        updated_at=app.updated_at,
        applied_at=app.applied_at,
        match_score=app.match_score,
        dry_run=app.dry_run,
        approved=app.approval_valid,
        packet=None
        if packet is None
        else PacketOut(
            hash=packet.digest(),
            applicant=ApplicantOut(
                full_name=packet.applicant.full_name,
                email=packet.applicant.email,
                phone=packet.applicant.phone,
                location=packet.applicant.location,
            ),
            resume_id=packet.resume_id,
            resume_version=packet.resume_version,
            resume_filename=packet.resume_filename,
            resume_text=packet.resume_text,
            cover_letter=packet.cover_letter,
            answers=[
                AnswerOut(
                    question=a.question,
                    answer=a.answer,
                    topic=a.topic.value,
                    provenance=a.provenance.value,
                )
                for a in packet.answers
            ],
            open_questions=list(packet.open_questions),
        ),
        run=None
        if run is None
        else RunOut(
            attempt_id=run.attempt_id,
            claimed_at=run.claimed_at,
            run_id=run.run_id,
            state=None if run.state is None else run.state.value,
            dry_run=run.dry_run,
            confirmation=run.confirmation,
            sent=dict(run.sent),
        ),
        not_before=app.not_before,
        failure_reason=app.failure_reason,
        notes=app.tracking.notes,
        contacts=[
            ContactOut(name=c.name, role=c.role, email=c.email, phone=c.phone)
            for c in app.tracking.contacts
        ],
        interviews=[
            InterviewOut(at=i.at, kind=i.kind, notes=i.notes) for i in app.tracking.interviews
        ],
        reminders=[
            ReminderOut(id=r.id, at=r.at, text=r.text, notified_at=r.notified_at)
            for r in app.tracking.reminders
        ],
    )


class ApplicationEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one application."""

    success: Literal[True]
    data: ApplicationOut
    meta: ItemMeta


class ApplicationListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of applications."""

    success: Literal[True]
    data: list[ApplicationOut]
    meta: ListMeta


class EventOut(msgspec.Struct, kw_only=True):
    """One change to an application: who, when, from where to where, why."""

    id: uuid.UUID
    at: datetime
    actor: Literal["user", "system"]
    from_status: StatusWire | None
    to_status: StatusWire
    reason: str
    data: dict[str, str]


def event_to_wire(event: ApplicationEvent) -> EventOut:
    """Return the wire form of an event."""
    return EventOut(
        id=event.id,
        at=event.at,
        actor=event.actor.value,
        from_status=None if event.from_status is None else event.from_status.value,
        to_status=event.to_status.value,
        reason=event.reason,
        data=dict(event.data),
    )


class EventListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around an application's events."""

    success: Literal[True]
    data: list[EventOut]
    meta: ItemMeta


class QuietHoursWire(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A daily window (``HH:MM``, in ``timezone``) with no submissions; may wrap midnight."""

    start: Annotated[str, msgspec.Meta(pattern=_CLOCK, examples=["22:00"])]
    end: Annotated[str, msgspec.Meta(pattern=_CLOCK, examples=["07:00"])]


class SettingsOut(msgspec.Struct, kw_only=True):
    """The caller's limits and auto-approval choice."""

    per_day: int
    employer_spacing_hours: int
    quiet_hours: QuietHoursWire | None
    timezone: str
    auto_approve: bool
    auto_approve_min_score: float
    updated_at: datetime | None


def settings_to_wire(settings: ApplicationSettings) -> SettingsOut:
    """Return the wire form of settings."""
    quiet = settings.quiet_hours
    return SettingsOut(
        per_day=settings.per_day,
        employer_spacing_hours=settings.employer_spacing_hours,
        quiet_hours=None
        if quiet is None
        else QuietHoursWire(start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}"),
        timezone=settings.timezone,
        auto_approve=settings.auto_approve,
        auto_approve_min_score=settings.auto_approve_min_score,
        updated_at=settings.updated_at,
    )


class SettingsEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around settings."""

    success: Literal[True]
    data: SettingsOut
    meta: ItemMeta


class BankAnswerOut(msgspec.Struct, kw_only=True):
    """A saved answer for every question on ``topic``."""

    topic: TopicWire
    answer: str
    updated_at: datetime


def bank_to_wire(answer: BankAnswer) -> BankAnswerOut:
    """Return the wire form of a saved answer."""
    return BankAnswerOut(
        topic=answer.topic.value, answer=answer.answer, updated_at=answer.updated_at
    )


class BankAnswerEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around a saved answer."""

    success: Literal[True]
    data: BankAnswerOut
    meta: ItemMeta


class BankAnswerListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the answer bank."""

    success: Literal[True]
    data: list[BankAnswerOut]
    meta: ItemMeta


class SiteOut(msgspec.Struct, kw_only=True):
    """A site's circuit breaker: ``paused`` until ``open_until`` after ``last_signal``."""

    site: str
    paused: bool
    open_until: datetime | None
    failures: int
    last_signal: str | None


class SiteListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the circuit breakers."""

    success: Literal[True]
    data: list[SiteOut]
    meta: ItemMeta


class FunnelOut(msgspec.Struct, kw_only=True):
    """Counts per stage and the rates from applied (0-1)."""

    applied: int
    responded: int
    interview: int
    offer: int
    response_rate: float
    interview_rate: float
    offer_rate: float


def _funnel(funnel: Funnel) -> FunnelOut:
    return FunnelOut(
        applied=funnel.applied,
        responded=funnel.responded,
        interview=funnel.interview,
        offer=funnel.offer,
        response_rate=funnel.response_rate,
        interview_rate=funnel.interview_rate,
        offer_rate=funnel.offer_rate,
    )


class GroupOut(msgspec.Struct, kw_only=True):
    """The funnel of one group (a source, an employer, a score band, a résumé version)."""

    key: str
    funnel: FunnelOut


class PointOut(msgspec.Struct, kw_only=True):
    """One week of the series (``week`` is its Monday)."""

    week: str
    funnel: FunnelOut


class AnalyticsOut(msgspec.Struct, kw_only=True):
    """The caller's funnel, broken down, and week by week."""

    total: int
    by_status: dict[str, int]
    funnel: FunnelOut
    by_source: list[GroupOut]
    by_employer: list[GroupOut]
    by_score_band: list[GroupOut]
    by_resume_version: list[GroupOut]
    weekly: list[PointOut]


def _groups(groups: tuple[Group, ...]) -> list[GroupOut]:
    return [GroupOut(key=g.key, funnel=_funnel(g.funnel)) for g in groups]


def analytics_to_wire(result: ApplicationAnalytics) -> AnalyticsOut:
    """Return the wire form of analytics."""
    return AnalyticsOut(
        total=result.total,
        by_status=dict(result.by_status),
        funnel=_funnel(result.funnel),
        by_source=_groups(result.by_source),
        by_employer=_groups(result.by_employer),
        by_score_band=_groups(result.by_score_band),
        by_resume_version=_groups(result.by_resume_version),
        weekly=[PointOut(week=p.week.isoformat(), funnel=_funnel(p.funnel)) for p in result.weekly],
    )


class AnalyticsEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around analytics."""

    success: Literal[True]
    data: AnalyticsOut
    meta: ItemMeta


# ----------------------------------------------------------------------------- wire: in


class ApplyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Apply to a job: ``manual`` tracks it; ``auto`` drafts a packet for Jobraker to submit."""

    mode: Literal["manual", "auto"] = "manual"
    resume_id: uuid.UUID | None = None
    questions: Annotated[list[_Short], msgspec.Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )


class TrackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Record an application made elsewhere."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    company: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    url: Annotated[str, msgspec.Meta(max_length=2_000)] | None = None
    location: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    source: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    stage: Literal["saved", "submitted", "interviewing", "offer"] = "saved"
    notes: Annotated[str, msgspec.Meta(max_length=10_000)] = ""


class ContactIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Someone at the employer."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    role: _Short | None = None
    email: _Short | None = None
    phone: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class InterviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An interview (``at`` with a time zone)."""

    at: datetime
    kind: _Short = "interview"
    notes: _Text | None = None


class ReminderIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A reminder at ``at``."""

    at: datetime
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class AnswerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The caller's answer to one question of the packet."""

    question: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
    save_to_bank: bool = True


_Items = Annotated[int, msgspec.Meta(ge=0)]


class ApplicationPatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Changes to an application; absent fields stay. ``status`` is a move by the caller."""

    status: StatusWire | None = None
    reason: _Short | None = None
    notes: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None
    contacts: Annotated[list[ContactIn], msgspec.Meta(max_length=50)] | None = None
    interviews: Annotated[list[InterviewIn], msgspec.Meta(max_length=50)] | None = None
    reminders: Annotated[list[ReminderIn], msgspec.Meta(max_length=50)] | None = None
    cover_letter: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None
    answers: Annotated[list[AnswerIn], msgspec.Meta(max_length=30)] | None = None
    resume_id: uuid.UUID | None = None


class ApplicationPutIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The caller's notes, contacts, interviews and reminders, replaced whole."""

    notes: Annotated[str, msgspec.Meta(max_length=10_000)] = ""
    contacts: Annotated[list[ContactIn], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    interviews: Annotated[list[InterviewIn], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    reminders: Annotated[list[ReminderIn], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    status: StatusWire | None = None


class ApproveIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Approve the packet whose ``hash`` you were shown."""

    packet_hash: Annotated[str, msgspec.Meta(pattern=_HASH)]


class ReasonIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Why (optional)."""

    reason: _Short | None = None


class SettingsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Changes to limits and auto-approval; absent fields stay, ``quiet_hours: null`` clears."""

    per_day: Annotated[int, msgspec.Meta(ge=0, le=200)] | None = None
    employer_spacing_hours: Annotated[int, msgspec.Meta(ge=0, le=2160)] | None = None
    quiet_hours: QuietHoursWire | msgspec.UnsetType | None = msgspec.UNSET
    timezone: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    auto_approve: bool | None = None
    auto_approve_min_score: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None


class BankAnswerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Your answer for every question on the topic."""

    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]


def _aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone", field=field)
    return moment


def _tracking(
    contacts: list[ContactIn] | None,
    interviews: list[InterviewIn] | None,
    reminders: list[ReminderIn] | None,
) -> tuple[tuple[Contact, ...] | None, tuple[Interview, ...] | None, tuple[Reminder, ...] | None]:
    return (
        None
        if contacts is None
        else tuple(Contact(c.name, c.role, c.email, c.phone) for c in contacts),
        None
        if interviews is None
        else tuple(Interview(_aware(i.at, "interviews"), i.kind, i.notes) for i in interviews),
        None
        if reminders is None
        else tuple(Reminder(_aware(r.at, "reminders"), r.text) for r in reminders),
    )


# ----------------------------------------------------------------------------- providers


def _one(app: Application) -> ApplicationEnvelope:
    return ApplicationEnvelope(success=True, data=application_to_wire(app), meta=ItemMeta())


# ----------------------------------------------------------------------------- /jobs/{id}/apply


@post(
    "/{job_id:str}/apply",
    sync_to_thread=True,
    opt=IDEMPOTENT,
    summary="Apply to a job",
    description="`manual`: track the application yourself. `auto`: Jobraker drafts the packet "
    "(résumé version, a cover letter from your profile, screening answers with their "
    "provenance); it then waits for your answer to questions only you can answer "
    "(`needs_user`) and for your approval of the packet's hash, unless you switched "
    "auto-approval on. One live application per job: 409 when you have one. Honours "
    "`Idempotency-Key`.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def apply_to_job(
    job_id: JobId,
    data: JSONBody[ApplyIn],
    principal: NamedDependency[Principal],
    apply_to_job: NamedDependency[ApplyToJob],
) -> ApplicationEnvelope:
    """Create the caller's application to the job."""
    command = ApplyCommand(
        user_id=principal.user_id,
        job_id=parse_id(job_id, "job"),
        mode=Mode(data.mode),
        resume_id=data.resume_id,
        questions=tuple(data.questions),
    )
    return _one(apply_to_job(command))


def application_jobs_router() -> Router:
    """``POST /api/v1/jobs/{id}/apply/``."""
    return Router(
        path="/jobs",
        route_handlers=[apply_to_job],
        tags=["applications"],
        guards=[requires_user],
        dependencies={"apply_to_job": container_provider("apply_to_job")},
    )


# ----------------------------------------------------------------------------- /applications


@get(
    "/",
    sync_to_thread=True,
    summary="My applications",
    description="Newest first; filter by `status` (repeatable), `company`, `source` and the "
    "creation date range [`created_from`, `created_to`).",
    responses=problem_responses(400, 401, 503),
)
def list_applications(  # noqa: PLR0917 - one query parameter per documented filter
    principal: NamedDependency[Principal],
    list_applications: NamedDependency[ListApplications],
    status: Annotated[
        list[StatusWire] | None, Parameter(description="Only these statuses.")
    ] = None,
    company: Annotated[str | None, Parameter(max_length=200)] = None,
    source: Annotated[str | None, Parameter(max_length=100)] = None,
    created_from: Annotated[datetime | None, Parameter(description="Inclusive.")] = None,
    created_to: Annotated[datetime | None, Parameter(description="Exclusive.")] = None,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> ApplicationListEnvelope:
    """Return one page of the caller's applications."""
    where = ApplicationFilter(
        statuses=tuple(Status(s) for s in status or ()),
        company=company or None,
        source=source or None,
        created_from=None if created_from is None else _aware(created_from, "created_from"),
        created_to=None if created_to is None else _aware(created_to, "created_to"),
    )
    found = list_applications(principal.user_id, where, clamp_page(page, per_page))
    return ApplicationListEnvelope(
        success=True, data=[application_to_wire(a) for a in found.items], meta=list_meta(found)
    )


@post(
    "/",
    sync_to_thread=True,
    opt=IDEMPOTENT,
    summary="Track an application made elsewhere",
    description="A job Jobraker may not know: title, company, URL; `stage` is where it is now. "
    "409 when one to the same job is live. Honours `Idempotency-Key`.",
    responses=problem_responses(401, 409, 422, 503),
)
def track_application(
    data: JSONBody[TrackIn],
    principal: NamedDependency[Principal],
    track_application: NamedDependency[TrackApplication],
) -> ApplicationEnvelope:
    """Record the caller's application."""
    command = TrackCommand(
        user_id=principal.user_id,
        title=data.title,
        company=data.company,
        url=data.url,
        location=data.location,
        source=data.source,
        status=Status(data.stage),
        notes=data.notes,
    )
    return _one(track_application(command))


@get(
    "/{application_id:str}",
    sync_to_thread=True,
    summary="One of my applications",
    description="With `cost`: the automation steps its runs took and their estimated cost in USD "
    "(from the cost ledger).",
    responses=problem_responses(401, 404, 503),
)
def get_application(
    application_id: AppId,
    principal: NamedDependency[Principal],
    get_application: NamedDependency[GetApplication],
    application_spending: NamedDependency[GetApplicationSpending],
) -> ApplicationEnvelope:
    """Return the application, with what it has cost."""
    parsed = parse_id(application_id, "application")
    wire = application_to_wire(get_application(principal.user_id, parsed))
    wire.cost = spending_to_wire(application_spending(principal.user_id, parsed))
    return ApplicationEnvelope(success=True, data=wire, meta=ItemMeta())


@patch(
    "/{application_id:str}",
    sync_to_thread=True,
    summary="Change an application",
    description="Move it (`status`, as allowed from where it is: 409 otherwise), edit notes, "
    "contacts, interviews, reminders, and before submission the packet (cover letter, "
    "answers, résumé version): a packet change voids an approval.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def patch_application(
    application_id: AppId,
    data: JSONBody[ApplicationPatchIn],
    principal: NamedDependency[Principal],
    update_application: NamedDependency[UpdateApplication],
) -> ApplicationEnvelope:
    """Apply the changes."""
    contacts, interviews, reminders = _tracking(data.contacts, data.interviews, data.reminders)
    command = UpdateCommand(
        user_id=principal.user_id,
        application_id=parse_id(application_id, "application"),
        status=None if data.status is None else Status(data.status),
        reason=data.reason,
        notes=data.notes,
        contacts=contacts,
        interviews=interviews,
        reminders=reminders,
        cover_letter=data.cover_letter,
        answers=None
        if data.answers is None
        else tuple(AnswerInput(a.question, a.answer) for a in data.answers),
        resume_id=data.resume_id,
    )
    return _one(update_application(command))


@put(
    "/{application_id:str}",
    sync_to_thread=True,
    summary="Replace an application's notes",
    description="Notes, contacts, interviews and reminders replaced whole; optional `status`.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def put_application(
    application_id: AppId,
    data: JSONBody[ApplicationPutIn],
    principal: NamedDependency[Principal],
    update_application: NamedDependency[UpdateApplication],
) -> ApplicationEnvelope:
    """Replace the notes."""
    contacts, interviews, reminders = _tracking(data.contacts, data.interviews, data.reminders)
    command = UpdateCommand(
        user_id=principal.user_id,
        application_id=parse_id(application_id, "application"),
        status=None if data.status is None else Status(data.status),
        notes=data.notes,
        contacts=contacts,
        interviews=interviews,
        reminders=reminders,
        replace_tracking=True,
    )
    return _one(update_application(command))


@delete(
    "/{application_id:str}",
    sync_to_thread=True,
    summary="Delete an application",
    description="With its history. 409 while a submission may be under way, and for one that "
    "was submitted (withdraw it instead).",
    responses=problem_responses(401, 404, 409, 503),
)
def delete_application(
    application_id: AppId,
    principal: NamedDependency[Principal],
    delete_application: NamedDependency[DeleteApplication],
) -> None:
    """Delete it."""
    delete_application(principal.user_id, parse_id(application_id, "application"))


@get(
    "/{application_id:str}/events",
    sync_to_thread=True,
    summary="An application's history",
    responses=problem_responses(401, 404, 503),
)
def application_events(
    application_id: AppId,
    principal: NamedDependency[Principal],
    list_application_events: NamedDependency[ListApplicationEvents],
) -> EventListEnvelope:
    """Return the events, oldest first."""
    events = list_application_events(principal.user_id, parse_id(application_id, "application"))
    return EventListEnvelope(success=True, data=[event_to_wire(e) for e in events], meta=ItemMeta())


@post(
    "/{application_id:str}/approve",
    sync_to_thread=True,
    summary="Approve a packet",
    description="Approve exactly the packet whose `hash` you were shown; it is then queued for "
    "submission within your limits. 409 when the packet changed since, or nothing waits.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def approve_application(
    application_id: AppId,
    data: JSONBody[ApproveIn],
    principal: NamedDependency[Principal],
    approve_application: NamedDependency[ApproveApplication],
) -> ApplicationEnvelope:
    """Approve and queue."""
    app_id = parse_id(application_id, "application")
    return _one(approve_application(principal.user_id, app_id, data.packet_hash))


@post(
    "/{application_id:str}/reject",
    sync_to_thread=True,
    summary="Reject a packet",
    description="Decline a packet waiting for approval: the application is withdrawn.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def reject_application(
    application_id: AppId,
    principal: NamedDependency[Principal],
    reject_packet: NamedDependency[RejectPacket],
    data: JSONBody[ReasonIn | None] = None,
) -> ApplicationEnvelope:
    """Withdraw the pending application."""
    app_id = parse_id(application_id, "application")
    return _one(reject_packet(principal.user_id, app_id, data.reason if data else None))


@post(
    "/{application_id:str}/withdraw",
    sync_to_thread=True,
    summary="Withdraw an application",
    description="From any live state; a run under way is cancelled.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def withdraw_application(
    application_id: AppId,
    principal: NamedDependency[Principal],
    withdraw_application: NamedDependency[WithdrawApplication],
    data: JSONBody[ReasonIn | None] = None,
) -> ApplicationEnvelope:
    """Withdraw it."""
    app_id = parse_id(application_id, "application")
    return _one(withdraw_application(principal.user_id, app_id, data.reason if data else None))


@post(
    "/{application_id:str}/answers",
    sync_to_thread=True,
    summary="Answer a question of the packet",
    description="Answer one screening question (e.g. one only you can answer, which holds the "
    "application in `needs_user`); `save_to_bank` keeps the answer for the topic.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def answer_question(
    application_id: AppId,
    data: JSONBody[AnswerIn],
    principal: NamedDependency[Principal],
    answer_question: NamedDependency[AnswerQuestion],
) -> ApplicationEnvelope:
    """Record the answer."""
    app_id = parse_id(application_id, "application")
    answer = AnswerInput(data.question, data.answer)
    return _one(answer_question(principal.user_id, app_id, answer, save_to_bank=data.save_to_bank))


@get(
    "/settings",
    sync_to_thread=True,
    summary="My application limits",
    responses=problem_responses(401, 503),
)
def get_settings(
    principal: NamedDependency[Principal],
    get_application_settings: NamedDependency[GetApplicationSettings],
) -> SettingsEnvelope:
    """Return the caller's settings."""
    return SettingsEnvelope(
        success=True,
        data=settings_to_wire(get_application_settings(principal.user_id)),
        meta=ItemMeta(),
    )


@patch(
    "/settings",
    sync_to_thread=True,
    summary="Change my application limits",
    description="Applications per day (a rolling 24 h), hours between two applications to one "
    "employer, quiet hours in `timezone`, and auto-approval with its minimum match score.",
    responses=problem_responses(401, 422, 503),
)
def patch_settings(
    data: JSONBody[SettingsIn],
    principal: NamedDependency[Principal],
    update_application_settings: NamedDependency[UpdateApplicationSettings],
) -> SettingsEnvelope:
    """Store the changes."""
    quiet: object = None
    if data.quiet_hours is None:
        quiet = CLEAR
    elif not isinstance(data.quiet_hours, msgspec.UnsetType):
        quiet = QuietHours(
            time.fromisoformat(data.quiet_hours.start), time.fromisoformat(data.quiet_hours.end)
        )
    changes = SettingsChanges(
        per_day=data.per_day,
        employer_spacing_hours=data.employer_spacing_hours,
        quiet_hours=quiet,
        timezone=data.timezone,
        auto_approve=data.auto_approve,
        auto_approve_min_score=data.auto_approve_min_score,
    )
    updated = update_application_settings(principal.user_id, changes)
    return SettingsEnvelope(success=True, data=settings_to_wire(updated), meta=ItemMeta())


@get(
    "/answers", sync_to_thread=True, summary="My answer bank", responses=problem_responses(401, 503)
)
def list_answers(
    principal: NamedDependency[Principal], list_bank_answers: NamedDependency[ListBankAnswers]
) -> BankAnswerListEnvelope:
    """Return the caller's saved answers."""
    answers = list_bank_answers(principal.user_id)
    return BankAnswerListEnvelope(
        success=True, data=[bank_to_wire(a) for a in answers], meta=ItemMeta()
    )


@put(
    "/answers/{topic:str}",
    sync_to_thread=True,
    summary="Save my answer on a topic",
    responses=problem_responses(401, 404, 422, 503),
)
def put_answer(
    topic: TopicPath,
    data: JSONBody[BankAnswerIn],
    principal: NamedDependency[Principal],
    put_bank_answer: NamedDependency[PutBankAnswer],
) -> BankAnswerEnvelope:
    """Store the answer."""
    saved = put_bank_answer(principal.user_id, _topic(topic), data.answer)
    return BankAnswerEnvelope(success=True, data=bank_to_wire(saved), meta=ItemMeta())


@delete(
    "/answers/{topic:str}",
    sync_to_thread=True,
    summary="Delete my answer on a topic",
    responses=problem_responses(401, 404, 503),
)
def delete_answer(
    topic: TopicPath,
    principal: NamedDependency[Principal],
    delete_bank_answer: NamedDependency[DeleteBankAnswer],
) -> None:
    """Delete the answer."""
    delete_bank_answer(principal.user_id, _topic(topic))


def _topic(raw: str) -> Topic:
    try:
        return Topic(raw)
    except ValueError:
        from jobraker_core.errors import NotFound  # noqa: PLC0415 - the one place it is needed

        raise NotFound(f"no topic {raw[:40]!r}") from None


@get(
    "/sites",
    sync_to_thread=True,
    summary="Sites paused by the circuit breaker",
    description="Every site that failed recently: `paused` until `open_until` after a block "
    "signal (CAPTCHA, login wall, 429) or repeated failures.",
    responses=problem_responses(401, 503),
)
def list_sites(
    now: NamedDependency[datetime], list_site_breakers: NamedDependency[ListSiteBreakers]
) -> SiteListEnvelope:
    """Return the breakers."""
    return SiteListEnvelope(
        success=True, data=[_site(b, now) for b in list_site_breakers()], meta=ItemMeta()
    )


def _site(breaker: SiteBreaker, now: datetime) -> SiteOut:
    return SiteOut(
        site=breaker.site,
        paused=breaker.is_open(now),
        open_until=breaker.open_until,
        failures=breaker.failures,
        last_signal=breaker.last_signal,
    )


@get(
    "/analytics",
    sync_to_thread=True,
    summary="My application funnel",
    description="applied → responded → interview → offer with rates, by source, employer, "
    "match-score band and résumé version, and week by week (dry runs left out).",
    responses=problem_responses(401, 503),
)
def analytics(
    principal: NamedDependency[Principal],
    application_analytics: NamedDependency[GetApplicationAnalytics],
) -> AnalyticsEnvelope:
    """Return the analytics."""
    return AnalyticsEnvelope(
        success=True,
        data=analytics_to_wire(application_analytics(principal.user_id)),
        meta=ItemMeta(),
    )


_USE_CASES: Final = (
    "list_applications",
    "track_application",
    "get_application",
    "application_spending",
    "update_application",
    "delete_application",
    "list_application_events",
    "approve_application",
    "reject_packet",
    "withdraw_application",
    "answer_question",
    "get_application_settings",
    "update_application_settings",
    "list_bank_answers",
    "put_bank_answer",
    "delete_bank_answer",
    "list_site_breakers",
    "application_analytics",
)


def applications_router() -> Router:
    """The routes under ``/api/v1/applications``."""
    return Router(
        path="/applications",
        route_handlers=[
            list_applications,
            track_application,
            get_settings,
            patch_settings,
            list_answers,
            put_answer,
            delete_answer,
            list_sites,
            analytics,
            get_application,
            patch_application,
            put_application,
            delete_application,
            application_events,
            approve_application,
            reject_application,
            withdraw_application,
            answer_question,
        ],
        tags=["applications"],
        guards=[requires_user],
        dependencies={name: container_provider(name) for name in _USE_CASES},
    )
