"""``create_app(container)``: the Litestar application of Jobraker's HTTP API.

The container is kept on ``app.state.container``. Handlers get their use cases through the typed
provider functions below, which resolve them from the container at request time, so a test can
override any container provider and the next request sees it. Use cases are synchronous (psycopg
is used synchronously), so the handlers that call them run in worker threads.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Final, cast

import structlog
from litestar import Litestar, Router
from litestar.concurrency import sync_to_thread
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from jobraker_adapters.container import Container
from jobraker_core.jobs.use_cases import (
    GetIngestion,
    GetJob,
    ListIngestions,
    QueueIngestion,
    SearchJobs,
)
from jobraker_http.accounts import auth_router, me_router
from jobraker_http.admin import admin_router
from jobraker_http.applications import application_jobs_router, applications_router
from jobraker_http.auth import provide_access_claims, provide_principal
from jobraker_http.chat import chat_router, chat_socket
from jobraker_http.docs import declare_bearer_security, docs_assets_router, openapi_config
from jobraker_http.documents import documents_router
from jobraker_http.errors import EXCEPTION_HANDLERS
from jobraker_http.health import ReadinessFactory, health, ready
from jobraker_http.idempotency import IdempotencyMiddleware
from jobraker_http.ingestions import ingestions_router
from jobraker_http.jobs import jobs_router
from jobraker_http.market import market_router
from jobraker_http.matching import matching_jobs_router, matching_users_router
from jobraker_http.metrics import MetricsMiddleware, metrics_endpoint, serve_on_port
from jobraker_http.middleware import RequestContextMiddleware
from jobraker_http.moderation import moderation_router
from jobraker_http.notifications import (
    notification_channels,
    notifications_router,
    notifications_socket,
)
from jobraker_http.oidc import oidc_router
from jobraker_http.privacy import privacy_router
from jobraker_http.profile import profile_router
from jobraker_http.protection import (
    RateLimitMiddleware,
    RateLimitPolicy,
    SecurityHeadersMiddleware,
    cors_config,
)
from jobraker_http.resumes import resumes_router
from jobraker_http.search import search_router
from jobraker_http.twofactor import two_factor_router
from jobraker_http.usage import usage_router
from jobraker_http.webhooks import webhooks_router

API_PREFIX: Final = "/api/v1"

_log = structlog.get_logger("jobraker.http")


def container_of(state: State) -> Container:
    """Return the container the app was created with."""
    return cast("Container", state.container)


def provide_search_jobs(state: State) -> SearchJobs:
    """Resolve the ``SearchJobs`` use case."""
    return container_of(state).search_jobs()


def provide_get_job(state: State) -> GetJob:
    """Resolve the ``GetJob`` use case."""
    return container_of(state).get_job()


def provide_list_ingestions(state: State) -> ListIngestions:
    """Resolve the ``ListIngestions`` use case."""
    return container_of(state).list_ingestions()


def provide_get_ingestion(state: State) -> GetIngestion:
    """Resolve the ``GetIngestion`` use case."""
    return container_of(state).get_ingestion()


def provide_queue_ingestion(state: State) -> QueueIngestion:
    """Resolve the ``QueueIngestion`` use case."""
    return container_of(state).queue_ingestion()


def provide_now(state: State) -> datetime:
    """Tell the current time by the container's clock."""
    return container_of(state).clock().now()


def provide_readiness(state: State) -> ReadinessFactory:
    """Return the maker of the readiness probe.

    ``/ready`` calls it in a worker thread, where the services' clients may be opened.
    """
    return cast("ReadinessFactory", container_of(state).readiness)


DEPENDENCIES: Final = {
    "search_jobs": Provide(provide_search_jobs, sync_to_thread=False),
    "get_job": Provide(provide_get_job, sync_to_thread=False),
    "list_ingestions": Provide(provide_list_ingestions, sync_to_thread=False),
    "get_ingestion": Provide(provide_get_ingestion, sync_to_thread=False),
    "queue_ingestion": Provide(provide_queue_ingestion, sync_to_thread=False),
    "now": Provide(provide_now, sync_to_thread=False),
    "readiness": Provide(provide_readiness, sync_to_thread=False),
    # the authenticated caller: declare ``principal: Principal`` (see jobraker_http.auth)
    "principal": Provide(provide_principal),
    "access_claims": Provide(provide_access_claims),
}


def _warm_up(container: Container) -> None:
    """Resolve every provider the handlers use.

    Clients and pools are then made here, off the event loop, rather than in the first request.
    """
    for provider in (
        container.clock,
        container.search_jobs,
        container.get_job,
        container.list_ingestions,
        container.get_ingestion,
        container.queue_ingestion,
        container.readiness,
        # the JWT secret (made on first start), the hasher and login's dummy hash, so the first
        # login costs what every login costs
        container.authenticate,
        container.login,
    ):
        provider()


async def _start(app: Litestar) -> None:
    try:
        await sync_to_thread(_warm_up, container_of(app.state))
    except Exception as error:  # noqa: BLE001 - serve anyway: /ready reports what is down
        _log.warning(
            "could not prepare every service at start-up; will retry per request",
            error=f"{type(error).__name__}: {error}",
        )


async def _stop(app: Litestar) -> None:
    result = await sync_to_thread(container_of(app.state).shutdown_resources)
    if inspect.isawaitable(result):
        await result


def create_app(container: Container) -> Litestar:
    """Build the API application over ``container``; stopping it shuts the container down."""
    api = Router(
        path=API_PREFIX,
        route_handlers=[
            search_router(),
            jobs_router(),
            ingestions_router(),
            auth_router(),
            me_router(),
            two_factor_router(),
            oidc_router(),
            privacy_router(),
            admin_router(),
            moderation_router(),
            profile_router(),
            matching_jobs_router(),
            matching_users_router(),
            resumes_router(),
            application_jobs_router(),
            applications_router(),
            usage_router(),
            webhooks_router(),
            documents_router(),
            notifications_router(),
            market_router(),
            chat_router(),
        ],
    )
    settings = container.settings()
    rate_limits = RateLimitPolicy(container)
    metrics = container.process_metrics()  # this process's Prometheus registry (/metrics)

    async def _serve_metrics(_app: Litestar) -> None:
        if settings.metrics_port is not None:
            await sync_to_thread(serve_on_port, metrics, settings.host, settings.metrics_port)

    app = Litestar(
        route_handlers=[
            api,
            health,
            ready,
            docs_assets_router(),
            notifications_socket,
            chat_socket,
        ],
        plugins=[notification_channels(container)],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        on_startup=[_start, _serve_metrics],
        on_shutdown=[rate_limits.aclose, _stop],
        state=State({"container": container, "metrics": metrics, "rate_limits": rate_limits}),
        request_max_body_size=settings.max_body_bytes,
        # rate limits first; Idempotency-Key only on routes with opt={"idempotency": True}
        middleware=[
            DefineMiddleware(RateLimitMiddleware, policy=rate_limits),
            IdempotencyMiddleware,
        ],
        cors_config=cors_config(settings),
        logging_config=None,
        debug=False,
    )
    declare_bearer_security(app)
    # Around the whole ASGI handler, not a route's stack: 404/405 answers get a request id too.
    # Security headers likewise, inside it so that the access line sees the final status.
    app.asgi_handler = RequestContextMiddleware(
        SecurityHeadersMiddleware(app.asgi_handler, settings)
    )
    # Prometheus: /metrics at the root; every request counted and timed by its route template
    app.register(metrics_endpoint)
    app.asgi_handler = MetricsMiddleware(app.asgi_handler, metrics)
    return app
