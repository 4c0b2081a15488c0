"""pgvector on the test PostgreSQL: indexes per model, iterative scans, re-index, the cache."""

from __future__ import annotations

import contextlib
import math
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from jobraker_adapters.container import build_container
from jobraker_adapters.embedders.hashing import HashingEmbedder
from jobraker_adapters.postgres.embeddings import (
    INDEX_SHARDS,
    PostgresJobEmbeddingRepository,
    VectorColumn,
    ensure_vector_types,
)
from jobraker_adapters.postgres.jobs import job_filter_sql
from jobraker_adapters.postgres.pool import open_pool
from jobraker_adapters.postgres.retrieval import PostgresJobRetriever
from jobraker_adapters.postgres.sketch import sketch_text
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_adapters.settings import Settings
from jobraker_core.errors import ConfigurationError
from jobraker_core.jobs.model import JobDraft, JobPosting, JobQuery
from jobraker_core.matching.embedding import EmbeddingSpec, content_hash, cosine
from jobraker_core.matching.retrieval import JobEmbedding, TextScope, job_embedding_text
from jobraker_core.matching.use_cases_index import (
    EmbeddingCounts,
    EmbedJobs,
    ReindexJobs,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobraker_adapters.postgres.pool import Pool

pytestmark = pytest.mark.integration

SEEN = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def with_database(database_url: str, name: str) -> str:
    """``database_url`` naming another database on the same server."""
    return make_conninfo(database_url, dbname=name)


def job(title: str, *, category: str | None = None, description: str = "Work.") -> JobPosting:
    """A posting with a unique key."""
    draft = JobDraft(
        source="test",
        source_id=uuid.uuid4().hex,
        title=title,
        description=description,
        category=category,
    )
    posting = JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=SEEN)
    return attrs.evolve(posting, key=f"test:{uuid.uuid4().hex}")


def store(uow, jobs):
    """Save jobs in one unit."""
    with uow() as unit:
        unit.jobs.save(jobs)
        unit.commit()


def indexes(conn) -> dict[str, str]:
    """The definitions of the indexes on ``job_embeddings``, by name."""
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'job_embeddings'"
    ).fetchall()
    return dict(rows)


@pytest.fixture
def uow(db, pg_pool):
    """A unit-of-work factory on the clean test database."""
    return PostgresUnitOfWorkFactory(pg_pool)


@pytest.fixture
def vectors(db, pg_pool):
    """The pgvector embedding repository on the clean test database."""
    return PostgresJobEmbeddingRepository(pg_pool)


def test_registering_a_model_creates_its_shards_hnsw_indexes(vectors, pg_pool):
    """A model gets a partial HNSW Hamming index over each shard of its own rows' sketches."""
    spec = EmbeddingSpec("idx-test:384", 384)
    vectors.register_model(spec)
    column = VectorColumn(spec)
    with pg_pool.connection() as conn:
        found = indexes(conn)
    assert column.index_name not in found
    assert len(column.index_names) == INDEX_SHARDS == 2
    for shard, name in enumerate(column.index_names):
        definition = found[name]
        assert "USING hnsw (sketch bit_hamming_ops)" in definition
        assert "m='32'" in definition.replace(" ", "")
        assert "ef_construction='192'" in definition.replace(" ", "")
        assert "model_id = 'idx-test:384'::text" in definition
        assert f"mod(get_byte(uuid_send(job_id), 15), 2) = {shard}" in definition


def test_stored_vectors_carry_their_sketch(vectors, pg_pool, uow):
    """``upsert`` stores each vector's sketch next to it, and replaces it with the vector."""
    spec = EmbeddingSpec("sketch-test:16", 16)
    vectors.register_model(spec)
    posting = job("Sketched")
    store(uow, [posting])
    first = tuple(1.0 if i < 8 else -1.0 for i in range(16))
    second = tuple(-x for x in first)
    for vector in (first, second):
        vectors.upsert(spec, [JobEmbedding(posting.id, "0" * 64, vector, SEEN)])
        with pg_pool.connection() as conn:
            (stored,) = conn.execute(
                "SELECT sketch::text FROM job_embeddings WHERE job_id = %s", (posting.id,)
            ).fetchone()
        assert stored == sketch_text(vector)
    assert sketch_text(first) != sketch_text(second)


