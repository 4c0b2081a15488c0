"""Job vectors in pgvector: vector types, per-model HNSW indexes, the embedding repository.

``PostgresJobEmbeddingRepository`` works on the ``job_embeddings`` and ``embedding_models`` tables.

The ``embedding`` column is an untyped ``vector``, so models of any dimension can be stored side by
side while a re-index runs. Next to each vector the repository stores its binary sketch
(``sketch bit(2048)``, ``jobraker_adapters.postgres.sketch``), and each model gets partial HNSW
indexes over the sketches, created when the model is registered: one per shard of its rows
(``INDEX_SHARDS``, split by the job id's last byte), so that a search can walk them at once on
separate connections::

    CREATE INDEX job_embeddings_hnsw_<hash>_s0 ON job_embeddings
        USING hnsw (sketch bit_hamming_ops) WITH (m = 32, ef_construction = 192)
        WHERE model_id = 'local-hash-v1:768' AND mod(get_byte(uuid_send(job_id), 15), 2) = 0

A sketch is 256 bytes, a sixth of a ``halfvec(768)``, so a graph visit reads far less and
compares by popcount (ADR 0007 has the measurements). Only the index is approximate: the table
keeps full vectors, the exact path and every similarity a query returns are computed on them,
and the approximate path re-sorts the rows it reads in sketch order by those
(``VectorColumn.exact_distance``). Models of more than 4,000 dimensions get no index (search is
exact), as before the sketches. Queries must repeat an index's predicate verbatim
(``VectorColumn``), which is why the model id is written into the SQL as a literal (it is
validated by ``EmbeddingSpec``). ``docs/adr/0007-vector-storage.md`` records these decisions and
the measurements behind ``m``, ``ef_construction`` and the shards.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

import attrs
import psycopg
from pgvector import Vector
from pgvector.psycopg import register_vector
from psycopg import errors as pg_errors
from psycopg import sql

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.sketch import SKETCH_BITS, sketches
from jobraker_core.errors import ConfigurationError, Conflict, InvalidInput, NotFound
from jobraker_core.matching.embedding import EmbeddingSpec
from jobraker_core.matching.retrieval import JobEmbedding, PendingJob

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from jobraker_adapters.postgres.pool import Pool

Connection = psycopg.Connection[Any]

MAX_INDEXED_DIMENSIONS: Final = 4000
"""Models of more dimensions get no index and are searched exactly (pgvector's ``halfvec`` limit,
which the index used before the sketches; kept so such models behave as they did)."""

HNSW_M: Final = 32
"""Neighbours per HNSW node (ADR 0007: 16 gave recall@10 0.87 at 300k vectors, 32 gave 0.94 for a
build 1.8x as long; migration 0070 rebuilt the existing indexes)."""
HNSW_EF_CONSTRUCTION: Final = 192
"""Candidate list size while building (ADR 0007: on sketches, 128 built 1M jobs' two shards in
about 9 minutes; 192 takes about half as long again, and its better-connected graphs give a
higher recall@10 from fewer rows, sooner: migration 0095 rebuilt the existing indexes)."""

INDEX_SHARDS: Final = 2
"""Each model's rows are indexed as this many shards (by the job id's last byte), each with its
own HNSW graph, and the approximate path walks them concurrently on separate connections
(``PostgresJobRetriever``). Two graphs of half the rows, walked at once, answer a search in about
0.75x the time of one graph for the same recall, at about 1.5x its CPU (ADR 0007, the migration
0094 update); two is the number of cores of the reference machine. Changing it needs a migration
that rebuilds every model's indexes."""

_MODEL_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,199}$")
_LOCK_KEY: Final = "jobraker.embedding_models"


# ----------------------------------------------------------------------------- vector types


def configure_connection(conn: Connection) -> None:
    """Register pgvector's types on a new pooled connection, if the extension exists yet.

    Used as the pool's ``configure`` hook. A database whose migrations have not run has no
    ``vector`` type; the connection is then left as it is and ``ensure_vector_types`` registers the
    types the first time a vector query runs on it. Leaves the connection idle, as the pool needs.
    """
    try:
        register_vector(conn)
    except psycopg.ProgrammingError:
        pass  # no extension yet: ensure_vector_types will register later
    finally:
        conn.rollback()


