"""Prometheus metrics of the API: request measurement and the ``/metrics`` endpoint.

``MetricsMiddleware`` counts every HTTP request by method, route *template* (``unmatched`` for a
path no route serves) and status, and times it. ``/metrics`` serves the text exposition format of
this process's numbers plus the fleet's (``jobraker_adapters.metrics``). Who may read it:

- ``JOBRAKER_METRICS_PORT`` set: served on that port only (a plain HTTP server in a thread of each
  API process, on ``JOBRAKER_HOST``); ``/metrics`` on the API answers 404.
- else ``JOBRAKER_METRICS_TOKEN`` set: ``Authorization: Bearer <token>`` is required (401).
- else: only clients on loopback (after ``JOBRAKER_TRUSTED_PROXIES``) may read it (403).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import TYPE_CHECKING, Any, Final

from litestar import Request, Response, get
from litestar.enums import ScopeType
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server

from jobraker_core.errors import Forbidden, NotFound, Unauthenticated
from jobraker_http.auth import client_ip
from jobraker_http.guards import public

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from jobraker_adapters.container import Container
    from jobraker_adapters.metrics import ProcessMetrics

METRICS_PATH: Final = "/metrics"
UNMATCHED: Final = "unmatched"


class MetricsMiddleware:
    """ASGI middleware timing and counting each HTTP request into ``metrics``."""

    def __init__(self, app: ASGIApp, metrics: ProcessMetrics) -> None:
        """Wrap ``app``."""
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request and record it."""
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, record_status)
        finally:
            route = str(scope.get("path_template") or UNMATCHED)
            self._metrics.observe_request(
                scope["method"], route, status, time.perf_counter() - started
            )


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_metrics_access(request: Request[Any, Any, Any]) -> None:
    """Raise unless the caller may read ``/metrics`` on the API (see the module docstring)."""
    container: Container = request.app.state.container
    settings = container.settings()
    if settings.metrics_port is not None:
        raise NotFound("metrics are served on their own port")
    token = settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode(), token.encode()
        ):
            raise Unauthenticated("the metrics need the metrics bearer token")
        return
    if not _is_loopback(client_ip(request)):
        raise Forbidden("metrics are served to loopback only unless JOBRAKER_METRICS_TOKEN is set")


@get(
    METRICS_PATH,
    guards=[public],
    sync_to_thread=True,
    include_in_schema=False,
    summary="Prometheus metrics",
)
def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The Prometheus text exposition of this process and the fleet."""
    check_metrics_access(request)
    metrics: ProcessMetrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST.split(";")[0])


def serve_on_port(metrics: ProcessMetrics, host: str, port: int) -> None:
    """Serve ``metrics`` on ``host:port`` in a daemon thread (``JOBRAKER_METRICS_PORT``)."""
    start_http_server(port, addr=host, registry=metrics.registry)