MIGRATIONS = Path(__file__).resolve().parents[2] / "src/jobraker_adapters/postgres/migrations"


def around_migration(conn, name: str, query: str) -> tuple[object, object]:
    """Roll migration ``name`` back, then apply it again: ``query``'s first row after each."""
    conn.execute((MIGRATIONS / f"{name}.rollback.sql").read_text())
    before = conn.execute(query).fetchone()
    conn.execute((MIGRATIONS / f"{name}.sql").read_text())
    return before, conn.execute(query).fetchone()


def test_migration_0070_rebuilds_every_models_index_with_m_32_and_back(pg_pool):
    """0070 rebuilds each registered model's index with m = 32, same expression; rollback: 16."""
    specs = [EmbeddingSpec("mig-test:384", 384), EmbeddingSpec("mig-test:3072", 3072)]
    for spec in specs:
        PostgresJobEmbeddingRepository(pg_pool).register_model(spec)
    with pg_pool.connection() as conn:
        conn.execute((MIGRATIONS / "0080.hnsw-halfvec.rollback.sql").read_text())
        conn.execute((MIGRATIONS / "0070.hnsw-m32.rollback.sql").read_text())
        before = indexes(conn)
        conn.execute((MIGRATIONS / "0070.hnsw-m32.sql").read_text())
        after = indexes(conn)
        conn.execute((MIGRATIONS / "0070.hnsw-m32.rollback.sql").read_text())
        back = indexes(conn)
    for spec in specs:
        name = VectorColumn(spec).index_name
        assert "m='16'" in before[name].replace(" ", "")
        assert after[name] == before[name].replace("m='16'", "m='32'")
        assert back[name] == before[name]
    assert "halfvec_cosine_ops" in after[VectorColumn(specs[1]).index_name]


def test_migration_0080_rebuilds_small_models_indexes_as_halfvec_and_back(pg_pool):
    """0080 makes each model's index halfvec (as new models get it); rollback: vector <= 2,000."""
    specs = [EmbeddingSpec("mig-half:384", 384), EmbeddingSpec("mig-half:3072", 3072)]
    for spec in specs:
        PostgresJobEmbeddingRepository(pg_pool).register_model(spec)
    with pg_pool.connection() as conn:
        current = indexes(conn)
        conn.execute((MIGRATIONS / "0080.hnsw-halfvec.rollback.sql").read_text())
        before = indexes(conn)
        conn.execute((MIGRATIONS / "0080.hnsw-halfvec.sql").read_text())
        after = indexes(conn)
    small, wide = (VectorColumn(spec).index_name for spec in specs)
    assert "(embedding)::vector(384)" in before[small]
    assert "vector_cosine_ops" in before[small]
    for spec in specs:  # what registering creates today (0093, 0094)
        for name in VectorColumn(spec).index_names:
            assert "sketch bit_hamming_ops" in current[name]
    assert "(embedding)::halfvec(384)" in after[small]
    assert "halfvec_cosine_ops" in after[small]
    assert before[wide] == after[wide]  # above 2,000 dimensions it was halfvec already


def _toast_rows(conn) -> int:
    (toast,) = conn.execute(
        "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'job_embeddings'::regclass"
    ).fetchone()
    (count,) = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(toast))).fetchone()
    return int(count)


def test_vectors_of_the_default_size_stay_uncompressed_in_the_row(vectors, pg_pool, uow):
    """768 float32 (3 kB) are neither compressed nor moved to TOAST (migration 0081)."""
    spec = EmbeddingSpec("plain-test:768", 768)
    vectors.register_model(spec)
    posting = job("In the row")
    store(uow, [posting])
    row = tuple(math.sin(i) for i in range(768))
    with pg_pool.connection() as conn:
        toasted_before = _toast_rows(conn)
    vectors.upsert(spec, [JobEmbedding(posting.id, content_hash("in-row"), row, SEEN)])
    with pg_pool.connection() as conn:
        (method,) = conn.execute(
            "SELECT pg_column_compression(embedding) FROM job_embeddings WHERE model_id = %s",
            (spec.model_id,),
        ).fetchone()
        toasted_after = _toast_rows(conn)
    assert method is None
    assert toasted_after == toasted_before
    (hit,) = PostgresJobRetriever(pg_pool, spec).nearest(row, JobQuery(), 1, exact=True)
    assert hit.job_id == posting.id
    assert hit.similarity == pytest.approx(1.0)


