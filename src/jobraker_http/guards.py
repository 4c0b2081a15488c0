"""Route guards: every route handler declares exactly one of them.

``public``, ``requires_user`` or ``requires_admin``; ``tests/unit/http/test_guards_inventory.py``
fails for a route with none (or two).

- ``public``: anyone, no token needed (probes, the API docs, register/login/refresh);
- ``requires_user``: a valid access token of an active user (401 otherwise);
- ``requires_admin``: the same, and the user's current role is ``admin`` (403 otherwise).

Put the guard on the handler (``@get(..., guards=[requires_user])``) or on the router that
groups handlers; what counts is what ``handler.resolve_guards()`` returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from litestar.enums import ScopeType

from jobraker_core.errors import Forbidden
from jobraker_http.auth import authenticate, authenticate_websocket, websocket_refusal

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Guard


async def public(_connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Let anyone in: the route needs no credentials."""


def _is_websocket(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.scope["type"] == ScopeType.WEBSOCKET


async def requires_user(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Let in the holders of a valid access token; ``Unauthenticated`` (401) otherwise."""
    if _is_websocket(connection):
        await authenticate_websocket(connection)
    else:
        await authenticate(connection)


async def requires_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Let in admins only: 401 without a valid token, 403 for a user who is not an admin."""
    if _is_websocket(connection):
        caller = await authenticate_websocket(connection)
    else:
        caller = await authenticate(connection)
    if not caller.principal.is_admin:
        refused = Forbidden("this needs an administrator")
        if _is_websocket(connection):
            raise websocket_refusal(refused) or refused
        raise refused


ACCESS_GUARDS: Final[tuple[Guard, ...]] = (public, requires_user, requires_admin)


def access_guards_of(handler: BaseRouteHandler) -> list[Guard]:
    """The access guards ``handler`` resolves to (exactly one on a correctly declared route)."""
    return [guard for guard in handler.resolve_guards() if guard in ACCESS_GUARDS]
