"""RQ tasks of matching: record the new jobs of every saved search after an ingestion.

``queue_saved_search_refresh`` is called by the ingestion task when a run stored new jobs; the
queued ``refresh_saved_searches`` task builds its own container in the worker process, like every
task (see ``jobraker_workers.tasks``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import structlog

from jobraker_adapters.container import Container, Settings, build_container
from jobraker_core.errors import JobrakerError
from jobraker_workers.notification_tasks import queue_dispatch

if TYPE_CHECKING:
    from jobraker_core.jobs.ingestion import IngestionCounts

REFRESH_SAVED_SEARCHES_TASK: Final = "jobraker_workers.matching_tasks.refresh_saved_searches"

log = structlog.get_logger("jobraker.workers.matching")


def queue_saved_search_refresh(container: Container, run_id: str, counts: IngestionCounts) -> None:
    """Queue the refresh of saved searches after a run that stored new jobs.

    A queue failure only delays the hits: the next run's refresh records them (it is idempotent).
    """
    if counts.new == 0:
        return
    try:
        container.task_queue().enqueue(
            REFRESH_SAVED_SEARCHES_TASK, run_id, job_id=f"saved-searches-{run_id}"
        )
    except JobrakerError as error:
        log.warning("saved_searches.not_queued", run_id=run_id, error=error.message)


def execute_saved_search_refresh(container: Container, run_id: str) -> dict[str, object]:
    """Refresh every saved search with ``container``; return what it did."""
    log.info("saved_searches.started", run_id=run_id)
    outcome = container.refresh_saved_searches()()
    result: dict[str, object] = {
        "run_id": run_id,
        "searches": outcome.searches,
        "new_hits": outcome.new_hits,
    }
    log.info("saved_searches.finished", **result)
    if outcome.new_hits:  # deliver the NEW_MATCH events of the new hits now, not next minute
        queue_dispatch(container, f"saved-searches-{run_id}")
    return result


def refresh_saved_searches(run_id: str) -> dict[str, object]:
    """RQ task: record the new matching jobs of every saved search (after run ``run_id``)."""
    container = build_container(Settings.from_os())
    try:
        return execute_saved_search_refresh(container, run_id)
    finally:
        container.shutdown_resources()
