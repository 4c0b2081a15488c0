"""The in-memory ``JobAnalysisRepository``: stored job analyses in a dict (the fake).

It reads postings from the committed jobs of an ``InMemoryStore``, as the PostgreSQL adapter
reads the ``jobs`` table, and forgets the analysis of a posting that is no longer there.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from jobraker_adapters.memory.uow import InMemoryStore
from jobraker_core.jobs.model import JobPosting
from jobraker_core.matching.analysis import JobAnalysis
from jobraker_core.matching.analysis_store import PendingAnalysis, StoredAnalysis
from jobraker_core.matching.retrieval import job_content_hash


@attrs.frozen
class _Row:
    version: str
    content_hash: str
    job_seen_at: datetime
    analysis: JobAnalysis


@attrs.define
class InMemoryJobAnalysisRepository:
    """A ``JobAnalysisRepository`` over a dict, one analysis per committed posting."""

    store: InMemoryStore = attrs.field(factory=InMemoryStore)
    rows: dict[uuid.UUID, _Row] = attrs.field(factory=dict)
    saved: list[uuid.UUID] = attrs.field(factory=list)
    """Every posting id whose analysis was written by ``save``, in order (for tests)."""
    lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False, eq=False)

    def _forget_deleted(self) -> None:
        """A deleted posting's analysis goes with it (``ON DELETE CASCADE`` in PostgreSQL)."""
        with self.store.lock:
            jobs = set(self.store.jobs)
        with self.lock:
            for job_id in set(self.rows) - jobs:
                del self.rows[job_id]

    def pending(
        self, version: str, *, after: uuid.UUID | None = None, limit: int = 256
    ) -> list[PendingAnalysis]:
        """Postings with no analysis of ``version`` or seen since it was checked, by id."""
        with self.store.lock:
            jobs = dict(self.store.jobs)
        found: list[PendingAnalysis] = []
        with self.lock:
            for job_id in sorted(jobs):
                if after is not None and job_id <= after:
                    continue
                job = jobs[job_id]
                row = self.rows.get(job_id)
                current = row is not None and row.version == version
                if current and row is not None and job.last_seen <= row.job_seen_at:
                    continue
                found.append(PendingAnalysis(job, row.content_hash if current and row else None))
                if len(found) >= limit:
                    break
        return found

    def save(self, version: str, items: Sequence[StoredAnalysis]) -> None:
        """Insert or replace these postings' analyses; a posting no longer stored is skipped."""
        with self.store.lock:
            known = set(self.store.jobs)
        with self.lock:
            for item in items:
                job_id = item.job.id
                if job_id not in known:
                    continue
                self.rows[job_id] = _Row(
                    version, job_content_hash(item.job), item.job.last_seen, item.analysis
                )
                self.saved.append(job_id)

    def touch(self, version: str, seen: Mapping[uuid.UUID, datetime]) -> None:
        """Move the ``version`` analyses' ``job_seen_at`` forward to these times."""
        with self.lock:
            for job_id, at in seen.items():
                row = self.rows.get(job_id)
                if row is not None and row.version == version and at > row.job_seen_at:
                    self.rows[job_id] = attrs.evolve(row, job_seen_at=at)

    def get_many(self, version: str, jobs: Sequence[JobPosting]) -> dict[uuid.UUID, JobAnalysis]:
        """The stored ``version`` analyses of these postings made from the text they have now."""
        self._forget_deleted()
        with self.lock:
            return {
                job.id: row.analysis
                for job in jobs
                if (row := self.rows.get(job.id)) is not None
                and row.version == version
                and row.content_hash == job_content_hash(job)
            }

    def asked_skills(self) -> dict[uuid.UUID, frozenset[str]]:
        """The canonical skill ids each stored analysis asks for, of any version (for retrieval)."""
        self._forget_deleted()
        with self.lock:
            return {
                job_id: frozenset(s.skill_id for s in row.analysis.skills if s.skill_id)
                for job_id, row in self.rows.items()
            }
