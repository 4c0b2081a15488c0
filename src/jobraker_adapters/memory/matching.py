"""In-memory repositories of matching.

Résumé versions, candidate profiles, feedback, saved searches and their hits.

They work on ``MatchingTables``: the store keeps the committed tables, each in-memory unit of work
a private copy (``InMemoryMatchingSession``) that it publishes on commit, with the checks
PostgreSQL's constraints make (a résumé version number taken meanwhile is a ``Conflict``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

import attrs

from jobraker_core.errors import Conflict, NotFound
from jobraker_core.matching.candidate import CandidateProfile
from jobraker_core.matching.feedback import Feedback
from jobraker_core.matching.resume import Resume
from jobraker_core.matching.saved_searches import SavedSearch, SavedSearchHit
from jobraker_core.pagination import Page, PageRequest

_T = TypeVar("_T")
_K = TypeVar("_K")
_V = TypeVar("_V")


def _page(items: list[_T], page: PageRequest) -> Page[_T]:
    return Page(
        items=tuple(items[page.offset : page.offset + page.per_page]),
        total=len(items),
        request=page,
    )


@attrs.define
class MatchingTables:
    """The matching data: what the store has committed, or what one unit of work sees."""

    resumes: dict[uuid.UUID, Resume] = attrs.field(factory=dict)
    candidates: dict[uuid.UUID, CandidateProfile] = attrs.field(factory=dict)
    feedback: dict[tuple[uuid.UUID, uuid.UUID], Feedback] = attrs.field(factory=dict)
    searches: dict[uuid.UUID, SavedSearch] = attrs.field(factory=dict)
    hits: dict[tuple[uuid.UUID, uuid.UUID], SavedSearchHit] = attrs.field(factory=dict)

    def copy(self) -> MatchingTables:
        """A copy whose dicts can change without touching these."""
        return MatchingTables(
            dict(self.resumes),
            dict(self.candidates),
            dict(self.feedback),
            dict(self.searches),
            dict(self.hits),
        )


@attrs.define
class InMemoryResumeRepository:
    """A ``ResumeRepository`` over the tables of one unit."""

    tables: MatchingTables = attrs.field(factory=MatchingTables)

    def add(self, resume: Resume) -> None:
        """Store a new version; ``Conflict`` when the person has that version number."""
        if resume.id in self.tables.resumes or any(
            r.user_id == resume.user_id and r.version == resume.version
            for r in self.tables.resumes.values()
        ):
            raise Conflict(f"résumé version {resume.version} already exists")
        self.tables.resumes[resume.id] = resume

    def get(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> Resume:
        """The person's version, or ``NotFound``."""
        resume = self.tables.resumes.get(resume_id)
        if resume is None or resume.user_id != user_id:
            raise NotFound(f"résumé {resume_id} not found")
        return resume

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[Resume]:
        """Newest version first."""
        mine = sorted(
            (r for r in self.tables.resumes.values() if r.user_id == user_id),
            key=lambda r: r.version,
            reverse=True,
        )
        return _page(mine, page)

    def latest_version(self, user_id: uuid.UUID) -> int:
        """The highest version number (0 when none)."""
        return max(
            (r.version for r in self.tables.resumes.values() if r.user_id == user_id), default=0
        )


@attrs.define
class InMemoryCandidateProfileRepository:
    """A ``CandidateProfileRepository`` over the tables of one unit."""

    tables: MatchingTables = attrs.field(factory=MatchingTables)

    def get(self, user_id: uuid.UUID) -> CandidateProfile | None:
        """The person's profile, if any."""
        return self.tables.candidates.get(user_id)

    def save(self, profile: CandidateProfile) -> None:
        """Store the profile."""
        self.tables.candidates[profile.user_id] = profile


@attrs.define
class InMemoryFeedbackRepository:
    """A ``FeedbackRepository`` over the tables of one unit."""

    tables: MatchingTables = attrs.field(factory=MatchingTables)

    def put(self, feedback: Feedback) -> None:
        """Store the feedback, replacing the earlier word on that job."""
        self.tables.feedback[(feedback.user_id, feedback.job_id)] = feedback

    def get(self, user_id: uuid.UUID, job_id: uuid.UUID) -> Feedback | None:
        """The feedback on the job, if any."""
        return self.tables.feedback.get((user_id, job_id))

    def list(self, user_id: uuid.UUID) -> list[Feedback]:
        """The person's feedback, oldest first."""
        return sorted(
            (f for f in self.tables.feedback.values() if f.user_id == user_id),
            key=lambda f: (f.created_at, str(f.job_id)),
        )

    def delete(self, user_id: uuid.UUID, job_id: uuid.UUID) -> bool:
        """Forget the feedback on the job."""
        return self.tables.feedback.pop((user_id, job_id), None) is not None


