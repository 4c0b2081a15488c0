"""``PostgresJobRetriever``: hybrid retrieval (filters, full text, HNSW, RRF) in PostgreSQL.

The filters are ``postgres.jobs.job_filter_sql``, the same WHERE the job search uses. Vector
candidates take one of two paths:

- **approximate**: the model's HNSW indexes over the vectors' binary sketches
  (``postgres.sketch``), one per shard of its rows (``INDEX_SHARDS``), walked concurrently: each
  shard's query runs on a walk connection of its own (``Walkers``; shard 0 in the caller's
  thread, the others in threads), with ``hnsw.iterative_scan = relaxed_order`` so a filter that
  rejects most of what the index yields does not cut the list short, ``hnsw.ef_search`` from the
  settings, and a ``MATERIALIZED`` CTE of the shard's nearest rows by Hamming distance (its share
  of ``rerank`` rows, or of ``RERANK_OVERFETCH`` x k when that is more) re-sorted outside it by
  the stored vectors' full-precision cosine distance, keeping k; the shards' lists are merged by
  that distance. A shard for which no walk connection is free at once (a busy server), or whose
  walk connection turns out broken (a restarted server), runs on the caller's connection
  instead, so a search never waits on the walkers and never fails for them;
- **exact**: the filtered rows' full-precision distances computed and sorted, with no index. It
  is taken when the caller asks (``exact=True``), when the model has no index (more than 4,000
  dimensions), while the stored vectors are few enough to scan in about a tenth of a second
  (``full_scan_mb``: the catalogue of most deployments, where exact quality costs little), when
  the filters are selective enough that an exact scan is the cheaper one
  (``exact_ratio``: the planner's estimate of the filtered rows, a plan without a scan, against
  the table's size), and as a fallback whenever the approximate path returns fewer rows than
  asked for (the iterative scan gave up at ``hnsw.max_scan_tuples``), so a list is never
  silently short.

When the vector list came from the index, the full-text and skill candidates it did not return
have their stored vectors' exact similarity read by id and are merged into it
(``_with_candidates``): the index can miss a job that a query from outside the corpus is
nearest to, and those lists often hold it (ADR 0007).

Skill candidates (a person's canonical skills, for recommendations) are the filtered postings
whose stored analysis's ``skill_ids`` (migration 0092, GIN-indexed) overlap the person's rarest
skills, weighed in SQL as ``SkillQuery.weigh`` does. The skills' shares come from the planner's
statistics on that column (``pg_stats.most_common_elems``; a skill it does not list counts at
half the least common listed share, as the planner assumes), read once a minute. The skill query
runs under the same bounded timeout as the full-text one.

Full-text candidates use the ``search`` tsvector (title, company, description) with the query's
words OR-ed, ranked by ``ts_rank_cd``, or for ``TextScope.TITLES`` the ``title_search`` tsvector
(migration 0090) ranked by ``ts_rank``, each with its GIN index; fusion and the filling of a
short list are ``jobraker_core.matching.retrieval``'s. The full-text query runs under its own
statement timeout (``text_timeout_ms``, in a savepoint): past it the retrieval goes on with the
vector candidates alone, logged as ``full_text_candidates_timed_out``, rather than failing the
whole request.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeVar

import attrs
import psycopg
import structlog
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from jobraker_adapters.postgres.embeddings import (
    INDEX_SHARDS,
    VectorColumn,
    configure_connection,
    ensure_vector_types,
    similarity,
)
from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import JOB_DATE_ORDER, TEXT_SEARCH_CONFIG, job_filter_sql
from jobraker_adapters.postgres.sketch import sketch
from jobraker_core.errors import ConfigurationError
from jobraker_core.matching.retrieval import (
    SKILL_ROW_BUDGET,
    RetrievedJob,
    SkillQuery,
    TextScope,
    VectorHit,
    candidate_depth,
    check_request,
    fill,
    fuse,
    query_terms,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Collection
    from types import TracebackType

    from jobraker_adapters.postgres.pool import Pool
    from jobraker_core.jobs.model import JobQuery
    from jobraker_core.matching.embedding import EmbeddingSpec

    Connection = psycopg.Connection[Any]

DEFAULT_EF_SEARCH: Final = 120
"""The shipped ``hnsw.ef_search``: each shard's share of ``DEFAULT_RERANK_ROWS``, so an
unfiltered search takes its rows in one pass (see docs/benchmarks-vectors.md for the recall)."""
DEFAULT_EXACT_RATIO: Final = 20.0
"""A filter passed by ``n`` jobs takes the exact path when ``n² <= ratio * k * N`` (``N`` jobs with
vectors, ``k`` rows wanted). The exact scan fetches ``n`` rows; a filtered HNSW scan visits about
``k * N / n`` graph nodes, each several times dearer, and its recall falls as ``n / N`` does, so
the ratio leans to exact. Measured at 100k varied vectors with m = 32 (docs/benchmarks-vectors.md):
an exact scan costs about 1.5 ms + 3.7 µs a row, the iterative scan at a 1% filter about 47 ms,
so the two cross near 4.5% (``ratio`` 20; it was 10 with m = 16, whose visits are cheaper). At 1M
jobs and k = 10 the cut is 14,000 jobs (1.4%); at 100k, 4,500."""
DEFAULT_FULL_SCAN_MB: Final = 320
"""Below this much stored vector data (rows x dimensions x 4 bytes) the vector path scans exactly.
320 MB is about 100,000 jobs of 768 dimensions, whose exact scan took 92 ms on two cores
(docs/benchmarks-vectors.md). A profile's vector is a query from outside the corpus, and the
graph reaches some jobs poorly: at 100k postings the HNSW index put a résumé's own RJDB job in its
top 300 for 92 of 300 résumés where the exact scan did for 298 (ADR 0007), so a scan the size of
a typical catalogue buys exact recommendations."""
DEFAULT_RERANK_ROWS: Final = 240
"""The approximate path reads at least this many rows in sketch order, split evenly between the
shards, and keeps the ``k`` nearest by exact cosine. Hamming distance between sketches only
estimates the angle: at 1M jobs the 200 nearest sketches held 0.99 of the exact top 10, the 100
nearest 0.97; with two shards, 150 rows from each gave recall@10 0.96 on graphs built with
``ef_construction`` 128, and 120 from each 0.96 on graphs built with 192 (ADR 0007)."""
SHARD_CONNECTION_WAIT_SECONDS: Final = 0.002
"""How long a search waits for a walk connection for a shard before walking that shard on the
caller's connection instead: busy walkers slow a search, they never block it."""
DEFAULT_WALK_CONNECTIONS: Final = 4
"""Walk connections per retriever (``Walkers``): two searches at once walk every shard in
parallel; more searches than that walk some shards on their own connections, one after the
other, when the server's cores are busy anyway."""
RERANK_OVERFETCH: Final = 2
"""For a large ``k`` (a recommendation pool of 300) the approximate path reads this many times
``k`` rows instead, so the re-sort still chooses among more rows than it keeps; in
``relaxed_order`` a filtered scan can also yield a nearer row after a farther one."""
_log = structlog.get_logger(__name__)
T = TypeVar("T")

