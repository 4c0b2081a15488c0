"""Saved searches: filters a person keeps, and the new jobs found for them after each ingestion.

A search records only jobs first seen after it was saved (it tells what is *new*); with a
``min_score`` it also needs the job to score at least that for the person. Notifications about
hits come later; the hits are stored and listed now.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import JobQuery

MAX_NAME: Final = 200
MAX_SEARCHES_PER_USER: Final = 50


def _name(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput("name must not be blank", field="name")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"name is longer than {MAX_NAME} characters", field="name")
    return cleaned


def _min_score(_: object, __: object, value: float | None) -> None:
    if value is not None and not 0 <= value <= 100:  # noqa: PLR2004 - the score's range
        raise InvalidInput("min_score must be between 0 and 100", field="min_score")


@attrs.frozen
class SavedSearch:
    """A person's saved filters (``query``; its sort and ``posted_since`` are not used)."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str = attrs.field(converter=_name)
    query: JobQuery
    min_score: float | None = attrs.field(default=None, validator=_min_score)
    created_at: datetime = attrs.field(kw_only=True)
    checked_at: datetime | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class SavedSearchHit:
    """A job found for a saved search, when it was found, and its score then (if scored)."""

    search_id: uuid.UUID
    job_id: uuid.UUID
    found_at: datetime
    score: float | None = None


@attrs.frozen
class RefreshOutcome:
    """What one refresh of every saved search did."""

    searches: int
    new_hits: int
