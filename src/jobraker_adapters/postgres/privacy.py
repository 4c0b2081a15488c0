"""PostgreSQL ``PersonalDataStore``: export and erase every row that belongs to a user.

``USER_OWNED_TABLES`` lists each table that holds a user's data, how its rows are found, which
columns are secrets or digests (left out of exports), and whether erasure deletes it (the audit
log is append-only and names people by id only; it stays). A test compares the list with the
schema (every table with a ``user_id`` column, every table that a foreign key ties to ``users``
or to a listed table), so a table added later cannot be forgotten. As a safety net, a table with
a ``user_id`` column that is not listed is still exported and erased, its ``bytea`` columns and
columns named like secrets left out.

Erasure deletes child tables first and the ``users`` row last (whose foreign keys cascade to
anything missed), in the caller's transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs
import psycopg
from psycopg import sql

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_core.accounts.privacy import DataSection, ErasureReport

if TYPE_CHECKING:
    from jobraker_core.accounts.privacy import JsonValue

Connection = psycopg.Connection[Any]
_BY_USER: Final = "user_id = %(user)s"
# Columns never exported from tables the list does not know: secrets and their digests.
SECRET_COLUMN: Final = re.compile(r"(password|secret|token|hash|key|credential|otp)", re.IGNORECASE)


@attrs.frozen
class OwnedTable:
    """A table with data of users: ``where`` finds one user's rows (``%(user)s`` is the id)."""

    table: str
    section: str
    where: str = _BY_USER
    omit: frozenset[str] = frozenset()
    erase: bool = True


USER_OWNED_TABLES: Final = (
    OwnedTable("users", "account", "id = %(user)s", frozenset({"password_hash", "token_version"})),
    OwnedTable("profiles", "profile"),
    OwnedTable("resumes", "resumes"),
    OwnedTable("candidate_profiles", "candidate_profile"),
    OwnedTable("match_feedback", "feedback"),
    OwnedTable("saved_searches", "saved_searches"),
    OwnedTable(
        "saved_search_hits",
        "saved_search_hits",
        "search_id IN (SELECT id FROM saved_searches WHERE user_id = %(user)s)",
    ),
    OwnedTable("refresh_token_families", "sessions"),
    OwnedTable("refresh_tokens", "refresh_tokens", omit=frozenset({"token_hash"})),
    OwnedTable("two_factor_enrolments", "two_factor", omit=frozenset({"totp_secret"})),
    OwnedTable("recovery_codes", "recovery_codes", omit=frozenset({"code_hash"})),
    OwnedTable(
        "two_factor_challenges", "two_factor_challenges", omit=frozenset({"challenge_hash"})
    ),
    OwnedTable("oidc_identities", "linked_identities"),
    OwnedTable("notification_events", "notification_events"),
    OwnedTable("usage_ledger", "usage"),
    OwnedTable("application_events", "application_events"),
    OwnedTable("applications", "applications"),
    OwnedTable("application_settings", "application_settings"),
    OwnedTable("answer_bank", "answer_bank"),
    OwnedTable("documents", "documents"),
    # stored answers to retried requests (copies of data exported elsewhere) and their digests
    OwnedTable(
        "idempotency_keys",
        "idempotency_keys",
        omit=frozenset({"fingerprint", "response_headers", "response_body"}),
    ),
    OwnedTable("chat_proposals", "chat_proposals"),
    OwnedTable("chat_messages", "chat_messages"),
    OwnedTable("conversations", "conversations"),
    OwnedTable("notification_preferences", "notification_preferences"),
    OwnedTable("notification_inbox", "notification_inbox"),
    OwnedTable("notification_deliveries", "notification_deliveries"),
    OwnedTable(
        "audit_log",
        "audit_events",
        "actor_id = %(user)s OR subject_id = %(user)s",
        erase=False,
    ),
)


def to_json(value: object) -> JsonValue:  # noqa: PLR0911 - one answer per kind of value
    """A column value as plain JSON: ids and times as strings, numbers as numbers."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID | decimal.Decimal | dt.timedelta):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    tolist = getattr(value, "tolist", None)  # a pgvector / numpy vector
    if callable(tolist):
        return to_json(tolist())
    return str(value)


class PostgresPersonalDataStore:
    """A ``PersonalDataStore`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (inside the unit of work's transaction)."""
        self._conn = conn

    def _columns(self) -> dict[str, list[tuple[str, str]]]:
        """Every table of the schema and its (column, data type) pairs, in column order."""
        with translate_errors():
            rows = self._conn.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
            ).fetchall()
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in rows:
            columns.setdefault(str(table), []).append((str(column), str(data_type)))
        return columns

    def tables(self, columns: Mapping[str, list[tuple[str, str]]]) -> list[OwnedTable]:
        """The listed tables that exist, then unlisted ones with a ``user_id`` column."""
        listed = [owned for owned in USER_OWNED_TABLES if owned.table in columns]
        known = {owned.table for owned in USER_OWNED_TABLES}
        extra = [
            OwnedTable(
                table,
                table,
                omit=frozenset(
                    name
                    for name, data_type in table_columns
                    if data_type == "bytea" or SECRET_COLUMN.search(name)
                ),
            )
            for table, table_columns in sorted(columns.items())
            if table not in known
            and not table.startswith("_yoyo")
            and any(name == "user_id" for name, _ in table_columns)
        ]
        return listed + extra

    def export(self, user_id: uuid.UUID) -> tuple[DataSection, ...]:
        """Every row of the user, table by table, secrets and digests left out."""
        columns = self._columns()
        sections = []
        for owned in self.tables(columns):
            kept = [name for name, _ in columns[owned.table] if name not in owned.omit]
            query = sql.SQL("SELECT {columns} FROM {table} WHERE {where} ORDER BY {first}").format(
                columns=sql.SQL(", ").join(sql.Identifier(name) for name in kept),
                table=sql.Identifier(owned.table),
                where=sql.SQL(owned.where),  # fixed fragments from USER_OWNED_TABLES
                first=sql.Identifier(kept[0]),
            )
            with translate_errors():
                rows = self._conn.execute(query, {"user": user_id}).fetchall()
            records = tuple(
                {name: to_json(value) for name, value in zip(kept, row, strict=True)}
                for row in rows
            )
            sections.append(DataSection(name=owned.section, records=records))
        return tuple(sections)

    def erase(self, user_id: uuid.UUID) -> ErasureReport:
        """Delete every row of the user (children first, the account last)."""
        owned = [t for t in self.tables(self._columns()) if t.erase]
        ordered = [t for t in reversed(owned) if t.table != "users"] + [
            t for t in owned if t.table == "users"
        ]
        counts = []
        for table in ordered:
            query = sql.SQL("DELETE FROM {table} WHERE {where}").format(
                table=sql.Identifier(table.table),
                where=sql.SQL(table.where),  # fixed fragments from USER_OWNED_TABLES
            )
            with translate_errors():
                deleted = self._conn.execute(query, {"user": user_id}).rowcount
            counts.append((table.table, max(deleted, 0)))
        return ErasureReport(rows=tuple(counts))


__all__ = ["USER_OWNED_TABLES", "OwnedTable", "PostgresPersonalDataStore", "to_json"]
