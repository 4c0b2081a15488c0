"""``Idempotency-Key`` on create endpoints: a retried request gets the first answer again.

A route opts in with ``opt={"idempotency": True}`` (``IDEMPOTENT``); the key is then optional for
the client, and honoured when sent. The rules are the core's (``jobraker_core.idempotency``):

- keys are per user, so the middleware authenticates the caller first (the same cached
  authentication the guards use); without a valid token it steps aside and the route's guard
  answers 401;
- the request's fingerprint is the SHA-256 of its method, path with query string and raw body;
- first use of a key: the handler runs and its final status, a few headers (``Content-Type``,
  ``Location``, ``ETag``) and its body are stored;
- same key, same request: the stored response is sent again, with ``Idempotent-Replayed: true``,
  and the handler does not run;
- same key, another request: 422; same key while the first is still running: 409;
- a 5xx answer, an exception, or a refusal that may pass (401, 403, 408, 425, 429) frees the key,
  so a retry runs anew.

If storing the final response fails (the database went away after the handler succeeded), the
client still gets its answer; the key stays claimed until its lease ends (409 to a retry before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

import structlog
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType

from jobraker_core.errors import JobrakerError
from jobraker_core.idempotency import (
    HEADER,
    MAX_STORED_BODY,
    IdempotencyClaim,
    IdempotentRequests,
    StoredResponse,
    request_fingerprint,
)
from jobraker_http.auth import authenticate

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

    from jobraker_adapters.container import Container

OPT_KEY: Final = "idempotency"
IDEMPOTENT: Final = {OPT_KEY: True}
REPLAYED_HEADER: Final = "Idempotent-Replayed"
_KEPT_HEADERS: Final = frozenset({b"content-type", b"location", b"etag"})

_log = structlog.get_logger("jobraker.http.idempotency")


def _opted_in(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    opt = getattr(handler, "opt", None) or {}
    return bool(opt.get(OPT_KEY))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _container(scope: Scope) -> Container:
    return cast("Container", scope["app"].state.container)


async def _read_body(receive: Receive, limit: int) -> tuple[list[ReceiveMessage], bytes, bool]:
    """Read the request body (past ``limit`` it stops): its messages, bytes, and completeness."""
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return messages, b"".join(chunks), True
        if size > limit:
            return messages, b"".join(chunks), False


def _replaying(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then the real ones."""
    pending = list(messages)

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return cast("Receive", replay)


async def _send_stored(send: Send, response: StoredResponse) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers
    ]
    headers += [
        (b"content-length", str(len(response.body)).encode("ascii")),
        (REPLAYED_HEADER.lower().encode("ascii"), b"true"),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


class _Recorder:
    """Wraps ``send`` and keeps the response's status, kept headers and body (to a limit)."""

    def __init__(self, send: Send, limit: int) -> None:
        self._send = send
        self._limit = limit
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [
                (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
                for name, value in message.get("headers", ())
                if bytes(name).lower() in _KEPT_HEADERS
            ]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            self.size += len(body)
            if self.size <= self._limit:
                self.chunks.append(body)
            self.complete = not message.get("more_body", False)
        await self._send(message)

    def response(self) -> StoredResponse | None:
        """The full response, or None when it did not complete or is too large to keep."""
        if self.status is None or not self.complete or self.size > self._limit:
            return None
        return StoredResponse(self.status, b"".join(self.chunks), tuple(self.headers))


class IdempotencyMiddleware:
    """The ASGI middleware of ``Idempotency-Key`` (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap a route's ASGI app."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the route, replaying or storing its answer when the request carries a key."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        if key is None or not _opted_in(scope):
            await self.app(scope, receive, send)
            return
        try:
            caller = await authenticate(ASGIConnection(scope, receive))
        except JobrakerError:
            await self.app(scope, receive, send)  # the route's guard answers
            return
        container = _container(scope)
        limit = container.settings().max_body_bytes
        messages, body, complete = await _read_body(receive, limit)
        receive = _replaying(messages, receive)
        if not complete:  # too large (Litestar answers 413) or the client left
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if query := scope.get("query_string", b""):
            path += "?" + query.decode("latin-1")
        fingerprint = request_fingerprint(scope["method"], path, body)
        service: IdempotentRequests = await sync_to_thread(container.idempotent_requests)
        outcome = await sync_to_thread(service.begin, caller.principal.user_id, key, fingerprint)
        if isinstance(outcome, StoredResponse):
            await _send_stored(send, outcome)
            return
        await self._run(scope, receive, send, service, outcome)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        service: IdempotentRequests,
        claim: IdempotencyClaim,
    ) -> None:
        recorder = _Recorder(send, MAX_STORED_BODY)
        try:
            await self.app(scope, receive, cast("Send", recorder))
        except BaseException:
            await sync_to_thread(service.abandon, claim)
            raise
        response = recorder.response()
        try:
            if response is None:
                await sync_to_thread(service.abandon, claim)
            else:
                await sync_to_thread(service.finish, claim, response)
        except JobrakerError as error:
            _log.warning(
                "could not store the response of an idempotent request",
                header=HEADER,
                error=f"{type(error).__name__}: {error.message}",
            )
