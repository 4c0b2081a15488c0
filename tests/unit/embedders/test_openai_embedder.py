import base64
import json
import math
import struct
from datetime import UTC, datetime

import httpx2
import openai
import pytest

from jobraker_adapters.embedders.openai_embedder import (
    DEFAULT_RETRY_AFTER,
    MAX_BATCH_INPUTS,
    OpenAIEmbedder,
    estimate_tokens,
    retry_after_seconds,
    truncate_to_tokens,
)
from jobraker_core.errors import (
    ConfigurationError,
    InvalidInput,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.matching.embedding import Embedder, l2_normalise


class FakeEmbeddings:
    """An ``httpx2`` handler answering ``POST /v1/embeddings``; it records each request body.

    Each input ``"t<k>"`` gets the vector ``(k + 1, 1, 0, ...)``, so tests can tell which vector
    belongs to which text; other inputs get ``(len(text), 1, 0, ...)``.
    """

    def __init__(self, dimensions=2, encoding=None):
        self.dimensions = dimensions
        self.encoding = encoding
        self.bodies = []
        self.headers = []
        self.replies = []

    def vector(self, text):
        """The vector of one input (see the class docstring)."""
        head = text.split()[0]
        first = int(head[1:]) + 1 if head[:1] == "t" and head[1:].isdigit() else len(text)
        return [float(first), 1.0] + [0.0] * (self.dimensions - 2)

    def __call__(self, request):
        """Answer one request: a queued reply if any, else the embeddings."""
        body = json.loads(request.content)
        self.bodies.append(body)
        self.headers.append(request.headers)
        if self.replies:
            reply = self.replies.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply
        encoding = self.encoding or body.get("encoding_format", "float")
        data = []
        for index, text in enumerate(body["input"]):
            vector = self.vector(text)
            if encoding == "base64":
                vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        return httpx2.Response(
            200,
            json={"object": "list", "data": data, "model": body["model"], "usage": {}},
        )


@pytest.fixture
def make():
    """Build an ``OpenAIEmbedder`` whose SDK client talks to a handler; close the clients after."""
    clients = []

    def build(handler, *, client_retries=0, **options):
        http = httpx2.Client(transport=httpx2.MockTransport(handler))
        client = openai.OpenAI(
            api_key="sk-test",
            base_url="http://fake.test/v1",
            max_retries=client_retries,
            http_client=http,
        )
        clients.append(client)
        options.setdefault("dimensions", 2)
        return OpenAIEmbedder(client, **options)

    yield build
    for client in clients:
        client.close()


def error(status, message="nope", *, code=None, type_="invalid_request_error", headers=None):
    """An HTTP error with OpenAI's error body."""
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return httpx2.Response(status, json=body, headers=headers or {})


def expected(k):
    """The unit vector ``FakeEmbeddings`` gives text ``t<k>``."""
    return l2_normalise((k + 1.0, 1.0))


def test_it_is_an_embedder_named_after_model_and_size(make):
    """The model id is ``openai:<model>:<dimensions>``; it satisfies the port."""
    embedder: Embedder = make(FakeEmbeddings(), model="text-embedding-3-small", dimensions=512)
    assert embedder.model_id == "openai:text-embedding-3-small:512"
    assert embedder.dimensions == 512


def test_known_models_default_to_their_native_size(make):
    """Without ``dimensions``, OpenAI's models use their native sizes."""
    assert make(FakeEmbeddings(), dimensions=None).dimensions == 1536
    large = make(FakeEmbeddings(), model="text-embedding-3-large", dimensions=None)
    assert large.dimensions == 3072


def test_an_unknown_model_needs_its_size_configured(make):
    """For a model of another server, the size cannot be guessed: ``ConfigurationError``."""
    with pytest.raises(ConfigurationError, match="unknown"):
        make(FakeEmbeddings(), model="nomic-embed-text", dimensions=None)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"model": " "}, "empty"),
        ({"dimensions": 0}, "positive"),
        ({"max_input_tokens": 10, "max_batch_tokens": 5}, "exceed"),
        ({"max_batch_inputs": 0}, "positive"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_impossible_configurations_are_refused(make, options, message):
    """A configuration that cannot work fails at construction, not at the first posting."""
    with pytest.raises(ConfigurationError, match=message):
        make(FakeEmbeddings(), **options)


def test_vectors_come_back_in_input_order(make):
    """Each text gets its own vector, in the order given."""
    vectors = make(FakeEmbeddings()).embed(["t0", "t1", "t2"])
    assert vectors == [expected(0), expected(1), expected(2)]


def test_an_empty_batch_sends_nothing(make):
    """No texts, no request."""
    handler = FakeEmbeddings()
    assert make(handler).embed([]) == []
    assert handler.bodies == []


def test_blank_texts_are_refused_before_any_request(make):
    """A blank text raises ``InvalidInput`` and nothing is sent (OpenAI would 400 on it)."""
    handler = FakeEmbeddings()
    with pytest.raises(InvalidInput):
        make(handler).embed(["fine", " "])
    assert handler.bodies == []


def test_more_than_2048_inputs_are_split_into_requests(make):
    """4,100 texts go in requests of 2,048, 2,048 and 4, and come back in order."""
    handler = FakeEmbeddings()
    texts = [f"t{k}" for k in range(4100)]
    vectors = make(handler).embed(texts)
    assert [len(body["input"]) for body in handler.bodies] == [MAX_BATCH_INPUTS, 2048, 4]
    assert vectors[0] == expected(0)
    assert vectors[2048] == expected(2048)
    assert vectors[4099] == expected(4099)


def test_requests_stay_under_the_token_limit(make):
    """Texts of 8,000 estimated tokens go 37 to a request, under 300k tokens each."""
    handler = FakeEmbeddings()
    texts = [f"t{k} " + "x" * 23_990 for k in range(80)]
    make(handler).embed(texts)
    assert [len(body["input"]) for body in handler.bodies] == [37, 37, 6]
    for body in handler.bodies:
        assert sum(estimate_tokens(text) for text in body["input"]) <= 300_000


def test_smaller_batch_limits_can_be_configured(make):
    """A compatible server with smaller limits gets smaller requests."""
    handler = FakeEmbeddings()
    make(handler, max_batch_inputs=2).embed(["t0", "t1", "t2"])
    assert [body["input"] for body in handler.bodies] == [["t0", "t1"], ["t2"]]


def test_overlong_texts_are_cut_to_the_input_limit(make):
    """A text beyond ~8,191 tokens is cut so that the server accepts it."""
    handler = FakeEmbeddings()
    make(handler).embed(["x" * 100_000])
    (sent,) = handler.bodies[0]["input"]
    assert len(sent) == 8191 * 3
    assert estimate_tokens(sent) <= 8191


def test_truncation_never_splits_a_character():
    """Cutting multi-byte text keeps whole characters."""
    text = "職" * 10
    cut = truncate_to_tokens(text, 5)
    assert cut == "職" * 5
    assert truncate_to_tokens("short", 5) == "short"


def test_by_default_the_sdk_asks_for_base64_and_decodes_it(make):
    """Left alone, the SDK sends ``encoding_format=base64`` and we get floats back."""
    handler = FakeEmbeddings()
    assert make(handler).embed(["t3"]) == [expected(3)]
    assert handler.bodies[0]["encoding_format"] == "base64"


def test_explicit_base64_is_decoded_by_the_adapter(make):
    """Asking for base64 explicitly, the adapter decodes little-endian float32 itself."""
    handler = FakeEmbeddings()
    assert make(handler, encoding_format="base64").embed(["t3"]) == [expected(3)]
    assert handler.bodies[0]["encoding_format"] == "base64"


def test_float_encoding_can_be_asked_for(make):
    """For servers that only speak floats, ``encoding_format="float"`` is sent."""
    handler = FakeEmbeddings()
    assert make(handler, encoding_format="float").embed(["t3"]) == [expected(3)]
    assert handler.bodies[0]["encoding_format"] == "float"


def test_a_server_ignoring_base64_still_works(make):
    """A compatible server answering floats to a base64 request is read all the same."""
    handler = FakeEmbeddings(encoding="float")
    assert make(handler).embed(["t4"]) == [expected(4)]


def test_dimensions_are_sent_only_to_models_that_can_shorten(make):
    """``dimensions`` goes to text-embedding-3 models, never to others (they would 400)."""
    handler = FakeEmbeddings()
    make(handler, model="text-embedding-3-small").embed(["t0"])
    make(handler, model="nomic-embed-text").embed(["t0"])
    make(handler, model="nomic-embed-text", send_dimensions=True).embed(["t0"])
    assert [body.get("dimensions") for body in handler.bodies] == [2, None, 2]


def test_answers_out_of_order_are_put_back_in_order(make):
    """The ``index`` of each embedding decides its place, not its position in the list."""

    def handler(request):
        data = [
            {"object": "embedding", "index": 1, "embedding": [0.0, 1.0]},
            {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]},
        ]
        return httpx2.Response(200, json={"object": "list", "data": data, "model": "m"})

    assert make(handler).embed(["a", "b"]) == [(1.0, 0.0), (0.0, 1.0)]


