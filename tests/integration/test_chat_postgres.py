"""The assistant on the production container: PostgreSQL, Redis, the local model, the socket."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_core.matching.use_cases import UploadResumeCommand
from jobraker_core.usage import UsageKind
from jobraker_http import create_app
from unit.assistant.chat_world import POSTINGS
from unit.http.auth_helpers import bearer, log_in

pytestmark = pytest.mark.integration


@pytest.fixture
def client(pg_container):
    """The API over the production container, with the chat world's jobs stored and embedded."""
    pg_container.migrate()
    with pg_container.uow()() as uow:
        uow.jobs.save(list(POSTINGS))
        uow.commit()
    pg_container.embed_jobs()()
    with TestClient(create_app(pg_container)) as test_client:
        yield test_client


def _frames(socket):
    """The frames of one turn, up to its ``done`` or ``error``."""
    frames = [socket.receive_json()]
    while frames[-1]["type"] not in {"done", "error"}:
        frames.append(socket.receive_json())
    return frames


def test_a_conversation_over_the_socket_is_stored_in_postgres(client, pg_container):
    """Two turns over the socket; the history, the usage ledger and deletion work on PostgreSQL."""
    user_id, tokens = log_in(pg_container)
    pg_container.upload_resume()(
        UploadResumeCommand(user_id=user_id, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    with client.websocket_connect(
        "/ws/chat/", subprotocols=["bearer", tokens.access_token]
    ) as socket:
        socket.send_json({"content": "Find python jobs in London"})
        first = _frames(socket)[-1]
        assert "Senior Python Developer at Acme Ltd" in first["message"]["content"]
        conversation = first["conversation"]["id"]
        socket.send_json(
            {"content": "why is the first one a good match?", "conversation_id": conversation}
        )
        second = _frames(socket)[-1]
    expected = pg_container.explain_match()(user_id, POSTINGS[0].id)
    assert f"scores {round(expected.score)}/100 for you" in second["message"]["content"]
    headers = bearer(tokens.access_token)
    history = client.get(f"/api/v1/chat/conversations/{conversation}/", headers=headers).json()
    assert [m["role"] for m in history["data"]["messages"]] == [
        "user",
        "assistant",
        "tool",
        "assistant",
    ] * 2
    with pg_container.uow()() as uow:
        entries = uow.usage.for_subject(user_id, f"message:{second['message']['id']}")
    assert {e.kind for e in entries} == {UsageKind.PROMPT_TOKENS, UsageKind.COMPLETION_TOKENS}
    assert (
        client.delete(f"/api/v1/chat/conversations/{conversation}/", headers=headers).status_code
        == 204
    )
    listed = client.get("/api/v1/chat/conversations/", headers=headers).json()
    assert listed["meta"]["pagination"]["total"] == 0
