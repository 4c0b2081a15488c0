"""The ``jobraker`` command: run the product, its parts, and ingestions.

::

    jobraker up [--host H] [--port P] [--data-dir DIR] [--no-seed]   everything on one machine
    jobraker serve [--host H] [--port P] [--data-dir DIR]            the API only
    jobraker worker [--burst] [--data-dir DIR]                       one RQ worker
    jobraker migrate [--data-dir DIR]                                apply database migrations
    jobraker ingest file PATH [--source NAME] [--data-dir DIR]       ingest a feed file
    jobraker ingest demo [--data-dir DIR]                            ingest the shipped demo corpus
    jobraker ingest adzuna --country gb --what "python developer" [--where W] [--pages N]
    jobraker ingest greenhouse [--board NAME]   Greenhouse boards (default: the configured ones)
    jobraker ingest lever [--company NAME]      Lever postings (default: the configured ones)
    jobraker admin create --email E [--role admin|user] [--password-stdin]   make an account

Every command uses ``DATABASE_URL`` / ``REDIS_URL`` when they are set, and otherwise the embedded
PostgreSQL and Redis of the data directory (``--data-dir``, else ``JOBRAKER_DATA_DIR``, else
``~/.local/share/jobraker``), starting them if no other process has. So ``jobraker ingest`` in a
second terminal writes into the product ``jobraker up`` is serving.

Processes this command starts (the API and the worker of ``up``) get the URLs of the running
services in their environment; ``jobraker_adapters.settings`` stays the only reader of it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

import attrs

from jobraker_adapters.container import Container, Settings, build_container, configure_logging
from jobraker_cli.reindex import add_reindex_parser, cmd_reindex
from jobraker_cli.secrets import add_secrets_parser, cmd_secrets
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.use_cases import CreateUser
from jobraker_core.errors import JobrakerError
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.use_cases import RunIngestion
from jobraker_core.pagination import MAX_PER_PAGE, PageRequest
from jobraker_workers.errors import mark_run_failed
from jobraker_workers.tasks import follow_up_ingestion

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import FrameType

__all__ = ["build_parser", "main", "seed_demo"]

API_FACTORY: Final = "jobraker_http.asgi:app"
DEMO_SOURCE: Final = "demo"
STARTUP_TIMEOUT: Final = 90.0
STOP_GRACE: Final = 15.0
KILL_GRACE: Final = 5.0
SHOWN_REJECTIONS: Final = 10


Builder = Callable[[Settings], Container]


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit code 1."""


class _Stopped(Exception):
    """SIGINT or SIGTERM asked a command to stop: a clean exit, not an error."""


# ----------------------------------------------------------------------------- arguments


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65_535:  # noqa: PLR2004 - the TCP port range
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="data directory of the embedded PostgreSQL and Redis "
        "(default: $JOBRAKER_DATA_DIR, else ~/.local/share/jobraker)",
    )