def test_migration_0081_keeps_vectors_in_the_row_and_back(pg_pool):
    """0081 sets the largest toast_tuple_target; its rollback restores the default."""
    query = (
        "SELECT a.attstorage, c.reloptions FROM pg_attribute a JOIN pg_class c"
        " ON c.oid = a.attrelid"
        " WHERE a.attrelid = 'job_embeddings'::regclass AND a.attname = 'embedding'"
    )
    with pg_pool.connection() as conn:
        before, after = around_migration(conn, "0081.vectors-in-row", query)
    assert before == ("e", None)  # pgvector's types are EXTERNAL: never compressed
    assert after == ("e", ["toast_tuple_target=8160"])


def test_similarities_are_full_precision_though_the_index_is_half(vectors, pg_pool, uow, closing):
    """The approximate and the exact path both return the stored vectors' exact cosine."""
    spec = EmbeddingSpec("prec-test:16", 16)
    vectors.register_model(spec)
    postings = [job(f"Precision {n}") for n in range(3)]
    store(uow, postings)
    rows = [tuple(1.0 / (1 + abs(i - 3 * n)) + 1e-4 * i for i in range(16)) for n in range(3)]
    vectors.upsert(
        spec,
        [
            JobEmbedding(p.id, content_hash(p.title), row, SEEN)
            for p, row in zip(postings, rows, strict=True)
        ],
    )
    query = tuple(0.3 + 1e-4 * i * i for i in range(16))
    expected = {p.id: cosine(query, row) for p, row in zip(postings, rows, strict=True)}
    retriever = closing(
        PostgresJobRetriever(pg_pool, spec, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False)
    )
    for exact in (False, True):
        hits = retriever.nearest(query, JobQuery(), 3, exact=exact)
        assert [h.job_id for h in hits] == sorted(expected, key=lambda i: -expected[i])
        for hit in hits:
            assert hit.similarity == pytest.approx(expected[hit.job_id], abs=1e-6)


def test_large_models_are_indexed_up_to_4000_dimensions_then_searched_exactly(
    vectors, pg_pool, uow
):
    """Above 2,000 dimensions the sketches are indexed too; above 4,000 search is exact."""
    wide, huge = EmbeddingSpec("idx-wide:2500", 2500), EmbeddingSpec("idx-huge:4100", 4100)
    vectors.register_model(wide)
    vectors.register_model(huge)
    with pg_pool.connection() as conn:
        found = indexes(conn)
    assert all("sketch bit_hamming_ops" in found[n] for n in VectorColumn(wide).index_names)
    assert not set(VectorColumn(huge).index_names) & set(found)
    posting = job("Huge")
    store(uow, [posting])
    vector = tuple(1.0 if i == 7 else 0.0 for i in range(4100))
    text = job_embedding_text(posting.title, posting.company, posting.description)
    vectors.upsert(huge, [JobEmbedding(posting.id, content_hash(text), vector, SEEN)])
    (hit,) = PostgresJobRetriever(pg_pool, huge).retrieve(
        text=None, vector=vector, filters=JobQuery(), limit=1
    )
    assert hit.vector_similarity == pytest.approx(1.0)


def clustered(rng: random.Random, count: int, dims: int) -> list[tuple[float, ...]]:
    """Unit vectors around a few random centres."""
    centres = [[rng.gauss(0, 1) for _ in range(dims)] for _ in range(8)]
    out = []
    for n in range(count):
        centre = centres[n % len(centres)]
        raw = [c + rng.gauss(0, 0.6) for c in centre]
        norm = math.sqrt(sum(x * x for x in raw))
        out.append(tuple(x / norm for x in raw))
    return out


@pytest.fixture
def corpus(uow, vectors):
    """3,000 jobs with 16-dimensional vectors; 1% of them in the category "rare"."""
    spec = EmbeddingSpec("iter-test:16", 16)
    rng = random.Random(42)
    jobs = [job(f"Job {n}", category="rare" if n % 100 == 0 else "common") for n in range(3000)]
    store(uow, jobs)
    vectors.register_model(spec)
    items = [
        JobEmbedding(j.id, content_hash(j.title), v, j.last_seen)
        for j, v in zip(jobs, clustered(rng, len(jobs), 16), strict=True)
    ]
    vectors.upsert(spec, items)
    with vectors.pool.connection() as conn:
        conn.execute("ANALYZE job_embeddings")
        conn.execute("ANALYZE jobs")
    return spec, dict(zip([j.id for j in jobs], [i.vector for i in items], strict=True)), jobs


