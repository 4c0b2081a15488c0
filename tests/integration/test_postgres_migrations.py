"""Schema migrations: applied once, safely in parallel, reversible, and shipped with the package."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from yoyo import get_backend, read_migrations
from yoyo.connections import parse_uri

from jobraker_adapters.postgres.migrations import MIGRATIONS_SOURCE, apply_migrations, yoyo_url
from jobraker_core.errors import ConfigurationError, UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from jobraker_adapters.embedded import ServiceEndpoints
    from jobraker_adapters.postgres.pool import Pool
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.embedding import EmbeddingSpec

# Every migration file shipped (each capability adds its own), in the order they are applied:
# SQL files with their rollback files, and Python ones (steps that compute in Python, with their
# own rollback step).
SQL_MIGRATIONS = sorted(
    entry.name.removesuffix(".sql")
    for entry in resources.files("jobraker_adapters.postgres").joinpath("migrations").iterdir()
    if entry.name.endswith(".sql") and not entry.name.endswith(".rollback.sql")
)
PYTHON_MIGRATIONS = sorted(
    entry.name.removesuffix(".py")
    for entry in resources.files("jobraker_adapters.postgres").joinpath("migrations").iterdir()
    if entry.name.endswith(".py")
)
ALL_MIGRATIONS = sorted([*SQL_MIGRATIONS, *PYTHON_MIGRATIONS])

MIGRATE_IN_CHILD = """
import json, sys
from jobraker_adapters.postgres.migrations import apply_migrations
print(json.dumps(apply_migrations(sys.argv[1])))
"""


@pytest.fixture
def fresh_database(services: ServiceEndpoints) -> Iterator[str]:
    """Create an empty database on the test server for one test; drop it after."""
    name = f"jobraker_migrations_{uuid.uuid4().hex[:8]}"
    admin = make_conninfo(services.database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(services.database_url, dbname=name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def tables(database_url: str) -> set[str]:
    """Return the names of the tables in the database's current schema."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    return {name for (name,) in rows}


@pytest.mark.integration
def test_migrations_apply_once(fresh_database: str) -> None:
    """The first run applies every migration in order; the next applies nothing."""
    assert apply_migrations(fresh_database) == ALL_MIGRATIONS
    assert {"jobs", "job_sources", "ingestion_runs"} <= tables(fresh_database)
    assert apply_migrations(fresh_database) == []


@pytest.mark.integration
def test_parallel_processes_apply_each_migration_once(fresh_database: str) -> None:
    """Processes starting together (jobraker up next to jobraker ingest) share the work."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_IN_CHILD, fresh_database],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [child.communicate(timeout=120)[0] for child in children]

    assert [child.returncode for child in children] == [0, 0, 0]
    applied = [migration for output in outputs for migration in json.loads(output)]
    assert sorted(applied) == ALL_MIGRATIONS


@pytest.mark.integration
def test_migrations_roll_back_and_apply_again(fresh_database: str) -> None:
    """Every migration's rollback undoes it, and the schema can then be applied again."""
    apply_migrations(fresh_database)
    migrations = read_migrations(MIGRATIONS_SOURCE)
    backend = get_backend(yoyo_url(fresh_database))
    try:
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(migrations))
    finally:
        backend.connection.close()

    assert not {"jobs", "job_sources", "ingestion_runs"} & tables(fresh_database)
    assert apply_migrations(fresh_database) == ALL_MIGRATIONS


@pytest.mark.integration
def test_schema_rejects_values_outside_the_domain(migrated_database: str) -> None:
    """CHECK constraints keep enum columns to the domain's values."""
    with psycopg.connect(migrated_database) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO ingestion_runs (id, source_kind, status, created_at)"
            " VALUES (gen_random_uuid(), 'file', 'paused', now())"
        )


@pytest.mark.integration
def test_unreachable_database_is_upstream_unavailable() -> None:
    """Migrating a database that cannot be reached raises UpstreamUnavailable."""
    with pytest.raises(UpstreamUnavailable):
        apply_migrations("postgresql://postgres@/jobraker?host=/nonexistent/socket/dir")


def test_malformed_database_url_is_a_configuration_error() -> None:
    """A DATABASE_URL libpq cannot parse raises ConfigurationError."""
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        apply_migrations("this is not a url")


