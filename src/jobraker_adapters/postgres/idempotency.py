"""PostgreSQL ``IdempotencyStore`` (migration 0030), following ``memory.idempotency``.

Each operation is one short transaction of its own on a pooled connection, never the caller's
unit of work: a claim must be visible to concurrent requests before the handler runs.
``begin`` is one ``INSERT … ON CONFLICT (user_id, key) DO UPDATE … WHERE <replaceable>``: of two
concurrent requests with one key, exactly one inserts (or takes over an expired or abandoned
record); the other waits for that commit, finds the row not replaceable, and reads it. A claim
also deletes the user's expired records, so they do not pile up between purges.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_core.errors import InvalidInput
from jobraker_core.idempotency import IdempotencyClaim, IdempotencyRecord, StoredResponse

if TYPE_CHECKING:
    from jobraker_adapters.postgres.pool import Pool

Connection = psycopg.Connection[Any]

_CLAIM = """
INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, created_at, expires_at, locked_until)
VALUES (%(user)s, %(key)s, %(fingerprint)s, %(created)s, %(expires)s, %(locked)s)
ON CONFLICT (user_id, key) DO UPDATE SET
    fingerprint = EXCLUDED.fingerprint,
    created_at = EXCLUDED.created_at,
    expires_at = EXCLUDED.expires_at,
    locked_until = EXCLUDED.locked_until,
    response_status = NULL,
    response_headers = NULL,
    response_body = NULL
WHERE k.expires_at <= %(now)s OR (k.response_status IS NULL AND k.locked_until <= %(now)s)
RETURNING 1
"""


def _record(row: Mapping[str, Any]) -> IdempotencyRecord:
    response = None
    if row["response_status"] is not None:
        headers = row["response_headers"] or []
        response = StoredResponse(
            status=row["response_status"],
            body=bytes(row["response_body"]),
            headers=tuple((str(name), str(value)) for name, value in headers),
        )
    return IdempotencyRecord(
        user_id=row["user_id"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        locked_until=row["locked_until"],
        response=response,
    )


class PostgresIdempotencyStore:
    """``IdempotencyStore`` on its own short transactions from ``pool``."""

    def __init__(self, pool: Pool) -> None:
        """Take connections from ``pool``."""
        self._pool = pool

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with translate_errors(), self._pool.connection() as conn:
            yield conn

    def begin(self, record: IdempotencyRecord, now: datetime) -> IdempotencyRecord | None:
        """Claim the key with ``record`` unless a live record is in the way (returned)."""
        params = {
            "user": record.user_id,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "created": record.created_at,
            "expires": record.expires_at,
            "locked": record.locked_until,
            "now": now,
        }
        for _ in range(3):  # the record in the way may be abandoned between the two statements
            with self._connection() as conn:
                try:
                    claimed = conn.execute(_CLAIM, params).fetchone()
                except psycopg.errors.ForeignKeyViolation:
                    raise InvalidInput("no such user for this Idempotency-Key") from None
                if claimed is not None:
                    conn.execute(
                        "DELETE FROM idempotency_keys WHERE user_id = %s AND expires_at <= %s",
                        (record.user_id, now),
                    )
                    return None
                with conn.cursor(row_factory=dict_row) as cur:
                    cur.execute(
                        "SELECT * FROM idempotency_keys WHERE user_id = %s AND key = %s",
                        (record.user_id, record.key),
                    )
                    row = cur.fetchone()
                if row is not None:
                    return _record(row)
        msg = "the idempotency record kept changing under this request"
        raise RuntimeError(msg)

    def finish(self, claim: IdempotencyClaim, response: StoredResponse) -> bool:
        """Attach ``response`` to the claimed record, if it is still the claim's."""
        with self._connection() as conn:
            cursor = conn.execute(
                "UPDATE idempotency_keys SET response_status = %s, response_headers = %s, "
                "response_body = %s "
                "WHERE user_id = %s AND key = %s AND fingerprint = %s "
                "AND response_status IS NULL",
                (
                    response.status,
                    Jsonb([list(pair) for pair in response.headers]),
                    response.body,
                    claim.user_id,
                    claim.key,
                    claim.fingerprint,
                ),
            )
            return cursor.rowcount == 1

    def abandon(self, claim: IdempotencyClaim) -> None:
        """Delete the claimed record if it is still the claim's and unanswered."""
        with self._connection() as conn:
            conn.execute(
                "DELETE FROM idempotency_keys WHERE user_id = %s AND key = %s "
                "AND fingerprint = %s AND response_status IS NULL",
                (claim.user_id, claim.key, claim.fingerprint),
            )

    def purge(self, now: datetime) -> int:
        """Delete the records expired at ``now``."""
        with self._connection() as conn:
            return conn.execute(
                "DELETE FROM idempotency_keys WHERE expires_at <= %s", (now,)
            ).rowcount
