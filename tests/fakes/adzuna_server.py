"""A fake Adzuna job search API: a real HTTP server on 127.0.0.1 speaking integrations.md §1.

It serves ``GET /v1/api/jobs/{country}/search/{page}``, requires ``app_id``/``app_key`` (401
``AUTH_FAIL`` otherwise), honours ``results_per_page``, ``page``, ``what``, ``where``,
``max_days_old`` and ``sort_by``, and answers in the §1.4 shape: string ids, string
``salary_is_predicted``, ``__CLASS__`` keys, ``<strong>`` highlights in some titles, and some
results without the optional keys. Faults can be programmed for the next responses (5xx, 429 with
``Retry-After``, malformed JSON, a hang beyond the client's timeout). Every request is recorded.

No pytest here: use ``FakeAdzunaServer`` directly (``start``/``stop``, or ``with``), or the
``running_fake_adzuna`` context manager.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackServer, QuietHTTPServer

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

APP_ID = "fake-app-id"
APP_KEY = "fake-app-key-0123456789"
DEFAULT_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
COUNTRIES = (
    "gb",
    "us",
    "at",
    "au",
    "be",
    "br",
    "ca",
    "ch",
    "de",
    "es",
    "fr",
    "in",
    "it",
    "mx",
    "nl",
    "nz",
    "pl",
    "sg",
    "za",
)
DEFAULT_RESULTS_PER_PAGE = 10
MAX_RESULTS_PER_PAGE = 50

_TITLES = (
    "Python Developer",
    "Senior Python Engineer",
    "Data Engineer",
    "Javascript Developer",
    "DevOps Engineer",
    "Backend Developer (Python/Django)",
    "Machine Learning Engineer",
    "Registered Nurse",
    "Warehouse Operative",
    "Accounts Assistant",
    "Site Manager",
    "Customer Service Advisor",
)
_COMPANIES = (
    "Acme Analytics Ltd",
    "Northwind Systems",
    "Globex Corporation",
    "Initech",
    "Umbrella Health",
    "Hooli",
)
_PLACES = {
    "gb": (["UK", "London", "Central London", "City of London"], "City of London, London"),
    "gb2": (["UK", "North West England", "Greater Manchester", "Manchester"], "Manchester"),
    "gb3": (["UK", "Scotland"], "Scotland"),
    "us": (["US", "California", "San Francisco County", "San Francisco"], "San Francisco, CA"),
    "us2": (["US", "Texas", "Travis County", "Austin"], "Austin, Travis County"),
    "us3": (["US", "New York"], "New York"),
}


def make_jobs(country: str, count: int, *, now: datetime = DEFAULT_NOW) -> list[dict[str, Any]]:
    """Return ``count`` deterministic results for ``country`` in Adzuna's §1.4 shape.

    Every third result lacks the optional keys (company, salary, contract, lat/long); every fourth
    title carries ``<strong>`` highlights; salaries alternate stated and predicted; the n-th
    result was created 7n hours before ``now``.
    """
    jobs: list[dict[str, Any]] = []
    for n in range(count):
        title = _TITLES[n % len(_TITLES)]
        if n % 4 == 1:
            first, _, rest = title.partition(" ")
            title = f"<strong>{first}</strong> {rest}".strip()
        area, display = _PLACES.get(
            f"{country}{'' if n % 3 == 0 else n % 3 + 1}",
            _PLACES.get(country, ([country.upper(), "Capital Region", "Capital"], "Capital")),
        )
        job: dict[str, Any] = {
            "__CLASS__": "Adzuna::API::Response::Job",
            "id": f"{4_000_000_000 + COUNTRIES.index(country) * 100_000 + n}"
            if country in COUNTRIES
            else f"{5_000_000_000 + n}",
            "adref": "eyJhbGciOiJIUzI1NiJ9.eyJpIjoiNTcwMTg1NjcyOSJ9.c2lnbmF0dXJl",
            "title": title,
            "description": (
                f"We are hiring a {_TITLES[n % len(_TITLES)]} to join a friendly team. You will "
                "build and run services, work with Python, SQL and cloud tools, and help "
                f"colleagues ship reliable software. Job {n}…"
            ),
            "created": (now - timedelta(hours=7 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "redirect_url": f"https://www.adzuna.example/jobs/land/ad/{n}?se=abc&utm_medium=api&v=1",
            "location": {
                "__CLASS__": "Adzuna::API::Response::Location",
                "display_name": display,
                "area": list(area),
            },
            "category": {
                "__CLASS__": "Adzuna::API::Response::Category",
                "tag": "it-jobs",
                "label": "IT Jobs",
            },
        }
        if n % 3 != 2:
            base = 30_000 + 1_000 * (n % 40)
            job.update(
                {
                    "company": {
                        "__CLASS__": "Adzuna::API::Response::Company",
                        "display_name": _COMPANIES[n % len(_COMPANIES)],
                    },
                    "salary_min": base,
                    "salary_max": base + 5_000 if n % 2 == 0 else base,
                    "salary_is_predicted": "0" if n % 2 == 0 else "1",
                    "contract_type": "contract" if n % 5 == 0 else "permanent",
                    "contract_time": "part_time" if n % 7 == 0 else "full_time",
                    "latitude": 51.5 + n / 1000,
                    "longitude": -0.12 - n / 1000,
                }
            )
        jobs.append(job)
    return jobs


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received: the path and its query (last value of each name)."""

    method: str
    path: str
    query: dict[str, str]

    @property
    def page(self) -> int | None:
        """The page number of a search request."""
        tail = self.path.rstrip("/").rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() else None


