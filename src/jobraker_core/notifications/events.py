"""Notification events: what happened that a person may want to hear about.

Use cases add an event to ``UnitOfWork.notifications`` in the same transaction as the change it
reports (a transactional outbox), so an event exists exactly when its change was committed. A
dispatcher on the worker reads pending events and delivers them through the person's channels.
``(user_id, kind, dedupe_key)`` is unique: adding the same event twice stores it once, so
retries and replays never notify twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import attrs


class NotificationKind(StrEnum):
    """The events a person can be notified of (each has its own preferences)."""

    NEW_MATCH = "new_match"
    APPLICATION_STATUS = "application_status"
    NEEDS_USER = "needs_user"
    APPROVAL_WAITING = "approval_waiting"
    SITE_PAUSED = "site_paused"
    REMINDER_DUE = "reminder_due"


@attrs.frozen
class NotificationEvent:
    """One event for one person.

    ``dedupe_key`` says what makes two events the same (e.g. ``"<application id>:submitted"``);
    ``data`` holds ids and links as strings, for clients to act on.
    """

    id: uuid.UUID
    user_id: uuid.UUID
    kind: NotificationKind
    dedupe_key: str
    title: str
    body: str
    created_at: datetime
    data: Mapping[str, str] = attrs.field(factory=dict, hash=False)


class NotificationOutbox(Protocol):
    """The events waiting to be delivered, in the unit of work's transaction."""

    def add(self, event: NotificationEvent) -> bool:
        """Store ``event``; False (and nothing stored) when the same event exists already."""
        ...

    def pending(self, limit: int) -> Sequence[NotificationEvent]:
        """Up to ``limit`` undelivered events, oldest first.

        In PostgreSQL the rows stay locked (``FOR UPDATE SKIP LOCKED``) until the unit ends, so
        two dispatchers never take the same event.
        """
        ...

    def mark_dispatched(self, event_id: uuid.UUID, at: datetime) -> None:
        """Record that ``event_id`` was handed to the person's channels."""
        ...
