"""The whole product as a user runs it.

``jobraker up``, the API, a second-terminal ingest, an ingestion through the API on the worker, a
clean stop, and a restart that keeps the data.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

START_TIMEOUT = 300.0  # a first start initialises PostgreSQL and loads the demo corpus
STOP_TIMEOUT = 90.0
RUN_TIMEOUT = 180.0


def _jobraker() -> list[str]:
    script = Path(sys.executable).with_name("jobraker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jobraker_cli.main"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env() -> dict[str, str]:
    """Return this environment without service URLs or Jobraker settings: embedded services."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL"} and not k.startswith(("JOBRAKER_", "ADZUNA_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["JOBRAKER_LOG_LEVEL"] = "WARNING"
    return env


class Product:
    """One ``jobraker up`` process and what it wrote."""

    def __init__(self, data_dir: Path, logs: Path) -> None:
        """Start ``jobraker up`` on a free port with ``data_dir``, logging beside ``logs``."""
        self.data_dir = data_dir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.out = logs.with_suffix(".out")
        self.err = logs.with_suffix(".err")
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [*_jobraker(), "up", "--port", str(self.port), "--data-dir", str(data_dir)],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=_env(),
            )

    def output(self) -> str:
        """Return what the process printed (for failure messages)."""
        return self.out.read_text() + "\n--- stderr (tail) ---\n" + self.err.read_text()[-4000:]

    def wait_ready(self, client: httpx.Client) -> None:
        """Wait (bounded) until ``/ready`` answers 200; fail if the process exits first."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"jobraker up exited early:\n{self.output()}"
            try:
                if client.get(f"{self.base}/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        pytest.fail(f"jobraker up was not ready within {START_TIMEOUT:.0f} s:\n{self.output()}")

    def stop(self) -> int:
        """Send SIGTERM and return the exit code (bounded wait)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"jobraker up did not stop within {STOP_TIMEOUT:.0f} s:\n{self.output()}")

    def kill(self) -> None:
        """End the process if it still runs (clean-up after a failure): politely, then by force."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


def _total(client: httpx.Client, url: str, **params: str) -> int:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["meta"]["pagination"]["total"])


def _demo_runs(client: httpx.Client, base: str) -> list[dict[str, object]]:
    body = client.get(f"{base}/api/v1/ingestions/", params={"per_page": "100"}).json()
    return [run for run in body["data"] if run["source"]["kind"] == "demo"]


def _wait_run(client: httpx.Client, base: str, run_id: str) -> dict[str, object]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run = client.get(f"{base}/api/v1/ingestions/{run_id}/").json()["data"]
        if run["status"] in {"succeeded", "failed"}:
            return dict(run)
        time.sleep(0.5)
    pytest.fail(f"ingestion {run_id} did not finish within {RUN_TIMEOUT:.0f} s")


def _write_feed(path: Path) -> None:
    rows = [
        {
            "source_id": f"zq-{n}",
            "title": f"Quixotic zebra keeper {n}",
            "company": f"Zoo {n}",
            "description": "Care for the zebras of a quixotic zoo.",
            "country": "GB",
            "location": "Bristol",
            "salary_min": 30000,
            "salary_max": 35000,
            "salary_currency": "GBP",
            "salary_period": "year",
        }
        for n in range(5)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture
def data_dir():
    """Return a fresh data directory outside pytest's private temp root.

    The embedded PostgreSQL runs as another OS user when we are root, and pytest makes its temp
    root private again whenever a pytest session starts, so that user could lose its way in.
    """
    path = Path(tempfile.mkdtemp(prefix="jobraker-e2e-"))
    try:
        yield path / "data"
    finally:
        _stop_leftover_services(path / "data")
        shutil.rmtree(path, ignore_errors=True)


def _stop_leftover_services(data_dir: Path) -> None:
    """Stop the embedded servers of ``data_dir`` that a killed ``jobraker up`` left running."""
    for pid_file, program, sig in (
        (data_dir / "redis" / "redis.pid", b"redis-server", signal.SIGTERM),
        (data_dir / "postgres" / "postmaster.pid", b"postgres", signal.SIGINT),  # fast shutdown
    ):
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # no pid file, or no such process
        if program in command and str(data_dir).encode() in command + _cwd(pid):
            os.kill(pid, sig)
            _wait_gone(pid)


def _cwd(pid: int) -> bytes:
    try:
        return str(Path(f"/proc/{pid}/cwd").readlink()).encode()
    except OSError:
        return b""


ADMIN_EMAIL = "e2e-admin@example.com"
ADMIN_PASSWORD = "a long e2e passphrase"


def _create_admin(data_dir: Path) -> None:
    """Create the admin account with the CLI, in the product's data directory."""
    created = subprocess.run(
        [
            *_jobraker(),
            "admin",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--password-stdin",
            "--data-dir",
            str(data_dir),
        ],
        input=ADMIN_PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=_env(),
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr


def _log_in(client: httpx.Client, base: str) -> None:
    """Log in as the admin and send its access token with every later request."""
    response = client.post(
        f"{base}/api/v1/auth/login/", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['data']['access_token']}"


def test_up_serve_ingest_stop_restart(tmp_path, data_dir):
    """Start, find the demo jobs, ingest a feed and an API run, stop, restart: data intact."""
    feed = tmp_path / "zebras.jsonl"
    _write_feed(feed)
    with httpx.Client(timeout=30) as client:
        first = Product(data_dir, tmp_path / "first")
        try:
            first.wait_ready(client)
            _create_admin(data_dir)
            _log_in(client, first.base)
            jobs_url = f"{first.base}/api/v1/jobs/"
            seeded = _total(client, jobs_url)
            # 500 real postings, one of them a re-post of another: 499 jobs
            assert seeded == 499, first.output()
            assert [run["status"] for run in _demo_runs(client, first.base)] == ["succeeded"]
            assert "/api/docs/" in first.out.read_text()
            # The seeding took the worker's after-ingestion steps before the API came up.
            salaries = client.get(
                f"{first.base}/api/v1/market/salaries/", params={"title": "Software Engineer"}
            ).json()["data"]
            assert salaries["jobs_not_yet_analysed"] == 0, salaries
            assert salaries["salaries"], salaries
            flags = client.get(f"{first.base}/api/v1/admin/moderation/flags/").json()
            assert flags["meta"]["pagination"]["total"] > 0, flags

            ingest = subprocess.run(
                [*_jobraker(), "ingest", "file", str(feed), "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                env=_env(),
                timeout=RUN_TIMEOUT,
                check=False,
            )
            assert ingest.returncode == 0, ingest.stdout + ingest.stderr
            assert "new 5" in ingest.stdout
            assert _total(client, jobs_url, q="quixotic zebra") == 5

            queued = client.post(f"{first.base}/api/v1/ingestions/", json={"source": "demo"})
            assert queued.status_code == 202, queued.text
            run = _wait_run(client, first.base, queued.json()["data"]["id"])
            assert run["status"] == "succeeded", run
            counts = run["counts"]
            assert (counts["fetched"], counts["new"], counts["updated"]) == (500, 0, 0), counts
            assert counts["duplicate"] == 500, counts
            total = _total(client, jobs_url)
            assert total == seeded + 5

            postmaster = _postmaster_pid(data_dir)
            assert first.stop() == 0, first.output()
        finally:
            first.kill()
        assert "Jobraker stopped." in first.out.read_text()
        assert _wait_gone(postmaster), "the embedded PostgreSQL is still running"

        second = Product(data_dir, tmp_path / "second")
        try:
            second.wait_ready(client)
            _log_in(client, second.base)
            assert _total(client, f"{second.base}/api/v1/jobs/") == total
            assert len(_demo_runs(client, second.base)) == 2  # the seed and the API run: no reseed
            assert "loading the demo jobs" not in second.out.read_text()
            assert second.stop() == 0, second.output()
        finally:
            second.kill()
