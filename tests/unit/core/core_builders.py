"""Builders of drafts, postings and wired use cases for the core's unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import attrs

from jobraker_adapters.memory import (
    FixedClock,
    InMemoryJobSource,
    InMemoryJobSourceCatalog,
    InMemoryTaskQueue,
    InMemoryUnitOfWorkFactory,
)
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import JobDraft, JobPosting, Location, RejectedRecord
from jobraker_core.jobs.use_cases import IngestJobs, QueueIngestion, RunIngestion

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def draft(**changes: Any) -> JobDraft:
    """Build a valid draft of a London Python job at Acme; keyword arguments replace its fields."""
    fields: dict[str, Any] = {
        "source": "feed",
        "source_id": "1",
        "title": "Python Developer",
        "description": "Build and run web APIs in Python.",
        "company": "Acme Ltd",
        "location": Location(display="London, UK", city="London", country_code="GB"),
        "url": "https://jobs.example.com/1",
    }
    fields.update(changes)
    return JobDraft(**fields)


def posting(seen_at: datetime = NOW, **changes: Any) -> JobPosting:
    """Normalise ``draft(**changes)`` into a posting seen at ``seen_at``."""
    return JobPosting.from_draft(draft(**changes), job_id=uuid.uuid4(), seen_at=seen_at)


@attrs.define
class World:
    """The in-memory fakes, wired into the ingestion use cases, with helpers to arrange and read."""

    uow: InMemoryUnitOfWorkFactory = attrs.field(factory=InMemoryUnitOfWorkFactory)
    catalog: InMemoryJobSourceCatalog = attrs.field(factory=InMemoryJobSourceCatalog)
    queue: InMemoryTaskQueue = attrs.field(factory=InMemoryTaskQueue)
    clock: FixedClock = attrs.field(factory=lambda: FixedClock(NOW))

    def add_source(
        self, kind: str, *records: JobDraft | RejectedRecord, error: Exception | None = None
    ) -> None:
        """Register an in-memory source under ``kind``."""
        sources = dict(self.catalog.sources)
        sources[kind] = InMemoryJobSource(list(records), error=error)
        self.catalog.sources = sources

    def queued_run(self, kind: str = "feed") -> IngestionRun:
        """Store a queued run of source ``kind`` and return it."""
        run = IngestionRun.queue(SourceSpec(kind), run_id=uuid.uuid4(), at=self.clock.now())
        with self.uow() as unit:
            unit.ingestions.add(run)
            unit.commit()
        return run

    def ingest(
        self, kind: str = "feed", *, batch_size: int = 250, retries_left: int = 0
    ) -> IngestionRun:
        """Queue a run of ``kind`` and carry it out; return its final state."""
        run = self.queued_run(kind)
        ingest = IngestJobs(self.uow, self.catalog, self.clock, batch_size=batch_size)
        return ingest(RunIngestion(run.id, retries_left=retries_left))

    def queue_ingestion(self) -> QueueIngestion:
        """Build the ``QueueIngestion`` use case over these fakes."""
        return QueueIngestion(self.uow, self.catalog, self.queue, self.clock)

    def jobs(self) -> list[JobPosting]:
        """Return every committed job."""
        return list(self.uow.store.jobs.values())

    def run(self, run_id: uuid.UUID) -> IngestionRun:
        """Return the committed state of one run."""
        return self.uow.store.ingestions[run_id]
