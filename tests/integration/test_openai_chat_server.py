"""``OpenAIChatModel`` through the real SDK against the local fake OpenAI server.

Plain and streamed completions, tool calls (assembled from stream deltas by index), retries that
honour ``Retry-After``, and every failure translated into the core's error tree.
"""

from __future__ import annotations

import socket

import openai
import pytest

from fakes.openai_server import FakeOpenAIServer
from jobraker_adapters.llm.openai_chat import OpenAIChatModel
from jobraker_core.assistant.language_model import (
    Completion,
    FinishReason,
    Message,
    Role,
    TextDelta,
    ToolCall,
    ToolSpec,
)
from jobraker_core.errors import (
    ConfigurationError,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)

pytestmark = pytest.mark.integration

SEARCH = ToolSpec(
    "search_jobs",
    "Search jobs",
    {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
)
ASK = [Message(Role.SYSTEM, "You help."), Message(Role.USER, "Find python jobs")]


@pytest.fixture(scope="module")
def server():
    """One fake OpenAI server for the module."""
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def fake(server):
    """The module's server with nothing recorded, queued or scripted."""
    server.reset()
    return server


@pytest.fixture
def client(fake):
    """A real SDK client on the fake server, retrying twice."""
    with openai.OpenAI(api_key=fake.api_key, base_url=fake.base_url, max_retries=2) as sdk:
        yield sdk


@pytest.fixture
def model(client):
    """The adapter under test."""
    return OpenAIChatModel(client, model="gpt-test")


def _streamed(model, messages, **options):
    """The deltas' text and the final completion of a stream."""
    events = list(model.stream(messages, **options))
    assert all(isinstance(e, TextDelta) for e in events[:-1])
    assert isinstance(events[-1], Completion)
    return "".join(e.text for e in events[:-1]), events[-1]


def test_a_plain_answer_comes_back_with_the_servers_usage(model, fake):
    """Text, ``stop``, the token counts the server reported, and the request in wire format."""
    fake.script_chat("Here are two jobs.", usage=(42, 7))
    completion = model.complete(ASK, tools=[SEARCH], max_tokens=300)
    assert completion.content == "Here are two jobs."
    assert completion.tool_calls == ()
    assert completion.finish_reason is FinishReason.STOP
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (42, 7)
    sent = fake.requests_to("/v1/chat/completions")[-1].body
    assert sent["model"] == "gpt-test"
    assert sent["messages"] == [
        {"role": "system", "content": "You help."},
        {"role": "user", "content": "Find python jobs"},
    ]
    assert sent["tools"][0] == {
        "type": "function",
        "function": {
            "name": "search_jobs",
            "description": "Search jobs",
            "parameters": SEARCH.parameters,
        },
    }
    assert sent["max_completion_tokens"] == 300
    assert sent["stream"] is False


def test_tool_calls_come_back_with_their_raw_arguments(model, fake):
    """Tool calls keep the model's argument text, even when it is not valid JSON."""
    fake.script_chat(tool_calls=[("search_jobs", '{"query": "python"}'), ("search_jobs", "{oops")])
    completion = model.complete(ASK, tools=[SEARCH])
    assert completion.finish_reason is FinishReason.TOOL_CALLS
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [
        ("search_jobs", '{"query": "python"}'),
        ("search_jobs", "{oops"),
    ]


def test_a_tool_round_trip_is_sent_in_wire_format(model, fake):
    """An assistant tool-call message and the tool's answer are accepted by the server."""
    history = [
        *ASK,
        Message(Role.ASSISTANT, None, (ToolCall("call_1", "search_jobs", '{"query":"python"}'),)),
        Message(Role.TOOL, '{"jobs": []}', tool_call_id="call_1"),
    ]
    fake.script_chat("No jobs found.")
    assert model.complete(history, tools=[SEARCH]).content == "No jobs found."
    sent = fake.requests_to("/v1/chat/completions")[-1].body["messages"]
    assert sent[2]["tool_calls"][0]["function"] == {
        "name": "search_jobs",
        "arguments": '{"query":"python"}',
    }
    assert sent[3] == {"role": "tool", "content": '{"jobs": []}', "tool_call_id": "call_1"}


def test_a_streamed_answer_arrives_in_pieces_then_whole(model, fake):
    """Deltas add up to the text; the final completion carries it and the usage chunk's counts."""
    fake.script_chat("Three python jobs match in Leeds.", usage=(30, 9))
    text, completion = _streamed(model, ASK, tools=[SEARCH])
    assert text == completion.content == "Three python jobs match in Leeds."
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (30, 9)
    sent = fake.requests_to("/v1/chat/completions")[-1].body
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}


