"""Vector search benchmark: pgvector HNSW against a numpy exact scan of the same vectors.

Run ``python -m benchmarks.vectors --size 100000`` (and ``--size 1000000 --dims 768``). Each
run starts its own embedded PostgreSQL in a temporary directory (tuned for the run, see
``SERVER_SETTINGS``), loads a generated corpus with binary COPY, builds the HNSW index, and measures
in the same run, on the same vectors:

- bulk load: COPY time, index build time and size (and, with ``--incremental``, COPY into a table
  whose index already exists, which is what the application's own inserts pay);
- recall@10 of the shipped approximate search against exact top-10 (numpy, float32), and the
  recall/latency curve over ``hnsw.ef_search``;
- single-client p50/p95 latency of ``PostgresJobRetriever.nearest`` (the vector path of retrieval,
  through the pool, as the application calls it): unfiltered, and with filters matching about 10%
  (a country) and 1% (a category) of the jobs, with the rows returned and recall;
- the baseline: a numpy exact scan (``X @ q`` + top-k) of the same float32 vectors, 2 BLAS threads.

Vectors come from one of three generators (``--kind``):

- ``varied`` (the default): the local ``HashingEmbedder`` at ``--dims`` dimensions (768 is the
  shipped default, 384 the size of the published anchors) over varied synthetic postings
  (``benchmarks.synthetic_jobs``: O*NET occupations on a long tail, their alternate titles and
  technology skills, sentences of several demo postings; realistic lengths), queries being
  held-out postings from the same generator;
- ``hash``: the same embedder over near-copies of the demo corpus (each posting mostly the
  shuffled sentences of one of its 500 postings, so ``size / 500`` near-copies of each): a
  near-duplicate stress case, kept for comparison with earlier runs;
- ``clustered``: random unit vectors around 2,000 random centres, queries drawn the same way;
- ``static``: the ``varied`` postings embedded by a static model distilled from all-MiniLM-L6-v2
  with model2vec at ``--dims`` dimensions (at most 384; not shipped: it needs the ``neural`` extra
  and ``model2vec[distill]``), to compare how the index copes with a learned model's vectors.

With ``--data-dir`` holding ``rjdb_dev300.jsonl``, the 300 RJDB jobs are hidden in the corpus and
each matched résumé's own job is ranked by the vector path alone, HNSW against exact
(``ranking_quality``).

Results go to ``benchmarks/results/vectors-<size>-<kind><suffix>.json``;
``docs/benchmarks-vectors.md`` is re-rendered from every result file present. Not part of the test
suite.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import math
import multiprocessing
import os
import platform
import random
import re
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from pgvector import Bit
from psycopg import sql

from benchmarks.report import percentile, splice_section
from benchmarks.synthetic_jobs import demo_postings, sentences, varied_texts
from jobraker_adapters.embedded import embedded_postgres
from jobraker_adapters.embedders.hashing import HashingEmbedder
from jobraker_adapters.postgres.embeddings import (
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    INDEX_SHARDS,
    VectorColumn,
    ensure_vector_types,
)
from jobraker_adapters.postgres.jobs import job_filter_sql
from jobraker_adapters.postgres.migrations import apply_migrations
from jobraker_adapters.postgres.pool import Pool, open_pool
from jobraker_adapters.postgres.retrieval import (
    DEFAULT_EF_SEARCH,
    DEFAULT_EXACT_RATIO,
    DEFAULT_RERANK_ROWS,
    DEFAULT_WALK_CONNECTIONS,
    RERANK_OVERFETCH,
    PostgresJobRetriever,
)
from jobraker_adapters.postgres.sketch import SKETCH_BITS, sketch_matrix
from jobraker_adapters.settings import Settings
from jobraker_core.jobs.model import JobQuery
from jobraker_core.matching.embedding import EmbeddingSpec

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks-vectors.md"

COUNTRIES = ["GB", "US", "DE", "FR", "NL", "ES", "IT", "SE", "PL", "IE"]  # 10% each
CATEGORIES = [f"Category {n:02d}" for n in range(100)]  # 1% each
K = 10
NEAR = 0.01
"""A hit this much less similar (cosine) than the true 10th neighbour counts as a near-tie."""
SEEN = datetime(2026, 1, 1, tzinfo=UTC)

SERVER_SETTINGS = {
    "shared_buffers": "6GB",
    "effective_cache_size": "16GB",
    "maintenance_work_mem": "4GB",
    "max_parallel_maintenance_workers": "1",
    "work_mem": "64MB",
    "jit": "off",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
}
"""The benchmark server: enough buffers for table and index, a build that fits in memory, one
parallel build worker (two cores), no JIT. Durability is off: a throwaway load."""


# ----------------------------------------------------------------------------- corpus


def synthetic_texts(count: int, seed: int) -> list[str]:
    """Make ``count`` synthetic postings with realistic lengths.

    Each is mostly the shuffled sentences of one demo posting, plus a few of another, under the
    first one's title with a seniority prefix.
    """
    base = demo_postings()
    pieces = [sentences(p, fallback="Work.") for p in base]
    levels = ["", "Senior ", "Junior ", "Lead ", "Principal ", "Staff "]
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        topic = rng.randrange(len(base))
        other = rng.randrange(len(base))
        own = pieces[topic]
        picked = rng.sample(own, max(1, int(len(own) * rng.uniform(0.5, 0.9))))
        picked += rng.sample(pieces[other], min(len(pieces[other]), rng.randint(1, 3)))
        rng.shuffle(picked)
        title = f"{rng.choice(levels)}{base[topic].get('title') or 'Job'}"
        texts.append(f"{title}\n{base[topic].get('company') or ''}\n" + " ".join(picked))
    return texts


def _embed_chunk(args: tuple[list[str], int]) -> np.ndarray:
    texts, dims = args
    return np.asarray(HashingEmbedder(dims).embed(texts), dtype=np.float32)


Encode = Callable[[Sequence[str]], np.ndarray]
"""Texts to float32 unit rows."""


def static_encoder(dims: int, cache: Path | None) -> Encode:
    """``benchmarks.static_model``'s distilled model (``--kind static``), kept in ``cache``."""
    from benchmarks.static_model import StaticModelEmbedder  # noqa: PLC0415 - optional

    return StaticModelEmbedder(dims, cache).matrix


def hash_vectors(texts: Sequence[str], dims: int) -> np.ndarray:
    """Embed with the local hashing embedder on every core."""
    chunk = 2000
    jobs = [(list(texts[i : i + chunk]), dims) for i in range(0, len(texts), chunk)]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        parts = pool.map(_embed_chunk, jobs)
    return np.concatenate(parts)


