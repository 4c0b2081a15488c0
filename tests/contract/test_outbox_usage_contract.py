"""The notification outbox and the cost ledger, on the in-memory fakes and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from account_builders import T0
from jobraker_core.notifications.events import NotificationEvent, NotificationKind
from jobraker_core.usage import UsageEntry, UsageKind

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


def event(user_id: uuid.UUID, key: str, minutes: int = 0) -> NotificationEvent:
    """An application-status event for ``user_id`` identified by ``key``."""
    return NotificationEvent(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=NotificationKind.APPLICATION_STATUS,
        dedupe_key=key,
        title="Application submitted",
        body="Your application to Acme was submitted.",
        created_at=T0 + timedelta(minutes=minutes),
        data={"application_id": key},
    )


def usage(user_id: uuid.UUID, kind: UsageKind, quantity: int, subject: str) -> UsageEntry:
    """A usage entry at T0."""
    return UsageEntry(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        quantity=quantity,
        cost_usd=Decimal("0.001") * quantity,
        subject=subject,
        recorded_at=T0,
        model="m",
    )


class TestNotificationOutbox:
    """Events are stored once, listed oldest first while pending, and leave when dispatched."""

    def test_the_same_event_is_stored_once(
        self, uow_factory: UnitOfWorkFactory, user_id: uuid.UUID
    ) -> None:
        """A second event with the same user, kind and dedupe key is refused without error."""
        with uow_factory() as uow:
            assert uow.notifications.add(event(user_id, "a"))
            uow.commit()
        with uow_factory() as uow:
            assert not uow.notifications.add(event(user_id, "a"))
            uow.commit()
        with uow_factory() as uow:
            assert [e.dedupe_key for e in uow.notifications.pending(10)] == ["a"]

    def test_pending_is_oldest_first_and_dispatched_events_leave(
        self, uow_factory: UnitOfWorkFactory, user_id: uuid.UUID
    ) -> None:
        """Pending events come oldest first; a dispatched one is no longer pending."""
        with uow_factory() as uow:
            second, first = event(user_id, "b", minutes=5), event(user_id, "a")
            uow.notifications.add(second)
            uow.notifications.add(first)
            uow.commit()
        with uow_factory() as uow:
            pending = uow.notifications.pending(10)
            assert [e.dedupe_key for e in pending] == ["a", "b"]
            assert pending[0] == first
            uow.notifications.mark_dispatched(first.id, T0)
            uow.commit()
        with uow_factory() as uow:
            assert [e.dedupe_key for e in uow.notifications.pending(10)] == ["b"]

    def test_an_uncommitted_event_is_not_stored(
        self, uow_factory: UnitOfWorkFactory, user_id: uuid.UUID
    ) -> None:
        """Leaving the unit without commit drops the event with the rest of the transaction."""
        with uow_factory() as uow:
            uow.notifications.add(event(user_id, "a"))
        with uow_factory() as uow:
            assert uow.notifications.pending(10) == []


class TestUsageLedger:
    """Spending is summed per kind and listed per subject."""

    def test_totals_and_subjects(self, uow_factory: UnitOfWorkFactory, user_id: uuid.UUID) -> None:
        """Totals add up per kind; for_subject lists only that subject's entries."""
        with uow_factory() as uow:
            uow.usage.record(usage(user_id, UsageKind.PROMPT_TOKENS, 100, "message:1"))
            uow.usage.record(usage(user_id, UsageKind.PROMPT_TOKENS, 50, "message:2"))
            uow.usage.record(usage(user_id, UsageKind.AUTOMATION_STEPS, 7, "application:1"))
            uow.commit()
        with uow_factory() as uow:
            totals = {t.kind: (t.quantity, t.cost_usd) for t in uow.usage.totals(user_id)}
            assert totals == {
                UsageKind.PROMPT_TOKENS: (150, Decimal("0.150")),
                UsageKind.AUTOMATION_STEPS: (7, Decimal("0.007")),
            }
            assert [e.quantity for e in uow.usage.for_subject(user_id, "message:2")] == [50]
            assert uow.usage.totals(user_id, since=T0 + timedelta(days=1)) == []