def test_unfiltered_approximate_search_uses_each_shards_hnsw_index(corpus, pg_pool):
    """Each shard's query matches that shard's HNSW index, so the planner can walk it.

    With m = 32 the planner rightly prefers a plain scan of these 3,000 small vectors; with
    sequential scans off, only an index whose expression and predicate match can serve it.
    """
    spec, _, _ = corpus
    retriever = PostgresJobRetriever(pg_pool, spec)
    source, where, params = job_filter_sql(JobQuery())
    for shard, name in enumerate(VectorColumn(spec).index_names):
        query = retriever.approximate_sql(source, where, filtered=False, shard=shard)
        with pg_pool.connection() as conn:
            ensure_vector_types(conn)
            conn.execute("SET LOCAL enable_seqscan = off")
            plan = "\n".join(
                row[0]
                for row in conn.execute(
                    "EXPLAIN " + query,
                    {
                        **params,
                        **retriever.approximate_params([0.25] * 16, 10),
                        "r_vector": VectorColumn(spec).wrap([0.25] * 16),
                        "r_k": 10,
                    },
                )
            )
        assert f"Index Scan using {name} " in plan


APPROXIMATE_ONLY: Final = {"full_scan_mb": 0, "exact_ratio": 0, "fallback_to_exact": False}


def walk_backends(pool: Pool) -> list[tuple[int, str, str]]:
    """The walk connections open on the server: process id, application name, state."""
    with pool.connection() as conn:
        return [
            (row[0], row[1], row[2])
            for row in conn.execute(
                "SELECT pid, application_name, state FROM pg_stat_activity"
                " WHERE application_name = 'jobraker-walk' AND pid <> pg_backend_pid()"
            )
        ]


def no_walk_backends(pool: Pool) -> bool:
    """Whether the server's walk backends are all gone, waiting up to ten seconds.

    A closed connection's backend leaves ``pg_stat_activity`` when it has noticed and exited,
    a moment after the client closed it (longer on a busy machine).
    """
    deadline = time.monotonic() + 10
    while walk_backends(pool):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def search_until_walking(retriever: PostgresJobRetriever, query: Sequence[float]) -> None:
    """Search until the retriever's walk connections are open (they open on the first walks)."""
    deadline = time.monotonic() + 10
    while retriever.walkers.open_connections() < INDEX_SHARDS:
        assert time.monotonic() < deadline, "the walk connections never opened"
        retriever.nearest(query, JobQuery(), 10)
        time.sleep(0.01)


def test_the_shards_are_walked_at_once_or_one_after_the_other_with_the_same_result(
    corpus, pg_pool, closing
):
    """With walk connections the shards are walked at once; with none, on the caller's connection.

    The lists are the same either way, the shards split the rows between them, and each list
    is in exact order: the shards' lists are merged by exact similarity.
    """
    spec, by_id, _ = corpus
    with pg_pool.connection() as conn:
        shards = {
            shard: {
                row[0]
                for row in conn.execute(
                    "SELECT e.job_id FROM job_embeddings e"
                    f" WHERE {VectorColumn(spec).shard_predicate(shard)}"
                )
            }
            for shard in range(INDEX_SHARDS)
        }
    assert sum(len(ids) for ids in shards.values()) == len(by_id)
    assert all(len(ids) > len(by_id) / 3 for ids in shards.values())
    at_once = closing(PostgresJobRetriever(pg_pool, spec, **APPROXIMATE_ONLY))
    in_turn = closing(PostgresJobRetriever(pg_pool, spec, walk_connections=0, **APPROXIMATE_ONLY))
    queries = clustered(random.Random(5), 5, 16)
    search_until_walking(at_once, queries[0])
    for query in queries:
        found = at_once.nearest(query, JobQuery(), 10)
        assert in_turn.nearest(query, JobQuery(), 10) == found
        assert {h.job_id for h in found} & shards[0]
        assert {h.job_id for h in found} & shards[1]
        similarities = [h.similarity for h in found]
        assert similarities == sorted(similarities, reverse=True)
        for hit in found:
            assert hit.similarity == pytest.approx(cosine(by_id[hit.job_id], query), abs=1e-6)
    assert in_turn.walkers.open_connections() == 0


