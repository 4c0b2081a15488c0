"""A local fake of the OpenAI HTTP API, for testing adapters over a real socket.

It follows the documented wire format (integration reference §3.5) closely enough that the real
``openai`` SDK cannot tell the difference, and it is programmable:

- ``server.requests`` records every request (method, path, headers, decoded JSON body);
- ``server.fail_next(...)`` queues faults that replace the next answers, whatever the route: N x 429
  with ``retry-after``, 5xx, a 200 whose body is not JSON (``malformed_next``);
- routes live in ``server.routes``, a dict from ``(method, path)`` to a handler, so another endpoint
  (``/v1/chat/completions``, say) is one more entry: ``server.routes["POST", "/v1/chat/completions"]
  = handler``, where a handler takes the ``RecordedRequest`` and returns a ``Reply``.

Embeddings are deterministic: a signed hashing of the input's lower-cased words into the requested
number of dimensions, L2-normalised, so equal texts give equal vectors and texts sharing words are
closer than texts that share none. ``encoding_format="base64"`` returns each vector as base64 of
little-endian float32, as OpenAI does; anything else returns JSON floats. The limits are enforced as
OpenAI states them: 2,048 inputs, 8,192 tokens an input, 300,000 tokens a request (tokens counted
here as characters / 4, the usual rule of thumb for English).

Use it as a context manager::

    with FakeOpenAIServer() as server:
        client = OpenAI(api_key=server.api_key, base_url=server.base_url)
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

MAX_INPUTS = 2048
MAX_INPUT_TOKENS = 8192
MAX_REQUEST_TOKENS = 300_000
NATIVE_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
SHORTENABLE = frozenset({"text-embedding-3-small", "text-embedding-3-large"})
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    """The decoded JSON body, or the raw text when it was not JSON."""


@dataclass(frozen=True)
class Reply:
    """What a route (or a fault) answers."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON reply."""
        return cls(
            status,
            json.dumps(payload).encode(),
            {"content-type": "application/json", **(headers or {})},
        )


Route = Callable[[RecordedRequest], Reply]


