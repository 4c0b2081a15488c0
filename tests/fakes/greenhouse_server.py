"""A fake Greenhouse Job Board API: a real HTTP server on 127.0.0.1 in its documented shape.

It serves ``GET /v1/boards/{board}/jobs`` (``content=true`` adds the HTML-escaped ``content``),
answering ``{"jobs": [...], "meta": {"total": n}}`` for the boards it was given and 404
``{"status": 404, "error": "Job not found"}`` for any other board. Faults can be programmed for
the next responses (5xx, 429 with ``Retry-After``, malformed JSON). Every request is recorded.

``FakeBoardServer`` is the server part shared with the fake Lever API (``fakes.lever_server``).
"""

from __future__ import annotations

import html
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackServer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    path: str
    query: dict[str, str]


@dataclass(frozen=True)
class Fault:
    """A programmed misbehaviour for one response."""

    status: int
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)


Answer = tuple[int, object]


class FakeBoardServer(LoopbackServer):
    """A local HTTP server answering GETs with ``route(path, query)``, faults first."""

    def __init__(self, route: Callable[[str, dict[str, str]], Answer]) -> None:
        """Serve ``route``'s answers once started."""
        self._route = route
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []

    @property
    def base_url(self) -> str:
        """The server's base URL (``http://127.0.0.1:<port>``)."""
        return self.origin

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far."""
        with self._lock:
            return list(self._requests)

    def fail_next(self, count: int = 1, *, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status``."""
        self._add([Fault(status, b'{"error": "fake failure"}')] * count)

    def rate_limit_next(self, count: int = 1, *, retry_after: str = "1") -> None:
        """Answer the next ``count`` requests with 429 and ``Retry-After``."""
        self._add([Fault(429, b"{}", {"Retry-After": retry_after})] * count)

    def malformed_next(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with a body that is not JSON."""
        self._add([Fault(200, b"{not json")] * count)

    def _add(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults.extend(faults)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _make_server(self) -> ThreadingHTTPServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Stay quiet."""

            def do_GET(self) -> None:
                """Answer a fault, else the route's answer."""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                owner._record(RecordedRequest(parts.path, query))
                fault = owner._next_fault()
                if fault is not None:
                    self._send(fault.status, fault.body, fault.headers)
                    return
                status, body = owner._route(parts.path, query)
                self._send(status, json.dumps(body).encode(), {})

            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        return server


_TITLES = ("Backend Engineer", "Data Scientist", "Product Designer", "Site Reliability Engineer")
_PLACES = ("San Francisco, CA", "London, United Kingdom", "Remote - US", "Berlin, Germany")


def make_greenhouse_jobs(
    board: str, count: int, *, company: str | None = None
) -> list[dict[str, Any]]:
    """Return ``count`` deterministic jobs of ``board`` in the Job Board API's documented shape.

    ``content`` is HTML-escaped HTML; every second job carries a pay range and an employment type
    in ``metadata``; ``company_name`` is set when ``company`` is given.
    """
    jobs: list[dict[str, Any]] = []
    for n in range(count):
        title = _TITLES[n % len(_TITLES)]
        body = (
            f"<p>Join <strong>{board}</strong> as a {title}.</p>"
            "<ul><li>Python and SQL</li><li>Kubernetes</li></ul>"
            f"<p>Posting {n} &amp; more.</p>"
        )
        job: dict[str, Any] = {
            "id": 4_100_000 + n,
            "internal_job_id": 3_000 + n,
            "title": title,
            "updated_at": f"2026-01-{10 + n % 15:02d}T09:30:00-05:00",
            "requisition_id": f"REQ-{n}",
            "location": {"name": _PLACES[n % len(_PLACES)]},
            "absolute_url": f"https://boards.greenhouse.io/{board}/jobs/{4_100_000 + n}",
            "metadata": None,
            "content": html.escape(body),
            "departments": [{"id": 10, "name": "Engineering", "parent_id": None, "child_ids": []}],
            "offices": [{"id": 20, "name": _PLACES[n % len(_PLACES)], "location": None}],
        }
        if company is not None:
            job["company_name"] = company
        if n % 2 == 0:
            job["metadata"] = [
                {
                    "id": 1,
                    "name": "Employment Type",
                    "value": "Full-time",
                    "value_type": "single_select",
                }
            ]
            job["pay_input_ranges"] = [
                {
                    "min_cents": 12_000_000,
                    "max_cents": 15_000_000,
                    "currency_type": "USD",
                    "title": "Base",
                    "blurb": None,
                }
            ]
        jobs.append(job)
    return jobs


class FakeGreenhouseServer(FakeBoardServer):
    """The fake Job Board API over ``boards`` (board short name -> its jobs)."""

    def __init__(self, boards: dict[str, list[dict[str, Any]]]) -> None:
        """Serve these boards; any other board is 404."""
        self.boards = boards
        super().__init__(self._answer)

    def _answer(self, path: str, query: dict[str, str]) -> Answer:
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["v1", "boards"] or parts[3] != "jobs":
            return 404, {"status": 404, "error": "Not found"}
        jobs = self.boards.get(parts[2])
        if jobs is None:
            return 404, {"status": 404, "error": "Job not found"}
        if query.get("content") != "true":
            jobs = [{k: v for k, v in job.items() if k != "content"} for job in jobs]
        return 200, {"jobs": jobs, "meta": {"total": len(jobs)}}


@contextmanager
def running_fake_greenhouse(
    boards: dict[str, list[dict[str, Any]]],
) -> Iterator[FakeGreenhouseServer]:
    """Run a fake Greenhouse API over ``boards`` for the length of the block."""
    with FakeGreenhouseServer(boards) as server:
        yield server