def test_walk_connections_carry_the_search_settings_in_their_session(corpus, pg_pool, closing):
    """A walk connection is autocommit, named ``jobraker-walk``, with the retriever's HNSW settings.

    The settings live in the session, so a walk needs no round trip to set them; the caller's
    pooled connections keep the server's defaults.
    """
    spec, _, _ = corpus
    retriever = closing(PostgresJobRetriever(pg_pool, spec, ef_search=77, **APPROXIMATE_ONLY))
    search_until_walking(retriever, clustered(random.Random(6), 1, 16)[0])
    seen = retriever.walkers.walk(
        "SELECT current_setting('hnsw.ef_search'), current_setting('hnsw.iterative_scan'),"
        " current_setting('application_name')",
        {},
    )
    assert seen == [("77", "relaxed_order", "jobraker-walk")]
    backends = walk_backends(pg_pool)
    assert retriever.walkers.open_connections() >= INDEX_SHARDS
    assert len(backends) >= INDEX_SHARDS
    assert {state for _, _, state in backends} == {"idle"}  # autocommit: no open transaction
    with pg_pool.connection() as conn:
        row = conn.execute(
            "SELECT current_setting('hnsw.ef_search'), current_setting('hnsw.iterative_scan')"
        ).fetchone()
    assert row == ("40", "off")  # pgvector's defaults, untouched on the application pool


def test_broken_walk_connections_cost_a_search_nothing(corpus, pg_pool, closing):
    """Walk connections killed by the server (a restart, say): the search walks on the caller's.

    The next search gets the same list, and the walkers reconnect for the ones after it.
    """
    spec, _, _ = corpus
    retriever = closing(PostgresJobRetriever(pg_pool, spec, **APPROXIMATE_ONLY))
    query = clustered(random.Random(7), 1, 16)[0]
    search_until_walking(retriever, query)
    expected = retriever.nearest(query, JobQuery(), 10)
    killed = [pid for pid, _, _ in walk_backends(pg_pool)]
    assert len(killed) >= INDEX_SHARDS
    with pg_pool.connection() as conn:
        for pid in killed:
            conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    assert retriever.nearest(query, JobQuery(), 10) == expected
    search_until_walking(retriever, query)
    assert not {pid for pid, _, _ in walk_backends(pg_pool)} & set(killed)
    assert retriever.nearest(query, JobQuery(), 10) == expected


def test_a_walk_that_times_out_fails_the_search(corpus, settings, closing):
    """A statement timeout on a walk connection is an error, not a broken connection to skip.

    The walkers take the pool's connection options, its statement timeout among them.
    """
    spec, _, _ = corpus
    short = attrs.evolve(settings, db_statement_timeout_ms=50, db_pool_min=1, db_pool_max=2)
    pools = open_pool(str(settings.database_url), short)
    pool = next(pools)
    closing(contextlib.closing(pools))  # closed after the retriever: the stack unwinds in turn
    retriever = closing(PostgresJobRetriever(pool, spec, **APPROXIMATE_ONLY))
    search_until_walking(retriever, clustered(random.Random(8), 1, 16)[0])
    with pytest.raises(psycopg.errors.QueryCanceled):
        retriever.walkers.walk("SELECT pg_sleep(1)", {})


def test_closed_walkers_hold_no_connection_and_searches_go_on(corpus, pg_pool):
    """``close()`` closes the walk connections; a search after it walks on the caller's."""
    spec, by_id, _ = corpus
    query = clustered(random.Random(9), 1, 16)[0]
    with PostgresJobRetriever(pg_pool, spec, **APPROXIMATE_ONLY) as retriever:
        search_until_walking(retriever, query)
        expected = retriever.nearest(query, JobQuery(), 10)
    assert no_walk_backends(pg_pool)
    assert retriever.walkers.walk("SELECT 1", {}) is None
    assert retriever.nearest(query, JobQuery(), 10) == expected
    assert len(expected) == 10
    assert {hit.job_id for hit in expected} <= set(by_id)


@pytest.mark.parametrize("connections", [-1, 101])
def test_walk_connections_out_of_range_are_refused(pg_pool, connections):
    """A misconfigured number of walk connections fails at start-up, not at the first search."""
    with pytest.raises(ConfigurationError, match="walk connections"):
        PostgresJobRetriever(pg_pool, EmbeddingSpec("neg:4", 4), walk_connections=connections)


