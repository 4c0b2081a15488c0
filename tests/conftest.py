"""Fixtures shared by every test directory.

Real services, started once per test session:

- ``services``: a ``ServiceEndpoints`` of a real PostgreSQL (with pgvector) and a real Redis. They
  are the embedded servers (``jobraker_adapters.embedded.running_services``) of a temporary data
  directory, unless ``DATABASE_URL`` / ``REDIS_URL`` are set, which are then used instead. The
  database URL names a dedicated database, ``jobraker_test``, created afresh for the session, so a
  developer's own ``jobraker`` database is never touched.
- ``migrated_database``: that database's URL once the migrations are applied.
- ``pg_pool``: a small connection pool on it.

Clean state per test:

- ``db``: empties every table (yoyo's bookkeeping excepted) and returns the database URL.
- ``redis_client``: a ``redis.Redis`` on the test Redis, after ``FLUSHDB``.
- ``settings``: ``Settings`` pointing at those services, with its data directory in ``tmp_path``.
- ``pg_container``: ``build_container(settings)`` on a clean database and Redis, shut down after.

Any test that uses ``services`` (directly or through the fixtures above) is marked
``integration`` automatically, so ``-m "not integration"`` never starts a server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from psycopg import sql
from psycopg.conninfo import make_conninfo

from jobraker_adapters.embedded import ServiceEndpoints, running_services
from jobraker_adapters.postgres.migrations import apply_migrations
from jobraker_adapters.postgres.pool import Pool, open_pool
from jobraker_adapters.settings import Settings

# No time limits on examples or their generation: this machine is shared and noisy, and a test
# never asserts speed.
hypothesis_settings.register_profile(
    "jobraker", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("jobraker")

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from jobraker_adapters.container import Container

TEST_DATABASE = "jobraker_test"
MAINTENANCE_DATABASE = "postgres"


def with_database(database_url: str, name: str) -> str:
    """``database_url`` with its database name replaced by ``name`` (URLs stay URLs)."""
    parts = urlsplit(database_url)
    if parts.scheme in {"postgres", "postgresql"}:
        return urlunsplit(parts._replace(path=f"/{name}"))
    return make_conninfo(database_url, dbname=name)


def _recreate_database(server_url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``server_url``; return its URL."""
    with psycopg.connect(with_database(server_url, MAINTENANCE_DATABASE), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(server_url, name)


def _skip_durability(server_url: str) -> None:
    """Stop the throwaway test server from syncing to disk.

    Checkpoints (DROP DATABASE, shutdown) then take milliseconds instead of seconds on a busy
    machine. Only for the embedded server of the test session, never for a DATABASE_URL.
    """
    with psycopg.connect(with_database(server_url, MAINTENANCE_DATABASE), autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
        conn.execute("SELECT pg_reload_conf()")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the real services as ``integration``."""
    for item in items:
        if "services" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


def service_data_dir(purpose: str) -> Path:
    """Make a fresh data directory for embedded servers, outside pytest's temporary root.

    pytest resets its ``pytest-of-<user>`` root to mode 0700 whenever a session starts, which
    would lock the embedded PostgreSQL (an OS user of its own when we are root) out of its data
    directory mid-run if another pytest session starts on the machine.
    """
    return Path(tempfile.mkdtemp(prefix=f"jobraker-{purpose}-"))


@pytest.fixture(scope="session")
def services() -> Iterator[ServiceEndpoints]:
    """Real PostgreSQL and Redis for the session (embedded ones unless the env names servers)."""
    data_dir = service_data_dir("test-services")
    settings = Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
    )
    running = running_services(settings)
    try:
        endpoints = next(running)
        if settings.database_url is None:
            _skip_durability(endpoints.database_url)
        yield ServiceEndpoints(
            database_url=_recreate_database(endpoints.database_url, TEST_DATABASE),
            redis_url=endpoints.redis_url,
        )
    finally:
        running.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_database(services: ServiceEndpoints) -> str:
    """Apply every migration to the test database; return its URL."""
    apply_migrations(services.database_url)
    return services.database_url


@pytest.fixture(scope="session")
def pg_pool(migrated_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    """Open a small connection pool on the migrated test database, for the whole session."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("pool"),
        database_url=migrated_database,
        db_pool_min=1,
        db_pool_max=4,
        db_pool_timeout=5.0,
    )
    yield from open_pool(migrated_database, settings)


@pytest.fixture
def closing() -> Iterator[Callable[[contextlib.AbstractContextManager[Any]], Any]]:
    """``closing(thing)`` enters ``thing`` as a context manager and leaves it when the test ends.

    For what holds connections of its own, such as a retriever's walk connections.
    """
    with contextlib.ExitStack() as stack:
        yield stack.enter_context


def truncate_all(database_url: str) -> None:
    """Empty every table of the current schema except yoyo's migration bookkeeping."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")  # fail loudly if a test leaked a transaction
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename NOT LIKE %s AND tablename <> 'yoyo_lock'",
                ("\\_yoyo\\_%",),
            )
        ]
        if tables:
            conn.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                    sql.SQL(", ").join(sql.Identifier(name) for name in tables)
                )
            )


@pytest.fixture
def db(migrated_database: str) -> str:
    """Empty the migrated test database for this test; return its URL."""
    truncate_all(migrated_database)
    return migrated_database


@pytest.fixture
def redis_client(services: ServiceEndpoints) -> Iterator[redis.Redis]:
    """Give a client of the test Redis, whose database was flushed for this test."""
    client = redis.Redis.from_url(services.redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def settings(services: ServiceEndpoints, migrated_database: str, tmp_path: Path) -> Settings:
    """Point settings at the test services, with a data directory of this test's own."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=migrated_database,
        redis_url=services.redis_url,
        db_pool_min=1,
        db_pool_max=4,
    )


WORKER_ENV_CLEARED = (
    "ADZUNA_APP_ID",
    "ADZUNA_API_KEY",
    "ADZUNA_APP_KEY",
    "ADZUNA_BASE_URL",
    "SKYVERN_API_KEY",
    "SKYVERN_PREVIOUS_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "JOBRAKER_EMBEDDER",
    "JOBRAKER_EMBEDDING_MODEL",
    "JOBRAKER_EMBEDDING_DIMENSIONS",
    "JOBRAKER_SCHEDULES",
    "JOBRAKER_QUEUE",
    "JOBRAKER_INGEST_RETRIES",
)
"""Variables a worker test must not inherit from the shell: vendor keys, the embedder, queues."""


@pytest.fixture
def worker_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """This process's environment as a worker's, on the test services with the local defaults.

    Tasks build their container from the environment after the fork (or in-process with
    ``SimpleWorker``), so a test sets what it needs on the monkeypatch this yields. The RQ
    worker installs its own SIGINT/SIGTERM handlers; the test's are put back afterwards.
    """
    for name in WORKER_ENV_CLEARED:
        monkeypatch.delenv(name, raising=False)
    assert settings.database_url is not None
    assert settings.redis_url is not None
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("JOBRAKER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("JOBRAKER_DB_POOL_MAX", "2")
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield monkeypatch
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def pg_container(settings: Settings, db: str, redis_client: redis.Redis) -> Iterator[Container]:
    """Build the production container on the clean test services; shut it down after."""
    from jobraker_adapters.container import build_container  # noqa: PLC0415 - only this fixture

    container = build_container(settings)
    try:
        yield container
    finally:
        container.shutdown_resources()