def test_vectors_are_renormalised(make):
    """A server's vector of length 5 comes back with length 1."""

    def handler(request):
        data = [{"object": "embedding", "index": 0, "embedding": [3.0, 4.0]}]
        return httpx2.Response(200, json={"object": "list", "data": data, "model": "m"})

    assert make(handler).embed(["a"]) == [(0.6, 0.8)]


def test_vectors_of_the_wrong_size_are_a_configuration_error(make):
    """A server whose vectors differ from the configured size is misconfigured."""
    with pytest.raises(ConfigurationError, match="3-dimensional"):
        make(FakeEmbeddings(dimensions=3), dimensions=2).embed(["a"])


@pytest.mark.parametrize(
    ("reply", "expected_error"),
    [
        (error(429, "slow down", headers={"retry-after": "7"}), RateLimited),
        (
            error(429, "pay up", code="insufficient_quota", type_="insufficient_quota"),
            ConfigurationError,
        ),
        (error(401, "Incorrect API key", code="invalid_api_key"), ConfigurationError),
        (error(403, "forbidden"), ConfigurationError),
        (error(400, "bad input"), UpstreamRejected),
        (error(404, "no such model", code="model_not_found"), UpstreamRejected),
        (error(422, "unprocessable"), UpstreamRejected),
        (error(408, "timeout"), UpstreamUnavailable),
        (error(500, "boom", type_="server_error"), UpstreamUnavailable),
        (error(503, "overloaded", type_="server_error"), UpstreamUnavailable),
        (
            httpx2.Response(
                200, content=b'{"data": [', headers={"content-type": "application/json"}
            ),
            UpstreamUnavailable,
        ),
        (
            httpx2.Response(200, json={"object": "list", "data": [], "model": "m"}),
            UpstreamUnavailable,
        ),
        (httpx2.ConnectError("refused"), UpstreamUnavailable),
        (httpx2.ReadTimeout("slow"), UpstreamUnavailable),
    ],
)
def test_failures_become_core_errors(make, reply, expected_error):
    """Whatever the SDK raises after its retries is one of the core errors, never an SDK one."""
    handler = FakeEmbeddings()
    handler.replies = [reply]
    with pytest.raises(expected_error) as caught:
        make(handler).embed(["t0"])
    assert not isinstance(caught.value, openai.OpenAIError)
    assert type(caught.value) is expected_error