_TEXT_SEARCH: Final = {
    TextScope.EVERYWHERE: ("search", "ts_rank_cd"),
    TextScope.TITLES: ("title_search", "ts_rank"),
}
"""The GIN-indexed tsvector column each ``TextScope`` searches, and the ranking function. A typed
search ranks by cover density (words near each other count more); a profile's query ORs up to
32 words, for which ``ts_rank_cd`` cost about 45 us a matched row against 5 us for ``ts_rank``
(measured on 30,000 postings), and in a title proximity says little."""
DEFAULT_TEXT_TIMEOUT_MS: Final = 3000
"""The full-text candidate query's own statement timeout. Titles-only queries take milliseconds
and typed searches are selective; this bounds a pathological query (thousands of common words
against millions of postings) well inside the connection's ``JOBRAKER_DB_STATEMENT_TIMEOUT_MS``,
so the request still answers from its vector candidates."""
TABLE_SIZE_TTL_SECONDS: Final = 60.0
"""How long the number of stored vectors (``pg_class.reltuples``) and the skills' shares
(``pg_stats``) are reused before re-reading."""

_SKILL_STATISTICS: Final = (
    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs,"
    " greatest(c.reltuples, 0) FROM pg_class c LEFT JOIN pg_stats s"
    " ON s.schemaname = current_schema() AND s.tablename = 'job_analyses'"
    " AND s.attname = 'skill_ids' WHERE c.oid = 'job_analyses'::regclass"
)
"""The skills the statistics list, their shares, and about how many analyses there are."""


