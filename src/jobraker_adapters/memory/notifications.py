"""In-memory notification preferences, inbox and delivery log.

The reference semantics of migration 0050 (``jobraker_adapters.postgres.notifications``
follows them), and a recording ``Notifier``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import attrs

from jobraker_adapters.memory.tables import TableSession
from jobraker_core.errors import Conflict, JobrakerError, NotFound
from jobraker_core.notifications.model import (
    Channel,
    Delivery,
    DeliveryState,
    InboxItem,
    NotificationPreferences,
    OutgoingNotification,
    Recipient,
)
from jobraker_core.pagination import Page, PageRequest

_DeliveryKey = tuple[uuid.UUID, Channel]


@attrs.define
class NotificationTables:
    """Stored preferences (by person), inbox items (by id) and deliveries (by event, channel)."""

    preferences: dict[uuid.UUID, NotificationPreferences] = attrs.field(factory=dict)
    inbox: dict[uuid.UUID, InboxItem] = attrs.field(factory=dict)
    deliveries: dict[_DeliveryKey, Delivery] = attrs.field(factory=dict)

    def of_user(self, user_id: uuid.UUID) -> dict[str, list[object]]:
        """The user's rows, one export section per table."""
        return {
            "notification_preferences": [
                p for p in self.preferences.values() if p.user_id == user_id
            ],
            "notification_inbox": [i for i in self.inbox.values() if i.user_id == user_id],
            "notification_deliveries": [
                d for d in self.deliveries.values() if d.user_id == user_id
            ],
        }

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete the user's rows; return how many went."""
        gone = int(self.preferences.pop(user_id, None) is not None)
        for item_id in [k for k, v in self.inbox.items() if v.user_id == user_id]:
            del self.inbox[item_id]
            gone += 1
        for pair in [k for k, v in self.deliveries.items() if v.user_id == user_id]:
            del self.deliveries[pair]
            gone += 1
        return gone

    def copy(self) -> NotificationTables:
        """A copy whose dictionaries can change without touching these."""
        return NotificationTables(dict(self.preferences), dict(self.inbox), dict(self.deliveries))


@attrs.define
class InMemoryNotificationPreferences:
    """``NotificationPreferencesRepository`` over ``NotificationTables``."""

    tables: NotificationTables

    def get(self, user_id: uuid.UUID) -> NotificationPreferences:
        """The stored preferences, else the defaults."""
        return self.tables.preferences.get(user_id) or NotificationPreferences.default(user_id)

    def save(self, preferences: NotificationPreferences, at: datetime) -> None:  # noqa: ARG002 - PostgreSQL keeps it
        """Store ``preferences``."""
        self.tables.preferences[preferences.user_id] = preferences

    def with_threshold(self) -> Sequence[NotificationPreferences]:
        """The preferences that set a match threshold, by user id."""
        found = [p for p in self.tables.preferences.values() if p.match_threshold is not None]
        return sorted(found, key=lambda p: str(p.user_id))


@attrs.define
class InMemoryNotificationInbox:
    """``NotificationInbox`` over ``NotificationTables``."""

    tables: NotificationTables

    def add(self, item: InboxItem) -> bool:
        """Store ``item`` unless its id is stored."""
        if item.id in self.tables.inbox:
            return False
        self.tables.inbox[item.id] = item
        return True

    def list(self, user_id: uuid.UUID, page: PageRequest, *, unread_only: bool) -> Page[InboxItem]:
        """The person's items, newest first."""
        found = [
            i
            for i in self.tables.inbox.values()
            if i.user_id == user_id and (not unread_only or i.unread)
        ]
        found.sort(key=lambda i: (i.created_at, str(i.id)), reverse=True)
        items = tuple(found[page.offset : page.offset + page.per_page])
        return Page(items, len(found), page)

    def unread(self, user_id: uuid.UUID) -> int:
        """How many of the person's items are unread."""
        return sum(1 for i in self.tables.inbox.values() if i.user_id == user_id and i.unread)

    def mark_read(self, user_id: uuid.UUID, item_id: uuid.UUID, at: datetime) -> InboxItem:
        """Mark the item read, or ``NotFound``."""
        item = self.tables.inbox.get(item_id)
        if item is None or item.user_id != user_id:
            raise NotFound(f"notification {item_id} not found")
        if item.read_at is None:
            item = attrs.evolve(item, read_at=at)
            self.tables.inbox[item_id] = item
        return item

    def mark_all_read(self, user_id: uuid.UUID, at: datetime) -> int:
        """Mark every unread item of the person read."""
        unread = [i for i in self.tables.inbox.values() if i.user_id == user_id and i.unread]
        for item in unread:
            self.tables.inbox[item.id] = attrs.evolve(item, read_at=at)
        return len(unread)


