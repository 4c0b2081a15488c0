"""Index binary sketches of the job vectors instead of their half-precision copies (ADR 0007).

Adds ``job_embeddings.sketch bit(2048)`` (``jobraker_adapters.postgres.sketch``: sign bits of
fixed random projections), fills it for every stored vector of each indexed model (at most 4,000
dimensions), and rebuilds each such model's HNSW index over the sketches with ``bit_hamming_ops``,
m = 32, ef_construction = 128. Searches re-sort the rows read in sketch order by the stored
vectors' exact cosine. The sketches are computed here in Python (a projection is a matrix
product PostgreSQL cannot do), a thousand rows at a time. Writes to ``job_embeddings`` wait
meanwhile; searches fall back to exact scans while an index is missing.

Rollback drops the sketch indexes and the column and rebuilds migration 0080's ``halfvec``
indexes.
"""

# ruff: noqa: INP001 - yoyo reads this file from the migrations folder; it is not a module
from __future__ import annotations

import json
from typing import Any

import numpy as np
from yoyo import step

from jobraker_adapters.postgres.embeddings import model_literal
from jobraker_adapters.postgres.sketch import SKETCH_BITS, bit_texts, sketch_matrix

__depends__ = {"0092.job-skill-ids"}

_BATCH = 1000
_INDEXED = (
    "SELECT model_id, dimensions, index_name FROM embedding_models"
    " WHERE index_name IS NOT NULL AND dimensions <= 4000 ORDER BY model_id"
)


def _fill(cursor: Any, model_id: str) -> None:
    """Compute and store the sketch of every vector of ``model_id``, by job id in batches."""
    after = None
    while True:
        keyset = "" if after is None else " AND job_id > %(after)s"
        cursor.execute(
            "SELECT job_id, embedding::text FROM job_embeddings"
            f" WHERE model_id = %(model)s{keyset} ORDER BY job_id LIMIT %(batch)s",
            {"model": model_id, "after": after, "batch": _BATCH},
        )
        rows = cursor.fetchall()
        if not rows:
            return
        vectors = np.array([json.loads(text) for _, text in rows], dtype=np.float32)
        texts = bit_texts(sketch_matrix(vectors))
        cursor.execute(
            f"UPDATE job_embeddings e SET sketch = v.sketch::bit({SKETCH_BITS})"
            " FROM unnest(%s::uuid[], %s::text[]) AS v(job_id, sketch)"
            " WHERE e.job_id = v.job_id AND e.model_id = %s",
            ([job_id for job_id, _ in rows], texts, model_id),
        )
        after = rows[-1][0]


def apply_step(conn: Any) -> None:
    """Add and fill the sketches, then index them per model."""
    cursor = conn.cursor()
    cursor.execute(f"ALTER TABLE job_embeddings ADD COLUMN sketch bit({SKETCH_BITS})")
    cursor.execute(_INDEXED)
    for model_id, _dimensions, index_name in cursor.fetchall():
        cursor.execute(f'DROP INDEX IF EXISTS "{index_name}"')
        _fill(cursor, model_id)
        cursor.execute(
            f'CREATE INDEX "{index_name}" ON job_embeddings USING hnsw (sketch bit_hamming_ops)'
            f" WITH (m = 32, ef_construction = 128) WHERE model_id = {model_literal(model_id)}"
        )


def rollback_step(conn: Any) -> None:
    """Back to migration 0080: ``halfvec`` indexes, no sketches."""
    cursor = conn.cursor()
    cursor.execute(_INDEXED)
    for model_id, dimensions, index_name in cursor.fetchall():
        cursor.execute(f'DROP INDEX IF EXISTS "{index_name}"')
        cursor.execute(
            f'CREATE INDEX "{index_name}" ON job_embeddings'
            f" USING hnsw ((embedding::halfvec({int(dimensions)})) halfvec_cosine_ops)"
            f" WITH (m = 32, ef_construction = 64) WHERE model_id = {model_literal(model_id)}"
        )
    cursor.execute("ALTER TABLE job_embeddings DROP COLUMN sketch")


steps = [step(apply_step, rollback_step)]
