"""``POST /api/v1/jobs/search/``: free-text search by meaning, with the filters of the job list."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Final, Literal, cast

import msgspec
from litestar import Router, post
from litestar.datastructures import State  # noqa: TC002 - Litestar reads it at runtime
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody  # noqa: TC002 - Litestar reads it at runtime

from jobraker_adapters.container import Container
from jobraker_core.jobs.model import MAX_QUERY_LENGTH, EmploymentType, JobQuery, posted_since
from jobraker_core.matching.search import (
    DEFAULT_SEARCH_RESULTS,
    MAX_SEARCH_RESULTS,
    SearchByMeaning,
    SearchHit,
    SearchJobsByMeaning,
)
from jobraker_http.docs import problem_responses
from jobraker_http.guards import requires_user
from jobraker_http.jobs import (
    _REMOTE,
    MAX_FILTER_LENGTH,
    RemoteFilter,
    _country,
    _currency,
    _salary,
    _text,
)
from jobraker_http.schemas import EmploymentWire, JobSummaryOut, job_summary_to_wire

_FilterText = Annotated[str, msgspec.Meta(max_length=MAX_FILTER_LENGTH)] | None


class SearchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A search by meaning: the text, the filters of ``GET /api/v1/jobs/``, how many results."""

    q: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=MAX_QUERY_LENGTH,
            description="What to look for, in words; matched by meaning and by any word.",
            examples=["backend engineer, Python and PostgreSQL, fintech"],
        ),
    ]
    location: _FilterText = None
    country: _FilterText = None
    remote: RemoteFilter | None = None
    salary_min: Decimal | None = None
    salary_max: Decimal | None = None
    currency: _FilterText = None
    employment_type: EmploymentWire | None = None
    company: _FilterText = None
    category: _FilterText = None
    posted_within_days: int | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_SEARCH_RESULTS)] = DEFAULT_SEARCH_RESULTS


class RetrievalOut(msgspec.Struct, kw_only=True):
    """How hybrid retrieval ranked a job (null: the job was not in that list)."""

    text_rank: Annotated[int | None, msgspec.Meta(description="1-based rank by full text")]
    vector_rank: Annotated[int | None, msgspec.Meta(description="1-based rank by similarity")]
    vector_similarity: Annotated[
        float | None, msgspec.Meta(description="cosine similarity to the query, -1 to 1")
    ]
    fused_score: Annotated[
        float, msgspec.Meta(description="reciprocal-rank fusion score: sum of 1/(60 + rank)")
    ]


class SearchHitOut(msgspec.Struct, kw_only=True):
    """One job found, with its retrieval ranks."""

    job: JobSummaryOut
    retrieval: RetrievalOut


class SearchMeta(msgspec.Struct, kw_only=True):
    """About the results."""

    count: int


class SearchEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the hits of a search, best first."""

    success: Literal[True]
    data: list[SearchHitOut]
    meta: SearchMeta


def hit_to_wire(hit: SearchHit) -> SearchHitOut:
    """Turn a hit into its wire shape."""
    found = hit.retrieval
    return SearchHitOut(
        job=job_summary_to_wire(hit.job),
        retrieval=RetrievalOut(
            text_rank=found.text_rank,
            vector_rank=found.vector_rank,
            vector_similarity=found.vector_similarity,
            fused_score=found.fused_score,
        ),
    )


def _query(body: SearchIn, now: datetime) -> SearchByMeaning:
    filters = JobQuery(
        location=_text(body.location, "location"),
        country=_country(body.country),
        remote=None if body.remote is None else _REMOTE[body.remote],
        salary_min=_salary(body.salary_min, "salary_min"),
        salary_max=_salary(body.salary_max, "salary_max"),
        currency=_currency(body.currency),
        employment_type=(
            None if body.employment_type is None else EmploymentType(body.employment_type)
        ),
        company=_text(body.company, "company"),
        category=_text(body.category, "category"),
        posted_since=posted_since(now, body.posted_within_days),
    )
    return SearchByMeaning(text=_text(body.q, "q") or "", filters=filters, limit=body.limit)


@post(
    "/",
    sync_to_thread=True,
    status_code=200,
    summary="Search jobs by meaning",
    description="Free-text search: the jobs passing every filter are ranked by reciprocal-rank "
    "fusion of full-text matches of any query word and of vector similarity to the query. Each "
    "hit says where each list ranked it. The filters mean what they mean on `GET /api/v1/jobs/`.",
    responses=problem_responses(401, 422, 503),
)
def search_jobs(
    data: JSONBody[SearchIn],
    search_by_meaning: NamedDependency[SearchJobsByMeaning],
    now: NamedDependency[datetime],
) -> SearchEnvelope:
    """Return the best matches for the text among the filtered jobs."""
    hits = search_by_meaning(_query(data, now))
    return SearchEnvelope(
        success=True, data=[hit_to_wire(hit) for hit in hits], meta=SearchMeta(count=len(hits))
    )


def provide_search_by_meaning(state: State) -> SearchJobsByMeaning:
    """Resolve the ``SearchJobsByMeaning`` use case from the app's container."""
    return cast("Container", state.container).search_jobs_by_meaning()


SEARCH_DEPENDENCIES: Final = {
    "search_by_meaning": Provide(provide_search_by_meaning, sync_to_thread=False),
}


def search_router() -> Router:
    """The route ``POST /api/v1/jobs/search/`` (for users signed in)."""
    return Router(
        path="/jobs/search",
        route_handlers=[search_jobs],
        tags=["jobs"],
        guards=[requires_user],
        dependencies=SEARCH_DEPENDENCIES,
    )
