"""Request context: a request id on every request, every log line and every response.

``RequestContextMiddleware`` wraps the whole Litestar ASGI handler (not one route's stack), so it
sees every response, including the 404/405 answers of the router and the problem responses of
the exception handlers. It

- honours an incoming ``X-Request-ID`` that matches ``^[A-Za-z0-9._-]{1,64}$``, else makes one
  (a uuid4 in hex);
- binds it as ``request_id`` in structlog's context variables for the request, so every line
  logged while serving it (also in the worker thread a sync handler runs in) carries it;
- returns it in the ``X-Request-ID`` response header;
- writes one access line per request: method, path (never the query string, which may carry
  secrets), status and duration in milliseconds. Probe paths (``/health``, ``/ready``) get the
  header but no access line, so probes do not drown the log; ``/health``, which does no I/O and
  logs nothing, skips the context binding too, to stay as cheap as a bare hello-world.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Final

import structlog
from litestar.enums import ScopeType

if TYPE_CHECKING:
    from collections.abc import Mapping

    from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

REQUEST_ID_HEADER: Final = "X-Request-ID"
_HEADER_KEY: Final = REQUEST_ID_HEADER.lower().encode()
_STATE_KEY: Final = "request_id"
_VALID_ID: Final = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
QUIET_PATHS: Final = frozenset({"/health", "/health/", "/ready", "/ready/"})
LIVENESS_PATHS: Final = frozenset({"/health", "/health/"})

_access = structlog.get_logger("jobraker.http.access")


def request_id_of(scope: Mapping[str, object]) -> str | None:
    """Return the id of the request this scope belongs to (None outside the middleware)."""
    state = scope.get("state")
    if isinstance(state, dict):
        value = state.get(_STATE_KEY)
        return value if isinstance(value, str) else None
    return None


def _incoming_id(scope: HTTPScope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_KEY:
            return value.decode("ascii") if _VALID_ID.match(value) else None
    return None


class RequestContextMiddleware:
    """ASGI middleware that gives each HTTP request an id and writes its access line."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection with its request id bound."""
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})[_STATE_KEY] = request_id
        header = (_HEADER_KEY, request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        path = scope["path"]
        if path in LIVENESS_PATHS:  # no I/O and no logging there: spare it the rest
            await self._app(scope, receive, send_with_id)
            return
        started = time.perf_counter()
        # bind/reset rather than ``bound_contextvars``: it snapshots every context variable.
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            if path not in QUIET_PATHS:
                _access.info(
                    "request",
                    method=scope["method"],
                    path=path,
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
            structlog.contextvars.reset_contextvars(**tokens)
