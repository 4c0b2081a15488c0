"""The one error mapping: every core error and every framework error as a problem document."""

from __future__ import annotations

import pytest
from dependency_injector import providers

from jobraker_core.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    JobrakerError,
    NotFound,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)

JOBS = "/api/v1/jobs/"


class FailingUnitOfWorkFactory:
    """A unit-of-work factory whose every transaction fails with ``error``."""

    def __init__(self, error: Exception) -> None:
        """Fail with ``error``."""
        self.error = error

    def __call__(self):
        """Fail like storage that is down or broken."""
        raise self.error


def fail_storage_with(container, error: Exception) -> None:
    """Make every use case that opens a transaction raise ``error``."""
    container.uow.override(providers.Object(FailingUnitOfWorkFactory(error)))


@pytest.mark.parametrize(
    ("error", "status", "slug"),
    [
        (InvalidInput("bad thing", field="thing"), 400, "invalid-input"),
        (NotFound("no such job"), 404, "not-found"),
        (Conflict("someone else changed it"), 409, "conflict"),
        (ConfigurationError("adzuna keys are missing"), 422, "not-configured"),
        (
            UpstreamRejected("HTTP 400 from host 10.0.0.5", service="adzuna"),
            502,
            "upstream-rejected",
        ),
        (
            UpstreamUnavailable(
                "connection to db.internal:5432 as admin refused", service="postgresql"
            ),
            503,
            "service-unavailable",
        ),
        (RateLimited("slow down", service="adzuna", retry_after=2.2), 503, "rate-limited"),
        (JobrakerError("an error nobody mapped"), 500, "internal-error"),
        (RuntimeError("password=hunter2"), 500, "internal-error"),
    ],
)
def test_error_maps_to_problem(client, container, error, status, slug):
    """Each error becomes a problem document with its status, type and success false."""
    fail_storage_with(container, error)
    response = client.get(JOBS)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"https://jobraker.dev/problems/{slug}"
    assert body["status"] == status
    assert body["success"] is False
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == "/api/v1/jobs"
    assert body["request_id"] == response.headers["x-request-id"]


def test_database_down_is_503_with_retry_after_1_and_no_details(client, container):
    """Storage that is down answers 503 + ``Retry-After: 1`` without the upstream's message."""
    fail_storage_with(
        container,
        UpstreamUnavailable(
            "connection to db.internal:5432 as admin refused", service="postgresql"
        ),
    )
    response = client.get(JOBS)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "db.internal" not in response.text
    assert "admin" not in response.text
    assert "postgresql" in response.json()["detail"]


def test_rate_limited_retry_after_is_rounded_up(client, container):
    """A rate limit answers 503 with ``Retry-After`` rounded up to whole seconds."""
    fail_storage_with(container, RateLimited("wait", service="adzuna", retry_after=2.2))
    response = client.get(JOBS)
    assert response.headers["retry-after"] == "3"


def test_upstream_rejected_hides_the_upstream_message(client, container):
    """An upstream's refusal answers 502 naming the service but not its message."""
    fail_storage_with(container, UpstreamRejected("HTTP 400 from 10.0.0.5", service="adzuna"))
    response = client.get(JOBS)
    assert response.status_code == 502
    assert "10.0.0.5" not in response.text


def test_unexpected_error_is_500_with_a_generic_detail(client, container):
    """An unexpected exception answers 500 without leaking its message."""
    fail_storage_with(container, RuntimeError("password=hunter2"))
    response = client.get(JOBS)
    assert response.status_code == 500
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "request id" in response.json()["detail"]


def test_invalid_input_without_a_field_names_the_request(client, container):
    """``InvalidInput`` without a field is reported against ``request``."""
    fail_storage_with(container, InvalidInput("nonsense"))
    body = client.get(JOBS).json()
    assert body["errors"] == [{"field": "request", "message": "nonsense"}]


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope/", "/api/v1/jobs/x/y/", "/api/v2/jobs"])
def test_unknown_route_is_404_problem(client, path):
    """A path no route serves answers a 404 problem with success false and a request id."""
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["success"] is False
    assert body["status"] == 404
    assert body["type"] == "https://jobraker.dev/problems/not-found"
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/jobs/"),
        ("PUT", "/api/v1/jobs"),
        ("POST", "/api/v1/jobs/"),
        ("DELETE", "/api/v1/ingestions/"),
        ("POST", "/health"),
    ],
)
def test_wrong_method_is_405_problem_with_allow(client, method, path):
    """A method a route does not serve answers a 405 problem with an ``Allow`` header."""
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "GET" in response.headers["allow"]
    body = response.json()
    assert body["success"] is False
    assert body["type"] == "https://jobraker.dev/problems/method-not-allowed"
    assert body["request_id"] == response.headers["x-request-id"]
