"""The composition root: the only place that picks adapters.

``build_container(settings)`` wires the production adapters (PostgreSQL, Redis/RQ, httpx-based
sources), starting the embedded PostgreSQL and Redis of ``settings.data_dir`` when
``DATABASE_URL``/``REDIS_URL`` are unset. ``build_memory_container()`` wires the in-memory fakes for
tests and for library users who want no infrastructure. Edges resolve use cases from the container
through a few typed functions; nothing else reaches into adapters.

Resources (servers, pools, clients) start lazily on first use and stop on
``container.shutdown_resources()``.
"""

from __future__ import annotations

from collections.abc import Iterator

from dependency_injector import containers, providers

from jobraker_adapters.embedded import ServiceEndpoints, running_services
from jobraker_adapters.http_client import open_http_client
from jobraker_adapters.memory import (
    FixedClock,
    InMemoryJobSourceCatalog,
    InMemoryTaskQueue,
    InMemoryUnitOfWorkFactory,
)
from jobraker_adapters.observability import StaticReadiness, configure_logging
from jobraker_adapters.postgres.migrations import apply_migrations
from jobraker_adapters.postgres.pool import open_pool
from jobraker_adapters.readiness import ServiceReadiness
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_adapters.redis_queue import RQTaskQueue, open_redis
from jobraker_adapters.settings import Settings
from jobraker_adapters.sources.catalog import SourceCatalog
from jobraker_core.clock import SystemClock
from jobraker_core.jobs.use_cases import (
    GetIngestion,
    GetJob,
    IngestJobs,
    ListIngestions,
    QueueIngestion,
    SearchJobs,
)

__all__ = [
    "Container",
    "ServiceEndpoints",
    "Settings",
    "build_container",
    "build_memory_container",
    "configure_logging",
]


def _database_url(endpoints: ServiceEndpoints) -> str:
    return endpoints.database_url


def _migrate(endpoints: ServiceEndpoints) -> list[str]:
    return apply_migrations(endpoints.database_url)


def _pool(endpoints: ServiceEndpoints, settings: Settings) -> Iterator[object]:
    yield from open_pool(endpoints.database_url, settings)


class Container(containers.DeclarativeContainer):
    """Providers of every port and use case. Override any provider in tests."""

    settings = providers.Dependency(instance_of=Settings)

    endpoints = providers.Resource(running_services, settings=settings)
    db_pool = providers.Resource(_pool, endpoints=endpoints, settings=settings)
    redis = providers.Resource(open_redis, endpoints=endpoints)
    http_client = providers.Resource(open_http_client, settings=settings)

    migrate = providers.Callable(_migrate, endpoints=endpoints)
    clock = providers.Singleton(SystemClock)
    uow = providers.Singleton(PostgresUnitOfWorkFactory, pool=db_pool)
    task_queue = providers.Singleton(RQTaskQueue, redis=redis,
                                     queue_name=settings.provided.queue_name,
                                     retries=settings.provided.ingest_retries)
    job_sources = providers.Singleton(SourceCatalog, settings=settings, http=http_client,
                                      redis=redis, clock=clock)
    readiness = providers.Singleton(ServiceReadiness, pool=db_pool, redis=redis)

    ingest_jobs = providers.Factory(IngestJobs, uow=uow, sources=job_sources, clock=clock)
    queue_ingestion = providers.Factory(QueueIngestion, uow=uow, sources=job_sources,
                                        queue=task_queue, clock=clock)
    search_jobs = providers.Factory(SearchJobs, uow=uow)
    get_job = providers.Factory(GetJob, uow=uow)
    list_ingestions = providers.Factory(ListIngestions, uow=uow)
    get_ingestion = providers.Factory(GetIngestion, uow=uow)


def build_container(settings: Settings) -> Container:
    """The production container for ``settings``. Starts nothing until a provider is used."""
    container = Container(settings=settings)
    return container


def build_memory_container(settings: Settings | None = None) -> Container:
    """A container whose ports are the in-memory fakes: no database, no Redis, no network.

    The fakes are singletons, so a test can reach them (``container.uow().store``,
    ``container.task_queue().tasks``, ``container.clock()``) to arrange and assert.
    """
    from pathlib import Path  # noqa: PLC0415 - only the memory container needs a default path

    container = Container(settings=settings or Settings(data_dir=Path("/nonexistent/jobraker")))
    container.uow.override(providers.Singleton(InMemoryUnitOfWorkFactory))
    container.task_queue.override(providers.Singleton(InMemoryTaskQueue))
    container.clock.override(providers.Singleton(FixedClock))
    container.job_sources.override(providers.Singleton(InMemoryJobSourceCatalog))
    container.readiness.override(providers.Singleton(StaticReadiness))
    return container
