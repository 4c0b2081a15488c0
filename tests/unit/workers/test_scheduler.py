"""Scheduled ingestion: one run per schedule and slot, and the minute ticker."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory import InMemoryJobSource, InMemoryTaskQueue
from jobraker_adapters.settings import Schedule, Settings
from jobraker_core.jobs.ingestion import RunStatus, SourceSpec
from jobraker_core.jobs.use_cases import RUN_INGESTION_TASK
from jobraker_workers.scheduler import (
    SCHEDULE_TASK,
    ScheduleTicker,
    minutes_since_epoch,
    queue_due_ingestions,
    schedule_key,
    slot_of,
)
from jobraker_workers.tasks import execute_schedules

HOURLY = Schedule(name="demo-hourly", kind="demo", params=(), every_minutes=60)
QUARTERLY = Schedule(name="demo-15", kind="demo", params=(("lang", "en"),), every_minutes=15)


def _container(*schedules):
    container = build_memory_container(
        Settings(data_dir=Path("/nonexistent/jobraker"), schedules=schedules)
    )
    container.job_sources().sources = {"demo": InMemoryJobSource()}
    container.clock().set(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    return container


def test_minutes_since_epoch_counts_whole_minutes():
    """The epoch is minute 0 and seconds within a minute do not count."""
    assert minutes_since_epoch(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert minutes_since_epoch(datetime(1970, 1, 1, 1, 2, 59, tzinfo=UTC)) == 62


def test_slot_changes_every_every_minutes():
    """Every instant of a slot shares its number; the next slot starts after every_minutes."""
    start = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert slot_of(HOURLY, start) == slot_of(HOURLY, start + timedelta(minutes=59, seconds=59))
    assert slot_of(HOURLY, start + timedelta(minutes=60)) == slot_of(HOURLY, start) + 1
    assert schedule_key(HOURLY, start) == f"demo-hourly:{minutes_since_epoch(start) // 60}"


def test_each_slot_queues_one_run():
    """Ticking twice in a slot queues one run; the next slot queues another."""
    container = _container(HOURLY)
    queue = container.queue_ingestion()
    now = container.clock().now()
    first = queue_due_ingestions(queue, [HOURLY], now)
    again = queue_due_ingestions(queue, [HOURLY], now + timedelta(minutes=30))
    later = queue_due_ingestions(queue, [HOURLY], now + timedelta(minutes=60))
    assert len(first) == 1
    assert again == []
    assert len(later) == 1
    assert first[0].schedule_key != later[0].schedule_key
    assert [task.task for task in container.task_queue().tasks] == [RUN_INGESTION_TASK] * 2


def test_several_schedulers_queue_a_slot_once():
    """Two workers ticking the same minute share the database, so the slot runs once."""
    container = _container(HOURLY)
    now = container.clock().now()
    runs = [
        *queue_due_ingestions(container.queue_ingestion(), [HOURLY], now),
        *queue_due_ingestions(container.queue_ingestion(), [HOURLY], now),
    ]
    assert len(runs) == 1
    assert len(container.task_queue().tasks) == 1


def test_runs_carry_the_schedule_source_and_key():
    """A scheduled run ingests the schedule's source under the slot's key."""
    container = _container(QUARTERLY)
    now = container.clock().now()
    (run,) = queue_due_ingestions(container.queue_ingestion(), [QUARTERLY], now)
    assert run.source == SourceSpec("demo", (("lang", "en"),))
    assert run.schedule_key == schedule_key(QUARTERLY, now)
    assert run.status is RunStatus.QUEUED


def test_a_broken_schedule_does_not_stop_the_others():
    """A schedule naming an unknown source is skipped; the others are still queued."""
    broken = Schedule(name="nope", kind="no-such-source", params=(), every_minutes=5)
    container = _container(broken, HOURLY)
    runs = queue_due_ingestions(
        container.queue_ingestion(), [broken, HOURLY], container.clock().now()
    )
    assert [run.schedule_key.split(":")[0] for run in runs] == ["demo-hourly"]


def test_queue_down_skips_the_slot_until_the_next_tick():
    """With the queue down no run is left queued, and the next tick in the slot queues it."""
    container = _container(HOURLY)
    container.task_queue().down = True
    now = container.clock().now()
    assert queue_due_ingestions(container.queue_ingestion(), [HOURLY], now) == []
    container.task_queue().down = False
    # The failed attempt holds the slot's key (its run is recorded failed), so it is not redone.
    assert queue_due_ingestions(container.queue_ingestion(), [HOURLY], now) == []
    assert (
        len(queue_due_ingestions(container.queue_ingestion(), [HOURLY], now + timedelta(hours=1)))
        == 1
    )


def test_schedule_task_uses_the_configured_schedules():
    """The periodic task queues every configured schedule that is due, and nothing without any."""
    assert execute_schedules(_container()) == 0
    container = _container(HOURLY, QUARTERLY)
    assert execute_schedules(container) == 2
    assert execute_schedules(container) == 0


def test_tick_enqueues_one_job_per_minute():
    """The ticker's job id names the minute, so ticks within a minute are one job."""
    container = _container(HOURLY)
    queue = InMemoryTaskQueue()
    ticker = ScheduleTicker(queue, container.clock())
    first = ticker.tick()
    container.clock().advance(seconds=30)
    ticker.tick()
    container.clock().advance(seconds=30)
    second = ticker.tick()
    assert [task.job_id for task in queue.tasks] == [first, second]
    assert {task.task for task in queue.tasks} == {SCHEDULE_TASK}
    assert all(task.args == () for task in queue.tasks)


def test_tick_survives_a_queue_that_is_down():
    """A tick that cannot reach the queue is skipped, not fatal."""
    container = _container(HOURLY)
    ticker = ScheduleTicker(InMemoryTaskQueue(down=True), container.clock())
    assert ticker.tick() is None


def test_ticker_waits_until_the_next_minute_boundary():
    """The thread sleeps until the next whole minute."""
    container = _container(HOURLY)
    container.clock().set(datetime(2026, 1, 15, 12, 0, 45, 500_000, tzinfo=UTC))
    assert ScheduleTicker(InMemoryTaskQueue(), container.clock()).seconds_to_next_minute() == 14.5


def test_ticker_thread_ticks_at_start_and_stops_on_request():
    """Started, the thread ticks at once; stopped, it ends without waiting for the minute."""
    container = _container(HOURLY)
    queue = InMemoryTaskQueue()
    ticker = ScheduleTicker(queue, container.clock())
    ticker.start()
    ticker.stop(timeout=10)
    assert not ticker.running
    assert len(queue.tasks) == 1