class _Expiring(Generic[T]):
    """A value read from the database, reused for ``TABLE_SIZE_TTL_SECONDS`` before re-reading."""

    def __init__(self) -> None:
        self._value: T | None = None
        self._read_at = -math.inf

    def get(self, read: Callable[[], T]) -> T:
        """The kept value, or ``read()``'s when there is none or it is older than the TTL."""
        now = time.monotonic()
        if self._value is None or now - self._read_at > TABLE_SIZE_TTL_SECONDS:
            self._value = read()
            self._read_at = now
        return self._value


@attrs.frozen
class SkillShares:
    """What the planner's statistics say about the skills stored analyses ask for."""

    shares: dict[str, float]
    """The share of analyses asking for each listed (common) skill."""
    postings: float
    """About how many analyses are stored."""
    unlisted: float
    """The share assumed for a skill not listed: half the least common listed one's."""

    @classmethod
    def of_row(cls, row: tuple[Any, ...] | None) -> SkillShares:
        """Read ``_SKILL_STATISTICS``'s row (no statistics yet: nothing listed, shares 0)."""
        if row is None:
            return cls({}, 0.0, 0.0)
        skills, frequencies, postings = row
        if not skills or not frequencies:
            return cls({}, float(postings), 0.0)
        # The frequencies are the listed skills', then the least and most common's and the
        # share of empty arrays (PostgreSQL's array statistics).
        shares = dict(zip(skills, map(float, frequencies), strict=False))
        return cls(shares, float(postings), float(frequencies[len(skills)]) / 2)


class Walkers:
    """Connections that walk HNSW shards: autocommit, with the search settings in the session.

    A shard walked on a connection of the application pool costs four round trips besides its
    query: the pool's check, ``BEGIN``, the transaction's HNSW settings, ``COMMIT``; with both
    of a two-core server's cores walking, each of those waits for a core, and at 1M jobs they
    added about 2 ms to a 7 ms search (ADR 0007). A walk connection is handed out unchecked, runs
    in autocommit, and got ``hnsw.ef_search`` and ``hnsw.iterative_scan`` for its session when it
    connected, so a walk is its query's one round trip. One broken by a restarted server shows
    when its query fails: ``walk`` then says None, the pool discards it, and the caller walks
    that shard on its own, checked connection.

    The pool opens on the first walk, with no connection (``min_size`` 0): a process that never
    searches approximately (a catalogue small enough to scan exactly) holds none, and connections
    idle for psycopg_pool's ``max_idle`` (10 minutes) close. The first walks after that run on
    the caller's connection while the pool connects.
    """

    def __init__(self, pool: Pool, *, connections: int, ef_search: int) -> None:
        """Walk with up to ``connections`` connections like ``pool``'s (0: never; see above)."""
        if not 0 <= connections <= 100:  # noqa: PLR2004 - a sane bound on connections
            raise ConfigurationError(
                f"walk connections must be between 0 and 100, not {connections}"
            )
        self._source = pool
        self._connections = connections
        self._ef_search = ef_search
        self._pool: Pool | None = None
        self._closed = False
        self._lock = threading.Lock()
        # the shards after the first are walked in these threads, each on a walk connection
        self._threads = ThreadPoolExecutor(
            max_workers=max(1, connections), thread_name_prefix="jobraker-walk"
        )

    @property
    def connections(self) -> int:
        """At most how many walk connections are open at once."""
        return self._connections

    def open_connections(self) -> int:
        """How many walk connections are open now, in use or idle."""
        with self._lock:
            pool = self._pool
        return pool.get_stats().get("pool_size", 0) if pool is not None else 0

    def submit(self, statement: str, params: dict[str, Any]) -> Future[list[Any] | None]:
        """``walk`` in a thread of the walkers' (done at once with None when there are none)."""
        with self._lock:
            walking = self._connections > 0 and not self._closed
        if walking:
            try:
                return self._threads.submit(self.walk, statement, params)
            except RuntimeError:  # closed meanwhile: the threads take no more work
                pass
        done: Future[list[Any] | None] = Future()
        done.set_result(None)
        return done

    def walk(self, statement: str, params: dict[str, Any]) -> list[Any] | None:
        """One shard's query on a walk connection: its rows, or None if it cannot have one.

        None when no walk connection is free within ``SHARD_CONNECTION_WAIT_SECONDS``, when there
        are none (0, or closed), or when the connection was broken. A failing query on a sound
        connection (a statement timeout) raises, as it would on the caller's.
        """
        pool = self._opened()
        if pool is None:
            return None
        try:
            with pool.connection(SHARD_CONNECTION_WAIT_SECONDS) as conn:
                ensure_vector_types(conn)
                try:
                    return conn.execute(statement, params).fetchall()
                except psycopg.OperationalError:
                    if not conn.broken:
                        raise
                    _log.warning("walk_connection_broken")
                    return None  # the pool discards a broken connection given back
        except (PoolTimeout, PoolClosed):
            return None

    def close(self) -> None:
        """Close the walk connections and stop the threads (a later ``walk`` says None)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        self._threads.shutdown(wait=True)
        if pool is not None:
            pool.close()

    def _opened(self) -> Pool | None:
        with self._lock:
            if self._pool is None and self._connections and not self._closed:
                self._pool = ConnectionPool(
                    self._source.conninfo,
                    kwargs=self._connection_kwargs,
                    min_size=0,
                    max_size=self._connections,
                    configure=self._configure,
                    name="jobraker-walk",
                    open=False,
                )
                self._pool.open(wait=False)
            return self._pool

    def _connection_kwargs(self) -> dict[str, Any]:
        """The application pool's connection parameters, in autocommit and named for walking."""
        kwargs = self._source.kwargs
        given = kwargs() if callable(kwargs) else kwargs or {}
        return {**given, "autocommit": True, "application_name": "jobraker-walk"}

    def _configure(self, conn: Connection) -> None:
        """A new walk connection: pgvector's types and the HNSW settings for its session."""
        configure_connection(conn)
        set_search_settings(conn, self._ef_search, local=False)


