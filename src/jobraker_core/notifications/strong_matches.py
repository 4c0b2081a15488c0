"""New jobs that score above a person's threshold: one NEW_MATCH event each.

People who set ``match_threshold`` in their notification preferences hear of every new job
(first seen since the given instant) that scores at least that for them, once per job (the
event's dedupe key is the job's id), however many saved searches they have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from jobraker_core.jobs.model import JobPosting, JobQuery, JobSort
from jobraker_core.notifications.new_matches import strong_match
from jobraker_core.pagination import Page, PageRequest

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from jobraker_core.clock import Clock
    from jobraker_core.matching.use_cases import MatchEngine
    from jobraker_core.ports import UnitOfWorkFactory

SCAN: Final = 500
"""How many of the newest jobs (by posting date) are looked at per run."""


class NotifyStrongMatches:
    """Adds a NEW_MATCH event for each new job scoring above a person's threshold."""

    def __init__(self, uow: UnitOfWorkFactory, engine: MatchEngine, clock: Clock) -> None:
        self._uow = uow
        self._engine = engine
        self._clock = clock

    def __call__(self, since: datetime) -> int:
        """Look at the jobs first seen at or after ``since``; return how many events were new."""
        with self._uow() as uow:
            people = list(uow.notification_preferences.with_threshold())
            if not people:
                return 0
            fresh = self._fresh(uow.jobs.search, since)
        if not fresh:
            return 0
        added = 0
        for preferences in people:
            threshold = preferences.match_threshold
            if threshold is None:
                continue
            now = self._clock.now()
            with self._uow() as uow:
                seeker = self._engine.seeker(uow, preferences.user_id)
                if seeker.candidate is None and not seeker.preferences.titles:
                    continue  # nothing to score by
                vector = self._engine.profile_vector(seeker)
                for match in self._engine.score(seeker, vector, fresh):
                    if not match.excluded and match.score >= threshold:
                        added += uow.notifications.add(
                            strong_match(preferences.user_id, match.job, match.score, now)
                        )
                uow.commit()
        return added

    @staticmethod
    def _fresh(
        search: Callable[[JobQuery, PageRequest], Page[JobPosting]], since: datetime
    ) -> list[JobPosting]:
        found: list[JobPosting] = []
        page = 1
        query = JobQuery(sort=JobSort.DATE)
        while (page - 1) * 100 < SCAN:
            result = search(query, PageRequest(page=page, per_page=100))
            found.extend(j for j in result.items if j.first_seen >= since)
            if page >= result.total_pages:
                break
            page += 1
        return found
