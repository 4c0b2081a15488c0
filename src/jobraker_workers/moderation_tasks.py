"""RQ task: moderate the jobs an ingestion run saw (flag rules, then apply-link checks).

``execute_ingestion`` queues it after each successful run that fetched something, under the job
id ``moderation-<run id>`` (so a run is moderated once however often it is queued). Flagging only
reads and writes PostgreSQL; link checks (``JOBRAKER_LINK_CHECKS``) call out to the apply links,
through the SSRF-guarded checker, at most ``MAX_LINK_CHECKS`` per run.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import structlog

from jobraker_adapters.container import Container, Settings, build_container
from jobraker_core.errors import JobrakerError
from jobraker_core.moderation.use_cases import MODERATE_TASK, CheckLinks, ModerateSince

if TYPE_CHECKING:
    from jobraker_core.jobs.ingestion import IngestionCounts

log = structlog.get_logger("jobraker.workers")

__all__ = ["execute_moderation", "moderate_ingestion", "queue_moderation"]


def queue_moderation(container: Container, run_id: str, counts: IngestionCounts) -> None:
    """Queue the moderation of what run ``run_id`` saw; a queue failure only delays it."""
    if counts.fetched == 0:
        return
    try:
        container.task_queue().enqueue(MODERATE_TASK, run_id, job_id=f"moderation-{run_id}")
    except JobrakerError as error:
        log.warning("moderation.not_queued", run_id=run_id, error=error.message)


def execute_moderation(container: Container, run_id: str) -> dict[str, object] | None:
    """Flag the jobs run ``run_id`` saw and check their apply links; return what was done."""
    try:
        parsed = uuid.UUID(run_id)
    except ValueError:
        log.error("moderation.bad_run_id", run_id=run_id)  # noqa: TRY400 - no traceback needed
        return None
    run = container.get_ingestion()(parsed)
    since = run.started_at or run.created_at
    report = container.moderate_jobs()(ModerateSince(since))
    settings: Settings = container.settings()
    dead = container.check_apply_links()(CheckLinks(since)) if settings.link_checks else None
    result: dict[str, object] = {
        "run_id": run_id,
        "scanned": report.scanned,
        "flagged": report.flagged,
        **{f"flagged_{rule}": count for rule, count in report.raised},
        "dead_links": dead,
    }
    log.info("moderation.finished", **result)
    return result


def moderate_ingestion(run_id: str) -> dict[str, object] | None:
    """RQ task: moderate the jobs ingestion run ``run_id`` saw (``MODERATE_TASK``)."""
    container = build_container(Settings.from_os())
    try:
        return execute_moderation(container, run_id)
    finally:
        container.shutdown_resources()