def _add_listen(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=None, help="port to listen on (default: 8000)"
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``jobraker`` command."""
    parser = argparse.ArgumentParser(
        prog="jobraker",
        description="Jobraker: job search and application backend.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up", help="start everything: databases, migrations, demo data, the API and a worker"
    )
    _add_listen(up)
    _add_data_dir(up)
    up.add_argument(
        "--no-seed", action="store_true", help="do not load the demo jobs on first start"
    )

    serve = commands.add_parser("serve", help="run the HTTP API")
    _add_listen(serve)
    _add_data_dir(serve)

    worker = commands.add_parser("worker", help="run an RQ worker (with its scheduler)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    _add_data_dir(worker)

    migrate = commands.add_parser("migrate", help="apply the database migrations")
    _add_data_dir(migrate)

    ingest = commands.add_parser("ingest", help="run an ingestion now, showing its progress")
    sources = ingest.add_subparsers(dest="source", required=True, metavar="SOURCE")
    feed = sources.add_parser("file", help="a JSON Lines or CSV feed file")
    feed.add_argument("path", type=Path, help="the feed file (.jsonl, .ndjson or .csv)")
    feed.add_argument(
        "--source",
        dest="source_name",
        default=None,
        metavar="NAME",
        help="source name to record the jobs under (default: the file's name)",
    )
    _add_data_dir(feed)
    demo = sources.add_parser("demo", help="the demo corpus shipped with Jobraker")
    _add_data_dir(demo)
    adzuna = sources.add_parser("adzuna", help="the Adzuna job search API")
    adzuna.add_argument("--country", required=True, help="Adzuna country code, e.g. gb, us, de")
    adzuna.add_argument("--what", required=True, help='keywords, e.g. "python developer"')
    adzuna.add_argument("--where", default=None, help="place, e.g. London")
    adzuna.add_argument("--pages", type=_positive, default=None, help="result pages to fetch")
    _add_data_dir(adzuna)
    greenhouse = sources.add_parser("greenhouse", help="Greenhouse job boards (keyless)")
    greenhouse.add_argument(
        "--board", default=None, help="a board's short name (default: JOBRAKER_GREENHOUSE_BOARDS)"
    )
    _add_data_dir(greenhouse)
    lever = sources.add_parser("lever", help="Lever postings (keyless)")
    lever.add_argument(
        "--company", default=None, help="a company's short name (default: JOBRAKER_LEVER_COMPANIES)"
    )
    _add_data_dir(lever)

    admin = commands.add_parser("admin", help="manage accounts from the server")
    actions = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an account (e.g. the first admin)")
    create.add_argument("--email", required=True, help="the account's email address")
    create.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.ADMIN.value,
        help="admin (default) or user",
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input "
        "(default: ask for it twice on the terminal)",
    )
    _add_data_dir(create)
    add_reindex_parser(commands)
    add_secrets_parser(commands)
    return parser


def source_spec(args: argparse.Namespace) -> SourceSpec:
    """Return the source an ``ingest`` command names."""
    if args.source == "file":
        path: Path = args.path.expanduser().resolve()
        return SourceSpec.of("file", {"path": str(path), "source": args.source_name})
    if args.source == "adzuna":
        return SourceSpec.of(
            "adzuna",
            {
                "country": args.country.lower(),
                "what": args.what,
                "where": args.where,
                "pages": str(args.pages) if args.pages is not None else None,
            },
        )
    if args.source == "greenhouse":
        return SourceSpec.of("greenhouse", {"board": args.board})
    if args.source == "lever":
        return SourceSpec.of("lever", {"company": args.company})
    return SourceSpec(DEMO_SOURCE)


# ----------------------------------------------------------------------------- helpers


def _settings(args: argparse.Namespace) -> Settings:
    data_dir: Path | None = args.data_dir
    return Settings.from_os(data_dir=data_dir)


def _quiet(settings: Settings) -> Settings:
    """Quieten foreground commands: warnings and errors only, unless DEBUG was asked for."""
    level = settings.log_level if settings.log_level in {"DEBUG", "WARNING", "ERROR"} else "WARNING"
    return attrs.evolve(settings, log_level=level)


@contextmanager
def _container(settings: Settings, build: Builder) -> Iterator[Container]:
    container = build(settings)
    try:
        yield container
    finally:
        container.shutdown_resources()


def _export_services(container: Container, settings: Settings) -> Settings:
    """Start (or attach to) the services and put their URLs in this process's environment.

    The processes it starts or forks inherit them. Returns settings that point at them.
    """
    endpoints = container.endpoints()
    os.environ["DATABASE_URL"] = endpoints.database_url
    os.environ["REDIS_URL"] = endpoints.redis_url
    os.environ["JOBRAKER_DATA_DIR"] = str(settings.data_dir)
    return attrs.evolve(
        settings, database_url=endpoints.database_url, redis_url=endpoints.redis_url
    )


def _describe_counts(run: IngestionRun) -> str:
    counts = run.counts
    return (
        f"fetched {counts.fetched}, new {counts.new}, updated {counts.updated}, "
        f"duplicate {counts.duplicate}, rejected {counts.rejected}"
    )


def _describe_source(spec: SourceSpec) -> str:
    params = ", ".join(f"{name}={value}" for name, value in spec.params)
    return f"{spec.kind} ({params})" if params else spec.kind


def record_run(container: Container, spec: SourceSpec) -> IngestionRun:
    """Check ``spec`` and record a queued run of it, as the API does before queueing one.

    The run is listed with the others; the caller then carries it out with ``IngestJobs``.
    """
    container.job_sources().open(spec)
    run = IngestionRun.queue(spec, run_id=uuid.uuid4(), at=container.clock().now())
    with container.uow()() as uow:
        uow.ingestions.add(run)
        uow.commit()
    return run


def run_ingestion_now(
    container: Container,
    spec: SourceSpec,
    on_progress: Callable[[IngestionRun], None] | None = None,
) -> IngestionRun:
    """Record a run of ``spec`` and carry it out in this process; return its final state.

    A failure is recorded on the run and re-raised.
    """
    run = record_run(container, spec)
    return container.ingest_jobs()(RunIngestion(run.id), on_progress=on_progress)


def _print_rejections(run: IngestionRun) -> None:
    if not run.rejections:
        return
    shown = run.rejections[:SHOWN_REJECTIONS]
    print(f"Rejected records (first {len(shown)} of {run.counts.rejected}):")
    for record in shown:
        print(f"  {record.ref}: {record.reason}")


# ----------------------------------------------------------------------------- ingest


def cmd_ingest(args: argparse.Namespace, build: Builder = build_container) -> int:
    """``jobraker ingest ...``: run one ingestion in this process and report it."""
    spec = source_spec(args)
    settings = _settings(args)
    configure_logging(_quiet(settings))
    started = time.monotonic()
    with _container(settings, build) as container:
        container.migrate()

        def progress(run: IngestionRun) -> None:
            print(f"  {_describe_counts(run)}", flush=True)

        queued = record_run(container, spec)
        print(f"Ingesting {_describe_source(spec)} (run {queued.id})", flush=True)
        try:
            run = container.ingest_jobs()(RunIngestion(queued.id), on_progress=progress)
        except JobrakerError as error:
            failed = _read_run(container, queued.id)
            if failed is not None and failed.counts.fetched:
                print(f"Stopped after: {_describe_counts(failed)}")
                _print_rejections(failed)
            raise CliError(f"ingestion failed: {error.message}") from error
        except KeyboardInterrupt:
            mark_run_failed(container.uow(), container.clock(), queued.id, "interrupted")
            print(f"Interrupted: run {queued.id} is marked failed.", file=sys.stderr)
            raise
        seconds = time.monotonic() - started
        print(f"Done in {seconds:.1f} s: {_describe_counts(run)}")
        _print_rejections(run)
        _follow_up(container, run)
    return 0


def _follow_up(container: Container, run: IngestionRun) -> None:
    """Take the steps the worker takes after its ingestions, in this process, and say so.

    Moderation flags, market facts (salary insight, trends), embeddings and saved-search hits
    are all there when the command returns; a step that fails only warns.
    """
    done = follow_up_ingestion(container, str(run.id), run.counts, now=True)
    for step, outcome in done.items():
        if not isinstance(outcome, dict):
            continue
        if "error" in outcome:
            name = step.replace("_", " ").capitalize()
            print(f"{name} skipped: {outcome['error']}", file=sys.stderr)
        elif step == "moderation" and outcome.get("flagged"):
            print(f"Moderation: {outcome['flagged']} job(s) flagged for review")
        elif step == "market":
            print(f"Market: {outcome['analysed']} job(s) analysed for salary insight and trends")
        elif step == "embedding":
            print(f"Embeddings: {outcome.get('embedded', 0)} job(s) embedded")
        elif step == "saved_searches" and outcome.get("new_hits"):
            print(f"Saved searches: {outcome['new_hits']} new match(es)")


def _read_run(container: Container, run_id: uuid.UUID) -> IngestionRun | None:
    """Read the stored state of a run, or None if it cannot be read."""
    try:
        return container.get_ingestion()(run_id)
    except JobrakerError:
        return None


# ----------------------------------------------------------------------------- admin


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        raise CliError("the passwords differ")
    return password


def cmd_admin(args: argparse.Namespace, build: Builder = build_container) -> int:
    """``jobraker admin create``: make an account with a role, as the operator at the server."""
    password = _read_password(args.password_stdin)
    settings = _settings(args)
    configure_logging(_quiet(settings))
    with _container(settings, build) as container:
        container.migrate()
        user = container.create_user_account()(
            CreateUser(email=args.email, password=password, role=Role(args.role))
        )
    print(f"Created {user.role.value} {user.email} ({user.id}).")
    return 0


# ------------------------------------------------------------------------- migrate, serve, worker


def cmd_migrate(args: argparse.Namespace, build: Builder = build_container) -> int:
    """``jobraker migrate``: apply pending migrations and list them."""
    settings = _settings(args)
    configure_logging(_quiet(settings))
    with _container(settings, build) as container:
        applied = container.migrate()
    if applied:
        print("Applied migrations:")
        for name in applied:
            print(f"  {name}")
    else:
        print("The database is up to date.")
    return 0


def _uvicorn_args(host: str, port: int) -> list[str]:
    return [
        "--factory",
        API_FACTORY,
        "--host",
        host,
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        "5",
        "--no-server-header",
    ]


def cmd_serve(args: argparse.Namespace, build: Builder = build_container) -> int:
    """``jobraker serve``: the API in this process (uvicorn), until SIGINT/SIGTERM."""
    import uvicorn  # noqa: PLC0415 - the web server only for this command

    settings = _settings(args)
    configure_logging(settings)
    host: str = args.host or settings.host
    port: int = args.port or settings.port
    # uvicorn stops on SIGINT/SIGTERM and then raises the signal again for the previous handler:
    # ours turns it into _Stopped, so the services this process started are stopped too.
    with _stopped_by_signals(), _container(settings, build) as container:
        _export_services(container, settings)
        uvicorn.run(
            API_FACTORY,
            factory=True,
            host=host,
            port=port,
            timeout_graceful_shutdown=5,
            server_header=False,
            log_config=None,
        )
    return 0


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Turn the first SIGINT/SIGTERM into ``_Stopped`` (a clean exit); ignore later ones.

    Ignoring them lets the clean-up of the block run to its end.
    """
    signals = (signal.SIGINT, signal.SIGTERM)

    def stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)
        raise _Stopped

    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_worker(args: argparse.Namespace, build: Builder = build_container) -> int:
    """``jobraker worker``: one RQ worker with its scheduler, until SIGINT/SIGTERM."""
    from jobraker_workers.worker import run_worker  # noqa: PLC0415 - RQ only for this command

    settings = _settings(args)
    configure_logging(settings)
    with _container(settings, build) as container:
        exported = _export_services(container, settings)
        try:
            run_worker(exported, burst=args.burst)
        finally:
            # RQ has stopped (its handlers stay installed): nothing may interrupt the clean-up.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return 0