def ensure_vector_types(conn: Connection) -> None:
    """Make sure ``conn`` can send and read vectors; ``ConfigurationError`` without pgvector."""
    if conn.adapters.types.get("vector") is not None:
        return
    try:
        register_vector(conn)
    except psycopg.ProgrammingError as error:
        raise ConfigurationError(
            "the PostgreSQL database has no pgvector extension: run the migrations "
            "(a superuser may have to CREATE EXTENSION vector first)"
        ) from error


# ----------------------------------------------------------------------------- per-model SQL


def model_literal(model_id: str) -> str:
    """The model id as a SQL string literal (ids are letters, digits and ``._:/+-`` only)."""
    if not _MODEL_ID.fullmatch(model_id):
        raise InvalidInput(f"not an embedding model id: {model_id!r}", field="model_id")
    return f"'{model_id}'"


def similarity(distance: float | None) -> float:
    """Cosine similarity from pgvector's cosine distance, clamped to [-1, 1].

    A zero vector has no direction: pgvector gives NaN (here None or NaN), taken as 0.
    """
    if distance is None or distance != distance:  # noqa: PLR0124 - NaN check without math
        return 0.0
    return max(-1.0, min(1.0, 1.0 - float(distance)))


@attrs.frozen
class VectorColumn:
    """How one model's vectors are indexed and queried (the predicate must match exactly)."""

    spec: EmbeddingSpec

    @property
    def indexable(self) -> bool:
        """Whether the model gets an HNSW index (``MAX_INDEXED_DIMENSIONS``)."""
        return self.spec.dimensions <= MAX_INDEXED_DIMENSIONS

    @property
    def index_name(self) -> str:
        """The stable base name of the model's indexes (a hash: ids are longer than names may be).

        ``embedding_models.index_name`` stores it; ``index_names`` derives the shards' from it.
        """
        digest = hashlib.sha256(self.spec.model_id.encode()).hexdigest()[:16]
        return f"job_embeddings_hnsw_{digest}"

    @property
    def index_names(self) -> tuple[str, ...]:
        """The names of the model's shard indexes, shard 0 first."""
        return shard_index_names(self.index_name)

    @property
    def predicate(self) -> str:
        """The condition selecting the model's rows of ``job_embeddings e``."""
        return f"e.model_id = {model_literal(self.spec.model_id)}"

    def shard_predicate(self, shard: int) -> str:
        """The condition selecting shard ``shard`` of the model's rows of ``job_embeddings e``.

        It states the shard's index predicate, so the planner can use that index.
        """
        return f"{self.predicate} AND {shard_condition(shard, alias='e.')}"

    @staticmethod
    def sketch_distance(name: str, alias: str = "e.") -> str:
        """The Hamming distance of the stored sketch to the query sketch ``name`` (indexed)."""
        return f"{alias}sketch <~> %({name})s::bit({SKETCH_BITS})"

    def exact_distance(self, name: str, alias: str = "e.") -> str:
        """The full-precision cosine distance of the stored vector to the query vector ``name``."""
        dims = self.spec.dimensions
        return f"({alias}embedding::vector({dims}) <=> %({name})s::vector({dims}))"

    @staticmethod
    def wrap(vector: Sequence[float]) -> Vector:
        """The query vector as a full-precision pgvector value (SQL casts it where needed)."""
        return Vector(list(vector))

    def create_index_sqls(
        self, *, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION
    ) -> tuple[str, ...]:
        """``CREATE INDEX IF NOT EXISTS`` for each of the model's partial HNSW shard indexes."""
        return tuple(
            f"CREATE INDEX IF NOT EXISTS {name} ON job_embeddings"
            " USING hnsw (sketch bit_hamming_ops)"
            f" WITH (m = {int(m)}, ef_construction = {int(ef_construction)})"
            f" WHERE model_id = {model_literal(self.spec.model_id)} AND {shard_condition(shard)}"
            for shard, name in enumerate(self.index_names)
        )


def shard_index_names(base: str) -> tuple[str, ...]:
    """The shard indexes' names of a model whose base index name is ``base``."""
    return tuple(f"{base}_s{shard}" for shard in range(INDEX_SHARDS))