def error_reply(
    status: int,
    message: str,
    *,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A reply carrying OpenAI's error body ``{"error": {"message", "type", "param", "code"}}``."""
    error = {"message": message, "type": type_, "param": param, "code": code}
    return Reply.json(status, {"error": error}, headers)


def fake_embedding(text: str, dimensions: int) -> list[float]:
    """The fake's deterministic unit vector for ``text``: signed hashing of its words."""
    vector = [0.0] * dimensions
    features = _WORD.findall(text.lower()) or [text]
    for feature in features:
        digest = hashlib.blake2b(feature.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        vector[value % dimensions] += -1.0 if value >> 63 else 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:  # every word cancelled out: any fixed unit vector will do
        vector[0], norm = 1.0, 1.0
    return [x / norm for x in vector]


def encode_base64(vector: list[float]) -> str:
    """Base64 of the vector as little-endian float32, OpenAI's ``encoding_format="base64"``."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


class FakeOpenAIServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) speaking OpenAI's wire format."""

    def __init__(
        self,
        *,
        api_key: str = "sk-fake-test-key",
        models: Mapping[str, int] | None = None,
    ) -> None:
        """``models`` maps each served embedding model to its native dimensions."""
        self.api_key = api_key
        self.models: dict[str, int] = dict(NATIVE_DIMENSIONS if models is None else models)
        self.routes: dict[tuple[str, str], Route] = {("POST", "/v1/embeddings"): self._embeddings}
        self.requests: list[RecordedRequest] = []
        self._faults: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Start serving in a background thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Stay quiet: tests read ``server.requests`` instead."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give the SDK, e.g. ``http://127.0.0.1:43117/v1``."""
        if self._httpd is None:
            raise RuntimeError("the fake server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    # ------------------------------------------------------------------ programming faults
    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        message: str = "fault injected by the fake server",
        type_: str = "server_error",
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` and an OpenAI error body."""
        reply = error_reply(status, message, type_=type_, code=code, headers=headers)
        with self._lock:
            self._faults.extend([reply] * times)

    def rate_limit_next(self, *, times: int = 1, retry_after: str = "0.01") -> None:
        """Answer the next ``times`` requests with 429 and ``retry-after: <retry_after>``."""
        self.fail_next(
            429,
            times=times,
            message="Rate limit reached for requests",
            type_="requests",
            code="rate_limit_exceeded",
            headers={"retry-after": retry_after},
        )

    def malformed_next(self, *, times: int = 1) -> None:
        """Answer the next ``times`` requests with a 200 whose JSON body is cut short."""
        reply = Reply(200, b'{"object": "list", "data": [', {"content-type": "application/json"})
        with self._lock:
            self._faults.extend([reply] * times)

    def reset(self) -> None:
        """Forget the recorded requests and drop the faults not yet served."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    # ------------------------------------------------------------------ what was asked
    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests whose path is ``path``."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    # ------------------------------------------------------------------ serving
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        path = handler.path.split("?", 1)[0]
        request = RecordedRequest(
            handler.command, path, {k.lower(): v for k, v in handler.headers.items()}, body
        )
        with self._lock:
            self.requests.append(request)
            fault = self._faults.popleft() if self._faults else None
        reply = fault or self._route(request)
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("content-length", str(len(reply.body)))
        handler.send_header("x-request-id", f"req_fake_{len(self.requests)}")
        handler.end_headers()
        handler.wfile.write(reply.body)

    def _route(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            presented = request.headers.get("authorization", "").removeprefix("Bearer ")
            return error_reply(
                401,
                f"Incorrect API key provided: {presented[:8]}***. You can find your API key "
                "in your account settings.",
                code="invalid_api_key",
            )
        route = self.routes.get((request.method, request.path))
        if route is None:
            return error_reply(404, f"Invalid URL ({request.method} {request.path})")
        if not isinstance(request.body, dict):
            return error_reply(400, "We could not parse the JSON body of your request.")
        return route(request)

    def _embeddings(self, request: RecordedRequest) -> Reply:
        body = request.body
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return error_reply(400, "you must provide a model parameter", param="model")
        if model not in self.models:
            return error_reply(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
        texts = _embedding_inputs(body.get("input"))
        if isinstance(texts, Reply):
            return texts
        options = _embedding_options(body, native=self.models[model])
        if isinstance(options, Reply):
            return options
        dimensions, encoding = options
        data = []
        for index, text in enumerate(texts):
            vector = fake_embedding(text, dimensions)
            embedding: Any = encode_base64(vector) if encoding == "base64" else vector
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        total = sum(_tokens(text) for text in texts)
        usage = {"prompt_tokens": total, "total_tokens": total}
        return Reply.json(200, {"object": "list", "data": data, "model": model, "usage": usage})


def _embedding_options(body: dict[str, Any], *, native: int) -> tuple[int, str] | Reply:
    """The ``(dimensions, encoding_format)`` of an embeddings request, or OpenAI's 400."""
    dimensions = body.get("dimensions", native)
    if "dimensions" in body and body.get("model") not in SHORTENABLE:
        return error_reply(
            400, "This model does not support specifying dimensions.", param="dimensions"
        )
    if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
        return error_reply(400, "'$.dimensions' is invalid.", param="dimensions")
    encoding = body.get("encoding_format", "float")
    if encoding not in {"float", "base64"}:
        return error_reply(400, "'$.encoding_format' is invalid.", param="encoding_format")
    return dimensions, encoding


def _embedding_inputs(inputs: Any) -> list[str] | Reply:
    """The texts of an embeddings request's ``input``, or the 400 OpenAI gives for it."""
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        return error_reply(400, "'$.input' is invalid.", param="input")
    if len(inputs) > MAX_INPUTS:
        return error_reply(
            400,
            f"'$.input' is invalid: at most {MAX_INPUTS} inputs per request, got {len(inputs)}.",
            param="input",
        )
    texts: list[str] = []
    for item in inputs:
        text = item
        if isinstance(item, list) and all(isinstance(token, int) for token in item):
            text = " ".join(str(token) for token in item)  # token arrays: any stable text
        if not isinstance(text, str) or not text:
            return error_reply(400, "'$.input' is invalid: not a non-empty string.", param="input")
        if _tokens(text) > MAX_INPUT_TOKENS:
            return error_reply(
                400,
                f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however "
                f"you requested {_tokens(text)} tokens. Please reduce your prompt.",
                param="input",
            )
        texts.append(text)
    total = sum(_tokens(text) for text in texts)
    if total > MAX_REQUEST_TOKENS:
        return error_reply(
            400,
            f"Requested {total} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
            param="input",
            code="max_tokens_per_request",
        )
    return texts
