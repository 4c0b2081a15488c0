"""``/api/v1/jobs/``: search jobs, read one job."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Final, Literal

from litestar import Router, get
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import Parameter

from jobraker_core.errors import InvalidInput, NotFound
from jobraker_core.jobs.model import (
    MAX_QUERY_LENGTH,
    EmploymentType,
    JobQuery,
    JobSort,
    RemoteMode,
    posted_since,
)
from jobraker_core.jobs.salary import normalise_currency
from jobraker_core.jobs.use_cases import GetJob, SearchJobs, SearchJobsQuery
from jobraker_core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, PageRequest
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, list_meta
from jobraker_http.guards import requires_user
from jobraker_http.schemas import (
    EmploymentWire,
    JobEnvelope,
    JobListEnvelope,
    job_summary_to_wire,
    job_to_wire,
)

MAX_PAGE: Final = 100_000
MAX_FILTER_LENGTH: Final = 200
MAX_SALARY_FILTER: Final = Decimal(1_000_000_000)
_CENT: Final = Decimal("0.01")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

RemoteFilter = Literal["true", "false", "hybrid"]
SortWire = Literal["relevance", "date", "salary"]

_COUNTRY: Final = re.compile(r"^[A-Za-z]{2}$")
_REMOTE: Final = {
    "true": RemoteMode.REMOTE,
    "false": RemoteMode.ON_SITE,
    "hybrid": RemoteMode.HYBRID,
}


def _text(value: str | None, name: str) -> str | None:
    """Strip a text parameter (empty means absent); refuse control characters such as NUL."""
    if value is None:
        return None
    stripped = value.strip()
    if _CONTROL.search(stripped):
        raise InvalidInput(f"{name} must not contain control characters", field=name)
    return stripped or None


def _salary(value: Decimal | None, name: str) -> Decimal | None:
    """Check a salary bound is a plain amount, and keep it to cents."""
    if value is None:
        return None
    if not value.is_finite() or not 0 <= value <= MAX_SALARY_FILTER:
        raise InvalidInput(f"{name} must be a number from 0 to {MAX_SALARY_FILTER}", field=name)
    return value.quantize(_CENT)


def _currency(value: str | None) -> str | None:
    text = _text(value, "currency")
    if text is None:
        return None
    try:
        return normalise_currency(text)
    except InvalidInput:
        raise InvalidInput(
            f"currency {text[:20]!r} is not an ISO 4217 code such as GBP", field="currency"
        ) from None


def _country(value: str | None) -> str | None:
    text = _text(value, "country")
    if text is None:
        return None
    if not _COUNTRY.match(text):
        raise InvalidInput(
            f"country {text[:20]!r} is not an ISO 3166-1 alpha-2 code such as GB", field="country"
        )
    return text.upper()


def job_query(  # noqa: PLR0917 - one argument per filter of GET /api/v1/jobs/
    q: str | None,
    location: str | None,
    country: str | None,
    remote: RemoteFilter | None,
    salary_min: Decimal | None,
    salary_max: Decimal | None,
    currency: str | None,
    employment_type: EmploymentWire | None,
    company: str | None,
    category: str | None,
    *,
    since: datetime | None = None,
    sort: JobSort = JobSort.RELEVANCE,
) -> JobQuery:
    """Turn the job filters of a request into a ``JobQuery``; bad values name their parameter.

    The one reading of the job filters: the job list, recommendations and saved searches use it.
    """
    return JobQuery(
        text=_text(q, "q"),
        location=_text(location, "location"),
        country=_country(country),
        remote=None if remote is None else _REMOTE[remote],
        salary_min=_salary(salary_min, "salary_min"),
        salary_max=_salary(salary_max, "salary_max"),
        currency=_currency(currency),
        employment_type=None if employment_type is None else EmploymentType(employment_type),
        company=_text(company, "company"),
        category=_text(category, "category"),
        posted_since=since,
        sort=sort,
    )


def clamp_page(page: int, per_page: int) -> PageRequest:
    """Return the page asked for, ``per_page`` capped at the maximum (never refused for size)."""
    return PageRequest(page=page, per_page=min(per_page, MAX_PER_PAGE))


def parse_id(raw: str, what: str) -> uuid.UUID:
    """Parse the id in a path; a malformed id is ``NotFound``, like an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"{what} {raw[:64]!r} not found") from None


