"""The dispatcher on the memory container: channels, no duplicates, quiet hours, retries, digest."""

from __future__ import annotations

from datetime import UTC, datetime, time

import attrs
import pytest
from notification_world import notifier, person, raise_event, set_preferences, world

from jobraker_core.errors import InvalidInput, NotFound, UpstreamRejected, UpstreamUnavailable
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import (
    Channel,
    DeliveryState,
    MatchDelivery,
    NotificationPreferences,
    QuietHours,
    UnsubscribeRequest,
)
from jobraker_core.pagination import PageRequest


def _deliveries(container):
    with container.uow()() as uow:
        return dict(uow.notification_tables.deliveries)


def test_an_event_reaches_the_inbox_the_socket_and_the_mailbox_once():
    """One event: one inbox item, one push per channel; re-adding and re-dispatching adds none."""
    container = world()
    alice = person(container, "alice@example.com")
    event = raise_event(container, alice)
    outcome = container.dispatch_notifications()()
    assert (outcome.events, outcome.inbox, outcome.sent) == (1, 1, 2)
    (socket_push,) = notifier(container, Channel.WEBSOCKET).sent
    (mail,) = notifier(container, Channel.EMAIL).sent
    assert socket_push[0].user_id == alice
    assert mail[0].email == "alice@example.com"
    assert mail[1].title == "Application submitted"
    assert mail[1].unsubscribe_url.startswith(
        "http://127.0.0.1:8000/api/v1/notifications/unsubscribe/?token="
    )
    # the same event again (same dedupe key) is dropped by the outbox; nothing is pending
    raise_event(container, alice)
    again = container.dispatch_notifications()()
    assert (again.events, again.sent) == (0, 0)
    assert len(notifier(container, Channel.EMAIL).sent) == 1
    page = container.list_notifications()(alice, PageRequest(), unread_only=False)
    assert [i.id for i in page.page.items] == [event.id]
    assert page.unread == 1


def test_a_delivery_record_stops_a_second_push_of_the_same_event():
    """Were an event dispatched twice (a replay), the (event, channel) records refuse repeats."""
    container = world()
    alice = person(container)
    event = raise_event(container, alice)
    container.dispatch_notifications()()
    with container.uow()() as uow:  # put the event back to pending, as a replay would
        del uow.outbox_tables.dispatched[event.id]
        uow.commit()
    outcome = container.dispatch_notifications()()
    assert outcome.events == 1
    assert outcome.sent == 0
    assert len(notifier(container, Channel.WEBSOCKET).sent) == 1


def test_channels_turned_off_are_skipped_and_the_inbox_can_be_off_too():
    """Preferences decide per kind: e-mail off sends no mail; in-app off stores no item."""
    container = world()
    alice = person(container)
    prefs = NotificationPreferences(
        alice,
        channels={NotificationKind.APPLICATION_STATUS: frozenset({Channel.WEBSOCKET})},
    )
    set_preferences(container, prefs)
    raise_event(container, alice)
    outcome = container.dispatch_notifications()()
    assert (outcome.inbox, outcome.sent) == (0, 1)
    assert notifier(container, Channel.EMAIL).sent == []


def test_quiet_hours_hold_pushes_but_fill_the_inbox_then_release_them():
    """At 23:00 with quiet 22:00-07:00: inbox now, pushes at 07:00, each once."""
    container = world()
    alice = person(container)
    set_preferences(
        container, NotificationPreferences(alice, quiet_hours=QuietHours(time(22), time(7)))
    )
    container.clock().set(datetime(2026, 1, 15, 23, 0, tzinfo=UTC))
    raise_event(container, alice)
    outcome = container.dispatch_notifications()()
    assert (outcome.inbox, outcome.held, outcome.sent) == (1, 2, 0)
    assert {d.due_at for d in _deliveries(container).values()} == {
        datetime(2026, 1, 16, 7, 0, tzinfo=UTC)
    }
    container.clock().set(datetime(2026, 1, 16, 6, 59, tzinfo=UTC))
    assert container.dispatch_notifications()().sent == 0
    container.clock().set(datetime(2026, 1, 16, 7, 0, tzinfo=UTC))
    assert container.dispatch_notifications()().sent == 2
    assert container.dispatch_notifications()().sent == 0
    assert len(notifier(container, Channel.EMAIL).sent) == 1


def test_a_channel_that_is_down_is_retried_with_back_off_then_sent():
    """A failed push waits one minute, then two; once the channel is back it goes out once."""
    container = world()
    alice = person(container)
    mail = notifier(container, Channel.EMAIL)
    mail.failure = UpstreamUnavailable("mail server down", service="smtp")
    raise_event(container, alice)
    first = container.dispatch_notifications()()
    assert (first.sent, first.held) == (1, 1)  # the socket push went; the mail waits
    (held,) = [d for d in _deliveries(container).values() if d.channel is Channel.EMAIL]
    assert held.attempts == 1
    assert held.due_at == container.clock().now().replace(minute=1)
    container.clock().advance(minutes=1)
    assert container.dispatch_notifications()().held == 1
    mail.failure = None
    container.clock().advance(minutes=2)
    assert container.dispatch_notifications()().sent == 1
    assert len(mail.sent) == 1


