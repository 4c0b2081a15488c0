"""A small world for the applications use cases: memory storage, a clock, a queue, a submitter."""

from __future__ import annotations

import attrs
import pytest

from application_builders import T0, ScriptedSubmitter
from jobraker_adapters.memory import FixedClock, InMemoryTaskQueue, InMemoryUnitOfWorkFactory
from jobraker_core.applications.analytics import GetApplicationAnalytics
from jobraker_core.applications.submitting import (
    ReconcileApplications,
    RecordRunReport,
    SubmitApplication,
)
from jobraker_core.applications.use_cases import (
    AnswerQuestion,
    ApplyToJob,
    ApproveApplication,
    RelayTasks,
    TrackApplication,
    UpdateApplication,
    WithdrawApplication,
)


@attrs.define
class World:
    """The ports and the use cases under test, wired as the container wires them."""

    uow: InMemoryUnitOfWorkFactory
    clock: FixedClock
    queue: InMemoryTaskQueue
    submitter: ScriptedSubmitter

    @property
    def relay(self) -> RelayTasks:
        """The outbox relay."""
        return RelayTasks(self.uow, self.queue, self.clock)

    def apply(self) -> ApplyToJob:
        """ApplyToJob without match scores."""
        return ApplyToJob(self.uow, self.clock, relay=self.relay)

    def approve(self) -> ApproveApplication:
        """ApproveApplication."""
        return ApproveApplication(self.uow, self.clock, self.relay)

    def answer(self) -> AnswerQuestion:
        """AnswerQuestion."""
        return AnswerQuestion(self.uow, self.clock, self.relay)

    def update(self) -> UpdateApplication:
        """UpdateApplication."""
        return UpdateApplication(self.uow, self.clock, self.relay)

    def withdraw(self) -> WithdrawApplication:
        """WithdrawApplication."""
        return WithdrawApplication(self.uow, self.clock, self.relay)

    def track(self) -> TrackApplication:
        """TrackApplication."""
        return TrackApplication(self.uow, self.clock)

    def record(self) -> RecordRunReport:
        """RecordRunReport."""
        return RecordRunReport(self.uow, self.clock)

    def submit(self, **options: object) -> SubmitApplication:
        """SubmitApplication on the scripted submitter."""
        return SubmitApplication(
            self.uow,
            self.submitter,
            self.record(),
            self.clock,
            relay=self.relay,
            **options,  # type: ignore[arg-type]
        )

    def reconcile(self) -> ReconcileApplications:
        """ReconcileApplications."""
        return ReconcileApplications(self.uow, self.submitter, self.record(), self.clock)

    def analytics(self) -> GetApplicationAnalytics:
        """GetApplicationAnalytics."""
        return GetApplicationAnalytics(self.uow)

    def run_queue(self) -> list[str]:
        """Run every queued submit task once (like a worker); return the outcomes."""
        outcomes = []
        for task in self.queue.take():
            if task.task.endswith("submit_application"):
                import uuid  # noqa: PLC0415

                outcomes.append(self.submit()(uuid.UUID(task.args[0])).value)
        return outcomes


@pytest.fixture
def world() -> World:
    """A fresh world at T0."""
    return World(
        InMemoryUnitOfWorkFactory(), FixedClock(T0), InMemoryTaskQueue(), ScriptedSubmitter()
    )
