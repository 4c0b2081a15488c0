"""A fake Skyvern API: a real HTTP server on 127.0.0.1 speaking integrations.md §2.

Routes (all require ``x-api-key``; FastAPI-style errors ``{"detail": ...}``):

- ``POST /v1/run/tasks`` (``TaskRunRequest``; ``prompt`` required, 422 otherwise) →
  ``{"run_id": "tsk_v2_<n>", "status": "queued", ...}`` (the ``TaskRunResponse`` shape);
- ``GET /v1/runs/{id}`` → the run; every read moves it one step on: queued → running → (after
  ``running_polls`` reads) its scripted end; 404 ``Task run not found <id>`` for unknown ids;
- ``POST /v1/runs/{id}/cancel`` → ``canceled`` (400 when the run has ended already).

Outcomes are scriptable per run (``script_next``): ``CONFIRMED`` (completed, the output shows a
confirmation), ``UNCONFIRMED`` (completed, no confirmation), ``CAPTCHA`` (failed with our
``captcha`` error code), ``UNANSWERABLE`` (failed, ``question_not_answerable``), ``TIMED_OUT``.

Faults replace (``when="before"``) or follow (``when="after"``: the request is processed, then
the answer is lost) the next answers: HTTP status, 429 with ``Retry-After``, malformed JSON, a
hang past the client's timeout, a huge body, a redirect.

When a run ends and it has a ``webhook_url``, the fake calls it like Skyvern does (§2.5, §2.6):
the merged task + run payload, serialised and signed byte for byte as ``sign_payload`` shows, up
to 3 attempts. ``signed_webhook(run_id)`` gives the same body and headers to a test directly.

No pytest here: ``with FakeSkyvernServer() as fake: ...``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

API_KEY = "sk-fake-skyvern-0123456789abcdef"
FIRST_RUN_NUMBER = 490440779503357994
TERMINAL = frozenset({"completed", "failed", "terminated", "canceled", "timed_out"})


# ----------------------------------------------------------------------------- §2.6 signing


def normalize(value: Any) -> Any:
    """Skyvern's normalisation before signing: every integral float becomes an int, recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    return value


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes Skyvern sends (and signs) for ``payload``."""
    text = json.dumps(normalize(payload), separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def sign_payload(payload: dict[str, Any], api_key: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a Skyvern callback carrying ``payload``, signed with ``api_key``.

    The timestamp is computed as Skyvern does (``datetime.utcnow().timestamp()``, written without
    the deprecated call) and is not part of the signature.
    """
    body = payload_bytes(payload)
    signature = hmac.new(api_key.encode("utf-8"), body, hashlib.sha256).hexdigest()
    timestamp = str(int(datetime.now(UTC).replace(tzinfo=None).timestamp()))
    headers = {
        "x-skyvern-timestamp": timestamp,
        "x-skyvern-signature": signature,
        "Content-Type": "application/json",
    }
    return body, headers


# ----------------------------------------------------------------------------- runs


class Outcome(StrEnum):
    """How a scripted run ends."""

    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"
    CAPTCHA = "captcha"
    UNANSWERABLE = "unanswerable"
    TIMED_OUT = "timed_out"


def _naive_now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


