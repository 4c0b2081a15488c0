"""A task queue that only records what was queued."""

from __future__ import annotations

import attrs

from jobraker_core.errors import UpstreamUnavailable


@attrs.frozen
class QueuedTask:
    """One enqueue call as the queue received it."""

    task: str
    args: tuple[str, ...]
    job_id: str
    delay_seconds: float


@attrs.define
class InMemoryTaskQueue:
    """A ``TaskQueue`` that records tasks in ``tasks``; an id already queued is ignored.

    Set ``down`` to make it raise ``UpstreamUnavailable`` like a queue whose Redis is unreachable.
    """

    tasks: list[QueuedTask] = attrs.field(factory=list)
    down: bool = False

    def enqueue(self, task: str, *args: str, job_id: str, delay_seconds: float = 0) -> None:
        """Record the task unless its id is already queued."""
        if self.down:
            raise UpstreamUnavailable("the task queue is unreachable", service="redis")
        if any(t.job_id == job_id for t in self.tasks):
            return
        self.tasks.append(QueuedTask(task, args, job_id, delay_seconds))

    def take(self) -> list[QueuedTask]:
        """Return and forget everything queued so far."""
        taken, self.tasks = self.tasks, []
        return taken
