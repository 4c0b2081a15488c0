"""The full-text half of a recommendation: a profile's words in whole postings vs in titles only.

A recommendation's full-text candidate query ORs the profile's desired titles, role titles and
skills (``MatchEngine.query_text``). This benchmark stores the 300 RJDB jobs among ``--jobs``
varied synthetic postings (``benchmarks/synthetic_jobs.py``) in a fresh embedded PostgreSQL and
times, for the first ``--profiles`` RJDB résumés, the shipped retriever's full-text path
(``PostgresJobRetriever.retrieve`` with text only, a pool of 300) with each ``TextScope``:

- ``everywhere`` (title, company and description: the ``search`` tsvector) is the baseline,
  measured in the same run;
- ``titles`` (the ``title_search`` tsvector of migration 0090) is what recommendations use.

Each scope runs one warm-up pass over the profiles, then a timed pass (wall clock; the machine is
shared, so the load average is recorded). The retriever's own full-text timeout is lifted, so a
slow query is measured rather than cut off; the report says how many would have passed the
shipped ``DEFAULT_TEXT_TIMEOUT_MS``. Results: ``benchmarks/results/text-candidates-<jobs>.json``
and a section of ``docs/benchmarks.md``. Not part of the test suite.

    python -m benchmarks.text_candidates --jobs 100000 --profiles 60
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.matching_quality import DEFAULT_DATA, Study, background_postings, load
from benchmarks.report import keep_and_render, machine_line, percentile
from benchmarks.vectors import machine
from jobraker_adapters.postgres.retrieval import DEFAULT_TEXT_TIMEOUT_MS, PostgresJobRetriever
from jobraker_core.accounts.profile import JobPreferences
from jobraker_core.jobs.model import JobQuery
from jobraker_core.matching.embedding import EmbeddingSpec
from jobraker_core.matching.retrieval import TextScope
from jobraker_core.matching.scoring import Seeker
from jobraker_core.matching.use_cases import RETRIEVAL_POOL, MatchEngine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SUMMARY_START = "<!-- text-candidates:start -->"
SUMMARY_END = "<!-- text-candidates:end -->"
_SPEC = EmbeddingSpec("bench-text:4", 4)  # no vectors are stored or asked for


def _store(container: Any, jobs: Sequence[Any]) -> float:
    """Save the postings in units of 1,000, then ANALYZE them; return the seconds it took."""
    started = time.perf_counter()
    for start in range(0, len(jobs), 1000):
        with container.uow()() as uow:
            uow.jobs.save(list(jobs[start : start + 1000]))
            uow.commit()
    with container.db_pool().connection() as conn:
        conn.execute("ANALYZE jobs")
    return time.perf_counter() - started


def _matched(conn: Any, column: str, text: str) -> int:
    """How many postings the OR-ed profile words match in ``column``."""
    from jobraker_adapters.postgres.jobs import TEXT_SEARCH_CONFIG  # noqa: PLC0415
    from jobraker_core.matching.retrieval import query_terms  # noqa: PLC0415

    words = " or ".join(term for term in query_terms(text) if term != "or")
    row = conn.execute(
        f"SELECT count(*) FROM jobs j WHERE j.{column}"
        f" @@ websearch_to_tsquery('{TEXT_SEARCH_CONFIG}', %s)",
        (words,),
    ).fetchone()
    return int(row[0]) if row else 0


def measure(jobs: int, profiles: int, data_dir: Path) -> dict[str, Any]:
    """Store the corpus, time both scopes over the profiles; the result record."""
    from jobraker_adapters.container import Settings, build_container  # noqa: PLC0415

    study = Study(load(data_dir))
    texts = [
        MatchEngine.query_text(Seeker(profile, JobPreferences()))
        for profile in study.matched[:profiles]
    ]
    postings = [
        *(row.job for row in study.rows),
        *background_postings(max(0, jobs - len(study.rows)), data_dir),
    ]
    data = Path(tempfile.mkdtemp(prefix="jobraker-bench-text-"))
    container = build_container(Settings(data_dir=data, db_statement_timeout_ms=0))
    try:
        container.migrate()
        load_s = _store(container, postings)
        print(f"stored {len(postings):,} postings in {load_s:.0f} s", flush=True)
        retriever = PostgresJobRetriever(  # text only: no vector, no shard walks
            container.db_pool(), _SPEC, text_timeout_ms=10**9, walk_connections=0
        )
        scopes: dict[str, Any] = {}
        for scope, column in ((TextScope.EVERYWHERE, "search"), (TextScope.TITLES, "title_search")):
            seconds: list[float] = []
            for timed in (False, True):
                for text in texts:
                    started = time.perf_counter()
                    retriever.retrieve(
                        text=text,
                        vector=None,
                        filters=JobQuery(),
                        limit=RETRIEVAL_POOL,
                        text_scope=scope,
                    )
                    if timed:
                        seconds.append(time.perf_counter() - started)
            with container.db_pool().connection() as conn:
                matched = [_matched(conn, column, text) for text in texts]
            scopes[scope.value] = {
                "p50_ms": statistics.median(seconds) * 1000,
                "p95_ms": percentile(seconds, 95) * 1000,
                "max_ms": max(seconds) * 1000,
                "over_timeout": sum(s * 1000 > DEFAULT_TEXT_TIMEOUT_MS for s in seconds),
                "matched_share_median": statistics.median(matched) / len(postings),
            }
            print(f"{scope.value}: {scopes[scope.value]}", flush=True)
    finally:
        container.shutdown_resources()
        shutil.rmtree(data, ignore_errors=True)
    return {
        "machine": {**machine(), "postgresql_driver": metadata.version("psycopg")},
        "params": {
            "jobs": len(postings),
            "profiles": len(texts),
            "pool": RETRIEVAL_POOL,
            "text_timeout_ms_shipped": DEFAULT_TEXT_TIMEOUT_MS,
        },
        "load_s": load_s,
        "scopes": scopes,
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def section(results: Sequence[dict[str, Any]]) -> list[str]:
    """The section of docs/benchmarks.md: one row per corpus size and scope."""
    lines = [
        SUMMARY_START,
        "## Recommendation full-text candidates (whole posting vs titles only, same run)",
        "",
        (
            "`python -m benchmarks.text_candidates`: the RJDB jobs among varied synthetic "
            "postings; each RJDB résumé's recommendation query (its titles and skills, OR-ed) "
            f"through the shipped retriever's full-text path, a pool of {RETRIEVAL_POOL}; one "
            "warm-up pass, then a timed pass, wall clock. *matched* is the median share of "
            "postings the query matches (all of which are ranked). The whole-posting scope is "
            "the baseline; recommendations use titles only (migration 0090)."
        ),
        "",
        (
            "| jobs | profiles | scope | p50 ms | p95 ms | max ms | matched "
            "| over the 3 s timeout | p50 vs baseline | measured | load avg |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        params, scopes = result["params"], result["scopes"]
        base = scopes["everywhere"]["p50_ms"]
        for name, row in scopes.items():
            lines.append(
                f"| {params['jobs']:,} | {params['profiles']} | {name} | {row['p50_ms']:.1f} "
                f"| {row['p95_ms']:.1f} | {row['max_ms']:.1f} "
                f"| {row['matched_share_median']:.1%} | {row['over_timeout']} "
                f"| {row['p50_ms'] / base:.3f}x | {result['finished']} "
                f"| {result['machine']['load_average']} |"
            )
    lines += ["", machine_line(results[-1]["machine"] if results else {}), "", SUMMARY_END]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run one corpus size, keep its result, re-render the section."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.text_candidates", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--profiles", type=int, default=60)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    result = measure(args.jobs, args.profiles, args.data_dir)
    out = RESULTS / f"text-candidates-{args.jobs}.json"
    keep_and_render(
        result, out, section, (SUMMARY_START, SUMMARY_END), ROOT / "docs" / "benchmarks.md"
    )
    print(f"wrote {out} and docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