# ----------------------------------------------------------------------------- up


@attrs.define
class Child:
    """A process ``up`` started."""

    name: str
    process: subprocess.Popen[bytes]


def _start_child(name: str, argv: list[str], env: dict[str, str]) -> Child:
    # A session of its own: Ctrl-C in the terminal reaches only us, and we stop the children
    # in order (the worker finishes its job, the API its requests) before stopping the services.
    return Child(name, subprocess.Popen(argv, env=env, start_new_session=True))


def _wait(children: list[Child], seconds: float) -> list[Child]:
    deadline = time.monotonic() + seconds
    for child in children:
        remaining = max(deadline - time.monotonic(), 0.0)
        with suppress(subprocess.TimeoutExpired):
            child.process.wait(remaining)
    return [child for child in children if child.process.poll() is None]


def stop_children(
    children: list[Child], grace: float = STOP_GRACE, kill_grace: float = KILL_GRACE
) -> None:
    """SIGTERM (warm stop), then SIGINT (cold stop: RQ kills its job), then SIGKILL."""
    alive = [child for child in children if child.process.poll() is None]
    for child in alive:
        child.process.terminate()
    alive = _wait(alive, grace)
    for child in alive:
        print(f"The {child.name} is still running; stopping it harder.", file=sys.stderr)
        child.process.send_signal(signal.SIGINT)
    alive = _wait(alive, kill_grace)
    for child in alive:
        with suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CliError(
                f"cannot listen on {host}:{port} ({error.strerror}); choose another with --port"
            ) from None


