"""/health (liveness, no I/O) and /ready (the services the API needs)."""

from __future__ import annotations

import pytest
from dependency_injector import providers

from jobraker_adapters.observability import StaticReadiness


@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_health_is_ok(client, path):
    """Liveness answers 200 ``{"status": "ok"}`` with and without the trailing slash."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/ready", "/ready/"])
def test_ready_when_every_service_is_up(client, path):
    """Readiness answers 200 when PostgreSQL and Redis are reachable."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "services": {"postgresql": True, "redis": True},
        "down": [],
    }


def test_not_ready_when_postgresql_is_down(client, container):
    """Readiness answers 503 naming PostgreSQL when it is unreachable."""
    container.readiness.override(providers.Object(StaticReadiness(postgresql=False)))
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "services": {"postgresql": False, "redis": True},
        "down": ["postgresql"],
    }
    assert response.headers["retry-after"] == "1"


def test_not_ready_when_both_are_down(client, container):
    """Readiness lists every service that is down."""
    container.readiness.override(providers.Object(StaticReadiness(postgresql=False, redis=False)))
    assert client.get("/ready").json()["down"] == ["postgresql", "redis"]


def broken_probe():
    """Fail to build the readiness probe, as when its pool cannot start."""
    raise OSError("cannot start the database")


def test_not_ready_when_the_probe_cannot_be_built(client, container):
    """Readiness answers 503, not 500, when its probe cannot be made."""
    container.readiness.override(providers.Callable(broken_probe))
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_health_survives_a_broken_container(client, container):
    """Liveness does no I/O: it answers 200 even when readiness cannot be built."""
    container.readiness.override(providers.Callable(broken_probe))
    assert client.get("/health").status_code == 200


def test_probes_live_outside_the_api_prefix(client):
    """The probes are at the root, not under /api/v1."""
    assert client.get("/api/v1/health").status_code == 404
