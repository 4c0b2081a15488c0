"""Kill -9 the workers while they submit applications: 0 duplicate and 0 lost applications.

Real RQ worker processes work the submit tasks of many approved automatic applications against
the fake Skyvern, whose answer to a new run is held back (0.4 s) so that kills can land between
"run created" and "run recorded". Each round waits for a worker running a submit job, picks a
point (as the job starts; between the claim and Skyvern's answer; after the run is recorded),
and SIGKILLs the worker and its work-horse (RQ gives the horse a process group of its own, so it
is killed by id), then starts a replacement.

Then reconciliation settles what the crashes left: the test runs the use cases the minute tick
and the retried submit task run (``ReconcileApplications``, ``SubmitApplication``) in this
process, with the clock moved one hour on, past the stale and orphan windows (waiting those out
in wall-clock time would take 10 minutes a round).

Passes when every application ended settled (submitted, submitted_unverified, needs_review or
failed: nothing stuck in queued/submitting/approved), no apply URL received more than one run at
the fake Skyvern, and every submitted application holds the one run its URL received. Run with
``make long`` (``pytest -m long -s`` prints the summary; ``JOBRAKER_KILL_SEED`` picks the seed).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import attrs
import psycopg
import pytest
from dependency_injector import providers
from rq import Worker

from application_builders import make_job, make_person
from fakes.skyvern_server import FakeSkyvernServer
from jobraker_adapters.container import build_container
from jobraker_adapters.memory import FixedClock
from jobraker_core.applications.model import Mode, Status
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_core.applications.use_cases import ApplyCommand

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jobraker_adapters.container import Container

pytestmark = [pytest.mark.long, pytest.mark.integration]

PEOPLE = 15
JOBS_EACH = 4
WORKERS = 3
KILLS = int(os.environ.get("JOBRAKER_KILL_ROUNDS", "30"))
SEED = int(os.environ.get("JOBRAKER_KILL_SEED", "20261126"))
SETTLED = frozenset(
    {Status.SUBMITTED, Status.SUBMITTED_UNVERIFIED, Status.NEEDS_REVIEW, Status.FAILED}
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    """The ids of the processes whose parent is ``pid`` (from ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@attrs.define
class Workers:
    """RQ worker processes, each the leader of its own process group."""

    env: dict[str, str]
    logs: Path
    procs: list[subprocess.Popen[bytes]] = attrs.field(factory=list)
    files: dict[int, BinaryIO] = attrs.field(factory=dict)
    horses_killed: int = 0
    started: int = 0

    def start(self) -> subprocess.Popen[bytes]:
        """Start one more worker process, as ``jobraker worker`` runs it (RQ's scheduler on)."""
        self.started += 1
        code = (
            "from jobraker_adapters.settings import Settings\n"
            "from jobraker_workers.worker import run_worker\n"
            "run_worker(Settings.from_os())\n"
        )
        log = (self.logs / f"worker-{self.started}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        self.files[proc.pid] = log
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its work-horse, and reap the worker.

        RQ puts the horse in a process group of its own (``os.setpgrp``), so the horse is found
        among the worker's children and killed by its id, at the same moment.
        """
        horses = _children(proc.pid)
        for pid in (proc.pid, *horses):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)
        self.horses_killed += len(horses)
        self.procs.remove(proc)
        self.files.pop(proc.pid).close()

    def kill_all(self) -> None:
        """SIGKILL every worker still running."""
        for proc in list(self.procs):
            self.kill(proc)


@pytest.fixture
def fake() -> Iterator[FakeSkyvernServer]:
    """A fake Skyvern that holds its answer to a new run for a moment."""
    with FakeSkyvernServer(task_answer_delay=0.4, running_polls=1) as server:
        yield server


@pytest.fixture
def env_settings(settings, fake):
    """Settings shared by this process and the workers: Skyvern on the fake, webhooks nowhere."""
    return attrs.evolve(
        settings,
        queue_name=f"kill-test-{uuid.uuid4().hex[:8]}",
        skyvern_api_key=fake.api_key,
        skyvern_base_url=fake.base_url,
        public_url=f"http://127.0.0.1:{_closed_port()}",
        db_pool_max=4,
        db_pool_timeout=10.0,
    )


@pytest.fixture
def container(env_settings, db, redis_client) -> Iterator[Container]:
    """The production container of this process, on the clean test services."""
    built = build_container(env_settings)
    try:
        yield built
    finally:
        built.shutdown_resources()


@pytest.fixture
def workers(env_settings, tmp_path) -> Iterator[Workers]:
    """Worker processes with the same settings as the container; all killed at the end."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SKYVERN_", "JOBRAKER_", "ADZUNA_", "OPENAI_"))
    }
    env.update(
        {
            "DATABASE_URL": str(env_settings.database_url),
            "REDIS_URL": str(env_settings.redis_url),
            "JOBRAKER_DATA_DIR": str(env_settings.data_dir),
            "JOBRAKER_QUEUE": env_settings.queue_name,
            "JOBRAKER_DB_POOL_MAX": "2",
            "JOBRAKER_LOG_LEVEL": "WARNING",
            "JOBRAKER_PUBLIC_URL": str(env_settings.public_url),
            "SKYVERN_API_KEY": str(env_settings.skyvern_api_key),
            "SKYVERN_BASE_URL": env_settings.skyvern_base_url,
            "JOBRAKER_HTTP_TIMEOUT": "5",
        }
    )
    running = Workers(env=env, logs=tmp_path)
    try:
        yield running
    finally:
        running.kill_all()


