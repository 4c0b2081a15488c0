"""PostgreSQL moderation store (migration 0060) and platform statistics.

They follow the in-memory fakes (``jobraker_adapters.memory.moderation``). SimHashes are stored
as signed 64-bit integers (``bigint``) and turned back into unsigned ones when read.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_core.errors import NotFound
from jobraker_core.moderation.model import (
    Decision,
    Fingerprint,
    FlagQuery,
    FlagRule,
    FlagStatus,
    JobFlag,
    Verdict,
)
from jobraker_core.moderation.ports import PlatformCounts
from jobraker_core.pagination import Page, PageRequest

if TYPE_CHECKING:
    from jobraker_adapters.postgres.pool import Pool

_SIGN = 1 << 63
_FLAG_COLUMNS = (
    "id, job_id, rule, evidence, company_key, status, raised_at, updated_at, reviewed_at, note"
)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= _SIGN else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _fingerprint(row: Mapping[str, Any]) -> Fingerprint:
    return Fingerprint(
        job_id=row["job_id"],
        title_key=row["title_key"],
        company_key=row["company_key"],
        simhash=_unsigned(row["simhash"]),
        place=row["place"],
        source=row["source"],
        first_seen=row["first_seen"],
        posted_at=row["posted_at"],
        annual_salary=row["annual_salary"],
        currency=row["currency"],
        link_checked_at=row["link_checked_at"],
    )


def _flag(row: Mapping[str, Any]) -> JobFlag:
    return JobFlag(
        id=row["id"],
        job_id=row["job_id"],
        rule=FlagRule(row["rule"]),
        evidence=tuple((str(k), str(v)) for k, v in row["evidence"]),
        company_key=row["company_key"],
        status=FlagStatus(row["status"]),
        raised_at=row["raised_at"],
        updated_at=row["updated_at"],
        reviewed_at=row["reviewed_at"],
        note=row["note"],
    )


def _decision(row: Mapping[str, Any]) -> Decision:
    return Decision(
        rule=FlagRule(row["rule"]),
        company_key=row["company_key"],
        verdict=Verdict(row["verdict"]),
        decided_at=row["decided_at"],
        flag_id=row["flag_id"],
    )


def _flag_filters(query: FlagQuery) -> tuple[str, dict[str, Any]]:
    clauses = ["TRUE"]
    params: dict[str, Any] = {}
    if query.status is not None:
        clauses.append("status = %(status)s")
        params["status"] = query.status.value
    if query.rule is not None:
        clauses.append("rule = %(rule)s")
        params["rule"] = query.rule.value
    if query.job_id is not None:
        clauses.append("job_id = %(job_id)s")
        params["job_id"] = query.job_id
    return " AND ".join(clauses), params


class PostgresModerationRepository:
    """``ModerationRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def job_keys_seen_since(self, since: datetime, limit: int) -> Sequence[str]:
        """Keys of jobs last seen at or after ``since``, oldest sighting first."""
        with translate_errors():
            rows = self._conn.execute(
                "SELECT key FROM jobs WHERE last_seen >= %s ORDER BY last_seen, id LIMIT %s",
                (since, limit),
            ).fetchall()
        return [row[0] for row in rows]

    def save_fingerprint(self, fingerprint: Fingerprint) -> None:
        """Insert or replace the fingerprint of its job."""
        fp = fingerprint
        with translate_errors():
            self._conn.execute(
                "INSERT INTO moderation_fingerprints (job_id, title_key, company_key, simhash, "
                "place, source, first_seen, posted_at, annual_salary, currency, link_checked_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (job_id) DO UPDATE SET title_key = EXCLUDED.title_key, "
                "company_key = EXCLUDED.company_key, simhash = EXCLUDED.simhash, "
                "place = EXCLUDED.place, source = EXCLUDED.source, "
                "first_seen = EXCLUDED.first_seen, posted_at = EXCLUDED.posted_at, "
                "annual_salary = EXCLUDED.annual_salary, currency = EXCLUDED.currency, "
                "link_checked_at = EXCLUDED.link_checked_at",
                (
                    fp.job_id,
                    fp.title_key,
                    fp.company_key,
                    _signed(fp.simhash),
                    fp.place,
                    fp.source,
                    fp.first_seen,
                    fp.posted_at,
                    fp.annual_salary,
                    fp.currency,
                    fp.link_checked_at,
                ),
            )

    def fingerprints(self, job_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Fingerprint]:
        """The stored fingerprints of these jobs."""
        if not job_ids:
            return {}
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM moderation_fingerprints WHERE job_id = ANY(%s)", (list(job_ids),)
            )
            return {row["job_id"]: _fingerprint(row) for row in cur.fetchall()}

    def fingerprints_titled(self, title_key: str, limit: int) -> Sequence[Fingerprint]:
        """Fingerprints with this title key, most recently first seen first."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM moderation_fingerprints WHERE title_key = %s "
                "ORDER BY first_seen DESC, job_id DESC LIMIT %s",
                (title_key, limit),
            )
            return [_fingerprint(row) for row in cur.fetchall()]

    def flags_of(self, job_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[JobFlag]]:
        """The flags of these jobs, by job id."""
        if not job_ids:
            return {}
        found: dict[uuid.UUID, list[JobFlag]] = {}
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                f"SELECT {_FLAG_COLUMNS} FROM moderation_flags WHERE job_id = ANY(%s) "
                "ORDER BY raised_at, id",
                (list(job_ids),),
            )
            for row in cur.fetchall():
                found.setdefault(row["job_id"], []).append(_flag(row))
        return found

    def save_flag(self, flag: JobFlag) -> None:
        """Insert or replace a flag (``Conflict`` if its job has another flag of its rule)."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO moderation_flags (id, job_id, rule, evidence, company_key, status, "
                "raised_at, updated_at, reviewed_at, note) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET evidence = EXCLUDED.evidence, "
                "company_key = EXCLUDED.company_key, status = EXCLUDED.status, "
                "updated_at = EXCLUDED.updated_at, reviewed_at = EXCLUDED.reviewed_at, "
                "note = EXCLUDED.note",
                (
                    flag.id,
                    flag.job_id,
                    flag.rule.value,
                    Jsonb([list(item) for item in flag.evidence]),
                    flag.company_key,
                    flag.status.value,
                    flag.raised_at,
                    flag.updated_at,
                    flag.reviewed_at,
                    flag.note,
                ),
            )

    def get_flag(self, flag_id: uuid.UUID) -> JobFlag:
        """The flag with this id."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                f"SELECT {_FLAG_COLUMNS} FROM moderation_flags WHERE id = %s",
                (flag_id,),
            )
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"no flag {flag_id}")
        return _flag(row)

    def list_flags(self, query: FlagQuery, page: PageRequest) -> Page[JobFlag]:
        """The flags passing ``query``, newest first."""
        where, params = _flag_filters(query)
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                f"SELECT {_FLAG_COLUMNS} FROM moderation_flags WHERE {where} "
                "ORDER BY raised_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
                {**params, "limit": page.per_page, "offset": page.offset},
            )
            items = tuple(_flag(row) for row in cur.fetchall())
            cur.execute(f"SELECT count(*) AS n FROM moderation_flags WHERE {where}", params)
            counted = cur.fetchone()
        return Page(items, int(counted["n"]) if counted else 0, page)

    def open_flags_of_company(self, rule: FlagRule, company_key: str) -> Sequence[JobFlag]:
        """The open flags of one rule on jobs of one company."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                f"SELECT {_FLAG_COLUMNS} FROM moderation_flags "
                "WHERE rule = %s AND company_key = %s AND status = 'open'",
                (rule.value, company_key),
            )
            return [_flag(row) for row in cur.fetchall()]

    def decisions_for(self, company_keys: Collection[str]) -> dict[str, list[Decision]]:
        """The decisions about these companies."""
        if not company_keys:
            return {}
        found: dict[str, list[Decision]] = {}
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM moderation_decisions WHERE company_key = ANY(%s) "
                "ORDER BY rule, company_key",
                (list(company_keys),),
            )
            for row in cur.fetchall():
                found.setdefault(row["company_key"], []).append(_decision(row))
        return found

    def save_decision(self, decision: Decision) -> None:
        """Insert or replace the decision for its rule and company."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO moderation_decisions "
                "(rule, company_key, verdict, decided_at, flag_id) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (rule, company_key) DO UPDATE SET "
                "verdict = EXCLUDED.verdict, decided_at = EXCLUDED.decided_at, "
                "flag_id = EXCLUDED.flag_id",
                (
                    decision.rule.value,
                    decision.company_key,
                    decision.verdict.value,
                    decision.decided_at,
                    decision.flag_id,
                ),
            )


class PostgresPlatformStatistics:
    """``PlatformStatistics`` read from PostgreSQL (applications when their table exists)."""

    def __init__(self, pool: Pool) -> None:
        """Borrow connections from ``pool`` per call."""
        self._pool = pool

    def counts(self, active_since: datetime) -> PlatformCounts:
        """Users, active users, jobs by source, applications by status."""
        with translate_errors():
            conn = self._pool.getconn()
        try:
            with translate_errors():
                row = conn.execute(
                    "SELECT count(*), count(*) FILTER (WHERE last_login_at >= %s) FROM users",
                    (active_since,),
                ).fetchone()
                users, active = (int(row[0]), int(row[1])) if row else (0, 0)
                by_source = {
                    str(source): int(n)
                    for source, n in conn.execute(
                        "SELECT source, count(*) FROM jobs GROUP BY source ORDER BY source"
                    ).fetchall()
                }
                has_applications = conn.execute(
                    "SELECT to_regclass('applications') IS NOT NULL"
                ).fetchone()
                applications: dict[str, int] | None = None
                if has_applications and has_applications[0]:
                    applications = {
                        str(status): int(n)
                        for status, n in conn.execute(
                            "SELECT status, count(*) FROM applications GROUP BY status "
                            "ORDER BY status"
                        ).fetchall()
                    }
                conn.rollback()
        finally:
            self._pool.putconn(conn)
        return PlatformCounts(users, active, by_source, applications)

    def ingestion_totals(self) -> Sequence[tuple[str, str, int, Mapping[str, int]]]:
        """(source kind, status, runs, summed counts) over every stored run."""
        with translate_errors():
            conn = self._pool.getconn()
        try:
            with translate_errors():
                rows = conn.execute(
                    "SELECT source_kind, status, count(*), sum(fetched), sum(new), sum(updated), "
                    "sum(duplicate), sum(rejected) FROM ingestion_runs "
                    "GROUP BY source_kind, status ORDER BY source_kind, status"
                ).fetchall()
                conn.rollback()
        finally:
            self._pool.putconn(conn)
        outcomes = ("fetched", "new", "updated", "duplicate", "rejected")
        return [
            (
                str(row[0]),
                str(row[1]),
                int(row[2]),
                {o: int(v or 0) for o, v in zip(outcomes, row[3:], strict=True)},
            )
            for row in rows
        ]