def test_migration_files_ship_inside_the_package() -> None:
    """The SQL files are package data, each but the extensions one with its rollback."""
    folder = resources.files("jobraker_adapters.postgres").joinpath("migrations")
    names = {entry.name for entry in folder.iterdir()}

    assert {f"{m}.sql" for m in SQL_MIGRATIONS} <= names
    assert {f"{m}.rollback.sql" for m in SQL_MIGRATIONS[1:]} <= names
    assert {"0093.job-sketches", "0094.job-sketch-shards", "0095.job-sketch-graphs"} <= set(
        PYTHON_MIGRATIONS
    )


@pytest.mark.parametrize(
    ("database_url", "database", "args"),
    [
        pytest.param(
            "postgresql://postgres:@/jobraker?host=/srv/jobraker/postgres",
            "jobraker",
            {"user": "postgres", "host": "/srv/jobraker/postgres"},
            id="embedded-socket",
        ),
        pytest.param(
            "postgresql://%2Fvar%2Frun%2Fpostgresql/app",
            "app",
            {"host": "/var/run/postgresql"},
            id="encoded-socket",
        ),
        pytest.param(
            "postgres://me:p%40ss@db.example:5433/app?sslmode=require",
            "app",
            {
                "user": "me",
                "password": "p@ss",
                "host": "db.example",
                "port": "5433",
                "sslmode": "require",
            },
            id="tcp",
        ),
        pytest.param(
            "host=/run/pg dbname=x user=me", "x", {"host": "/run/pg", "user": "me"}, id="key-value"
        ),
    ],
)
def test_yoyo_url_keeps_every_connection_parameter(
    database_url: str, database: str, args: dict[str, str]
) -> None:
    """The yoyo URL keeps the database and passes host (even a socket), user... as arguments."""
    parsed = parse_uri(yoyo_url(database_url))

    assert parsed.scheme == "postgresql+psycopg"
    assert parsed.database == database
    assert parsed.args == args
    assert (parsed.hostname, parsed.port, parsed.username, parsed.password) == (None,) * 4


@pytest.mark.integration
def test_the_skill_column_is_filled_for_analyses_stored_before_it(fresh_database, tmp_path):
    """Migration 0092 fills ``job_analyses.skill_ids`` for the rows already there."""
    from contract.builders import make_job  # noqa: PLC0415 - only this test stores rows
    from contract.test_retrieval_contract import asking  # noqa: PLC0415
    from jobraker_adapters.postgres.analyses import PostgresJobAnalysisRepository  # noqa: PLC0415
    from jobraker_adapters.postgres.pool import open_pool  # noqa: PLC0415
    from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory  # noqa: PLC0415
    from jobraker_adapters.settings import Settings  # noqa: PLC0415

    apply_migrations(fresh_database)
    migrations = read_migrations(MIGRATIONS_SOURCE)
    backend = get_backend(yoyo_url(fresh_database))
    try:
        with backend.lock():
            backend.rollback_migrations(
                [m for m in backend.to_rollback(migrations) if m.id == "0092.job-skill-ids"]
            )
    finally:
        backend.connection.close()
    posting = make_job("Platform Engineer")
    pools = open_pool(fresh_database, Settings(data_dir=tmp_path))
    pool = next(pools)
    try:
        with PostgresUnitOfWorkFactory(pool)() as uow:
            uow.jobs.save([posting])
            uow.commit()
        PostgresJobAnalysisRepository(pool).save("v1", [asking(posting, "terraform", "go")])
    finally:
        pools.close()

    assert apply_migrations(fresh_database) == ["0092.job-skill-ids"]
    with psycopg.connect(fresh_database) as conn:
        row = conn.execute("SELECT skill_ids FROM job_analyses").fetchone()
    assert row == (["go", "terraform"],)


def _roll_back(database_url: str, migration_id: str) -> None:
    """Roll back the one applied migration ``migration_id`` (yoyo, as ``apply_migrations`` uses)."""
    migrations = read_migrations(MIGRATIONS_SOURCE)
    backend = get_backend(yoyo_url(database_url))
    try:
        with backend.lock():
            backend.rollback_migrations(
                [m for m in backend.to_rollback(migrations) if m.id == migration_id]
            )
    finally:
        backend.connection.close()


