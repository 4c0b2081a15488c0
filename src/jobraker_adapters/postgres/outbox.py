"""PostgreSQL notification outbox and cost ledger (migration 0019).

They follow the in-memory fakes (``jobraker_adapters.memory.outbox``). The outbox's uniqueness
on ``(user_id, kind, dedupe_key)`` is taken with ``INSERT ... ON CONFLICT DO NOTHING`` in the
caller's transaction; ``pending`` locks the rows it returns with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_core.notifications.events import NotificationEvent, NotificationKind
from jobraker_core.usage import UsageEntry, UsageKind, UsageTotal


def event_from_row(row: Mapping[str, Any], *, id_column: str = "id") -> NotificationEvent:
    """The notification event of a ``notification_events`` row (its id under ``id_column``)."""
    return NotificationEvent(
        id=row[id_column],
        user_id=row["user_id"],
        kind=NotificationKind(row["kind"]),
        dedupe_key=row["dedupe_key"],
        title=row["title"],
        body=row["body"],
        created_at=row["created_at"],
        data={str(k): str(v) for k, v in row["data"].items()},
    )


class PostgresNotificationOutbox:
    """``NotificationOutbox`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def add(self, event: NotificationEvent) -> bool:
        """Insert ``event`` unless the same (user, kind, dedupe key) exists."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "INSERT INTO notification_events "
                "(id, user_id, kind, dedupe_key, title, body, data, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (user_id, kind, dedupe_key) DO NOTHING",
                (
                    event.id,
                    event.user_id,
                    event.kind.value,
                    event.dedupe_key,
                    event.title,
                    event.body,
                    Jsonb(dict(event.data)),
                    event.created_at,
                ),
            )
            return cur.rowcount == 1

    def pending(self, limit: int) -> Sequence[NotificationEvent]:
        """Undelivered events, oldest first, locked for this transaction."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM notification_events WHERE dispatched_at IS NULL "
                "ORDER BY created_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
                (limit,),
            )
            return [event_from_row(row) for row in cur.fetchall()]

    def mark_dispatched(self, event_id: uuid.UUID, at: datetime) -> None:
        """Record the delivery of ``event_id`` (a second mark keeps the first time)."""
        with translate_errors():
            self._conn.execute(
                "UPDATE notification_events SET dispatched_at = %s "
                "WHERE id = %s AND dispatched_at IS NULL",
                (at, event_id),
            )


def _entry(row: Mapping[str, Any]) -> UsageEntry:
    return UsageEntry(
        id=row["id"],
        user_id=row["user_id"],
        kind=UsageKind(row["kind"]),
        quantity=row["quantity"],
        cost_usd=row["cost_usd"],
        subject=row["subject"],
        recorded_at=row["recorded_at"],
        model=row["model"],
    )


class PostgresUsageLedger:
    """``UsageLedger`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def record(self, entry: UsageEntry) -> None:
        """Insert ``entry``."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO usage_ledger "
                "(id, user_id, kind, quantity, cost_usd, subject, model, recorded_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    entry.id,
                    entry.user_id,
                    entry.kind.value,
                    entry.quantity,
                    entry.cost_usd,
                    entry.subject,
                    entry.model,
                    entry.recorded_at,
                ),
            )

    def totals(self, user_id: uuid.UUID, *, since: datetime | None = None) -> Sequence[UsageTotal]:
        """Sums per kind of what ``user_id`` spent since ``since``."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT kind, sum(quantity)::bigint AS quantity, sum(cost_usd) AS cost "
                "FROM usage_ledger WHERE user_id = %s "
                "AND (%s::timestamptz IS NULL OR recorded_at >= %s) GROUP BY kind",
                (user_id, since, since),
            )
            found = {UsageKind(r["kind"]): r for r in cur.fetchall()}
        return [
            UsageTotal(kind, found[kind]["quantity"], found[kind]["cost"])
            for kind in UsageKind
            if kind in found
        ]

    def for_subject(self, user_id: uuid.UUID, subject: str) -> Sequence[UsageEntry]:
        """The entries of ``user_id`` for ``subject``, oldest first."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM usage_ledger WHERE user_id = %s AND subject = %s "
                "ORDER BY recorded_at, id",
                (user_id, subject),
            )
            return [_entry(row) for row in cur.fetchall()]
