"""Ports the jobs use cases need.

Adapters implement them; ``jobraker_adapters.memory`` has fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from typing import Protocol

from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import JobDraft, JobPosting, JobQuery, RejectedRecord
from jobraker_core.pagination import Page, PageRequest


class JobSource(Protocol):
    """One configured fetch from a job source (a feed file, an API query).

    ``fetch`` yields each record as a ``JobDraft`` or, when the record cannot be read, a
    ``RejectedRecord`` naming where it was and why; it keeps going after a bad record. It raises
    ``UpstreamUnavailable`` (``RateLimited``) for transient failures, ``UpstreamRejected`` or
    ``ConfigurationError`` for permanent ones, and ``InvalidInput`` when the source as a whole is
    unusable (a missing file).
    """

    def fetch(self) -> Iterator[JobDraft | RejectedRecord]:
        """Yield every record of the source, in order."""
        ...


class JobSourceCatalog(Protocol):
    """Turns a ``SourceSpec`` into a ready ``JobSource``.

    ``open`` raises ``InvalidInput`` for an unknown kind or bad parameters and
    ``ConfigurationError`` for a known source that this deployment has not configured (no keys).
    It does no I/O, so a spec can be checked before a run is queued.
    """

    def open(self, spec: SourceSpec) -> JobSource:
        """Return the source the spec describes."""
        ...


class JobRepository(Protocol):
    """Stores job postings, one per canonical key, with every ``SourceRef`` each was seen at.

    ``save`` inserts or replaces postings by id and raises ``Conflict`` when a new posting's key
    (or one of its source refs) already belongs to another job, which happens when two ingestions
    race; the caller retries after re-reading. ``get`` raises ``NotFound``.
    """

    def get(self, job_id: uuid.UUID) -> JobPosting:
        """The posting with this id."""
        ...

    def get_many(self, job_ids: Sequence[uuid.UUID]) -> list[JobPosting]:
        """The postings with these ids, in the order asked; unknown ids are left out (no error).

        One round trip however many ids: for callers that read a retrieved pool of jobs.
        """
        ...

    def by_source_ids(self, source: str, source_ids: Collection[str]) -> dict[str, JobPosting]:
        """The postings that own or have been seen under these ids of one source, by source id."""
        ...

    def by_keys(self, keys: Collection[str]) -> dict[str, JobPosting]:
        """The postings with these canonical keys, by key."""
        ...

    def save(self, jobs: Sequence[JobPosting]) -> None:
        """Insert or replace these postings (and their source refs)."""
        ...

    def search(self, query: JobQuery, page: PageRequest) -> Page[JobPosting]:
        """The postings matching ``query`` (see ``JobQuery.matches``), in its order, one page."""
        ...

    def count(self) -> int:
        """How many postings are stored."""
        ...


class IngestionRunRepository(Protocol):
    """Stores ingestion runs.

    ``add`` raises ``Conflict`` when another run has the same ``schedule_key``; ``get`` raises
    ``NotFound``. ``list`` returns newest first.
    """

    def add(self, run: IngestionRun) -> None:
        """Store a new run."""
        ...

    def get(self, run_id: uuid.UUID) -> IngestionRun:
        """The run with this id."""
        ...

    def update(self, run: IngestionRun) -> None:
        """Replace the stored state of an existing run."""
        ...

    def list(self, page: PageRequest) -> Page[IngestionRun]:
        """All runs, newest first, one page."""
        ...