def _approved_applications(container: Container) -> list[uuid.UUID]:
    """People ready to apply, each applying automatically to jobs on distinct sites; approved."""
    ids: list[uuid.UUID] = []
    for person_number in range(PEOPLE):
        person = make_person(
            container.uow(),
            job=make_job(
                company=f"Employer {person_number}-0",
                apply_url=f"https://careers-{person_number}-0.example.com/apply",
            ),
        )
        with container.uow()() as uow:
            uow.application_settings.put_answer(
                BankAnswer(person.user_id, Topic.YEARS_EXPERIENCE, "7", container.clock().now())
            )
            uow.commit()
        jobs = [person.job]
        for job_number in range(1, JOBS_EACH):
            job = make_job(
                title=f"Python Developer {job_number}",
                company=f"Employer {person_number}-{job_number}",
                apply_url=f"https://careers-{person_number}-{job_number}.example.com/apply",
            )
            with container.uow()() as uow:
                uow.jobs.save([job])
                uow.commit()
            jobs.append(job)
        for job in jobs:
            app = container.apply_to_job()(ApplyCommand(person.user_id, job.id, Mode.AUTO))
            assert app.status is Status.PENDING_APPROVAL, app.status
            assert app.packet is not None
            approved = container.approve_application()(person.user_id, app.id, app.packet.digest())
            assert approved.status is Status.QUEUED, approved.status
            ids.append(app.id)
    return ids


def _rows(database_url: str) -> dict[uuid.UUID, tuple[str, str, str | None]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, status, apply_url, run_id FROM applications").fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


_JOB_APPLICATION = re.compile(r"^submit-([0-9a-f-]{36})-")
KILL_POINTS = (
    "as the job starts",
    "between claim and Skyvern's answer",
    "after the run is recorded",
)


def _busy_worker(
    container: Container, workers: Workers
) -> tuple[subprocess.Popen[bytes], uuid.UUID] | None:
    """One of our workers running a submit job right now, and the job's application."""
    mine = {proc.pid: proc for proc in workers.procs}
    queue = container.task_queue().queue
    for worker in Worker.all(connection=container.redis(), queue=queue):
        job_id = worker.get_current_job_id() if worker.pid in mine else None
        match = _JOB_APPLICATION.match(job_id or "")
        if match:
            return mine[worker.pid], uuid.UUID(match.group(1))  # type: ignore[index]
    return None


def _reached(database_url: str, app_id: uuid.UUID, point: str) -> bool:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT status, run_id FROM applications WHERE id = %s", (app_id,)
        ).fetchone()
    assert row is not None
    status, run_id = row
    if point == KILL_POINTS[1]:
        return status == "submitting" and run_id is None
    return run_id is not None or status not in {"queued", "approved", "submitting"}


