"""PostgreSQL repositories of the jobs capability: job postings and ingestion runs.

They follow the in-memory fakes (``jobraker_adapters.memory.jobs``) exactly; the contract tests run
one suite against both. Rows become domain objects (and back) only through the explicit mapping
functions below. Every value travels as a query parameter; the SQL is built from fixed fragments.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Final

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_core.errors import NotFound
from jobraker_core.jobs.ingestion import IngestionCounts, IngestionRun, RunStatus, SourceSpec
from jobraker_core.jobs.model import (
    EmploymentType,
    JobPosting,
    JobQuery,
    JobSort,
    Location,
    RejectedRecord,
    RemoteMode,
    SourceRef,
)
from jobraker_core.jobs.salary import Salary, SalaryPeriod
from jobraker_core.pagination import Page, PageRequest

if TYPE_CHECKING:
    import uuid

Row = Mapping[str, Any]
Connection = psycopg.Connection[Any]

TEXT_SEARCH_CONFIG: Final = "jobraker_english"  # created by migration 0002.text-search


@contextmanager
def _atomic(conn: Connection) -> Iterator[None]:
    """Run the block under a savepoint, so that if it fails none of it happened.

    The transaction of the unit of work then stays usable, as with the fakes, which check before
    they write.
    """
    conn.execute("SAVEPOINT jobraker_atomic")
    try:
        yield
    except BaseException:
        with suppress(psycopg.Error):  # a broken connection: the original error says why
            conn.execute("ROLLBACK TO SAVEPOINT jobraker_atomic")
        raise
    conn.execute("RELEASE SAVEPOINT jobraker_atomic")


def _total(
    conn: Connection, page: PageRequest, found: int, count_sql: str, params: Mapping[str, Any]
) -> int:
    """Return the size of the result set a page of ``found`` items was cut from.

    A short page (or an empty first page) tells it without asking; otherwise it is counted.
    """
    if 0 < found < page.per_page or (found == 0 and page.offset == 0):
        return page.offset + found
    row = conn.execute(count_sql, params).fetchone()
    return int(row[0]) if row else 0


# ----------------------------------------------------------------------------- jobs: mapping

_JOB_COLUMNS: Final = """
    j.id, j.key, j.source, j.source_id, j.title, j.company, j.description,
    j.location_display, j.city, j.region, j.country_code, j.remote,
    j.salary_min, j.salary_max, j.salary_currency, j.salary_period, j.salary_estimated,
    j.employment_type, j.category, j.posted_at, j.url, j.apply_url, j.first_seen, j.last_seen
"""

_UPSERT_JOB: Final = """
    INSERT INTO jobs (
        id, key, source, source_id, title, company, description,
        location_display, city, region, country_code, remote,
        salary_min, salary_max, salary_currency, salary_period, salary_estimated,
        salary_annual_low, salary_annual_high,
        employment_type, category, posted_at, url, apply_url, first_seen, last_seen
    ) VALUES (
        %(id)s, %(key)s, %(source)s, %(source_id)s, %(title)s, %(company)s, %(description)s,
        %(location_display)s, %(city)s, %(region)s, %(country_code)s, %(remote)s,
        %(salary_min)s, %(salary_max)s, %(salary_currency)s, %(salary_period)s,
        %(salary_estimated)s, %(salary_annual_low)s, %(salary_annual_high)s,
        %(employment_type)s, %(category)s, %(posted_at)s, %(url)s, %(apply_url)s,
        %(first_seen)s, %(last_seen)s
    )
    ON CONFLICT (id) DO UPDATE SET
        key = EXCLUDED.key, source = EXCLUDED.source, source_id = EXCLUDED.source_id,
        title = EXCLUDED.title, company = EXCLUDED.company, description = EXCLUDED.description,
        location_display = EXCLUDED.location_display, city = EXCLUDED.city,
        region = EXCLUDED.region, country_code = EXCLUDED.country_code, remote = EXCLUDED.remote,
        salary_min = EXCLUDED.salary_min, salary_max = EXCLUDED.salary_max,
        salary_currency = EXCLUDED.salary_currency, salary_period = EXCLUDED.salary_period,
        salary_estimated = EXCLUDED.salary_estimated,
        salary_annual_low = EXCLUDED.salary_annual_low,
        salary_annual_high = EXCLUDED.salary_annual_high,
        employment_type = EXCLUDED.employment_type, category = EXCLUDED.category,
        posted_at = EXCLUDED.posted_at, url = EXCLUDED.url, apply_url = EXCLUDED.apply_url,
        first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen
