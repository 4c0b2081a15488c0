"""Ports of the matching use cases (retrieval and embedding have their own modules).

The repositories are handed out by the ``UnitOfWork`` and share its transaction; every read and
write is scoped to a user id, and an object of another user reads as ``NotFound``. Storage that is
down raises ``UpstreamUnavailable``. ``jobraker_adapters.memory.matching`` has the fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from jobraker_core.matching.candidate import CandidateProfile
from jobraker_core.matching.feedback import Feedback
from jobraker_core.matching.resume import Resume, ResumeText
from jobraker_core.matching.saved_searches import SavedSearch, SavedSearchHit
from jobraker_core.pagination import Page, PageRequest


class DocumentReader(Protocol):
    """Reads the text of an uploaded résumé file.

    The format is told from the bytes (PDF and DOCX signatures, else UTF-8 or UTF-16 text), not
    from the file name. Raises ``InvalidInput`` (``field="file"``) saying what is wrong when the
    file is empty, of another format (an image, a legacy ``.doc``), encrypted, damaged, or has no
    extractable text (a scanned, image-only PDF). Never returns blank text.
    """

    def read(self, content: bytes, *, filename: str | None = None) -> ResumeText:
        """Return the file's text and its real media type."""
        ...


class ResumeRepository(Protocol):
    """Every résumé version each person uploaded.

    ``add`` raises ``Conflict`` when the person already has a version with the same number (two
    uploads raced); ``get`` raises ``NotFound`` for an unknown id or another person's résumé.
    """

    def add(self, resume: Resume) -> None:
        """Store a new version."""
        ...

    def get(self, user_id: uuid.UUID, resume_id: uuid.UUID) -> Resume:
        """The person's résumé version with this id."""
        ...

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[Resume]:
        """The person's versions, newest first."""
        ...

    def latest_version(self, user_id: uuid.UUID) -> int:
        """The highest version number the person has (0 when none)."""
        ...


class CandidateProfileRepository(Protocol):
    """One candidate profile per person."""

    def get(self, user_id: uuid.UUID) -> CandidateProfile | None:
        """The person's profile, or None."""
        ...

    def save(self, profile: CandidateProfile) -> None:
        """Store the profile, replacing the person's previous one."""
        ...


class FeedbackRepository(Protocol):
    """The latest feedback of each person on each job (a new word replaces the old one)."""

    def put(self, feedback: Feedback) -> None:
        """Store ``feedback``, replacing what the person said before about that job."""
        ...

    def get(self, user_id: uuid.UUID, job_id: uuid.UUID) -> Feedback | None:
        """What the person said about the job, if anything."""
        ...

    def list(self, user_id: uuid.UUID) -> list[Feedback]:
        """Everything the person said, oldest first."""
        ...

    def delete(self, user_id: uuid.UUID, job_id: uuid.UUID) -> bool:
        """Forget what the person said about the job; False when there was nothing."""
        ...


class SavedSearchRepository(Protocol):
    """Saved searches and the jobs found for them.

    ``get`` and ``hits`` raise ``NotFound`` for an unknown search or another person's. A hit is
    recorded once per (search, job): ``add_hits`` skips those already recorded.
    """

    def add(self, search: SavedSearch) -> None:
        """Store a new search."""
        ...

    def get(self, user_id: uuid.UUID, search_id: uuid.UUID) -> SavedSearch:
        """The person's search with this id."""
        ...

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[SavedSearch]:
        """The person's searches, newest first."""
        ...

    def delete(self, user_id: uuid.UUID, search_id: uuid.UUID) -> bool:
        """Delete the search and its hits; False when the person has no such search."""
        ...

    def every(self, *, after: uuid.UUID | None, limit: int) -> Sequence[SavedSearch]:
        """Up to ``limit`` searches of all people, by ascending id after ``after``."""
        ...

    def mark_checked(self, search_id: uuid.UUID, at: datetime) -> None:
        """Record when the search was last run."""
        ...

    def add_hits(self, hits: Sequence[SavedSearchHit]) -> int:
        """Record these hits, skipping those already recorded; return how many were new."""
        ...

    def hits(
        self, user_id: uuid.UUID, search_id: uuid.UUID, page: PageRequest
    ) -> Page[SavedSearchHit]:
        """The jobs found for the person's search, newest first (then by job id)."""
        ...

    def hit_counts(self, search_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """How many hits each of these searches has."""
        ...