@dataclasses.dataclass(frozen=True)
class Clusters:
    """Cluster centres, each with a low-rank spread.

    Real embeddings have a low intrinsic dimension; isotropic noise in 384 dimensions would make
    every neighbour in a cluster equidistant.
    """

    centres: np.ndarray
    bases: np.ndarray
    spread: float = 0.25
    noise: float = 0.01

    @classmethod
    def make(
        cls, rng: np.random.Generator, dims: int, count: int = 2000, rank: int = 16
    ) -> Clusters:
        """``count`` random unit centres with random ``rank``-dimensional bases."""
        centres = rng.normal(0, 1, size=(count, dims))
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        bases = rng.normal(0, 1, size=(count, dims, rank)) / math.sqrt(dims)
        return cls(centres, bases)


def clustered_vectors(count: int, clusters: Clusters, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors: a centre, plus a random point of its 16-dimensional spread, plus noise."""
    dims = clusters.centres.shape[1]
    which = rng.integers(0, len(clusters.centres), size=count)
    out = np.empty((count, dims), dtype=np.float32)
    for cluster in np.unique(which):
        rows = np.flatnonzero(which == cluster)
        z = rng.normal(0, 1, size=(len(rows), clusters.bases.shape[2]))
        block = (
            clusters.centres[cluster]
            + clusters.spread * z @ clusters.bases[cluster].T
            + rng.normal(0, clusters.noise, size=(len(rows), dims))
        )
        out[rows] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def make_corpus(  # noqa: PLR0917 - one corpus's parameters
    size: int,
    dims: int,
    kind: str,
    queries: int,
    cache: Path | None = None,
    data_dir: Path | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Return the job vectors, the query vectors and the seconds it took to make them.

    With ``cache``, the (seeded, deterministic) vectors are kept in an ``.npz`` file there and
    re-used by later runs, which then report the seconds of the run that made them.
    """
    stored = cache / f"vectors-{size}-{kind}-{dims}-{queries}.npz" if cache else None
    if stored is not None and stored.exists():
        with np.load(stored) as saved:
            return saved["corpus"], saved["queries"], float(saved["generate_s"])
    corpus, asked, seconds = _generate(size, dims, kind, queries, data_dir, cache)
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        np.savez(stored, corpus=corpus, queries=asked, generate_s=np.float64(seconds))
    return corpus, asked, seconds


def _generate(  # noqa: PLR0917 - one corpus's parameters
    size: int, dims: int, kind: str, queries: int, data_dir: Path | None, cache: Path | None
) -> tuple[np.ndarray, np.ndarray, float]:
    started = time.perf_counter()
    if kind in {"varied", "static"}:
        if data_dir is None:
            raise ValueError("the varied corpus needs --data-dir (O*NET technology skills)")
        encode = encoder(kind, dims, cache)
        corpus = encode(varied_texts(size, 1, data_dir))
        asked = encode(varied_texts(queries, 2, data_dir))
    elif kind == "hash":
        corpus = hash_vectors(synthetic_texts(size, seed=1), dims)
        asked = hash_vectors(synthetic_texts(queries, seed=2), dims)
    else:
        rng = np.random.default_rng(1)
        clusters = Clusters.make(rng, dims)
        corpus = clustered_vectors(size, clusters, rng)
        asked = clustered_vectors(queries, clusters, np.random.default_rng(2))
    return corpus, asked, time.perf_counter() - started


def storage_note(attstorage: str, reloptions: Sequence[str] | None) -> str:
    """How the vector column is stored (``pg_attribute.attstorage``, the table's options)."""
    kind = {"e": "EXTERNAL (never compressed)", "x": "EXTENDED (compressed over ~2 kB)"}.get(
        attstorage, attstorage
    )
    target = next((o for o in reloptions or () if o.startswith("toast_tuple_target=")), None)
    if target:
        return f"{kind}, {target}: vectors stay in the row up to ~8 kB"
    return f"{kind}, default toast_tuple_target: rows over ~2 kB go out of line to TOAST"


VECTORS_NOTES = {
    "varied": "HashingEmbedder (local default, feature hashing) over varied synthetic postings "
    "(`benchmarks/synthetic_jobs.py`: O*NET occupations on a long tail, alternate titles, "
    "technology-skill requirements, sentences of 3-6 demo postings; no two alike)",
    "hash": "HashingEmbedder (local default, feature hashing) over near-copies of the demo "
    "corpus (each posting mostly the shuffled sentences of one of its 500 postings: about "
    "size / 500 near-copies of each, a near-duplicate stress case)",
    "clustered": "synthetic unit vectors, not embedded text: 2,000 random centres, each with a "
    "random 16-dimensional spread (scale 0.25) plus isotropic noise (sigma 0.01)",
    "static": "the varied synthetic postings embedded by a static model distilled from "
    "all-MiniLM-L6-v2 with model2vec (a learned model's vectors; not shipped)",
}
"""What each ``--kind`` of corpus is, for the report."""

RANKING_POOL = 20
"""Ranking quality at scale: the candidate pool (as ``benchmarks.matching_quality``'s)."""


def encoder(kind: str, dims: int, cache: Path | None) -> Encode:
    """The encoder of a text corpus kind: ``static``'s model, else the hashing embedder."""
    if kind == "static":
        return static_encoder(dims, cache)
    return lambda texts: hash_vectors(texts, dims)


def rjdb_vectors(encode: Encode, data_dir: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The RJDB jobs' vectors and their matched résumés' vectors, if the data is present.

    Embedded as the matching-quality study does (job text; the parsed profile's text) with
    ``encode``; None when ``rjdb_dev300.jsonl`` is not in ``data_dir``.
    """
    from benchmarks.matching_quality import DATA_FILE, Study, load  # noqa: PLC0415 - optional
    from jobraker_core.matching.retrieval import job_embedding_text  # noqa: PLC0415

    if not (data_dir / DATA_FILE).exists():
        return None
    rows = load(data_dir)
    study = Study(rows)
    jobs = encode([job_embedding_text(r.job.title, r.job.company, r.job.description) for r in rows])
    resumes = encode([profile.text() for profile in study.matched])
    return np.asarray(jobs, dtype=np.float32), np.asarray(resumes, dtype=np.float32)


def ranking_quality(
    vectors: np.ndarray, resumes: np.ndarray, first_row: int, ids: Sequence[uuid.UUID], search: Any
) -> dict[str, float]:
    """Hit@1 and MRR of each résumé's own job among the top ``RANKING_POOL``, HNSW vs exact.

    Résumé ``i``'s own job is row ``first_row + i`` of ``vectors``; ``search(q, k)`` is the
    shipped retriever's unfiltered nearest-neighbour call. A job outside the pool counts 0.
    """
    exact_rr, approx_rr, exact_hit, approx_hit, overlap = [], [], 0, 0, []
    for i, query in enumerate(resumes):
        own = ids[first_row + i]
        exact = [ids[r] for r in exact_topk(vectors, query, RANKING_POOL)]
        approx = [hit.job_id for hit in search(query, RANKING_POOL)]
        exact_rr.append(1 / (exact.index(own) + 1) if own in exact else 0.0)
        approx_rr.append(1 / (approx.index(own) + 1) if own in approx else 0.0)
        exact_hit += bool(exact) and exact[0] == own
        approx_hit += bool(approx) and approx[0] == own
        overlap.append(len(set(exact) & set(approx)) / RANKING_POOL)
    count = len(resumes)
    return {
        "queries": float(count),
        "exact_mrr": statistics.fmean(exact_rr),
        "hnsw_mrr": statistics.fmean(approx_rr),
        "exact_hit1": exact_hit / count,
        "hnsw_hit1": approx_hit / count,
        "pool_overlap": statistics.fmean(overlap),
    }


# ----------------------------------------------------------------------------- server


@contextmanager
def tuned_postgres(directory: Path) -> Iterator[str]:
    """Start an embedded PostgreSQL with ``SERVER_SETTINGS`` (set, then restarted)."""
    pgdata = directory / "pg"
    with embedded_postgres(pgdata) as url, psycopg.connect(url, autocommit=True) as conn:
        for name, value in SERVER_SETTINGS.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), value))
    with embedded_postgres(pgdata) as url:
        yield url


# ----------------------------------------------------------------------------- load


def load(
    url: str, spec: EmbeddingSpec, vectors: np.ndarray, *, index_first: bool, m: int, efc: int
) -> dict[str, float]:
    """COPY jobs and vectors (binary), then build the index (or build it first); time both."""
    count = len(vectors)
    rng = np.random.default_rng(7)
    countries = rng.integers(0, len(COUNTRIES), size=count)
    categories = rng.integers(0, len(CATEGORIES), size=count)
    ids = [uuid.UUID(int=int(n) + 1) for n in rng.permutation(count)]
    column = VectorColumn(spec)
    timings: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        from pgvector.psycopg import register_vector  # noqa: PLC0415

        register_vector(conn)
        conn.execute("TRUNCATE jobs CASCADE")
        conn.execute("DELETE FROM embedding_models")
        conn.execute(
            "INSERT INTO embedding_models (model_id, dimensions, index_name, active)"
            " VALUES (%s, %s, %s, true)",
            (spec.model_id, spec.dimensions, column.index_name),
        )
        drop_indexes(conn, column)
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY jobs (id, key, source, source_id, title, company, description, country_code,"
            " category, first_seen, last_seen) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                [
                    "uuid",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                    "timestamptz",
                    "timestamptz",
                ]
            )
            for n in range(count):
                copy.write_row(
                    (
                        ids[n],
                        f"bench:{n}",
                        "bench",
                        str(n),
                        f"Job {n}",
                        f"Company {n % 997}",
                        "A generated posting.",
                        COUNTRIES[countries[n]],
                        CATEGORIES[categories[n]],
                        SEEN,
                        SEEN,
                    )
                )
        timings["copy_jobs_s"] = time.perf_counter() - started
        if index_first:
            build_indexes(conn, column, m=m, efc=efc)
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY job_embeddings (job_id, model_id, content_hash, job_seen_at, embedding, sketch)"
            " FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "text", "text", "timestamptz", "vector", "bit"])
            digest = "0" * 64
            for start in range(0, count, 10_000):
                bits = sketch_matrix(vectors[start : start + 10_000])
                for n in range(start, min(start + 10_000, count)):
                    row = (ids[n], spec.model_id, digest, SEEN, vectors[n], Bit(bits[n - start]))
                    copy.write_row(row)
        timings["copy_vectors_s"] = time.perf_counter() - started
        if not index_first:
            started = time.perf_counter()
            build_indexes(conn, column, m=m, efc=efc)
            timings["index_build_s"] = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE jobs")
        conn.execute("VACUUM ANALYZE job_embeddings")
        sizes = conn.execute(
            "SELECT pg_total_relation_size('job_embeddings') - pg_indexes_size('job_embeddings'),"
            " pg_total_relation_size('jobs')"
        ).fetchone()
        if sizes is None:
            raise RuntimeError("no sizes")
        timings["index_bytes"] = indexes_bytes(conn, column)
    timings["vectors_table_bytes"] = float(sizes[0])
    timings["jobs_table_bytes"] = float(sizes[1])
    timings["ids"] = ids  # type: ignore[assignment]
    timings["countries"] = countries  # type: ignore[assignment]
    timings["categories"] = categories  # type: ignore[assignment]
    return timings


def drop_indexes(conn: psycopg.Connection[Any], column: VectorColumn) -> None:
    """Drop the model's shard indexes."""
    for name in column.index_names:
        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))


def build_indexes(
    conn: psycopg.Connection[Any],
    column: VectorColumn,
    *,
    m: int = HNSW_M,
    efc: int = HNSW_EF_CONSTRUCTION,
) -> None:
    """Build the model's shard indexes, one after the other (the shipped m and ef_construction)."""
    for statement in column.create_index_sqls(m=m, ef_construction=efc):
        conn.execute(statement)


def indexes_bytes(conn: psycopg.Connection[Any], column: VectorColumn) -> float:
    """The size of the model's shard indexes together."""
    row = conn.execute(
        "SELECT sum(pg_relation_size(name::regclass)) FROM unnest(%s::text[]) AS name",
        (list(column.index_names),),
    ).fetchone()
    if row is None or row[0] is None:
        raise RuntimeError("no index size")
    return float(row[0])


def rebuild_index(url: str, spec: EmbeddingSpec, m: int, efc: int) -> dict[str, float]:
    """Drop and rebuild the model's shard indexes with other parameters; time and size them."""
    column = VectorColumn(spec)
    with psycopg.connect(url, autocommit=True) as conn:
        drop_indexes(conn, column)
        started = time.perf_counter()
        build_indexes(conn, column, m=m, efc=efc)
        seconds = time.perf_counter() - started
        size = indexes_bytes(conn, column)
    return {"index_build_s": seconds, "index_bytes": size}


def prewarm(url: str, spec: EmbeddingSpec) -> None:
    """Load the vectors, their index and the jobs into shared buffers."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in (
            "job_embeddings",
            *VectorColumn(spec).index_names,
            "jobs",
            "jobs_pkey",
            "job_embeddings_pkey",
            "jobs_country_code_idx",
            "jobs_category_idx",
        ):
            conn.execute("SELECT pg_prewarm(%s::regclass)", (relation,))


# ----------------------------------------------------------------------------- measure


@contextmanager
def serving(tmp: Path, url: str) -> Iterator[tuple[Pool, contextlib.ExitStack]]:
    """The benchmark's pool, and a stack that closes the retrievers made on it (``walking``).

    The pool is the request's one connection, kept warm as the API keeps its own; the shards'
    walks take the retrievers' own walk connections.
    """
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        db_pool_min=1,
        db_pool_max=1,
        db_pool_timeout=30.0,
        db_statement_timeout_ms=3_600_000,
    )
    pools = open_pool(url, settings)
    pool = next(pools)
    pool.wait(timeout=30)
    try:
        with contextlib.ExitStack() as retrievers:
            yield pool, retrievers
    finally:
        pools.close()


def walking(retriever: PostgresJobRetriever, queries: np.ndarray) -> PostgresJobRetriever:
    """``retriever`` once its walk connections are open, as a serving process's are.

    They open on the first walks (the searches before that walk on the request's connection):
    search until there is one per shard, at most ten seconds.
    """
    deadline = time.monotonic() + 10
    n = 0
    while retriever.walkers.open_connections() < INDEX_SHARDS and time.monotonic() < deadline:
        retriever.nearest(queries[n % len(queries)], JobQuery(), K)
        n += 1
        time.sleep(0.01)
    return retriever


def exact_topk(matrix: np.ndarray, query: np.ndarray, k: int = K) -> np.ndarray:
    """Indices of the ``k`` rows most similar to ``query`` (unit vectors: dot = cosine)."""
    scores = matrix @ query
    top = np.argpartition(-scores, k)[:k]
    return top[np.argsort(-scores[top])]


def summarise(latencies: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean, in milliseconds."""
    return {
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


def time_numpy(matrix: np.ndarray, queries: np.ndarray) -> dict[str, float]:
    """Latency of the numpy exact scan (after one warm-up pass)."""
    for query in queries[:5]:
        exact_topk(matrix, query)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        exact_topk(matrix, query)
        latencies.append(time.perf_counter() - started)
    return summarise(latencies)


def run_queries(
    search: Callable[[np.ndarray, JobQuery], list[Any]],
    queries: np.ndarray,
    filters: Callable[[int], JobQuery],
    truth: Callable[[int], set[uuid.UUID]],
    *,
    similarity: Callable[[np.ndarray, uuid.UUID], float],
) -> dict[str, float]:
    """Latency, recall@10 and rows returned of ``search`` over the queries (after a warm-up).

    ``near_recall`` counts a hit as found when it is at most ``NEAR`` less similar than the true
    10th neighbour (a near-tie of it), which says how much of the recall lost is near-ties.

    The truths are computed before any query is timed: numpy's scan runs on OpenBLAS threads,
    which spin for a while after it and would take a core from the next timed query (and from
    the second shard's backend, which needs it).
    """
    truths = [truth(n) for n in range(len(queries))]
    for n in range(min(10, len(queries))):
        search(queries[n], filters(n))
    latencies, recalls, near, full = [], [], [], 0
    for n, query in enumerate(queries):
        started = time.perf_counter()
        hits = search(query, filters(n))
        latencies.append(time.perf_counter() - started)
        found = {hit.job_id for hit in hits}
        expected = truths[n]
        recalls.append(len(found & expected) / K)
        tenth = min(similarity(query, job_id) for job_id in expected)
        near.append(sum(similarity(query, job_id) >= tenth - NEAR for job_id in found) / K)
        full += len(hits) == K
    return {
        **summarise(latencies),
        "recall": statistics.fmean(recalls),
        "near_recall": statistics.fmean(near),
        "full_share": full / len(queries),
        "queries": float(len(queries)),
    }


def measure(
    url: str,
    spec: EmbeddingSpec,
    *,
    vectors: np.ndarray,
    queries: np.ndarray,
    loaded: dict[str, Any],
    ef_values: Sequence[int],
    tmp: Path,
    rjdb: tuple[int, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Every latency and recall figure of one loaded corpus.

    With ``rjdb`` (the row of the first RJDB job in ``vectors``, and the résumé vectors), also
    the ranking quality of the RJDB jobs hidden in the corpus (``ranking_quality``).
    """
    ids: list[uuid.UUID] = loaded["ids"]
    countries: np.ndarray = loaded["countries"]
    categories: np.ndarray = loaded["categories"]
    row_of = {job_id: row for row, job_id in enumerate(ids)}

    def similarity(query: np.ndarray, job_id: uuid.UUID) -> float:
        return float(vectors[row_of[job_id]] @ query)

    ask = functools.partial(run_queries, similarity=similarity)
    by_country = {c: np.flatnonzero(countries == c) for c in range(len(COUNTRIES))}
    by_category = {c: np.flatnonzero(categories == c) for c in range(len(CATEGORIES))}

    def truth_all(n: int) -> set[uuid.UUID]:
        return {ids[i] for i in exact_topk(vectors, queries[n])}

    def subset_truth(
        groups: dict[int, np.ndarray], pick: Callable[[int], int]
    ) -> Callable[[int], set[uuid.UUID]]:
        def truth(n: int) -> set[uuid.UUID]:
            rows = groups[pick(n)]
            return {ids[rows[i]] for i in exact_topk(vectors[rows], queries[n])}

        return truth

    country_of = lambda n: n % len(COUNTRIES)  # noqa: E731
    category_of = lambda n: (n * 7) % len(CATEGORIES)  # noqa: E731
    unfiltered = lambda _n: JobQuery()  # noqa: E731
    by_c = lambda n: JobQuery(country=COUNTRIES[country_of(n)])  # noqa: E731
    by_cat = lambda n: JobQuery(category=CATEGORIES[category_of(n)])  # noqa: E731

    results: dict[str, Any] = {}
    results["numpy_unfiltered"] = time_numpy(vectors, queries)
    subsets10 = {c: np.ascontiguousarray(vectors[rows]) for c, rows in by_country.items()}
    subsets1 = {c: np.ascontiguousarray(vectors[rows]) for c, rows in by_category.items()}
    results["numpy_10pct"] = _time_subsets(subsets10, queries, country_of)
    results["numpy_1pct"] = _time_subsets(subsets1, queries, category_of)

    with serving(tmp, url) as (pool, retrievers):
        truth10 = subset_truth(by_country, country_of)
        truth1 = subset_truth(by_category, category_of)
        sweep = {}
        for ef in ef_values:
            retriever = retrievers.enter_context(
                walking(PostgresJobRetriever(pool, spec, ef_search=ef, full_scan_mb=0), queries)
            )
            sweep[str(ef)] = ask(
                lambda q, f, r=retriever: r.nearest(q, f, K), queries, unfiltered, truth_all
            )
        results["hnsw_unfiltered_by_ef_search"] = sweep
        shipped = retrievers.enter_context(
            walking(PostgresJobRetriever(pool, spec, full_scan_mb=0), queries)
        )
        iterative = retrievers.enter_context(
            walking(
                PostgresJobRetriever(
                    pool, spec, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False
                ),
                queries,
            )
        )
        results["hnsw_unfiltered"] = sweep.get(str(DEFAULT_EF_SEARCH)) or ask(
            lambda q, f: shipped.nearest(q, f, K), queries, unfiltered, truth_all
        )
        for name, filters, truth, groups, pick in (
            ("10pct", by_c, truth10, by_country, country_of),
            ("1pct", by_cat, truth1, by_category, category_of),
        ):
            results[f"shipped_{name}"] = ask(
                lambda q, f: shipped.nearest(q, f, K), queries, filters, truth
            )
            results[f"shipped_{name}"]["path"] = _path_label(
                [len(groups[pick(n)]) for n in range(len(queries))], len(ids)
            )
            results[f"iterative_{name}"] = ask(
                lambda q, f: iterative.nearest(q, f, K), queries, filters, truth
            )
            results[f"exact_{name}"] = ask(
                lambda q, f: shipped.nearest(q, f, K, exact=True), queries, filters, truth
            )
        results["plans"] = plans(pool, shipped, {"10pct": by_c(0), "1pct": by_cat(0)}, queries[0])
        if rjdb is not None:
            results["ranking"] = ranking_quality(
                vectors, rjdb[1], rjdb[0], ids, lambda q, k: shipped.nearest(q, JobQuery(), k)
            )
        few = queries[: min(20, len(queries))]
        results["postgres_exact_unfiltered"] = ask(
            lambda q, f: shipped.nearest(q, f, K, exact=True), few, unfiltered, truth_all
        )
    return results


def _path_label(sizes: Sequence[int], total: int) -> str:
    """Which path the shipped rule takes for filters passed by these many jobs (as estimated)."""
    exact = sum(size * size <= DEFAULT_EXACT_RATIO * K * total for size in sizes) / len(sizes)
    if exact == 1:
        return "exact scan"
    if exact == 0:
        return "HNSW iterative scan"
    return f"exact for {exact:.0%} of queries, else HNSW"


def plans(
    pool: Any, retriever: PostgresJobRetriever, filters: dict[str, JobQuery], query: np.ndarray
) -> dict[str, str]:
    """EXPLAIN ANALYZE of the exact and the approximate query (shard 0's) under each filter."""
    found = {}
    spec = retriever.spec
    with pool.connection() as conn:
        ensure_vector_types(conn)
        conn.execute(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
            " set_config('hnsw.ef_search', %s, true)",
            (str(DEFAULT_EF_SEARCH),),
        )
        for name, query_filters in filters.items():
            source, where, params = job_filter_sql(query_filters)
            params = {
                **params,
                **retriever.approximate_params(query.tolist(), K),
                "r_vector": VectorColumn(spec).wrap(query),
                "r_k": K,
            }
            for path, text in (
                ("exact", retriever.exact_sql(source, where, filtered=True)),
                ("approximate", retriever.approximate_sql(source, where, filtered=True, shard=0)),
            ):
                rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + text, params).fetchall()
                plan = "\n".join(row[0] for row in rows)
                found[f"{name}_{path}"] = re.sub(r"'\[[^']*\]'", "'[...]'", plan)
    return found


def _time_subsets(
    subsets: dict[int, np.ndarray], queries: np.ndarray, pick: Callable[[int], int]
) -> dict[str, float]:
    latencies = []
    for n, query in enumerate(queries):
        matrix = subsets[pick(n)]
        started = time.perf_counter()
        exact_topk(matrix, query)
        latencies.append(time.perf_counter() - started)
    return summarise(latencies)


# ----------------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "psycopg": metadata.version("psycopg"),
        "pgvector_python": metadata.version("pgvector"),
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def _near(row: dict[str, Any]) -> str:
    return f"{row['near_recall']:.3f}" if "near_recall" in row else "—"


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _mb(value: float) -> str:
    return f"{value / 2**20:,.0f} MB"


def _header(result: dict[str, Any]) -> list[str]:
    env, params = result["machine"], result["params"]
    server = result["server"]
    settings = ", ".join(f"{k}={v}" for k, v in server["settings"].items())
    return [
        f"## {params['size']:,} jobs x {params['dims']} dimensions, `{params['kind']}` vectors",
        "",
        (
            f"Run {result['finished']} on {env['cpu']} ({env['cores']} cores, shared; load "
            f"average at start {env['load_average']}); PostgreSQL {server['postgres']}, "
            f"pgvector {server['pgvector']}, pgvector-python {env['pgvector_python']}, "
            f"psycopg {env['psycopg']}, numpy {env['numpy']}, Python {env['python']}."
        ),
        "",
        (
            f"- Vectors: {result['vectors_note']} (made in {params['generate_s']:.0f} s); "
            f"{params['queries']} queries; k = {K}."
        ),
        (
            f"- HNSW: m = {params['m']}, ef_construction = {params['ef_construction']}, cosine, "
            f"on `{_index_type(params)}` ({_overfetch(params)}); shipped `hnsw.ef_search` = "
            f"{params['ef_search_shipped']}; {_rule(params)}."
        ),
        (
            f"- Server: {settings}; huge pages: {server.get('huge_pages', 'not recorded')}; "
            f"relations prewarmed (pg_prewarm).{_storage(result)}"
        ),
        (
            "- Filters: 10% = one of 10 countries (`country`), 1% = one of 100 categories "
            "(`category`), rotating per query; the truth for each is numpy's exact top-10 within "
            "the filtered rows."
        ),
        (
            "- Latency is single-client wall time of `PostgresJobRetriever.nearest` (pool "
            f"checkout, {_walks(params)}, rows to Python), after 10 warm-up queries. The index "
            "is what is measured: the retriever's full-scan rule (exact scans while the "
            "vectors take at most `JOBRAKER_VECTOR_FULL_SCAN_MB`, 320 MB by default; ADR 0007) "
            "is off in every run."
        ),
        "",
    ]


def _walks(params: dict[str, Any]) -> str:
    """How the run's searches walked the index (runs before walk connections did not say)."""
    if "walk_connections" in params:
        return (
            "each shard's query at once on a walk connection of the retriever's own, "
            f"{params['walk_connections']} per retriever, opened before timing"
        )
    return (
        "settings, query; with shards, the other shard's query on a second pooled "
        "connection meanwhile"
    )


def _storage(result: dict[str, Any]) -> str:
    storage = result["params"].get("storage") or result["server"].get("vector_storage")
    return f" Vector column storage: {storage}." if storage else ""


def _index_type(params: dict[str, Any]) -> str:
    """The indexed type (runs before migration 0080 indexed ``vector`` up to 2,000 dims)."""
    return str(params.get("index_type", "vector"))


def _overfetch(params: dict[str, Any]) -> str:
    if "rerank_rows" in params:
        shards = params.get("shards", 1)
        split = f", split between the {shards} shards" if shards > 1 else ""
        return (
            f"every scan reads max({params['rerank_rows']}, {params['rerank_overfetch']} x k)"
            f" rows in sketch order{split}, re-sorted exactly"
        )
    overfetch = params.get("filtered_overfetch", 1)
    if overfetch == 1:
        return "filtered scans read k rows"
    return f"filtered scans read {overfetch} x k rows, re-sorted exactly"


def _rule(params: dict[str, Any]) -> str:
    if "exact_ratio" in params:
        cut = math.sqrt(params["exact_ratio"] * K * params["size"])
        return (
            f"exact path when (filtered jobs)² <= {params['exact_ratio']:g} x k x jobs, i.e. "
            f"filters passed by at most {cut:,.0f} jobs here"
        )
    return f"exact path for filters passed by at most {params['exact_threshold']:,} jobs"


def _load_table(result: dict[str, Any]) -> list[str]:
    load_ = result["load"]
    lines = [
        "### Bulk load",
        "",
        "| step | time | size |",
        "|---|---|---|",
        f"| COPY jobs (binary) | {load_['copy_jobs_s']:.1f} s | {_mb(load_['jobs_table_bytes'])} |",
        (
            f"| COPY vectors (binary) | {load_['copy_vectors_s']:.1f} s | "
            f"{_mb(load_['vectors_table_bytes'])} |"
        ),
        f"| HNSW index build | {load_['index_build_s']:.1f} s | {_mb(load_['index_bytes'])} |",
    ]
    if "incremental" in result:
        inc = result["incremental"]["copy_vectors_s"]
        bulk = load_["copy_vectors_s"] + load_["index_build_s"]
        lines += [
            f"| COPY vectors into a table whose index exists (incremental) | {inc:.1f} s | — |",
            "",
            f"Incremental / (COPY then build) = {inc / bulk:.2f}.",
        ]
    if result.get("build_sweep"):
        lines += [
            "",
            "### Index parameters (build time, size, recall@10 at ef_search 40 and shipped)",
            "",
            "| m | ef_construction | build | size | recall@10, ef 40 | recall@10, shipped ef |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {row['m']} | {row['ef_construction']} | {row['index_build_s']:.1f} s | "
            f"{_mb(row['index_bytes'])} | {row['recall_ef40']:.3f} | {row['recall_shipped']:.3f} |"
            for row in result["build_sweep"]
        ]
    return [*lines, ""]


def _latency_tables(result: dict[str, Any]) -> list[str]:
    m, params = result["measure"], result["params"]
    numpy_p95 = m["numpy_unfiltered"]["p95_ms"]
    lines = [
        "### Recall and latency over `hnsw.ef_search` (unfiltered)",
        "",
        "| ef_search | recall@10 | near-tie recall | p50 ms | p95 ms | p95 / numpy p95 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {ef} | {row['recall']:.3f} | {_near(row)} | {_ms(row['p50_ms'])} | "
        f"{_ms(row['p95_ms'])} | "
        f"{row['p95_ms'] / numpy_p95:.3f} |"
        for ef, row in m["hnsw_unfiltered_by_ef_search"].items()
    ]
    unf = m["hnsw_unfiltered"]
    rows = [
        ("unfiltered", f"HNSW, ef_search {params['ef_search_shipped']}", unf, "unfiltered"),
        ("10% filter", m["shipped_10pct"]["path"], m["shipped_10pct"], "10pct"),
        ("10% filter", "HNSW iterative scan only", m["iterative_10pct"], "10pct"),
        ("10% filter", "exact scan only", m["exact_10pct"], "10pct"),
        ("1% filter", m["shipped_1pct"]["path"], m["shipped_1pct"], "1pct"),
        ("1% filter", "HNSW iterative scan only", m["iterative_1pct"], "1pct"),
        ("1% filter", "exact scan only", m["exact_1pct"], "1pct"),
        ("unfiltered", "exact scan in PostgreSQL", m["postgres_exact_unfiltered"], "unfiltered"),
    ]
    lines += [
        "",
        "### Single-client latency, recall and rows returned (k = 10)",
        "",
        (
            "| query | path | recall@10 | near-tie recall | 10 rows | p50 ms | p95 ms "
            "| numpy p50 / p95 ms | p95 / numpy p95 | p95 / unfiltered p95 |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, path, row, base_name in rows:
        base = m[f"numpy_{base_name}"]
        lines.append(
            f"| {name} | {path} | {row['recall']:.3f} | {_near(row)} | {row['full_share']:.1%} | "
            f"{_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | {_ms(base['p50_ms'])} / "
            f"{_ms(base['p95_ms'])} | {row['p95_ms'] / base['p95_ms']:.3f} | "
            f"{row['p95_ms'] / unf['p95_ms']:.2f} |"
        )
    return [*lines, ""]


def _targets(result: dict[str, Any]) -> list[str]:
    m, load_ = result["measure"], result["load"]
    unf, f10, f1 = m["hnsw_unfiltered"], m["shipped_10pct"], m["shipped_1pct"]
    numpy_p95 = m["numpy_unfiltered"]["p95_ms"]
    lines = [
        "### Against the targets (performance.md)",
        "",
        (
            "- search-recall (unfiltered recall@10 >= 0.95 at the shipped ef_search): "
            f"**{unf['recall']:.3f}**."
        ),
        (
            f"- search-latency (HNSW p95 <= 1/10 of numpy's p95): **{unf['p95_ms']:.2f} ms vs "
            f"{numpy_p95:.2f} ms = {unf['p95_ms'] / numpy_p95:.3f}**."
        ),
        (
            "- search-filtered 10% (10 rows in >= 99%, recall >= 0.95, p95 <= 2x unfiltered): "
            f"**{f10['full_share']:.1%}, {f10['recall']:.3f}, "
            f"{f10['p95_ms'] / unf['p95_ms']:.2f}x**."
        ),
        (
            "- search-filtered 1% (10 rows in >= 99%, recall >= 0.90, p95 <= 5x unfiltered): "
            f"**{f1['full_share']:.1%}, {f1['recall']:.3f}, {f1['p95_ms'] / unf['p95_ms']:.2f}x**."
        ),
        (
            f"- bulk-load: COPY {load_['copy_vectors_s']:.0f} s + HNSW build "
            f"{load_['index_build_s']:.0f} s ({load_['index_build_s'] / 60:.1f} min)."
        ),
    ]
    ranking = m.get("ranking")
    if ranking:
        ratio = ranking["hnsw_mrr"] / ranking["exact_mrr"] if ranking["exact_mrr"] else math.nan
        lines.append(
            f"- ranking quality at scale (MRR of each RJDB matched résumé's own job among the top "
            f"{RANKING_POOL}, HNSW / exact, >= 0.98): **{ranking['hnsw_mrr']:.3f} / "
            f"{ranking['exact_mrr']:.3f} = {ratio:.3f}** (Hit@1 {ranking['hnsw_hit1']:.3f} vs "
            f"{ranking['exact_hit1']:.3f}; the HNSW pool holds "
            f"{ranking['pool_overlap']:.1%} of "
            f"the exact pool; {ranking['queries']:.0f} résumés, their jobs hidden among the "
            "synthetic ones)."
        )
    if "incremental" in result:
        inc = result["incremental"]["copy_vectors_s"]
        bulk = load_["copy_vectors_s"] + load_["index_build_s"]
        lines.append(
            f"- Loading into an existing index instead: {inc:.0f} s = {inc / bulk:.2f}x "
            "COPY-then-build."
        )
    return [*lines, ""]


def render(results: list[dict[str, Any]]) -> str:
    """The markdown report of every result file."""
    lines = [
        "# Vector search benchmark (pgvector HNSW vs numpy exact scan)",
        "",
        (
            "Generated by `python -m benchmarks.vectors` from `benchmarks/results/vectors-*.json`; "
            "every number is measured in one run per corpus, on the machine named. Re-run after "
            "changing the retrieval SQL, the index parameters or the server settings."
        ),
        "",
        (
            "*Near-tie recall* counts a hit as found when it is at most "
            f"{NEAR} (cosine) less similar than the true 10th neighbour: on corpora of many "
            "near-duplicate postings the 10th, 11th, ... 40th neighbours differ by less than "
            "that, and it tells how much of the recall lost is lost to near-ties. Recall@10 is "
            "the target metric."
        ),
        "",
    ]
    for result in results:
        lines += _header(result) + _load_table(result) + _latency_tables(result)
        lines += _targets(result)
    return "\n".join(lines) + "\n"


def load_results() -> list[dict[str, Any]]:
    """Every result file, smallest corpus first."""
    files = sorted(
        RESULTS.glob("vectors-*.json"),
        key=lambda p: (json.loads(p.read_text())["params"]["size"], p.name),
    )
    return [json.loads(p.read_text()) for p in files]


SUMMARY_START = "<!-- vectors:start -->"
SUMMARY_END = "<!-- vectors:end -->"


def summary_section(results: Sequence[dict[str, Any]]) -> list[str]:
    """The vector-search section of ``docs/benchmarks.md``: one row per result file."""
    lines = [
        SUMMARY_START,
        "## Vector search (pgvector HNSW vs a numpy exact scan, same run)",
        "",
        (
            "From `python -m benchmarks.vectors` (details, plans and every path: "
            "`docs/benchmarks-vectors.md`; matching quality on labelled data: "
            "`docs/matching-quality.md`). Targets: recall@10 >= 0.95 at the shipped "
            "`ef_search`; unfiltered p95 <= 0.1x numpy's; 1%-filter p95 <= 5x unfiltered (recall "
            ">= 0.90); HNSW build <= 15 min at 1M; ranking with HNSW >= 0.98x exact (here: MRR "
            "of each RJDB matched résumé's own job in the top 20 of the vector path alone, the "
            "RJDB jobs hidden in the corpus; on the product's matching path, full text and score "
            "included: `docs/matching-quality.md`). The shipped embedder makes 768 dimensions; "
            "384 is the published anchors' size. The machine is shared: a high load average at "
            "the start (two cores) inflates every latency of that run."
        ),
        "",
        (
            "| run (load avg) | corpus | m / ef_construction, index | ef_search | recall@10 "
            "| p95 ms (x numpy) "
            "| 10% filter p95 (x unf.) | 1% filter p95 (x unf.), recall | build | "
            "ranking HNSW / exact |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        params, measured, load_ = result["params"], result["measure"], result["load"]
        unf = measured["hnsw_unfiltered"]
        numpy_p95 = measured["numpy_unfiltered"]["p95_ms"]
        f10, f1 = measured["shipped_10pct"], measured["shipped_1pct"]
        ranking = measured.get("ranking")
        ranked = (
            f"{ranking['hnsw_mrr'] / ranking['exact_mrr']:.3f}"
            if ranking and ranking["exact_mrr"]
            else "—"
        )
        lines.append(
            f"| {result['finished']} ({result['machine']['load_average'].split()[0]}) | "
            f"{params['size']:,} x {params['dims']} `{params['kind']}` | "
            f"{params['m']} / {params['ef_construction']}, `{_index_type(params)}` | "
            f"{params['ef_search_shipped']} | "
            f"{unf['recall']:.3f} | {_ms(unf['p95_ms'])} ({unf['p95_ms'] / numpy_p95:.2f}) | "
            f"{_ms(f10['p95_ms'])} ({f10['p95_ms'] / unf['p95_ms']:.1f}) | "
            f"{_ms(f1['p95_ms'])} ({f1['p95_ms'] / unf['p95_ms']:.1f}), {f1['recall']:.3f} | "
            f"{load_['index_build_s'] / 60:.1f} min | {ranked} |"
        )
    return [*lines, "", SUMMARY_END]


def write_report() -> None:
    """Re-render the markdown from every result file, and the section of docs/benchmarks.md."""
    results = load_results()
    DOC.write_text(render(results), encoding="utf-8")
    splice_section(
        ROOT / "docs" / "benchmarks.md",
        SUMMARY_START,
        SUMMARY_END,
        "\n".join(summary_section(results)),
    )


# ----------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    """One corpus: generate, load, build, measure."""
    dims = args.dims
    spec = EmbeddingSpec(f"bench-{args.kind}:{dims}", dims)
    print(f"generating {args.size:,} {args.kind} vectors of {dims} dimensions ...", flush=True)
    vectors, queries, generate_s = make_corpus(
        args.size, dims, args.kind, args.queries, args.cache_dir, args.data_dir
    )
    print(f"  {generate_s:.0f} s", flush=True)
    rjdb = (
        None
        if args.no_ranking
        else rjdb_vectors(encoder(args.kind, dims, args.cache_dir), args.data_dir)
    )
    if rjdb is not None:  # hide the RJDB jobs in the corpus, to rank them at scale
        first_rjdb = len(vectors)
        vectors = np.concatenate([vectors, rjdb[0]])
        print(f"  + {len(rjdb[0])} RJDB jobs (rows {first_rjdb}..)", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="jobraker-bench-vectors-"))
    result: dict[str, Any] = {
        "machine": machine(),
        "params": {
            "size": args.size,
            "dims": dims,
            "kind": args.kind,
            "queries": args.queries,
            "m": args.m,
            "ef_construction": args.ef_construction,
            "ef_search_shipped": DEFAULT_EF_SEARCH,
            "exact_ratio": DEFAULT_EXACT_RATIO,
            "index_type": (
                f"bit({SKETCH_BITS}) sketches, {INDEX_SHARDS} shards walked at once"
                " on walk connections"
            ),
            "shards": INDEX_SHARDS,
            "rerank_rows": DEFAULT_RERANK_ROWS,
            "rerank_overfetch": RERANK_OVERFETCH,
            "walk_connections": DEFAULT_WALK_CONNECTIONS,
            "generate_s": generate_s,
        },
        "vectors_note": VECTORS_NOTES[args.kind],
    }
    try:
        with tuned_postgres(tmp) as url:
            apply_migrations(url)
            with psycopg.connect(url, autocommit=True) as conn:
                version = conn.execute("SHOW server_version").fetchone()
                ext = conn.execute(
                    "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
                ).fetchone()
                settings = {
                    name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[
                        0
                    ]  # type: ignore[index]
                    for name in SERVER_SETTINGS
                }
                storage = conn.execute(
                    "SELECT a.attstorage, c.reloptions FROM pg_attribute a"
                    " JOIN pg_class c ON c.oid = a.attrelid"
                    " WHERE a.attname = 'embedding' AND a.attrelid = 'job_embeddings'::regclass"
                ).fetchone()
                huge = conn.execute("SHOW huge_pages_status").fetchone()
            result["server"] = {
                "huge_pages": huge[0] if huge else "?",
                "postgres": version[0] if version else "?",
                "pgvector": ext[0] if ext else "?",
                "settings": settings,
                "vector_storage": storage_note(*storage) if storage else "?",
            }
            if args.incremental:
                print("loading with the index in place (incremental) ...", flush=True)
                inc = load(url, spec, vectors, index_first=True, m=args.m, efc=args.ef_construction)
                result["incremental"] = {"copy_vectors_s": inc["copy_vectors_s"]}
                print(f"  {inc['copy_vectors_s']:.0f} s", flush=True)
            print("loading (COPY, then build) ...", flush=True)
            loaded = load(url, spec, vectors, index_first=False, m=args.m, efc=args.ef_construction)
            result["load"] = {k: v for k, v in loaded.items() if isinstance(v, float)}
            print(
                f"  copy {loaded['copy_vectors_s']:.0f} s, build {loaded['index_build_s']:.0f} s",
                flush=True,
            )
            if args.build_sweep:
                result["build_sweep"] = build_sweep(
                    url,
                    spec,
                    vectors=vectors,
                    queries=queries,
                    loaded=loaded,
                    args=args,
                    tmp=tmp,
                )
            prewarm(url, spec)
            print("measuring ...", flush=True)
            result["measure"] = measure(
                url,
                spec,
                vectors=vectors,
                queries=queries,
                loaded=loaded,
                ef_values=[int(x) for x in args.ef_search.split(",")],
                tmp=tmp,
                rjdb=None if rjdb is None else (first_rjdb, rjdb[1]),
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


SWEEP_EF = (40, 100, DEFAULT_EF_SEARCH, 400)
"""The ``hnsw.ef_search`` values at which each swept index's unfiltered recall is measured."""


def build_sweep(
    url: str,
    spec: EmbeddingSpec,
    *,
    vectors: np.ndarray,
    queries: np.ndarray,
    loaded: dict[str, Any],
    args: argparse.Namespace,
    tmp: Path,
) -> list[dict[str, Any]]:
    """Build time, size, recall and p95 for a few (m, ef_construction), ending on the run's one.

    For each index: unfiltered recall@10 at ``SWEEP_EF``, the p95 at the shipped ``ef_search``,
    and the 1%-filter recall and p95 of the iterative scan alone (no exact path).
    """
    ids: list[uuid.UUID] = loaded["ids"]
    categories: np.ndarray = loaded["categories"]
    few = queries[: min(100, len(queries))]
    truth = [{ids[i] for i in exact_topk(vectors, q)} for q in few]
    by_category = {c: np.flatnonzero(categories == c) for c in range(len(CATEGORIES))}
    truth1 = []
    for n, q in enumerate(few):
        rows = by_category[(n * 7) % len(CATEGORIES)]
        truth1.append({ids[rows[i]] for i in exact_topk(vectors[rows], q)})
    rows_out = []
    pairs = [tuple(int(x) for x in pair.split(":")) for pair in args.sweep.split(",") if pair]
    configs = [*pairs, (args.m, args.ef_construction)]
    for m, efc in configs:
        print(f"  index m={m} ef_construction={efc} ...", flush=True)
        built = rebuild_index(url, spec, m, efc)
        prewarm(url, spec)
        with serving(tmp, url) as (pool, retrievers):
            recalls: dict[str, float] = {}
            p95: dict[str, float] = {}
            for ef in SWEEP_EF:
                retriever = retrievers.enter_context(
                    walking(PostgresJobRetriever(pool, spec, ef_search=ef, full_scan_mb=0), few)
                )
                for q in few[:10]:
                    retriever.nearest(q, JobQuery(), K)
                latencies, found = [], []
                for q in few:
                    started = time.perf_counter()
                    found.append({h.job_id for h in retriever.nearest(q, JobQuery(), K)})
                    latencies.append(time.perf_counter() - started)
                recalls[str(ef)] = statistics.fmean(
                    len(f & t) / K for f, t in zip(found, truth, strict=True)
                )
                p95[str(ef)] = percentile(latencies, 95) * 1000
            iterative = retrievers.enter_context(
                walking(
                    PostgresJobRetriever(
                        pool, spec, full_scan_mb=0, exact_ratio=0, fallback_to_exact=False
                    ),
                    few,
                )
            )
            latencies, found1 = [], []
            for n, q in enumerate(few):
                query = JobQuery(category=CATEGORIES[(n * 7) % len(CATEGORIES)])
                started = time.perf_counter()
                found1.append({h.job_id for h in iterative.nearest(q, query, K)})
                latencies.append(time.perf_counter() - started)
        rows_out.append(
            {
                "m": m,
                "ef_construction": efc,
                **built,
                "recall_by_ef": recalls,
                "p95_ms_by_ef": p95,
                "recall_ef40": recalls["40"],
                "recall_shipped": recalls[str(DEFAULT_EF_SEARCH)],
                "iterative_1pct_recall": statistics.fmean(
                    len(f & t) / K for f, t in zip(found1, truth1, strict=True)
                ),
                "iterative_1pct_p95_ms": percentile(latencies, 95) * 1000,
            }
        )
        print(
            f"    {built['index_build_s']:.0f} s, recall {recalls}, p95 {p95}, 1% iterative "
            f"{rows_out[-1]['iterative_1pct_recall']:.3f} "
            f"{rows_out[-1]['iterative_1pct_p95_ms']:.1f} ms",
            flush=True,
        )
    return rows_out


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run one corpus, write its results and the report."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.vectors", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument(
        "--kind", choices=["varied", "hash", "clustered", "static"], default="varied"
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--m", type=int, default=HNSW_M)
    parser.add_argument("--ef-construction", type=int, default=HNSW_EF_CONSTRUCTION)
    parser.add_argument("--ef-search", default="20,40,64,100,200")
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="also time COPY into a table whose index already exists",
    )
    parser.add_argument(
        "--build-sweep",
        action="store_true",
        help="also build the index with other (m, ef_construction) values",
    )
    parser.add_argument(
        "--sweep",
        default="8:32,16:128,24:96",
        help="with --build-sweep: the m:ef_construction pairs to build (the shipped pair is last)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="keep the generated vectors here and re-use them (they are seeded)",
    )
    parser.add_argument(
        "--out-suffix", default="", help="suffix of the result file name (e.g. -tuning)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=ROOT.parent / "shared" / "data",
        help="where rjdb_dev300.jsonl is (for the ranking quality at scale)",
    )
    parser.add_argument(
        "--no-ranking", action="store_true", help="do not hide RJDB jobs in the corpus"
    )
    parser.add_argument("--report-only", action="store_true", help="only re-render the report")
    args = parser.parse_args(argv)
    if not args.report_only:
        result = run(args)
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / f"vectors-{args.size}-{args.kind}{args.out_suffix}.json"
        out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
        print(f"wrote {out}")
    write_report()
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