def shard_condition(shard: int, alias: str = "") -> str:
    """Whether a row of ``job_embeddings`` (named ``alias``) belongs to shard ``shard``.

    The job id's last byte modulo ``INDEX_SHARDS``: random in version 4 and 7 UUIDs, so the
    shards are even, and immutable, as an index predicate must be. ``mod()`` rather than ``%``,
    so the condition can sit in a query with parameters.
    """
    if not 0 <= shard < INDEX_SHARDS:
        raise ValueError(f"no shard {shard}: there are {INDEX_SHARDS}")
    return f"mod(get_byte(uuid_send({alias}job_id), 15), {INDEX_SHARDS}) = {int(shard)}"


def check_vector(spec: EmbeddingSpec, vector: Sequence[float]) -> None:
    """Raise ``InvalidInput`` unless ``vector`` has the model's dimension."""
    if len(vector) != spec.dimensions:
        raise InvalidInput(
            f"a vector of model {spec.model_id} has {spec.dimensions} dimensions, not "
            f"{len(vector)}",
            field="vector",
        )


# ----------------------------------------------------------------------------- repository


@contextmanager
def _translate_foreign_keys() -> Iterator[None]:
    try:
        yield
    except pg_errors.ForeignKeyViolation as error:
        if error.diag.constraint_name == "job_embeddings_model_fkey":
            raise NotFound("this embedding model is not registered") from error
        raise Conflict("a job of these vectors is not stored (deleted meanwhile?)") from error