@attrs.define
class InMemorySavedSearchRepository:
    """A ``SavedSearchRepository`` over the tables of one unit."""

    tables: MatchingTables = attrs.field(factory=MatchingTables)

    def add(self, search: SavedSearch) -> None:
        """Store a new search."""
        if search.id in self.tables.searches:
            raise Conflict(f"saved search {search.id} already exists")
        self.tables.searches[search.id] = search

    def get(self, user_id: uuid.UUID, search_id: uuid.UUID) -> SavedSearch:
        """The person's search, or ``NotFound``."""
        search = self.tables.searches.get(search_id)
        if search is None or search.user_id != user_id:
            raise NotFound(f"saved search {search_id} not found")
        return search

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[SavedSearch]:
        """Newest first."""
        mine = sorted(
            (s for s in self.tables.searches.values() if s.user_id == user_id),
            key=lambda s: (s.created_at, str(s.id)),
            reverse=True,
        )
        return _page(mine, page)

    def delete(self, user_id: uuid.UUID, search_id: uuid.UUID) -> bool:
        """Delete the search and its hits."""
        search = self.tables.searches.get(search_id)
        if search is None or search.user_id != user_id:
            return False
        del self.tables.searches[search_id]
        for key in [k for k in self.tables.hits if k[0] == search_id]:
            del self.tables.hits[key]
        return True

    def every(self, *, after: uuid.UUID | None, limit: int) -> Sequence[SavedSearch]:
        """All searches by ascending id after ``after``."""
        ordered = sorted(self.tables.searches.values(), key=lambda s: s.id)
        return [s for s in ordered if after is None or s.id > after][:limit]

    def mark_checked(self, search_id: uuid.UUID, at: datetime) -> None:
        """Record the time of the last run."""
        search = self.tables.searches.get(search_id)
        if search is not None:
            self.tables.searches[search_id] = attrs.evolve(search, checked_at=at)

    def add_hits(self, hits: Sequence[SavedSearchHit]) -> int:
        """Record new hits; return how many were new."""
        added = 0
        for hit in hits:
            key = (hit.search_id, hit.job_id)
            if key not in self.tables.hits and hit.search_id in self.tables.searches:
                self.tables.hits[key] = hit
                added += 1
        return added

    def hits(
        self, user_id: uuid.UUID, search_id: uuid.UUID, page: PageRequest
    ) -> Page[SavedSearchHit]:
        """The search's hits, newest first, then by job id."""
        self.get(user_id, search_id)
        found = sorted(
            (h for h in self.tables.hits.values() if h.search_id == search_id),
            key=lambda h: (-h.found_at.timestamp(), str(h.job_id)),
        )
        return _page(found, page)

    def hit_counts(self, search_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Hits per search."""
        wanted = set(search_ids)
        counts: dict[uuid.UUID, int] = {}
        for search_id, _ in self.tables.hits:
            if search_id in wanted:
                counts[search_id] = counts.get(search_id, 0) + 1
        return counts


def _diff(now: dict[_K, _V], before: dict[_K, _V]) -> tuple[dict[_K, _V], set[_K]]:
    changed = {k: v for k, v in now.items() if before.get(k) is not v}
    return changed, set(before) - set(now)


class InMemoryMatchingSession:
    """One unit of work's view of the matching tables: a copy, published on commit."""

    def __init__(self, committed: MatchingTables | None = None) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        source = committed or MatchingTables()
        self._before = source.copy()
        self.tables = source.copy()
        self.resumes = InMemoryResumeRepository(self.tables)
        self.candidates = InMemoryCandidateProfileRepository(self.tables)
        self.feedback = InMemoryFeedbackRepository(self.tables)
        self.saved_searches = InMemorySavedSearchRepository(self.tables)

    def repositories(
        self,
    ) -> tuple[
        InMemoryResumeRepository,
        InMemoryCandidateProfileRepository,
        InMemoryFeedbackRepository,
        InMemorySavedSearchRepository,
    ]:
        """The four repositories, in the order the unit of work names them."""
        return self.resumes, self.candidates, self.feedback, self.saved_searches

    def check(self, store: MatchingTables) -> None:
        """Raise ``Conflict`` where the store's current state refuses this unit's inserts."""
        for resume in _diff(self.tables.resumes, self._before.resumes)[0].values():
            if resume.id in self._before.resumes:
                continue
            if resume.id in store.resumes or any(
                r.user_id == resume.user_id and r.version == resume.version
                for r in store.resumes.values()
            ):
                raise Conflict(f"résumé version {resume.version} was stored meanwhile")
        for search_id in _diff(self.tables.searches, self._before.searches)[0]:
            if search_id not in self._before.searches and search_id in store.searches:
                raise Conflict(f"saved search {search_id} was stored meanwhile")

    def publish(self, store: MatchingTables) -> None:
        """Apply this unit's changes to the store (call under its lock, after ``check``)."""
        for name in ("resumes", "candidates", "feedback", "searches", "hits"):
            now: dict[object, object] = getattr(self.tables, name)
            before: dict[object, object] = getattr(self._before, name)
            target: dict[object, object] = getattr(store, name)
            changed, removed = _diff(now, before)
            if name == "hits":
                changed = {k: v for k, v in changed.items() if k not in target}
            target.update(changed)
            for key in removed:
                target.pop(key, None)
        live = set(store.searches)
        for key in [k for k in store.hits if k[0] not in live]:
            del store.hits[key]
        self._before = self.tables.copy()
