"""Recommendations: the cold pool from stored analyses, and ``GET /recommendations/`` under load.

Stores the 300 RJDB jobs among ``--jobs`` varied synthetic postings
(``benchmarks/synthetic_jobs.py``) in a fresh embedded PostgreSQL, embeds them and builds the
index as a bulk load does, and runs the after-ingestion analysis pass (``AnalyseJobs``). Then
``--users`` people each upload their own RJDB résumé (the matched one) and:

1. **Cold pool** (in process, same run): for each person, the 300 jobs retrieval hands the
   scorer are analysed by a fresh analyser, which is what a process that has not seen them yet
   did before analyses were stored (the baseline), and read from the store by another fresh
   analyser (``analyses_of``, what it does now). Wall clock, one pass.
2. **Over HTTP**: the API under uvicorn (one process, the shipped settings) and a bare Litestar
   hello-world under the same settings, driven by ``wrk`` (one thread) for ``--seconds`` at 1 and
   ``--connections`` connections; every request is a person's recommendations with their own
   token, the people taken in turn. One warm-up request per person comes first, so each
   profile's vector is made (the target speaks of a precomputed profile vector). The API runs
   twice: ranking afresh on every request (``JOBRAKER_RECOMMENDATION_CACHE_SECONDS=0``, the
   baseline) and with the shipped kept rankings.

Results: ``benchmarks/results/recommendations-<jobs>.json`` and a section of
``docs/benchmarks.md``. Not part of the test suite; the machine is shared, so the load average is
recorded.

    python -m benchmarks.recommendations --jobs 20000 --users 20
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.__main__ import WRK_SCRIPT, _free_port, _serve
from benchmarks.matching_quality import DEFAULT_DATA, _load_jobs, background_postings, load
from benchmarks.report import keep_and_render, machine_line, percentile
from benchmarks.vectors import machine
from jobraker_adapters.settings import Settings
from jobraker_adapters.taxonomy import taxonomy_version
from jobraker_core.jobs.model import JobQuery
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.analysis_store import analyses_of
from jobraker_core.matching.retrieval import TextScope
from jobraker_core.matching.use_cases import RETRIEVAL_POOL

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SUMMARY_START = "<!-- recommendations:start -->"
SUMMARY_END = "<!-- recommendations:end -->"
PATH = "/api/v1/jobs/recommendations/"
PASSWORD = "a long benchmark passphrase"  # noqa: S105 - a throwaway account of the benchmark
ROTATE = """
local tokens = {%s}
local next_token = 0
request = function()
  next_token = next_token %% #tokens + 1
  return wrk.format("GET", "%s", {["Authorization"] = "Bearer " .. tokens[next_token]})
