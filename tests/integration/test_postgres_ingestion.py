"""The IngestJobs use case on PostgreSQL: de-duplication, updates, merged sources, and search."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from jobraker_adapters.memory import FixedClock, InMemoryJobSource, InMemoryJobSourceCatalog
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_core.jobs.ingestion import IngestionCounts, IngestionRun, RunStatus, SourceSpec
from jobraker_core.jobs.model import JobDraft, JobQuery, Location, RejectedRecord, SourceRef
from jobraker_core.jobs.use_cases import IngestJobs, RunIngestion
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobraker_adapters.postgres.pool import Pool

pytestmark = pytest.mark.integration


@pytest.fixture
def uow(db: str, pg_pool: Pool) -> PostgresUnitOfWorkFactory:
    """Give a PostgreSQL unit-of-work factory over an empty database."""
    return PostgresUnitOfWorkFactory(pg_pool)


@pytest.fixture
def clock() -> FixedClock:
    """Give a clock the test moves by hand."""
    return FixedClock()


def draft(
    source_id: str,
    title: str = "Python Developer",
    *,
    source: str = "feed",
    description: str = "Build <b>web</b> services.",
    company: str = "Acme Ltd",
    city: str = "London",
) -> JobDraft:
    """Make a job draft as a feed would deliver it."""
    return JobDraft(
        source=source,
        source_id=source_id,
        title=title,
        description=description,
        company=company,
        location=Location(city=city, country_code="GB"),
        url=f"https://{source}.example/jobs/{source_id}",
    )


def ingest(
    uow: PostgresUnitOfWorkFactory, clock: FixedClock, records: Sequence[JobDraft | RejectedRecord]
) -> IngestionRun:
    """Queue a run over ``records``, carry it out in batches of two, and return its final state."""
    run = IngestionRun.queue(SourceSpec("test"), run_id=uuid.uuid4(), at=clock.now())
    with uow() as unit:
        unit.ingestions.add(run)
        unit.commit()
    catalog = InMemoryJobSourceCatalog({"test": InMemoryJobSource(records)})
    IngestJobs(uow, catalog, clock, batch_size=2)(RunIngestion(run.id))
    with uow() as unit:
        return unit.ingestions.get(run.id)


def test_ingesting_the_same_feed_twice_adds_nothing(
    uow: PostgresUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A second ingestion of the same drafts stores no new job and counts each as a duplicate."""
    feed = [draft(str(n), f"Job {n}") for n in range(5)]

    first = ingest(uow, clock, feed)
    clock.advance(hours=1)
    second = ingest(uow, clock, feed)

    assert first.counts == IngestionCounts(fetched=5, new=5)
    assert second.counts == IngestionCounts(fetched=5, duplicate=5)
    assert second.status is RunStatus.SUCCEEDED
    with uow() as unit:
        assert unit.jobs.count() == 5


def test_a_changed_posting_is_updated(uow: PostgresUnitOfWorkFactory, clock: FixedClock) -> None:
    """A draft whose content changed at its source updates the stored job in place."""
    ingest(uow, clock, [draft("1"), draft("2", "Data Engineer")])
    clock.advance(days=1)

    run = ingest(
        uow,
        clock,
        [
            draft("1", description="Build web services. Now remote-friendly."),
            draft("2", "Data Engineer"),
        ],
    )

    assert run.counts == IngestionCounts(fetched=2, updated=1, duplicate=1)
    with uow() as unit:
        job = unit.jobs.by_source_ids("feed", ["1"])["1"]
        assert job.description == "Build web services. Now remote-friendly."
        assert job.last_seen == clock.now()
        assert unit.jobs.count() == 2


def test_one_job_from_two_sources_is_stored_once(
    uow: PostgresUnitOfWorkFactory, clock: FixedClock
) -> None:
    """The same job from two sources becomes one job that remembers both places."""
    ingest(uow, clock, [draft("A-1")])
    run = ingest(uow, clock, [draft("99", source="adzuna", company="ACME Limited")])

    assert run.counts == IngestionCounts(fetched=1, duplicate=1)
    with uow() as unit:
        assert unit.jobs.count() == 1
        job = unit.jobs.by_source_ids("adzuna", ["99"])["99"]
        assert job.sources == (
            SourceRef("feed", "A-1", "https://feed.example/jobs/A-1"),
            SourceRef("adzuna", "99", "https://adzuna.example/jobs/99"),
        )
        assert unit.jobs.by_source_ids("feed", ["A-1"]) == {"A-1": job}


def test_a_feed_repeating_a_job_yields_one_job(
    uow: PostgresUnitOfWorkFactory, clock: FixedClock
) -> None:
    """A job listed twice in one feed (also within one batch) is stored once."""
    run = ingest(uow, clock, [draft("1"), draft("2"), draft("3", "Nurse")])

    assert run.counts == IngestionCounts(fetched=3, new=2, duplicate=1)
    with uow() as unit:
        assert unit.jobs.count() == 2


def test_rejected_records_are_counted_and_kept(
    uow: PostgresUnitOfWorkFactory, clock: FixedClock
) -> None:
    """Unreadable records and invalid drafts are counted as rejected with their reasons."""
    run = ingest(
        uow, clock, [RejectedRecord("line 2", "not JSON"), draft("1", title="   "), draft("2")]
    )

    assert run.counts == IngestionCounts(fetched=3, new=1, rejected=2)
    assert run.rejections == (
        RejectedRecord("line 2", "not JSON"),
        RejectedRecord("feed:1", "title is required"),
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("developers", True, id="stemming"),
        pytest.param("building", True, id="stemmed-description"),
        pytest.param("cafe", True, id="accents-folded"),
        pytest.param("ACME", True, id="company"),
        pytest.param("python -django", True, id="websearch-exclusion"),
        pytest.param("python -web", False, id="websearch-excluded"),
        pytest.param('"services build"', False, id="websearch-phrase-order"),
        pytest.param("kotlin", False, id="absent-word"),
    ],
)
def test_full_text_search_on_postgresql(
    uow: PostgresUnitOfWorkFactory, clock: FixedClock, text: str, found: bool
) -> None:
    """PostgreSQL full-text search stems English, folds accents and reads web-search syntax."""
    ingest(uow, clock, [draft("1", "Python Developer", description="Build web services. Café.")])

    with uow() as unit:
        page = unit.jobs.search(JobQuery(text=text), PageRequest())

    assert (page.total == 1) is found
