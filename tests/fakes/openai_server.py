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

Chat completions (``POST /v1/chat/completions``, reference §3.6) answer from a script: queue
replies with ``server.script_chat(content=..., tool_calls=[("name", '{"json": "args"}')])``; each
request takes the next one (with none queued, the reply echoes the last user message). With
``"stream": true`` the reply is sent as server-sent events the way OpenAI does: a role chunk, the
content in small pieces, each tool call as a first delta with its id and name and then fragments of
its arguments (concatenated by ``index``), a final chunk with ``finish_reason``, a usage chunk with
empty ``choices`` when ``stream_options.include_usage`` is set, and ``data: [DONE]``.
``broken_stream_next()`` cuts a stream short with a chunk that is not JSON; ``stream_error_next()``
sends an ``{"error": ...}`` event in the middle of a stream. Requests are checked like OpenAI does:
a model, messages with known roles, every tool message answering an earlier tool call.

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
from typing import Any

from fakes.loopback import LoopbackServer

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


@dataclass(frozen=True)
class ScriptedChat:
    """A chat completion the fake will answer: text and/or tool calls ``(name, arguments)``."""

    content: str | None
    tool_calls: tuple[tuple[str, str], ...]
    finish_reason: str | None = None
    usage: tuple[int, int] | None = None


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


class FakeOpenAIServer(LoopbackServer):
    """A threaded HTTP server on 127.0.0.1 (a free port) speaking OpenAI's wire format."""

    _thread_name = "fake-openai"

    def __init__(
        self,
        *,
        api_key: str = "sk-fake-test-key",
        models: Mapping[str, int] | None = None,
    ) -> None:
        """``models`` maps each served embedding model to its native dimensions."""
        self.api_key = api_key
        self.models: dict[str, int] = dict(NATIVE_DIMENSIONS if models is None else models)
        self.routes: dict[tuple[str, str], Route] = {
            ("POST", "/v1/embeddings"): self._embeddings,
            ("POST", "/v1/chat/completions"): self._chat_completions,
        }
        self._chat_script: deque[ScriptedChat] = deque()
        self._stream_faults: deque[str] = deque()
        self.requests: list[RecordedRequest] = []
        self._faults: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._chat_counter = 0

    # ------------------------------------------------------------------ lifecycle
    def _make_server(self) -> ThreadingHTTPServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Stay quiet: tests read ``server.requests`` instead."""

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        return httpd

    @property
    def base_url(self) -> str:
        """The ``base_url`` to give the SDK, e.g. ``http://127.0.0.1:43117/v1``."""
        return f"{self.origin}/v1"

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
        """Forget the recorded requests and drop the faults and scripted replies not yet served."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._chat_script.clear()
            self._stream_faults.clear()

    # ------------------------------------------------------------------ scripting chat
    def script_chat(
        self,
        content: str | None = None,
        *,
        tool_calls: list[tuple[str, str]] | None = None,
        finish_reason: str | None = None,
        usage: tuple[int, int] | None = None,
    ) -> None:
        """Queue the reply of a later chat completion: text, tool calls ``(name, arguments)``."""
        with self._lock:
            self._chat_script.append(
                ScriptedChat(content, tuple(tool_calls or ()), finish_reason, usage)
            )

    def broken_stream_next(self) -> None:
        """Cut the next streamed chat completion short with a chunk that is not JSON."""
        with self._lock:
            self._stream_faults.append("broken")

    def stream_error_next(self) -> None:
        """Send an ``{"error": ...}`` event in the middle of the next streamed chat completion."""
        with self._lock:
            self._stream_faults.append("error")

    def _chat_completions(self, request: RecordedRequest) -> Reply:
        body = request.body
        problem = _chat_problem(body)
        if problem is not None:
            return problem
        with self._lock:
            scripted = self._chat_script.popleft() if self._chat_script else None
            fault = (
                self._stream_faults.popleft()
                if body.get("stream") and self._stream_faults
                else None
            )
        if scripted is None:
            last = next(
                (m.get("content") for m in reversed(body["messages"]) if m.get("role") == "user"),
                "",
            )
            scripted = ScriptedChat(f"You said: {last}", ())
        model = body["model"]
        prompt = _tokens(json.dumps(body["messages"]))
        completion_tokens = _tokens(
            (scripted.content or "") + "".join(name + args for name, args in scripted.tool_calls)
        )
        usage = scripted.usage or (prompt, completion_tokens)
        finish = scripted.finish_reason or ("tool_calls" if scripted.tool_calls else "stop")
        self._chat_counter += 1
        ident = f"chatcmpl-fake{self._chat_counter}"
        calls = [
            {
                "id": f"call_fake{self._chat_counter}_{i}",
                "type": "function",
                "function": {"name": name, "arguments": args},
            }
            for i, (name, args) in enumerate(scripted.tool_calls)
        ]
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return _chat_stream(
                ident,
                model,
                scripted.content,
                calls,
                finish,
                usage if include_usage else None,
                fault,
            )
        message: dict[str, Any] = {
            "role": "assistant",
            "content": scripted.content,
            "refusal": None,
        }
        if calls:
            message["tool_calls"] = calls
        return Reply.json(
            200,
            {
                "id": ident,
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": model,
                "choices": [
                    {"index": 0, "finish_reason": finish, "logprobs": None, "message": message}
                ],
                "usage": {
                    "prompt_tokens": usage[0],
                    "completion_tokens": usage[1],
                    "total_tokens": usage[0] + usage[1],
                },
                "system_fingerprint": None,
            },
        )

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


_CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


def _chat_problem(body: dict[str, Any]) -> Reply | None:  # noqa: PLR0911 - one answer per flaw
    """OpenAI's 400 for a malformed chat request, or None."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return error_reply(400, "you must provide a model parameter", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return error_reply(400, "'$.messages' is invalid.", param="messages")
    called: set[str] = set()
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _CHAT_ROLES:
            return error_reply(400, f"'$.messages[{index}].role' is invalid.", param="messages")
        for call in message.get("tool_calls") or ():
            called.add(call.get("id"))
            function = call.get("function") or {}
            if call.get("type") != "function" or not isinstance(function.get("arguments"), str):
                return error_reply(400, f"'$.messages[{index}].tool_calls' is invalid.")
        if message["role"] == "tool" and message.get("tool_call_id") not in called:
            return error_reply(
                400,
                "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                "message with 'tool_calls'.",
                param=f"messages.[{index}].role",
            )
    for tool in body.get("tools") or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            tool.get("type") != "function"
            or not isinstance(function, dict)
            or not function.get("name")
        ):
            return error_reply(400, "'$.tools' is invalid.", param="tools")
    return None


