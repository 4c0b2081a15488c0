"""In-memory notification outbox and cost ledger: the reference semantics of migration 0019."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from jobraker_adapters.memory.tables import TableSession
from jobraker_core.errors import Conflict
from jobraker_core.notifications.events import NotificationEvent
from jobraker_core.usage import UsageEntry, UsageKind, UsageTotal


@attrs.define
class OutboxTables:
    """Stored notification events (with when each was dispatched) and usage entries."""

    events: dict[uuid.UUID, NotificationEvent] = attrs.field(factory=dict)
    dispatched: dict[uuid.UUID, datetime] = attrs.field(factory=dict)
    usage: dict[uuid.UUID, UsageEntry] = attrs.field(factory=dict)

    def of_user(self, user_id: uuid.UUID) -> dict[str, list[object]]:
        """The user's rows, one export section per table."""
        events = [e for e in self.events.values() if e.user_id == user_id]
        return {
            "notification_events": list(events),
            "usage": [u for u in self.usage.values() if u.user_id == user_id],
        }

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete the user's events and usage entries; return how many rows went."""
        events = [k for k, e in self.events.items() if e.user_id == user_id]
        usage = [k for k, u in self.usage.items() if u.user_id == user_id]
        for key in events:
            del self.events[key]
            self.dispatched.pop(key, None)
        for key in usage:
            del self.usage[key]
        return len(events) + len(usage)

    def copy(self) -> OutboxTables:
        """A copy whose dictionaries can change without touching these."""
        return OutboxTables(dict(self.events), dict(self.dispatched), dict(self.usage))


def _same_event(a: NotificationEvent, b: NotificationEvent) -> bool:
    return (a.user_id, a.kind, a.dedupe_key) == (b.user_id, b.kind, b.dedupe_key)


@attrs.define
class InMemoryNotificationOutbox:
    """``NotificationOutbox`` over ``OutboxTables``."""

    tables: OutboxTables

    def add(self, event: NotificationEvent) -> bool:
        """Store ``event`` unless the same (user, kind, dedupe key) is stored already."""
        if any(_same_event(event, other) for other in self.tables.events.values()):
            return False
        self.tables.events[event.id] = event
        return True

    def pending(self, limit: int) -> Sequence[NotificationEvent]:
        """Undelivered events, oldest first."""
        waiting = [e for e in self.tables.events.values() if e.id not in self.tables.dispatched]
        waiting.sort(key=lambda e: (e.created_at, str(e.id)))
        return waiting[:limit]

    def mark_dispatched(self, event_id: uuid.UUID, at: datetime) -> None:
        """Record the delivery of ``event_id`` (a second mark keeps the first time)."""
        if event_id in self.tables.events:
            self.tables.dispatched.setdefault(event_id, at)


@attrs.define
class InMemoryUsageLedger:
    """``UsageLedger`` over ``OutboxTables``."""

    tables: OutboxTables

    def record(self, entry: UsageEntry) -> None:
        """Add ``entry``."""
        self.tables.usage[entry.id] = entry

    def totals(self, user_id: uuid.UUID, *, since: datetime | None = None) -> Sequence[UsageTotal]:
        """Sums per kind of what ``user_id`` spent since ``since``."""
        quantity: dict[UsageKind, int] = defaultdict(int)
        cost: dict[UsageKind, Decimal] = defaultdict(Decimal)
        for entry in self.tables.usage.values():
            if entry.user_id == user_id and (since is None or entry.recorded_at >= since):
                quantity[entry.kind] += entry.quantity
                cost[entry.kind] += entry.cost_usd
        return [
            UsageTotal(kind, quantity[kind], cost[kind]) for kind in UsageKind if kind in quantity
        ]

    def for_subject(self, user_id: uuid.UUID, subject: str) -> Sequence[UsageEntry]:
        """The entries of ``user_id`` for ``subject``, oldest first."""
        found = [
            e for e in self.tables.usage.values() if e.user_id == user_id and e.subject == subject
        ]
        return sorted(found, key=lambda e: (e.recorded_at, str(e.id)))


class InMemoryOutboxSession(TableSession[OutboxTables]):
    """One unit of work's view of the outbox tables: a copy, published on commit."""

    def __init__(self, committed: OutboxTables | None = None) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        super().__init__(committed or OutboxTables())
        self.notifications = InMemoryNotificationOutbox(self.tables)
        self.usage = InMemoryUsageLedger(self.tables)

    def check(self, store: OutboxTables) -> None:
        """Raise ``Conflict`` where the store refuses new events, as PostgreSQL would."""
        for event_id, event in self.tables.events.items():
            if event_id in self._before.events:
                continue
            if event_id in store.events or any(
                _same_event(event, other) for other in store.events.values()
            ):
                raise Conflict(f"notification event {event.dedupe_key} was stored meanwhile")
