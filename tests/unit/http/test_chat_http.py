"""The assistant over HTTP and the WebSocket, on the memory container with the local model."""

from __future__ import annotations

import pytest
from auth_helpers import bearer, log_in
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_adapters.container import Settings, build_memory_container
from jobraker_core.matching.use_cases import UploadResumeCommand
from jobraker_core.rate_limits import Rate
from jobraker_http import create_app
from jobraker_http.auth import WS_UNAUTHENTICATED
from unit.assistant.chat_world import POSTINGS, world

MESSAGES = "/api/v1/chat/messages/"
CONVERSATIONS = "/api/v1/chat/conversations/"


@pytest.fixture
def chat_container():
    """A memory container with the chat world's jobs."""
    return world()


@pytest.fixture
def app_client(chat_container):
    """A test client over the chat container."""
    with TestClient(create_app(chat_container)) as client:
        yield client


@pytest.fixture
def person(chat_container):
    """A signed-in person with the sample résumé: (user id, auth headers, access token)."""
    user_id, tokens = log_in(chat_container)
    chat_container.upload_resume()(
        UploadResumeCommand(user_id=user_id, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    return user_id, bearer(tokens.access_token), tokens.access_token


def test_a_message_starts_a_conversation_and_gets_a_grounded_answer(app_client, person):
    """POST answers with the reply, the tool it ran and the conversation it started."""
    _, headers, _ = person
    response = app_client.post(
        MESSAGES, json={"content": "Find python jobs in London"}, headers=headers
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["tools"] == [
        {
            "name": "search_jobs",
            "status": "done",
            "summary": "found 1 job(s) for 'python' in London",
            "proposal_id": None,
        }
    ]
    assert "Senior Python Developer at Acme Ltd" in data["message"]["content"]
    assert data["message"]["role"] == "assistant"
    assert data["conversation"]["message_count"] == 4
    assert data["cost_usd"] == "0.000000"
    follow = app_client.post(
        MESSAGES,
        json={
            "content": "why is the first one a match?",
            "conversation_id": data["conversation"]["id"],
        },
        headers=headers,
    ).json()["data"]
    assert follow["conversation"]["id"] == data["conversation"]["id"]
    assert "Senior Python Developer" in follow["message"]["content"]


def test_conversations_are_listed_read_and_deleted(app_client, person, chat_container):
    """The list pages, the history is oldest first with tool messages, delete answers 204."""
    _, headers, _ = person
    first = app_client.post(MESSAGES, json={"content": "hello"}, headers=headers).json()["data"]
    chat_container.clock().advance(minutes=1)
    app_client.post(MESSAGES, json={"content": "find nurse jobs"}, headers=headers)
    listed = app_client.get(CONVERSATIONS, params={"per_page": 1}, headers=headers).json()
    assert listed["meta"]["pagination"]["total"] == 2
    assert listed["data"][0]["title"] == "find nurse jobs"
    url = f"{CONVERSATIONS}{first['conversation']['id']}/"
    history = app_client.get(url, headers=headers).json()
    assert [m["role"] for m in history["data"]["messages"]] == ["user", "assistant"]
    assert history["data"]["messages"][0]["content"] == "hello"
    assert app_client.delete(url, headers=headers).status_code == 204
    assert app_client.get(url, headers=headers).status_code == 404


def test_another_persons_conversation_is_404(app_client, person, chat_container):
    """Reading, continuing or deleting someone else's conversation answers 404."""
    _, headers, _ = person
    mine = app_client.post(MESSAGES, json={"content": "hello"}, headers=headers).json()["data"]
    conversation = mine["conversation"]["id"]
    _, other = log_in(chat_container)
    theirs = bearer(other.access_token)
    assert app_client.get(f"{CONVERSATIONS}{conversation}/", headers=theirs).status_code == 404
    assert app_client.delete(f"{CONVERSATIONS}{conversation}/", headers=theirs).status_code == 404
    refused = app_client.post(
        MESSAGES, json={"content": "hi", "conversation_id": conversation}, headers=theirs
    )
    assert refused.status_code == 404
    assert app_client.get(f"{CONVERSATIONS}not-an-id/", headers=theirs).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"content": ""},
        {"content": "x" * 8001},
        {"content": "hi", "role": "system"},
        {"content": 5},
        {"content": "hi", "conversation_id": "x" * 65},
    ],
)
def test_bad_bodies_are_refused(app_client, person, body):
    """Missing, empty, oversized, mistyped content and unknown fields answer 4xx."""
    _, headers, _ = person
    response = app_client.post(MESSAGES, json=body, headers=headers)
    assert 400 <= response.status_code < 500
    assert response.status_code != 404


