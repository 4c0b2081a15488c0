"""In-memory applications, settings, answer bank, site breakers and task outbox.

The reference semantics of migrations 0020-0022. A unit of work works on a copy of the tables
(``InMemoryApplicationSession``) and publishes what it wrote on commit; ``check`` raises
``Conflict`` where PostgreSQL would refuse or block-then-refuse the same writes: a second live
application to one job key (the partial unique index), an application changed meanwhile by
another unit (the version check, and the ``WHERE status = 'queued'`` of a claim). A task whose
job id another unit stored meanwhile is dropped, like ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import attrs

from jobraker_core.applications.limits import ApplicationSettings, SiteBreaker
from jobraker_core.applications.model import Application, ApplicationEvent, Status
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_core.applications.ports import ApplicationFilter, TaskMessage
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.jobs.model import company_words
from jobraker_core.pagination import Page, PageRequest


@attrs.define
class ApplicationTables:
    """Stored applications, their events, settings, answers, breakers and queued tasks."""

    applications: dict[uuid.UUID, Application] = attrs.field(factory=dict)
    events: dict[uuid.UUID, ApplicationEvent] = attrs.field(factory=dict)
    settings: dict[uuid.UUID, ApplicationSettings] = attrs.field(factory=dict)
    answers: dict[tuple[uuid.UUID, Topic], BankAnswer] = attrs.field(factory=dict)
    breakers: dict[str, SiteBreaker] = attrs.field(factory=dict)
    messages: dict[uuid.UUID, TaskMessage] = attrs.field(factory=dict)
    relayed: dict[uuid.UUID, datetime] = attrs.field(factory=dict)

    def of_user(self, user_id: uuid.UUID) -> dict[str, list[object]]:
        """The user's rows, one export section per table."""
        apps = {a.id for a in self.applications.values() if a.user_id == user_id}
        return {
            "applications": [a for a in self.applications.values() if a.user_id == user_id],
            "application_events": [e for e in self.events.values() if e.application_id in apps],
            "application_settings": [s for s in self.settings.values() if s.user_id == user_id],
            "answer_bank": [a for a in self.answers.values() if a.user_id == user_id],
        }

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete the user's rows (and the queued tasks about their applications)."""
        apps = {k for k, a in self.applications.items() if a.user_id == user_id}
        doomed_events = [k for k, e in self.events.items() if e.application_id in apps]
        doomed_answers = [k for k, a in self.answers.items() if a.user_id == user_id]
        doomed_messages = [
            k for k, m in self.messages.items() if set(m.args) & {str(a) for a in apps}
        ]
        for key in apps:
            del self.applications[key]
        for event_key in doomed_events:
            del self.events[event_key]
        for answer_key in doomed_answers:
            del self.answers[answer_key]
        for message_key in doomed_messages:
            del self.messages[message_key]
            self.relayed.pop(message_key, None)
        settings = 1 if self.settings.pop(user_id, None) is not None else 0
        return len(apps) + len(doomed_events) + len(doomed_answers) + settings

    def copy(self) -> ApplicationTables:
        """A copy whose dictionaries can change without touching these."""
        return ApplicationTables(
            dict(self.applications),
            dict(self.events),
            dict(self.settings),
            dict(self.answers),
            dict(self.breakers),
            dict(self.messages),
            dict(self.relayed),
        )


def _matches(app: Application, where: ApplicationFilter) -> bool:
    if where.statuses and app.status not in where.statuses:
        return False
    if where.company and company_words(app.job.company) != company_words(where.company):
        return False
    if where.source and app.job.source != where.source:
        return False
    if where.created_from and app.created_at < where.created_from:
        return False
    return not (where.created_to and app.created_at >= where.created_to)


