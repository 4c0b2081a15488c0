"""Probes: ``/health`` (liveness, no I/O) and ``/ready`` (PostgreSQL and Redis reachable).

Both live outside ``/api/v1``, answer plain JSON (no envelope: probes are read by machines that
expect these shapes) and need no authentication.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal, Protocol

import msgspec
import structlog
from litestar import Response, get
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import SkipValidation  # noqa: TC002 - likewise

from jobraker_http.guards import public

_log = structlog.get_logger("jobraker.http.health")


class Readiness(Protocol):
    """Checks the services the API needs (``ServiceReadiness`` in production)."""

    def check(self) -> dict[str, bool]:
        """Say whether each service is reachable, by name."""
        ...


ReadinessFactory = Callable[[], Readiness]


class HealthOut(msgspec.Struct, kw_only=True):
    """The liveness answer."""

    status: Literal["ok"]


class ReadyOut(msgspec.Struct, kw_only=True):
    """The readiness answer: each service's state, and the names of those that are down."""

    status: Literal["ready", "unavailable"]
    services: dict[str, bool]
    down: list[str]


_ALIVE: Final = HealthOut(status="ok")
_RETRY: Final = {"Retry-After": "1"}


@get(
    "/health",
    sync_to_thread=False,
    guards=[public],
    tags=["operations"],
    summary="Liveness",
    description="200 while the process serves requests; does no I/O.",
)
def health() -> HealthOut:
    """Say the process is alive."""
    return _ALIVE


@get(
    "/ready",
    sync_to_thread=True,
    guards=[public],
    tags=["operations"],
    summary="Readiness",
    description="200 when PostgreSQL and Redis are reachable, else 503 naming what is down.",
    responses={
        503: ResponseSpec(ReadyOut, description="A service is down", generate_examples=False)
    },
)
def ready(readiness: NamedDependency[SkipValidation[ReadinessFactory]]) -> Response[ReadyOut]:
    """Check the services the API needs."""
    try:
        checks = readiness().check()
    except Exception as error:  # noqa: BLE001 - a probe answers 503, never 500
        _log.warning("readiness check failed", error=f"{type(error).__name__}: {error}")
        report = ReadyOut(status="unavailable", services={}, down=["readiness-check"])
        return Response(report, status_code=503, headers=_RETRY)
    down = sorted(name for name, up in checks.items() if not up)
    if down:
        report = ReadyOut(status="unavailable", services=checks, down=down)
        return Response(report, status_code=503, headers=_RETRY)
    return Response(ReadyOut(status="ready", services=checks, down=[]), status_code=200)
