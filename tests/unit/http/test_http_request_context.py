"""Request ids: honoured or made, returned in X-Request-ID, and on every log line."""

from __future__ import annotations

import logging
import re

import pytest
import structlog
from dependency_injector import providers

from jobraker_adapters.memory import InMemoryUnitOfWorkFactory

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def test_request_id_is_made_when_absent(client):
    """Without an incoming id, the response carries a fresh uuid4 hex id."""
    first = client.get("/api/v1/jobs/").headers["x-request-id"]
    second = client.get("/api/v1/jobs/").headers["x-request-id"]
    assert HEX_ID.match(first)
    assert first != second


@pytest.mark.parametrize("incoming", ["abc", "req-1.2_3", "A" * 64])
def test_valid_incoming_request_id_is_honoured(client, incoming):
    """A well-formed incoming X-Request-ID is returned as it came."""
    response = client.get("/api/v1/jobs/", headers={"X-Request-ID": incoming})
    assert response.headers["x-request-id"] == incoming


@pytest.mark.parametrize("incoming", ["", "has space", "A" * 65, "semi;colon", "é", "a/b"])
def test_malformed_incoming_request_id_is_replaced(client, incoming):
    """A malformed incoming X-Request-ID is replaced by a fresh one."""
    response = client.get("/api/v1/jobs/", headers={"X-Request-ID": incoming.encode()})
    assert HEX_ID.match(response.headers["x-request-id"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nowhere", 404),
        ("DELETE", "/api/v1/jobs", 405),
        ("GET", "/health", 200),
        ("GET", "/api/v1/jobs/?page=0", 400),
        ("GET", "/api/docs/", 200),
    ],
)
def test_request_id_is_on_every_response(client, method, path, status):
    """Errors, probes and docs carry the request id too, and problems repeat it in the body."""
    response = client.request(method, path, headers={"X-Request-ID": "trace-me"})
    assert response.status_code == status
    assert response.headers["x-request-id"] == "trace-me"
    if status >= 400:
        assert response.json()["request_id"] == "trace-me"


def test_request_id_on_500(client, container):
    """An unexpected error's response carries the request id in header and body."""
    container.uow.override(providers.Callable(raise_runtime_error))
    response = client.get("/api/v1/jobs/", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-1"
    assert response.json()["request_id"] == "boom-1"


def raise_runtime_error():
    """Fail the way a bug would."""
    raise RuntimeError("bug: password=hunter2")


def test_access_line_per_request(client, json_logs):
    """Each request writes one JSON access line with method, path, status, duration, id."""
    client.get("/api/v1/jobs/?q=python&api_key=s3cr3t", headers={"X-Request-ID": "acc-1"})
    access = [line for line in json_logs.lines() if line.get("logger") == "jobraker.http.access"]
    assert len(access) == 1
    [line] = access
    assert line["event"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/jobs/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float | int)
    assert line["request_id"] == "acc-1"
    assert line["level"] == "info"
    assert "timestamp" in line
    assert "s3cr3t" not in json_logs.stream.getvalue()


def test_access_line_for_unrouted_request(client, json_logs):
    """A 404 from the router is logged too, with its status and request id."""
    client.get("/nowhere", headers={"X-Request-ID": "lost-1"})
    [line] = [x for x in json_logs.lines() if x.get("logger") == "jobraker.http.access"]
    assert line["status"] == 404
    assert line["request_id"] == "lost-1"


def test_probes_write_no_access_line(client, json_logs):
    """Liveness and readiness probes do not flood the log with access lines."""
    client.get("/health")
    client.get("/ready")
    assert [x for x in json_logs.lines() if x.get("logger") == "jobraker.http.access"] == []


class LoggingUnitOfWorkFactory(InMemoryUnitOfWorkFactory):
    """The in-memory unit of work, logging each transaction it opens (as an adapter might)."""

    def __call__(self):
        """Log, through structlog and stdlib logging, then open the transaction."""
        structlog.get_logger("test.adapter").info("opening transaction")
        logging.getLogger("test.stdlib").warning("stdlib line from the worker thread")
        return super().__call__()


def test_request_id_is_on_lines_logged_in_the_worker_thread(client, container, json_logs):
    """Lines logged by adapters while serving the request (in a worker thread) carry its id."""
    container.uow.override(providers.Singleton(LoggingUnitOfWorkFactory))
    client.get("/api/v1/jobs/", headers={"X-Request-ID": "thread-1"})
    lines = json_logs.lines()
    structlog_line = next(x for x in lines if x["event"] == "opening transaction")
    stdlib_line = next(x for x in lines if x["event"] == "stdlib line from the worker thread")
    assert structlog_line["request_id"] == "thread-1"
    assert stdlib_line["request_id"] == "thread-1"
    assert stdlib_line["logger"] == "test.stdlib"
    assert stdlib_line["level"] == "warning"


def test_unexpected_error_is_logged_with_traceback_and_request_id(client, container, json_logs):
    """A 500 is logged once with its traceback and request id; the body stays generic."""
    container.uow.override(providers.Callable(raise_runtime_error))
    client.get("/api/v1/jobs/", headers={"X-Request-ID": "boom-2"})
    [line] = [x for x in json_logs.lines() if x["event"] == "unhandled error"]
    assert line["request_id"] == "boom-2"
    assert line["level"] == "error"
    assert "RuntimeError: bug" in line["exception"]
    assert "Traceback" in line["exception"]


def test_request_id_is_not_left_bound_after_the_request(client, json_logs):
    """Once a request is served its id is unbound: later lines do not carry it."""
    client.get("/api/v1/jobs/", headers={"X-Request-ID": "gone-1"})
    structlog.get_logger("test.after").info("after the request")
    [line] = [x for x in json_logs.lines() if x["event"] == "after the request"]
    assert "request_id" not in line
