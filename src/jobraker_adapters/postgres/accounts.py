"""PostgreSQL repositories of the accounts capability: users, refresh tokens, the audit log.

They follow the in-memory fakes (``jobraker_adapters.memory.accounts``); the contract tests run
one suite against both. Rows become domain objects only through the mapping functions below.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import (
    AuditEvent,
    AuditKind,
    AuditQuery,
    RefreshFamily,
    RefreshToken,
    User,
    UserQuery,
    UserStatus,
)
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import Page, PageRequest

Row = Mapping[str, Any]
Connection = psycopg.Connection[Any]

_CONFLICTS: Final = {
    "users_pkey": "a user with this id already exists",
    "users_email_key": "an account with this email already exists",
    "refresh_token_families_pkey": "a token family with this id already exists",
    "refresh_tokens_pkey": "this refresh token already exists",
    "audit_log_pkey": "an audit event with this id already exists",
}


def _insert(conn: Connection, sql: str, params: Mapping[str, Any]) -> None:
    """Run an INSERT under a savepoint; a unique violation is ``Conflict``.

    The transaction stays usable after a refusal, as with the fakes, which check before they
    write.
    """
    with translate_errors():
        try:
            # An explicit savepoint: ``conn.transaction()`` would commit if no transaction were
            # open yet, and the unit of work must stay the only one that commits.
            conn.execute("SAVEPOINT jobraker_accounts_insert")
            try:
                conn.execute(sql, params)
            except psycopg.Error:
                with suppress(psycopg.Error):  # a broken connection: the error says why
                    conn.execute("ROLLBACK TO SAVEPOINT jobraker_accounts_insert")
                raise
            conn.execute("RELEASE SAVEPOINT jobraker_accounts_insert")
        except pg_errors.UniqueViolation as error:
            message = _CONFLICTS.get(error.diag.constraint_name or "")
            if message is None:
                raise
            raise Conflict(message) from error
        except pg_errors.ForeignKeyViolation as error:
            raise NotFound("the row this one belongs to does not exist") from error


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ----------------------------------------------------------------------------- users

_USER_COLUMNS: Final = (
    "id, email, role, status, password_hash, created_at, token_version, last_login_at"
)


def user_to_row(user: User) -> dict[str, Any]:
    """Map a user to its ``users`` row."""
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "status": user.status.value,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "token_version": user.token_version,
        "last_login_at": user.last_login_at,
    }


def user_from_row(row: Row) -> User:
    """Map a ``users`` row back to the user."""
    return User(
        id=row["id"],
        email=row["email"],
        role=Role(row["role"]),
        status=UserStatus(row["status"]),
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        token_version=row["token_version"],
        last_login_at=row["last_login_at"],
    )


class PostgresUserRepository:
    """A ``UserRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (inside the unit of work's transaction)."""
        self._conn = conn

    def add(self, user: User) -> None:
        """Insert a new user; ``Conflict`` when its email or id is taken."""
        _insert(
            self._conn,
            f"INSERT INTO users ({_USER_COLUMNS}) VALUES (%(id)s, %(email)s, %(role)s, "
            "%(status)s, %(password_hash)s, %(created_at)s, %(token_version)s, %(last_login_at)s)",
            user_to_row(user),
        )

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User:
        """The user with this id; ``NotFound`` when there is none."""
        lock = " FOR UPDATE" if for_update else ""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s{lock}", (user_id,)
            ).fetchone()
        if row is None:
            raise NotFound("no such user")
        return user_from_row(row)

    def by_email(self, email: str) -> User | None:
        """The user with this normalised email, if any."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE email = %s", (email,)
            ).fetchone()
        return None if row is None else user_from_row(row)

    def update(self, user: User) -> None:
        """Overwrite the stored user; ``NotFound`` when it is not stored."""
        with translate_errors():
            cur = self._conn.execute(
                "UPDATE users SET email = %(email)s, role = %(role)s, status = %(status)s, "
                "password_hash = %(password_hash)s, created_at = %(created_at)s, "
                "token_version = %(token_version)s, last_login_at = %(last_login_at)s "
                "WHERE id = %(id)s",
                user_to_row(user),
            )
        if cur.rowcount == 0:
            raise NotFound("no such user")

    def record_login(self, user_id: uuid.UUID, when: datetime) -> None:
        """Set only the user's ``last_login_at``."""
        with translate_errors():
            cur = self._conn.execute(
                "UPDATE users SET last_login_at = %s WHERE id = %s", (when, user_id)
            )
        if cur.rowcount == 0:
            raise NotFound("no such user")

    def replace_password_hash(self, user_id: uuid.UUID, *, old: str, new: str) -> bool:
        """Swap the hash if it is still ``old``."""
        with translate_errors():
            cur = self._conn.execute(
                "UPDATE users SET password_hash = %s WHERE id = %s AND password_hash = %s",
                (new, user_id, old),
            )
        return cur.rowcount == 1

    def list(self, query: UserQuery, page: PageRequest) -> Page[User]:
        """One page of the matching users, oldest first."""
        where, params = "", {}
        if query.email_contains:
            where = "WHERE email LIKE %(pattern)s"
            params["pattern"] = _like_pattern(query.email_contains.lower())
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                f"SELECT {_USER_COLUMNS}, count(*) OVER () AS total FROM users {where} "
                "ORDER BY created_at, id LIMIT %(limit)s OFFSET %(offset)s",
                {**params, "limit": page.per_page, "offset": page.offset},
            ).fetchall()
            total = int(rows[0]["total"]) if rows else self._count(where, params)
        return Page(items=tuple(user_from_row(row) for row in rows), total=total, request=page)

    def _count(self, where: str, params: Mapping[str, Any]) -> int:
        row = self._conn.execute(f"SELECT count(*) FROM users {where}", params).fetchone()
        return int(row[0]) if row else 0


