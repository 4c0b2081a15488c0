"""Notification preferences, inbox and delivery log, on the in-memory fakes and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import time, timedelta
from typing import TYPE_CHECKING

import pytest

from account_builders import T0, make_user
from jobraker_core.errors import NotFound
from jobraker_core.notifications.events import NotificationEvent, NotificationKind
from jobraker_core.notifications.model import (
    Channel,
    Delivery,
    DeliveryState,
    InboxItem,
    MatchDelivery,
    NotificationPreferences,
    QuietHours,
)
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


def _event(user_id: uuid.UUID, key: str, minutes: int = 0) -> NotificationEvent:
    return NotificationEvent(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=NotificationKind.NEW_MATCH,
        dedupe_key=key,
        title=f"Job {key}",
        body="Acme · London",
        created_at=T0 + timedelta(minutes=minutes),
        data={"job_id": key},
    )


def _stored(uow_factory: UnitOfWorkFactory, *events: NotificationEvent) -> None:
    with uow_factory() as uow:
        for event in events:
            uow.notifications.add(event)
        uow.commit()


def test_preferences_default_then_round_trip(uow_factory, user_id):
    """No row: the defaults; a saved document reads back equal; thresholds are listed."""
    with uow_factory() as uow:
        assert uow.notification_preferences.get(user_id) == NotificationPreferences.default(user_id)
        assert uow.notification_preferences.with_threshold() == []
    prefs = NotificationPreferences(
        user_id,
        channels={NotificationKind.NEW_MATCH: frozenset({Channel.IN_APP})},
        new_matches=MatchDelivery.DIGEST,
        digest_hour=7,
        timezone="Europe/Berlin",
        quiet_hours=QuietHours(time(22, 30), time(6)),
        match_threshold=75.0,
    )
    with uow_factory() as uow:
        uow.notification_preferences.save(prefs, T0)
        uow.commit()
    with uow_factory() as uow:
        assert uow.notification_preferences.get(user_id) == prefs
        assert uow.notification_preferences.with_threshold() == [prefs]


def test_inbox_lists_newest_first_pages_and_marks_read(uow_factory, user_id):
    """Items page newest first; unread filter; mark one and all; a stranger gets NotFound."""
    events = [_event(user_id, str(n), minutes=n) for n in range(5)]
    _stored(uow_factory, *events)
    with uow_factory() as uow:
        for event in events:
            assert uow.inbox.add(InboxItem.of(event))
        assert not uow.inbox.add(InboxItem.of(events[0]))
        uow.commit()
    with uow_factory() as uow:
        page = uow.inbox.list(user_id, PageRequest(page=1, per_page=2), unread_only=False)
        assert [i.title for i in page.items] == ["Job 4", "Job 3"]
        assert page.total == 5
        read = uow.inbox.mark_read(user_id, events[4].id, T0)
        assert read.read_at == T0
        again = uow.inbox.mark_read(user_id, events[4].id, T0 + timedelta(hours=1))
        assert again.read_at == T0
        with pytest.raises(NotFound):
            uow.inbox.mark_read(uuid.uuid4(), events[3].id, T0)
        uow.commit()
    with uow_factory() as uow:
        unread = uow.inbox.list(user_id, PageRequest(), unread_only=True)
        assert [i.title for i in unread.items] == ["Job 3", "Job 2", "Job 1", "Job 0"]
        assert uow.inbox.unread(user_id) == 4
        assert uow.inbox.mark_all_read(user_id, T0) == 4
        assert uow.inbox.unread(user_id) == 0
        empty = uow.inbox.list(user_id, PageRequest(page=3, per_page=10), unread_only=True)
        assert (empty.items, empty.total) == ((), 0)
        assert uow.inbox.list(user_id, PageRequest(page=9), unread_only=False).total == 5


def test_one_delivery_per_event_and_channel(uow_factory, user_id):
    """A second record for the same (event, channel) is refused; updates replace it."""
    event = _event(user_id, "a")
    _stored(uow_factory, event)
    held = Delivery(event, Channel.EMAIL, DeliveryState.HELD, T0, due_at=T0 + timedelta(hours=1))
    with uow_factory() as uow:
        assert uow.deliveries.add(held)
        assert not uow.deliveries.add(held.sent(T0))
        assert uow.deliveries.add(Delivery(event, Channel.WEBSOCKET, DeliveryState.SENT, T0))
        uow.commit()
    with uow_factory() as uow:
        assert uow.deliveries.get(event.id, Channel.EMAIL) == held
        assert uow.deliveries.due(T0, 10) == []
        assert uow.deliveries.due(T0 + timedelta(hours=1), 10) == [held]
        uow.deliveries.update(held.sent(T0 + timedelta(hours=1)))
        uow.commit()
    with uow_factory() as uow:
        found = uow.deliveries.get(event.id, Channel.EMAIL)
        assert (found.state, found.attempts, found.due_at) == (DeliveryState.SENT, 1, None)
        assert uow.deliveries.due(T0 + timedelta(days=1), 10) == []
        with pytest.raises(NotFound):
            uow.deliveries.update(
                Delivery(_event(user_id, "x"), Channel.EMAIL, DeliveryState.SENT, T0)
            )


def test_digest_deliveries_are_listed_by_person_oldest_first(uow_factory, user_id):
    """Deliveries kept for a digest come back per person in event order."""
    other = make_user(email="other@example.com")
    with uow_factory() as uow:
        uow.users.add(other)
        uow.commit()
    events = [_event(user_id, str(n), minutes=10 - n) for n in range(3)]
    _stored(uow_factory, *events)
    with uow_factory() as uow:
        for event in events:
            uow.deliveries.add(Delivery(event, Channel.EMAIL, DeliveryState.DIGEST, T0))
        uow.commit()
    with uow_factory() as uow:
        assert uow.deliveries.digest_users(10) == [user_id]
        assert [d.event.dedupe_key for d in uow.deliveries.digests(user_id)] == ["2", "1", "0"]
        assert uow.deliveries.digests(other.id) == []
        assert uow.deliveries.digests(user_id)[0].event == events[2]