@dataclass
class Run:
    """One run the fake holds."""

    run_id: str
    request: dict[str, Any]
    outcome: Outcome
    number: int
    status: str = "queued"
    polls: int = 0
    created_at: str = field(default_factory=_naive_now)
    modified_at: str = field(default_factory=_naive_now)
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def terminal(self) -> bool:
        """Whether the run has ended."""
        return self.status in TERMINAL

    def end(self) -> None:
        """Reach the scripted end."""
        self.started_at = self.started_at or _naive_now()
        self.status = {
            Outcome.CONFIRMED: "completed",
            Outcome.UNCONFIRMED: "completed",
            Outcome.CAPTCHA: "failed",
            Outcome.UNANSWERABLE: "failed",
            Outcome.TIMED_OUT: "timed_out",
        }[self.outcome]
        self.finished_at = _naive_now()
        self.modified_at = self.finished_at

    def output(self) -> Any:
        """The run's ``output`` (None until it has ended)."""
        if self.status == "completed" and self.outcome is Outcome.CONFIRMED:
            return {
                "application_submitted": True,
                "confirmation_number": f"APP-{self.number}",
                "confirmation_message": "Merci ! Votre candidature a été reçue — réf. envoyée.",
            }
        if self.status == "completed":
            return {
                "application_submitted": False,
                "confirmation_number": None,
                "confirmation_message": None,
            }
        if self.status == "failed":
            code = "captcha" if self.outcome is Outcome.CAPTCHA else "question_not_answerable"
            return {"error": code}
        return None

    def failure_reason(self) -> str | None:
        """Why the run failed, in Skyvern's words."""
        if self.status == "failed" and self.outcome is Outcome.CAPTCHA:
            return "Reached a CAPTCHA on the application page; terminating."
        if self.status == "failed":
            return "The form asks for a security clearance level that is not provided."
        if self.status == "timed_out":
            return "Reached the maximum steps (40) without completing the goal."
        if self.status == "canceled":
            return "Run canceled by user"
        return None

    def step_count(self) -> int | None:
        """Steps taken so far."""
        return None if self.status == "queued" else 3 + self.polls

    def response(self, base: str) -> dict[str, Any]:
        """The ``TaskRunResponse`` of §2.2."""
        errors: list[dict[str, Any]] = []
        if self.status == "failed":
            errors.append(
                {
                    "error_code": self.output()["error"],
                    "reasoning": self.failure_reason(),
                    "confidence_float": 0.92,
                }
            )
        return {
            "run_id": self.run_id,
            "run_type": "task_v2",
            "status": self.status,
            "output": self.output(),
            "downloaded_files": None,
            "recording_url": None,
            "recording_archived": False,
            "screenshot_urls": None,
            "failure_reason": self.failure_reason(),
            "errors": errors or None,
            "step_count": self.step_count(),
            "created_at": self.created_at + "Z",
            "modified_at": self.modified_at + "Z",
            "queued_at": self.created_at + "Z",
            "started_at": self.started_at + "Z" if self.started_at else None,
            "finished_at": self.finished_at + "Z" if self.finished_at else None,
            "app_url": f"{base}/runs/wr_{self.number}",
            "browser_session_id": None,
            "browser_profile_id": None,
            "max_screenshot_scrolls": None,
            "script_run": None,
            "run_request": self.request,
        }

    def webhook_payload(self, base: str) -> dict[str, Any]:
        """The merged legacy-task + run payload of §2.5 (naive timestamps, both ids)."""
        output = self.output()
        return {
            "run_id": self.run_id,
            "task_id": self.run_id,
            "status": self.status,
            "output": output,
            "summary": f"Run {self.status}.",
            "prompt": self.request.get("prompt"),
            "url": self.request.get("url"),
            "downloaded_files": [],
            "recording_url": f"{base}/recordings/{self.number}.webm",
            "screenshot_urls": [f"{base}/screenshots/{self.number}.png"],
            "failure_reason": self.failure_reason(),
            "errors": [],
            "step_count": float(self.step_count() or 0),  # integral float: normalised to int
            "run_type": "task_v2",
            "app_url": f"{base}/runs/wr_{self.number}",
            "organization_id": "o_fake",
            "workflow_run_id": f"wr_{self.number}",
            "workflow_id": f"w_{self.number}",
            "workflow_permanent_id": f"wpid_{self.number}",
            "proxy_location": "RESIDENTIAL",
            "webhook_callback_url": self.request.get("webhook_url"),
            "webhook_failure_reason": None,
            "confidence": 0.875,
            "created_at": self.created_at,
            "modified_at": self.modified_at,
            "queued_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


# ----------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """A programmed misbehaviour for one answer."""

    kind: str  # status | rate_limit | malformed | hang | huge | redirect
    when: str = "before"  # before: instead of processing; after: processed, then the answer lost
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    size: int = 0


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Delivery:
    """One webhook attempt: where, what, and the answer (status, or the error's name)."""

    url: str
    body: bytes
    headers: dict[str, str]
    result: int | str


@dataclass
class _State:
    api_key: str
    webhook_key: str
    running_polls: int
    default_outcome: Outcome
    webhook_backoff: float
    task_answer_delay: float = 0.0
    runs: dict[str, Run] = field(default_factory=dict)
    script: list[Outcome] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    next_number: int = FIRST_RUN_NUMBER
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    senders: list[threading.Thread] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        del format, args

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        path = self.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        with fake.state.lock:
            fake.state.requests.append(RecordedRequest(method, path, headers, body))
            fault = fake.state.faults.pop(0) if fake.state.faults else None
        if fault is not None and fault.when == "before" and self._misbehave(fault):
            return
        status, payload = fake.route(method, path, headers, body)
        if method == "POST" and path == "/v1/run/tasks" and fake.state.task_answer_delay > 0:
            fake.state.stopping.wait(fake.state.task_answer_delay)  # the run exists meanwhile
        if fault is not None and fault.when == "after":
            self._misbehave(fault)
            return
        self._json(status, payload)

    def _misbehave(self, fault: Fault) -> bool:
        """Answer with the fault; return True when the response is complete."""
        state = self.server.fake.state
        if fault.kind == "status":
            self._json(fault.status, {"detail": "Internal Server Error"})
            return True
        if fault.kind == "rate_limit":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._json(429, {"detail": "Rate limit exceeded"}, headers)
            return True
        if fault.kind == "malformed":
            self._raw(200, b'{"run_id": "tsk_v2_1", "status": "queu')
            return True
        if fault.kind == "huge":
            self._raw(200, b'{"run_id": "' + b"x" * fault.size + b'"}')
            return True
        if fault.kind == "redirect":
            self._raw(302, b"", {"Location": "https://elsewhere.example/v1/run/tasks"})
            return True
        if fault.kind == "hang":
            state.stopping.wait(fault.seconds)
            # when the request was processed, its answer never comes; otherwise it is answered
            # normally, long after the client gave up
            return fault.when == "after"
        msg = f"unknown fault {fault.kind}"
        raise ValueError(msg)

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(body).encode(), headers)

    def _raw(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client hung up (after a timeout): nothing to tell it
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeSkyvernServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet about clients that hung up."""
        del request, client_address


class FakeSkyvernServer:
    """A fake Skyvern on ``127.0.0.1`` (a free port), serving in a background thread.

    ``running_polls``: how many reads a run stays ``running`` before it ends. ``webhook_key``
    signs callbacks (default: the API key, as Skyvern does). ``webhook_backoff``: seconds
    between delivery attempts (Skyvern: 1 s·2^n; short here). ``task_answer_delay``: seconds
    between creating a run and answering its ``POST`` (a window for crashes to fall into).
    """

    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        webhook_key: str | None = None,
        running_polls: int = 1,
        default_outcome: Outcome = Outcome.CONFIRMED,
        webhook_backoff: float = 0.05,
        task_answer_delay: float = 0.0,
    ) -> None:
        """Prepare the server; ``start`` binds and serves."""
        self.state = _State(
            api_key=api_key,
            webhook_key=webhook_key or api_key,
            running_polls=running_polls,
            default_outcome=default_outcome,
            webhook_backoff=webhook_backoff,
            task_answer_delay=task_answer_delay,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------ configuration

    @property
    def api_key(self) -> str:
        """The API key the server accepts."""
        return self.state.api_key

    @property
    def base_url(self) -> str:
        """The root to configure as ``SKYVERN_BASE_URL``."""
        if self._server is None:
            msg = "the fake Skyvern server is not running"
            raise RuntimeError(msg)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script_next(self, *outcomes: Outcome) -> None:
        """The next runs created end with these outcomes, in order (then the default)."""
        with self.state.lock:
            self.state.script.extend(outcomes)

    def _add(self, *faults: Fault) -> None:
        with self.state.lock:
            self.state.faults.extend(faults)

    def fail_next(self, count: int = 1, *, status: int = 500, when: str = "before") -> None:
        """Answer the next ``count`` requests with HTTP ``status``."""
        self._add(*(Fault("status", when=when, status=status) for _ in range(count)))

    def rate_limit_next(self, count: int = 1, *, retry_after: str | None = "1") -> None:
        """Answer the next ``count`` requests with 429 and this ``Retry-After`` (None: none)."""
        self._add(*(Fault("rate_limit", retry_after=retry_after) for _ in range(count)))

    def malformed_next(self, count: int = 1, *, when: str = "before") -> None:
        """Answer the next ``count`` requests with 200 and a truncated JSON body."""
        self._add(*(Fault("malformed", when=when) for _ in range(count)))

    def hang_next(self, count: int = 1, *, seconds: float = 5.0, when: str = "before") -> None:
        """Hold the next ``count`` answers for ``seconds`` (or until stop)."""
        self._add(*(Fault("hang", when=when, seconds=seconds) for _ in range(count)))

    def huge_next(self, count: int = 1, *, size: int = 5 * 1024 * 1024) -> None:
        """Answer the next ``count`` requests with a 200 body of about ``size`` bytes."""
        self._add(*(Fault("huge", size=size) for _ in range(count)))

    def redirect_next(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with a 302 to another host."""
        self._add(*(Fault("redirect") for _ in range(count)))

    # ------------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order."""
        with self.state.lock:
            return list(self.state.requests)

    def task_requests(self) -> list[RecordedRequest]:
        """The ``POST /v1/run/tasks`` requests received so far."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/v1/run/tasks"]

    @property
    def runs(self) -> dict[str, Run]:
        """The runs created so far, by id."""
        with self.state.lock:
            return dict(self.state.runs)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook attempt so far."""
        with self.state.lock:
            return list(self.state.deliveries)

    def signed_webhook(self, run_id: str) -> tuple[bytes, dict[str, str]]:
        """The callback body and headers Skyvern would send for the run now."""
        with self.state.lock:
            payload = self.state.runs[run_id].webhook_payload(self._public)
        return sign_payload(payload, self.state.webhook_key)

    # ------------------------------------------------------------------------ control

    def advance(self, run_id: str) -> None:
        """Move one run one step on (as a read does), sending its webhook if it ends."""
        with self.state.lock:
            run = self.state.runs[run_id]
            ended = self._step(run)
        if ended:
            self._send_webhook(run_id)

    def finish(self, run_id: str) -> None:
        """End a run now with its scripted outcome (and send its webhook)."""
        with self.state.lock:
            run = self.state.runs[run_id]
            if run.terminal:
                return
            run.end()
        self._send_webhook(run_id)

    def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Wait until every webhook sender has finished."""
        with self.state.lock:
            senders = list(self.state.senders)
        for sender in senders:
            sender.join(timeout)

    def _step(self, run: Run) -> bool:
        """Advance ``run`` (lock held); True when it has just ended."""
        if run.terminal:
            return False
        run.polls += 1
        if run.status == "queued":
            run.status = "running"
            run.started_at = _naive_now()
            run.modified_at = run.started_at
            return False
        if run.polls > self.state.running_polls:
            run.end()
            return True
        return False

    @property
    def _public(self) -> str:
        return "https://app.skyvern.fake"

    # ------------------------------------------------------------------------ routes

    def route(
        self, method: str, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, object]:
        """Answer one request (status, JSON body)."""
        if headers.get("x-api-key") != self.state.api_key:
            return 403, {"detail": "Could not validate credentials"}
        segments = path.strip("/").split("/")
        if method == "POST" and segments == ["v1", "run", "tasks"]:
            return self._create(body)
        if method == "GET" and len(segments) == 3 and segments[:2] == ["v1", "runs"]:
            return self._read(segments[2])
        if (
            method == "POST"
            and len(segments) == 4
            and segments[:2] == ["v1", "runs"]
            and segments[3] == "cancel"
        ):
            return self._cancel(segments[2])
        return 404, {"detail": "Not Found"}

    def _create(self, body: Any) -> tuple[int, object]:
        if not isinstance(body, dict):
            return 422, {
                "detail": [{"loc": ["body"], "msg": "Input should be an object", "type": "dict"}]
            }
        if not isinstance(body.get("prompt"), str):
            return 422, {
                "detail": [{"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"}]
            }
        steps = body.get("max_steps")
        if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool)):
            return 422, {
                "detail": [
                    {
                        "loc": ["body", "max_steps"],
                        "msg": "Input should be an integer",
                        "type": "int",
                    }
                ]
            }
        with self.state.lock:
            number = self.state.next_number
            self.state.next_number += 1
            outcome = self.state.script.pop(0) if self.state.script else self.state.default_outcome
            run = Run(f"tsk_v2_{number}", dict(body), outcome, number)
            self.state.runs[run.run_id] = run
            return 200, run.response(self._public)

    def _read(self, run_id: str) -> tuple[int, object]:
        with self.state.lock:
            run = self.state.runs.get(run_id)
            if run is None:
                return 404, {"detail": f"Task run not found {run_id}"}
            ended = self._step(run)
            response = run.response(self._public)
        if ended:
            self._send_webhook(run_id)
        return 200, response

    def _cancel(self, run_id: str) -> tuple[int, object]:
        with self.state.lock:
            run = self.state.runs.get(run_id)
            if run is None:
                return 404, {"detail": f"Task run not found {run_id}"}
            if run.terminal:
                return 400, {"detail": f"Run {run_id} has already finished ({run.status})"}
            run.status = "canceled"
            run.finished_at = _naive_now()
            run.modified_at = run.finished_at
        self._send_webhook(run_id)
        return 200, None

    # ------------------------------------------------------------------------ webhooks

    def _send_webhook(self, run_id: str) -> None:
        with self.state.lock:
            run = self.state.runs[run_id]
            url = run.request.get("webhook_url")
            if not isinstance(url, str) or not url:
                return
            payload = run.webhook_payload(self._public)
        body, headers = sign_payload(payload, self.state.webhook_key)
        sender = threading.Thread(
            target=self._deliver, args=(url, body, headers), name="fake-skyvern-webhook"
        )
        sender.daemon = True
        with self.state.lock:
            self.state.senders.append(sender)
        sender.start()

    def _deliver(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        """Up to 3 attempts, retrying network errors, 5xx, 403, 408, 425 and 429 (§2.5)."""
        for attempt in range(3):
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
            result: int | str
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    result = response.status
            except urllib.error.HTTPError as error:
                result = error.code
            except (urllib.error.URLError, OSError) as error:
                result = type(error).__name__
            with self.state.lock:
                self.state.deliveries.append(Delivery(url, body, headers, result))
            retry = isinstance(result, str) or result >= 500 or result in {403, 408, 425, 429}
            if not retry or self.state.stopping.wait(self.state.webhook_backoff * 2**attempt):
                return

    # ------------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSkyvernServer:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        self.state.stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-skyvern",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hanging requests and close the socket."""
        self.state.stopping.set()
        self.wait_for_webhooks(timeout=5)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes (for background webhooks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
