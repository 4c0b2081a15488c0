"""Wire schemas of the HTTP API and the explicit functions that turn domain objects into them.

The API's shape and the domain's shape change for different reasons, so nothing here is a domain
class: every response body is one of these msgspec structs, built by a ``*_to_wire`` function.
Decimals leave as JSON numbers; instants as RFC 3339 strings in UTC.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

import msgspec

from jobraker_http.envelope import ItemMeta, ListMeta

if TYPE_CHECKING:
    from decimal import Decimal

    from jobraker_core.jobs.ingestion import IngestionRun
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.jobs.salary import Salary

Number = int | float
RemoteWire = Literal["on_site", "hybrid", "remote"]
PeriodWire = Literal["hour", "day", "week", "month", "year"]
EmploymentWire = Literal["full_time", "part_time", "contract", "temporary", "internship"]
StatusWire = Literal["queued", "running", "retrying", "succeeded", "failed"]

# ----------------------------------------------------------------------------- jobs


class LocationOut(msgspec.Struct, kw_only=True):
    """Where a job is."""

    display: str | None
    city: str | None
    region: str | None
    country: Annotated[str | None, msgspec.Meta(description="ISO 3166-1 alpha-2, upper case")]
    remote: RemoteWire | None


class SalaryOut(msgspec.Struct, kw_only=True):
    """A salary as stated, and its annual equivalent in whole units of the same currency."""

    min: Number | None
    max: Number | None
    currency: Annotated[str, msgspec.Meta(description="ISO 4217 code")]
    period: PeriodWire
    annual_min: Number | None
    annual_max: Number | None
    estimated: Annotated[bool, msgspec.Meta(description="a source's estimate, not the employer's")]


class SourceRefOut(msgspec.Struct, kw_only=True):
    """One place the job was seen."""

    source: str
    source_id: str
    url: str | None


class JobSummaryOut(msgspec.Struct, kw_only=True):
    """A job posting as lists show it: everything but the full description, plus a summary."""

    id: uuid.UUID
    title: str
    company: str | None
    summary: Annotated[
        str, msgspec.Meta(description="the opening of the description, at most 280 characters")
    ]
    location: LocationOut
    salary: SalaryOut | None
    employment_type: EmploymentWire | None
    category: str | None
    posted_at: datetime | None
    url: str | None
    apply_url: str | None
    first_seen: datetime
    last_seen: datetime
    sources: list[SourceRefOut]


class JobOut(JobSummaryOut, kw_only=True):
    """A job posting, de-duplicated across sources, with its full plain-text description."""

    description: str


# ----------------------------------------------------------------------------- ingestions


class SourceSpecOut(msgspec.Struct, kw_only=True):
    """Which source a run ingests, with its parameters."""

    kind: str
    params: dict[str, str]


class CountsOut(msgspec.Struct, kw_only=True):
    """What became of the records a run fetched."""

    fetched: int
    new: int
    updated: int
    duplicate: int
    rejected: int


class RejectionOut(msgspec.Struct, kw_only=True):
    """A record that could not be ingested: where it was and why."""

    ref: str
    reason: str


class IngestionOut(msgspec.Struct, kw_only=True):
    """An ingestion run: its source, progress and outcome."""

    id: uuid.UUID
    source: SourceSpecOut
    status: StatusWire
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    counts: CountsOut
    rejections: list[RejectionOut]
    error: str | None


API_SOURCES: Final = ("demo", "feed", "adzuna", "greenhouse", "lever")

ParamValue = str | int | float | bool


class StartIngestionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/ingestions/``: the source to ingest and its parameters."""

    source: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=50,
            description="demo (the shipped demo feed), feed (a file in the server's feeds folder, "
            "param `name`), adzuna (params `country`, `what`, `where`, `pages`), greenhouse "
            "(param `board`, else the configured boards) or lever (param `company`, else the "
            "configured companies)",
            examples=["adzuna"],
        ),
    ]
    params: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=100)], ParamValue],
        msgspec.Meta(max_length=20, examples=[{"country": "gb", "what": "python developer"}]),
    ] = msgspec.field(default_factory=dict)


# ----------------------------------------------------------------------------- envelope


class JobEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one job."""

    success: Literal[True]
    data: JobOut
    meta: ItemMeta


class JobListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of jobs."""

    success: Literal[True]
    data: list[JobSummaryOut]
    meta: ListMeta


class IngestionEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one ingestion run."""

    success: Literal[True]
    data: IngestionOut
    meta: ItemMeta


class IngestionListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of ingestion runs."""

    success: Literal[True]
    data: list[IngestionOut]
    meta: ListMeta


# ----------------------------------------------------------------------------- to wire


def number(value: Decimal | None) -> Number | None:
    """Turn a decimal into a JSON number: an integer when it is whole, else a float."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def salary_to_wire(salary: Salary | None) -> SalaryOut | None:
    """Return the wire form of a salary."""
    if salary is None:
        return None
    return SalaryOut(
        min=number(salary.minimum),
        max=number(salary.maximum),
        currency=salary.currency,
        period=salary.period.value,
        annual_min=number(salary.annual_min),
        annual_max=number(salary.annual_max),
        estimated=salary.estimated,
    )


def job_summary_to_wire(job: JobPosting) -> JobSummaryOut:
    """Return the list form of a job posting (no full description)."""
    return JobSummaryOut(**_job_fields(job))


def job_to_wire(job: JobPosting) -> JobOut:
    """Return the full wire form of a job posting."""
    return JobOut(**_job_fields(job), description=job.description)


def _job_fields(job: JobPosting) -> dict[str, Any]:
    location = job.location
    return {
        "id": job.id,
        "title": job.title,
        "company": job.company,
        "summary": job.summary(),
        "location": LocationOut(
            display=location.display,
            city=location.city,
            region=location.region,
            country=location.country_code,
            remote=None if location.remote is None else location.remote.value,
        ),
        "salary": salary_to_wire(job.salary),
        "employment_type": (None if job.employment_type is None else job.employment_type.value),
        "category": job.category,
        "posted_at": job.posted_at,
        "url": job.url,
        "apply_url": job.apply_url,
        "first_seen": job.first_seen,
        "last_seen": job.last_seen,
        "sources": [
            SourceRefOut(source=r.source, source_id=r.source_id, url=r.url) for r in job.sources
        ],
    }


def ingestion_to_wire(run: IngestionRun) -> IngestionOut:
    """Return the wire form of an ingestion run."""
    counts = run.counts
    return IngestionOut(
        id=run.id,
        source=SourceSpecOut(kind=run.source.kind, params=dict(run.source.params)),
        status=run.status.value,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        attempts=run.attempts,
        counts=CountsOut(
            fetched=counts.fetched,
            new=counts.new,
            updated=counts.updated,
            duplicate=counts.duplicate,
            rejected=counts.rejected,
        ),
        rejections=[RejectionOut(ref=r.ref, reason=r.reason) for r in run.rejections],
        error=run.error,
    )
