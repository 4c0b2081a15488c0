"""PostgreSQL notification preferences, inbox and delivery log (migration 0050).

They follow the in-memory fakes (``jobraker_adapters.memory.notifications``). A delivery's event
is read back by joining ``notification_events``; ``due`` and ``digests`` lock the rows they
return (``FOR UPDATE SKIP LOCKED``) for the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_adapters.postgres.outbox import event_from_row
from jobraker_core.errors import NotFound
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import (
    Channel,
    Delivery,
    DeliveryState,
    InboxItem,
    MatchDelivery,
    NotificationPreferences,
    QuietHours,
    parse_clock_time,
)
from jobraker_core.pagination import Page, PageRequest


def preferences_document(preferences: NotificationPreferences) -> dict[str, Any]:
    """The JSON document a person's preferences are stored as."""
    quiet = preferences.quiet_hours
    return {
        "channels": {
            kind.value: sorted(c.value for c in channels)
            for kind, channels in preferences.channels.items()
        },
        "new_matches": preferences.new_matches.value,
        "digest_hour": preferences.digest_hour,
        "timezone": preferences.timezone,
        "quiet_hours": None
        if quiet is None
        else {"start": quiet.start.strftime("%H:%M"), "end": quiet.end.strftime("%H:%M")},
        "match_threshold": preferences.match_threshold,
    }


def preferences_from_document(
    user_id: uuid.UUID, doc: Mapping[str, Any]
) -> NotificationPreferences:
    """Read back what ``preferences_document`` wrote (unknown kinds and channels are skipped)."""
    kinds = {k.value for k in NotificationKind}
    channels = {c.value for c in Channel}
    quiet = doc.get("quiet_hours")
    return NotificationPreferences(
        user_id=user_id,
        channels={
            NotificationKind(kind): frozenset(Channel(c) for c in chosen if c in channels)
            for kind, chosen in dict(doc.get("channels") or {}).items()
            if kind in kinds
        },
        new_matches=MatchDelivery(doc.get("new_matches") or MatchDelivery.IMMEDIATE.value),
        digest_hour=int(doc.get("digest_hour", 8)),
        timezone=str(doc.get("timezone") or "UTC"),
        quiet_hours=None
        if not quiet
        else QuietHours(
            parse_clock_time(quiet["start"], "start"), parse_clock_time(quiet["end"], "end")
        ),
        match_threshold=doc.get("match_threshold"),
    )


class PostgresNotificationPreferences:
    """``NotificationPreferencesRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def get(self, user_id: uuid.UUID) -> NotificationPreferences:
        """The stored preferences, else the defaults."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT document FROM notification_preferences WHERE user_id = %s", (user_id,)
            )
            row = cur.fetchone()
        if row is None:
            return NotificationPreferences.default(user_id)
        return preferences_from_document(user_id, row["document"])

    def save(self, preferences: NotificationPreferences, at: datetime) -> None:
        """Insert or replace the person's preferences."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO notification_preferences "
                "(user_id, document, match_threshold, updated_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET document = EXCLUDED.document, "
                "match_threshold = EXCLUDED.match_threshold, updated_at = EXCLUDED.updated_at",
                (
                    preferences.user_id,
                    Jsonb(preferences_document(preferences)),
                    preferences.match_threshold,
                    at,
                ),
            )

    def with_threshold(self) -> Sequence[NotificationPreferences]:
        """The preferences that set a match threshold, by user id."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT user_id, document FROM notification_preferences "
                "WHERE match_threshold IS NOT NULL ORDER BY user_id::text"
            )
            return [preferences_from_document(r["user_id"], r["document"]) for r in cur]


def _item(row: Mapping[str, Any]) -> InboxItem:
    return InboxItem(
        id=row["id"],
        user_id=row["user_id"],
        kind=NotificationKind(row["kind"]),
        title=row["title"],
        body=row["body"],
        created_at=row["created_at"],
        data={str(k): str(v) for k, v in row["data"].items()},
        read_at=row["read_at"],
    )