"""

_INSERT_SOURCE_REF: Final = """
    INSERT INTO job_sources (source, source_id, job_id, url, position)
    VALUES (%(source)s, %(source_id)s, %(job_id)s, %(url)s, %(position)s)
"""


def job_to_row(job: JobPosting) -> dict[str, Any]:
    """Map a posting to its ``jobs`` row (its refs go to ``job_sources``: ``source_ref_rows``)."""
    salary = job.salary
    location = job.location
    return {
        "id": job.id,
        "key": job.key,
        "source": job.source,
        "source_id": job.source_id,
        "title": job.title,
        "company": job.company,
        "description": job.description,
        "location_display": location.display,
        "city": location.city,
        "region": location.region,
        "country_code": location.country_code,
        "remote": location.remote.value if location.remote else None,
        "salary_min": salary.minimum if salary else None,
        "salary_max": salary.maximum if salary else None,
        "salary_currency": salary.currency if salary else None,
        "salary_period": salary.period.value if salary else None,
        "salary_estimated": salary.estimated if salary else None,
        "salary_annual_low": salary.annual_low if salary else None,
        "salary_annual_high": salary.annual_high if salary else None,
        "employment_type": job.employment_type.value if job.employment_type else None,
        "category": job.category,
        "posted_at": job.posted_at,
        "url": job.url,
        "apply_url": job.apply_url,
        "first_seen": job.first_seen,
        "last_seen": job.last_seen,
    }


def source_ref_rows(job: JobPosting) -> list[dict[str, Any]]:
    """Map a posting's source refs to ``job_sources`` rows, numbered in the order seen."""
    return [
        {
            "source": ref.source,
            "source_id": ref.source_id,
            "job_id": job.id,
            "url": ref.url,
            "position": position,
        }
        for position, ref in enumerate(job.sources)
    ]


def _salary_from_row(row: Row) -> Salary | None:
    if row["salary_currency"] is None:
        return None
    return Salary(
        minimum=row["salary_min"],
        maximum=row["salary_max"],
        currency=row["salary_currency"],
        period=SalaryPeriod(row["salary_period"]),
        estimated=bool(row["salary_estimated"]),
    )