end
"""


def _wrk(url: str, connections: int, seconds: int, tokens: Sequence[str] = ()) -> dict[str, Any]:
    """Drive ``url`` with wrk; with ``tokens``, each request carries the next one in turn."""
    script = WRK_SCRIPT
    if tokens:
        script += ROTATE % (", ".join(f'"{t}"' for t in tokens), PATH)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [
                *("wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"),
                *("-s", handle.name, url),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(handle.name).unlink()
    data = json.loads(next(line for line in out.splitlines() if line.startswith("JSON "))[5:])
    return {
        "connections": connections,
        "req_per_s": round(data["requests"] / (data["duration_us"] / 1e6), 1),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["errors"] + data["non2xx"],
    }


def _people(container: Any, resumes: Sequence[str]) -> dict[uuid.UUID, str]:
    """Register one person per résumé and upload it; their emails by user id."""
    from jobraker_core.accounts.use_cases import RegisterUser  # noqa: PLC0415
    from jobraker_core.matching.use_cases import UploadResumeCommand  # noqa: PLC0415

    people: dict[uuid.UUID, str] = {}
    for number, text in enumerate(resumes):
        email = f"bench-{number}-{uuid.uuid4().hex[:6]}@example.com"
        user = container.register()(RegisterUser(email=email, password=PASSWORD))
        container.upload_resume()(
            UploadResumeCommand(user_id=user.id, content=text.encode(), filename="resume.txt")
        )
        people[user.id] = email
    return people


def _warm_up(api: str, emails: Iterable[str]) -> tuple[list[str], list[float]]:
    """Log every person in and ask once for their recommendations: tokens, first-request times."""
    tokens: list[str] = []
    first: list[float] = []
    for email in emails:
        login = httpx.post(
            api + "/api/v1/auth/login/",
            json={"email": email, "password": PASSWORD},
            timeout=30,
        )
        login.raise_for_status()
        token = str(login.json()["data"]["access_token"])
        tokens.append(token)
        started = time.perf_counter()
        answer = httpx.get(api + PATH, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        answer.raise_for_status()
        first.append(time.perf_counter() - started)
    return tokens, first


def _cold_pools(container: Any, people: Sequence[uuid.UUID]) -> dict[str, Any]:
    """Per person: analyse the pool with a fresh analyser, and read it from the store."""
    engine = container.match_engine()
    store = container.job_analyses()
    shipped = container.job_analyser()
    made: list[float] = []
    read: list[float] = []
    for user_id in people:
        with container.uow()() as uow:
            seeker = engine.seeker(uow, user_id)
            found = container.job_retriever().retrieve(
                text=engine.query_text(seeker) or None,
                vector=engine.profile_vector(seeker),
                filters=JobQuery(),
                limit=RETRIEVAL_POOL,
                text_scope=TextScope.TITLES,
                skills=engine.skill_ids(seeker),
            )
            jobs = uow.jobs.get_many([item.job_id for item in found])
        for store_or_none, seconds in ((None, made), (store, read)):
            fresh = JobAnalyser(shipped.extractor, shipped.titles, data_version=taxonomy_version())
            started = time.perf_counter()
            analyses_of(fresh, store_or_none, jobs)
            seconds.append(time.perf_counter() - started)
    return {
        "pool": RETRIEVAL_POOL,
        "analysed_p50_ms": statistics.median(made) * 1000,
        "analysed_p95_ms": percentile(made, 95) * 1000,
        "stored_p50_ms": statistics.median(read) * 1000,
        "stored_p95_ms": percentile(read, 95) * 1000,
    }


def measure(
    jobs: int, users: int, connections: int, seconds: int, data_dir: Path
) -> dict[str, Any]:
    """Store the corpus, analyse it, make the people, time both parts; the result record."""
    from jobraker_adapters.container import build_container  # noqa: PLC0415

    rows = load(data_dir)
    postings = [
        *(row.job for row in rows),
        *background_postings(max(0, jobs - len(rows)), data_dir),
    ]
    work = Path(tempfile.mkdtemp(prefix="jobraker-bench-recommend-"))
    settings = Settings(data_dir=work / "data", db_statement_timeout_ms=0)
    container = build_container(settings)
    try:
        endpoints = container.endpoints()
        container.migrate()
        started = time.perf_counter()
        _load_jobs(container, postings)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        counts = container.analyse_jobs()()
        analyse_s = time.perf_counter() - started
        print(
            f"stored {len(postings):,} postings in {load_s:.0f} s, analysed {counts.analysed:,}"
            f" in {analyse_s:.0f} s",
            flush=True,
        )
        people = _people(container, [row.matched for row in rows[:users]])
        cold = _cold_pools(container, people)
        print(f"cold pools: {cold}", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": endpoints.database_url,
            "REDIS_URL": endpoints.redis_url,
            "JOBRAKER_DATA_DIR": str(settings.data_dir),
            "JOBRAKER_RATE_LIMIT_ENABLED": "false",  # the API is measured, not the limiter
        }
        with _serve(["benchmarks.hello_app:app"], env, _free_port(), "/") as hello:
            baseline = _wrk(hello + "/", connections, seconds)
        print(f"hello-world: {baseline}", flush=True)
        runs: dict[str, tuple[list[dict[str, Any]], list[float]]] = {}
        # Ranked on every request (the baseline), then with the shipped kept rankings.
        for label, lifetime in (("fresh", "0"), ("kept", None)):
            run_env = dict(env)
            if lifetime is not None:
                run_env["JOBRAKER_RECOMMENDATION_CACHE_SECONDS"] = lifetime
            with _serve(
                ["--factory", "jobraker_http.asgi:app"], run_env, _free_port(), "/health"
            ) as api:
                tokens, first = _warm_up(api, people.values())
                http = [_wrk(api + PATH, count, seconds, tokens) for count in (1, connections)]
            runs[label] = (http, first)
            print(f"recommendations, {label}: {http}", flush=True)
        http, first = runs["kept"]
    finally:
        container.shutdown_resources()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "machine": machine(),
        "params": {
            "jobs": len(postings),
            "users": len(people),
            "connections": connections,
            "seconds": seconds,
            "pool": RETRIEVAL_POOL,
        },
        "load_s": load_s,
        "analysis_pass": {"seconds": analyse_s, "analysed": counts.analysed},
        "cold": cold,
        "first_request_p50_ms": statistics.median(first) * 1000,
        "first_request_max_ms": max(first) * 1000,
        "baseline": baseline,
        "http": http,
        "http_fresh": runs["fresh"][0],
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def section(results: Sequence[dict[str, Any]]) -> list[str]:
    """The section of docs/benchmarks.md: one block per corpus size."""
    lines = [
        SUMMARY_START,
        "## Recommendations (stored analyses; `GET /api/v1/jobs/recommendations/` under load)",
        "",
        (
            "`python -m benchmarks.recommendations`: the RJDB jobs among varied synthetic "
            "postings, each person one RJDB résumé. *Cold pool*: the pool of "
            f"{RETRIEVAL_POOL} jobs retrieval hands the scorer, analysed by a fresh analyser "
            "(the baseline: what a process that had not seen them did) against read from the "
            "stored analyses (what it does now), same run. *HTTP*: one uvicorn process, wrk "
            "with one thread, every request a person's recommendations with their own token "
            "in turn, after one warm-up request each; the hello-world baseline runs under the "
            "same settings. *Ranked afresh* is the API with "
            "`JOBRAKER_RECOMMENDATION_CACHE_SECONDS=0` (every request retrieves and scores "
            "the pool: the baseline); *kept* is the shipped default (a person's ranking is "
            "kept for 60 s and only the page is scored again, `RankedPools`), same run. "
            "Target (performance reference, api-recommend): p95 <= 50 ms at 20 "
            "concurrent clients with a precomputed profile vector."
        ),
        "",
        (
            "| jobs | people | cold pool analysed p50 / p95 ms | cold pool stored p50 / p95 ms "
            "| stored vs analysed | first request p50 ms | 1 client p50 / p95 ms "
            "| 20 clients req/s, p50 / p95 ms | 20 clients ranked afresh req/s, p50 / p95 ms "
            "| hello-world req/s | measured | load avg |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        params, cold = result["params"], result["cold"]
        one, many = result["http"][0], result["http"][-1]
        lines.append(
            f"| {params['jobs']:,} | {params['users']} "
            f"| {cold['analysed_p50_ms']:.0f} / {cold['analysed_p95_ms']:.0f} "
            f"| {cold['stored_p50_ms']:.0f} / {cold['stored_p95_ms']:.0f} "
            f"| {cold['stored_p50_ms'] / cold['analysed_p50_ms']:.3f}x "
            f"| {result['first_request_p50_ms']:.0f} "
            f"| {one['p50_ms']:.0f} / {one['p95_ms']:.0f} "
            f"| {many['req_per_s']:.0f}, {many['p50_ms']:.0f} / {many['p95_ms']:.0f} "
            f"| {_fresh(result)} "
            f"| {result['baseline']['req_per_s']:.0f} | {result['finished']} "
            f"| {result['machine']['load_average']} |"
        )
    errors = sum(
        r["errors"] for result in results for r in (*result["http"], *result.get("http_fresh", ()))
    )
    lines += [
        "",
        machine_line(results[-1]["machine"] if results else {})
        + f" Errors (non-2xx or socket) in every run: {errors}.",
        "",
        SUMMARY_END,
    ]
    return lines


def _fresh(result: dict[str, Any]) -> str:
    """The ranked-afresh run at the most clients, or a dash for runs from before it existed."""
    runs = result.get("http_fresh")
    if not runs:
        return "— (the only way then)"
    many = runs[-1]
    return f"{many['req_per_s']:.0f}, {many['p50_ms']:.0f} / {many['p95_ms']:.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one corpus size, keep its result, re-render the section."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.recommendations", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        parser.error("wrk is needed (Debian package wrk)")
    result = measure(args.jobs, args.users, args.connections, args.seconds, args.data_dir)
    out = RESULTS / f"recommendations-{args.jobs}.json"
    keep_and_render(
        result, out, section, (SUMMARY_START, SUMMARY_END), ROOT / "docs" / "benchmarks.md"
    )
    print(f"wrote {out} and docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
