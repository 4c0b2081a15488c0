import math

import openai
import pytest

from fakes.openai_server import MAX_INPUTS, FakeOpenAIServer, fake_embedding
from jobraker_adapters.embedders.openai_embedder import OpenAIEmbedder
from jobraker_core.errors import (
    ConfigurationError,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.matching.embedding import cosine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server():
    """One fake OpenAI server for the module."""
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def fake(server):
    """The module's server with no recorded requests and no pending faults."""
    server.reset()
    return server


@pytest.fixture
def client(fake):
    """A real SDK client on the fake server, retrying fast."""
    with openai.OpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=2) as sdk:
        yield sdk


def _unit(vector):
    """Whether ``vector`` has length 1."""
    return math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-9)


@pytest.mark.parametrize("encoding", [None, "base64", "float"])
def test_both_wire_encodings_give_the_servers_vectors(client, fake, encoding):
    """Base64 (the SDK's default, or asked for) and float answers decode to the same vectors."""
    embedder = OpenAIEmbedder(client, dimensions=64, encoding_format=encoding)
    vectors = embedder.embed(["python developer", "registered nurse"])
    sent = fake.requests_to("/v1/embeddings")[-1].body
    assert sent["encoding_format"] == (encoding or "base64")
    assert sent["dimensions"] == 64
    for vector, text in zip(vectors, ["python developer", "registered nurse"], strict=True):
        assert _unit(vector)
        # float32 on the wire for base64, float64 for floats: equal to float32 precision
        assert cosine(vector, fake_embedding(text, 64)) == pytest.approx(1.0, abs=1e-6)


def test_similar_texts_stay_similar_through_the_wire(client):
    """Texts sharing words are closer than texts sharing none."""
    posting, good, bad = OpenAIEmbedder(client, dimensions=256).embed(
        ["senior python developer", "python developer", "registered nurse"]
    )
    assert cosine(posting, good) > cosine(posting, bad)


def test_more_than_2048_texts_are_batched_within_the_servers_limit(client, fake):
    """5,000 texts go in three requests the server accepts, and come back in order."""
    texts = [f"posting number {k}" for k in range(5000)]
    vectors = OpenAIEmbedder(client, dimensions=32).embed(texts)
    sizes = [len(request.body["input"]) for request in fake.requests_to("/v1/embeddings")]
    assert sizes == [MAX_INPUTS, MAX_INPUTS, 5000 - 2 * MAX_INPUTS]
    assert len(vectors) == 5000
    assert cosine(vectors[4321], fake_embedding(texts[4321], 32)) == pytest.approx(1.0, abs=1e-6)


def test_the_server_refuses_oversized_batches(client):
    """The fake enforces OpenAI's 2,048-input limit, so the batching test means something."""
    embedder = OpenAIEmbedder(client, dimensions=8, max_batch_inputs=3000)
    with pytest.raises(UpstreamRejected, match="2048"):
        embedder.embed([f"t{k}" for k in range(2049)])


def test_a_429_then_success_is_a_success(client, fake):
    """The SDK waits the ``retry-after`` and tries again; the caller just gets vectors."""
    fake.rate_limit_next(times=2, retry_after="0.01")
    vectors = OpenAIEmbedder(client, dimensions=8).embed(["t0"])
    assert len(vectors) == 1
    retries = [r.headers["x-stainless-retry-count"] for r in fake.requests_to("/v1/embeddings")]
    assert retries == ["0", "1", "2"]


def test_429s_beyond_the_retries_are_rate_limited(client, fake):
    """When every try is a 429, ``RateLimited`` carries the server's ``retry-after``."""
    fake.rate_limit_next(times=3, retry_after="0.02")
    with pytest.raises(RateLimited) as caught:
        OpenAIEmbedder(client, dimensions=8).embed(["t0"])
    assert caught.value.retry_after == pytest.approx(0.02)
    assert len(fake.requests_to("/v1/embeddings")) == 3


def test_500s_beyond_the_retries_are_upstream_unavailable(client, fake):
    """Three 500s exhaust two retries: ``UpstreamUnavailable``, a transient error."""
    fake.fail_next(500, times=3, headers={"retry-after-ms": "5"})
    with pytest.raises(UpstreamUnavailable) as caught:
        OpenAIEmbedder(client, dimensions=8).embed(["t0"])
    assert type(caught.value) is UpstreamUnavailable
    assert len(fake.requests_to("/v1/embeddings")) == 3


def test_malformed_json_is_upstream_unavailable(client, fake):
    """A 200 with a broken body is a transient upstream failure, not a crash."""
    fake.malformed_next()
    with pytest.raises(UpstreamUnavailable):
        OpenAIEmbedder(client, dimensions=8).embed(["t0"])


def test_a_bad_key_is_a_configuration_error(fake):
    """A 401 is our misconfiguration, raised at once (no retry helps)."""
    with (
        openai.OpenAI(api_key="sk-wrong", base_url=fake.base_url, max_retries=2) as sdk,
        pytest.raises(ConfigurationError, match="credentials"),
    ):
        OpenAIEmbedder(sdk, dimensions=8).embed(["t0"])
    assert len(fake.requests_to("/v1/embeddings")) == 1


def test_an_unknown_model_is_rejected(client):
    """A model the server does not serve is a permanent rejection."""
    with pytest.raises(UpstreamRejected, match="does not exist"):
        OpenAIEmbedder(client, model="no-such-model", dimensions=8).embed(["t0"])


def test_a_compatible_servers_own_model_gets_no_dimensions_parameter():
    """An Ollama-style model is asked without ``dimensions`` and checked against its size."""
    with (
        FakeOpenAIServer(api_key="ollama", models={"nomic-embed-text": 768}) as local,
        openai.OpenAI(api_key="ollama", base_url=local.base_url, max_retries=0) as sdk,
    ):
        embedder = OpenAIEmbedder(sdk, model="nomic-embed-text", dimensions=768)
        (vector,) = embedder.embed(["hello"])
        assert len(vector) == 768
        assert "dimensions" not in local.requests[-1].body
        wrong = OpenAIEmbedder(sdk, model="nomic-embed-text", dimensions=1024)
        with pytest.raises(ConfigurationError, match="768-dimensional"):
            wrong.embed(["hello"])


def test_long_postings_are_cut_to_what_the_server_accepts(client, fake):
    """A 200,000-character text is truncated by the adapter, so the server does not 400."""
    (vector,) = OpenAIEmbedder(client, dimensions=8).embed(["word " * 40_000])
    assert _unit(vector)
    assert len(fake.requests_to("/v1/embeddings")[-1].body["input"][0]) <= 8191 * 3
