"""``OpenAIChatModel`` on an ``httpx2.MockTransport``: the less usual answers servers give."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest

from jobraker_adapters.llm.openai_chat import OpenAIChatModel
from jobraker_core.assistant.language_model import (
    Completion,
    FinishReason,
    Message,
    Role,
    TextDelta,
)
from jobraker_core.errors import ConfigurationError, UpstreamUnavailable

ASK = [Message(Role.USER, "hello")]


def model_answering(*bodies, stream=False, **options):
    """The adapter on a transport that answers each request with the next body."""
    queue = list(bodies)
    seen = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        body = queue.pop(0)
        if stream:
            return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        return httpx2.Response(200, json=body)

    client = openai.OpenAI(
        api_key="sk-test",
        base_url="http://fake/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
    )
    return OpenAIChatModel(client, model="m", **options), seen


def completion_body(message, finish="stop", usage=True):
    """A chat completion response body."""
    body = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "m-2026",
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    return body


def test_a_server_without_usage_gets_an_estimate():
    """No ``usage`` (some compatible servers): tokens are estimated, never zero."""
    model, _ = model_answering(
        completion_body({"role": "assistant", "content": "hi there"}, usage=False)
    )
    completion = model.complete(ASK)
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.model == "m-2026"


def test_a_refusal_becomes_the_content():
    """A refusal with no content is passed on as the answer's text."""
    model, _ = model_answering(
        completion_body(
            {"role": "assistant", "content": None, "refusal": "I can't help with that."},
            finish="content_filter",
        )
    )
    completion = model.complete(ASK)
    assert completion.content == "I can't help with that."
    assert completion.finish_reason is FinishReason.CONTENT_FILTER


def test_an_answer_with_no_choices_is_unavailable():
    """An empty ``choices`` list cannot be answered from."""
    body = completion_body({"role": "assistant", "content": "x"})
    body["choices"] = []
    model, _ = model_answering(body)
    with pytest.raises(UpstreamUnavailable, match="no choices"):
        model.complete(ASK)


def test_options_reach_the_request():
    """The token limit field, temperature and tools are sent as configured."""
    model, seen = model_answering(
        completion_body({"role": "assistant", "content": "x"}),
        token_limit_parameter="max_tokens",
        temperature=0.0,
    )
    model.complete(ASK, max_tokens=50)
    assert seen[0]["max_tokens"] == 50
    assert "max_completion_tokens" not in seen[0]
    assert seen[0]["temperature"] == 0.0
    assert "tools" not in seen[0]


def test_a_stream_without_a_usage_chunk_is_estimated():
    """Streams from servers that ignore ``include_usage`` still report tokens."""
    chunks = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        for piece in ("Hel", "lo")
    ]
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    model, _ = model_answering(body + b"data: [DONE]\n\n", stream=True)
    *deltas, final = list(model.stream(ASK))
    assert [d.text for d in deltas if isinstance(d, TextDelta)] == ["Hel", "lo"]
    assert isinstance(final, Completion)
    assert final.content == "Hello"
    assert final.finish_reason is FinishReason.STOP
    assert final.usage.completion_tokens > 0


def test_an_empty_model_name_is_refused():
    """The adapter needs a model name."""
    with (
        openai.OpenAI(api_key="x", base_url="http://fake/v1") as client,
        pytest.raises(ConfigurationError),
    ):
        OpenAIChatModel(client, model=" ")
