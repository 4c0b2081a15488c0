"""Binary sketches of job vectors: what each model's HNSW index searches (ADR 0007).

A sketch is ``SKETCH_BITS`` sign bits of fixed random projections of a vector (SimHash, Charikar
2002): two sketches differ in a share of their bits that estimates the angle between the two
vectors over pi, so ranking by Hamming distance approximates ranking by cosine distance. The
index is built over the sketches (``bit_hamming_ops``); the approximate path reads a few hundred
rows in sketch order and re-sorts them by the stored vectors' exact cosine, which is also the
similarity returned.

Why not the vectors themselves: the local hashing embedder's vectors have a high intrinsic
dimension, and a graph search over them needs a long candidate list for a good recall. A sketch
is 256 bytes where a ``halfvec(768)`` is 1,536, so a graph visit reads a sixth of the bytes and
compares by popcount, and a denser graph fits the build budget: at 1M jobs x 768 dimensions the
sketch index gave recall@10 0.956 at ``ef_search`` 200 where the ``halfvec`` index gave 0.926,
at a slightly lower p95, built in 9.3 minutes instead of 13.3, a third of the size (ADR 0007
and docs/benchmarks-vectors.md have the runs).

The projection is a +-1 matrix drawn from SHAKE-256 of a fixed label, so it is the same on every
machine and with every numpy release: a sketch stored today must match a query's sketch computed
next year. Changing ``SKETCH_VERSION`` or ``SKETCH_BITS`` changes every sketch, which needs a
migration that recomputes the stored ones.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import Final

import numpy as np
from pgvector import Bit

SKETCH_BITS: Final = 2048
"""Bits per sketch: the 200 nearest of 1M sketches held 0.99 of the exact top 10 (1,536: 0.96)."""
SKETCH_VERSION: Final = "v1"
"""Part of the projection's label; changing it changes every sketch."""


@functools.lru_cache(maxsize=4)
def projection(dimensions: int) -> np.ndarray:
    """The ``dimensions x SKETCH_BITS`` matrix of +-1 (float32) for vectors of this size."""
    label = f"jobraker-sketch-{SKETCH_VERSION}:{dimensions}x{SKETCH_BITS}".encode()
    raw = hashlib.shake_256(label).digest(dimensions * SKETCH_BITS // 8)
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8)).reshape(dimensions, SKETCH_BITS)
    matrix = np.where(bits == 1, np.float32(1.0), np.float32(-1.0))
    matrix.flags.writeable = False
    return matrix


def sketch_matrix(vectors: np.ndarray) -> np.ndarray:
    """The sketches of a ``rows x dimensions`` array, as booleans (``rows x SKETCH_BITS``).

    A bit is set where the projection is positive, so a zero vector's sketch is all zeros.
    """
    if vectors.ndim != 2:  # noqa: PLR2004 - a matrix
        raise ValueError("sketch_matrix takes a 2-D array of vectors")
    projected: np.ndarray = np.asarray(vectors, dtype=np.float32) @ projection(vectors.shape[1])
    return projected > 0


def sketches(vectors: Sequence[Sequence[float]]) -> list[Bit]:
    """The sketch of each vector, in order, as pgvector ``Bit`` values (all the same size)."""
    if not vectors:
        return []
    return [Bit(row) for row in sketch_matrix(np.asarray(vectors, dtype=np.float32))]


def sketch(vector: Sequence[float]) -> Bit:
    """The sketch of one vector (a query's), computed without BLAS threads.

    A query's sketch is computed on the request path just before the shards' indexes are walked.
    A matrix product hands even one vector to OpenBLAS, whose worker threads then spin for a
    while and take a core from the PostgreSQL backends walking the shards: two shards walked at
    once took 15.5 ms that way instead of 9.5 (1M jobs, p50). ``einsum``'s own loop runs in the
    calling thread (0.3 ms for 768 x 2048) and gives ``sketch_matrix``'s signs (not one bit
    differed over 1,000 random vectors; the unit tests compare them).
    """
    values = np.asarray(vector, dtype=np.float32)
    if values.ndim != 1:
        raise ValueError("sketch takes one vector")
    return Bit(np.einsum("i,ij->j", values, projection(len(values))) > 0)


def bit_texts(bits: np.ndarray) -> list[str]:
    """Rows of booleans (``sketch_matrix``'s) as PostgreSQL's ``bit`` text, ``'0110...'``."""
    digits = np.asarray(bits, dtype=np.uint8) + np.uint8(ord("0"))
    return [row.tobytes().decode("ascii") for row in digits]


def sketch_text(vector: Sequence[float]) -> str:
    """The sketch as ``bit`` text, for SQL without pgvector's types (a migration, a test)."""
    return bit_texts(sketch_matrix(np.asarray([vector], dtype=np.float32)))[0]