def _needs_seed(container: Container) -> bool:
    """No jobs yet, and no demo ingestion ever recorded."""
    with container.uow()() as uow:
        if uow.jobs.count() > 0:
            return False
        page_number = 1
        while True:
            page = uow.ingestions.list(PageRequest(page_number, MAX_PER_PAGE))
            if any(run.source.kind == DEMO_SOURCE for run in page.items):
                return False
            if page_number >= page.total_pages:
                return True
            page_number += 1


def seed_demo(container: Container) -> IngestionRun | None:
    """Load the demo corpus and take the worker's after-ingestion steps; return the run.

    So the first ``jobraker up`` serves moderated jobs with their market facts and vectors.
    A failure is printed and None returned: the product still starts, without demo jobs.
    """
    print("First start: loading the demo jobs ...", flush=True)
    try:
        run = run_ingestion_now(container, SourceSpec(DEMO_SOURCE))
    except JobrakerError as error:
        print(f"Could not load the demo jobs: {error.message}", file=sys.stderr)
        return None
    print(f"Loaded the demo jobs: {_describe_counts(run)}", flush=True)
    _follow_up(container, run)
    return run


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104 - only displayed


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return bool(response.status == 200)  # noqa: PLR2004 - HTTP OK
    except (urllib.error.URLError, OSError):
        return False