@contextmanager
def _opened_pool(database_url: str, tmp_path: Path) -> Iterator[Pool]:
    """A connection pool on ``database_url`` for the block."""
    from jobraker_adapters.postgres.pool import open_pool  # noqa: PLC0415
    from jobraker_adapters.settings import Settings  # noqa: PLC0415

    pools = open_pool(database_url, Settings(data_dir=tmp_path))
    try:
        yield next(pools)
    finally:
        pools.close()


def _save_postings(pool: Pool, postings: list[JobPosting]) -> None:
    """Store ``postings`` in one unit of work."""
    from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory  # noqa: PLC0415

    with PostgresUnitOfWorkFactory(pool)() as uow:
        uow.jobs.save(postings)
        uow.commit()


def _store_as_before_0093(database_url, tmp_path, spec, postings, stored) -> None:
    """Store jobs and vectors, and register the model with a ``halfvec`` index, as before 0093."""
    from jobraker_adapters.postgres.embeddings import VectorColumn  # noqa: PLC0415

    with _opened_pool(database_url, tmp_path) as pool:
        _save_postings(pool, postings)
    index_name = VectorColumn(spec).index_name
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO embedding_models (model_id, dimensions, index_name, active)"
            " VALUES (%s, %s, %s, true)",
            (spec.model_id, spec.dimensions, index_name),
        )
        conn.execute(
            f"CREATE INDEX {index_name} ON job_embeddings"
            f" USING hnsw ((embedding::halfvec({spec.dimensions})) halfvec_cosine_ops)"
            f" WHERE model_id = '{spec.model_id}'"
        )
        for posting, vector in zip(postings, stored, strict=True):
            conn.execute(
                "INSERT INTO job_embeddings"
                " (job_id, model_id, content_hash, job_seen_at, embedding)"
                " VALUES (%s, %s, repeat('0', 64), now(), %s::vector)",
                (posting.id, spec.model_id, str(list(vector))),
            )


def _store_vectors(
    pool: Pool, spec: EmbeddingSpec, postings: list[JobPosting], stored: list[tuple[float, ...]]
) -> None:
    """Store each posting's vector of ``stored`` (``spec``'s model) through the repository."""
    from jobraker_adapters.postgres.embeddings import (  # noqa: PLC0415
        PostgresJobEmbeddingRepository,
    )
    from jobraker_core.matching.retrieval import JobEmbedding  # noqa: PLC0415

    PostgresJobEmbeddingRepository(pool).upsert(
        spec,
        [
            JobEmbedding(posting.id, "0" * 64, vector, posting.last_seen)
            for posting, vector in zip(postings, stored, strict=True)
        ],
    )


def _assert_each_found_through_the_shards(
    pool: Pool, spec: EmbeddingSpec, postings: list[JobPosting], stored: list[tuple[float, ...]]
) -> None:
    """The approximate path (full-scan rule off) finds each posting first for its own vector."""
    from jobraker_adapters.postgres.retrieval import PostgresJobRetriever  # noqa: PLC0415
    from jobraker_core.jobs.model import JobQuery  # noqa: PLC0415

    with PostgresJobRetriever(
        pool, spec, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False
    ) as retriever:
        with pool.connection() as conn:
            assert not retriever.scans_everything(conn)  # the approximate path, the shards
        for posting, vector in zip(postings, stored, strict=True):
            found = retriever.nearest(vector, JobQuery(), 1)
            assert [hit.job_id for hit in found] == [posting.id]


def _index_definition(database_url: str, name: str) -> str | None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (name,)
        ).fetchone()
    return row[0] if row else None