def test_streamed_tool_calls_are_assembled_by_index(model, fake):
    """Each call's id and name come first, its arguments in fragments; all are joined by index."""
    fake.script_chat(
        tool_calls=[
            ("search_jobs", '{"query": "python developer", "location": "Leeds"}'),
            ("recommend_jobs", '{"limit": 3}'),
        ]
    )
    text, completion = _streamed(model, ASK, tools=[SEARCH])
    assert text == ""
    assert completion.finish_reason is FinishReason.TOOL_CALLS
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [
        ("search_jobs", '{"query": "python developer", "location": "Leeds"}'),
        ("recommend_jobs", '{"limit": 3}'),
    ]
    assert all(c.id.startswith("call_fake") for c in completion.tool_calls)


def test_a_429_with_retry_after_is_retried(model, fake):
    """Two 429s with ``retry-after`` are waited out; the third attempt answers."""
    fake.rate_limit_next(times=2, retry_after="0.01")
    fake.script_chat("Done.")
    assert model.complete(ASK).content == "Done."
    attempts = fake.requests_to("/v1/chat/completions")
    assert [r.headers.get("x-stainless-retry-count") for r in attempts] == ["0", "1", "2"]


def test_a_stream_is_retried_before_it_starts(model, fake):
    """A 503 before the first byte of a stream is retried like any request."""
    fake.fail_next(503)
    fake.script_chat("Streamed after a retry.")
    text, _ = _streamed(model, ASK)
    assert text == "Streamed after a retry."


def test_rate_limits_that_persist_become_rate_limited(model, fake):
    """After the retries, a 429 is ``RateLimited`` with the server's wait."""
    fake.rate_limit_next(times=3, retry_after="0.02")
    with pytest.raises(RateLimited) as raised:
        model.complete(ASK)
    assert raised.value.retry_after == pytest.approx(0.02)
    assert raised.value.service == "openai"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_that_persist_become_unavailable(model, fake, status):
    """5xx after the retries is ``UpstreamUnavailable``."""
    fake.fail_next(status, times=3)
    with pytest.raises(UpstreamUnavailable, match=str(status)):
        model.complete(ASK)


def test_a_bad_key_is_a_configuration_error(fake):
    """401 is not retried and says the credentials were refused."""
    with (
        openai.OpenAI(api_key="sk-wrong", base_url=fake.base_url, max_retries=2) as sdk,
        pytest.raises(ConfigurationError, match="chat server refused our credentials"),
    ):
        OpenAIChatModel(sdk, model="gpt-test").complete(ASK)
    assert len(fake.requests_to("/v1/chat/completions")) == 1


def test_a_refused_request_is_rejected_not_retried(model, fake):
    """A 400 (a tool answer without its call) is ``UpstreamRejected`` after one attempt."""
    orphan = [*ASK, Message(Role.TOOL, "{}", tool_call_id="call_missing")]
    with pytest.raises(UpstreamRejected, match="400"):
        model.complete(orphan)
    assert len(fake.requests_to("/v1/chat/completions")) == 1


def test_a_body_that_is_not_json_is_unavailable(model, fake):
    """A 200 with a cut JSON body is ``UpstreamUnavailable``."""
    fake.malformed_next(times=3)
    with pytest.raises(UpstreamUnavailable):
        model.complete(ASK)


def test_a_stream_cut_short_is_unavailable(model, fake):
    """A stream whose chunk is not JSON raises after the deltas already sent."""
    fake.script_chat("Partial answer that breaks")
    fake.broken_stream_next()
    with pytest.raises(UpstreamUnavailable):
        list(model.stream(ASK))


def test_an_error_event_inside_a_stream_is_unavailable(model, fake):
    """An ``{"error": ...}`` event in the stream becomes ``UpstreamUnavailable``."""
    fake.script_chat("This will fail midway")
    fake.stream_error_next()
    with pytest.raises(UpstreamUnavailable):
        list(model.stream(ASK))


def test_an_unreachable_server_is_unavailable():
    """Nothing listening: the connection error becomes ``UpstreamUnavailable``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        openai.OpenAI(
            api_key="sk-x", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0, timeout=2
        ) as sdk,
        pytest.raises(UpstreamUnavailable, match="unreachable"),
    ):
        OpenAIChatModel(sdk, model="gpt-test").complete(ASK)
