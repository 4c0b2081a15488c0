"""Notification events about new jobs: a saved search's new hit, a job above the score threshold.

The dedupe keys make each event once per (search, job) and once per strongly matching job, so a
job found again by a later refresh never notifies twice.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from jobraker_core.notifications.events import NotificationEvent, NotificationKind

if TYPE_CHECKING:
    from datetime import datetime

    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.saved_searches import SavedSearch


def _where(job: JobPosting) -> str:
    parts = [job.company or "", job.location.describe()]
    return " · ".join(p for p in parts if p)


def _job_data(job: JobPosting) -> dict[str, str]:
    data = {"job_id": str(job.id)}
    if job.apply_url or job.url:
        data["url"] = job.apply_url or job.url or ""
    return data


def saved_search_match(
    search: SavedSearch, job: JobPosting, now: datetime, score: float | None = None
) -> NotificationEvent:
    """The event telling ``search``'s owner that ``job`` is a new hit of it."""
    data = {**_job_data(job), "search_id": str(search.id)}
    if score is not None:
        data["score"] = f"{score:.0f}"
    return NotificationEvent(
        id=uuid.uuid4(),
        user_id=search.user_id,
        kind=NotificationKind.NEW_MATCH,
        dedupe_key=f"search:{search.id}:{job.id}",
        title=f"New job for “{search.name}”: {job.title}"[:300],
        body=_where(job) or job.summary(200),
        created_at=now,
        data=data,
    )


def strong_match(
    user_id: uuid.UUID, job: JobPosting, score: float, now: datetime
) -> NotificationEvent:
    """The event telling ``user_id`` that ``job`` scores ``score``, above their threshold."""
    return NotificationEvent(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=NotificationKind.NEW_MATCH,
        dedupe_key=f"score:{job.id}",
        title=f"Strong match ({score:.0f}): {job.title}"[:300],
        body=_where(job) or job.summary(200),
        created_at=now,
        data={**_job_data(job), "score": f"{score:.0f}"},
    )