@attrs.define
class InMemoryApplicationRepository:
    """``ApplicationRepository`` over ``ApplicationTables``."""

    tables: ApplicationTables

    def add(self, application: Application) -> None:
        """Insert it unless a live application to the same job key exists."""
        if application.id in self.tables.applications:
            raise Conflict(f"application {application.id} exists")
        if self.live_for_job(application.user_id, application.job.key) is not None:
            raise Conflict("you already have an application for this job")
        self.tables.applications[application.id] = application

    def get(
        self, user_id: uuid.UUID, application_id: uuid.UUID, *, for_update: bool = False
    ) -> Application:
        """The person's application."""
        del for_update
        app = self.tables.applications.get(application_id)
        if app is None or app.user_id != user_id:
            raise NotFound(f"no application {application_id}")
        return app

    def by_id(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application:
        """Any application."""
        del for_update
        app = self.tables.applications.get(application_id)
        if app is None:
            raise NotFound(f"no application {application_id}")
        return app

    def by_run(self, run_id: str, *, for_update: bool = False) -> Application | None:
        """The application on run ``run_id``."""
        del for_update
        for app in self.tables.applications.values():
            if app.run is not None and app.run.run_id == run_id:
                return app
        return None

    def live_for_job(self, user_id: uuid.UUID, job_key: str) -> Application | None:
        """The person's live application to ``job_key``."""
        for app in self.tables.applications.values():
            if app.user_id == user_id and app.job.key == job_key and app.live:
                return app
        return None

    def save(self, application: Application) -> Application:
        """Store a change to the version read."""
        current = self.tables.applications.get(application.id)
        if current is None:
            raise NotFound(f"no application {application.id}")
        if current.version != application.version:
            raise Conflict("the application was changed meanwhile")
        stored = attrs.evolve(application, version=application.version + 1)
        self.tables.applications[application.id] = stored
        return stored

    def claim(self, application: Application) -> Application | None:
        """Store the claimed application if the stored one is still queued."""
        current = self.tables.applications.get(application.id)
        if current is None or current.status is not Status.QUEUED:
            return None
        return self.save(attrs.evolve(application, version=current.version))

    def delete(self, user_id: uuid.UUID, application_id: uuid.UUID) -> bool:
        """Delete the application and its events."""
        app = self.tables.applications.get(application_id)
        if app is None or app.user_id != user_id:
            return False
        del self.tables.applications[application_id]
        for key in [k for k, e in self.tables.events.items() if e.application_id == application_id]:
            del self.tables.events[key]
        return True

    def list(
        self, user_id: uuid.UUID, where: ApplicationFilter, page: PageRequest
    ) -> Page[Application]:
        """One page, newest first."""
        found = [
            a
            for a in self.tables.applications.values()
            if a.user_id == user_id and _matches(a, where)
        ]
        found.sort(key=lambda a: (a.created_at, a.id), reverse=True)
        return Page(
            items=tuple(found[page.offset : page.offset + page.per_page]),
            total=len(found),
            request=page,
        )

    def every(self, user_id: uuid.UUID) -> Sequence[Application]:
        """All of the person's applications, oldest first."""
        found = [a for a in self.tables.applications.values() if a.user_id == user_id]
        return sorted(found, key=lambda a: (a.created_at, a.id))

    def stuck(
        self, statuses: Sequence[Status], *, before: datetime, limit: int
    ) -> Sequence[Application]:
        """Applications in ``statuses`` unchanged since before ``before``."""
        found = [
            a
            for a in self.tables.applications.values()
            if a.status in statuses and a.updated_at < before
        ]
        found.sort(key=lambda a: (a.updated_at, a.id))
        return found[:limit]

    def claims_since(self, user_id: uuid.UUID, since: datetime) -> Sequence[Application]:
        """The person's applications claimed at or after ``since``."""
        return [
            a
            for a in self.tables.applications.values()
            if a.user_id == user_id and a.run is not None and a.run.claimed_at >= since
        ]

    def due_reminders(self, now: datetime, *, limit: int) -> Sequence[Application]:
        """Applications with a reminder due at ``now`` not notified yet, earliest first."""
        found = [
            (due, a.id, a)
            for a in self.tables.applications.values()
            if (due := a.tracking.next_reminder_at) is not None and due <= now
        ]
        found.sort(key=lambda row: (row[0], row[1]))
        return [a for _, _, a in found[:limit]]

    def add_event(self, event: ApplicationEvent) -> None:
        """Append ``event``."""
        if event.id in self.tables.events:
            raise Conflict(f"event {event.id} exists")
        self.tables.events[event.id] = event

    def events(self, user_id: uuid.UUID, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        """The application's events, oldest first."""
        found = [
            e
            for e in self.tables.events.values()
            if e.application_id == application_id and e.user_id == user_id
        ]
        return sorted(found, key=lambda e: e.at)  # stable: insertion order within an instant

    def events_of_user(self, user_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        """Every event of the person's applications, oldest first."""
        found = [e for e in self.tables.events.values() if e.user_id == user_id]
        return sorted(found, key=lambda e: e.at)  # stable: insertion order within an instant


@attrs.define
class InMemoryApplicationSettingsRepository:
    """``ApplicationSettingsRepository`` over ``ApplicationTables``."""

    tables: ApplicationTables

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> ApplicationSettings:
        """The person's settings (defaults when never set)."""
        del for_update
        return self.tables.settings.get(user_id) or ApplicationSettings.default(user_id)

    def put(self, settings: ApplicationSettings) -> None:
        """Store them."""
        self.tables.settings[settings.user_id] = settings

    def answers(self, user_id: uuid.UUID) -> dict[Topic, BankAnswer]:
        """The person's answer bank."""
        return {t: a for (u, t), a in self.tables.answers.items() if u == user_id}

    def put_answer(self, answer: BankAnswer) -> None:
        """Store (or replace) an answer."""
        self.tables.answers[answer.user_id, answer.topic] = answer

    def delete_answer(self, user_id: uuid.UUID, topic: Topic) -> bool:
        """Delete an answer."""
        return self.tables.answers.pop((user_id, topic), None) is not None


@attrs.define
class InMemorySiteBreakerRepository:
    """``SiteBreakerRepository`` over ``ApplicationTables``."""

    tables: ApplicationTables

    def get(self, site: str, *, for_update: bool = False) -> SiteBreaker:
        """The site's breaker (closed when none is stored)."""
        del for_update
        return self.tables.breakers.get(site) or SiteBreaker(site=site)

    def put(self, breaker: SiteBreaker) -> None:
        """Store it."""
        self.tables.breakers[breaker.site] = breaker

    def all(self) -> Sequence[SiteBreaker]:
        """Every breaker, by site."""
        return [self.tables.breakers[k] for k in sorted(self.tables.breakers)]


@attrs.define
class InMemoryTaskOutbox:
    """``TaskOutbox`` over ``ApplicationTables``."""

    tables: ApplicationTables

    def add(self, message: TaskMessage) -> bool:
        """Store the message unless its job id is stored."""
        if any(m.job_id == message.job_id for m in self.tables.messages.values()):
            return False
        self.tables.messages[message.id] = message
        return True

    def pending(self, limit: int) -> Sequence[TaskMessage]:
        """Messages not relayed yet, oldest first."""
        waiting = [m for m in self.tables.messages.values() if m.id not in self.tables.relayed]
        waiting.sort(key=lambda m: (m.created_at, str(m.id)))
        return waiting[:limit]

    def mark_relayed(self, message_id: uuid.UUID, at: datetime) -> None:
        """Record the relay (a second mark keeps the first time)."""
        if message_id in self.tables.messages:
            self.tables.relayed.setdefault(message_id, at)


class InMemoryApplicationSession:
    """One unit of work's view of the application tables: a copy, published on commit."""

    def __init__(self, committed: ApplicationTables | None = None) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        source = committed or ApplicationTables()
        self._before = source.copy()
        self.tables = source.copy()
        self.applications = InMemoryApplicationRepository(self.tables)
        self.settings = InMemoryApplicationSettingsRepository(self.tables)
        self.breakers = InMemorySiteBreakerRepository(self.tables)
        self.outbox = InMemoryTaskOutbox(self.tables)

    def check(self, store: ApplicationTables) -> None:
        """Raise ``Conflict`` where the store refuses this unit's writes, as PostgreSQL would."""
        for app_id, app in self.tables.applications.items():
            before = self._before.applications.get(app_id)
            if before is app:
                continue
            current = store.applications.get(app_id)
            if before is None:
                if current is not None:
                    raise Conflict(f"application {app_id} was stored meanwhile")
                if app.live and any(
                    o.user_id == app.user_id and o.job.key == app.job.key and o.live
                    for o in store.applications.values()
                ):
                    raise Conflict("you already have an application for this job")
            elif current is None or current.version != before.version:
                raise Conflict("the application was changed meanwhile")
        for event_id in self.tables.events.keys() - self._before.events.keys():
            if event_id in store.events:
                raise Conflict(f"application event {event_id} was stored meanwhile")

    def publish(self, store: ApplicationTables) -> None:
        """Apply this unit's changes to the store (call under its lock, after ``check``)."""
        taken = {m.job_id for m in store.messages.values()}
        for message_id in self.tables.messages.keys() - self._before.messages.keys():
            if self.tables.messages[message_id].job_id in taken:
                del self.tables.messages[message_id]  # ON CONFLICT (job_id) DO NOTHING
        for name in (
            "applications",
            "events",
            "settings",
            "answers",
            "breakers",
            "messages",
            "relayed",
        ):
            now: dict[object, object] = getattr(self.tables, name)
            before: dict[object, object] = getattr(self._before, name)
            target: dict[object, object] = getattr(store, name)
            target.update({k: v for k, v in now.items() if before.get(k) is not v})
            for key in before.keys() - now.keys():
                target.pop(key, None)
        self._before = self.tables.copy()