@pytest.mark.integration
def test_vectors_stored_before_the_sketches_get_them_and_an_index_over_them(
    fresh_database, tmp_path
):
    """Migration 0093 sketches the stored vectors and moves each model's index onto the sketches.

    Rolled back, the index is the ``halfvec`` one again and the column is gone; re-applied, each
    stored vector has exactly the sketch the repository computes for new ones, and the
    approximate path (sketch order, exact re-sort) finds the vector's own job.
    """
    from contract.builders import make_job  # noqa: PLC0415 - only this test stores rows
    from jobraker_adapters.postgres.embeddings import VectorColumn  # noqa: PLC0415
    from jobraker_adapters.postgres.pool import open_pool  # noqa: PLC0415
    from jobraker_adapters.postgres.retrieval import PostgresJobRetriever  # noqa: PLC0415
    from jobraker_adapters.postgres.sketch import sketch_text  # noqa: PLC0415
    from jobraker_adapters.settings import Settings  # noqa: PLC0415
    from jobraker_core.jobs.model import JobQuery  # noqa: PLC0415
    from jobraker_core.matching.embedding import EmbeddingSpec  # noqa: PLC0415

    apply_migrations(fresh_database)
    _roll_back(fresh_database, "0095.job-sketch-graphs")
    _roll_back(fresh_database, "0094.job-sketch-shards")
    _roll_back(fresh_database, "0093.job-sketches")
    spec = EmbeddingSpec("sketch-mig:8", 8)
    index_name = VectorColumn(spec).index_name
    postings = [make_job(f"Engineer {n}") for n in range(3)]
    stored = [tuple(float((n + 1) * (i % 3 - 1) or 0.5) for i in range(8)) for n in range(3)]
    with psycopg.connect(fresh_database) as conn:
        sketch_column = conn.execute(
            "SELECT 1 FROM information_schema.columns"
            " WHERE table_name = 'job_embeddings' AND column_name = 'sketch'"
        ).fetchone()
    assert sketch_column is None
    _store_as_before_0093(fresh_database, tmp_path, spec, postings, stored)

    assert apply_migrations(fresh_database) == [
        "0093.job-sketches",
        "0094.job-sketch-shards",
        "0095.job-sketch-graphs",
    ]
    with psycopg.connect(fresh_database) as conn:
        rows = dict(conn.execute("SELECT job_id, sketch::text FROM job_embeddings").fetchall())
    assert rows == {
        posting.id: sketch_text(vector) for posting, vector in zip(postings, stored, strict=True)
    }
    for name in VectorColumn(spec).index_names:
        index_after = _index_definition(fresh_database, name) or ""
        assert "USING hnsw (sketch bit_hamming_ops)" in index_after
        assert "ef_construction='192'" in index_after.replace(" ", "")

    pools = open_pool(fresh_database, Settings(data_dir=tmp_path))
    pool = next(pools)
    try:
        with PostgresJobRetriever(
            pool, spec, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False
        ) as retriever:
            hits = retriever.nearest(stored[1], JobQuery(), 1)
    finally:
        pools.close()
    assert [hit.job_id for hit in hits] == [postings[1].id]

    _roll_back(fresh_database, "0095.job-sketch-graphs")
    _roll_back(fresh_database, "0094.job-sketch-shards")
    _roll_back(fresh_database, "0093.job-sketches")
    assert "halfvec_cosine_ops" in (_index_definition(fresh_database, index_name) or "")


@pytest.mark.integration
def test_a_models_one_sketch_index_becomes_one_index_per_shard(fresh_database, tmp_path):
    """Migration 0094 replaces a model's one sketch index (0093) with its shards' indexes.

    Each shard index holds the shard's rows (its predicate is the one ``VectorColumn`` queries
    with), the approximate path finds every job through them, and a rollback puts back the one
    index.
    """
    from contract.builders import make_job  # noqa: PLC0415 - only this test stores rows
    from jobraker_adapters.postgres.embeddings import (  # noqa: PLC0415
        INDEX_SHARDS,
        VectorColumn,
    )
    from jobraker_core.matching.embedding import EmbeddingSpec  # noqa: PLC0415

    apply_migrations(fresh_database)
    _roll_back(fresh_database, "0095.job-sketch-graphs")
    _roll_back(fresh_database, "0094.job-sketch-shards")
    spec = EmbeddingSpec("shard-mig:8", 8)
    column = VectorColumn(spec)
    postings = [make_job(f"Engineer {n}") for n in range(8)]
    stored = [tuple(map(float, random.Random(n).sample(range(-50, 50), 8))) for n in range(8)]
    with psycopg.connect(fresh_database) as conn:
        conn.execute(
            "INSERT INTO embedding_models (model_id, dimensions, index_name, active)"
            " VALUES (%s, %s, %s, true)",
            (spec.model_id, spec.dimensions, column.index_name),
        )
        conn.execute(
            f"CREATE INDEX {column.index_name} ON job_embeddings"
            " USING hnsw (sketch bit_hamming_ops) WITH (m = 32, ef_construction = 128)"
            f" WHERE model_id = '{spec.model_id}'"
        )
    with _opened_pool(fresh_database, tmp_path) as pool:
        _save_postings(pool, postings)
        _store_vectors(pool, spec, postings, stored)

        assert apply_migrations(fresh_database) == [
            "0094.job-sketch-shards",
            "0095.job-sketch-graphs",
        ]
        assert _index_definition(fresh_database, column.index_name) is None
        with psycopg.connect(fresh_database) as conn:
            per_shard = [
                conn.execute(
                    f"SELECT count(*) FROM job_embeddings e WHERE {column.shard_predicate(shard)}"
                ).fetchone()
                for shard in range(INDEX_SHARDS)
            ]
            conn.execute("ANALYZE job_embeddings")  # a table never analysed is scanned exactly
        assert sum(row[0] for row in per_shard if row) == len(postings)
        for shard, name in enumerate(column.index_names):
            definition = _index_definition(fresh_database, name) or ""
            assert "USING hnsw (sketch bit_hamming_ops)" in definition
            assert f"mod(get_byte(uuid_send(job_id), 15), {INDEX_SHARDS}) = {shard}" in definition
        _assert_each_found_through_the_shards(pool, spec, postings, stored)

    _roll_back(fresh_database, "0095.job-sketch-graphs")
    _roll_back(fresh_database, "0094.job-sketch-shards")
    assert "sketch bit_hamming_ops" in (_index_definition(fresh_database, column.index_name) or "")
    assert all(_index_definition(fresh_database, name) is None for name in column.index_names)


