"""WebSocket authentication from the subprotocol offer, the query or the header; 4401/4403."""

from __future__ import annotations

import pytest
from auth_helpers import bearer, log_in
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from jobraker_core.accounts.identity import Role
from jobraker_http import create_app
from jobraker_http.auth import (
    WS_FORBIDDEN,
    WS_UNAUTHENTICATED,
    authenticated_of,
    websocket_subprotocol,
)
from jobraker_http.guards import requires_admin, requires_user


@websocket("/ws/test/whoami", guards=[requires_user])
async def whoami(socket: WebSocket) -> None:  # type: ignore[type-arg]
    """A test-only socket that tells its caller who they are."""
    caller = authenticated_of(socket)
    assert caller is not None
    await socket.accept(subprotocols=websocket_subprotocol(socket))
    await socket.send_json({"user_id": str(caller.principal.user_id)})
    await socket.close()


@websocket("/ws/test/admin", guards=[requires_admin])
async def admin_only(socket: WebSocket) -> None:  # type: ignore[type-arg]
    """A test-only socket for admins."""
    await socket.accept()
    await socket.send_json({"ok": True})
    await socket.close()


@pytest.fixture
def ws_client(container):
    """An app with the test sockets, over the memory container."""
    app = create_app(container)
    app.register(whoami)
    app.register(admin_only)
    with TestClient(app) as client:
        yield client


def test_a_token_in_the_subprotocol_offer(ws_client, container):
    """``Sec-WebSocket-Protocol: bearer, <token>`` authenticates; ``bearer`` is accepted back."""
    user_id, tokens = log_in(container)
    with ws_client.websocket_connect(
        "/ws/test/whoami", subprotocols=["bearer", tokens.access_token]
    ) as socket:
        assert socket.receive_json() == {"user_id": str(user_id)}
        assert socket.accepted_subprotocol == "bearer"


def test_a_token_in_the_query_string_or_header(ws_client, container):
    """The ``token`` query parameter and the ``Authorization`` header work too."""
    user_id, tokens = log_in(container)
    with ws_client.websocket_connect(f"/ws/test/whoami?token={tokens.access_token}") as socket:
        assert socket.receive_json() == {"user_id": str(user_id)}
    with ws_client.websocket_connect(
        "/ws/test/whoami", headers=bearer(tokens.access_token)
    ) as socket:
        assert socket.receive_json() == {"user_id": str(user_id)}


@pytest.mark.parametrize("path", ["/ws/test/whoami", "/ws/test/whoami?token=junk"])
def test_no_or_a_bad_token_closes_with_4401(ws_client, path):
    """Without a valid token the handshake is closed with 4401."""
    with pytest.raises(WebSocketDisconnect) as closed, ws_client.websocket_connect(path) as socket:
        socket.receive_json()
    assert closed.value.code == WS_UNAUTHENTICATED


def test_a_revoked_token_closes_with_4401(ws_client, container):
    """A token revoked by logout no longer opens sockets."""
    _, tokens = log_in(container)
    ws_client.post("/api/v1/auth/logout/", headers=bearer(tokens.access_token))
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        ws_client.websocket_connect(f"/ws/test/whoami?token={tokens.access_token}") as socket,
    ):
        socket.receive_json()
    assert closed.value.code == WS_UNAUTHENTICATED


def test_a_user_at_an_admin_socket_closes_with_4403(ws_client, container):
    """A valid user token at an admin-only socket is closed with 4403; an admin gets in."""
    _, user = log_in(container)
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        ws_client.websocket_connect(f"/ws/test/admin?token={user.access_token}") as socket,
    ):
        socket.receive_json()
    assert closed.value.code == WS_FORBIDDEN
    _, admin = log_in(container, role=Role.ADMIN)
    with ws_client.websocket_connect(f"/ws/test/admin?token={admin.access_token}") as socket:
        assert socket.receive_json() == {"ok": True}