def test_iterative_scan_fills_the_limit_under_a_one_percent_filter(corpus, pg_pool, closing):
    """With only the approximate path (no exact fallback), a 1% filter still gets ``limit`` rows."""
    spec, by_id, jobs = corpus
    rare = {j.id for j in jobs if j.category == "rare"}
    retriever = closing(
        PostgresJobRetriever(
            pg_pool, spec, ef_search=10, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False
        )
    )
    query = clustered(random.Random(1), 1, 16)[0]
    hits = retriever.nearest(query, JobQuery(category="rare"), 20)
    assert len(hits) == 20
    assert {h.job_id for h in hits} <= rare
    exact = sorted(rare, key=lambda i: -sum(a * b for a, b in zip(by_id[i], query, strict=True)))
    assert len({h.job_id for h in hits} & set(exact[:20])) >= 18


def test_a_small_catalogue_is_scanned_exactly(corpus, pg_pool):
    """Under ``full_scan_mb`` of stored vectors every search is exact; above it, the index.

    The corpus holds 3,000 vectors of 16 float32: 192,000 bytes.
    """
    spec, by_id, _ = corpus
    with pg_pool.connection() as conn:
        decided = {
            size: PostgresJobRetriever(pg_pool, spec, full_scan_mb=size).scans_everything(conn)
            for size in (0, 0.19, 0.193, 320)
        }
    assert decided == {0: False, 0.19: False, 0.193: True, 320: True}
    shipped = PostgresJobRetriever(pg_pool, spec, ef_search=1)  # a graph search would be poor
    for query in clustered(random.Random(3), 5, 16):
        found = [h.job_id for h in shipped.nearest(query, JobQuery(), 10)]
        exact = sorted(
            by_id, key=lambda i: -sum(a * b for a, b in zip(by_id[i], query, strict=True))
        )
        assert found == exact[:10]


def test_the_container_passes_the_full_scan_size_and_walk_connections(corpus, settings, pg_pool):
    """``vector_full_scan_mb`` and ``db_walk_connections`` reach the container's retriever.

    Shutting the container down closes the retriever's walk connections.
    """
    spec = corpus[0]
    decided = []
    for size, walkers in ((320, 4), (0, 2)):
        chosen = attrs.evolve(settings, vector_full_scan_mb=size, db_walk_connections=walkers)
        container = build_container(chosen)
        container.embedding_spec.override(spec)
        try:
            retriever = container.job_retriever()
            with pg_pool.connection() as conn:
                decided.append(retriever.scans_everything(conn))
            assert retriever.walkers.connections == walkers
            if not size:
                search_until_walking(retriever, clustered(random.Random(4), 1, 16)[0])
        finally:
            container.shutdown_resources()
    assert decided == [True, False]
    assert no_walk_backends(pg_pool)


def test_a_negative_full_scan_size_is_refused(pg_pool):
    """A misconfigured size fails at start-up, not at the first search."""
    with pytest.raises(ConfigurationError, match="full-scan"):
        PostgresJobRetriever(pg_pool, EmbeddingSpec("neg:4", 4), full_scan_mb=-1)


@pytest.mark.parametrize("rerank", [0, 10_001])
def test_re_sorted_rows_out_of_range_are_refused(pg_pool, rerank):
    """The rows the approximate path re-sorts must be a sane positive number."""
    with pytest.raises(ConfigurationError, match="re-sorted rows"):
        PostgresJobRetriever(pg_pool, EmbeddingSpec("neg:4", 4), rerank=rerank)


def test_the_approximate_path_re_sorts_what_the_sketches_rank(corpus, pg_pool, closing):
    """Rows read in sketch order come back in exact cosine order with exact similarities."""
    spec, by_id, _ = corpus
    query = next(iter(by_id.values()))
    expected = sorted(by_id, key=lambda i: -cosine(query, by_id[i]))[:5]
    retriever = closing(
        PostgresJobRetriever(pg_pool, spec, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False)
    )
    hits = retriever.nearest(query, JobQuery(), 5)
    assert [hit.job_id for hit in hits] == expected
    for hit in hits:
        assert hit.similarity == pytest.approx(cosine(query, by_id[hit.job_id]), abs=1e-6)