@pytest.mark.integration
def test_the_shard_indexes_are_rebuilt_with_a_larger_build_list(fresh_database, tmp_path):
    """Migration 0095 rebuilds each model's shard indexes with ef_construction 192 (0094's: 128).

    The rebuilt indexes keep their names and shard predicates, no temporary index is left, the
    approximate path still finds every job through them, and a rollback builds them with 128.
    """
    from contract.builders import make_job  # noqa: PLC0415 - only this test stores rows
    from jobraker_adapters.postgres.embeddings import (  # noqa: PLC0415
        INDEX_SHARDS,
        VectorColumn,
        shard_condition,
    )
    from jobraker_core.matching.embedding import EmbeddingSpec  # noqa: PLC0415

    apply_migrations(fresh_database)
    _roll_back(fresh_database, "0095.job-sketch-graphs")
    spec = EmbeddingSpec("graph-mig:8", 8)
    column = VectorColumn(spec)
    postings = [make_job(f"Analyst {n}") for n in range(8)]
    stored = [tuple(map(float, random.Random(n + 40).sample(range(-50, 50), 8))) for n in range(8)]
    with psycopg.connect(fresh_database) as conn:
        conn.execute(
            "INSERT INTO embedding_models (model_id, dimensions, index_name, active)"
            " VALUES (%s, %s, %s, true)",
            (spec.model_id, spec.dimensions, column.index_name),
        )
        for shard, name in enumerate(column.index_names):  # as migration 0094 built them
            conn.execute(
                f"CREATE INDEX {name} ON job_embeddings"
                " USING hnsw (sketch bit_hamming_ops) WITH (m = 32, ef_construction = 128)"
                f" WHERE model_id = '{spec.model_id}' AND {shard_condition(shard)}"
            )

    def definitions() -> list[str]:
        found = [_index_definition(fresh_database, name) or "" for name in column.index_names]
        for shard, definition in enumerate(found):
            assert "USING hnsw (sketch bit_hamming_ops)" in definition
            assert f"mod(get_byte(uuid_send(job_id), 15), {INDEX_SHARDS}) = {shard}" in definition
        for name in column.index_names:
            assert _index_definition(fresh_database, f"{name}_next") is None
        return [definition.replace(" ", "") for definition in found]

    with _opened_pool(fresh_database, tmp_path) as pool:
        _save_postings(pool, postings)
        _store_vectors(pool, spec, postings, stored)
        assert all("ef_construction='128'" in found for found in definitions())

        assert apply_migrations(fresh_database) == ["0095.job-sketch-graphs"]
        assert all("ef_construction='192'" in found for found in definitions())
        with psycopg.connect(fresh_database) as conn:
            conn.execute("ANALYZE job_embeddings")  # a table never analysed is scanned exactly
        _assert_each_found_through_the_shards(pool, spec, postings, stored)

    _roll_back(fresh_database, "0095.job-sketch-graphs")
    assert all("ef_construction='128'" in found for found in definitions())