def _chaos(container: Container, workers: Workers, rng: random.Random) -> dict[str, int]:
    """Kill busy workers at chosen points of their jobs, many times; return what happened.

    Each round waits for a worker running a submit job, takes the next point in turn (as the job
    starts, between the claim and Skyvern's answer, after the run is recorded), waits until the
    job's application shows it has reached that point, then a random moment more (up to 0.15 s),
    and SIGKILLs the worker and its work-horse; a replacement starts. Ends after ``KILLS`` kills
    or when nothing is left to submit; the survivors then drain the queue for up to 3 minutes
    (jobs killed mid-way wait for RQ's retry back-off, or for reconciliation) and are killed at a
    random moment.
    """
    database_url = str(container.settings().database_url)
    for _ in range(WORKERS):
        workers.start()
    landed: Counter[str] = Counter()
    deadline = time.monotonic() + 900
    while sum(landed.values()) < KILLS and time.monotonic() < deadline:
        container.relay_tasks()()
        rows = _rows(database_url).values()
        if not any(status == "queued" for status, _, _ in rows):
            break
        busy = _busy_worker(container, workers)
        if busy is None:
            time.sleep(0.01)
            continue
        victim, app_id = busy
        point = KILL_POINTS[sum(landed.values()) % len(KILL_POINTS)]
        if point != KILL_POINTS[0]:
            waited = time.monotonic() + 5
            while not _reached(database_url, app_id, point) and time.monotonic() < waited:
                time.sleep(0.005)
            if not _reached(database_url, app_id, point):
                point = "elsewhere"
        time.sleep(rng.uniform(0.0, 0.15))
        workers.kill(victim)
        landed[point] += 1
        workers.start()
    drained = time.monotonic() + 180  # the survivors drain the queue, undisturbed
    while time.monotonic() < drained:
        container.relay_tasks()()
        if not any(status == "queued" for status, _, _ in _rows(database_url).values()):
            break
        time.sleep(0.2)
    time.sleep(rng.uniform(0.0, 1.0))
    workers.kill_all()  # the last kill lands wherever the workers are
    return {**landed, "horses_killed": workers.horses_killed}


def _settle(container: Container, application_ids: list[uuid.UUID]) -> int:
    """Reconcile an hour later, and run the resubmissions it asks for; return the rounds."""
    later = FixedClock(container.clock().now() + timedelta(hours=1))
    container.clock.override(providers.Object(later))
    try:
        for rounds in range(1, 11):
            container.reconcile_applications()()
            pending = [
                app_id
                for app_id in application_ids
                if _status_of(container, app_id) in {Status.QUEUED, Status.SUBMITTING}
            ]
            for app_id in pending:
                container.submit_application()(app_id)
            if not pending:
                return rounds
            later.advance(minutes=10)
        return rounds
    finally:
        container.clock.reset_override()


def _status_of(container: Container, app_id: uuid.UUID) -> Status:
    with container.uow()() as uow:
        return uow.applications.by_id(app_id).status


def test_sigkilled_workers_lose_and_duplicate_nothing(container, workers, fake, db):
    """Kill -9 workers at random points many times: 0 duplicate and 0 lost applications."""
    rng = random.Random(SEED)
    application_ids = _approved_applications(container)
    chaos = _chaos(container, workers, rng)
    after_chaos = Counter(status for status, _, _ in _rows(db).values())
    rounds = _settle(container, application_ids)

    rows = _rows(db)
    posts = Counter(request.body["url"] for request in fake.task_requests())
    statuses = Counter(status for status, _, _ in rows.values())
    lost = [app_id for app_id, (status, _, _) in rows.items() if Status(status) not in SETTLED]
    duplicates = {url: count for url, count in posts.items() if count > 1}
    run_of_url = {run.request["url"]: run_id for run_id, run in fake.runs.items()}
    submitted_without_run = [
        app_id
        for app_id, (status, url, run_id) in rows.items()
        if status in {"submitted", "submitted_unverified"}
        and (posts[url] != 1 or run_id is None or run_of_url[url] != run_id)
    ]
    summary = {
        "seed": SEED,
        "applications": len(application_ids),
        "workers": WORKERS,
        "kills": chaos,
        "after_chaos": dict(after_chaos),
        "settle_rounds": rounds,
        "final": dict(statuses),
        "runs_started_at_skyvern": sum(posts.values()),
        "duplicates": len(duplicates),
        "lost": len(lost),
    }
    print("\nkill -9 summary:", json.dumps(summary, sort_keys=True))
    assert chaos.get(KILL_POINTS[1], 0) >= KILLS // 6, "too few kills between claim and answer"
    assert len(rows) == len(application_ids)
    assert duplicates == {}
    assert lost == []
    assert submitted_without_run == []