def test_approximate_search_agrees_with_exact_search(corpus, pg_pool, closing):
    """Unfiltered top-10 from the index matches the exact top-10 (recall of at least 0.9)."""
    spec, _, _ = corpus
    retriever = closing(PostgresJobRetriever(pg_pool, spec, full_scan_mb=0))
    queries = clustered(random.Random(2), 10, 16)
    overlap = 0
    for query in queries:
        approx = {h.job_id for h in retriever.nearest(query, JobQuery(), 10)}
        exact = {h.job_id for h in retriever.nearest(query, JobQuery(), 10, exact=True)}
        overlap += len(approx & exact)
    assert overlap / 100 >= 0.9


@attrs.define
class CountingEmbedder:
    """A hashing embedder that counts the texts it embeds."""

    inner: HashingEmbedder
    texts: list[str] = attrs.field(factory=list)

    @property
    def model_id(self) -> str:
        """The wrapped model id."""
        return self.inner.model_id

    @property
    def dimensions(self) -> int:
        """The wrapped size."""
        return self.inner.dimensions

    def embed(self, texts):
        """Count, then embed."""
        self.texts.extend(texts)
        return self.inner.embed(texts)


def test_unchanged_content_is_not_embedded_again(uow, vectors):
    """Re-seeing a job with the same text embeds nothing; an edited text is embedded."""
    same, edited = job("Baker"), job("Welder")
    store(uow, [same, edited])
    embedder = CountingEmbedder(HashingEmbedder(32))
    embed = EmbedJobs(vectors, embedder)
    assert embed() == EmbeddingCounts(checked=2, embedded=2)
    later = SEEN + timedelta(days=2)
    store(
        uow,
        [
            attrs.evolve(same, last_seen=later),
            attrs.evolve(edited, last_seen=later, description="Pipes too."),
        ],
    )
    assert embed() == EmbeddingCounts(checked=2, embedded=1, unchanged=1)
    assert embedder.texts[-1] == "Welder\nPipes too."
    assert embed() == EmbeddingCounts()


def test_reindex_after_a_model_change(uow, vectors, pg_pool):
    """A new dimension re-embeds every job, activates the model and drops the old index."""
    store(uow, [job(f"Job {n}") for n in range(5)])
    old, new = HashingEmbedder(16), HashingEmbedder(48)
    ReindexJobs(uow, vectors, old)()
    result = ReindexJobs(uow, vectors, new)()
    assert result.changed
    assert result.counts.embedded == 5
    assert result.removed == 5
    assert vectors.active_model() == EmbeddingSpec.of(new)
    with pg_pool.connection() as conn:
        found = indexes(conn)
        models = conn.execute("SELECT model_id, active FROM embedding_models").fetchall()
    assert not set(VectorColumn(EmbeddingSpec.of(old)).index_names) & set(found)
    assert set(VectorColumn(EmbeddingSpec.of(new)).index_names) <= set(found)
    assert models == [(new.model_id, True)]
    hits = PostgresJobRetriever(pg_pool, EmbeddingSpec.of(new)).retrieve(
        text=None, vector=new.embed(["Job 3"])[0], filters=JobQuery(), limit=5
    )
    assert all(h.vector_rank is not None for h in hits)


def test_pool_connections_work_before_the_extension_exists(services, tmp_path):
    """A database without pgvector still hands out connections; vectors work once it exists."""
    name = f"jobraker_novector_{uuid.uuid4().hex[:8]}"
    maintenance = with_database(services.database_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(services.database_url, name)
    settings = Settings(data_dir=tmp_path, database_url=url, db_pool_timeout=5.0)
    try:
        pool_gen = open_pool(url, settings)
        pool = next(pool_gen)
        try:
            with pool.connection() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
                with pytest.raises(ConfigurationError, match="pgvector"):
                    ensure_vector_types(conn)
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                ensure_vector_types(conn)
                assert conn.adapters.types.get("vector") is not None
        finally:
            pool_gen.close()
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_pooled_connections_come_with_vector_types(pg_pool):
    """On a migrated database every pooled connection can send and read vectors at once."""
    with pg_pool.connection() as conn:
        assert conn.adapters.types.get("vector") is not None


def test_migration_0090_adds_an_indexed_title_vector_and_back(uow, pg_pool):
    """0090 adds the ``title_search`` column, filled for jobs already stored, and its GIN index.

    Its rollback drops both.
    """
    store(uow, [job("Senior Kotlin Developer", description="Payments and ledgers.")])
    query = (
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'jobs'::regclass"
        " AND attname = 'title_search' AND NOT attisdropped"
    )
    with pg_pool.connection() as conn:
        before, after = around_migration(conn, "0090.title-search", query)
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'jobs_title_search_idx'"
        ).fetchone()
        (words,) = conn.execute("SELECT title_search::text FROM jobs").fetchone()
    assert (before, after) == ((0,), (1,))
    assert index is not None
    assert "USING gin (title_search)" in index[0]
    assert words == "'develop':3 'kotlin':2 'senior':1"


