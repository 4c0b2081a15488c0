import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobraker_adapters.embedders.hashing import (
    DEFAULT_DIMENSIONS,
    HashingEmbedder,
    HashingScheme,
    fold_words,
)
from jobraker_core.errors import InvalidInput
from jobraker_core.matching.embedding import Embedder, EmbeddingSpec, cosine

SRC = Path(__file__).resolve().parents[3] / "src"
POSTING = "Senior Python developer: Django, PostgreSQL and Kubernetes (k8s)."
TEXTS = [
    POSTING,
    "Registered nurse for a busy intensive care unit, night shifts.",
    "Résumé — développeur C++ / C# — 10 ans d'expérience",
    "!!!",
]


def _fingerprint(vector):
    return hashlib.sha256(json.dumps([round(x, 9) for x in vector]).encode()).hexdigest()


def _norm(vector):
    return math.sqrt(math.fsum(x * x for x in vector))


@pytest.fixture(scope="module")
def embedder():
    """The default hashing embedder."""
    return HashingEmbedder()


def test_default_model_id_and_size(embedder):
    """The default is 768 dimensions, named ``local-hash-v1:768``; it satisfies the port."""
    port: Embedder = embedder
    assert DEFAULT_DIMENSIONS == 768
    assert EmbeddingSpec.of(port) == EmbeddingSpec("local-hash-v1:768", 768)


def test_a_non_default_scheme_or_size_is_a_different_model():
    """Vectors of another scheme or size are not comparable, so their model ids differ."""
    assert HashingEmbedder(384).model_id == "local-hash-v1:384"
    other = HashingEmbedder(scheme=HashingScheme(pair_weight=0.3))
    assert other.model_id == "local-hash-v1-w1-p0.3-c0.5x34-s:768"
    assert HashingEmbedder(scheme=HashingScheme(seed=7)).model_id.endswith("-r7:768")


@pytest.mark.parametrize("dimensions", [0, 15, 16_001])
def test_impossible_sizes_are_refused(dimensions):
    """Fewer than 16 or more than the core's maximum dimensions make no embedder."""
    with pytest.raises(ValueError):
        HashingEmbedder(dimensions)


def test_vectors_are_unit_length_and_sized(embedder):
    """Every vector has ``dimensions`` finite components and length 1."""
    for vector in embedder.embed(TEXTS):
        assert len(vector) == 768
        assert all(math.isfinite(x) for x in vector)
        assert _norm(vector) == pytest.approx(1.0)


def test_the_features_are_pinned(embedder):
    """A known text gives a known vector: changing the features needs a new VERSION."""
    assert _fingerprint(embedder.embed([POSTING])[0]) == (
        "e0f63449a7958991a2282d1860c20976004638ce68b55d46bd86954c9ee1478e"
    )


def test_vectors_are_the_same_in_another_process(embedder):
    """Another interpreter, with another string-hash seed, computes bit-identical vectors."""
    script = (
        "import json, sys\n"
        "from jobraker_adapters.embedders.hashing import HashingEmbedder\n"
        "texts = json.loads(sys.stdin.read())\n"
        "print(json.dumps([list(map(float.hex, v)) for v in HashingEmbedder().embed(texts)]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(TEXTS),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    theirs = json.loads(done.stdout)
    ours = [list(map(float.hex, vector)) for vector in embedder.embed(TEXTS)]
    assert theirs == ours


def test_a_batch_equals_its_texts_one_by_one(embedder):
    """Embedding is per text: the batch around a text does not change its vector."""
    assert embedder.embed(TEXTS) == [embedder.embed([text])[0] for text in TEXTS]


def test_an_empty_batch_is_empty(embedder):
    """No texts, no vectors."""
    assert embedder.embed([]) == []


def test_similar_texts_are_closer_than_unrelated_ones(embedder):
    """A posting is closer to a résumé sharing its skills than to one from another trade."""
    posting, developer, nurse = embedder.embed(
        [
            "We need a Python developer who knows Django and PostgreSQL.",
            "Python developer, five years of Django, PostgreSQL and Docker.",
            "Registered nurse with intensive care and patient triage experience.",
        ]
    )
    assert cosine(posting, developer) > 0.4
    assert cosine(posting, developer) > cosine(posting, nurse) + 0.3


def test_word_forms_share_their_pieces(embedder):
    """Character n-grams make "development" closer to "developer" than to "marketing"."""
    development, developer, marketing = embedder.embed(["development", "developer", "marketing"])
    assert cosine(development, developer) > cosine(development, marketing) + 0.05


def test_case_and_accents_do_not_matter(embedder):
    """Folding makes "RÉSUMÉ Python" and "resume python" the same text."""
    first, second = embedder.embed(["RÉSUMÉ Python", "resume python"])
    assert first == second


def test_fold_words_keeps_programming_language_suffixes():
    """C++ and C# stay themselves; dots and punctuation split words."""
    assert fold_words("Résumé: C++, C# and Node.js") == ["resume", "c++", "c#", "and", "node", "js"]


def test_symbols_only_texts_get_distinct_unit_vectors(embedder):
    """A text with no words is hashed whole: a unit vector, different for different symbols."""
    bang, dash = embedder.embed(["!!!", "— —"])
    assert _norm(bang) == pytest.approx(1.0)
    assert bang != dash


def test_function_words_alone_are_kept(embedder):
    """A text of stop words only is embedded from them rather than from nothing."""
    vector = embedder.embed(["and the of"])[0]
    assert _norm(vector) == pytest.approx(1.0)
    assert vector != embedder.embed(["with"])[0]


@pytest.mark.parametrize("blank", ["", "   ", "\n\t "])
def test_blank_texts_are_refused(embedder, blank):
    """A blank text raises ``InvalidInput`` on ``texts`` (the port's rule), before any work."""
    with pytest.raises(InvalidInput) as caught:
        embedder.embed(["fine", blank])
    assert caught.value.field == "texts"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_finite_unit_vector_or_is_blank(text):
    """Every non-blank text gives a finite unit vector; a blank one raises ``InvalidInput``."""
    embedder = HashingEmbedder(64)
    if not text.strip():
        with pytest.raises(InvalidInput):
            embedder.embed([text])
        return
    (vector,) = embedder.embed([text])
    assert len(vector) == 64
    assert all(math.isfinite(x) for x in vector)
    assert _norm(vector) == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=80).filter(str.strip), max_size=6))
def test_batches_of_any_texts_match_one_by_one(texts):
    """Batch independence holds for arbitrary texts, not only for the examples."""
    embedder = HashingEmbedder(32)
    assert embedder.embed(texts) == [embedder.embed([text])[0] for text in texts]


def test_every_scheme_family_contributes():
    """Word pairs change the vector when they are switched on; words alone differ from n-grams."""
    text = ["project management and customer service"]
    words_only = HashingEmbedder(scheme=HashingScheme(char_weight=0)).embed(text)[0]
    with_pairs = HashingEmbedder(scheme=HashingScheme(pair_weight=0.5)).embed(text)[0]
    default = HashingEmbedder().embed(text)[0]
    assert len({words_only, with_pairs, default}) == 3
