"""Reminders reach the person: each due reminder becomes one notification, once."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from application_builders import T0, make_person
from jobraker_adapters.container import build_memory_container
from jobraker_core.applications.model import Reminder, Status, Tracking
from jobraker_core.applications.reminders import NotifyDueReminders
from jobraker_core.applications.use_cases import TrackCommand, UpdateCommand
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import Channel, NotificationPreferences
from jobraker_workers.application_tasks import execute_tick


def reminders_sent(world, user_id):
    """The person's ``reminder_due`` notification events."""
    with world.uow() as uow:
        events = uow.outbox_tables.events.values()
        return [
            e for e in events if e.user_id == user_id and e.kind is NotificationKind.REMINDER_DUE
        ]


def tracked(world, *reminders):
    """A person with an application tracked by hand carrying ``reminders``; (person, app)."""
    person = make_person(world.uow)
    app = world.track()(TrackCommand(person.user_id, "Engineer", "Acme", status=Status.SUBMITTED))
    app = world.update()(UpdateCommand(person.user_id, app.id, reminders=tuple(reminders)))
    return person, app


def test_the_model_knows_which_reminders_are_due_and_when_the_next_is():
    """Due means its time has come and nobody was told; marking keeps the others waiting."""
    early, late = Reminder(T0, "call back"), Reminder(T0 + timedelta(days=2), "follow up")
    notes = Tracking(reminders=(early, late))
    assert notes.next_reminder_at == T0
    assert notes.due_reminders(T0 - timedelta(seconds=1)) == ()
    assert notes.due_reminders(T0) == (early,)
    marked = notes.reminded(T0 + timedelta(hours=1))
    assert marked.reminders[0].notified_at == T0 + timedelta(hours=1)
    assert marked.reminders[1].notified_at is None
    assert marked.next_reminder_at == T0 + timedelta(days=2)
    assert marked.due_reminders(T0 + timedelta(hours=2)) == ()
    assert marked.reminded(T0 + timedelta(days=3)).next_reminder_at is None


def test_rewritten_notes_keep_a_reminders_id_and_its_notification():
    """The same reminder sent again keeps its id and state; a moved one is a new reminder."""
    sent = Tracking(reminders=(Reminder(T0, "call back"),)).reminded(T0)
    rewritten = Tracking(
        reminders=(Reminder(T0, "call back"), Reminder(T0 + timedelta(days=1), "call back"))
    ).keeping_reminders_of(sent)
    assert rewritten.reminders[0] == sent.reminders[0]
    assert rewritten.reminders[1].id != sent.reminders[0].id
    assert rewritten.reminders[1].notified_at is None


def test_a_due_reminder_notifies_once_with_its_id_as_dedupe_key(world):
    """Due: one event keyed by the reminder's id, the reminder marked, an event in the history."""
    reminder = Reminder(T0 + timedelta(hours=1), "send the portfolio")
    later = Reminder(T0 + timedelta(days=1), "ask about the decision")
    person, app = tracked(world, reminder, later)
    stored_ids = [r.id for r in app.tracking.reminders]
    notify = NotifyDueReminders(world.uow, world.clock)
    assert notify() == 0  # not due yet
    world.clock.advance(hours=2)
    assert notify() == 1
    (event,) = reminders_sent(world, person.user_id)
    assert event.dedupe_key == str(stored_ids[0])
    assert event.body == "send the portfolio"
    assert event.data["application_id"] == str(app.id)
    assert notify() == 0  # the tick again: nothing new
    with world.uow() as uow:
        current = uow.applications.by_id(app.id)
        history = uow.applications.events(person.user_id, app.id)
    assert current.tracking.reminders[0].notified_at == world.clock.now()
    assert current.tracking.reminders[1].notified_at is None
    assert history[-1].reason == "reminder sent"
    world.clock.advance(days=1)
    assert notify() == 1
    assert len(reminders_sent(world, person.user_id)) == 2


def test_editing_the_notes_never_notifies_a_reminder_again(world):
    """A PUT of the same reminders after it was notified keeps it notified."""
    person, app = tracked(world, Reminder(T0 + timedelta(minutes=5), "call Bob"))
    world.clock.advance(minutes=10)
    assert NotifyDueReminders(world.uow, world.clock)() == 1
    world.update()(
        UpdateCommand(
            person.user_id,
            app.id,
            notes="rewritten",
            reminders=(Reminder(T0 + timedelta(minutes=5), "call Bob"),),
            replace_tracking=True,
        )
    )
    assert NotifyDueReminders(world.uow, world.clock)() == 0
    assert len(reminders_sent(world, person.user_id)) == 1


def test_concurrent_ticks_notify_each_reminder_once(world):
    """Eight ticks at once on two applications: exactly one event per reminder."""
    first, _ = tracked(world, Reminder(T0, "one"), Reminder(T0, "two"))
    second, _ = tracked(world, Reminder(T0, "three"))
    world.clock.advance(minutes=1)
    barrier = threading.Barrier(8)

    def tick() -> int:
        barrier.wait()
        return NotifyDueReminders(world.uow, world.clock)()

    with ThreadPoolExecutor(8) as pool:
        added = list(pool.map(lambda _: tick(), range(8)))
    assert sum(added) == 3
    assert len(reminders_sent(world, first.user_id)) == 2
    assert len(reminders_sent(world, second.user_id)) == 1


def test_reminders_are_a_kind_with_every_channel_by_default():
    """``reminder_due`` goes in-app, over the WebSocket and by e-mail unless turned off."""
    prefs = NotificationPreferences.default(uuid.uuid4())
    assert prefs.channels_for(NotificationKind.REMINDER_DUE) == tuple(Channel)


def test_the_minute_tick_notifies_due_reminders():
    """The worker's applications tick reports and adds the reminders it notified."""
    container = build_memory_container()
    person = make_person(container.uow())
    now = container.clock().now()
    app = container.track_application()(TrackCommand(person.user_id, "Engineer", "Acme"))
    container.update_application()(
        UpdateCommand(person.user_id, app.id, reminders=(Reminder(now, "prepare"),))
    )
    assert execute_tick(container)["reminded"] == 1
    assert execute_tick(container)["reminded"] == 0
    with container.uow()() as uow:
        kinds = [e.kind for e in uow.outbox_tables.events.values() if e.user_id == person.user_id]
    assert kinds.count(NotificationKind.REMINDER_DUE) == 1


def test_a_withdrawn_applications_reminders_are_dropped_not_sent(world):
    """After a withdrawal its due reminders send nothing, are marked, and the history says so."""
    person, app = tracked(world, Reminder(T0 + timedelta(minutes=5), "follow up"))
    world.withdraw()(person.user_id, app.id)
    world.clock.advance(minutes=10)
    notify = NotifyDueReminders(world.uow, world.clock)
    assert notify() == 0
    assert reminders_sent(world, person.user_id) == []
    with world.uow() as uow:
        current = uow.applications.by_id(app.id)
        history = uow.applications.events(person.user_id, app.id)
    assert current.status is Status.WITHDRAWN
    assert current.tracking.reminders[0].notified_at == world.clock.now()
    assert history[-1].reason == "reminders dropped: the application was withdrawn"
    assert notify() == 0
