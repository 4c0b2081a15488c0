"""Stored job analyses: read once per posting at ingestion, not once per process.

``JobAnalyser.analyse`` costs a few milliseconds a posting (sections, skills, experience). A
recommendation scores a pool of 300 postings, so a process that has not analysed its pool yet
(a new API worker, a catalogue larger than the analyser's memo, a person whose pool differs from
the last one's) spent seconds on it. After each ingestion run ``AnalyseJobs`` stores the
analysis of every new and changed posting (``JobAnalysisRepository``, derived data written in
its own transactions like job vectors); ``analyses_of`` answers from the analyser's memo, then
from the store, and analyses only what neither has.

A stored analysis is used only when it was made by the analyser's ``version`` from the posting's
current text (``job_content_hash``); anything else is analysed again, so a stale row can cost time,
never a wrong explanation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final, Protocol

import attrs

from jobraker_core.matching.retrieval import job_content_hash

if TYPE_CHECKING:
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.analysis import JobAnalyser, JobAnalysis

ANALYSE_BATCH: Final = 200
"""Postings per stored batch: a crash loses at most one batch, a rerun carries on."""


@attrs.frozen
class PendingAnalysis:
    """A posting whose stored analysis is missing, of another version, or may be out of date."""

    job: JobPosting
    stored_hash: str | None
    """The content hash of its stored analysis of the version asked for; None when it has none."""


@attrs.frozen
class StoredAnalysis:
    """An analysis to store, with the posting it was made from, as the posting read then.

    It is stored under ``job_content_hash(job)`` and counts as checked as of ``job.last_seen`` (a
    later sighting checks it again).
    """

    job: JobPosting
    analysis: JobAnalysis


class JobAnalysisRepository(Protocol):
    """The stored analyses of postings, one per posting (the port).

    Derived data: each call is its own transaction, outside any unit of work, and a posting's
    analysis goes when the posting does. Storage that is down raises ``UpstreamUnavailable``.
    """

    def pending(
        self, version: str, *, after: uuid.UUID | None = None, limit: int = 256
    ) -> list[PendingAnalysis]:
        """Postings with no analysis of ``version``, or seen since theirs was checked.

        In id order, after ``after`` (keyset paging), at most ``limit``.
        """
        ...

    def save(self, version: str, items: Sequence[StoredAnalysis]) -> None:
        """Insert or replace these postings' analyses (a posting deleted meanwhile is skipped)."""
        ...

    def touch(self, version: str, seen: Mapping[uuid.UUID, datetime]) -> None:
        """Record that these postings' stored analyses of ``version`` are current as of then."""
        ...

    def get_many(self, version: str, jobs: Sequence[JobPosting]) -> dict[uuid.UUID, JobAnalysis]:
        """The stored ``version`` analyses of these postings made from the text they have now."""
        ...


def analyses_of(
    analyser: JobAnalyser, store: JobAnalysisRepository | None, jobs: Sequence[JobPosting]
) -> list[JobAnalysis]:
    """The analysis of each of ``jobs``, in order: remembered, else stored, else made now.

    Stored ones are remembered by the analyser for the next request. With no ``store`` this is
    ``analyser.analyse`` of each.
    """
    if store is not None:
        missing = {job.id: job for job in jobs if analyser.remembered(job) is None}
        if missing:
            for job_id, analysis in store.get_many(
                analyser.version, list(missing.values())
            ).items():
                analyser.remember(missing[job_id], analysis)
    return [analyser.analyse(job) for job in jobs]


@attrs.frozen
class AnalysisCounts:
    """What an analysis pass did with the postings it looked at."""

    checked: int = 0
    """Postings looked at (no analysis of this version, or seen again since theirs)."""
    analysed: int = 0
    """Postings analysed and stored."""
    unchanged: int = 0
    """Postings whose text had not changed since their analysis (only marked checked)."""

    def __add__(self, other: AnalysisCounts) -> AnalysisCounts:
        """Sum two counts."""
        return AnalysisCounts(
            checked=self.checked + other.checked,
            analysed=self.analysed + other.analysed,
            unchanged=self.unchanged + other.unchanged,
        )


class AnalyseJobs:
    """Stores the analysis of every posting that has none of the analyser's version or changed.

    The worker runs it after each ingestion (before the market facts, which then find the
    analyses remembered); it is idempotent and resumable, one stored batch at a time. Storage
    errors propagate after the batches before them are stored.
    """

    def __init__(
        self,
        store: JobAnalysisRepository,
        analyser: JobAnalyser,
        *,
        batch_size: int = ANALYSE_BATCH,
    ) -> None:
        self._store = store
        self._analyser = analyser
        self._batch_size = batch_size

    def __call__(
        self,
        max_jobs: int | None = None,
        on_progress: Callable[[AnalysisCounts], None] | None = None,
    ) -> AnalysisCounts:
        """Analyse what is pending (at most ``max_jobs`` postings; None: all); the counts.

        ``on_progress`` is given the counts so far after each stored batch (a first pass over a
        large catalogue takes a while: about 7 ms a posting).
        """
        version = self._analyser.version
        counts = AnalysisCounts()
        after: uuid.UUID | None = None
        while max_jobs is None or counts.checked < max_jobs:
            size = (
                self._batch_size
                if max_jobs is None
                else min(self._batch_size, max_jobs - counts.checked)
            )
            batch = self._store.pending(version, after=after, limit=size)
            if not batch:
                break
            after = batch[-1].job.id
            counts += self._batch(version, batch)
            if on_progress is not None:
                on_progress(counts)
        return counts

    def _batch(self, version: str, batch: Sequence[PendingAnalysis]) -> AnalysisCounts:
        hashes = {item.job.id: job_content_hash(item.job) for item in batch}
        unchanged = {
            item.job.id: item.job.last_seen
            for item in batch
            if item.stored_hash == hashes[item.job.id]
        }
        self._store.touch(version, unchanged)
        changed = [item.job for item in batch if item.job.id not in unchanged]
        self._store.save(
            version, [StoredAnalysis(job, self._analyser.analyse(job)) for job in changed]
        )
        return AnalysisCounts(checked=len(batch), analysed=len(changed), unchanged=len(unchanged))