def set_search_settings(conn: Connection, ef_search: int, *, local: bool) -> None:
    """Set ``conn``'s HNSW search settings: ``relaxed_order`` iterative scans and ``ef_search``.

    ``local`` sets them for the current transaction only (a connection of the application
    pool); otherwise for the session (a walk connection of its own).
    """
    conn.execute(
        "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', %(local)s),"
        " set_config('hnsw.ef_search', %(ef)s, %(local)s)",
        {"ef": str(ef_search), "local": local},
    )


class PostgresJobRetriever:
    """A ``JobRetriever`` on PostgreSQL with pgvector, for the vectors of one embedding model.

    It owns ``Walkers`` (their connections and threads): ``close()`` it, or use it as a context
    manager, when done.
    """

    def __init__(
        self,
        pool: Pool,
        spec: EmbeddingSpec,
        *,
        ef_search: int = DEFAULT_EF_SEARCH,
        exact_ratio: float = DEFAULT_EXACT_RATIO,
        fallback_to_exact: bool = True,
        text_timeout_ms: int = DEFAULT_TEXT_TIMEOUT_MS,
        full_scan_mb: float = DEFAULT_FULL_SCAN_MB,
        skill_budget: int = SKILL_ROW_BUDGET,
        rerank: int = DEFAULT_RERANK_ROWS,
        walk_connections: int = DEFAULT_WALK_CONNECTIONS,
    ) -> None:
        """Search vectors of ``spec`` on ``pool``; ``ef_search`` is the HNSW search list size.

        ``full_scan_mb``, ``exact_ratio`` and ``fallback_to_exact`` choose the paths (see the
        module doc; 0, 0 and False leave only the approximate path); tests and the benchmarks
        turn them off to measure the approximate path alone.
        ``text_timeout_ms`` bounds the full-text and skill queries (``DEFAULT_TEXT_TIMEOUT_MS``);
        ``skill_budget`` is ``SkillQuery``'s: about how many postings the skill list weighs.
        ``rerank`` is how many rows the approximate path re-sorts (``DEFAULT_RERANK_ROWS``).
        ``walk_connections`` is how many ``Walkers`` connections walk shards at once; 0 walks
        every shard on the caller's connection, one after the other.
        """
        if not 1 <= ef_search <= 1000:  # noqa: PLR2004 - pgvector's documented range
            raise ConfigurationError(f"hnsw ef_search must be between 1 and 1000, not {ef_search}")
        if not 1 <= rerank <= 10_000:  # noqa: PLR2004 - a sane bound on rows read
            raise ConfigurationError(f"re-sorted rows must be between 1 and 10000, not {rerank}")
        if full_scan_mb < 0:
            raise ConfigurationError(f"the full-scan size must not be negative, not {full_scan_mb}")
        if text_timeout_ms < 1:
            raise ConfigurationError(
                f"the full-text query timeout must be at least 1 ms, not {text_timeout_ms}"
            )
        self._text_timeout_ms = text_timeout_ms
        self._skill_budget = skill_budget
        self._pool = pool
        self._column = VectorColumn(spec)
        self._ef_search = ef_search
        self._rerank = rerank
        self._exact_ratio = exact_ratio
        self._full_scan_bytes = full_scan_mb * 1_000_000
        self._stored_rows: _Expiring[float] = _Expiring()
        self._skill_shares: _Expiring[SkillShares] = _Expiring()
        self._fallback = fallback_to_exact
        self._walkers = Walkers(pool, connections=walk_connections, ef_search=ef_search)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the walk connections and threads; searches after this walk on the caller's."""
        self._walkers.close()

    @property
    def spec(self) -> EmbeddingSpec:
        """The embedding model whose vectors this retriever searches."""
        return self._column.spec

    @property
    def walkers(self) -> Walkers:
        """The connections and threads that walk the index's shards at once."""
        return self._walkers

    def retrieve(
        self,
        *,
        text: str | None,
        vector: Sequence[float] | None,
        filters: JobQuery,
        limit: int,
        exact: bool = False,
        text_scope: TextScope = TextScope.EVERYWHERE,
        skills: Collection[str] = (),
    ) -> list[RetrievedJob]:
        """Filter, retrieve full-text, vector and skill candidates, fuse them (see the port)."""
        check_request(vector=vector, limit=limit, dimensions=self.spec.dimensions)
        depth = candidate_depth(limit)
        terms = query_terms(text)
        with translate_errors(), self._pool.connection() as conn:
            ensure_vector_types(conn)
            text_ids = (
                self._text_candidates(conn, terms, filters, depth, text_scope) if terms else []
            )
            skill_ids = self._skill_candidates(conn, skills, filters, depth) if skills else []
            hits = (
                self._nearest(
                    conn, vector, filters, depth, exact=exact, also=[*text_ids, *skill_ids]
                )
                if vector is not None
                else []
            )
            results = fuse(text_ids, hits, limit=limit, skill_ranking=skill_ids)
            if len(results) < limit:
                results = fill(
                    results,
                    self._newest(conn, filters, [r.job_id for r in results], limit - len(results)),
                    limit=limit,
                )
        return results

    def nearest(
        self, vector: Sequence[float], filters: JobQuery, k: int, *, exact: bool = False
    ) -> list[VectorHit]:
        """The ``k`` filtered jobs whose vectors are most similar to ``vector`` (vector path only).

        Used by ``retrieve`` and by the benchmark, which measures this path on its own.
        """
        check_request(vector=vector, limit=k, dimensions=self.spec.dimensions)
        with translate_errors(), self._pool.connection() as conn:
            ensure_vector_types(conn)
            return self._nearest(conn, vector, filters, k, exact=exact)

    # ------------------------------------------------------------------------- full text

    def _text_candidates(
        self,
        conn: Connection,
        terms: Sequence[str],
        filters: JobQuery,
        depth: int,
        scope: TextScope,
    ) -> list[uuid.UUID]:
        words = " or ".join(term for term in terms if term != "or")  # websearch syntax: OR
        if not words:
            return []
        column, rank = _TEXT_SEARCH[scope]
        source, where, params = job_filter_sql(filters)
        query = (
            f"SELECT j.id FROM {source},"
            f" websearch_to_tsquery('{TEXT_SEARCH_CONFIG}', %(r_terms)s) AS rq"
            f" WHERE ({where}) AND j.{column} @@ rq"
            f" ORDER BY {rank}(j.{column}, rq) DESC, j.id LIMIT %(r_depth)s"
        )
        return self._bounded(
            conn,
            query,
            {**params, "r_terms": words, "r_depth": depth},
            "full_text_candidates_timed_out",
            scope=scope.value,
            terms=len(terms),
        )

    def _bounded(
        self,
        conn: Connection,
        query: str,
        params: dict[str, Any],
        event: str,
        **context: object,
    ) -> list[uuid.UUID]:
        """The ids ``query`` returns, or none (logged as ``event``) past ``text_timeout_ms``."""
        try:
            # A savepoint: a cancelled query rolls back to it and the transaction goes on. The
            # timeout is SET LOCAL (it would outlive the savepoint), so it is put back after.
            with conn.transaction():
                row = conn.execute(
                    "SELECT current_setting('statement_timeout'),"
                    " set_config('statement_timeout', %s, true)",
                    (str(self._text_timeout_ms),),
                ).fetchone()
                rows = conn.execute(query, params).fetchall()
                if row is not None:
                    conn.execute("SELECT set_config('statement_timeout', %s, true)", (row[0],))
        except psycopg.errors.QueryCanceled:
            _log.warning(event, timeout_ms=self._text_timeout_ms, **context)
            return []
        return [row[0] for row in rows]

    # ------------------------------------------------------------------------- skills

    def _skill_candidates(
        self, conn: Connection, skills: Collection[str], filters: JobQuery, depth: int
    ) -> list[uuid.UUID]:
        """The filtered postings asking for the person's rarest skills, heaviest first."""
        shares = self.skill_shares(conn)
        query = SkillQuery.of(
            skills,
            shares.shares,
            postings=shares.postings,
            unlisted=shares.unlisted,
            budget=self._skill_budget,
        )
        if query is None:
            return []
        source, where, params = job_filter_sql(filters)
        # Unfiltered, the analyses alone answer (a deleted posting takes its analysis with it);
        # joining every candidate to its job costs an index probe each.
        scope = (
            "FROM job_analyses a WHERE"
            if where == "TRUE"
            else f"FROM {source}, job_analyses a WHERE a.job_id = j.id AND ({where}) AND"
        )
        sql = (
            f"SELECT a.job_id {scope} a.skill_ids && %(r_rarest)s::text[]"
            " ORDER BY (SELECT coalesce(sum((%(r_weights)s::float8[])"
            "[array_position(%(r_skills)s::text[], asked)]), 0)"
            " FROM unnest(a.skill_ids) AS asked WHERE asked = ANY(%(r_skills)s::text[]))"
            " / sqrt(greatest(cardinality(a.skill_ids), 1)) DESC, a.job_id LIMIT %(r_depth)s"
        )
        return self._bounded(
            conn,
            sql,
            {
                **params,
                "r_rarest": list(query.rarest),
                "r_skills": [skill for skill, _ in query.weights],
                "r_weights": [weight for _, weight in query.weights],
                "r_depth": depth,
            },
            "skill_candidates_timed_out",
            skills=len(query.weights),
        )

    def skill_shares(self, conn: Connection) -> SkillShares:
        """The skills' shares by the planner's statistics (``SkillShares``), a minute old at most.

        Cached like ``stored_rows``: statistics change only when the table is analysed.
        """
        return self._skill_shares.get(
            lambda: SkillShares.of_row(conn.execute(_SKILL_STATISTICS).fetchone())
        )

    # ------------------------------------------------------------------------- vectors

    def _nearest(
        self,
        conn: Connection,
        vector: Sequence[float],
        filters: JobQuery,
        k: int,
        *,
        exact: bool,
        also: Sequence[uuid.UUID] = (),
    ) -> list[VectorHit]:
        """The ``k`` nearest by the path the module doc chooses.

        On the approximate path the jobs of ``also`` (full-text and skill candidates, filtered)
        are merged in by their own vectors (``_with_candidates``); an exact path needs no
        merge: it has already ranked every filtered vector.
        """
        source, where, filter_params = job_filter_sql(filters)
        filtered = where != "TRUE"
        params = {**filter_params, "r_vector": self._column.wrap(vector), "r_k": k}
        if not exact and self._column.indexable:
            if self.scans_everything(conn) or (
                filtered and self._selective(conn, source, where, filter_params, k)
            ):
                exact = True
            else:
                params.update(self.approximate_params(vector, k))
                hits = self._approximate(conn, source, where, params, filtered=filtered)
                if len(hits) == k or not self._fallback:
                    return self._with_candidates(conn, vector, hits, also, k)
        return self._exact(conn, source, where, params, filtered=filtered)

    def _from(self, source: str, where: str, *, filtered: bool, predicate: str = "") -> str:
        """The FROM and WHERE of the model's vectors, joined to the jobs only when filtering.

        ``predicate`` selects the rows instead of the model's own (one shard's, say).
        """
        predicate = predicate or self._column.predicate
        if not filtered:
            return f"FROM job_embeddings e WHERE {predicate}"
        return (
            f"FROM {source}, job_embeddings e WHERE e.job_id = j.id AND {predicate} AND ({where})"
        )

    def _with_candidates(
        self,
        conn: Connection,
        vector: Sequence[float],
        hits: list[VectorHit],
        also: Sequence[uuid.UUID],
        k: int,
    ) -> list[VectorHit]:
        """The vector list, with the full-text and skill candidates' own similarities merged in.

        The index can miss a job a query from outside the corpus (a résumé) is nearest to, while
        the full-text and skill lists, already filtered, often hold it (ADR 0007). Their stored
        vectors are read by id and ranked by exact cosine with the index's hits, keeping ``k``:
        each job's similarity is exact either way, so the list only gets nearer to the exact one.
        """
        known = {hit.job_id for hit in hits}
        missing = [job_id for job_id in also if job_id not in known]
        if not missing:
            return hits
        column = self._column
        rows = conn.execute(
            f"SELECT e.job_id, {column.exact_distance('r_vector')} FROM job_embeddings e"
            f" WHERE {column.predicate} AND e.job_id = ANY(%(r_ids)s)",
            {"r_vector": column.wrap(vector), "r_ids": missing},
        )
        merged = [*hits, *(VectorHit(job_id, similarity(distance)) for job_id, distance in rows)]
        merged.sort(key=lambda hit: (-hit.similarity, hit.job_id))
        return merged[:k]

    def scans_everything(self, conn: Connection) -> bool:
        """Whether the stored vectors are few enough for every search to scan them exactly.

        The stored rows are the planner's statistics (``stored_rows``), of every model; a database
        never analysed counts as empty, which scans exactly, as a small table should.
        """
        stored_bytes = self.stored_rows(conn) * self.spec.dimensions * 4
        return stored_bytes <= self._full_scan_bytes

    def _selective(
        self, conn: Connection, source: str, where: str, params: dict[str, Any], k: int
    ) -> bool:
        """Whether the filters are selective enough for the exact path (``DEFAULT_EXACT_RATIO``).

        The filtered rows are the planner's estimate: a wrong one costs time, never results (too
        low takes the exact path, too high the approximate one, which falls back when short).
        """
        if self._exact_ratio <= 0:
            return False
        plan = conn.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {source} WHERE {where}", params
        ).fetchone()
        passing = float(plan[0][0]["Plan"]["Plan Rows"]) if plan else math.inf
        return passing * passing <= self._exact_ratio * k * self.stored_rows(conn)

    def stored_rows(self, conn: Connection) -> float:
        """About how many vectors are stored (the planner's statistics, cached for a minute)."""

        def read() -> float:
            row = conn.execute(
                "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'job_embeddings'::regclass"
            ).fetchone()
            return float(row[0]) if row else 0.0

        return self._stored_rows.get(read)

    def approximate_params(self, vector: Sequence[float], k: int) -> dict[str, Any]:
        """``approximate_sql``'s own parameters: the query's sketch and the rows to read.

        ``r_fetch`` is each shard's share of ``rerank`` rows, or of ``RERANK_OVERFETCH`` x k.
        """
        rows = max(self._rerank, RERANK_OVERFETCH * k)
        return {"r_sketch": sketch(vector), "r_fetch": math.ceil(rows / INDEX_SHARDS)}

    def approximate_sql(self, source: str, where: str, *, filtered: bool, shard: int) -> str:
        """The HNSW query of one shard: its nearest sketches in relaxed order, re-sorted exactly.

        The shard's index orders by the sketches' Hamming distance to the query's sketch
        (``r_sketch``); the ``r_fetch`` rows it yields are re-sorted outside the ``MATERIALIZED``
        CTE by the stored vectors' exact cosine distance, which is also the similarity returned,
        keeping ``r_k``.
        """
        column = self._column
        scope = self._from(
            source, where, filtered=filtered, predicate=column.shard_predicate(shard)
        )
        return (
            "WITH nearest AS MATERIALIZED ("
            f" SELECT e.job_id, e.embedding, {column.sketch_distance('r_sketch')} AS distance"
            f" {scope} ORDER BY distance LIMIT %(r_fetch)s)"
            f" SELECT job_id, {column.exact_distance('r_vector', alias='')} AS exact"
            " FROM nearest ORDER BY exact, job_id LIMIT %(r_k)s"
        )

    def exact_sql(self, source: str, where: str, *, filtered: bool) -> str:
        """The exact query: every filtered vector's full-precision distance, sorted.

        ``OFFSET 0`` keeps the sort out of the subquery, so no index can supply the order.
        """
        scope = self._from(source, where, filtered=filtered)
        distance = self._column.exact_distance("r_vector")
        return (
            f"SELECT job_id, distance FROM (SELECT e.job_id, {distance} AS distance"
            f" {scope} OFFSET 0) AS scanned ORDER BY distance, job_id LIMIT %(r_k)s"
        )

    def _approximate(
        self,
        conn: Connection,
        source: str,
        where: str,
        params: dict[str, Any],
        *,
        filtered: bool,
    ) -> list[VectorHit]:
        """Walk every shard's index at once on walk connections (``Walkers``); merge.

        Shard 0 is walked in the caller's thread, the others in the walkers' threads; a shard
        the walkers cannot take is walked on ``conn``. Each shard yields its own ``r_k`` nearest
        by exact distance; the merged list is sorted the way each shard's is (distance, then
        job id) and cut to ``r_k``.
        """
        statements = [
            self.approximate_sql(source, where, filtered=filtered, shard=shard)
            for shard in range(INDEX_SHARDS)
        ]
        elsewhere = [self._walkers.submit(statement, params) for statement in statements[1:]]
        rows = self._walkers.walk(statements[0], params)
        if rows is None:
            rows = self._walk(conn, statements[0], params)
        for statement, future in zip(statements[1:], elsewhere, strict=True):
            found = future.result()
            rows += self._walk(conn, statement, params) if found is None else found
        rows.sort(key=lambda row: (row[1], row[0]))
        return [
            VectorHit(job_id, similarity(distance)) for job_id, distance in rows[: params["r_k"]]
        ]

    def _walk(self, conn: Connection, statement: str, params: dict[str, Any]) -> list[Any]:
        """One shard's query on the caller's ``conn``, with the HNSW settings for its transaction.

        The caller's connection is the application pool's, so the settings must not outlive it.
        """
        set_search_settings(conn, self._ef_search, local=True)
        return list(conn.execute(statement, params))

    def _exact(
        self,
        conn: Connection,
        source: str,
        where: str,
        params: dict[str, Any],
        *,
        filtered: bool,
    ) -> list[VectorHit]:
        rows = conn.execute(self.exact_sql(source, where, filtered=filtered), params)
        return [VectorHit(job_id, similarity(distance)) for job_id, distance in rows]

    # ------------------------------------------------------------------------- filling

    def _newest(
        self, conn: Connection, filters: JobQuery, exclude: list[uuid.UUID], need: int
    ) -> list[uuid.UUID]:
        source, where, params = job_filter_sql(filters)
        rows = conn.execute(
            f"SELECT j.id FROM {source} WHERE ({where}) AND NOT (j.id = ANY(%(r_exclude)s))"
            f" ORDER BY {JOB_DATE_ORDER} LIMIT %(r_need)s",
            {**params, "r_exclude": exclude, "r_need": need},
        ).fetchall()
        return [row[0] for row in rows]
