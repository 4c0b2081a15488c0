"""Index each model's sketches as two shards, walked at once by a search (ADR 0007).

Replaces each indexed model's one HNSW index over the sketches (migration 0093) with one per
shard of its rows, split by the job id's last byte (``postgres.embeddings.INDEX_SHARDS``,
``shard_condition``), each ``USING hnsw (sketch bit_hamming_ops) WITH (m = 32,
ef_construction = 128)``. The approximate path walks the shards concurrently on separate
connections and merges their lists. Building the two takes about as long as building the one did
(about 9 minutes at 1M jobs); searches fall back to exact scans meanwhile.

The statements are written out here rather than taken from ``VectorColumn``: a migration must
not change when the code that creates today's indexes does. Rollback restores 0093's one index
per model.
"""

# ruff: noqa: INP001 - yoyo reads this file from the migrations folder; it is not a module
from __future__ import annotations

from typing import Any

from yoyo import step

from jobraker_adapters.postgres.embeddings import model_literal

__depends__ = {"0093.job-sketches"}

_SHARDS = 2
_INDEXED = (
    "SELECT model_id, index_name FROM embedding_models"
    " WHERE index_name IS NOT NULL AND dimensions <= 4000 ORDER BY model_id"
)
_BUILD = " USING hnsw (sketch bit_hamming_ops) WITH (m = 32, ef_construction = 128)"


def apply_step(conn: Any) -> None:
    """Drop each model's one sketch index and build its shards' indexes."""
    cursor = conn.cursor()
    cursor.execute(_INDEXED)
    for model_id, index_name in cursor.fetchall():
        cursor.execute(f'DROP INDEX IF EXISTS "{index_name}"')
        for shard in range(_SHARDS):
            cursor.execute(
                f'CREATE INDEX "{index_name}_s{shard}" ON job_embeddings{_BUILD}'
                f" WHERE model_id = {model_literal(model_id)}"
                f" AND mod(get_byte(uuid_send(job_id), 15), {_SHARDS}) = {shard}"
            )


def rollback_step(conn: Any) -> None:
    """Back to migration 0093: one sketch index per model."""
    cursor = conn.cursor()
    cursor.execute(_INDEXED)
    for model_id, index_name in cursor.fetchall():
        for shard in range(_SHARDS):
            cursor.execute(f'DROP INDEX IF EXISTS "{index_name}_s{shard}"')
        cursor.execute(
            f'CREATE INDEX "{index_name}" ON job_embeddings{_BUILD}'
            f" WHERE model_id = {model_literal(model_id)}"
        )


steps = [step(apply_step, rollback_step)]
