"""Ports of notifications.

Preferences, the inbox and delivery records (on the unit of work), the notifiers that push,
and the signer of unsubscribe links.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from jobraker_core.notifications.model import (
    Channel,
    Delivery,
    InboxItem,
    NotificationPreferences,
    OutgoingNotification,
    Recipient,
    UnsubscribeRequest,
)
from jobraker_core.pagination import Page, PageRequest


class NotificationPreferencesRepository(Protocol):
    """Each person's notification preferences, in the unit of work's transaction."""

    def get(self, user_id: uuid.UUID) -> NotificationPreferences:
        """The person's preferences (the defaults when they never chose any)."""
        ...

    def save(self, preferences: NotificationPreferences, at: datetime) -> None:
        """Store ``preferences`` (replacing earlier ones)."""
        ...

    def with_threshold(self) -> Sequence[NotificationPreferences]:
        """The preferences that set a ``match_threshold``."""
        ...


class NotificationInbox(Protocol):
    """The in-app inbox: one item per event, listed newest first.

    ``mark_read`` raises ``NotFound`` for an item that is not the person's.
    """

    def add(self, item: InboxItem) -> bool:
        """Store ``item``; False (nothing stored) when its id is stored already."""
        ...

    def list(self, user_id: uuid.UUID, page: PageRequest, *, unread_only: bool) -> Page[InboxItem]:
        """The person's items, newest first, one page."""
        ...

    def unread(self, user_id: uuid.UUID) -> int:
        """How many of the person's items are unread."""
        ...

    def mark_read(self, user_id: uuid.UUID, item_id: uuid.UUID, at: datetime) -> InboxItem:
        """Mark one item read (an item read before keeps its first time); return it."""
        ...

    def mark_all_read(self, user_id: uuid.UUID, at: datetime) -> int:
        """Mark every unread item of the person read; return how many."""
        ...


class DeliveryLog(Protocol):
    """One ``Delivery`` record per (event, channel).

    ``add`` refuses a second record for the same pair (returns False), which is what keeps an
    event from reaching a channel twice. ``due`` and ``digests`` lock the rows they return for the
    transaction (``FOR UPDATE SKIP LOCKED`` in PostgreSQL), so two dispatchers never push the
    same delivery.
    """

    def add(self, delivery: Delivery) -> bool:
        """Store a new record; False when the (event, channel) has one already."""
        ...

    def update(self, delivery: Delivery) -> None:
        """Replace the stored record of the (event, channel)."""
        ...

    def get(self, event_id: uuid.UUID, channel: Channel) -> Delivery | None:
        """The record of the (event, channel), if any."""
        ...

    def due(self, now: datetime, limit: int) -> Sequence[Delivery]:
        """Up to ``limit`` held deliveries due by ``now``, soonest first."""
        ...

    def digest_users(self, limit: int) -> Sequence[uuid.UUID]:
        """People with deliveries waiting for a digest."""
        ...

    def digests(self, user_id: uuid.UUID) -> Sequence[Delivery]:
        """The person's deliveries waiting for a digest, oldest first."""
        ...


class Notifier(Protocol):
    """Pushes one notification to one person on one channel (``channel``).

    Raises ``UpstreamUnavailable`` when the channel is down for now (the delivery is retried)
    and ``UpstreamRejected`` when it refused this notification for good (it is given up).
    """

    channel: Channel

    def deliver(self, recipient: Recipient, notification: OutgoingNotification) -> None:
        """Send ``notification`` to ``recipient``."""
        ...


class UnsubscribeTokens(Protocol):
    """Signs and reads the token of a one-click unsubscribe link.

    ``read`` raises ``InvalidInput`` for a token it did not sign (or that was altered).
    """

    def issue(self, request: UnsubscribeRequest) -> str:
        """The token that asks for ``request``."""
        ...

    def read(self, token: str) -> UnsubscribeRequest:
        """What ``token`` asks for."""
        ...
