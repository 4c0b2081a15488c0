import math
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.matching.embedding import (
    MAX_DIMENSIONS,
    Embedder,
    EmbeddingSpec,
    content_hash,
    cosine,
    l2_normalise,
    require_embeddable,
)


class _TwoDimensional:
    """A minimal embedder, to check the port's shape without any adapter."""

    model_id = "toy:2"
    dimensions = 2

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        return [(1.0, 0.0) for _ in texts]


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
vectors = st.lists(finite, min_size=1, max_size=16)


def test_spec_of_an_embedder_records_its_model_and_size():
    """``EmbeddingSpec.of`` copies the model id and dimensions of any ``Embedder``."""
    embedder: Embedder = _TwoDimensional()
    assert EmbeddingSpec.of(embedder) == EmbeddingSpec("toy:2", 2)


@pytest.mark.parametrize("model_id", ["", " x", "has space", "x" * 201, "émoji"])
def test_spec_refuses_a_malformed_model_id(model_id):
    """A model id is 1-200 plain characters; anything else is ``InvalidInput`` on model_id."""
    with pytest.raises(InvalidInput) as caught:
        EmbeddingSpec(model_id, 8)
    assert caught.value.field == "model_id"


@pytest.mark.parametrize("dimensions", [0, -1, MAX_DIMENSIONS + 1, True])
def test_spec_refuses_impossible_dimensions(dimensions):
    """Dimensions are an int in 1..MAX_DIMENSIONS; a bool is not a size."""
    with pytest.raises(InvalidInput) as caught:
        EmbeddingSpec("m:1", dimensions)
    assert caught.value.field == "dimensions"


def test_specs_are_equal_exactly_when_model_and_size_are():
    """Two vectors are comparable exactly when their specs are equal."""
    assert EmbeddingSpec("local-hash-v1:768", 768) == EmbeddingSpec("local-hash-v1:768", 768)
    assert EmbeddingSpec("local-hash-v1:768", 768) != EmbeddingSpec("local-hash-v1:384", 384)


def test_content_hash_is_the_sha256_of_the_exact_text():
    """The cache key is the hex SHA-256 of the UTF-8 text (a known test vector)."""
    assert content_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_content_hash_changes_with_any_change_of_text():
    """Even whitespace changes the key: the cache never serves another text's vector."""
    assert content_hash("python developer") != content_hash("python developer ")
    assert content_hash("Résumé") != content_hash("Resume")


def test_content_hash_accepts_lone_surrogates():
    """Text decoded with surrogate escapes still gets a key instead of an encoding error."""
    assert len(content_hash("bad \udcff byte")) == 64


@given(st.text())
def test_content_hash_is_a_stable_hex_key(text):
    """Every text has a 64-character hex key, the same every time."""
    key = content_hash(text)
    assert key == content_hash(text)
    assert len(key) == 64
    assert set(key) <= set("0123456789abcdef")


def test_cosine_of_known_vectors():
    """Same direction is 1, orthogonal 0, opposite -1, whatever the lengths."""
    assert cosine((2.0, 0.0), (5.0, 0.0)) == pytest.approx(1.0)
    assert cosine((1.0, 0.0), (0.0, 3.0)) == pytest.approx(0.0)
    assert cosine((1.0, 1.0), (-2.0, -2.0)) == pytest.approx(-1.0)


def test_cosine_with_a_zero_vector_is_zero():
    """A zero vector is similar to nothing."""
    assert cosine((0.0, 0.0), (1.0, 2.0)) == 0.0


def test_cosine_refuses_vectors_of_different_lengths():
    """Vectors of different sizes come from different embedders and cannot be compared."""
    with pytest.raises(InvalidInput, match="different embedders"):
        cosine((1.0, 0.0), (1.0, 0.0, 0.0))


@given(
    vectors.flatmap(
        lambda a: st.tuples(st.just(a), st.lists(finite, min_size=len(a), max_size=len(a)))
    )
)
def test_cosine_is_symmetric_and_bounded(pair):
    """cos(a, b) == cos(b, a) and lies in [-1, 1]."""
    a, b = pair
    assert cosine(a, b) == cosine(b, a)
    assert -1.0 <= cosine(a, b) <= 1.0


@given(vectors.filter(lambda v: any(abs(x) > 1e-3 for x in v)))
def test_l2_normalise_gives_unit_length_in_the_same_direction(values):
    """A normalised vector has length 1 and a cosine of 1 with the original."""
    unit = l2_normalise(values)
    assert math.fsum(x * x for x in unit) == pytest.approx(1.0)
    assert cosine(unit, values) == pytest.approx(1.0)


@pytest.mark.parametrize("values", [(0.0, 0.0), (math.nan, 1.0), (math.inf, 0.0)])
def test_l2_normalise_refuses_vectors_without_a_direction(values):
    """Zero and non-finite vectors cannot be normalised."""
    with pytest.raises(InvalidInput):
        l2_normalise(values)


@pytest.mark.parametrize("texts", [[""], ["ok", "   "], ["\n\t"]])
def test_blank_texts_are_not_embeddable(texts):
    """A text with no non-whitespace character raises ``InvalidInput`` on ``texts``."""
    with pytest.raises(InvalidInput) as caught:
        require_embeddable(texts)
    assert caught.value.field == "texts"


def test_any_text_with_a_visible_character_is_embeddable():
    """Punctuation alone is still something to embed."""
    require_embeddable(["!", " x ", "—"])
    require_embeddable([])