class _Supervisor:
    """Turns SIGINT/SIGTERM into a stop request that ``up`` checks between steps."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:  # noqa: ARG002
        self.stop.set()

    def check(self) -> None:
        if self.stop.is_set():
            raise _Stopped

    def watch(
        self,
        children: list[Child],
        until: Callable[[], bool] | None = None,
        timeout: float | None = None,
    ) -> None:
        """Wait for a stop request (or for ``until()``), raising ``CliError`` if a child dies."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.stop.wait(0.25):
            for child in children:
                code = child.process.poll()
                if code is not None:
                    raise CliError(f"the {child.name} exited unexpectedly (exit code {code})")
            if until is not None and until():
                return
            if deadline is not None and time.monotonic() > deadline:
                raise CliError("the API did not answer in time")
        raise _Stopped


def cmd_up(args: argparse.Namespace, build: Builder = build_container) -> int:
    """``jobraker up``: services, migrations, demo data, the API and a worker, until stopped."""
    settings = _settings(args)
    configure_logging(settings)
    host: str = args.host or settings.host
    port: int = args.port or settings.port
    _check_port_free(host, port)
    supervisor = _Supervisor()
    supervisor.install()
    children: list[Child] = []
    container = build(settings)
    try:
        print(f"Starting Jobraker (data in {settings.data_dir}) ...", flush=True)
        _export_services(container, settings)
        supervisor.check()
        container.migrate()
        supervisor.check()
        if not args.no_seed and _needs_seed(container):
            seed_demo(container)
        supervisor.check()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        children.append(
            _start_child(
                "API server",
                [sys.executable, "-m", "uvicorn", *_uvicorn_args(host, port)],
                env,
            )
        )
        children.append(
            _start_child(
                "worker",
                [sys.executable, "-m", "jobraker_cli.main", "worker"],
                env,
            )
        )
        base = f"http://{_public_host(host)}:{port}"
        supervisor.watch(
            children, until=lambda: _answers(f"{base}/health"), timeout=STARTUP_TIMEOUT
        )
        print(_banner(base, settings), flush=True)
        supervisor.watch(children)
    except _Stopped:
        print("Stopping Jobraker ...", flush=True)
        return _shut_down(children, container, code=0)
    except BaseException:
        _shut_down(children, container, code=1)
        raise
    return _shut_down(children, container, code=0)  # pragma: no cover - watch() never returns


def _shut_down(children: list[Child], container: Container, *, code: int) -> int:
    # Further signals must not interrupt the clean-up; every step below is bounded.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        stop_children(children)
        container.shutdown_resources()
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if code == 0:
        print("Jobraker stopped.", flush=True)
    return code


def _banner(base: str, settings: Settings) -> str:
    postgres = "embedded" if settings.database_url is None else "DATABASE_URL"
    redis = "embedded" if settings.redis_url is None else "REDIS_URL"
    return "\n".join(
        [
            "Jobraker is up.",
            f"  API:   {base}/api/v1/jobs/",
            f"  Docs:  {base}/api/docs/",
            f"  Data:  {settings.data_dir} (PostgreSQL: {postgres}, Redis: {redis})",
            "Press Ctrl-C to stop.",
        ]
    )


# ----------------------------------------------------------------------------- entry point

COMMANDS: Final[dict[str, Callable[[argparse.Namespace, Builder], int]]] = {
    "up": cmd_up,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "ingest": cmd_ingest,
    "admin": cmd_admin,
    "reindex": cmd_reindex,
    "secrets": cmd_secrets,
}


def _fail(message: str) -> NoReturn:
    print(f"jobraker: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def main(argv: Sequence[str] | None = None, *, build: Builder = build_container) -> int:
    """Run the ``jobraker`` command; return its exit code.

    ``build`` makes the container from the settings (tests pass one that wires fakes).
    """
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, build)
    except CliError as error:
        _fail(str(error))
    except JobrakerError as error:
        _fail(error.message)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