@dataclass
class Fault:
    """A programmed misbehaviour for one response."""

    kind: str  # "status", "rate_limit", "malformed", "hang"
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0


@dataclass
class _State:
    jobs: dict[str, list[dict[str, Any]]]
    app_id: str
    app_key: str
    now: datetime
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


def _plain_title(job: dict[str, Any]) -> str:
    return str(job.get("title", "")).replace("<strong>", "").replace("</strong>", "")


def _search(state: _State, country: str, query: dict[str, str]) -> list[dict[str, Any]]:
    jobs = list(state.jobs.get(country, []))
    if words := query.get("what", "").lower().split():
        jobs = [
            j
            for j in jobs
            if all(w in f"{_plain_title(j)} {j.get('description', '')}".lower() for w in words)
        ]
    if where := query.get("where", "").strip().lower():
        jobs = [j for j in jobs if where in json.dumps(j.get("location", {})).lower()]
    if days := query.get("max_days_old"):
        since = state.now - timedelta(days=int(days))
        jobs = [j for j in jobs if datetime.fromisoformat(j["created"]) >= since]
    sort_by = query.get("sort_by", "default")
    if sort_by == "date":
        jobs.sort(key=lambda j: j["created"], reverse=True)
    elif sort_by == "salary":
        jobs.sort(key=lambda j: j.get("salary_max", -1), reverse=True)
    return jobs


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        del format, args

    def do_GET(self) -> None:  # noqa: PLR0911 - one return per answer
        state = self.server.state
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with state.lock:
            state.requests.append(RecordedRequest("GET", parts.path, query))
            fault = state.faults.pop(0) if state.faults else None
        if fault is not None and self._misbehave(fault):
            return
        segments = parts.path.strip("/").split("/")
        if (
            len(segments) == 5  # /v1/api/jobs/{country}/{histogram|history}
            and segments[:3] == ["v1", "api", "jobs"]
            and segments[4] in {"histogram", "history"}
        ):
            self._salary_data(state, segments[3], segments[4], query)
            return
        if len(segments) != 6 or segments[:3] != ["v1", "api", "jobs"] or segments[4] != "search":
            self._json(404, {"exception": "NOT_FOUND", "display": "No such endpoint", "doc": ""})
            return
        if query.get("app_id") != state.app_id or query.get("app_key") != state.app_key:
            self._json(
                401,
                {
                    "exception": "AUTH_FAIL",
                    "display": "Authorisation failed",
                    "doc": "https://api.adzuna.com/v1/doc",
                },
            )
            return
        country, page_text = segments[3], segments[5]
        if country not in COUNTRIES:
            self._json(
                400,
                {
                    "exception": "UNSUPPORTED_COUNTRY",
                    "display": f"Unsupported country '{country}'",
                    "doc": "",
                },
            )
            return
        try:
            page = int(page_text)
            per_page = int(query.get("results_per_page", DEFAULT_RESULTS_PER_PAGE))
        except ValueError:
            self._json(
                400,
                {
                    "exception": "BAD_PARAM",
                    "display": "page and results_per_page must be whole numbers",
                    "doc": "",
                },
            )
            return
        if page < 1 or per_page < 1:
            self._json(
                400,
                {
                    "exception": "BAD_PARAM",
                    "display": "page and results_per_page must be at least 1",
                    "doc": "",
                },
            )
            return
        per_page = min(per_page, MAX_RESULTS_PER_PAGE)
        matches = _search(state, country, query)
        salaries = [j["salary_max"] for j in matches if "salary_max" in j]
        chunk = matches[(page - 1) * per_page : page * per_page]
        self._json(
            200,
            {
                "__CLASS__": "Adzuna::API::Response::JobSearchResults",
                "count": len(matches),
                "mean": round(sum(salaries) / len(salaries), 2) if salaries else 0,
                "results": chunk,
            },
        )

    def _salary_data(self, state: _State, country: str, kind: str, query: dict[str, str]) -> None:
        """§1.5: the salary histogram or monthly history of the jobs matching ``what``.

        Buckets are 10,000 wide (key = lower bound, count as a string, as Adzuna's example);
        history averages each job's salary midpoint by the month it was created, over the last
        ``months`` months. Keys come in descending order (Adzuna's order is not guaranteed).
        """
        if query.get("app_id") != state.app_id or query.get("app_key") != state.app_key:
            failure = {"exception": "AUTH_FAIL", "display": "Authorisation failed", "doc": ""}
            self._json(401, failure)
            return
        if country not in COUNTRIES:
            self._json(400, {"exception": "UNSUPPORTED_COUNTRY", "display": country, "doc": ""})
            return
        found = _search(state, country, {"what": query.get("what", "")})
        paid = [j for j in found if "salary_min" in j]
        if kind == "histogram":
            counts: dict[int, int] = {}
            for job in paid:
                lower = int((job["salary_min"] + job["salary_max"]) / 2) // 10_000 * 10_000
                counts[lower] = counts.get(lower, 0) + 1
            histogram = {str(k): str(v) for k, v in sorted(counts.items(), reverse=True)}
            self._json(
                200, {"__CLASS__": "Adzuna::API::Response::SalaryHistogram", "histogram": histogram}
            )
            return
        months = int(query.get("months", "12"))
        oldest = (state.now - timedelta(days=31 * months)).strftime("%Y-%m")
        by_month: dict[str, list[float]] = {}
        for job in paid:
            month = job["created"][:7]
            if month >= oldest:
                by_month.setdefault(month, []).append((job["salary_min"] + job["salary_max"]) / 2)
        history = {m: round(sum(v) / len(v), 2) for m, v in sorted(by_month.items(), reverse=True)}
        self._json(200, {"__CLASS__": "Adzuna::API::Response::HistoricalSalary", "month": history})

    def _misbehave(self, fault: Fault) -> bool:
        """Answer with the fault; return True when the response is complete."""
        if fault.kind == "status":
            self._json(
                fault.status, {"exception": "SERVER_ERROR", "display": "Try again later", "doc": ""}
            )
            return True
        if fault.kind == "rate_limit":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._json(
                429, {"exception": "RATE_LIMIT", "display": "Too many requests", "doc": ""}, headers
            )
            return True
        if fault.kind == "malformed":
            self._raw(200, b'{"__CLASS__": "Adzuna::API::Response::JobSearchResults", "resu')
            return True
        if fault.kind == "hang":
            self.server.state.stopping.wait(fault.seconds)
            return False  # then answer normally, long after the client gave up
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


