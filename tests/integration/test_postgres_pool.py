"""The connection pool, error translation and readiness when PostgreSQL or Redis misbehave."""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

import psycopg
import pytest
import redis

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.pool import connection_options, open_pool
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_adapters.readiness import ServiceReadiness
from jobraker_adapters.settings import Settings
from jobraker_core.errors import UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from jobraker_adapters.container import Container
    from jobraker_adapters.postgres.pool import Pool

UNREACHABLE_DATABASE = "postgresql://postgres@/jobraker?host=/nonexistent/socket/dir"


@pytest.fixture
def dead_pool(tmp_path: Path) -> Iterator[Pool]:
    """Open a pool on a database that does not exist, with a short wait for connections."""
    settings = Settings(data_dir=tmp_path, db_pool_timeout=0.3)
    yield from open_pool(UNREACHABLE_DATABASE, settings)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Run a TCP server that accepts connections and never answers; give its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def test_session_settings_keep_the_urls_own_options(tmp_path: Path) -> None:
    """The statement timeout and UTC are added to the options a DATABASE_URL already sets."""
    settings = Settings(data_dir=tmp_path, db_statement_timeout_ms=1234)

    assert connection_options("postgresql://h/db?options=-c%20geqo%3Doff", settings) == (
        "-c geqo=off -c statement_timeout=1234 -c TimeZone=UTC"
    )


@pytest.mark.integration
def test_pooled_connections_carry_the_session_settings(
    migrated_database: str, tmp_path: Path
) -> None:
    """Every pooled connection has the configured statement timeout and works in UTC."""
    settings = Settings(data_dir=tmp_path, db_statement_timeout_ms=4321)
    for pool in open_pool(migrated_database, settings):
        with pool.connection() as conn:
            assert conn.execute("SHOW statement_timeout").fetchone() == ("4321ms",)
            assert conn.execute("SHOW TimeZone").fetchone() == ("UTC",)


@pytest.mark.integration
def test_statement_timeout_is_upstream_unavailable(migrated_database: str, tmp_path: Path) -> None:
    """A statement cancelled by the statement timeout surfaces as UpstreamUnavailable."""
    settings = Settings(data_dir=tmp_path, db_statement_timeout_ms=50)
    for pool in open_pool(migrated_database, settings):
        with (
            pool.connection() as conn,
            pytest.raises(UpstreamUnavailable, match="too long"),
            translate_errors(),
        ):
            conn.execute("SELECT pg_sleep(5)")


def test_pool_on_an_unreachable_database_opens_and_fails_fast(dead_pool: Pool) -> None:
    """A pool on a database that is down opens at once; a unit then raises UpstreamUnavailable."""
    with pytest.raises(UpstreamUnavailable) as raised, PostgresUnitOfWorkFactory(dead_pool)():
        pass

    assert raised.value.service == "postgresql"


@pytest.mark.integration
def test_connections_broken_by_a_restart_are_replaced(db: str, tmp_path: Path) -> None:
    """After the server drops every connection (as on a restart) the next unit still works.

    A pool of its own, with a generous wait: what is tested is that broken connections are
    replaced, not how fast a shared, loaded machine reconnects (5 s was not always enough).
    Only this pool's connections are dropped, so the session's pool is left alone.
    """
    settings = Settings(
        data_dir=tmp_path, database_url=db, db_pool_min=2, db_pool_max=2, db_pool_timeout=60.0
    )
    pools = open_pool(db, settings)
    pool = next(pools)
    try:
        held = [pool.getconn(), pool.getconn()]
        pids = [conn.info.backend_pid for conn in held]
        for conn in held:
            pool.putconn(conn)
        with psycopg.connect(db, autocommit=True) as admin:
            # wait (up to 5 s each) until the backends are gone, as after a real restart
            terminated = admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM unnest(%s::int[]) AS pid", (pids,)
            ).fetchall()
        assert terminated == [(True,), (True,)]

        with PostgresUnitOfWorkFactory(pool)() as unit:
            assert unit.jobs.count() == 0
        with pool.connection() as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        assert row[0] not in pids
    finally:
        pools.close()


@pytest.mark.integration
def test_readiness_when_both_services_answer(pg_pool: Pool, redis_client: redis.Redis) -> None:
    """Readiness reports both services up when they answer."""
    assert ServiceReadiness(pg_pool, redis_client).check() == {"postgresql": True, "redis": True}


def test_readiness_when_both_services_are_down(dead_pool: Pool) -> None:
    """Readiness reports a refused Redis and an unreachable database as down, without raising."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed_port = probe.getsockname()[1]
    client = redis.Redis(port=closed_port, socket_connect_timeout=0.5)

    assert ServiceReadiness(dead_pool, client).check() == {"postgresql": False, "redis": False}
    client.close()


@pytest.mark.integration
def test_readiness_gives_up_on_a_hanging_service(pg_pool: Pool, silent_server: int) -> None:
    """A Redis that accepts but never answers counts as down once the check's time is up."""
    client = redis.Redis(port=silent_server, socket_timeout=30)

    report = ServiceReadiness(pg_pool, client, timeout=0.5).check()

    assert report == {"postgresql": True, "redis": False}
    client.close()


@pytest.mark.integration
def test_the_container_wires_the_postgresql_adapters(pg_container: Container) -> None:
    """The production container gives the PostgreSQL unit of work, migrations and readiness."""
    assert isinstance(pg_container.uow(), PostgresUnitOfWorkFactory)
    assert pg_container.migrate() == []
    assert pg_container.readiness().check() == {"postgresql": True, "redis": True}
    with pg_container.uow()() as unit:
        assert unit.jobs.count() == 0