@attrs.frozen
class PostgresJobEmbeddingRepository:
    """A ``JobEmbeddingRepository`` on pgvector; every method is its own transaction.

    ``m`` and ``ef_construction`` are the HNSW build parameters of indexes it creates.
    """

    pool: Pool
    m: int = HNSW_M
    ef_construction: int = HNSW_EF_CONSTRUCTION

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with translate_errors(), _translate_foreign_keys(), self.pool.connection() as conn:
            ensure_vector_types(conn)
            yield conn

    def _register(self, conn: Connection, spec: EmbeddingSpec) -> None:
        column = VectorColumn(spec)
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_LOCK_KEY,))
        row = conn.execute(
            "SELECT dimensions FROM embedding_models WHERE model_id = %s", (spec.model_id,)
        ).fetchone()
        if row is not None:
            if row[0] != spec.dimensions:
                raise Conflict(
                    f"embedding model {spec.model_id} is registered with {row[0]} dimensions, "
                    f"not {spec.dimensions}"
                )
            return
        index_name = column.index_name if column.indexable else None
        conn.execute(
            "INSERT INTO embedding_models (model_id, dimensions, index_name) VALUES (%s, %s, %s)",
            (spec.model_id, spec.dimensions, index_name),
        )
        if column.indexable:
            for statement in column.create_index_sqls(
                m=self.m, ef_construction=self.ef_construction
            ):
                conn.execute(statement)

    def register_model(self, spec: EmbeddingSpec) -> None:
        """Record the model and create its HNSW shard indexes (idempotent)."""
        with self._connection() as conn:
            self._register(conn, spec)

    def active_model(self) -> EmbeddingSpec | None:
        """The model marked active, or None."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT model_id, dimensions FROM embedding_models WHERE active"
            ).fetchone()
        return EmbeddingSpec(model_id=row[0], dimensions=row[1]) if row else None

    def activate_model(self, spec: EmbeddingSpec) -> None:
        """Mark ``spec`` (registered first if needed) as the only active model."""
        with self._connection() as conn:
            self._register(conn, spec)
            conn.execute(
                "UPDATE embedding_models SET active = false WHERE active AND model_id <> %s",
                (spec.model_id,),
            )
            conn.execute(
                "UPDATE embedding_models SET active = true, activated_at = now()"
                " WHERE model_id = %s AND NOT active",
                (spec.model_id,),
            )

    def pending(
        self, spec: EmbeddingSpec, *, after: uuid.UUID | None = None, limit: int = 256
    ) -> list[PendingJob]:
        """Jobs without a vector of ``spec`` or seen since it was checked, by id after ``after``."""
        keyset = "" if after is None else "AND j.id > %(after)s"
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT j.id, j.title, j.company, j.description, j.last_seen, e.content_hash"
                " FROM jobs j LEFT JOIN job_embeddings e"
                "   ON e.job_id = j.id AND e.model_id = %(model)s"
                f" WHERE (e.job_id IS NULL OR j.last_seen > e.job_seen_at) {keyset}"
                " ORDER BY j.id LIMIT %(limit)s",
                {"model": spec.model_id, "after": after, "limit": limit},
            ).fetchall()
        return [
            PendingJob(
                job_id=job_id,
                title=title,
                company=company,
                description=description,
                last_seen=last_seen,
                stored_hash=stored_hash,
            )
            for job_id, title, company, description, last_seen, stored_hash in rows
        ]

    def upsert(self, spec: EmbeddingSpec, embeddings: Sequence[JobEmbedding]) -> None:
        """Insert or replace these jobs' vectors of ``spec``, all or nothing."""
        latest = {item.job_id: item for item in embeddings}
        for item in latest.values():
            check_vector(spec, item.vector)
        if not latest:
            return
        items = list(latest.values())
        bits = sketches([item.vector for item in items])
        with self._connection() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO job_embeddings"
                " (job_id, model_id, content_hash, job_seen_at, embedding, sketch)"
                " VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (job_id, model_id) DO UPDATE SET"
                " content_hash = EXCLUDED.content_hash, job_seen_at = EXCLUDED.job_seen_at,"
                " embedding = EXCLUDED.embedding, sketch = EXCLUDED.sketch",
                [
                    (
                        item.job_id,
                        spec.model_id,
                        item.content_hash,
                        item.job_seen_at,
                        Vector(list(item.vector)),
                        sketch,
                    )
                    for item, sketch in zip(items, bits, strict=True)
                ],
            )

    def touch(self, spec: EmbeddingSpec, seen: Mapping[uuid.UUID, datetime]) -> None:
        """Move the stored vectors' ``job_seen_at`` forward to these times."""
        if not seen:
            return
        with self._connection() as conn:
            conn.execute(
                "UPDATE job_embeddings e SET job_seen_at = greatest(e.job_seen_at, v.seen)"
                " FROM unnest(%s::uuid[], %s::timestamptz[]) AS v(job_id, seen)"
                " WHERE e.job_id = v.job_id AND e.model_id = %s",
                (list(seen), list(seen.values()), spec.model_id),
            )

    def vectors_by_hash(
        self, spec: EmbeddingSpec, hashes: Collection[str]
    ) -> dict[str, tuple[float, ...]]:
        """One stored vector of ``spec`` per content hash found."""
        if not hashes:
            return {}
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (content_hash) content_hash, embedding FROM job_embeddings"
                " WHERE model_id = %s AND content_hash = ANY(%s) ORDER BY content_hash, job_id",
                (spec.model_id, list(set(hashes))),
            ).fetchall()
        return {content_hash: tuple(vector.to_list()) for content_hash, vector in rows}

    def similarities_by_hash(
        self, spec: EmbeddingSpec, vector: Sequence[float], hashes: Collection[str]
    ) -> dict[str, float]:
        """The cosine of ``vector`` and each found hash's stored vector, computed in PostgreSQL.

        Full precision, the same expression as the retriever's exact path; a few hundred rows
        cost about a millisecond here against tens of them to read the vectors out and multiply
        them in Python.
        """
        spec.check(vector)
        if not hashes:
            return {}
        column = VectorColumn(spec)
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (content_hash) content_hash,"
                f" {column.exact_distance('query', alias='')} FROM job_embeddings"
                " WHERE model_id = %(model)s AND content_hash = ANY(%(hashes)s)"
                " ORDER BY content_hash, job_id",
                {
                    "query": column.wrap(vector),
                    "model": spec.model_id,
                    "hashes": list(set(hashes)),
                },
            ).fetchall()
        return {content_hash: similarity(distance) for content_hash, distance in rows}

    def count(self, spec: EmbeddingSpec) -> int:
        """How many jobs have a vector of ``spec``."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM job_embeddings WHERE model_id = %s", (spec.model_id,)
            ).fetchone()
        return int(row[0]) if row else 0

    def delete_model(self, model_id: str) -> int:
        """Drop the model's indexes, vectors and registration; return the vectors deleted."""
        model_literal(model_id)  # refuse anything that is not a model id
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_LOCK_KEY,))
            row = conn.execute(
                "SELECT index_name FROM embedding_models WHERE model_id = %s", (model_id,)
            ).fetchone()
            if row is not None and row[0] is not None:
                for name in shard_index_names(row[0]):
                    conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
            deleted = conn.execute(
                "DELETE FROM job_embeddings WHERE model_id = %s", (model_id,)
            ).rowcount
            conn.execute("DELETE FROM embedding_models WHERE model_id = %s", (model_id,))
        return deleted