def test_rate_limits_say_how_long_to_wait(make):
    """The final 429's ``retry-after`` becomes ``RateLimited.retry_after``."""
    handler = FakeEmbeddings()
    handler.replies = [error(429, headers={"retry-after": "7"})]
    with pytest.raises(RateLimited) as caught:
        make(handler).embed(["t0"])
    assert caught.value.retry_after == 7.0
    assert caught.value.service == "openai"


@pytest.mark.parametrize(
    "data",
    [
        [{"object": "embedding", "index": 0, "embedding": [0.0, 0.0]}],
        [{"object": "embedding", "index": 0, "embedding": "not base64!"}],
        [{"object": "embedding", "index": 0, "embedding": base64.b64encode(b"abc").decode()}],
        [
            {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]},
            {"object": "embedding", "index": 1, "embedding": [1.0, 0.0]},
        ],
        [{"object": "embedding", "index": 3, "embedding": [1.0, 0.0]}],
    ],
)
def test_unusable_answers_are_upstream_unavailable(make, data):
    """Zero vectors, broken base64, or the wrong number of embeddings are not our vectors."""

    def handler(request):
        return httpx2.Response(200, json={"object": "list", "data": data, "model": "m"})

    with pytest.raises(UpstreamUnavailable):
        make(handler, encoding_format="base64").embed(["t0"])


def test_the_sdk_retries_429_honouring_retry_after(make):
    """With retries configured, two 429s then a success is a success after three requests."""
    handler = FakeEmbeddings()
    handler.replies = [error(429, headers={"retry-after-ms": "1"})] * 2
    assert make(handler, client_retries=2).embed(["t0"]) == [expected(0)]
    assert [h["x-stainless-retry-count"] for h in handler.headers] == ["0", "1", "2"]


def test_the_adapter_can_override_the_clients_retries(make):
    """``max_retries`` on the embedder wins over the client's setting."""
    handler = FakeEmbeddings()
    handler.replies = [error(500, headers={"retry-after-ms": "1"})] * 6
    with pytest.raises(UpstreamUnavailable):
        make(handler, client_retries=5, max_retries=2).embed(["t0"])
    assert len(handler.bodies) == 3


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "12"}, 12.0),
        ({"retry-after": "Thu, 01 Jan 2026 00:01:00 GMT"}, 60.0),
        ({"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"}, 360.0),
        ({"x-ratelimit-reset-tokens": "20ms"}, 0.02),
        ({"retry-after": "soon"}, DEFAULT_RETRY_AFTER),
        ({}, DEFAULT_RETRY_AFTER),
    ],
)
def test_retry_after_is_read_from_any_header_openai_sends(headers, seconds):
    """``retry-after-ms``, ``retry-after`` (seconds or a date), then the reset headers."""
    now = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert math.isclose(retry_after_seconds(headers, now=now), seconds)
