"""In-memory job repository, ingestion-run repository and job sources."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import attrs

from jobraker_core.errors import Conflict, InvalidInput, NotFound
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import JobDraft, JobPosting, JobQuery, JobSort, RejectedRecord
from jobraker_core.jobs.ports import JobSource
from jobraker_core.jobs.text import fold
from jobraker_core.pagination import Page, PageRequest

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _relevance(query: JobQuery, job: JobPosting) -> float:
    title = set(fold(job.title).split())
    return float(sum(3 if term in title else 1 for term in query.text_terms))


def _order(query: JobQuery, jobs: list[JobPosting]) -> list[JobPosting]:
    """Order like the PostgreSQL adapter: the sort key, then newest, then id for stability."""
    by_date = sorted(
        jobs, key=lambda j: (j.posted_at or _EPOCH, j.first_seen, str(j.id)), reverse=True
    )
    sort = query.effective_sort
    if sort is JobSort.SALARY:

        def salary_key(job: JobPosting) -> Decimal:
            return job.salary.annual_high if job.salary else Decimal(-1)

        return sorted(by_date, key=salary_key, reverse=True)
    if sort is JobSort.RELEVANCE:
        return sorted(by_date, key=lambda j: _relevance(query, j), reverse=True)
    return by_date


@attrs.define
class InMemoryJobRepository:
    """A ``JobRepository`` over dicts. Shares its dicts with the unit of work that made it."""

    jobs: dict[uuid.UUID, JobPosting] = attrs.field(factory=dict)

    def get(self, job_id: uuid.UUID) -> JobPosting:
        """The posting with this id, or ``NotFound``."""
        try:
            return self.jobs[job_id]
        except KeyError:
            raise NotFound(f"job {job_id} not found") from None

    def get_many(self, job_ids: Sequence[uuid.UUID]) -> list[JobPosting]:
        """The postings with these ids, in the order asked, unknown ones left out."""
        seen: set[uuid.UUID] = set()
        found: list[JobPosting] = []
        for job_id in job_ids:
            job = self.jobs.get(job_id)
            if job is not None and job_id not in seen:
                seen.add(job_id)
                found.append(job)
        return found

    def by_source_ids(self, source: str, source_ids: Collection[str]) -> dict[str, JobPosting]:
        """Postings seen under these source ids."""
        wanted = set(source_ids)
        found: dict[str, JobPosting] = {}
        for job in self.jobs.values():
            for ref in job.sources:
                if ref.source == source and ref.source_id in wanted:
                    found[ref.source_id] = job
        return found

    def by_keys(self, keys: Collection[str]) -> dict[str, JobPosting]:
        """Postings with these canonical keys."""
        wanted = set(keys)
        return {job.key: job for job in self.jobs.values() if job.key in wanted}

    def save(self, jobs: Sequence[JobPosting]) -> None:
        """Insert or replace; ``Conflict`` if a key or source ref belongs to another job."""
        key_owner = {other.key: other.id for other in self.jobs.values()}
        ref_owner = {
            (r.source, r.source_id): other.id for other in self.jobs.values() for r in other.sources
        }
        for job in jobs:
            owner = key_owner.setdefault(job.key, job.id)
            if owner != job.id:
                raise Conflict(f"job key {job.key} already belongs to job {owner}")
            for ref in job.sources:
                owner = ref_owner.setdefault((ref.source, ref.source_id), job.id)
                if owner != job.id:
                    raise Conflict(f"a source ref of job {job.id} belongs to job {owner}")
        for job in jobs:
            self.jobs[job.id] = job

    def search(self, query: JobQuery, page: PageRequest) -> Page[JobPosting]:
        """Filter with ``JobQuery.matches`` and order like PostgreSQL."""
        matching = _order(query, [j for j in self.jobs.values() if query.matches(j)])
        items = tuple(matching[page.offset : page.offset + page.per_page])
        return Page(items=items, total=len(matching), request=page)

    def count(self) -> int:
        """Number of postings."""
        return len(self.jobs)


@attrs.define
class InMemoryIngestionRunRepository:
    """An ``IngestionRunRepository`` over a dict."""

    runs: dict[uuid.UUID, IngestionRun] = attrs.field(factory=dict)

    def add(self, run: IngestionRun) -> None:
        """Store a new run; ``Conflict`` on a duplicate id or schedule key."""
        if run.id in self.runs:
            raise Conflict(f"ingestion run {run.id} already exists")
        if run.schedule_key is not None and any(
            r.schedule_key == run.schedule_key for r in self.runs.values()
        ):
            raise Conflict(f"schedule slot {run.schedule_key} already has a run")
        self.runs[run.id] = run

    def get(self, run_id: uuid.UUID) -> IngestionRun:
        """The run, or ``NotFound``."""
        try:
            return self.runs[run_id]
        except KeyError:
            raise NotFound(f"ingestion run {run_id} not found") from None

    def update(self, run: IngestionRun) -> None:
        """Replace a stored run (``NotFound`` if it was never added)."""
        self.get(run.id)
        self.runs[run.id] = run

    def list(self, page: PageRequest) -> Page[IngestionRun]:
        """Newest first."""
        ordered = sorted(self.runs.values(), key=lambda r: (r.created_at, str(r.id)), reverse=True)
        return Page(
            items=tuple(ordered[page.offset : page.offset + page.per_page]),
            total=len(ordered),
            request=page,
        )


@attrs.define
class InMemoryJobSource:
    """A ``JobSource`` that yields the records it was given, then raises ``error`` if set."""

    records: Sequence[JobDraft | RejectedRecord] = ()
    error: Exception | None = None

    def fetch(self) -> Iterator[JobDraft | RejectedRecord]:
        """Yield the records, then fail if told to."""
        yield from self.records
        if self.error is not None:
            raise self.error


@attrs.define
class InMemoryJobSourceCatalog:
    """A ``JobSourceCatalog`` of named in-memory sources; records every spec it opened."""

    sources: Mapping[str, JobSource] = attrs.field(factory=dict)
    opened: list[SourceSpec] = attrs.field(factory=list)

    def open(self, spec: SourceSpec) -> JobSource:
        """The source registered under ``spec.kind``, or ``InvalidInput``."""
        try:
            source = self.sources[spec.kind]
        except KeyError:
            raise InvalidInput(f"unknown job source {spec.kind!r}", field="source") from None
        self.opened.append(spec)
        return source
