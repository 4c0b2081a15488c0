"""The chat with ``JOBRAKER_LLM=openai`` against the fake OpenAI server, over HTTP and the socket.

The model's tool calls run the product's use cases; tool results go back in wire format; the
answer streams over ``ws /ws/chat/``; tokens and cost come from the server's usage; a model that
obeys an injected posting changes nothing.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from litestar.testing import TestClient

from fakes.openai_server import FakeOpenAIServer
from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_adapters.container import Settings, build_memory_container
from jobraker_core.matching.use_cases import UploadResumeCommand
from jobraker_core.usage import UsageKind
from jobraker_http import create_app
from unit.assistant.chat_world import POSTINGS, world
from unit.http.auth_helpers import bearer, log_in

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server():
    """One fake OpenAI server for the module."""
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def fake(server):
    """The server with nothing recorded or scripted."""
    server.reset()
    return server


@pytest.fixture
def container(fake, tmp_path):
    """The chat world on a memory container whose model is the fake OpenAI server."""
    settings = Settings(
        data_dir=tmp_path,
        llm="openai",
        openai_api_key=fake.api_key,
        openai_base_url=fake.base_url,
        openai_chat_model="gpt-fake",
    )
    built = world(build_memory_container(settings))
    yield built
    built.shutdown_resources()


@pytest.fixture
def person(container):
    """A signed-in person with the sample résumé: (user id, access token)."""
    user_id, tokens = log_in(container)
    container.upload_resume()(
        UploadResumeCommand(user_id=user_id, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    return user_id, tokens.access_token


def _frames(socket):
    """The frames of one turn, up to its ``done`` or ``error``."""
    frames = [socket.receive_json()]
    while frames[-1]["type"] not in {"done", "error"}:
        frames.append(socket.receive_json())
    return frames


def test_a_tool_call_streams_over_the_socket(container, fake, person):
    """search_jobs runs, its result goes back to the model, the answer streams, cost is kept."""
    user_id, token = person
    fake.script_chat(
        tool_calls=[("search_jobs", '{"query": "python", "location": "London"}')], usage=(400, 20)
    )
    fake.script_chat("One match: Senior Python Developer at Acme Ltd, GBP 60-80k.", usage=(900, 30))
    with (
        TestClient(create_app(container)) as client,
        client.websocket_connect("/ws/chat/", subprotocols=["bearer", token]) as socket,
    ):
        socket.send_json({"content": "Find python jobs in London"})
        frames = _frames(socket)
    assert [(f["type"], f.get("status")) for f in frames if f["type"] == "tool"] == [
        ("tool", "running"),
        ("tool", "done"),
    ]
    deltas = [f["text"] for f in frames if f["type"] == "delta"]
    assert len(deltas) > 1
    done = frames[-1]
    assert done["type"] == "done"
    assert "".join(deltas) == done["message"]["content"]
    assert (done["prompt_tokens"], done["completion_tokens"]) == (1300, 50)
    # 1,300 x $0.25/M + 50 x $2/M
    assert Decimal(done["cost_usd"]) == Decimal("0.000425")
    requests = fake.requests_to("/v1/chat/completions")
    assert [r.body["stream"] for r in requests] == [True, True]
    assert "search_jobs" in [t["function"]["name"] for t in requests[0].body["tools"]]
    tool_message = requests[1].body["messages"][-1]
    assert tool_message["role"] == "tool"
    result = json.loads(tool_message["content"])
    assert result["data_only"] is True
    assert [job["title"] for job in result["result"]["jobs"]] == [POSTINGS[0].title]
    with container.uow()() as uow:
        ledger = uow.usage.for_subject(user_id, f"message:{done['message']['id']}")
    assert {(e.kind, e.quantity) for e in ledger} == {
        (UsageKind.PROMPT_TOKENS, 1300),
        (UsageKind.COMPLETION_TOKENS, 50),
    }


def test_the_http_route_answers_through_the_same_loop(container, fake, person):
    """POST /api/v1/chat/messages/ runs the tool round and answers in one response."""
    _, token = person
    fake.script_chat(tool_calls=[("recommend_jobs", '{"limit": 2}')])
    fake.script_chat("Your two best matches are at Acme and Hooli.")
    with TestClient(create_app(container)) as client:
        response = client.post(
            "/api/v1/chat/messages/",
            json={"content": "recommend me jobs"},
            headers=bearer(token),
        )
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["tools"][0]["name"] == "recommend_jobs"
    assert data["tools"][0]["status"] == "done"
    assert data["message"]["content"] == "Your two best matches are at Acme and Hooli."


def test_a_model_obeying_an_injected_posting_changes_nothing(container, fake, person):
    """After reading the injected posting the model calls change tools: none runs."""
    _, token = person
    fake.script_chat(tool_calls=[("get_job", json.dumps({"job_id": str(POSTINGS[4].id)}))])
    fake.script_chat(
        tool_calls=[
            ("propose_status_change", '{"application_id": "x", "status": "withdrawn"}'),
            ("tailor_resume", json.dumps({"job_id": str(POSTINGS[4].id)})),
        ]
    )
    fake.script_chat("Here is the data engineer job.")
    before = dict(container.uow().store.jobs)
    with TestClient(create_app(container)) as client:
        data = client.post(
            "/api/v1/chat/messages/",
            json={"content": "tell me about the data engineer job"},
            headers=bearer(token),
        ).json()["data"]
    assert [(t["name"], t["status"]) for t in data["tools"]] == [
        ("get_job", "done"),
        ("propose_status_change", "refused"),
        ("tailor_resume", "refused"),
    ]
    assert data["proposals"] == []
    assert not container.uow().store.assistant.proposals
    assert dict(container.uow().store.jobs) == before
    posting = fake.requests_to("/v1/chat/completions")[1].body["messages"][-1]["content"]
    assert "IGNORE ALL PREVIOUS INSTRUCTIONS" in posting  # the model saw it, as data


def test_an_unavailable_model_is_an_error_frame(container, fake, person):
    """The server failing after retries gives an error frame (503); the socket stays usable."""
    _, token = person
    fake.fail_next(503, times=5)
    with (
        TestClient(create_app(container)) as client,
        client.websocket_connect(f"/ws/chat/?token={token}") as socket,
    ):
        socket.send_json({"content": "hello"})
        error = _frames(socket)[-1]
        assert error["type"] == "error"
        assert error["problem"]["status"] == 503
        fake.reset()
        fake.script_chat("Back again.")
        socket.send_json({"content": "hello"})
        assert _frames(socket)[-1]["message"]["content"] == "Back again."
