"""Ports of the applications capability (all on the ``UnitOfWork`` but ``MatchScores``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from jobraker_core.applications.limits import ApplicationSettings, SiteBreaker
from jobraker_core.applications.model import Application, ApplicationEvent, Status
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_core.pagination import Page, PageRequest


@attrs.frozen
class ApplicationFilter:
    """Which of a person's applications to list (every given criterion must hold)."""

    statuses: tuple[Status, ...] = ()
    company: str | None = None
    source: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class ApplicationRepository(Protocol):
    """Applications and their append-only events.

    Uniqueness: at most one *live* application (status other than ``withdrawn``) per
    ``(user_id, job.key)``. PostgreSQL enforces it with a partial unique index taken by
    ``INSERT ... ON CONFLICT DO NOTHING`` in the caller's transaction; the in-memory fake raises
    ``Conflict`` on commit when another unit stored one meanwhile.
    """

    def add(self, application: Application) -> None:
        """Insert ``application``; ``Conflict`` when its person has a live one to its job key."""
        ...

    def get(
        self, user_id: uuid.UUID, application_id: uuid.UUID, *, for_update: bool = False
    ) -> Application:
        """The person's application; ``NotFound`` when it does not exist or is someone else's.

        ``for_update`` locks the row until the unit ends (PostgreSQL ``FOR UPDATE``).
        """
        ...

    def by_id(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application:
        """Any person's application, for the system (workers, webhooks); ``NotFound`` otherwise."""
        ...

    def by_run(self, run_id: str, *, for_update: bool = False) -> Application | None:
        """The application whose current run is ``run_id``, if any."""
        ...

    def live_for_job(self, user_id: uuid.UUID, job_key: str) -> Application | None:
        """The person's live application to the job with ``job_key``, if any."""
        ...

    def save(self, application: Application) -> Application:
        """Store a change made to the version read; return it with its version raised.

        ``Conflict`` when the stored version is not ``application.version`` (changed meanwhile).
        """
        ...

    def claim(self, application: Application) -> Application | None:
        """Store ``application`` (in ``submitting``) only if the stored one is still ``queued``.

        It is PostgreSQL's ``UPDATE ... WHERE status = 'queued' RETURNING``: None when another
        worker claimed it first.
        """
        ...

    def delete(self, user_id: uuid.UUID, application_id: uuid.UUID) -> bool:
        """Delete the person's application and its events; False when there was none."""
        ...

    def list(
        self, user_id: uuid.UUID, where: ApplicationFilter, page: PageRequest
    ) -> Page[Application]:
        """One page of the person's applications, newest first (ties by id)."""
        ...

    def every(self, user_id: uuid.UUID) -> Sequence[Application]:
        """All of the person's applications (for analytics), oldest first."""
        ...

    def stuck(
        self, statuses: Sequence[Status], *, before: datetime, limit: int
    ) -> Sequence[Application]:
        """Applications in ``statuses`` unchanged since before ``before``, least recent first."""
        ...

    def claims_since(self, user_id: uuid.UUID, since: datetime) -> Sequence[Application]:
        """The person's applications claimed for submission at or after ``since``."""
        ...

    def due_reminders(self, now: datetime, *, limit: int) -> Sequence[Application]:
        """Applications with a reminder due at ``now`` not notified yet, earliest first.

        PostgreSQL locks them until the unit ends and skips rows another unit holds
        (``FOR UPDATE SKIP LOCKED``), so two ticks never take the same application.
        """
        ...

    def add_event(self, event: ApplicationEvent) -> None:
        """Append ``event``."""
        ...

    def events(self, user_id: uuid.UUID, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        """The application's events, oldest first (none for another person's application)."""
        ...

    def events_of_user(self, user_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        """Every event of the person's applications, oldest first."""
        ...


class ApplicationSettingsRepository(Protocol):
    """Each person's limits and auto-approval choice, and their answer bank."""

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> ApplicationSettings:
        """The person's settings (the defaults when never set).

        ``for_update`` serialises the claims of one person (PostgreSQL locks the user's row).
        """
        ...

    def put(self, settings: ApplicationSettings) -> None:
        """Store the person's settings."""
        ...

    def answers(self, user_id: uuid.UUID) -> dict[Topic, BankAnswer]:
        """The person's answer bank, by topic."""
        ...

    def put_answer(self, answer: BankAnswer) -> None:
        """Store (or replace) the person's answer on ``answer.topic``."""
        ...

    def delete_answer(self, user_id: uuid.UUID, topic: Topic) -> bool:
        """Delete the person's answer on ``topic``; False when there was none."""
        ...


class SiteBreakerRepository(Protocol):
    """The circuit breakers of sites (no personal data: a host name and counters)."""

    def get(self, site: str, *, for_update: bool = False) -> SiteBreaker:
        """The breaker of ``site`` (a closed one when none is stored)."""
        ...

    def put(self, breaker: SiteBreaker) -> None:
        """Store ``breaker``."""
        ...

    def all(self) -> Sequence[SiteBreaker]:
        """Every stored breaker, by site."""
        ...


@attrs.frozen
class TaskMessage:
    """A task to hand to the queue once the transaction that wrote it commits.

    ``job_id`` is unique: adding the same id twice stores it once. ``not_before`` delays it.
    """

    id: uuid.UUID
    task: str
    args: tuple[str, ...]
    job_id: str
    created_at: datetime
    not_before: datetime | None = None


class TaskOutbox(Protocol):
    """The transactional outbox of queue tasks, relayed to the ``TaskQueue`` after commit."""

    def add(self, message: TaskMessage) -> bool:
        """Store ``message``; False (nothing stored) when its ``job_id`` is stored already."""
        ...

    def pending(self, limit: int) -> Sequence[TaskMessage]:
        """Up to ``limit`` messages not relayed yet, oldest first.

        PostgreSQL locks them (``FOR UPDATE SKIP LOCKED``) until the unit ends, so two relays
        never take the same message.
        """
        ...

    def mark_relayed(self, message_id: uuid.UUID, at: datetime) -> None:
        """Record that the message was handed to the queue."""
        ...


class MatchScores(Protocol):
    """The match score (0-100) of a job for a person, when it can be computed."""

    def score(self, user_id: uuid.UUID, job_id: uuid.UUID) -> float | None:
        """The score, or None when the person has nothing to match by."""
        ...
