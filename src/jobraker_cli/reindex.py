"""``jobraker reindex``: embed every job for the configured embedder and make it the active model.

Run it after changing ``JOBRAKER_EMBEDDER``, ``JOBRAKER_EMBEDDING_MODEL`` or
``JOBRAKER_EMBEDDING_DIMENSIONS``: the vectors of the new model are made for every job (with
progress), the model is recorded as active, and the previous model's vectors and index are
dropped. With the model unchanged it only embeds what is missing or stale (``--full`` re-embeds
everything). It then stores the analysis of every job that has none of the current analyser's
version or changed since (ADR 0018), which an upgrade adding or changing the analyser leaves to
the next ingestion run otherwise.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from jobraker_adapters.container import Container, Settings, configure_logging
from jobraker_core.matching.analysis_store import AnalysisCounts
from jobraker_core.matching.use_cases_index import EmbeddingCounts, Reindex

if TYPE_CHECKING:
    from collections.abc import Callable

    Builder = Callable[[Settings], Container]

__all__ = ["add_reindex_parser", "cmd_reindex"]


def add_reindex_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``reindex`` command to the ``jobraker`` parser."""
    reindex = commands.add_parser(
        "reindex",
        help="embed every job for the configured embedder (after a model or dimension change)"
        " and store the analysis of every job that has no current one",
    )
    reindex.add_argument(
        "--full",
        action="store_true",
        help="re-embed every job even when the embedding model has not changed",
    )
    reindex.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="data directory of the embedded PostgreSQL and Redis "
        "(default: $JOBRAKER_DATA_DIR, else ~/.local/share/jobraker)",
    )


def _describe(counts: EmbeddingCounts) -> str:
    return (
        f"{counts.checked:,} checked: {counts.embedded:,} embedded, {counts.reused:,} reused, "
        f"{counts.unchanged:,} unchanged"
    )


def _describe_analyses(counts: AnalysisCounts) -> str:
    return (
        f"{counts.checked:,} checked: {counts.analysed:,} analysed and stored, "
        f"{counts.unchanged:,} unchanged"
    )


def cmd_reindex(args: argparse.Namespace, build: Builder) -> int:
    """``jobraker reindex [--full]``: re-embed for the configured model, with progress."""
    settings = Settings.from_os(data_dir=args.data_dir)
    level = settings.log_level if settings.log_level in {"DEBUG", "WARNING", "ERROR"} else "WARNING"
    configure_logging(attrs.evolve(settings, log_level=level))
    started = time.monotonic()
    container = build(settings)
    try:
        container.migrate()
        spec = container.embedding_spec()
        previous = container.job_embeddings().active_model()
        print(f"Embedding model: {spec.model_id} ({spec.dimensions} dimensions)", flush=True)
        if previous is None:
            print("No model was recorded yet: embedding every job.", flush=True)
        elif previous != spec:
            print(
                f"The active model was {previous.model_id} ({previous.dimensions} dimensions): "
                "embedding every job again.",
                flush=True,
            )

        def progress(counts: EmbeddingCounts, total: int) -> None:
            rate = counts.checked / max(time.monotonic() - started, 1e-9)
            print(f"  {_describe(counts)} (of {total:,} jobs; {rate:,.0f} jobs/s)", flush=True)

        result = container.reindex_jobs()(Reindex(full=args.full), on_progress=progress)
        print(f"Analyses: {container.job_analyser().version}", flush=True)
        analysed = container.analyse_jobs()(
            on_progress=lambda counts: print(f"  {_describe_analyses(counts)}", flush=True)
        )
    finally:
        container.shutdown_resources()
    seconds = time.monotonic() - started
    print(f"Done in {seconds:.1f} s: {_describe(result.counts)}.")
    if result.removed and result.previous is not None:
        print(f"Removed {result.removed:,} vectors of {result.previous.model_id}.")
    print(f"Active model: {result.current.model_id}.")
    print(f"Analyses: {_describe_analyses(analysed)}.")
    return 0