# ----------------------------------------------------------------------------- refresh tokens


def family_from_row(row: Row) -> RefreshFamily:
    """Map a ``refresh_token_families`` row to the family."""
    return RefreshFamily(
        id=row["id"],
        user_id=row["user_id"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def token_from_row(row: Row) -> RefreshToken:
    """Map a ``refresh_tokens`` row to the token."""
    return RefreshToken(
        token_hash=row["token_hash"],
        family_id=row["family_id"],
        user_id=row["user_id"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        consumed_at=row["consumed_at"],
    )


class PostgresRefreshTokenRepository:
    """A ``RefreshTokenRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (inside the unit of work's transaction)."""
        self._conn = conn

    def add_family(self, family: RefreshFamily) -> None:
        """Insert a new family; ``Conflict`` when its id is taken."""
        _insert(
            self._conn,
            "INSERT INTO refresh_token_families (id, user_id, created_at, revoked_at) "
            "VALUES (%(id)s, %(user_id)s, %(created_at)s, %(revoked_at)s)",
            {
                "id": family.id,
                "user_id": family.user_id,
                "created_at": family.created_at,
                "revoked_at": family.revoked_at,
            },
        )

    def get_family(self, family_id: uuid.UUID, *, for_update: bool = False) -> RefreshFamily | None:
        """The family with this id, if any (locked to the end of the unit with ``for_update``)."""
        lock = " FOR UPDATE" if for_update else ""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT id, user_id, created_at, revoked_at FROM refresh_token_families "
                f"WHERE id = %s{lock}",
                (family_id,),
            ).fetchone()
        return None if row is None else family_from_row(row)

    def revoke_family(self, family_id: uuid.UUID, when: datetime) -> bool:
        """Revoke the family if it is live."""
        with translate_errors():
            cur = self._conn.execute(
                "UPDATE refresh_token_families SET revoked_at = %s "
                "WHERE id = %s AND revoked_at IS NULL",
                (when, family_id),
            )
        return cur.rowcount == 1

    def revoke_user_families(self, user_id: uuid.UUID, when: datetime) -> list[uuid.UUID]:
        """Revoke every live family of the user."""
        with translate_errors():
            rows = self._conn.execute(
                "UPDATE refresh_token_families SET revoked_at = %s "
                "WHERE user_id = %s AND revoked_at IS NULL RETURNING id",
                (when, user_id),
            ).fetchall()
        return [row[0] for row in rows]

    def add(self, token: RefreshToken) -> None:
        """Insert a new token of a stored family."""
        _insert(
            self._conn,
            "INSERT INTO refresh_tokens "
            "(token_hash, family_id, user_id, issued_at, expires_at, consumed_at) VALUES "
            "(%(token_hash)s, %(family_id)s, %(user_id)s, %(issued_at)s, %(expires_at)s, "
            "%(consumed_at)s)",
            {
                "token_hash": token.token_hash,
                "family_id": token.family_id,
                "user_id": token.user_id,
                "issued_at": token.issued_at,
                "expires_at": token.expires_at,
                "consumed_at": token.consumed_at,
            },
        )

    def get(self, token_hash: str) -> RefreshToken | None:
        """The token with this digest, if any."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT token_hash, family_id, user_id, issued_at, expires_at, consumed_at "
                "FROM refresh_tokens WHERE token_hash = %s",
                (token_hash,),
            ).fetchone()
        return None if row is None else token_from_row(row)

    def consume(self, token_hash: str, when: datetime) -> bool:
        """Mark the token used, once: only the first caller gets ``True``."""
        with translate_errors():
            cur = self._conn.execute(
                "UPDATE refresh_tokens SET consumed_at = %s "
                "WHERE token_hash = %s AND consumed_at IS NULL",
                (when, token_hash),
            )
        return cur.rowcount == 1


# ----------------------------------------------------------------------------- audit


def audit_to_row(event: AuditEvent) -> dict[str, Any]:
    """Map an audit event to its ``audit_log`` row."""
    return {
        "id": event.id,
        "occurred_at": event.occurred_at,
        "kind": event.kind.value,
        "actor_id": event.actor_id,
        "subject_id": event.subject_id,
        "ip": event.ip,
        "details": Jsonb(dict(event.details)),
    }


def audit_from_row(row: Row) -> AuditEvent:
    """Map an ``audit_log`` row back to the event."""
    details = row["details"] or {}
    return AuditEvent(
        id=row["id"],
        occurred_at=row["occurred_at"],
        kind=AuditKind(row["kind"]),
        actor_id=row["actor_id"],
        subject_id=row["subject_id"],
        ip=row["ip"],
        details=tuple(sorted((str(k), str(v)) for k, v in details.items())),
    )


class PostgresAuditLog:
    """An ``AuditLog`` on the unit of work's connection (the table refuses UPDATE and DELETE)."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (inside the unit of work's transaction)."""
        self._conn = conn

    def append(self, event: AuditEvent) -> None:
        """Insert ``event``; ``Conflict`` when its id is taken."""
        _insert(
            self._conn,
            "INSERT INTO audit_log (id, occurred_at, kind, actor_id, subject_id, ip, details) "
            "VALUES (%(id)s, %(occurred_at)s, %(kind)s, %(actor_id)s, %(subject_id)s, %(ip)s, "
            "%(details)s)",
            audit_to_row(event),
        )

    def list(self, query: AuditQuery, page: PageRequest) -> Page[AuditEvent]:
        """One page of the matching events, newest first."""
        clauses: list[str] = []
        params: dict[str, Any] = {"limit": page.per_page, "offset": page.offset}
        if query.kind is not None:
            clauses.append("kind = %(kind)s")
            params["kind"] = query.kind.value
        if query.user_id is not None:
            clauses.append("(actor_id = %(user_id)s OR subject_id = %(user_id)s)")
            params["user_id"] = query.user_id
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT id, occurred_at, kind, actor_id, subject_id, ip, details, "
                f"count(*) OVER () AS total FROM audit_log {where} "
                "ORDER BY occurred_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
                params,
            ).fetchall()
            if rows:
                total = int(rows[0]["total"])
            else:
                row = self._conn.execute(
                    f"SELECT count(*) FROM audit_log {where}", params
                ).fetchone()
                total = int(row[0]) if row else 0
        return Page(items=tuple(audit_from_row(row) for row in rows), total=total, request=page)