def test_a_refused_push_or_too_many_failures_give_up():
    """UpstreamRejected fails the delivery at once; five unavailable attempts fail it too."""
    container = world()
    alice = person(container)
    notifier(container, Channel.EMAIL).failure = UpstreamRejected("no such mailbox", service="smtp")
    socket = notifier(container, Channel.WEBSOCKET)
    socket.failure = UpstreamUnavailable("redis down", service="redis")
    raise_event(container, alice)
    container.dispatch_notifications()()
    for _ in range(6):
        container.clock().advance(hours=1)
        container.dispatch_notifications()()
    states = {d.channel: (d.state, d.attempts) for d in _deliveries(container).values()}
    assert states == {
        Channel.EMAIL: (DeliveryState.FAILED, 1),
        Channel.WEBSOCKET: (DeliveryState.FAILED, 5),
    }


def test_new_matches_in_digest_mode_go_out_once_a_day_in_one_message():
    """Digest at 08:00 UTC: matches of the day go out together after 08:00, once per channel."""
    container = world()
    alice = person(container)
    set_preferences(
        container, NotificationPreferences(alice, new_matches=MatchDelivery.DIGEST, digest_hour=8)
    )
    container.clock().set(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    for number in range(3):
        raise_event(
            container,
            alice,
            kind=NotificationKind.NEW_MATCH,
            key=f"s:{number}",
            title=f"Job {number}",
        )
        container.clock().advance(minutes=1)
    raise_event(container, alice)  # not a match: immediate as ever
    outcome = container.dispatch_notifications()()
    assert (outcome.inbox, outcome.digest, outcome.sent) == (4, 6, 2)
    assert container.send_digests()() == 0  # kept after today's 08:00: tomorrow's digest
    container.clock().set(datetime(2026, 1, 16, 8, 0, tzinfo=UTC))
    assert container.send_digests()() == 2
    mail = notifier(container, Channel.EMAIL).sent[-1][1]
    assert mail.digest
    assert mail.title == "3 new job matches"
    assert [line.split(":")[0] for line in mail.body.splitlines()] == [
        "- Job 0",
        "- Job 1",
        "- Job 2",
    ]
    assert container.send_digests()() == 0
    assert {d.state for d in _deliveries(container).values()} == {DeliveryState.SENT}


def test_one_click_unsubscribe_turns_off_one_kind_on_one_channel():
    """The mail's link turns e-mail off for that kind; later events of it send no mail."""
    container = world()
    alice = person(container)
    raise_event(container, alice)
    container.dispatch_notifications()()
    link = notifier(container, Channel.EMAIL).sent[0][1].unsubscribe_url
    token = link.split("token=", 1)[1]
    from urllib.parse import unquote  # noqa: PLC0415 - only here

    done = container.unsubscribe()(unquote(token))
    assert done == UnsubscribeRequest(alice, NotificationKind.APPLICATION_STATUS, Channel.EMAIL)
    assert container.unsubscribe()(unquote(token)) == done  # harmless twice
    raise_event(container, alice, key="b:submitted")
    container.dispatch_notifications()()
    assert len(notifier(container, Channel.EMAIL).sent) == 1
    assert len(notifier(container, Channel.WEBSOCKET).sent) == 2
    with pytest.raises(InvalidInput):
        container.unsubscribe()(unquote(token)[:-2] + "xx")


def test_the_inbox_lists_newest_first_and_marks_read():
    """Unread filter, mark one, mark all, and someone else's item is NotFound."""
    container = world()
    alice, bob = person(container), person(container)
    first = raise_event(container, alice, key="1")
    container.clock().advance(minutes=1)
    second = raise_event(container, alice, key="2")
    container.dispatch_notifications()()
    inbox = container.list_notifications()
    assert [i.id for i in inbox(alice, PageRequest(), unread_only=True).page.items] == [
        second.id,
        first.id,
    ]
    read = container.mark_notification_read()(alice, first.id)
    assert read.read_at == container.clock().now()
    assert [i.id for i in inbox(alice, PageRequest(), unread_only=True).page.items] == [second.id]
    with pytest.raises(NotFound):
        container.mark_notification_read()(bob, second.id)
    assert container.mark_all_notifications_read()(alice) == 1
    assert inbox(alice, PageRequest(), unread_only=False).unread == 0


def test_a_disabled_account_gets_no_pushes():
    """Pushes go to active accounts only (the inbox still records the event)."""
    container = world()
    alice = person(container)
    with container.uow()() as uow:
        user = uow.users.get(alice)
        from jobraker_core.accounts.model import UserStatus  # noqa: PLC0415 - only here

        uow.users.update(attrs.evolve(user, status=UserStatus.DISABLED))
        uow.commit()
    raise_event(container, alice)
    outcome = container.dispatch_notifications()()
    assert (outcome.inbox, outcome.sent) == (1, 0)
