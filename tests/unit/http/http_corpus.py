"""Builders of job postings for the HTTP tests: a posting, the store, a varied corpus."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from jobraker_core.jobs.model import (
    EmploymentType,
    JobDraft,
    JobPosting,
    Location,
    RemoteMode,
)
from jobraker_core.jobs.salary import Salary, SalaryPeriod

if TYPE_CHECKING:
    from jobraker_adapters.container import Container


def posting(container: Container, *, days_ago: float | None, **fields: object) -> JobPosting:
    """Make a normalised posting, first seen now by the container's clock."""
    now: datetime = container.clock().now()
    draft_fields: dict[str, object] = {
        "source": "test",
        "source_id": uuid.uuid4().hex,
        "description": f"About the role: {fields.get('title', 'a job')}.",
        "posted_at": None if days_ago is None else now - timedelta(days=days_ago),
    }
    draft_fields.update(fields)
    draft = JobDraft(**draft_fields)  # type: ignore[arg-type]
    return JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=now)


def store_jobs(container: Container, jobs: list[JobPosting]) -> None:
    """Put postings straight into the in-memory store."""
    store = container.uow().store
    for job in jobs:
        store.jobs[job.id] = job


def corpus(container: Container) -> dict[str, JobPosting]:
    """Store six varied jobs and return them by a short name."""
    gbp = "GBP"
    jobs = {
        "python_london": posting(
            container,
            days_ago=2,
            title="Senior Python Developer",
            company="Acme Ltd",
            location=Location(
                display="London, UK", city="London", country_code="GB", remote=RemoteMode.HYBRID
            ),
            salary=Salary(Decimal(60000), Decimal(80000), gbp),
            employment_type=EmploymentType.FULL_TIME,
            category="IT Jobs",
            url="https://jobs.example.com/1",
        ),
        "data_manchester": posting(
            container,
            days_ago=10,
            title="Data Engineer",
            company="Globex",
            location=Location(
                city="Manchester", region="North West", country_code="GB", remote=RemoteMode.ON_SITE
            ),
            salary=Salary(Decimal(50000), Decimal(65000), gbp),
            employment_type=EmploymentType.FULL_TIME,
            category="IT Jobs",
        ),
        "python_contract_us": posting(
            container,
            days_ago=40,
            title="Python Contractor",
            company="Initech",
            location=Location(display="Anywhere (US)", country_code="US", remote=RemoteMode.REMOTE),
            salary=Salary(Decimal("90.50"), Decimal(95), "USD", SalaryPeriod.HOUR),
            employment_type=EmploymentType.CONTRACT,
            category="IT Jobs",
        ),
        "nurse_leeds": posting(
            container,
            days_ago=1,
            title="Staff Nurse",
            company="NHS Trust",
            location=Location(city="Leeds", country_code="GB", remote=RemoteMode.ON_SITE),
            salary=Salary(Decimal(30000), Decimal(35000), gbp, estimated=True),
            employment_type=EmploymentType.PART_TIME,
            category="Healthcare Jobs",
        ),
        "intern_berlin": posting(
            container,
            days_ago=None,
            title="Marketing Intern",
            company="Umbrella GmbH",
            location=Location(city="Berlin", country_code="DE", remote=RemoteMode.HYBRID),
            salary=Salary(Decimal(1500), None, "EUR", SalaryPeriod.MONTH),
            employment_type=EmploymentType.INTERNSHIP,
            category="Marketing Jobs",
        ),
        "python_remote_gb": posting(
            container,
            days_ago=5,
            title="Staff Python Engineer",
            company="Hooli",
            location=Location(country_code="GB", remote=RemoteMode.REMOTE),
            employment_type=EmploymentType.FULL_TIME,
            category="IT Jobs",
        ),
    }
    store_jobs(container, list(jobs.values()))
    return jobs
