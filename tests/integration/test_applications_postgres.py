"""Applications on the real PostgreSQL: the apply race, concurrent claims, webhook replays.

Many threads (and processes) hit one database at once; the database's unique index, row locks
and ``UPDATE ... WHERE status = 'queued'`` are what must keep every count at exactly one.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import attrs
import psycopg
import pytest
from dependency_injector import providers

from application_builders import ScriptedSubmitter, make_person
from jobraker_adapters.container import build_container
from jobraker_adapters.submitters.skyvern_webhook import SkyvernRunWebhook, sign
from jobraker_core.applications.model import Mode, Status
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_core.applications.ports import ApplicationFilter
from jobraker_core.applications.submission import RunState
from jobraker_core.applications.use_cases import ApplyCommand
from jobraker_core.errors import Conflict, Unauthenticated
from jobraker_core.pagination import PageRequest

pytestmark = pytest.mark.integration

KEY = "integration-skyvern-key"
APPLIERS = 50


def _scalar(database_url: str, query: str, *params: object) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def _apply_many(
    settings_kwargs: dict[str, object], user_id: str, job_id: str, count: int
) -> list[str]:
    """In a fresh process: ``count`` threads apply at once; return each one's outcome."""
    from jobraker_adapters.settings import Settings  # noqa: PLC0415 - in the child process

    container = build_container(Settings(**settings_kwargs))  # type: ignore[arg-type]
    container.apply_to_job()  # start the resources before the threads (not thread-safe)
    barrier = threading.Barrier(count)

    def apply() -> str:
        barrier.wait()
        try:
            app = container.apply_to_job()(
                ApplyCommand(uuid.UUID(user_id), uuid.UUID(job_id), Mode.AUTO)
            )
        except Conflict:
            return "conflict"
        except Exception as error:  # noqa: BLE001 - reported to the parent, which fails on it
            return f"error: {type(error).__name__}: {error}"
        return app.status.value

    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda _: apply(), range(count)))
    finally:
        container.shutdown_resources()


@pytest.fixture
def roomy(settings):
    """Settings with a pool big enough for the crowd."""
    return attrs.evolve(settings, db_pool_max=12, db_pool_timeout=30.0)


@pytest.fixture
def container(roomy, db, redis_client):
    """The production container on the clean test services."""
    built = build_container(roomy)
    try:
        yield built
    finally:
        built.shutdown_resources()


def _ready_person(container):
    person = make_person(container.uow())
    with container.uow()() as uow:
        uow.application_settings.put_answer(
            BankAnswer(person.user_id, Topic.YEARS_EXPERIENCE, "7", container.clock().now())
        )
        uow.commit()
    return person


def test_fifty_concurrent_applies_make_one_application_and_one_submission(container, roomy, db):
    """50 applies in 2 processes x 25 threads: 1 application; 10 concurrent submits: 1 run."""
    person = _ready_person(container)
    kwargs = {f.name: getattr(roomy, f.name) for f in attrs.fields(type(roomy)) if f.init}
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        results = pool.starmap(
            _apply_many,
            [(kwargs, str(person.user_id), str(person.job.id), APPLIERS // 2) for _ in range(2)],
        )
    outcomes = [o for chunk in results for o in chunk]
    assert [o for o in outcomes if o.startswith("error")] == []
    assert len(outcomes) == APPLIERS
    assert outcomes.count("pending_approval") == 1
    assert outcomes.count("conflict") == APPLIERS - 1
    assert _scalar(db, "SELECT count(*) FROM applications WHERE user_id = %s", person.user_id) == 1

    app = container.list_applications()(person.user_id, ApplicationFilter(), PageRequest()).items[0]
    container.approve_application()(person.user_id, app.id, app.packet.digest())
    barrier = threading.Barrier(10)

    def submit() -> str:
        barrier.wait()
        return container.submit_application()(app.id).value

    with ThreadPoolExecutor(10) as threads:
        submits = list(threads.map(lambda _: submit(), range(10)))
    assert submits.count("recorded") == 1
    assert set(submits) <= {"recorded", "skipped"}
    assert len(container.application_submitter()._runs) == 1
    assert (
        _scalar(db, "SELECT count(*) FROM application_events WHERE to_status = 'submitting'") == 1
    )
    settled = container.get_application()(person.user_id, app.id)
    assert settled.status is Status.SUBMITTED_UNVERIFIED  # a dry run: no confirmation
    assert settled.dry_run


@pytest.fixture
def webhook_container(container):
    """The container with a submitter whose runs keep going and a webhook reader for KEY."""
    container.application_submitter.override(
        providers.Singleton(ScriptedSubmitter, outcome=RunState.RUNNING)
    )
    container.run_webhook.override(providers.Object(SkyvernRunWebhook.of(KEY, "old-key")))
    return container


def _running(container):
    person = _ready_person(container)
    app = container.apply_to_job()(ApplyCommand(person.user_id, person.job.id, Mode.AUTO))
    container.approve_application()(person.user_id, app.id, app.packet.digest())
    container.submit_application()(app.id)
    running = container.get_application()(person.user_id, app.id)
    assert running.status is Status.SUBMITTING
    return person, running


def _body(run_id: str, status: str = "completed") -> bytes:
    return json.dumps(
        {
            "run_id": run_id,
            "task_id": run_id,
            "status": status,
            "output": {"confirmation_number": "Z-9"},
            "step_count": 5,
        },
        separators=(",", ":"),
    ).encode()


@pytest.mark.parametrize("concurrent", [False, True], ids=["sequential", "concurrent"])
def test_the_same_webhook_five_times_is_one_transition_and_one_notification(
    webhook_container, db, concurrent
):
    """5 replays (in a row, or at once): one move to submitted, one notification, steps once."""
    container = webhook_container
    person, app = _running(container)
    body = _body(app.run.run_id)
    headers = {"x-skyvern-signature": sign(body, KEY)}
    receive = container.receive_run_webhook()
    if concurrent:
        barrier = threading.Barrier(5)

        def deliver() -> str:
            barrier.wait()
            return receive(body, headers).outcome.value

        with ThreadPoolExecutor(5) as pool:
            outcomes = list(pool.map(lambda _: deliver(), range(5)))
    else:
        outcomes = [receive(body, headers).outcome.value for _ in range(5)]
    assert sorted(outcomes) == ["ignored"] * 4 + ["recorded"]
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM application_events "
            "WHERE application_id = %s AND to_status = 'submitted'",
            app.id,
        )
        == 1
    )
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM notification_events WHERE dedupe_key = %s",
            f"{app.id}:submitted",
        )
        == 1
    )
    assert (
        _scalar(db, "SELECT count(*) FROM usage_ledger WHERE subject = %s", f"application:{app.id}")
        == 1
    )

    older = _body(app.run.run_id, "running")
    assert receive(older, {"x-skyvern-signature": sign(older, KEY)}).outcome.value == "ignored"
    assert container.get_application()(person.user_id, app.id).status is Status.SUBMITTED