@get(
    "/",
    sync_to_thread=True,
    summary="Search jobs",
    description="Filters combine with AND. Salary bounds are annual figures in `currency`; "
    "Jobraker does not convert currencies, so a salary filter needs `currency` and matches only "
    "jobs paid in it. Sorting by relevance without `q` sorts by date.",
    responses=problem_responses(400, 503),
)
def jobs_index(  # noqa: PLR0917 - one query parameter per documented filter
    search_jobs: NamedDependency[SearchJobs],
    now: NamedDependency[datetime],
    q: Annotated[
        str | None,
        Parameter(
            description="Full text over title, company and description; every word must appear.",
            max_length=MAX_QUERY_LENGTH,
        ),
    ] = None,
    location: Annotated[
        str | None,
        Parameter(
            description="Part of the city, region or displayed place (case-insensitive).",
            max_length=MAX_FILTER_LENGTH,
        ),
    ] = None,
    country: Annotated[
        str | None,
        Parameter(
            description="ISO 3166-1 alpha-2 country code, any case (`gb`, `US`).",
            max_length=MAX_FILTER_LENGTH,
        ),
    ] = None,
    remote: Annotated[
        RemoteFilter | None,
        Parameter(description="`true`: remote only; `false`: on-site only; `hybrid`: hybrid only."),
    ] = None,
    salary_min: Annotated[
        Decimal | None, Parameter(description="Lowest acceptable annual salary, in `currency`.")
    ] = None,
    salary_max: Annotated[
        Decimal | None, Parameter(description="Highest acceptable annual salary, in `currency`.")
    ] = None,
    currency: Annotated[
        str | None,
        Parameter(
            description="ISO 4217 code of the salary bounds, any case (`gbp`).",
            max_length=MAX_FILTER_LENGTH,
        ),
    ] = None,
    employment_type: Annotated[
        EmploymentWire | None, Parameter(description="Kind of contract.")
    ] = None,
    company: Annotated[
        str | None,
        Parameter(
            description="Company name, exact but case-insensitive.", max_length=MAX_FILTER_LENGTH
        ),
    ] = None,
    category: Annotated[
        str | None,
        Parameter(
            description="Category, exact but case-insensitive.", max_length=MAX_FILTER_LENGTH
        ),
    ] = None,
    posted_within_days: Annotated[
        int | None, Parameter(description="Only jobs posted in the last N days (1 to 3650).")
    ] = None,
    sort: Annotated[SortWire, Parameter(description="Order of the results.")] = "relevance",
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="1-based page number.")] = 1,
    per_page: Annotated[
        int,
        Parameter(
            ge=1,
            description=f"Jobs per page; values above {MAX_PER_PAGE} are capped to it.",
        ),
    ] = DEFAULT_PER_PAGE,
) -> JobListEnvelope:
    """Return one page of the jobs matching every filter given."""
    query = job_query(
        q,
        location,
        country,
        remote,
        salary_min,
        salary_max,
        currency,
        employment_type,
        company,
        category,
        since=posted_since(now, posted_within_days),
        sort=JobSort(sort),
    )
    found = search_jobs(SearchJobsQuery(query=query, page=clamp_page(page, per_page)))
    return JobListEnvelope(
        success=True, data=[job_summary_to_wire(job) for job in found.items], meta=list_meta(found)
    )


@get(
    "/{job_id:str}",
    sync_to_thread=True,
    summary="Read one job",
    description="A malformed id answers 404, like an id no job has.",
    responses=problem_responses(400, 404, 503),
)
def job_detail(
    job_id: Annotated[str, Parameter(description="The job's id (a UUID).")],
    get_job: NamedDependency[GetJob],
) -> JobEnvelope:
    """Return the job with this id."""
    job = get_job(parse_id(job_id, "job"))
    return JobEnvelope(success=True, data=job_to_wire(job), meta=ItemMeta())


def jobs_router() -> Router:
    """Group the routes under ``/api/v1/jobs``."""
    return Router(
        path="/jobs",
        route_handlers=[jobs_index, job_detail],
        tags=["jobs"],
        guards=[requires_user],
    )
