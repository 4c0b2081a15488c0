"""RQ task of documents: draft a queued tailored résumé or cover letter with the language model.

``TailorResume`` / ``DraftCoverLetter`` queue ``produce_document`` (``PRODUCE_DOCUMENT_TASK``) with
the person's id and the document's id; the task builds its own container in the worker process,
like every task. Failures go through ``jobraker_workers.errors.classify``: a transient one (the
model or the database unreachable) is re-raised for RQ to retry while retries are left; a
permanent one, or the last transient one, fails the document (``FailDocument``) so that polling
shows ``failed`` and why; a bug also fails it and is re-raised with RQ's retries cancelled.
"""

from __future__ import annotations

import uuid

import structlog
from rq import get_current_job

from jobraker_adapters.container import Container, Settings, build_container
from jobraker_core.errors import JobrakerError
from jobraker_workers.errors import Verdict, classify, describe

log = structlog.get_logger("jobraker.workers.documents")


def _fail(container: Container, user_id: uuid.UUID, document_id: uuid.UUID, reason: str) -> None:
    try:
        container.fail_document()(user_id, document_id, reason)
    except JobrakerError as error:
        log.warning(
            "document.mark_failed_impossible", document_id=str(document_id), error=error.message
        )


def execute_document(
    container: Container, user_id: str, document_id: str, *, retries_left: int = 0
) -> dict[str, object] | None:
    """Make document ``document_id`` of ``user_id`` with ``container``; return its final state."""
    try:
        user, document = uuid.UUID(user_id), uuid.UUID(document_id)
    except ValueError:
        log.error("document.bad_id", document_id=document_id)  # noqa: TRY400 - no traceback needed
        return None
    log.info("document.started", document_id=document_id, retries_left=retries_left)
    try:
        made = container.produce_document()(user, document)
    except Exception as error:
        verdict = classify(error, retries_left=retries_left)
        context = {"document_id": document_id, "error": describe(error)}
        if verdict is Verdict.RETRY:
            log.warning("document.retrying", **context)
            raise
        _fail(container, user, document, describe(error))
        if verdict is Verdict.GIVE_UP:
            log.error("document.failed", **context)  # noqa: TRY400 - the reason says it all
            return None
        log.error("document.crashed", exc_info=error, **context)  # noqa: TRY400 - exc_info given
        raise
    result: dict[str, object] = {
        "document_id": document_id,
        "status": made.status.value,
        "attempts": made.attempts,
    }
    log.info("document.finished", **result)
    return result


def produce_document(user_id: str, document_id: str) -> dict[str, object] | None:
    """RQ task: draft the queued document ``document_id`` of ``user_id``."""
    job = get_current_job()
    retries_left = (job.retries_left or 0) if job is not None else 0
    container = build_container(Settings.from_os())
    try:
        return execute_document(container, user_id, document_id, retries_left=retries_left)
    except Exception as error:
        if job is not None and classify(error, retries_left=retries_left) is Verdict.FAIL:
            job.retries_left = 0  # a bug: the document is failed, RQ must not run it again
        raise
    finally:
        container.shutdown_resources()