def _sse(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _chat_stream(  # noqa: PLR0917 - the parts of one streamed reply
    ident: str,
    model: str,
    content: str | None,
    calls: list[dict[str, Any]],
    finish: str,
    usage: tuple[int, int] | None,
    fault: str | None,
) -> Reply:
    """A streamed chat completion as OpenAI sends it (server-sent events)."""

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        return _sse(
            {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": model,
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
                ],
            }
        )

    events = [chunk({"role": "assistant", "content": ""})]
    text = content or ""
    events.extend(chunk({"content": text[i : i + 5]}) for i in range(0, len(text), 5))
    if fault == "broken":
        events.append(b'data: {"id": "cut", "choices": [\n\n')
        return Reply(200, b"".join(events), {"content-type": "text/event-stream"})
    if fault == "error":
        events.append(
            _sse(
                {
                    "error": {
                        "message": "The server had an error while processing your request.",
                        "type": "server_error",
                    }
                }
            )
        )
        return Reply(200, b"".join(events), {"content-type": "text/event-stream"})
    for index, call in enumerate(calls):
        arguments = call["function"]["arguments"]
        events.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        step = max(1, len(arguments) // 3)
        events.extend(
            chunk(
                {
                    "tool_calls": [
                        {"index": index, "function": {"arguments": arguments[i : i + step]}}
                    ]
                }
            )
            for i in range(0, len(arguments), step)
        )
    events.append(chunk({}, finish))
    if usage is not None:
        events.append(
            _sse(
                {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": 1_700_000_000,
                    "model": model,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": usage[0],
                        "completion_tokens": usage[1],
                        "total_tokens": usage[0] + usage[1],
                    },
                }
            )
        )
    events.append(b"data: [DONE]\n\n")
    return Reply(200, b"".join(events), {"content-type": "text/event-stream"})
