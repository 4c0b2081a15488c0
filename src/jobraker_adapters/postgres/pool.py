"""The PostgreSQL connection pool, configured to fail fast while the database is down."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from jobraker_adapters.postgres.embeddings import configure_connection
from jobraker_adapters.postgres.errors import translate_errors
from jobraker_core.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jobraker_adapters.settings import Settings

CONNECT_TIMEOUT_SECONDS: Final = 3

Pool: TypeAlias = ConnectionPool[psycopg.Connection[Any]]


@contextmanager
def borrowed(pool: Pool) -> Iterator[psycopg.Connection[Any]]:
    """A connection of ``pool`` for one call's own transaction, psycopg errors translated.

    For repositories of derived data, which work outside any unit of work.
    """
    with translate_errors(), pool.connection() as conn:
        yield conn


def connection_options(database_url: str, settings: Settings) -> str:
    """Build the ``options`` connection parameter: the URL's own plus Jobraker's session settings.

    Every session gets the statement timeout from the settings (a runaway query fails instead of
    holding a connection) and works in UTC (timestamps come back as UTC datetimes).
    """
    try:
        existing = str(conninfo_to_dict(database_url).get("options") or "")
    except psycopg.ProgrammingError as error:
        raise ConfigurationError(f"DATABASE_URL is not a valid PostgreSQL URL: {error}") from None
    ours = f"-c statement_timeout={settings.db_statement_timeout_ms} -c TimeZone=UTC"
    return f"{existing} {ours}".strip()


def open_pool(database_url: str, settings: Settings) -> Iterator[Pool]:
    """Yield an open pool of connections to ``database_url``; close it when the generator ends.

    The pool opens without waiting for the database, so a process whose PostgreSQL is down still
    starts (and ``/ready`` says 503); it keeps reconnecting in the background. Asking for a
    connection waits at most ``settings.db_pool_timeout`` seconds (``PoolTimeout``, which the
    repositories report as ``UpstreamUnavailable``), each connection attempt at most
    ``CONNECT_TIMEOUT_SECONDS``, and every connection is checked before it is handed out, so one
    broken by a database restart is replaced instead of failing the request.
    """
    pool: Pool = ConnectionPool(
        database_url,
        min_size=settings.db_pool_min,
        max_size=max(settings.db_pool_max, settings.db_pool_min),
        timeout=settings.db_pool_timeout,
        kwargs={
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "options": connection_options(database_url, settings),
            "application_name": "jobraker",
        },
        check=ConnectionPool.check_connection,
        # pgvector's types on every connection (lazily, if the migrations have not run yet)
        configure=configure_connection,
        name="jobraker",
        open=False,
    )
    pool.open(wait=False)
    try:
        yield pool
    finally:
        pool.close()
