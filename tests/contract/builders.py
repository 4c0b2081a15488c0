"""Builders of postings and runs for the contract tests: valid by default, every field settable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import attrs

from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import (
    EmploymentType,
    JobDraft,
    JobPosting,
    Location,
    RemoteMode,
    SourceRef,
)
from jobraker_core.jobs.salary import Salary, SalaryPeriod

SEEN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def salary(
    minimum: int | str | None,
    maximum: int | str | None = None,
    currency: str = "GBP",
    period: SalaryPeriod = SalaryPeriod.YEAR,
    *,
    estimated: bool = False,
) -> Salary:
    """Make a salary from plain numbers."""
    return Salary(
        minimum=None if minimum is None else Decimal(minimum),
        maximum=None if maximum is None else Decimal(maximum),
        currency=currency,
        period=period,
        estimated=estimated,
    )


def make_job(
    title: str = "Python Developer",
    *,
    description: str = "Build and run web services.",
    company: str | None = "Acme",
    source: str = "feed",
    source_id: str | None = None,
    key: str | None = None,
    job_id: uuid.UUID | None = None,
    display: str | None = None,
    city: str | None = None,
    region: str | None = None,
    country: str | None = None,
    remote: RemoteMode | None = None,
    pay: Salary | None = None,
    employment_type: EmploymentType | None = None,
    category: str | None = None,
    posted_at: datetime | None = None,
    first_seen: datetime = SEEN,
    url: str | None = None,
    also_seen_at: tuple[SourceRef, ...] = (),
) -> JobPosting:
    """Make a normalised posting; its key is unique unless given, so nothing merges by accident."""
    draft = JobDraft(
        source=source,
        source_id=source_id or uuid.uuid4().hex,
        title=title,
        description=description,
        company=company,
        location=Location(
            display=display, city=city, region=region, country_code=country, remote=remote
        ),
        salary=pay,
        employment_type=employment_type,
        category=category,
        posted_at=posted_at,
        url=url,
    )
    job = JobPosting.from_draft(draft, job_id=job_id or uuid.uuid4(), seen_at=first_seen)
    return attrs.evolve(
        job,
        key=key or f"test:{uuid.uuid4().hex}",
        sources=(*job.sources, *also_seen_at),
    )


def make_run(
    *,
    created_at: datetime = SEEN,
    kind: str = "file",
    params: tuple[tuple[str, str], ...] = (("path", "jobs.jsonl"),),
    schedule_key: str | None = None,
    run_id: uuid.UUID | None = None,
) -> IngestionRun:
    """Make a freshly queued ingestion run."""
    return IngestionRun.queue(
        SourceSpec(kind, params),
        run_id=run_id or uuid.uuid4(),
        at=created_at,
        schedule_key=schedule_key,
    )
