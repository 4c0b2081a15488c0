"""The RQ task functions of applications, on the memory container."""

from __future__ import annotations

import pytest
from dependency_injector import providers

from application_builders import ScriptedSubmitter, make_person
from jobraker_adapters.container import build_memory_container
from jobraker_core.applications.model import Mode, Status
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_core.applications.submission import RunState
from jobraker_core.applications.use_cases import ApplyCommand
from jobraker_core.errors import UpstreamUnavailable
from jobraker_workers.application_tasks import (
    TICK_TASK,
    execute_cancel,
    execute_submit,
    execute_tick,
    with_application_tasks,
)


@pytest.fixture
def container():
    """A memory container with a scripted submitter."""
    built = build_memory_container()
    built.application_submitter.override(providers.Singleton(ScriptedSubmitter))
    return built


def queued(container):
    """An approved, queued application; its id."""
    person = make_person(container.uow())
    with container.uow()() as uow:
        now = container.clock().now()
        uow.application_settings.put_answer(
            BankAnswer(person.user_id, Topic.YEARS_EXPERIENCE, "7", now)
        )
        uow.commit()
    app = container.apply_to_job()(ApplyCommand(person.user_id, person.job.id, Mode.AUTO))
    container.approve_application()(person.user_id, app.id, app.packet.digest())
    return person, app


def test_the_ticker_gets_the_applications_tick_every_minute():
    """The worker's periodic tasks gain the tick, one job id per minute."""
    periodic = with_application_tasks(lambda minute: [("other.task", f"other-{minute}")])
    assert periodic(7) == [("other.task", "other-7"), (TICK_TASK, "application-tick-7")]


def test_a_bad_id_is_dropped():
    """A malformed id is logged and the task ends."""
    assert execute_submit(build_memory_container(), "nope") is None
    assert execute_cancel(build_memory_container(), "nope") is False


def test_an_unreachable_submitter_without_retries_leaves_the_claim_for_the_reconciler(container):
    """The last try gives up quietly; the application stays claimed, found again later."""
    person, app = queued(container)
    container.application_submitter().fail_submit = UpstreamUnavailable("down", service="skyvern")
    assert execute_submit(container, str(app.id)) is None
    assert container.get_application()(person.user_id, app.id).status is Status.SUBMITTING
    container.application_submitter().fail_submit = None
    container.clock().advance(minutes=11)
    assert execute_tick(container)["reconciled"] == 1
    job_ids = [t.job_id for t in container.task_queue().tasks]
    assert any(j.startswith(f"submit-{app.id}-r") for j in job_ids)
    assert execute_submit(container, str(app.id)) == "recorded"


def test_cancel_task_stops_a_withdrawn_run(container):
    """Withdrawn while running: the cancel task reaches the submitter."""
    container.application_submitter().outcome = RunState.RUNNING
    person, app = queued(container)
    execute_submit(container, str(app.id))
    container.withdraw_application()(person.user_id, app.id)
    assert execute_cancel(container, str(app.id)) is True
    assert container.application_submitter().cancelled


def test_a_submission_outcome_queues_a_notification_dispatch_at_once(container):
    """After a submit step the dispatch is queued, so the person hears of it without the tick."""
    _, app = queued(container)
    container.task_queue().take()
    assert execute_submit(container, str(app.id)) == "recorded"
    queued_tasks = [(t.task, t.job_id) for t in container.task_queue().tasks]
    assert (
        "jobraker_workers.notification_tasks.dispatch_notifications",
        f"notifications-application-{app.id}-recorded",
    ) in queued_tasks
