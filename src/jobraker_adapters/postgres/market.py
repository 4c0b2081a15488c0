"""PostgreSQL ``MarketData`` (migration 0051), following ``jobraker_adapters.memory.market``.

Place filters are ``postgres.jobs.job_filter_sql``, the WHERE of the job search, so a place
means the same here as in ``GET /api/v1/jobs/``. Percentiles are ``percentile_cont`` over each
job's annual midpoint (as double precision), rounded to whole units in Python like the fake.
Each call takes its own pooled connection (read-only queries, one statement each; the facts
are written in one short transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, Final

from psycopg.rows import dict_row

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection, PostgresJobRepository, job_filter_sql
from jobraker_adapters.postgres.pool import Pool
from jobraker_core.jobs.model import JobPosting
from jobraker_core.market.model import (
    PERCENTILES,
    Dimension,
    Employer,
    JobFacts,
    MarketScope,
    SalaryStats,
    WeeklyCount,
    whole,
)

_WEEK: Final = "(date_trunc('week', coalesce(j.posted_at, j.first_seen) AT TIME ZONE 'UTC'))::date"
_PLACE: Final = (
    "coalesce(j.city, j.region, j.location_display, "
    "CASE WHEN j.remote = 'remote' THEN 'Remote' END)"
)
_STALE: Final = (
    "FROM jobs j LEFT JOIN job_market_facts f ON f.job_id = j.id "
    "WHERE f.job_id IS NULL OR f.job_seen_at < j.last_seen"
)


def _scoped(scope: MarketScope) -> tuple[str, str, dict[str, Any]]:
    """FROM list, WHERE and parameters of the jobs in ``scope`` (facts joined as ``f``)."""
    source, where, params = job_filter_sql(scope.filters)
    join = "JOIN" if scope.by_title else "LEFT JOIN"
    source = f"{source} {join} job_market_facts f ON f.job_id = j.id"
    if scope.occupation is not None:
        where += " AND f.occupation_code = %(market_occupation)s"
        params["market_occupation"] = scope.occupation.code
    if scope.words:
        where += " AND f.title_words @> %(market_words)s::text[]"
        params["market_words"] = list(scope.words)
    return source, where, params


class PostgresMarketData:
    """``MarketData`` on the ``jobs`` and ``job_market_facts`` tables."""

    def __init__(self, pool: Pool) -> None:
        """Borrow connections from ``pool``."""
        self.pool = pool

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with translate_errors(), self.pool.connection() as conn:
            yield conn

    def stale(self, limit: int) -> Sequence[JobPosting]:
        """Jobs without facts or seen again since, first seen first."""
        with self._connection() as conn:
            keys = [
                row[0]
                for row in conn.execute(
                    f"SELECT j.key {_STALE} ORDER BY j.first_seen, j.id::text LIMIT %s",
                    (limit,),
                ).fetchall()
            ]
            found = PostgresJobRepository(conn).by_keys(keys)
        return [found[key] for key in keys if key in found]

    def unanalysed(self) -> int:
        """How many jobs are stale."""
        with self._connection() as conn:
            row = conn.execute(f"SELECT count(*) {_STALE}").fetchone()
        return int(row[0]) if row else 0

    def save_facts(self, facts: Sequence[JobFacts]) -> None:
        """Insert or replace these facts (a job deleted meanwhile is skipped)."""
        if not facts:
            return
        rows = [
            (
                f.job_id,
                f.occupation.code if f.occupation else None,
                f.occupation.title if f.occupation else None,
                list(f.title_words),
                list(f.skills),
                f.job_seen_at,
            )
            for f in facts
        ]
        with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO job_market_facts "
                "(job_id, occupation_code, occupation, title_words, skills, job_seen_at) "
                "SELECT %s, %s, %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM jobs WHERE id = %s) "
                "ON CONFLICT (job_id) DO UPDATE SET occupation_code = EXCLUDED.occupation_code, "
                "occupation = EXCLUDED.occupation, title_words = EXCLUDED.title_words, "
                "skills = EXCLUDED.skills, job_seen_at = EXCLUDED.job_seen_at",
                [(*row, row[0]) for row in rows],
            )

    def without_facts(self, job_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``job_ids`` with no row in ``job_market_facts``."""
        if not job_ids:
            return set()
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT id FROM unnest(%s::uuid[]) AS ids(id) WHERE NOT EXISTS "
                "(SELECT 1 FROM job_market_facts f WHERE f.job_id = ids.id)",
                (list(job_ids),),
            ).fetchall()
        return {row[0] for row in rows}

    def salary_stats(self, scope: MarketScope) -> Sequence[SalaryStats]:
        """Percentiles per (currency, estimated) of the scope's salaried jobs."""
        source, where, params = _scoped(scope)
        params["market_fractions"] = list(PERCENTILES)
        sql = (
            "SELECT j.salary_currency AS currency, j.salary_estimated AS estimated, "
            "count(*) AS jobs, percentile_cont(%(market_fractions)s::float8[]) WITHIN GROUP "
            "(ORDER BY ((j.salary_annual_low + j.salary_annual_high) / 2)::float8) AS figures "
            f"FROM {source} WHERE {where} AND j.salary_currency IS NOT NULL "
            "GROUP BY 1, 2 ORDER BY jobs DESC, currency, estimated"
        )
        with self._connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        return [
            SalaryStats(
                r["currency"].strip(),
                r["estimated"],
                int(r["jobs"]),
                *(whole(v) for v in r["figures"]),
            )
            for r in rows
        ]

    def weekly(
        self, dimension: Dimension, scope: MarketScope, start: date, end: date
    ) -> Sequence[WeeklyCount]:
        """Postings per (name, week) in the weeks."""
        source, where, params = _scoped(scope)
        params |= {"market_start": start, "market_end": end}
        if dimension is Dimension.TITLE:
            name = "coalesce(f.occupation, j.title)"
        elif dimension is Dimension.SKILL:
            name = "s.skill"
            source += " CROSS JOIN LATERAL unnest(f.skills) AS s(skill)"
        else:
            name = _PLACE
        sql = (
            f"SELECT {name} AS name, {_WEEK} AS week, count(*) AS jobs FROM {source} "
            f"WHERE {where} AND {name} IS NOT NULL "
            f"AND {_WEEK} BETWEEN %(market_start)s AND %(market_end)s "
            "GROUP BY 1, 2 ORDER BY 2, 1"
        )
        with self._connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [WeeklyCount(n, w, int(c)) for n, w, c in rows]

    def employers(
        self, scope: MarketScope, start: date, end: date, limit: int
    ) -> Sequence[Employer]:
        """The companies with the most postings in the weeks."""
        source, where, params = _scoped(scope)
        params |= {"market_start": start, "market_end": end, "market_limit": limit}
        sql = (
            f"SELECT j.company, count(*) AS jobs FROM {source} WHERE {where} "
            f"AND j.company IS NOT NULL AND {_WEEK} BETWEEN %(market_start)s AND %(market_end)s "
            'GROUP BY 1 ORDER BY 2 DESC, j.company COLLATE "C" LIMIT %(market_limit)s'
        )
        with self._connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [Employer(name, int(jobs)) for name, jobs in rows]

    def latest_week(self, scope: MarketScope) -> date | None:
        """The Monday of the newest posting in scope."""
        source, where, params = _scoped(scope)
        sql = f"SELECT max({_WEEK}) FROM {source} WHERE {where}"
        with self._connection() as conn:
            row = conn.execute(sql, params).fetchone()
        return row[0] if row else None
