"""Binary sketches of vectors: fixed forever, and Hamming distance estimates the angle."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobraker_adapters.postgres.sketch import (
    SKETCH_BITS,
    projection,
    sketch,
    sketch_matrix,
    sketch_text,
    sketches,
)


def test_the_projection_never_changes():
    """Stored sketches must match queries computed later: the projection is pinned by a digest.

    If this fails, every stored sketch is stale: ``SKETCH_VERSION`` must change, with a
    migration that recomputes them.
    """
    matrix = projection(768)
    assert matrix.shape == (768, SKETCH_BITS)
    assert set(np.unique(matrix)) == {-1.0, 1.0}
    digest = hashlib.sha256(np.packbits(matrix > 0).tobytes()).hexdigest()
    assert digest[:16] == "c4254f4a4bd5ac62"


def test_the_projection_cannot_be_changed_by_a_caller():
    """The cached matrix is read-only, so no caller can corrupt every later sketch."""
    with pytest.raises(ValueError, match="read-only"):
        projection(16)[0, 0] = 5.0


def test_sketches_are_bits_of_the_projections_signs():
    """Bit ``j`` is set where the vector's projection on column ``j`` is positive."""
    vector = np.linspace(-1.0, 1.0, 32, dtype=np.float32)
    expected = "".join("1" if value > 0 else "0" for value in vector @ projection(32))
    assert sketch_text(vector.tolist()) == expected
    assert sketch(vector.tolist()).to_text() == expected
    assert [b.to_text() for b in sketches([vector.tolist(), (-vector).tolist()])] == [
        expected,
        "".join("1" if value < 0 else "0" for value in vector @ projection(32)),
    ]


def test_a_zero_vector_has_an_empty_sketch_and_no_vectors_no_sketches():
    """A zero vector has no direction: no bit is set. An empty batch gives an empty list."""
    assert sketch_text([0.0] * 16) == "0" * SKETCH_BITS
    assert sketches([]) == []


def test_only_matrices_are_sketched():
    """A single vector must be passed as a one-row matrix."""
    with pytest.raises(ValueError, match="2-D"):
        sketch_matrix(np.zeros(8, dtype=np.float32))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    dims=st.sampled_from([64, 384, 768]),
    angle=st.floats(0.0, math.pi),
)
def test_hamming_distance_estimates_the_angle(seed, dims, angle):
    """The share of differing bits is about angle / pi (SimHash), within sampling error.

    Two unit vectors at ``angle`` in a random plane; with 2,048 bits the share's standard
    error is at most 0.011, and the +-1 projection of a dense vector is close to a Gaussian one
    (300 random planes per size: at most 0.039 off from 64 dimensions up, 0.050 at 16).
    """
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dims, 2)))
    first = basis[:, 0]
    second = math.cos(angle) * basis[:, 0] + math.sin(angle) * basis[:, 1]
    bits = sketch_matrix(np.array([first, second], dtype=np.float32))
    share = float(np.mean(bits[0] != bits[1]))
    assert share == pytest.approx(angle / math.pi, abs=0.06)


def test_nearer_vectors_have_nearer_sketches():
    """Ranking by Hamming distance recovers the cosine ranking of clearly separated vectors."""
    rng = np.random.default_rng(3)
    query = rng.standard_normal(768)
    noise = rng.standard_normal((5, 768))
    # the same query with more and more noise: cosine falls from ~0.9 to ~0.1
    vectors = np.array(
        [query + scale * n for scale, n in zip([0.5, 1, 2, 4, 8], noise, strict=True)]
    )
    bits = sketch_matrix(np.vstack([query[None, :], vectors]).astype(np.float32))
    distances = [int(np.sum(bits[0] != row)) for row in bits[1:]]
    assert distances == sorted(distances)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=16, max_value=768), st.integers(min_value=0, max_value=2**32 - 1))
def test_a_querys_sketch_has_the_stored_sketchs_bits(dims, seed):
    """``sketch`` (one query, no BLAS threads) gives the bits ``sketches`` stores for a vector."""
    vector = np.random.default_rng(seed).standard_normal(dims).tolist()
    assert sketch(vector) == sketches([vector])[0]