def test_a_bad_signature_changes_nothing_and_is_audited(webhook_container, db):
    """Wrong key: Unauthenticated, an audit row, the application untouched; the old key works."""
    container = webhook_container
    person, app = _running(container)
    body = _body(app.run.run_id)
    with pytest.raises(Unauthenticated):
        container.receive_run_webhook()(body, {"x-skyvern-signature": sign(body, "wrong")})
    assert container.get_application()(person.user_id, app.id).status is Status.SUBMITTING
    assert (
        _scalar(db, "SELECT count(*) FROM audit_log WHERE kind = 'webhook_signature_rejected'") == 1
    )
    rotated = container.receive_run_webhook()(body, {"x-skyvern-signature": sign(body, "old-key")})
    assert rotated.outcome.value == "recorded"


def test_the_outbox_relays_once_under_concurrent_relays(container, db, redis_client):
    """Three relays at once hand each pending task to RQ once (FOR UPDATE SKIP LOCKED)."""
    person = _ready_person(container)
    app = container.apply_to_job()(ApplyCommand(person.user_id, person.job.id, Mode.AUTO))
    container.task_queue().queue.empty()
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("UPDATE task_outbox SET relayed_at = NULL")
    container.approve_application()(person.user_id, app.id, app.packet.digest())
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("UPDATE task_outbox SET relayed_at = NULL")
    container.task_queue().queue.empty()
    barrier = threading.Barrier(3)

    def relay() -> int:
        barrier.wait()
        return container.relay_tasks()()

    with ThreadPoolExecutor(3) as pool:
        counts = list(pool.map(lambda _: relay(), range(3)))
    assert sum(counts) == _scalar(db, "SELECT count(*) FROM task_outbox")
    assert container.task_queue().queue.count == sum(counts)


def test_concurrent_reminder_ticks_notify_each_reminder_once(container, db):
    """Six ticks at once on PostgreSQL: one ``reminder_due`` event per reminder, all marked."""
    from jobraker_core.applications.model import Reminder  # noqa: PLC0415 - only this test
    from jobraker_core.applications.use_cases import TrackCommand, UpdateCommand  # noqa: PLC0415

    person = make_person(container.uow())
    due = container.clock().now() - timedelta(minutes=1)
    for title in ("One", "Two"):
        app = container.track_application()(TrackCommand(person.user_id, title, "Acme"))
        container.update_application()(
            UpdateCommand(
                person.user_id, app.id, reminders=(Reminder(due, "a"), Reminder(due, "b"))
            )
        )
    with container.uow()() as uow:  # another unit holding one row: the ticks skip it, not wait
        held = uow.applications.due_reminders(container.clock().now(), limit=1)
        assert len(held) == 1
        barrier = threading.Barrier(6)

        def tick() -> int:
            barrier.wait()
            return container.notify_due_reminders()()

        with ThreadPoolExecutor(6) as pool:
            added = list(pool.map(lambda _: tick(), range(6)))
        assert sum(added) == 2  # the free application's two reminders, once
    assert container.notify_due_reminders()() == 2  # the held one, once it is free
    assert container.notify_due_reminders()() == 0
    query = "SELECT count(*) FROM notification_events WHERE user_id = %s AND kind = 'reminder_due'"
    assert _scalar(db, query, person.user_id) == 4
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM applications WHERE user_id = %s AND next_reminder_at IS NULL",
            person.user_id,
        )
        == 2
    )
