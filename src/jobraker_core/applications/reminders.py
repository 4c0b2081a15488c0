"""Reminders that reach the person: the tick turns every due reminder into one notification.

A person's reminders live in an application's notes (``Tracking.reminders``). Once a minute the
applications' tick runs ``NotifyDueReminders``: for each application with a reminder due and not
notified yet, it adds one ``reminder_due`` notification event per due reminder (dedupe key = the
reminder's id) and marks those reminders notified, in the same transaction. So a reminder is
notified once: a second or concurrent tick finds it marked (or the row locked, or the version
changed: the unit conflicts and retries), and the outbox's unique (user, kind, dedupe key) stores
the event once in any case. A withdrawn application's reminders are marked but not sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Final

from jobraker_core.applications.model import Actor, Application, Status
from jobraker_core.applications.use_cases import retry_on_conflict, store
from jobraker_core.notifications.events import NotificationEvent, NotificationKind

if TYPE_CHECKING:
    from jobraker_core.applications.model import Reminder
    from jobraker_core.clock import Clock
    from jobraker_core.ports import UnitOfWorkFactory

BATCH: Final = 100


def reminder_event(app: Application, reminder: Reminder, at: datetime) -> NotificationEvent:
    """The notification that tells the person ``reminder`` of ``app`` is due."""
    where = f"{app.job.title} at {app.job.company}" if app.job.company else app.job.title
    return NotificationEvent(
        id=uuid.uuid4(),
        user_id=app.user_id,
        kind=NotificationKind.REMINDER_DUE,
        dedupe_key=str(reminder.id),
        title=f"Reminder: {where}",
        body=reminder.text,
        created_at=at,
        data={
            "application_id": str(app.id),
            "reminder_id": str(reminder.id),
            "status": app.status.value,
            "due_at": reminder.at.isoformat(),
        },
    )


class NotifyDueReminders:
    """Notifies every due reminder once (see the module docstring); returns how many it added."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, limit: int = BATCH) -> None:
        self._uow = uow
        self._clock = clock
        self._limit = limit

    def __call__(self) -> int:
        """Do one pass over up to ``limit`` applications."""
        return retry_on_conflict(self._pass)

    def _pass(self) -> int:
        now = self._clock.now()
        added = 0
        with self._uow() as uow:
            for app in uow.applications.due_reminders(now, limit=self._limit):
                due = app.tracking.due_reminders(now)
                if not due:
                    continue
                if app.status is Status.WITHDRAWN:  # given up: its reminders are moot
                    reason = "reminders dropped: the application was withdrawn"
                else:
                    added += sum(uow.notifications.add(reminder_event(app, r, now)) for r in due)
                    reason = "reminder sent" if len(due) == 1 else f"{len(due)} reminders sent"
                store(
                    uow,
                    app.note(
                        actor=Actor.SYSTEM,
                        at=now,
                        reason=reason,
                        data={"reminders": ",".join(str(r.id) for r in due)},
                        tracking=app.tracking.reminded(now),
                    ),
                )
            uow.commit()
        return added
