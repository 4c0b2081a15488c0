"""PostgreSQL repository of two-factor sign-in: enrolments, recovery codes, login challenges.

It follows the in-memory fake (``jobraker_adapters.memory.twofactor``). The sealed TOTP seed is
stored as it comes (``bytea``): sealing and opening happen in the core through the ``SecretBox``,
so this module never sees a seed in the clear. Single use is enforced here with conditional
writes (``claim_step``, ``use_recovery_code``, ``consume_challenge``): PostgreSQL re-checks the
``WHERE`` of an ``UPDATE`` after waiting for a concurrent one, so exactly one of two racing
requests succeeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_core.accounts.twofactor import RecoveryCode, TotpEnrolment, TwoFactorChallenge
from jobraker_core.errors import Conflict, NotFound

Row = Mapping[str, Any]
Connection = psycopg.Connection[Any]

_SAVEPOINT: Final = "jobraker_security_write"
_ENROLMENT_COLUMNS: Final = "user_id, totp_secret, created_at, confirmed_at, last_used_step"
_CHALLENGE_COLUMNS: Final = (
    "challenge_hash, user_id, token_version, created_at, expires_at, attempts, consumed_at"
)


@contextmanager
def guarded_write(conn: Connection, conflict: str) -> Iterator[None]:
    """Run writes under a savepoint, so the transaction stays usable after a refusal.

    A unique violation is ``Conflict(conflict)``; a missing owner row is ``NotFound``.
    """
    with translate_errors():
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            yield
        except pg_errors.UniqueViolation as error:
            with suppress(psycopg.Error):
                conn.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            raise Conflict(conflict) from error
        except pg_errors.ForeignKeyViolation as error:
            with suppress(psycopg.Error):
                conn.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            raise NotFound("no such user") from error
        except psycopg.Error:
            with suppress(psycopg.Error):
                conn.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")


def enrolment_from_row(row: Row) -> TotpEnrolment:
    """Map a ``two_factor_enrolments`` row to the enrolment."""
    return TotpEnrolment(
        user_id=row["user_id"],
        sealed_secret=bytes(row["totp_secret"]),
        created_at=row["created_at"],
        confirmed_at=row["confirmed_at"],
        last_used_step=row["last_used_step"],
    )


def challenge_from_row(row: Row) -> TwoFactorChallenge:
    """Map a ``two_factor_challenges`` row to the challenge."""
    return TwoFactorChallenge(
        challenge_hash=row["challenge_hash"],
        user_id=row["user_id"],
        token_version=row["token_version"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        attempts=row["attempts"],
        consumed_at=row["consumed_at"],
    )


class PostgresTwoFactorRepository:
    """A ``TwoFactorRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (inside the unit of work's transaction)."""
        self._conn = conn

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> TotpEnrolment | None:
        """The user's enrolment, if any."""
        lock = " FOR UPDATE" if for_update else ""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {_ENROLMENT_COLUMNS} FROM two_factor_enrolments WHERE user_id = %s{lock}",
                (user_id,),
            ).fetchone()
        return None if row is None else enrolment_from_row(row)

    def save(self, enrolment: TotpEnrolment) -> None:
        """Insert or replace the user's enrolment."""
        with guarded_write(self._conn, "the enrolment collides with another"):
            self._conn.execute(
                f"INSERT INTO two_factor_enrolments ({_ENROLMENT_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET "
                "totp_secret = EXCLUDED.totp_secret, created_at = EXCLUDED.created_at, "
                "confirmed_at = EXCLUDED.confirmed_at, last_used_step = EXCLUDED.last_used_step",
                (
                    enrolment.user_id,
                    enrolment.sealed_secret,
                    enrolment.created_at,
                    enrolment.confirmed_at,
                    enrolment.last_used_step,
                ),
            )

    def delete(self, user_id: uuid.UUID) -> bool:
        """Remove the enrolment, recovery codes and challenges of the user."""
        with translate_errors():
            self._conn.execute("DELETE FROM recovery_codes WHERE user_id = %s", (user_id,))
            self._conn.execute("DELETE FROM two_factor_challenges WHERE user_id = %s", (user_id,))
            deleted = self._conn.execute(
                "DELETE FROM two_factor_enrolments WHERE user_id = %s", (user_id,)
            ).rowcount
        return deleted > 0

    def claim_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Move ``last_used_step`` to ``step`` if it is below it (one conditional UPDATE)."""
        with translate_errors():
            claimed = self._conn.execute(
                "UPDATE two_factor_enrolments SET last_used_step = %(step)s "
                "WHERE user_id = %(user)s "
                "AND (last_used_step IS NULL OR last_used_step < %(step)s)",
                {"user": user_id, "step": step},
            ).rowcount
        return claimed == 1

    def replace_recovery_codes(self, user_id: uuid.UUID, codes: Sequence[RecoveryCode]) -> None:
        """Make ``codes`` the user's only recovery codes."""
        with guarded_write(self._conn, "a recovery code collides with another"):
            self._conn.execute("DELETE FROM recovery_codes WHERE user_id = %s", (user_id,))
            with self._conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) "
                    "VALUES (%s, %s, %s, %s)",
                    [(c.user_id, c.code_hash, c.created_at, c.used_at) for c in codes],
                )

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, when: datetime) -> bool:
        """Mark the unused code used (one conditional UPDATE)."""
        with translate_errors():
            used = self._conn.execute(
                "UPDATE recovery_codes SET used_at = %s "
                "WHERE user_id = %s AND code_hash = %s AND used_at IS NULL",
                (when, user_id, code_hash),
            ).rowcount
        return used == 1

    def unused_recovery_codes(self, user_id: uuid.UUID) -> int:
        """How many recovery codes the user has left."""
        with translate_errors():
            row = self._conn.execute(
                "SELECT count(*) FROM recovery_codes WHERE user_id = %s AND used_at IS NULL",
                (user_id,),
            ).fetchone()
        return int(row[0]) if row else 0

    def add_challenge(self, challenge: TwoFactorChallenge) -> None:
        """Store a new challenge."""
        with guarded_write(self._conn, "this challenge already exists"):
            self._conn.execute(
                f"INSERT INTO two_factor_challenges ({_CHALLENGE_COLUMNS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    challenge.challenge_hash,
                    challenge.user_id,
                    challenge.token_version,
                    challenge.created_at,
                    challenge.expires_at,
                    challenge.attempts,
                    challenge.consumed_at,
                ),
            )

    def get_challenge(
        self, challenge_hash: str, *, for_update: bool = False
    ) -> TwoFactorChallenge | None:
        """The challenge with this digest, if any."""
        lock = " FOR UPDATE" if for_update else ""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {_CHALLENGE_COLUMNS} FROM two_factor_challenges "
                f"WHERE challenge_hash = %s{lock}",
                (challenge_hash,),
            ).fetchone()
        return None if row is None else challenge_from_row(row)

    def record_challenge_failure(self, challenge_hash: str) -> int:
        """Count a wrong code; return the attempts so far (0 for an unknown challenge)."""
        with translate_errors():
            row = self._conn.execute(
                "UPDATE two_factor_challenges SET attempts = attempts + 1 "
                "WHERE challenge_hash = %s RETURNING attempts",
                (challenge_hash,),
            ).fetchone()
        return int(row[0]) if row else 0

    def consume_challenge(self, challenge_hash: str, when: datetime) -> bool:
        """Mark the challenge used, once (one conditional UPDATE)."""
        with translate_errors():
            used = self._conn.execute(
                "UPDATE two_factor_challenges SET consumed_at = %s "
                "WHERE challenge_hash = %s AND consumed_at IS NULL",
                (when, challenge_hash),
            ).rowcount
        return used == 1

    def forget_challenges(self, user_id: uuid.UUID, *, before: datetime) -> int:
        """Delete the user's challenges that expired before ``before``."""
        with translate_errors():
            return self._conn.execute(
                "DELETE FROM two_factor_challenges WHERE user_id = %s AND expires_at < %s",
                (user_id, before),
            ).rowcount

    def sealed_secrets(
        self, *, after: uuid.UUID | None, limit: int
    ) -> list[tuple[uuid.UUID, bytes]]:
        """A batch of (user id, sealed seed), by user id."""
        with translate_errors():
            rows = self._conn.execute(
                "SELECT user_id, totp_secret FROM two_factor_enrolments "
                "WHERE %(after)s::uuid IS NULL OR user_id > %(after)s::uuid "
                "ORDER BY user_id LIMIT %(limit)s",
                {"after": after, "limit": limit},
            ).fetchall()
        return [(row[0], bytes(row[1])) for row in rows]

    def replace_sealed_secret(self, user_id: uuid.UUID, *, old: bytes, new: bytes) -> bool:
        """Swap the seal if it is still ``old``."""
        with translate_errors():
            replaced = self._conn.execute(
                "UPDATE two_factor_enrolments SET totp_secret = %s "
                "WHERE user_id = %s AND totp_secret = %s",
                (new, user_id, old),
            ).rowcount
        return replaced == 1


__all__ = ["PostgresTwoFactorRepository", "guarded_write"]