def job_from_row(row: Row, sources: Sequence[SourceRef]) -> JobPosting:
    """Map a ``jobs`` row and its ``job_sources`` refs (in order) back to the posting."""
    return JobPosting(
        id=row["id"],
        key=row["key"],
        source=row["source"],
        source_id=row["source_id"],
        title=row["title"],
        description=row["description"],
        company=row["company"],
        location=Location(
            display=row["location_display"],
            city=row["city"],
            region=row["region"],
            country_code=row["country_code"],
            remote=RemoteMode(row["remote"]) if row["remote"] else None,
        ),
        salary=_salary_from_row(row),
        employment_type=(
            EmploymentType(row["employment_type"]) if row["employment_type"] else None
        ),
        category=row["category"],
        posted_at=row["posted_at"],
        url=row["url"],
        apply_url=row["apply_url"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        sources=tuple(sources),
    )


# ----------------------------------------------------------------------------- jobs: search SQL

# The date order of the fake: newest posting first (undated ones as if posted at the epoch), then
# most recently first seen, then id. Written exactly as in the index ``jobs_date_order_idx``.
_DATE_ORDER: Final = (
    "coalesce(j.posted_at, '1970-01-01 00:00:00+00'::timestamptz) DESC,"
    " j.first_seen DESC, j.id DESC"
)
JOB_DATE_ORDER: Final = _DATE_ORDER
"""The date order (newest first) as an ORDER BY list over ``j``, for other modules' queries."""
_ORDERS: Final = {
    JobSort.DATE: _DATE_ORDER,
    # Highest annual figure first, jobs without a salary last; ties in date order.
    JobSort.SALARY: f"j.salary_annual_high DESC NULLS LAST, {_DATE_ORDER}",
    JobSort.RELEVANCE: f"ts_rank_cd(j.search, q) DESC, {_DATE_ORDER}",
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_filters(query: JobQuery) -> tuple[list[str], dict[str, Any]]:  # noqa: C901 - one branch per filter
    """Build the WHERE clauses and parameters of ``query``, clause by clause as JobQuery.matches."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if query.text_terms:
        clauses.append("j.search @@ q")
        params["text"] = query.text
    if query.location:
        clauses.append(
            "(j.city ILIKE %(location)s ESCAPE '\\' OR j.region ILIKE %(location)s ESCAPE '\\'"
            " OR j.location_display ILIKE %(location)s ESCAPE '\\')"
        )
        params["location"] = f"%{_escape_like(query.location)}%"
    if query.country:
        clauses.append("j.country_code = %(country)s")
        params["country"] = query.country
    if query.remote:
        clauses.append("j.remote = %(remote)s")
        params["remote"] = query.remote.value
    if query.employment_type:
        clauses.append("j.employment_type = %(employment_type)s")
        params["employment_type"] = query.employment_type.value
    if query.company:
        clauses.append("lower(j.company) = lower(%(company)s)")
        params["company"] = query.company
    if query.category:
        clauses.append("lower(j.category) = lower(%(category)s)")
        params["category"] = query.category
    if query.posted_since:
        clauses.append("j.posted_at >= %(posted_since)s")
        params["posted_since"] = query.posted_since
    if query.currency is not None and (
        query.salary_min is not None or query.salary_max is not None
    ):
        clauses.append("j.salary_currency = %(currency)s")
        params["currency"] = query.currency
        if query.salary_min is not None:
            clauses.append("j.salary_annual_high >= %(salary_min)s")
            params["salary_min"] = query.salary_min
        if query.salary_max is not None:
            clauses.append("j.salary_annual_low <= %(salary_max)s")
            params["salary_max"] = query.salary_max
    return clauses, params


def job_filter_sql(query: JobQuery) -> tuple[str, str, dict[str, Any]]:
    """Build the FROM list, WHERE condition and parameters selecting the jobs ``query`` matches.

    The FROM list names the jobs table ``j`` (and, with text terms, the tsquery ``q``); other
    modules that filter jobs (vector retrieval) join onto it, so every filter means the same
    everywhere. Parameter names are the filter names (``text``, ``location``, ...).
    """
    clauses, params = _search_filters(query)
    source = "jobs j"
    if query.text_terms:
        source += f", websearch_to_tsquery('{TEXT_SEARCH_CONFIG}', %(text)s) AS q"
    where = " AND ".join(clauses) if clauses else "TRUE"
    return source, where, params


def _search_sql(query: JobQuery) -> tuple[str, str, dict[str, Any]]:
    """Build the page query, the count query and their parameters."""
    source, where, params = job_filter_sql(query)
    order = _ORDERS[query.effective_sort]
    page_sql = (
        f"SELECT {_JOB_COLUMNS} FROM {source} WHERE {where}"
        f" ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s"
    )
    count_sql = f"SELECT count(*) FROM {source} WHERE {where}"
    return page_sql, count_sql, params


# ----------------------------------------------------------------------------- jobs: repository


class PostgresJobRepository:
    """A ``JobRepository`` on the ``jobs`` and ``job_sources`` tables.

    It works inside the caller's transaction: the unit of work owns the connection.
    """

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn``, whose transaction the caller controls."""
        self._conn = conn

    def _fetch(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Row, JobPosting]]:
        """Run a query selecting ``_JOB_COLUMNS`` and return each row with its posting."""
        with self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(sql, params).fetchall()
        refs = self._source_refs([row["id"] for row in rows])
        return [(row, job_from_row(row, refs.get(row["id"], ()))) for row in rows]

    def _source_refs(self, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[SourceRef]]:
        if not job_ids:
            return {}
        found: dict[uuid.UUID, list[SourceRef]] = {}
        rows = self._conn.execute(
            "SELECT job_id, source, source_id, url FROM job_sources"
            " WHERE job_id = ANY(%s) ORDER BY job_id, position",
            (list(job_ids),),
        ).fetchall()
        for job_id, source, source_id, url in rows:
            found.setdefault(job_id, []).append(SourceRef(source, source_id, url))
        return found

    @translate_errors()
    def get(self, job_id: uuid.UUID) -> JobPosting:
        """Return the posting with this id, or raise ``NotFound``."""
        found = self._fetch(
            f"SELECT {_JOB_COLUMNS} FROM jobs j WHERE j.id = %(id)s", {"id": job_id}
        )
        if not found:
            raise NotFound(f"job {job_id} not found")
        return found[0][1]

    @translate_errors()
    def get_many(self, job_ids: Sequence[uuid.UUID]) -> list[JobPosting]:
        """Return the postings with these ids, in the order asked (one query; unknown left out)."""
        wanted = list(dict.fromkeys(job_ids))
        if not wanted:
            return []
        found = self._fetch(
            f"SELECT {_JOB_COLUMNS} FROM jobs j WHERE j.id = ANY(%(ids)s)", {"ids": wanted}
        )
        by_id = {job.id: job for _, job in found}
        return [by_id[job_id] for job_id in wanted if job_id in by_id]

    @translate_errors()
    def by_source_ids(self, source: str, source_ids: Collection[str]) -> dict[str, JobPosting]:
        """Return the postings seen under these ids of ``source`` (as owner or later), by id."""
        if not source_ids:
            return {}
        found = self._fetch(
            f"SELECT s.source_id AS matched_source_id, {_JOB_COLUMNS}"
            " FROM job_sources s JOIN jobs j ON j.id = s.job_id"
            " WHERE s.source = %(source)s AND s.source_id = ANY(%(ids)s)",
            {"source": source, "ids": list(set(source_ids))},
        )
        return {row["matched_source_id"]: job for row, job in found}

    @translate_errors()
    def by_keys(self, keys: Collection[str]) -> dict[str, JobPosting]:
        """Return the postings with these canonical keys, by key."""
        if not keys:
            return {}
        found = self._fetch(
            f"SELECT {_JOB_COLUMNS} FROM jobs j WHERE j.key = ANY(%(keys)s)",
            {"keys": list(set(keys))},
        )
        return {job.key: job for _, job in found}

    @translate_errors()
    def save(self, jobs: Sequence[JobPosting]) -> None:
        """Insert or replace postings by id, with their source refs, all or nothing.

        ``Conflict`` when a posting's key or one of its source refs belongs to another job.
        """
        latest = {job.id: job for job in jobs}  # a job given twice: the last one wins
        if not latest:
            return
        with _atomic(self._conn), self._conn.cursor() as cur:
            cur.executemany(_UPSERT_JOB, [job_to_row(job) for job in latest.values()])
            cur.execute("DELETE FROM job_sources WHERE job_id = ANY(%s)", (list(latest),))
            cur.executemany(
                _INSERT_SOURCE_REF,
                [row for job in latest.values() for row in source_ref_rows(job)],
            )

    @translate_errors()
    def search(self, query: JobQuery, page: PageRequest) -> Page[JobPosting]:
        """Return one page of the postings matching ``query``, in its order, with the total."""
        page_sql, count_sql, params = _search_sql(query)
        found = self._fetch(page_sql, {**params, "limit": page.per_page, "offset": page.offset})
        total = _total(self._conn, page, len(found), count_sql, params)
        return Page(items=tuple(job for _, job in found), total=total, request=page)

    @translate_errors()
    def count(self) -> int:
        """How many postings are stored."""
        row = self._conn.execute("SELECT count(*) FROM jobs").fetchone()
        return int(row[0]) if row else 0


# ----------------------------------------------------------------------------- ingestion runs

_RUN_COLUMNS: Final = """
    id, source_kind, source_params, status, created_at, started_at, finished_at,
    fetched, new, updated, duplicate, rejected, rejections, error, attempts, schedule_key
"""


def run_to_row(run: IngestionRun) -> dict[str, Any]:
    """Map a run to its ``ingestion_runs`` row."""
    return {
        "id": run.id,
        "source_kind": run.source.kind,
        "source_params": Jsonb([[name, value] for name, value in run.source.params]),
        "status": run.status.value,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "fetched": run.counts.fetched,
        "new": run.counts.new,
        "updated": run.counts.updated,
        "duplicate": run.counts.duplicate,
        "rejected": run.counts.rejected,
        "rejections": Jsonb([{"ref": r.ref, "reason": r.reason} for r in run.rejections]),
        "error": run.error,
        "attempts": run.attempts,
        "schedule_key": run.schedule_key,
    }


def run_from_row(row: Row) -> IngestionRun:
    """Map an ``ingestion_runs`` row back to the run."""
    return IngestionRun(
        id=row["id"],
        source=SourceSpec(
            row["source_kind"],
            tuple((str(name), str(value)) for name, value in row["source_params"]),
        ),
        status=RunStatus(row["status"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        counts=IngestionCounts(
            fetched=row["fetched"],
            new=row["new"],
            updated=row["updated"],
            duplicate=row["duplicate"],
            rejected=row["rejected"],
        ),
        rejections=tuple(
            RejectedRecord(ref=str(item["ref"]), reason=str(item["reason"]))
            for item in row["rejections"]
        ),
        error=row["error"],
        attempts=row["attempts"],
        schedule_key=row["schedule_key"],
    )


class PostgresIngestionRunRepository:
    """An ``IngestionRunRepository`` on ``ingestion_runs``, in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn``, whose transaction the caller controls."""
        self._conn = conn

    @translate_errors()
    def add(self, run: IngestionRun) -> None:
        """Store a new run; ``Conflict`` on a duplicate id or schedule key."""
        with _atomic(self._conn):
            self._conn.execute(
                f"INSERT INTO ingestion_runs ({_RUN_COLUMNS}) VALUES ("
                "%(id)s, %(source_kind)s, %(source_params)s, %(status)s, %(created_at)s,"
                " %(started_at)s, %(finished_at)s, %(fetched)s, %(new)s, %(updated)s,"
                " %(duplicate)s, %(rejected)s, %(rejections)s, %(error)s, %(attempts)s,"
                " %(schedule_key)s)",
                run_to_row(run),
            )

    @translate_errors()
    def get(self, run_id: uuid.UUID) -> IngestionRun:
        """Return the run, or raise ``NotFound``."""
        with self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                f"SELECT {_RUN_COLUMNS} FROM ingestion_runs WHERE id = %s", (run_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"ingestion run {run_id} not found")
        return run_from_row(row)

    @translate_errors()
    def update(self, run: IngestionRun) -> None:
        """Replace a stored run (``NotFound`` if it was never added)."""
        with _atomic(self._conn):
            cur = self._conn.execute(
                "UPDATE ingestion_runs SET source_kind = %(source_kind)s,"
                " source_params = %(source_params)s, status = %(status)s,"
                " created_at = %(created_at)s, started_at = %(started_at)s,"
                " finished_at = %(finished_at)s, fetched = %(fetched)s, new = %(new)s,"
                " updated = %(updated)s, duplicate = %(duplicate)s, rejected = %(rejected)s,"
                " rejections = %(rejections)s, error = %(error)s, attempts = %(attempts)s,"
                " schedule_key = %(schedule_key)s"
                " WHERE id = %(id)s",
                run_to_row(run),
            )
        if cur.rowcount == 0:
            raise NotFound(f"ingestion run {run.id} not found")

    @translate_errors()
    def list(self, page: PageRequest) -> Page[IngestionRun]:
        """All runs, newest first, one page."""
        with self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                f"SELECT {_RUN_COLUMNS} FROM ingestion_runs"
                " ORDER BY created_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
                {"limit": page.per_page, "offset": page.offset},
            ).fetchall()
        total = _total(self._conn, page, len(rows), "SELECT count(*) FROM ingestion_runs", {})
        return Page(items=tuple(run_from_row(row) for row in rows), total=total, request=page)