def test_a_full_text_query_past_its_timeout_leaves_the_vector_candidates(corpus, pg_pool):
    """A full-text query that cannot finish in time is dropped, not the whole retrieval.

    Another session holds an exclusive lock on ``jobs``, so the full-text query (which reads
    ``jobs``) waits past its own statement timeout; the unfiltered vector path reads only
    ``job_embeddings`` and still answers. After the lock, the same retriever uses full text again.
    """
    spec, by_id, _ = corpus
    retriever = PostgresJobRetriever(pg_pool, spec, text_timeout_ms=200)
    query = clustered(random.Random(5), 1, 16)[0]
    with psycopg.connect(pg_pool.conninfo, autocommit=False) as holder:
        holder.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        found = retriever.retrieve(text="job", vector=query, filters=JobQuery(), limit=10)
        holder.rollback()
    assert len(found) == 10
    assert all(r.text_rank is None and r.vector_rank is not None for r in found)
    nearest = sorted(by_id, key=lambda i: -sum(a * b for a, b in zip(by_id[i], query, strict=True)))
    assert {r.job_id for r in found} == set(nearest[:10])
    again = retriever.retrieve(text="job", vector=query, filters=JobQuery(), limit=10)
    assert any(r.text_rank is not None for r in again)


def test_the_full_text_timeout_does_not_outlive_its_query(corpus, pg_pool):
    """The transaction's statement timeout is the same after the full-text query as before."""
    retriever = PostgresJobRetriever(pg_pool, corpus[0], text_timeout_ms=200)
    with pg_pool.connection() as conn:
        (before,) = conn.execute("SHOW statement_timeout").fetchone()
        found = retriever._text_candidates(conn, ("job",), JobQuery(), 10, TextScope.EVERYWHERE)
        (after,) = conn.execute("SHOW statement_timeout").fetchone()
    assert len(found) == 10
    assert before == after != "200ms"


class MissingIndex(PostgresJobRetriever):
    """A retriever whose HNSW index never returns ``hidden``: an index that cannot reach it."""

    hidden: frozenset[uuid.UUID] = frozenset()

    def _approximate(self, conn, source, where, params, *, filtered):
        k = params["r_k"]
        more = {**params, "r_k": k + len(self.hidden)}
        hits = super()._approximate(conn, source, where, more, filtered=filtered)
        return [hit for hit in hits if hit.job_id not in self.hidden][:k]


def test_full_text_candidates_missed_by_the_index_are_ranked_by_their_own_vectors(
    corpus, pg_pool, closing
):
    """A job the index missed but the text found takes its exact place in the vector list."""
    spec, by_id, jobs = corpus
    query = clustered(random.Random(9), 1, 16)[0]
    nearest = sorted(by_id, key=lambda i: -sum(a * b for a, b in zip(by_id[i], query, strict=True)))
    target = nearest[0]
    title = next(j.title for j in jobs if j.id == target)  # "Job <n>": its number is unique
    retriever = closing(MissingIndex(pg_pool, spec, full_scan_mb=0))
    retriever.hidden = frozenset({target})
    without_text = retriever.retrieve(text=None, vector=query, filters=JobQuery(), limit=10)
    assert target not in {r.job_id for r in without_text}
    found = retriever.retrieve(text=title.split()[1], vector=query, filters=JobQuery(), limit=10)
    first = found[0]
    assert (first.job_id, first.vector_rank, first.text_rank) == (target, 1, 1)
    expected = sum(a * b for a, b in zip(by_id[target], query, strict=True))
    assert first.vector_similarity == pytest.approx(expected, abs=1e-6)
