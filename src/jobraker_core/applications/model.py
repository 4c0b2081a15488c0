"""The ``Application`` aggregate: one person's application to one job, and its lifecycle.

The lifecycle is a state machine on the model. Every change goes through ``Application.move``
(or a method built on it), which checks the transition against ``TRANSITIONS`` and returns the
new application together with the append-only ``ApplicationEvent`` that records who moved it,
when and why. An illegal move raises ``InvalidTransition`` (a ``Conflict``: 409 at the API).

::

    saved ─► draft ─► pending_approval ─► approved ─► queued ─► submitting ─┬► submitted_unverified
      │        │  ▲         ▲  │                                            ├► submitted
      │        ▼  │         │  ▼                                            ├► failed
      │     needs_user ─────┘ (answered)                                    └► needs_review
      │
      submitted(_unverified) ─► interviewing ─► offer ─► accepted      (and rejected, withdrawn)

Who may move: the person (``Actor.USER``) makes the manual moves (approve, withdraw, record an
interview); the system (``Actor.SYSTEM``: workers, webhooks, the reconciler) makes the automatic
ones (queue, claim, record a run's outcome). ``TERMINAL`` states are never left by the system;
``accepted``, ``rejected`` and ``withdrawn`` are never left at all. ``failed`` may be retried by
the person (back to ``pending_approval``, so the packet is approved again).

One *live* application per person and canonical job key: every status but ``withdrawn`` is
live (the database enforces it with a partial unique index).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from jobraker_core.applications.packet import Packet
from jobraker_core.applications.submission import RunState
from jobraker_core.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping


class InvalidTransition(Conflict):
    """Raised when an application is asked to move where its state machine does not allow."""


class Status(enum.StrEnum):
    """Where an application is in its lifecycle."""

    SAVED = "saved"
    DRAFT = "draft"
    NEEDS_USER = "needs_user"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED_UNVERIFIED = "submitted_unverified"
    SUBMITTED = "submitted"
    INTERVIEWING = "interviewing"
    OFFER = "offer"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"


class Actor(enum.StrEnum):
    """Who moved an application: the person, or an automatic process."""

    USER = "user"
    SYSTEM = "system"


class Mode(enum.StrEnum):
    """How the application is made: tracked by hand, or submitted by Jobraker."""

    MANUAL = "manual"
    AUTO = "auto"


U: Final = frozenset({Actor.USER})
S: Final = frozenset({Actor.SYSTEM})
US: Final = frozenset({Actor.USER, Actor.SYSTEM})
_ = Status

TRANSITIONS: Final[Mapping[Status, Mapping[Status, frozenset[Actor]]]] = {
    _.SAVED: {
        _.DRAFT: US,
        _.NEEDS_USER: S,
        _.PENDING_APPROVAL: S,
        _.SUBMITTED: U,
        _.WITHDRAWN: U,
    },
    _.DRAFT: {
        _.NEEDS_USER: S,
        _.PENDING_APPROVAL: US,
        _.APPROVED: S,
        _.SUBMITTED: U,
        _.WITHDRAWN: U,
    },
    _.NEEDS_USER: {_.PENDING_APPROVAL: US, _.APPROVED: S, _.DRAFT: U, _.WITHDRAWN: U},
    _.PENDING_APPROVAL: {_.APPROVED: U, _.NEEDS_USER: S, _.DRAFT: U, _.WITHDRAWN: U},
    _.APPROVED: {_.QUEUED: S, _.PENDING_APPROVAL: US, _.WITHDRAWN: U},
    _.QUEUED: {_.SUBMITTING: S, _.PENDING_APPROVAL: US, _.FAILED: S, _.WITHDRAWN: U},
    _.SUBMITTING: {
        _.QUEUED: S,  # the submitter refused to start (rate limited): nothing was sent
        _.SUBMITTED: S,
        _.SUBMITTED_UNVERIFIED: S,
        _.FAILED: S,
        _.NEEDS_REVIEW: S,
        _.WITHDRAWN: U,
    },
    _.NEEDS_REVIEW: {
        _.SUBMITTED: US,
        _.SUBMITTED_UNVERIFIED: US,
        _.FAILED: US,
        _.QUEUED: U,
        _.WITHDRAWN: U,
    },
    _.SUBMITTED_UNVERIFIED: {
        _.SUBMITTED: US,
        _.INTERVIEWING: U,
        _.OFFER: U,
        _.REJECTED: U,
        _.WITHDRAWN: U,
    },
    _.SUBMITTED: {_.INTERVIEWING: U, _.OFFER: U, _.REJECTED: U, _.WITHDRAWN: U},
    _.INTERVIEWING: {_.OFFER: U, _.REJECTED: U, _.WITHDRAWN: U},
    _.OFFER: {_.ACCEPTED: U, _.REJECTED: U, _.WITHDRAWN: U},
    _.FAILED: {_.PENDING_APPROVAL: U, _.WITHDRAWN: U},
    _.ACCEPTED: {},
    _.REJECTED: {},
    _.WITHDRAWN: {},
}
"""``TRANSITIONS[a][b]``: the actors who may move an application from ``a`` to ``b``."""

TERMINAL: Final = frozenset({_.ACCEPTED, _.REJECTED, _.WITHDRAWN, _.FAILED})
"""States no automatic process ever leaves."""
FINAL: Final = frozenset({_.ACCEPTED, _.REJECTED, _.WITHDRAWN})
"""States nobody ever leaves."""
IN_FLIGHT: Final = frozenset({_.QUEUED, _.SUBMITTING})
"""States in which an automatic submission may be under way."""
APPLIED: Final = frozenset(
    {_.SUBMITTED_UNVERIFIED, _.SUBMITTED, _.INTERVIEWING, _.OFFER, _.ACCEPTED}
)
"""States that say the application reached the employer (as far as anyone knows)."""
del _


def allowed(source: Status, target: Status, actor: Actor) -> bool:
    """Whether ``actor`` may move an application from ``source`` to ``target``."""
    return actor in TRANSITIONS[source].get(target, frozenset())


_RUN_RANK: Final = {
    RunState.CREATED: 0,
    RunState.QUEUED: 0,
    RunState.RUNNING: 1,
    RunState.PAUSED: 1,
}


def run_rank(state: RunState) -> int:
    """How far a run has got: created/queued 0, running/paused 1, ended 2 (never goes back)."""
    return 2 if state.terminal else _RUN_RANK[state]


# ----------------------------------------------------------------------------- manual tracking

MAX_NOTES: Final = 10_000
MAX_TEXT: Final = 500
MAX_ITEMS: Final = 50


def _short(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{attribute.name} is longer than {MAX_TEXT}", field=attribute.name)


def _notes(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if len(value) > MAX_NOTES:
        raise InvalidInput(f"{attribute.name} is longer than {MAX_NOTES}", field=attribute.name)


_T = TypeVar("_T")


def _bounded_items(
    _: object, attribute: attrs.Attribute[tuple[_T, ...]], value: tuple[_T, ...]
) -> None:
    if len(value) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} {attribute.name}", field=attribute.name)


@attrs.frozen
class Contact:
    """Someone at the employer the person is in touch with about this application."""

    name: str = attrs.field(validator=_short)
    role: str | None = None
    email: str | None = None
    phone: str | None = None


@attrs.frozen
class Interview:
    """An interview on the calendar (``kind``: phone screen, technical, onsite, ...)."""

    at: datetime
    kind: str = attrs.field(default="interview", validator=_short)
    notes: str | None = None


@attrs.frozen
class Reminder:
    """Something the person wants to be reminded of about this application, at ``at``.

    ``id`` names the reminder for its notification (the outbox's dedupe key), and
    ``notified_at`` says when the person was told; a reminder is notified once.
    """

    at: datetime
    text: str = attrs.field(validator=_short)
    id: uuid.UUID = attrs.field(factory=uuid.uuid4, kw_only=True)
    notified_at: datetime | None = attrs.field(default=None, kw_only=True)

    def due(self, now: datetime) -> bool:
        """Whether the reminder's time has come and the person was not told yet."""
        return self.notified_at is None and self.at <= now


@attrs.frozen
class Tracking:
    """The person's own notes on an application: free text, contacts, interviews, reminders."""

    notes: str = attrs.field(default="", validator=_notes)
    contacts: tuple[Contact, ...] = attrs.field(default=(), validator=_bounded_items)
    interviews: tuple[Interview, ...] = attrs.field(default=(), validator=_bounded_items)
    reminders: tuple[Reminder, ...] = attrs.field(default=(), validator=_bounded_items)

    @property
    def next_reminder_at(self) -> datetime | None:
        """When the earliest reminder not notified yet is due (None when there is none)."""
        return min((r.at for r in self.reminders if r.notified_at is None), default=None)

    def due_reminders(self, now: datetime) -> tuple[Reminder, ...]:
        """The reminders due at ``now`` that the person was not told of yet."""
        return tuple(r for r in self.reminders if r.due(now))

    def reminded(self, now: datetime) -> Tracking:
        """These notes with every reminder due at ``now`` marked as notified at ``now``."""
        return attrs.evolve(
            self,
            reminders=tuple(
                attrs.evolve(r, notified_at=now) if r.due(now) else r for r in self.reminders
            ),
        )

    def keeping_reminders_of(self, previous: Tracking) -> Tracking:
        """These notes, a reminder also in ``previous`` (same time, same text) keeping its state.

        It keeps its id and whether it was notified, so rewriting the notes never notifies a
        reminder again.
        """
        unmatched = list(previous.reminders)
        kept: list[Reminder] = []
        for reminder in self.reminders:
            match = next(
                (p for p in unmatched if (p.at, p.text) == (reminder.at, reminder.text)), None
            )
            if match is None:
                kept.append(reminder)
            else:
                unmatched.remove(match)
                kept.append(match)
        return attrs.evolve(self, reminders=tuple(kept))


# ----------------------------------------------------------------------------- the aggregate


@attrs.frozen
class ApplicationEvent:
    """One append-only record of a change to an application: who, when, from where to where, why.

    ``from_status == to_status`` records a change that kept the status (a run's progress, a
    packet edit, an answered question); ``data`` holds non-personal facts (a run id, a state).
    """

    id: uuid.UUID
    application_id: uuid.UUID
    user_id: uuid.UUID
    at: datetime
    actor: Actor
    from_status: Status | None
    to_status: Status
    reason: str
    data: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Job:
    """What an application remembers of its job (the posting itself may go away)."""

    key: str
    title: str
    company: str | None
    job_id: uuid.UUID | None = None
    source: str | None = None
    apply_url: str | None = None
    location: str | None = None


@attrs.frozen
class Run:
    """The submission attempt an application is on: our ``attempt_id``, the vendor's run."""

    attempt_id: uuid.UUID
    claimed_at: datetime
    run_id: str | None = None
    state: RunState | None = None
    dry_run: bool = False
    confirmation: str | None = None
    sent: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class Application:
    """A person's application to one job, with its packet, its run and their own notes.

    ``version`` increases with every stored change (optimistic concurrency: a stale save is a
    ``Conflict``). ``packet_hash_approved`` is the hash of the packet the person approved; it is
    void (None) as soon as the packet changes. ``not_before`` holds back a queued application
    (limits, a paused site). ``failure_reason`` says why a run failed or needs review.
    """

    id: uuid.UUID
    user_id: uuid.UUID
    job: Job
    mode: Mode
    status: Status
    created_at: datetime
    updated_at: datetime
    version: int = 0
    match_score: float | None = None
    packet: Packet | None = None
    packet_hash_approved: str | None = None
    run: Run | None = None
    not_before: datetime | None = None
    failure_reason: str | None = None
    applied_at: datetime | None = None
    tracking: Tracking = Tracking()

    @classmethod
    def start(
        cls,
        *,
        application_id: uuid.UUID,
        user_id: uuid.UUID,
        job: Job,
        mode: Mode,
        at: datetime,
        match_score: float | None = None,
        reason: str = "saved",
    ) -> tuple[Application, ApplicationEvent]:
        """A new application in ``saved``, and the event that records its creation."""
        app = cls(
            id=application_id,
            user_id=user_id,
            job=job,
            mode=mode,
            status=Status.SAVED,
            created_at=at,
            updated_at=at,
            match_score=match_score,
        )
        return app, app.event(Actor.USER, None, Status.SAVED, reason, at)

    @property
    def live(self) -> bool:
        """Whether the application counts for "one application per person and job"."""
        return self.status is not Status.WITHDRAWN

    @property
    def dry_run(self) -> bool:
        """Whether the submission of this application was a dry run (nothing was sent)."""
        return self.run is not None and self.run.dry_run

    @property
    def approval_valid(self) -> bool:
        """Whether the person approved exactly the packet the application holds now."""
        return (
            self.packet is not None
            and self.packet_hash_approved is not None
            and self.packet_hash_approved == self.packet.digest()
        )

    def event(  # noqa: PLR0917 - the fields of an event
        self,
        actor: Actor,
        source: Status | None,
        target: Status,
        reason: str,
        at: datetime,
        data: Mapping[str, str] | None = None,
    ) -> ApplicationEvent:
        """An event about this application (not checked against the state machine)."""
        return ApplicationEvent(
            id=uuid.uuid4(),
            application_id=self.id,
            user_id=self.user_id,
            at=at,
            actor=actor,
            from_status=source,
            to_status=target,
            reason=reason,
            data=tuple(sorted((data or {}).items())),
        )

    def move(
        self,
        target: Status,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        data: Mapping[str, str] | None = None,
        **changes: object,
    ) -> tuple[Application, ApplicationEvent]:
        """Move to ``target`` (and apply ``changes``); ``InvalidTransition`` if not allowed."""
        if not allowed(self.status, target, actor):
            raise InvalidTransition(
                f"an application cannot go from {self.status.value} to {target.value}"
                + ("" if actor is Actor.USER else " automatically")
            )
        moved = attrs.evolve(self, status=target, updated_at=at, **changes)  # type: ignore[arg-type]
        if target in APPLIED and moved.applied_at is None:
            moved = attrs.evolve(moved, applied_at=at)
        return moved, self.event(actor, self.status, target, reason, at, data)

    def note(
        self,
        *,
        actor: Actor,
        at: datetime,
        reason: str,
        data: Mapping[str, str] | None = None,
        **changes: object,
    ) -> tuple[Application, ApplicationEvent]:
        """Change attributes other than the status, recorded as an event that keeps the status."""
        changed = attrs.evolve(self, updated_at=at, **changes)  # type: ignore[arg-type]
        return changed, self.event(actor, self.status, self.status, reason, at, data)

    # -- the packet -------------------------------------------------------------------------

    def with_packet(
        self, packet: Packet, *, actor: Actor, at: datetime, reason: str
    ) -> tuple[Application, ApplicationEvent]:
        """Replace the packet; an approval of another packet is void (approved/queued go back).

        Editing is refused while a submission may be under way or after it.
        """
        if self.status not in _PACKET_EDITABLE:
            raise InvalidTransition(f"the packet cannot change in {self.status.value}")
        voided = self.packet_hash_approved is not None and packet.digest() != (
            self.packet_hash_approved
        )
        if voided and self.status in {Status.APPROVED, Status.QUEUED}:
            return self.move(
                Status.PENDING_APPROVAL,
                actor=actor,
                at=at,
                reason=f"{reason}; the approval is void",
                packet=packet,
                packet_hash_approved=None,
                not_before=None,
            )
        return self.note(
            actor=actor,
            at=at,
            reason=reason,
            packet=packet,
            packet_hash_approved=None if voided else self.packet_hash_approved,
        )

    def approve(
        self, packet_hash: str, *, actor: Actor, at: datetime, reason: str
    ) -> tuple[Application, ApplicationEvent]:
        """Approve the packet of hash ``packet_hash``; ``Conflict`` if it is not the current one."""
        if self.packet is None:
            raise InvalidTransition("there is no packet to approve")
        if self.packet.open_questions:
            raise InvalidTransition("answer the open questions before approving")
        if packet_hash != self.packet.digest():
            raise Conflict("the packet changed since it was shown; review it again")
        return self.move(
            Status.APPROVED,
            actor=actor,
            at=at,
            reason=reason,
            data={"packet_hash": packet_hash},
            packet_hash_approved=packet_hash,
        )

    # -- the run ----------------------------------------------------------------------------

    def claim(self, attempt_id: uuid.UUID, *, at: datetime) -> tuple[Application, ApplicationEvent]:
        """Take a queued application for submission under ``attempt_id`` (system only)."""
        if not self.approval_valid:
            raise InvalidTransition("the packet is not the one approved")
        return self.move(
            Status.SUBMITTING,
            actor=Actor.SYSTEM,
            at=at,
            reason="claimed for submission",
            data={"attempt_id": str(attempt_id)},
            run=Run(attempt_id=attempt_id, claimed_at=at),
            not_before=None,
        )


_PACKET_EDITABLE: Final = frozenset(
    {
        Status.SAVED,
        Status.DRAFT,
        Status.NEEDS_USER,
        Status.PENDING_APPROVAL,
        Status.APPROVED,
        Status.QUEUED,
        Status.FAILED,
    }
)
