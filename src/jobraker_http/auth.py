"""Authentication at the HTTP edge: bearer access tokens → the caller's ``Principal``.

Handlers that need the caller declare a parameter ``principal: Principal`` (the dependency is
registered app-wide); ``access_claims: AccessClaims`` gives the verified token itself (logout
needs its id and session). Either one authenticates the request if its guard has not already:
the result is kept in the request's scope state, so a request is authenticated once.

Where the token comes from:

- HTTP: ``Authorization: Bearer <token>`` only (never a query parameter: URLs end up in logs);
- WebSocket (browsers cannot set headers there): the ``Authorization`` header, else the
  ``Sec-WebSocket-Protocol`` offer ``bearer, <token>`` (accept the socket with subprotocol
  ``bearer``), else a ``token`` query parameter.

Every failure is ``Unauthenticated`` (401 with ``WWW-Authenticate: Bearer``), mapped in
``jobraker_http.errors``. On a WebSocket, where there is no response to map to, the guards close
the handshake instead: 4401 (unauthenticated), 4403 (forbidden) or 1013 (try again later, when
the token could not be checked). A WebSocket handler behind ``requires_user`` gets its caller
with ``authenticated_of(socket)`` and accepts with ``websocket_subprotocol(socket)``.

The checks themselves are the core's ``Authenticate`` use case; it does blocking I/O
(PostgreSQL, Redis), so it runs in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

from litestar import Request  # noqa: TC002 - Litestar reads the annotations at runtime
from litestar.concurrency import sync_to_thread
from litestar.enums import ScopeType
from litestar.exceptions import WebSocketException

from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.model import AccessClaims
from jobraker_core.accounts.use_cases import Authenticated
from jobraker_core.errors import Forbidden, JobrakerError, Unauthenticated, UpstreamUnavailable
from jobraker_http.protection import client_address

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection

    from jobraker_adapters.container import Container

BEARER_SUBPROTOCOL: Final = "bearer"
WS_UNAUTHENTICATED: Final = 4401
WS_FORBIDDEN: Final = 4403
WS_TRY_AGAIN_LATER: Final = 1013
_STATE_KEY: Final = "jobraker.authenticated"
_MAX_TOKEN_LENGTH: Final = 4096
NO_TOKEN: Final = "this needs a bearer access token; log in at POST /api/v1/auth/login/"  # noqa: S105


def _from_authorization(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <access token>'")
    return token.strip()


def _from_subprotocols(value: str | None) -> str | None:
    offered = [item.strip() for item in (value or "").split(",") if item.strip()]
    if BEARER_SUBPROTOCOL in offered:
        position = offered.index(BEARER_SUBPROTOCOL)
        if position + 1 < len(offered):
            return offered[position + 1]
    return None


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The access token the connection presents; ``Unauthenticated`` when there is none."""
    token = _from_authorization(connection.headers.get("authorization"))
    if token is None and connection.scope["type"] == ScopeType.WEBSOCKET:
        token = _from_subprotocols(connection.headers.get("sec-websocket-protocol"))
        token = token or connection.query_params.get("token") or None
    if token is None:
        raise Unauthenticated(NO_TOKEN)
    if len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthenticated("the access token is invalid or has expired")
    return token


def _container(connection: ASGIConnection[Any, Any, Any, Any]) -> Container:
    return cast("Container", connection.app.state.container)


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Authenticated:
    """Authenticate the connection once (the result is kept in its scope state).

    ``Unauthenticated`` when no valid, unrevoked token of an active user comes with it.
    """
    state = connection.scope.setdefault("state", {})
    known = state.get(_STATE_KEY)
    if isinstance(known, Authenticated):
        return known
    token = bearer_token(connection)
    use_case = _container(connection).authenticate()
    result: Authenticated = await sync_to_thread(use_case, token)
    state[_STATE_KEY] = result
    return result


def authenticated_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Authenticated | None:
    """The connection's authentication result if it was authenticated already."""
    known = connection.scope.get("state", {}).get(_STATE_KEY)
    return known if isinstance(known, Authenticated) else None


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The authenticated caller (the ``principal`` dependency)."""
    return (await authenticate(request)).principal


async def provide_access_claims(request: Request[Any, Any, Any]) -> AccessClaims:
    """The verified claims of the caller's access token (the ``access_claims`` dependency)."""
    return (await authenticate(request)).claims


def websocket_refusal(error: JobrakerError) -> WebSocketException | None:
    """The close a WebSocket handshake gets for ``error`` (None: not an access error)."""
    if isinstance(error, Unauthenticated):
        return WebSocketException(detail="unauthenticated", code=WS_UNAUTHENTICATED)
    if isinstance(error, Forbidden):
        return WebSocketException(detail="forbidden", code=WS_FORBIDDEN)
    if isinstance(error, UpstreamUnavailable):
        return WebSocketException(detail="try again later", code=WS_TRY_AGAIN_LATER)
    return None


async def authenticate_websocket(connection: ASGIConnection[Any, Any, Any, Any]) -> Authenticated:
    """``authenticate`` for a WebSocket: failures close the handshake (4401/4403/1013)."""
    try:
        return await authenticate(connection)
    except JobrakerError as error:
        refusal = websocket_refusal(error)
        if refusal is None:
            raise
        raise refusal from error


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    """The client's address: the peer, or ``X-Forwarded-For`` as far as trusted proxies vouch.

    The same reading as the rate limits' (``JOBRAKER_TRUSTED_PROXIES``), so login throttling and
    the audit log see the real client behind a reverse proxy, and nobody else can forge it.
    """
    address = client_address(request.scope, _container(request).settings().trusted_proxies)
    return None if address == "unknown" else address


def websocket_subprotocol(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """``"bearer"`` when the socket offered its token as a subprotocol (accept it with that)."""
    offered = connection.headers.get("sec-websocket-protocol") or ""
    return BEARER_SUBPROTOCOL if _from_subprotocols(offered) else None


__all__ = [
    "authenticate",
    "authenticate_websocket",
    "authenticated_of",
    "bearer_token",
    "client_ip",
    "provide_access_claims",
    "provide_principal",
    "websocket_refusal",
    "websocket_subprotocol",
]