def test_chat_needs_a_token(app_client):
    """Every chat route answers 401 without a bearer token."""
    assert app_client.post(MESSAGES, json={"content": "hi"}).status_code == 401
    assert app_client.get(CONVERSATIONS).status_code == 401


def test_the_chat_rate_limit_answers_429():
    """Over ``JOBRAKER_CHAT_RATE_LIMIT`` the next message is refused with Retry-After."""
    settings = Settings(
        data_dir=build_memory_container().settings().data_dir,
        chat_rate=Rate(limit=2, window_seconds=3600),
    )
    container = world(build_memory_container(settings))
    _, tokens = log_in(container)
    with TestClient(create_app(container)) as client:
        headers = bearer(tokens.access_token)
        for _ in range(2):
            assert (
                client.post(MESSAGES, json={"content": "hello"}, headers=headers).status_code == 201
            )
        refused = client.post(MESSAGES, json={"content": "hello"}, headers=headers)
    assert refused.status_code == 429
    assert "at most 2 requests to the assistant" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) > 0


def test_the_socket_streams_tool_activity_text_and_the_reply(app_client, person):
    """Tool frames, then deltas adding up to the answer, then the reply; the socket stays open."""
    _, _, token = person
    with app_client.websocket_connect("/ws/chat/", subprotocols=["bearer", token]) as socket:
        socket.send_json({"content": "Find python jobs in London"})
        frames = []
        while not frames or frames[-1]["type"] not in {"done", "error"}:
            frames.append(socket.receive_json())
        kinds = [f["type"] for f in frames]
        assert kinds[:2] == ["tool", "tool"]
        assert [frames[0]["status"], frames[1]["status"]] == ["running", "done"]
        assert kinds[-1] == "done"
        text = "".join(f["text"] for f in frames if f["type"] == "delta")
        assert text == frames[-1]["message"]["content"]
        assert "Senior Python Developer at Acme Ltd" in text
        conversation = frames[-1]["conversation"]["id"]
        socket.send_json(
            {"content": "why is the first one a match?", "conversation_id": conversation}
        )
        follow = []
        while not follow or follow[-1]["type"] not in {"done", "error"}:
            follow.append(socket.receive_json())
        assert follow[-1]["conversation"]["id"] == conversation
        assert f"{POSTINGS[0].title} at Acme Ltd" in follow[-1]["message"]["content"]


def test_the_socket_reports_bad_frames_and_keeps_going(app_client, person):
    """A frame that is not a message gets an error frame with a problem document."""
    _, _, token = person
    with app_client.websocket_connect(f"/ws/chat/?token={token}") as socket:
        socket.send_text("not json")
        error = socket.receive_json()
        assert error["type"] == "error"
        assert error["problem"]["status"] in {400, 422}
        socket.send_json({"content": "hello"})
        frames = [socket.receive_json()]
        while frames[-1]["type"] != "done":
            frames.append(socket.receive_json())


def test_the_socket_needs_a_token(app_client):
    """Without a valid token the handshake closes with 4401."""
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        app_client.websocket_connect("/ws/chat/?token=junk") as socket,
    ):
        socket.receive_json()
    assert closed.value.code == WS_UNAUTHENTICATED


def test_a_spent_budget_is_an_error_frame_on_the_socket():
    """Over the monthly token budget the socket answers a 429 problem and stays open."""
    settings = Settings(
        data_dir=build_memory_container().settings().data_dir, llm_monthly_tokens=100
    )
    container = world(build_memory_container(settings))
    _, tokens = log_in(container)
    with (
        TestClient(create_app(container)) as client,
        client.websocket_connect(f"/ws/chat/?token={tokens.access_token}") as socket,
    ):
        socket.send_json({"content": "hello"})
        first = [socket.receive_json()]
        while first[-1]["type"] not in {"done", "error"}:
            first.append(socket.receive_json())
        assert first[-1]["type"] == "done"
        socket.send_json({"content": "hello again"})
        refused = socket.receive_json()
        assert refused["type"] == "error"
        assert refused["problem"]["status"] == 429
        assert "budget of 100 tokens" in refused["problem"]["detail"]
