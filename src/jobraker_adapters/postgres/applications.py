"""PostgreSQL applications, settings, answer bank, site breakers and task outbox (migration 0020).

They follow the in-memory fakes (``jobraker_adapters.memory.applications``):

- ``add`` is ``INSERT ... ON CONFLICT (user_id, job_key) WHERE status <> 'withdrawn' DO
  NOTHING``: a second live application to one job finds no row inserted and raises ``Conflict``
  (a concurrent insert waits for the first transaction, then does nothing);
- ``save`` is ``UPDATE ... WHERE id = ... AND version = ...`` (``Conflict`` when 0 rows);
- ``claim`` is ``UPDATE ... WHERE id = ... AND status = 'queued' RETURNING``;
- the task outbox takes its unique job ids with ``ON CONFLICT (job_id) DO NOTHING`` and hands
  out pending rows ``FOR UPDATE SKIP LOCKED``.

Rows map to domain objects through the explicit functions below; the packet, the sent record
and the tracking notes are JSON documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any, Final

import attrs
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_core.applications.limits import ApplicationSettings, QuietHours, SiteBreaker
from jobraker_core.applications.model import (
    Actor,
    Application,
    ApplicationEvent,
    Contact,
    Interview,
    Job,
    Mode,
    Reminder,
    Run,
    Status,
    Tracking,
)
from jobraker_core.applications.packet import Answer, BankAnswer, Packet, Provenance, Topic
from jobraker_core.applications.ports import ApplicationFilter, TaskMessage
from jobraker_core.applications.submission import Applicant, RunState
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.jobs.model import company_words
from jobraker_core.pagination import Page, PageRequest

_REMINDERS: Final = uuid.UUID("6f1d2c7e-5a0b-4c1e-9a57-3b1f0c2d9e41")
"""The namespace of the ids derived for reminders stored without one."""
_COLUMNS: Final = (
    "id, user_id, job_key, job_id, title, company, company_key, source, apply_url, location, "
    "mode, status, created_at, updated_at, version, match_score, packet, packet_hash_approved, "
    "attempt_id, claimed_at, run_id, run_state, dry_run, confirmation, sent, not_before, "
    "failure_reason, applied_at, tracking, next_reminder_at"
)


# ----------------------------------------------------------------------------- JSON documents


def packet_to_json(packet: Packet) -> dict[str, Any]:
    """The packet as a JSON document."""
    person = packet.applicant
    return {
        "applicant": {
            "full_name": person.full_name,
            "email": person.email,
            "phone": person.phone,
            "location": person.location,
        },
        "resume_id": None if packet.resume_id is None else str(packet.resume_id),
        "resume_version": packet.resume_version,
        "resume_filename": packet.resume_filename,
        "resume_text": packet.resume_text,
        "cover_letter": packet.cover_letter,
        "answers": [
            {
                "question": a.question,
                "answer": a.answer,
                "topic": a.topic.value,
                "provenance": a.provenance.value,
            }
            for a in packet.answers
        ],
        "open_questions": list(packet.open_questions),
    }


def packet_from_json(doc: Mapping[str, Any]) -> Packet:
    """The packet of a JSON document."""
    person = doc["applicant"]
    return Packet(
        applicant=Applicant(
            full_name=person["full_name"],
            email=person["email"],
            phone=person["phone"],
            location=person["location"],
        ),
        resume_id=None if doc["resume_id"] is None else uuid.UUID(doc["resume_id"]),
        resume_version=doc["resume_version"],
        resume_filename=doc["resume_filename"],
        resume_text=doc["resume_text"],
        cover_letter=doc["cover_letter"],
        answers=tuple(
            Answer(a["question"], a["answer"], Topic(a["topic"]), Provenance(a["provenance"]))
            for a in doc["answers"]
        ),
        open_questions=tuple(doc["open_questions"]),
    )


def tracking_to_json(tracking: Tracking) -> dict[str, Any]:
    """The person's notes as a JSON document."""
    return {
        "notes": tracking.notes,
        "contacts": [attrs.asdict(c) for c in tracking.contacts],
        "interviews": [
            {"at": i.at.isoformat(), "kind": i.kind, "notes": i.notes} for i in tracking.interviews
        ],
        "reminders": [
            {
                "id": str(r.id),
                "at": r.at.isoformat(),
                "text": r.text,
                "notified_at": None if r.notified_at is None else r.notified_at.isoformat(),
            }
            for r in tracking.reminders
        ],
    }