class _Server(QuietHTTPServer):
    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class FakeAdzunaServer(LoopbackServer):
    """A fake Adzuna API on ``127.0.0.1`` (a free port), serving in a background thread.

    ``jobs`` maps a country code to its results (default: 120 generated jobs each for gb and
    us). ``now`` is the server's clock for ``max_days_old``.
    """

    _thread_name = "fake-adzuna"
    _poll_interval = 0.05

    def __init__(
        self,
        jobs: dict[str, Sequence[dict[str, Any]]] | None = None,
        *,
        app_id: str = APP_ID,
        app_key: str = APP_KEY,
        now: datetime = DEFAULT_NOW,
    ) -> None:
        """Prepare the server; ``start`` binds and serves."""
        chosen = jobs if jobs is not None else {c: make_jobs(c, 120, now=now) for c in ("gb", "us")}
        self._state = _State({k: list(v) for k, v in chosen.items()}, app_id, app_key, now)

    @property
    def app_id(self) -> str:
        """The app_id the server accepts."""
        return self._state.app_id

    @property
    def app_key(self) -> str:
        """The app_key the server accepts."""
        return self._state.app_key

    @property
    def base_url(self) -> str:
        """The API root to configure as ``ADZUNA_BASE_URL``."""
        return f"{self.origin}/v1/api"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order."""
        with self._state.lock:
            return list(self._state.requests)

    def search_requests(self) -> list[RecordedRequest]:
        """Return the job search requests received so far."""
        return [r for r in self.requests if "/search/" in r.path]

    def jobs(self, country: str) -> list[dict[str, Any]]:
        """Return the results the server holds for ``country``."""
        return list(self._state.jobs.get(country, []))

    def _add(self, faults: list[Fault]) -> None:
        with self._state.lock:
            self._state.faults.extend(faults)

    def fail_next(self, count: int = 1, *, status: int = 500) -> None:
        """Answer the next ``count`` requests with HTTP ``status``."""
        self._add([Fault("status", status=status) for _ in range(count)])

    def rate_limit_next(self, count: int = 1, *, retry_after: str | None = "1") -> None:
        """Answer the next ``count`` requests with 429 and this ``Retry-After`` (None: none)."""
        self._add([Fault("rate_limit", retry_after=retry_after) for _ in range(count)])

    def malformed_next(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with 200 and a truncated JSON body."""
        self._add([Fault("malformed") for _ in range(count)])

    def hang_next(self, count: int = 1, *, seconds: float = 5.0) -> None:
        """Hold the next ``count`` requests for ``seconds`` (or until stop) before answering."""
        self._add([Fault("hang", seconds=seconds) for _ in range(count)])

    def _make_server(self) -> _Server:
        return _Server(self._state)

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        self._state.stopping.clear()
        return super().start()

    def stop(self) -> None:
        """Stop serving, release hanging requests and close the socket."""
        self._state.stopping.set()
        super().stop()


@contextmanager
def running_fake_adzuna(
    jobs: dict[str, Sequence[dict[str, Any]]] | None = None, **options: Any
) -> Iterator[FakeAdzunaServer]:
    """Run a ``FakeAdzunaServer`` for the duration of the block."""
    server = FakeAdzunaServer(jobs, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
