"""New jobs become NEW_MATCH events: saved-search hits and jobs above a score threshold."""

from __future__ import annotations

import uuid
from datetime import timedelta

from notification_world import NOW, job, notifier, person, set_preferences, world

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_core.jobs.ingestion import IngestionCounts
from jobraker_core.jobs.model import JobQuery
from jobraker_core.matching.use_cases import CreateSavedSearchCommand, UploadResumeCommand
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import Channel, NotificationPreferences
from jobraker_core.pagination import PageRequest
from jobraker_workers.matching_tasks import execute_saved_search_refresh
from jobraker_workers.notification_tasks import (
    AFTER_INGESTION_TASK,
    DIGEST_TASK,
    DISPATCH_TASK,
    queue_after_ingestion,
    scheduled_tasks,
)

BACKEND = "Requirements:\n- Python and Django\n- PostgreSQL\n"


def _store(container, *jobs):
    with container.uow()() as uow:
        uow.jobs.save(list(jobs))
        uow.commit()


def _events(container):
    with container.uow()() as uow:
        return list(uow.outbox_tables.events.values())


def test_each_new_hit_of_a_saved_search_is_one_event_however_often_refreshed():
    """A refresh adds one NEW_MATCH per (search, job); a second refresh adds none."""
    container = world()
    container.clock().set(NOW - timedelta(days=1))
    alice = person(container)
    search = container.create_saved_search()(
        CreateSavedSearchCommand(alice, "Python", JobQuery(text="python"))
    )
    _store(
        container,
        job(number=1),
        job(number=2, title="Python Engineer"),
        job(number=3, title="Nurse", description="Care"),
    )
    container.clock().set(NOW)
    assert execute_saved_search_refresh(container, "run-1")["new_hits"] == 2
    events = _events(container)
    assert {e.dedupe_key for e in events} == {
        f"search:{search.id}:{uuid.UUID(int=1001)}",
        f"search:{search.id}:{uuid.UUID(int=1002)}",
    }
    assert {e.kind for e in events} == {NotificationKind.NEW_MATCH}
    assert all(e.title.startswith("New job for “Python”: ") for e in events)
    # the refresh asked for a dispatch now; a second refresh finds nothing new
    assert [t.task for t in container.task_queue().tasks] == [DISPATCH_TASK]
    execute_saved_search_refresh(container, "run-2")
    assert len(_events(container)) == 2
    container.dispatch_notifications()()
    assert len(notifier(container, Channel.WEBSOCKET).sent) == 2
    page = container.list_notifications()(alice, PageRequest(), unread_only=True)
    assert {i.data["job_id"] for i in page.page.items} == {
        str(uuid.UUID(int=1001)),
        str(uuid.UUID(int=1002)),
    }


def test_jobs_above_the_threshold_notify_once_and_others_do_not():
    """With match_threshold set, strong new jobs notify (once); without it, nothing."""
    container = world()
    alice, bob = person(container), person(container)
    for someone in (alice, bob):
        container.upload_resume()(UploadResumeCommand(someone, SAMPLE_TEXT.encode(), "cv.txt"))
    set_preferences(container, NotificationPreferences(alice, match_threshold=1.0))
    set_preferences(container, NotificationPreferences(bob, match_threshold=100.0))
    _store(
        container,
        job(number=1, description=BACKEND),
        job(number=2, title="Nurse", description="Patient care"),
    )
    container.embed_jobs()()
    since = NOW - timedelta(minutes=1)
    added = container.notify_strong_matches()(since)
    events = _events(container)
    assert added == len(events) >= 1
    assert {e.user_id for e in events} == {alice}
    assert all(e.dedupe_key.startswith("score:") for e in events)
    assert container.notify_strong_matches()(since) == 0
    assert container.notify_strong_matches()(NOW + timedelta(minutes=1)) == 0  # nothing new since


def test_the_worker_hooks_queue_the_right_tasks():
    """Ingestions with new or changed jobs queue the after-ingestion pass; the ticker's tasks."""
    container = world()
    queue_after_ingestion(container, "r1", IngestionCounts())
    assert container.task_queue().tasks == []
    queue_after_ingestion(container, "r1", IngestionCounts(fetched=1, updated=1))
    (task,) = container.task_queue().tasks
    assert (task.task, task.args, task.job_id) == (
        AFTER_INGESTION_TASK,
        ("r1",),
        "strong-matches-r1",
    )
    assert scheduled_tasks(7) == [(DISPATCH_TASK, "notifications-7")]
    assert scheduled_tasks(15) == [(DISPATCH_TASK, "notifications-15"), (DIGEST_TASK, "digests-15")]


def test_the_ticker_enqueues_the_dispatch_every_minute_even_without_schedules():
    """With ``periodic`` and no schedules, each minute queues the dispatch (digests at :00)."""
    from jobraker_adapters.memory import FixedClock, InMemoryTaskQueue  # noqa: PLC0415 - only here
    from jobraker_workers.scheduler import ScheduleTicker  # noqa: PLC0415 - only here

    queue = InMemoryTaskQueue()
    clock = FixedClock(NOW)  # 12:00, a quarter hour
    ticker = ScheduleTicker(queue, clock, periodic=scheduled_tasks, ingestions=False)
    assert ticker.tick() is None
    clock.advance(minutes=1)
    ticker.tick()
    assert [t.task for t in queue.tasks] == [DISPATCH_TASK, DIGEST_TASK, DISPATCH_TASK]
    assert all(t.args == (t.job_id,) for t in queue.tasks)