class PostgresNotificationInbox:
    """``NotificationInbox`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def add(self, item: InboxItem) -> bool:
        """Insert ``item`` unless its id is stored."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "INSERT INTO notification_inbox "
                "(id, user_id, kind, title, body, data, created_at, read_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (
                    item.id,
                    item.user_id,
                    item.kind.value,
                    item.title,
                    item.body,
                    Jsonb(dict(item.data)),
                    item.created_at,
                    item.read_at,
                ),
            )
            return cur.rowcount == 1

    def list(self, user_id: uuid.UUID, page: PageRequest, *, unread_only: bool) -> Page[InboxItem]:
        """The person's items, newest first, one page."""
        where = "user_id = %s" + (" AND read_at IS NULL" if unread_only else "")
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                f"SELECT *, count(*) OVER () AS total FROM notification_inbox WHERE {where} "
                "ORDER BY created_at DESC, id::text DESC LIMIT %s OFFSET %s",
                (user_id, page.per_page, page.offset),
            )
            rows = cur.fetchall()
            if rows:
                total = int(rows[0]["total"])
            else:
                cur.execute(
                    f"SELECT count(*) AS n FROM notification_inbox WHERE {where}", (user_id,)
                )
                found = cur.fetchone()
                total = int(found["n"]) if found else 0
        return Page(tuple(_item(r) for r in rows), total, page)

    def unread(self, user_id: uuid.UUID) -> int:
        """How many of the person's items are unread."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM notification_inbox WHERE user_id = %s AND read_at IS NULL",
                (user_id,),
            )
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def mark_read(self, user_id: uuid.UUID, item_id: uuid.UUID, at: datetime) -> InboxItem:
        """Mark the item read (keeping an earlier time), or ``NotFound``."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "UPDATE notification_inbox SET read_at = coalesce(read_at, %s) "
                "WHERE id = %s AND user_id = %s RETURNING *",
                (at, item_id, user_id),
            )
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"notification {item_id} not found")
        return _item(row)

    def mark_all_read(self, user_id: uuid.UUID, at: datetime) -> int:
        """Mark every unread item of the person read."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "UPDATE notification_inbox SET read_at = %s WHERE user_id = %s AND read_at IS NULL",
                (at, user_id),
            )
            return cur.rowcount


_DELIVERY_COLUMNS: Final = (
    "d.event_id, d.channel, d.state, d.due_at, d.attempts, d.error, d.updated_at, "
    "e.user_id, e.kind, e.dedupe_key, e.title, e.body, e.data, e.created_at"
)


def _delivery(row: Mapping[str, Any]) -> Delivery:
    return Delivery(
        event=event_from_row(row, id_column="event_id"),
        channel=Channel(row["channel"]),
        state=DeliveryState(row["state"]),
        updated_at=row["updated_at"],
        due_at=row["due_at"],
        attempts=row["attempts"],
        error=row["error"],
    )


class PostgresDeliveryLog:
    """``DeliveryLog`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def _values(self, delivery: Delivery) -> tuple[object, ...]:
        return (
            delivery.state.value,
            delivery.due_at,
            delivery.attempts,
            delivery.error,
            delivery.updated_at,
            delivery.event_id,
            delivery.channel.value,
        )

    def add(self, delivery: Delivery) -> bool:
        """Insert a record unless the (event, channel) has one."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "INSERT INTO notification_deliveries "
                "(state, due_at, attempts, error, updated_at, event_id, channel, user_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (event_id, channel) DO NOTHING",
                (*self._values(delivery), delivery.user_id),
            )
            return cur.rowcount == 1

    def update(self, delivery: Delivery) -> None:
        """Replace the record of the (event, channel), or ``NotFound``."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "UPDATE notification_deliveries SET state = %s, due_at = %s, attempts = %s, "
                "error = %s, updated_at = %s WHERE event_id = %s AND channel = %s",
                self._values(delivery),
            )
            if cur.rowcount != 1:
                raise NotFound(f"no delivery of {delivery.event_id} on {delivery.channel}")

    def _select(
        self, where: str, params: Sequence[object], order: str, *, lock: bool
    ) -> list[Delivery]:
        sql = (
            f"SELECT {_DELIVERY_COLUMNS} FROM notification_deliveries d "
            f"JOIN notification_events e ON e.id = d.event_id WHERE {where} ORDER BY {order}"
        )
        if lock:
            sql += " FOR UPDATE OF d SKIP LOCKED"
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, params)
            return [_delivery(r) for r in cur.fetchall()]

    def get(self, event_id: uuid.UUID, channel: Channel) -> Delivery | None:
        """The record of the (event, channel)."""
        found = self._select(
            "d.event_id = %s AND d.channel = %s",
            (event_id, channel.value),
            "d.event_id",
            lock=False,
        )
        return found[0] if found else None

    def due(self, now: datetime, limit: int) -> Sequence[Delivery]:
        """Held deliveries due by ``now``, soonest first, locked."""
        return self._select(
            "d.state = 'held' AND d.due_at <= %s",
            (now, limit),
            "d.due_at, d.event_id::text, d.channel LIMIT %s",
            lock=True,
        )

    def digest_users(self, limit: int) -> Sequence[uuid.UUID]:
        """People with deliveries kept for a digest, by id."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "SELECT user_id FROM notification_deliveries WHERE state = 'digest' "
                "GROUP BY user_id ORDER BY user_id::text LIMIT %s",
                (limit,),
            )
            return [row[0] for row in cur.fetchall()]

    def digests(self, user_id: uuid.UUID) -> Sequence[Delivery]:
        """The person's deliveries kept for a digest, oldest first, locked."""
        return self._select(
            "d.user_id = %s AND d.state = 'digest'",
            (user_id,),
            "e.created_at, d.event_id::text, d.channel",
            lock=True,
        )