@attrs.define
class InMemoryDeliveryLog:
    """``DeliveryLog`` over ``NotificationTables``."""

    tables: NotificationTables

    def add(self, delivery: Delivery) -> bool:
        """Store a new record unless the (event, channel) has one."""
        key = (delivery.event_id, delivery.channel)
        if key in self.tables.deliveries:
            return False
        self.tables.deliveries[key] = delivery
        return True

    def update(self, delivery: Delivery) -> None:
        """Replace the record of the (event, channel)."""
        key = (delivery.event_id, delivery.channel)
        if key not in self.tables.deliveries:
            raise NotFound(f"no delivery of {delivery.event_id} on {delivery.channel}")
        self.tables.deliveries[key] = delivery

    def get(self, event_id: uuid.UUID, channel: Channel) -> Delivery | None:
        """The record of the (event, channel)."""
        return self.tables.deliveries.get((event_id, channel))

    def due(self, now: datetime, limit: int) -> Sequence[Delivery]:
        """Held deliveries due by ``now``, soonest first."""
        found = [
            d
            for d in self.tables.deliveries.values()
            if d.state is DeliveryState.HELD and d.due_at is not None and d.due_at <= now
        ]
        found.sort(key=lambda d: (d.due_at or now, str(d.event_id), d.channel.value))
        return found[:limit]

    def digest_users(self, limit: int) -> Sequence[uuid.UUID]:
        """People with deliveries kept for a digest, by id."""
        people = {
            d.user_id for d in self.tables.deliveries.values() if d.state is DeliveryState.DIGEST
        }
        return sorted(people, key=str)[:limit]

    def digests(self, user_id: uuid.UUID) -> Sequence[Delivery]:
        """The person's deliveries kept for a digest, oldest first."""
        found = [
            d
            for d in self.tables.deliveries.values()
            if d.user_id == user_id and d.state is DeliveryState.DIGEST
        ]
        found.sort(key=lambda d: (d.event.created_at, str(d.event_id), d.channel.value))
        return found


class InMemoryNotificationSession(TableSession[NotificationTables]):
    """One unit of work's view of the notification tables: a copy, published on commit."""

    def __init__(self, committed: NotificationTables | None = None) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        super().__init__(committed or NotificationTables())
        self.notification_preferences = InMemoryNotificationPreferences(self.tables)
        self.inbox = InMemoryNotificationInbox(self.tables)
        self.deliveries = InMemoryDeliveryLog(self.tables)

    def check(self, store: NotificationTables) -> None:
        """Raise ``Conflict`` where the store refuses new rows, as PostgreSQL's keys would."""
        for key in self.tables.inbox.keys() - self._before.inbox.keys():
            if key in store.inbox:
                raise Conflict(f"notification {key} was stored meanwhile")
        for pair in self.tables.deliveries.keys() - self._before.deliveries.keys():
            if pair in store.deliveries:
                raise Conflict(f"the delivery of {pair[0]} on {pair[1]} was stored meanwhile")


@attrs.define
class RecordingNotifier:
    """A ``Notifier`` fake for one channel: records what it was asked to send.

    Set ``failure`` to an error to make every push raise it (``UpstreamUnavailable`` to test
    retries, ``UpstreamRejected`` to test giving up).
    """

    channel: Channel
    sent: list[tuple[Recipient, OutgoingNotification]] = attrs.field(factory=list)
    failure: JobrakerError | None = None

    def deliver(self, recipient: Recipient, notification: OutgoingNotification) -> None:
        """Record the push, or raise ``failure``."""
        if self.failure is not None:
            raise self.failure
        self.sent.append((recipient, notification))
