"""PostgreSQL repository of external identities linked to accounts (OIDC / OAuth 2.0 sign-in)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

import psycopg
from psycopg.rows import dict_row

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.twofactor import guarded_write
from jobraker_core.accounts.oidc import OidcIdentity

Connection = psycopg.Connection[Any]
_COLUMNS: Final = "provider, subject, user_id, email, linked_at"


def identity_from_row(row: Mapping[str, Any]) -> OidcIdentity:
    """Map an ``oidc_identities`` row to the link."""
    return OidcIdentity(
        provider=row["provider"],
        subject=row["subject"],
        user_id=row["user_id"],
        email=row["email"],
        linked_at=row["linked_at"],
    )


class PostgresOidcIdentityRepository:
    """An ``OidcIdentityRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (inside the unit of work's transaction)."""
        self._conn = conn

    def get(self, provider: str, subject: str) -> OidcIdentity | None:
        """The link of this identity, if any."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {_COLUMNS} FROM oidc_identities WHERE provider = %s AND subject = %s",
                (provider, subject),
            ).fetchone()
        return None if row is None else identity_from_row(row)

    def add(self, identity: OidcIdentity) -> None:
        """Store a new link; ``Conflict`` if the identity is linked already."""
        with guarded_write(self._conn, "this identity is already linked to an account"):
            self._conn.execute(
                f"INSERT INTO oidc_identities ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
                (
                    identity.provider,
                    identity.subject,
                    identity.user_id,
                    identity.email,
                    identity.linked_at,
                ),
            )

    def for_user(self, user_id: uuid.UUID) -> list[OidcIdentity]:
        """The user's linked identities, oldest first."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                f"SELECT {_COLUMNS} FROM oidc_identities WHERE user_id = %s "
                "ORDER BY linked_at, provider, subject",
                (user_id,),
            ).fetchall()
        return [identity_from_row(row) for row in rows]


__all__ = ["PostgresOidcIdentityRepository"]