def _reminder(doc: Mapping[str, Any]) -> Reminder:
    at = datetime.fromisoformat(doc["at"])
    notified = doc.get("notified_at")
    return Reminder(
        at,
        doc["text"],
        # a reminder stored before reminders had ids gets a stable one from what it says
        id=uuid.UUID(doc["id"])
        if doc.get("id")
        else uuid.uuid5(_REMINDERS, f"{doc['at']}|{doc['text']}"),
        notified_at=None if notified is None else datetime.fromisoformat(notified),
    )


def tracking_from_json(doc: Mapping[str, Any]) -> Tracking:
    """The person's notes of a JSON document."""
    return Tracking(
        notes=doc.get("notes", ""),
        contacts=tuple(Contact(**c) for c in doc.get("contacts", ())),
        interviews=tuple(
            Interview(datetime.fromisoformat(i["at"]), i["kind"], i["notes"])
            for i in doc.get("interviews", ())
        ),
        reminders=tuple(_reminder(r) for r in doc.get("reminders", ())),
    )


def _application(row: Mapping[str, Any]) -> Application:
    run = None
    if row["attempt_id"] is not None:
        run = Run(
            attempt_id=row["attempt_id"],
            claimed_at=row["claimed_at"],
            run_id=row["run_id"],
            state=None if row["run_state"] is None else RunState(row["run_state"]),
            dry_run=row["dry_run"],
            confirmation=row["confirmation"],
            sent=tuple((str(k), str(v)) for k, v in row["sent"]),
        )
    return Application(
        id=row["id"],
        user_id=row["user_id"],
        job=Job(
            key=row["job_key"],
            title=row["title"],
            company=row["company"],
            job_id=row["job_id"],
            source=row["source"],
            apply_url=row["apply_url"],
            location=row["location"],
        ),
        mode=Mode(row["mode"]),
        status=Status(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        match_score=row["match_score"],
        packet=None if row["packet"] is None else packet_from_json(row["packet"]),
        packet_hash_approved=row["packet_hash_approved"],
        run=run,
        not_before=row["not_before"],
        failure_reason=row["failure_reason"],
        applied_at=row["applied_at"],
        tracking=tracking_from_json(row["tracking"]),
    )


def _values(app: Application) -> dict[str, Any]:
    run = app.run
    return {
        "id": app.id,
        "user_id": app.user_id,
        "job_key": app.job.key,
        "job_id": app.job.job_id,
        "title": app.job.title,
        "company": app.job.company,
        "company_key": company_words(app.job.company),
        "source": app.job.source,
        "apply_url": app.job.apply_url,
        "location": app.job.location,
        "mode": app.mode.value,
        "status": app.status.value,
        "created_at": app.created_at,
        "updated_at": app.updated_at,
        "version": app.version,
        "match_score": app.match_score,
        "packet": None if app.packet is None else Jsonb(packet_to_json(app.packet)),
        "packet_hash_approved": app.packet_hash_approved,
        "attempt_id": None if run is None else run.attempt_id,
        "claimed_at": None if run is None else run.claimed_at,
        "run_id": None if run is None else run.run_id,
        "run_state": None if run is None or run.state is None else run.state.value,
        "dry_run": run is not None and run.dry_run,
        "confirmation": None if run is None else run.confirmation,
        "sent": Jsonb([list(pair) for pair in run.sent] if run is not None else []),
        "not_before": app.not_before,
        "failure_reason": app.failure_reason,
        "applied_at": app.applied_at,
        "tracking": Jsonb(tracking_to_json(app.tracking)),
        "next_reminder_at": app.tracking.next_reminder_at,
    }


def _event(row: Mapping[str, Any]) -> ApplicationEvent:
    return ApplicationEvent(
        id=row["id"],
        application_id=row["application_id"],
        user_id=row["user_id"],
        at=row["at"],
        actor=Actor(row["actor"]),
        from_status=None if row["from_status"] is None else Status(row["from_status"]),
        to_status=Status(row["to_status"]),
        reason=row["reason"],
        data=tuple(sorted((str(k), str(v)) for k, v in row["data"].items())),
    )


_UPDATABLE: Final = tuple(
    name
    for name in _COLUMNS.replace(" ", "").split(",")
    if name not in {"id", "user_id", "version"}
)


class PostgresApplicationRepository:
    """``ApplicationRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def _one(
        self, where: sql.Composable, params: Sequence[object], *, for_update: bool
    ) -> Application | None:
        query = sql.SQL("SELECT {} FROM applications WHERE {}{}").format(
            sql.SQL(_COLUMNS), where, sql.SQL(" FOR UPDATE" if for_update else "")
        )
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            row = cur.fetchone()
        return None if row is None else _application(row)

    def _many(
        self, where: sql.Composable, params: Sequence[object] | Mapping[str, object], tail: str
    ) -> Sequence[Application]:
        query = sql.SQL("SELECT {} FROM applications WHERE {} {}").format(
            sql.SQL(_COLUMNS), where, sql.SQL(tail)
        )
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return [_application(row) for row in cur.fetchall()]

    def add(self, application: Application) -> None:
        """Insert unless a live application to the same job key exists (``Conflict``)."""
        values = _values(application)
        names = list(values)
        query = sql.SQL(
            "INSERT INTO applications ({}) VALUES ({}) "
            "ON CONFLICT (user_id, job_key) WHERE status <> 'withdrawn' DO NOTHING"
        ).format(
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(sql.Placeholder(n) for n in names),
        )
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(query, values)
            if cur.rowcount != 1:
                raise Conflict("you already have an application for this job")

    def get(
        self, user_id: uuid.UUID, application_id: uuid.UUID, *, for_update: bool = False
    ) -> Application:
        """The person's application."""
        found = self._one(
            sql.SQL("id = %s AND user_id = %s"), (application_id, user_id), for_update=for_update
        )
        if found is None:
            raise NotFound(f"no application {application_id}")
        return found

    def by_id(self, application_id: uuid.UUID, *, for_update: bool = False) -> Application:
        """Any application."""
        found = self._one(sql.SQL("id = %s"), (application_id,), for_update=for_update)
        if found is None:
            raise NotFound(f"no application {application_id}")
        return found

    def by_run(self, run_id: str, *, for_update: bool = False) -> Application | None:
        """The application on run ``run_id``."""
        return self._one(sql.SQL("run_id = %s"), (run_id,), for_update=for_update)

    def live_for_job(self, user_id: uuid.UUID, job_key: str) -> Application | None:
        """The person's live application to ``job_key``."""
        return self._one(
            sql.SQL("user_id = %s AND job_key = %s AND status <> 'withdrawn'"),
            (user_id, job_key),
            for_update=False,
        )

    def _update(self, application: Application, guard: str) -> Application | None:
        values = _values(application)
        values["expected"] = application.version
        query = sql.SQL(
            "UPDATE applications SET {}, version = version + 1 WHERE id = %(id)s AND {} "
            "RETURNING version"
        ).format(
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(n), sql.Placeholder(n)) for n in _UPDATABLE
            ),
            sql.SQL(guard),
        )
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(query, values)
            row = cur.fetchone()
        return None if row is None else attrs.evolve(application, version=row[0])

    def save(self, application: Application) -> Application:
        """Store a change to the version read (``Conflict`` when it changed meanwhile)."""
        stored = self._update(application, "version = %(expected)s")
        if stored is None:
            raise Conflict("the application was changed meanwhile")
        return stored

    def claim(self, application: Application) -> Application | None:
        """``UPDATE ... WHERE status = 'queued' RETURNING``: None when claimed by another."""
        return self._update(application, "status = 'queued'")

    def delete(self, user_id: uuid.UUID, application_id: uuid.UUID) -> bool:
        """Delete it (its events cascade)."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "DELETE FROM applications WHERE id = %s AND user_id = %s", (application_id, user_id)
            )
            return cur.rowcount == 1

    def list(
        self, user_id: uuid.UUID, where: ApplicationFilter, page: PageRequest
    ) -> Page[Application]:
        """One page, newest first."""
        clauses = [sql.SQL("user_id = %(user)s")]
        params: dict[str, object] = {"user": user_id}
        if where.statuses:
            clauses.append(sql.SQL("status = ANY(%(statuses)s)"))
            params["statuses"] = [s.value for s in where.statuses]
        if where.company:
            clauses.append(sql.SQL("company_key = %(company)s"))
            params["company"] = company_words(where.company)
        if where.source:
            clauses.append(sql.SQL("source = %(source)s"))
            params["source"] = where.source
        if where.created_from:
            clauses.append(sql.SQL("created_at >= %(from)s"))
            params["from"] = where.created_from
        if where.created_to:
            clauses.append(sql.SQL("created_at < %(to)s"))
            params["to"] = where.created_to
        condition = sql.SQL(" AND ").join(clauses)
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                sql.SQL("SELECT count(*) FROM applications WHERE {}").format(condition), params
            )
            row = cur.fetchone()
        total = int(row[0]) if row else 0
        params.update(limit=page.per_page, offset=page.offset)
        items = self._many(
            condition,
            params,
            "ORDER BY created_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
        )
        return Page(items=tuple(items), total=total, request=page)

    def every(self, user_id: uuid.UUID) -> Sequence[Application]:
        """All of the person's applications, oldest first."""
        return self._many(sql.SQL("user_id = %s"), (user_id,), "ORDER BY created_at, id")

    def stuck(
        self, statuses: Sequence[Status], *, before: datetime, limit: int
    ) -> Sequence[Application]:
        """Applications in ``statuses`` unchanged since before ``before``."""
        return self._many(
            sql.SQL("status = ANY(%s) AND updated_at < %s"),
            ([s.value for s in statuses], before, limit),
            "ORDER BY updated_at, id LIMIT %s",
        )

    def claims_since(self, user_id: uuid.UUID, since: datetime) -> Sequence[Application]:
        """The person's applications claimed at or after ``since``."""
        return self._many(sql.SQL("user_id = %s AND claimed_at >= %s"), (user_id, since), "")

    def due_reminders(self, now: datetime, *, limit: int) -> Sequence[Application]:
        """Applications with a reminder due at ``now``, locked; rows held elsewhere skipped."""
        return self._many(
            sql.SQL("next_reminder_at <= %s"),
            (now, limit),
            "ORDER BY next_reminder_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
        )

    def add_event(self, event: ApplicationEvent) -> None:
        """Append ``event``."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO application_events "
                "(id, application_id, user_id, at, actor, from_status, to_status, reason, data) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    event.id,
                    event.application_id,
                    event.user_id,
                    event.at,
                    event.actor.value,
                    None if event.from_status is None else event.from_status.value,
                    event.to_status.value,
                    event.reason,
                    Jsonb(dict(event.data)),
                ),
            )

    def _events(self, where: str, params: Sequence[object]) -> Sequence[ApplicationEvent]:
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(f"SELECT * FROM application_events WHERE {where} ORDER BY at, seq", params)
            return [_event(row) for row in cur.fetchall()]

    def events(self, user_id: uuid.UUID, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        """The application's events, oldest first."""
        return self._events("application_id = %s AND user_id = %s", (application_id, user_id))

    def events_of_user(self, user_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        """Every event of the person's applications, oldest first."""
        return self._events("user_id = %s", (user_id,))


def _settings(row: Mapping[str, Any]) -> ApplicationSettings:
    quiet = None
    if row["quiet_start"] is not None:
        quiet = QuietHours(start=row["quiet_start"], end=row["quiet_end"])
    return ApplicationSettings(
        user_id=row["user_id"],
        per_day=row["per_day"],
        employer_spacing_hours=row["employer_spacing_hours"],
        quiet_hours=quiet,
        timezone=row["timezone"],
        auto_approve=row["auto_approve"],
        auto_approve_min_score=row["auto_approve_min_score"],
        updated_at=row["updated_at"],
    )


def _settings_values(settings: ApplicationSettings) -> tuple[object, ...]:
    quiet = settings.quiet_hours
    start: time | None = None if quiet is None else quiet.start
    end: time | None = None if quiet is None else quiet.end
    return (
        settings.user_id,
        settings.per_day,
        settings.employer_spacing_hours,
        start,
        end,
        settings.timezone,
        settings.auto_approve,
        settings.auto_approve_min_score,
        settings.updated_at,
    )


_UPSERT_SETTINGS: Final = (
    "INSERT INTO application_settings (user_id, per_day, employer_spacing_hours, quiet_start, "
    "quiet_end, timezone, auto_approve, auto_approve_min_score, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (user_id) "
)


class PostgresApplicationSettingsRepository:
    """``ApplicationSettingsRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> ApplicationSettings:
        """The person's settings; ``for_update`` stores the defaults first, to lock a row."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            if for_update:
                cur.execute(
                    _UPSERT_SETTINGS + "DO NOTHING",
                    _settings_values(ApplicationSettings.default(user_id)),
                )
            cur.execute(
                "SELECT * FROM application_settings WHERE user_id = %s"
                + (" FOR UPDATE" if for_update else ""),
                (user_id,),
            )
            row = cur.fetchone()
        return ApplicationSettings.default(user_id) if row is None else _settings(row)

    def put(self, settings: ApplicationSettings) -> None:
        """Store them."""
        with translate_errors():
            self._conn.execute(
                _UPSERT_SETTINGS + "DO UPDATE SET per_day = EXCLUDED.per_day, "
                "employer_spacing_hours = EXCLUDED.employer_spacing_hours, "
                "quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, "
                "timezone = EXCLUDED.timezone, auto_approve = EXCLUDED.auto_approve, "
                "auto_approve_min_score = EXCLUDED.auto_approve_min_score, "
                "updated_at = EXCLUDED.updated_at",
                _settings_values(settings),
            )

    def answers(self, user_id: uuid.UUID) -> dict[Topic, BankAnswer]:
        """The person's answer bank."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM answer_bank WHERE user_id = %s", (user_id,))
            rows = cur.fetchall()
        return {
            Topic(r["topic"]): BankAnswer(
                r["user_id"], Topic(r["topic"]), r["answer"], r["updated_at"]
            )
            for r in rows
        }

    def put_answer(self, answer: BankAnswer) -> None:
        """Store (or replace) an answer."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO answer_bank (user_id, topic, answer, updated_at) "
                "VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (user_id, topic) DO UPDATE SET answer = EXCLUDED.answer, "
                "updated_at = EXCLUDED.updated_at",
                (answer.user_id, answer.topic.value, answer.answer, answer.updated_at),
            )

    def delete_answer(self, user_id: uuid.UUID, topic: Topic) -> bool:
        """Delete an answer."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "DELETE FROM answer_bank WHERE user_id = %s AND topic = %s", (user_id, topic.value)
            )
            return cur.rowcount == 1


def _breaker(row: Mapping[str, Any]) -> SiteBreaker:
    return SiteBreaker(
        site=row["site"],
        failures=row["failures"],
        opened=row["opened"],
        open_until=row["open_until"],
        last_signal=row["last_signal"],
        updated_at=row["updated_at"],
    )


class PostgresSiteBreakerRepository:
    """``SiteBreakerRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def get(self, site: str, *, for_update: bool = False) -> SiteBreaker:
        """The site's breaker (closed when none is stored); ``for_update`` locks its row."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            if for_update:
                cur.execute(
                    "INSERT INTO site_breakers (site) VALUES (%s) ON CONFLICT DO NOTHING", (site,)
                )
            cur.execute(
                "SELECT * FROM site_breakers WHERE site = %s"
                + (" FOR UPDATE" if for_update else ""),
                (site,),
            )
            row = cur.fetchone()
        return SiteBreaker(site=site) if row is None else _breaker(row)

    def put(self, breaker: SiteBreaker) -> None:
        """Store it."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO site_breakers "
                "(site, failures, opened, open_until, last_signal, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (site) DO UPDATE SET "
                "failures = EXCLUDED.failures, opened = EXCLUDED.opened, "
                "open_until = EXCLUDED.open_until, last_signal = EXCLUDED.last_signal, "
                "updated_at = EXCLUDED.updated_at",
                (
                    breaker.site,
                    breaker.failures,
                    breaker.opened,
                    breaker.open_until,
                    breaker.last_signal,
                    breaker.updated_at,
                ),
            )

    def all(self) -> Sequence[SiteBreaker]:
        """Every breaker that ever counted something, by site."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute("SELECT * FROM site_breakers WHERE updated_at IS NOT NULL ORDER BY site")
            return [_breaker(row) for row in cur.fetchall()]


def _message(row: Mapping[str, Any]) -> TaskMessage:
    return TaskMessage(
        id=row["id"],
        task=row["task"],
        args=tuple(str(a) for a in row["args"]),
        job_id=row["job_id"],
        created_at=row["created_at"],
        not_before=row["not_before"],
    )


class PostgresTaskOutbox:
    """``TaskOutbox`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def add(self, message: TaskMessage) -> bool:
        """Insert unless the job id is stored."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "INSERT INTO task_outbox (id, task, args, job_id, created_at, not_before) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (job_id) DO NOTHING",
                (
                    message.id,
                    message.task,
                    Jsonb(list(message.args)),
                    message.job_id,
                    message.created_at,
                    message.not_before,
                ),
            )
            return cur.rowcount == 1

    def pending(self, limit: int) -> Sequence[TaskMessage]:
        """Unrelayed messages, oldest first, locked for this transaction."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM task_outbox WHERE relayed_at IS NULL "
                "ORDER BY created_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
                (limit,),
            )
            return [_message(row) for row in cur.fetchall()]

    def mark_relayed(self, message_id: uuid.UUID, at: datetime) -> None:
        """Record the relay (a second mark keeps the first time)."""
        with translate_errors():
            self._conn.execute(
                "UPDATE task_outbox SET relayed_at = %s WHERE id = %s AND relayed_at IS NULL",
                (at, message_id),
            )
