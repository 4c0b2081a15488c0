"""The embedded PostgreSQL and Redis of a data directory: started, shared, kept and stopped."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import redis

from jobraker_adapters.embedded import ServiceEndpoints, running_services
from jobraker_adapters.settings import Settings
from jobraker_core.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

# Runs running_services on a data directory in a separate process and prints the endpoints;
# with "hold" it then waits to be killed instead of leaving.
CHILD = """
import json, sys, time
from pathlib import Path
from jobraker_adapters.embedded import running_services
from jobraker_adapters.settings import Settings

services = running_services(Settings(data_dir=Path(sys.argv[1])))
endpoints = next(services)
print(json.dumps({"database_url": endpoints.database_url, "redis_url": endpoints.redis_url}),
      flush=True)
if sys.argv[2] == "hold":
    time.sleep(600)
services.close()
"""


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """Give one data directory for this module's servers (each test stops what it starts).

    It lives outside pytest's temporary root, whose permissions another pytest session may reset.
    """
    root = Path(tempfile.mkdtemp(prefix="jobraker-test-embedded-"))
    try:
        yield root / "data"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def start(data_dir: Path) -> tuple[Iterator[ServiceEndpoints], ServiceEndpoints]:
    """Start (or join) the embedded services of ``data_dir``; return the generator and endpoints."""
    services = running_services(Settings(data_dir=data_dir))
    return services, next(services)


def child(data_dir: Path, mode: str) -> tuple[subprocess.Popen[str], ServiceEndpoints]:
    """Run running_services in another process; return it with the endpoints it printed."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), mode], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    with process.stdout:
        line = process.stdout.readline()
    assert line, "the child process printed no endpoints"
    return process, ServiceEndpoints(**json.loads(line))


def postgres_answers(endpoints: ServiceEndpoints) -> bool:
    """Tell whether the database of ``endpoints`` accepts a connection."""
    try:
        with psycopg.connect(endpoints.database_url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


def redis_answers(endpoints: ServiceEndpoints) -> bool:
    """Tell whether the Redis of ``endpoints`` answers PING."""
    client = redis.Redis.from_url(endpoints.redis_url, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def test_configured_services_are_used_as_they_are(tmp_path: Path) -> None:
    """With DATABASE_URL and REDIS_URL set, nothing is started and no data directory is made."""
    settings = Settings(
        data_dir=tmp_path / "unused",
        database_url="postgresql://db.example/app",
        redis_url="redis://cache.example:6380/2",
    )
    services = running_services(settings)

    assert next(services) == ServiceEndpoints(
        "postgresql://db.example/app", "redis://cache.example:6380/2"
    )
    services.close()
    assert not (tmp_path / "unused").exists()


def test_unusable_data_directory_is_a_configuration_error(tmp_path: Path) -> None:
    """A data directory that cannot be created raises ConfigurationError naming it."""
    (tmp_path / "a-file").write_text("not a directory")
    services = running_services(Settings(data_dir=tmp_path / "a-file" / "data"))

    with pytest.raises(ConfigurationError, match="a-file"):
        next(services)


def test_data_directory_with_spaces_is_refused_clearly(tmp_path: Path) -> None:
    """A data directory the embedded PostgreSQL cannot use (spaces) raises ConfigurationError."""
    services = running_services(Settings(data_dir=tmp_path / "my data"))

    with pytest.raises(ConfigurationError, match="spaces"):
        next(services)


def test_overlapping_uses_share_the_servers_and_the_last_stops_them(data_dir: Path) -> None:
    """Two overlapping uses of one data directory get the same servers; they stop after both."""
    first, endpoints = start(data_dir)
    second, same = start(data_dir)
    assert same == endpoints
    assert endpoints.database_url.startswith("postgresql://")
    assert endpoints.redis_url.startswith("redis://127.0.0.1:")
    with psycopg.connect(endpoints.database_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("jobraker",)
        vector = conn.execute("SELECT name FROM pg_available_extensions WHERE name = 'vector'")
        assert vector.fetchone() == ("vector",)

    second.close()
    assert postgres_answers(endpoints)
    assert redis_answers(endpoints)

    first.close()
    assert not postgres_answers(endpoints)
    assert not redis_answers(endpoints)


def test_another_process_joins_without_stopping_them(data_dir: Path) -> None:
    """Another process on the data directory (ingest next to up) shares and leaves the servers."""
    services, endpoints = start(data_dir)
    try:
        process, seen = child(data_dir, "leave")
        assert process.wait(timeout=60) == 0
        assert seen == endpoints
        assert postgres_answers(endpoints)
        assert redis_answers(endpoints)
    finally:
        services.close()
    assert not postgres_answers(endpoints)
    assert not redis_answers(endpoints)


def test_data_survives_a_restart(data_dir: Path) -> None:
    """Rows and Redis keys written before the servers stop are there after they start again."""
    services, endpoints = start(data_dir)
    with psycopg.connect(endpoints.database_url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS kept (value text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    client = redis.Redis.from_url(endpoints.redis_url)
    client.set("kept", "still here")
    client.close()
    services.close()

    services, endpoints = start(data_dir)
    try:
        with psycopg.connect(endpoints.database_url) as conn:
            assert conn.execute("SELECT value FROM kept").fetchall() == [("still here",)]
        client = redis.Redis.from_url(endpoints.redis_url)
        assert client.get("kept") == b"still here"
        client.close()
    finally:
        services.close()


def test_servers_left_by_a_killed_process_are_taken_over(data_dir: Path) -> None:
    """Servers whose starter was killed are reused by the next process, which stops them."""
    process, orphaned = child(data_dir, "hold")
    process.kill()
    process.wait(timeout=60)
    assert postgres_answers(orphaned)
    assert redis_answers(orphaned)

    services, endpoints = start(data_dir)
    assert endpoints == orphaned
    services.close()

    assert not postgres_answers(endpoints)
    assert not redis_answers(endpoints)
