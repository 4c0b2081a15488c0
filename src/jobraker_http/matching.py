"""Matching routes.

Recommendations, one job's match explanation, feedback, saved searches and career insight. Every
route needs a signed-in user and works on that user's data only.

- ``GET /api/v1/jobs/recommendations/``: the filters of ``GET /api/v1/jobs/`` plus ``min_score``;
- ``GET /api/v1/jobs/{id}/match/``: the full explanation of one job;
- ``POST|DELETE /api/v1/jobs/{id}/feedback/``: save or dismiss (with a reason), or take it back;
  ``GET /api/v1/users/feedback/`` lists it;
- ``POST|GET /api/v1/users/saved-searches/``, ``GET|DELETE .../{id}/``, ``GET .../{id}/matches/``;
- ``GET /api/v1/users/career-insight/``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Final, Literal

import msgspec
from litestar import Router, delete, get, post
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import JSONBody, Parameter

from jobraker_core.accounts.identity import Principal
from jobraker_core.jobs.model import MAX_QUERY_LENGTH, posted_since
from jobraker_core.matching.candidate import Evidence
from jobraker_core.matching.explain import ExperienceFit, Match, SkillMatch
from jobraker_core.matching.feedback import DismissReason, Feedback, FeedbackKind
from jobraker_core.matching.insight import CareerInsight
from jobraker_core.matching.saved_searches import SavedSearch
from jobraker_core.matching.use_cases import (
    CreateSavedSearch,
    CreateSavedSearchCommand,
    DeleteSavedSearch,
    ExplainMatch,
    GetCareerInsight,
    GetSavedSearch,
    GiveFeedback,
    GiveFeedbackCommand,
    ListFeedback,
    ListSavedSearches,
    ListSavedSearchMatches,
    Recommend,
    RecommendQuery,
    SavedSearchView,
    WithdrawFeedback,
)
from jobraker_core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, ListMeta, list_meta
from jobraker_http.guards import requires_user
from jobraker_http.jobs import (
    _REMOTE,
    MAX_FILTER_LENGTH,
    MAX_PAGE,
    RemoteFilter,
    clamp_page,
    job_query,
    parse_id,
)
from jobraker_http.providers import container_provider
from jobraker_http.schemas import EmploymentWire, JobOut, Number, job_to_wire, number

ReasonWire = Literal[
    "not_relevant",
    "too_junior",
    "too_senior",
    "wrong_location",
    "salary_too_low",
    "company",
    "already_applied",
    "other",
]
_FilterText = Annotated[str, msgspec.Meta(max_length=MAX_FILTER_LENGTH)] | None
JobId = Annotated[str, Parameter(description="The job's id (a UUID).")]
SearchId = Annotated[str, Parameter(description="The saved search's id (a UUID).")]
MAX_NOTE_LENGTH: Final = 500

# ----------------------------------------------------------------------------- wire: out


class EvidenceOut(msgspec.Struct, kw_only=True):
    """The text a fact was read from: ``source`` is resume, user (entered) or job.

    ``start``/``end`` place ``text`` in the source; ``context`` is the line around it, cut to
    about 240 characters around ``text`` with "…" where cut (``Evidence.excerpt``).
    """

    text: str
    source: Literal["resume", "user", "job"]
    start: int | None
    end: int | None
    context: str | None


def evidence_to_wire(evidence: Evidence | None) -> EvidenceOut | None:
    """Return the wire form of a piece of evidence."""
    if evidence is None:
        return None
    return EvidenceOut(
        text=evidence.text,
        source=evidence.source.value,
        start=evidence.start,
        end=evidence.end,
        context=evidence.excerpt(),
    )


class ScorePartOut(msgspec.Struct, kw_only=True):
    """One part of the score: at most ``weight`` points, ``value`` 0-1 (null: unknown)."""

    name: str
    weight: float
    value: float | None
    points: float
    summary: str


class SkillMatchOut(msgspec.Struct, kw_only=True):
    """A skill the job asks for: required (true), nice to have (false) or unstated (null)."""

    name: str
    skill_id: str | None
    required: bool | None
    matched: bool
    job_evidence: EvidenceOut | None
    profile_evidence: EvidenceOut | None


class ExperienceFitOut(msgspec.Struct, kw_only=True):
    """Years of experience asked for, and found in the profile."""

    years_required: float
    role: str | None
    years_found: float
    fit: float
    job_evidence: EvidenceOut | None
    found_in: list[str]


class ExclusionOut(msgspec.Struct, kw_only=True):
    """A hard constraint the job breaks."""

    code: str
    reason: str


class MatchOut(msgspec.Struct, kw_only=True):
    """A job scored for the caller, with everything needed to check the score."""

    job: JobOut
    score: Annotated[float, msgspec.Meta(description="0-100: the sum of the parts' points")]
    excluded: bool
    exclusions: list[ExclusionOut]
    parts: list[ScorePartOut]
    matched_skills: list[SkillMatchOut]
    missing_skills: list[SkillMatchOut]
    experience: list[ExperienceFitOut]
    duplicate_of: uuid.UUID | None
    saved: bool


def _skill(skill: SkillMatch) -> SkillMatchOut:
    return SkillMatchOut(
        name=skill.name,
        skill_id=skill.skill_id,
        required=skill.required,
        matched=skill.matched,
        job_evidence=evidence_to_wire(skill.job_evidence),
        profile_evidence=evidence_to_wire(skill.candidate_evidence),
    )


def _fit(fit: ExperienceFit) -> ExperienceFitOut:
    return ExperienceFitOut(
        years_required=fit.years_required,
        role=fit.role,
        years_found=fit.years_found,
        fit=fit.fit,
        job_evidence=evidence_to_wire(fit.job_evidence),
        found_in=list(fit.found_in),
    )


def match_to_wire(match: Match) -> MatchOut:
    """Return the wire form of a match."""
    return MatchOut(
        job=job_to_wire(match.job),
        score=match.score,
        excluded=match.excluded,
        exclusions=[ExclusionOut(code=e.code.value, reason=e.reason) for e in match.exclusions],
        parts=[
            ScorePartOut(
                name=p.name.value,
                weight=p.weight,
                value=p.value,
                points=p.points,
                summary=p.summary,
            )
            for p in match.parts
        ],
        matched_skills=[_skill(s) for s in match.matched_skills],
        missing_skills=[_skill(s) for s in match.missing_skills],
        experience=[_fit(f) for f in match.experience],
        duplicate_of=match.duplicate_of,
        saved=match.saved,
    )


class MatchEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one match."""

    success: Literal[True]
    data: MatchOut
    meta: ItemMeta


class MatchListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of recommendations."""

    success: Literal[True]
    data: list[MatchOut]
    meta: ListMeta


class FeedbackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Save a job, or dismiss it with a reason."""

    action: Literal["save", "dismiss"]
    reason: ReasonWire | None = None
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE_LENGTH)] | None = None


class FeedbackOut(msgspec.Struct, kw_only=True):
    """What the caller said about a job."""

    job_id: uuid.UUID
    action: Literal["save", "dismiss"]
    reason: ReasonWire | None
    note: str | None
    job_title: str
    company: str | None
    created_at: datetime


def feedback_to_wire(feedback: Feedback) -> FeedbackOut:
    """Return the wire form of feedback."""
    return FeedbackOut(
        job_id=feedback.job_id,
        action=feedback.kind.value,
        reason=feedback.reason.value if feedback.reason else None,
        note=feedback.note,
        job_title=feedback.traits.title,
        company=feedback.traits.company,
        created_at=feedback.created_at,
    )


class FeedbackEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around feedback."""

    success: Literal[True]
    data: FeedbackOut
    meta: ItemMeta


class FeedbackListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the caller's feedback."""

    success: Literal[True]
    data: list[FeedbackOut]
    meta: ItemMeta


class SavedSearchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A search to keep: a name, the filters of ``GET /api/v1/jobs/``, an optional min score."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    q: Annotated[str, msgspec.Meta(max_length=MAX_QUERY_LENGTH)] | None = None
    location: _FilterText = None
    country: _FilterText = None
    remote: RemoteFilter | None = None
    salary_min: Decimal | None = None
    salary_max: Decimal | None = None
    currency: _FilterText = None
    employment_type: EmploymentWire | None = None
    company: _FilterText = None
    category: _FilterText = None
    min_score: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None


class SavedFiltersOut(msgspec.Struct, kw_only=True):
    """The filters of a saved search."""

    q: str | None
    location: str | None
    country: str | None
    remote: str | None
    salary_min: Number | None
    salary_max: Number | None
    currency: str | None
    employment_type: str | None
    company: str | None
    category: str | None


class SavedSearchOut(msgspec.Struct, kw_only=True):
    """A saved search and how many new jobs it has found."""

    id: uuid.UUID
    name: str
    filters: SavedFiltersOut
    min_score: float | None
    created_at: datetime
    checked_at: datetime | None
    matches: int


_REMOTE_OUT: Final = {mode: wire for wire, mode in _REMOTE.items()}


def saved_search_to_wire(view: SavedSearchView) -> SavedSearchOut:
    """Return the wire form of a saved search."""
    search: SavedSearch = view.search
    query = search.query
    return SavedSearchOut(
        id=search.id,
        name=search.name,
        filters=SavedFiltersOut(
            q=query.text,
            location=query.location,
            country=query.country,
            remote=_REMOTE_OUT[query.remote] if query.remote else None,
            salary_min=number(query.salary_min),
            salary_max=number(query.salary_max),
            currency=query.currency,
            employment_type=query.employment_type.value if query.employment_type else None,
            company=query.company,
            category=query.category,
        ),
        min_score=search.min_score,
        created_at=search.created_at,
        checked_at=search.checked_at,
        matches=view.hits,
    )


class SavedSearchEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one saved search."""

    success: Literal[True]
    data: SavedSearchOut
    meta: ItemMeta


class SavedSearchListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of saved searches."""

    success: Literal[True]
    data: list[SavedSearchOut]
    meta: ListMeta


class SavedSearchMatchOut(msgspec.Struct, kw_only=True):
    """A job a saved search found (``job`` null when it has gone since)."""

    job_id: uuid.UUID
    found_at: datetime
    score: float | None
    job: JobOut | None


class SavedSearchMatchListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of a saved search's matches."""

    success: Literal[True]
    data: list[SavedSearchMatchOut]
    meta: ListMeta


class SkillGapOut(msgspec.Struct, kw_only=True):
    """A skill the best matches ask for and the profile does not show."""

    name: str
    skill_id: str | None
    jobs: Annotated[int, msgspec.Meta(description="how many of the best matches ask for it")]
    required_by: int


class SalaryRangeOut(msgspec.Struct, kw_only=True):
    """What the best matches pay in one currency, as yearly figures (never converted)."""

    currency: str
    jobs: int
    low: Number
    high: Number
    median: Number
    p25: Number | None = None
    p75: Number | None = None
    estimated_jobs: Annotated[
        int, msgspec.Meta(description="of `jobs`, how many give an estimated salary")
    ] = 0


class CareerInsightOut(msgspec.Struct, kw_only=True):
    """The skills most often missing from the best matches, and what those jobs pay."""

    matches_considered: int
    missing_skills: list[SkillGapOut]
    salaries: list[SalaryRangeOut]


class CareerInsightEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around career insight."""

    success: Literal[True]
    data: CareerInsightOut
    meta: ItemMeta


def insight_to_wire(insight: CareerInsight) -> CareerInsightOut:
    """Return the wire form of career insight."""
    return CareerInsightOut(
        matches_considered=insight.matches,
        missing_skills=[
            SkillGapOut(name=g.name, skill_id=g.skill_id, jobs=g.jobs, required_by=g.required_by)
            for g in insight.skills
        ],
        salaries=[
            SalaryRangeOut(
                currency=s.currency,
                jobs=s.jobs,
                low=number(s.low) or 0,
                high=number(s.high) or 0,
                median=number(s.median) or 0,
                p25=number(s.p25),
                p75=number(s.p75),
                estimated_jobs=s.estimated,
            )
            for s in insight.salaries
        ],
    )


# ----------------------------------------------------------------------------- jobs routes


@get(
    "/recommendations",
    sync_to_thread=True,
    summary="Recommended jobs for me",
    description="Jobs for the caller's candidate profile and preferences, best first, each with "
    "its score and the score's parts, the skills matched and missing (with evidence from the "
    "job and the profile) and the experience asked for. Hard constraints (preferences, "
    "dismissed jobs) leave jobs out; near-duplicates are moved down. Takes the filters of "
    "`GET /api/v1/jobs/` and `min_score`. 409 when there is nothing to match yet. A ranking "
    "is kept for a minute (`JOBRAKER_RECOMMENDATION_CACHE_SECONDS`), so further pages are "
    "quick and consistent: a change to the profile, preferences or feedback ranks afresh at "
    "once, and newly ingested jobs appear within that minute.",
    responses=problem_responses(400, 401, 409, 503),
)
def recommendations(  # noqa: PLR0917 - one query parameter per documented filter
    principal: NamedDependency[Principal],
    recommend_jobs: NamedDependency[Recommend],
    now: NamedDependency[datetime],
    q: Annotated[str | None, Parameter(max_length=MAX_QUERY_LENGTH)] = None,
    location: Annotated[str | None, Parameter(max_length=MAX_FILTER_LENGTH)] = None,
    country: Annotated[str | None, Parameter(max_length=MAX_FILTER_LENGTH)] = None,
    remote: Annotated[RemoteFilter | None, Parameter(description="true, false or hybrid")] = None,
    salary_min: Annotated[Decimal | None, Parameter(description="annual, in currency")] = None,
    salary_max: Annotated[Decimal | None, Parameter(description="annual, in currency")] = None,
    currency: Annotated[str | None, Parameter(max_length=MAX_FILTER_LENGTH)] = None,
    employment_type: Annotated[EmploymentWire | None, Parameter(description="contract")] = None,
    company: Annotated[str | None, Parameter(max_length=MAX_FILTER_LENGTH)] = None,
    category: Annotated[str | None, Parameter(max_length=MAX_FILTER_LENGTH)] = None,
    posted_within_days: Annotated[int | None, Parameter(description="1 to 3650")] = None,
    min_score: Annotated[
        float | None, Parameter(ge=0, le=100, description="Only jobs scoring at least this.")
    ] = None,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> MatchListEnvelope:
    """Return one page of the caller's recommendations."""
    filters = job_query(
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
    )
    found = recommend_jobs(
        RecommendQuery(principal.user_id, filters, min_score, clamp_page(page, per_page))
    )
    return MatchListEnvelope(
        success=True, data=[match_to_wire(m) for m in found.items], meta=list_meta(found)
    )


@get(
    "/{job_id:str}/match",
    sync_to_thread=True,
    summary="How a job matches me",
    description="The full explanation of one job for the caller, also when a hard constraint "
    "excludes it (`excluded`, `exclusions`). A malformed or unknown id answers 404.",
    responses=problem_responses(401, 404, 409, 503),
)
def job_match(
    job_id: JobId,
    principal: NamedDependency[Principal],
    explain_match: NamedDependency[ExplainMatch],
) -> MatchEnvelope:
    """Return the caller's match with the job."""
    match = explain_match(principal.user_id, parse_id(job_id, "job"))
    return MatchEnvelope(success=True, data=match_to_wire(match), meta=ItemMeta())


@post(
    "/{job_id:str}/feedback",
    sync_to_thread=True,
    summary="Save or dismiss a job",
    description="`save`, or `dismiss` with a `reason`: a dismissed job disappears from the "
    "caller's recommendations and lowers similar jobs (shown as the `feedback` part of their "
    "score). The latest word replaces the previous one.",
    responses=problem_responses(401, 404, 422, 503),
)
def job_feedback(
    job_id: JobId,
    data: JSONBody[FeedbackIn],
    principal: NamedDependency[Principal],
    give_feedback: NamedDependency[GiveFeedback],
) -> FeedbackEnvelope:
    """Record the caller's feedback on the job."""
    command = GiveFeedbackCommand(
        user_id=principal.user_id,
        job_id=parse_id(job_id, "job"),
        kind=FeedbackKind(data.action),
        reason=DismissReason(data.reason) if data.reason else None,
        note=data.note,
    )
    return FeedbackEnvelope(
        success=True, data=feedback_to_wire(give_feedback(command)), meta=ItemMeta()
    )


@delete(
    "/{job_id:str}/feedback",
    sync_to_thread=True,
    summary="Take back my feedback on a job",
    responses=problem_responses(401, 404, 503),
)
def job_feedback_withdraw(
    job_id: JobId,
    principal: NamedDependency[Principal],
    withdraw_feedback: NamedDependency[WithdrawFeedback],
) -> None:
    """Forget the caller's feedback on the job."""
    withdraw_feedback(principal.user_id, parse_id(job_id, "job"))


def matching_jobs_router() -> Router:
    """The matching routes under ``/api/v1/jobs``."""
    return Router(
        path="/jobs",
        route_handlers=[recommendations, job_match, job_feedback, job_feedback_withdraw],
        tags=["matching"],
        guards=[requires_user],
        dependencies={
            "recommend_jobs": container_provider("recommend_jobs"),
            "explain_match": container_provider("explain_match"),
            "give_feedback": container_provider("give_feedback"),
            "withdraw_feedback": container_provider("withdraw_feedback"),
        },
    )


# ----------------------------------------------------------------------------- users routes


@get(
    "/feedback",
    sync_to_thread=True,
    summary="My feedback on jobs",
    responses=problem_responses(401, 503),
)
def feedback_list(
    principal: NamedDependency[Principal], list_feedback: NamedDependency[ListFeedback]
) -> FeedbackListEnvelope:
    """Return everything the caller said about jobs, newest first."""
    return FeedbackListEnvelope(
        success=True,
        data=[feedback_to_wire(f) for f in list_feedback(principal.user_id)],
        meta=ItemMeta(),
    )


@post(
    "/saved-searches",
    sync_to_thread=True,
    summary="Save a search",
    description="Keeps the filters; after each ingestion the new jobs that pass them (and, "
    "with `min_score`, score at least that for the caller) are recorded as its matches.",
    responses=problem_responses(401, 409, 422, 503),
)
def saved_search_create(
    data: JSONBody[SavedSearchIn],
    principal: NamedDependency[Principal],
    create_saved_search: NamedDependency[CreateSavedSearch],
) -> SavedSearchEnvelope:
    """Store the search."""
    query = job_query(
        data.q,
        data.location,
        data.country,
        data.remote,
        data.salary_min,
        data.salary_max,
        data.currency,
        data.employment_type,
        data.company,
        data.category,
    )
    search = create_saved_search(
        CreateSavedSearchCommand(principal.user_id, data.name, query, data.min_score)
    )
    return SavedSearchEnvelope(
        success=True, data=saved_search_to_wire(SavedSearchView(search, 0)), meta=ItemMeta()
    )


@get(
    "/saved-searches",
    sync_to_thread=True,
    summary="My saved searches",
    responses=problem_responses(401, 503),
)
def saved_search_list(
    principal: NamedDependency[Principal],
    list_saved_searches: NamedDependency[ListSavedSearches],
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> SavedSearchListEnvelope:
    """Return one page of the caller's saved searches, newest first."""
    found = list_saved_searches(principal.user_id, clamp_page(page, per_page))
    return SavedSearchListEnvelope(
        success=True, data=[saved_search_to_wire(v) for v in found.items], meta=list_meta(found)
    )


@get(
    "/saved-searches/{search_id:str}",
    sync_to_thread=True,
    summary="One of my saved searches",
    responses=problem_responses(401, 404, 503),
)
def saved_search_detail(
    search_id: SearchId,
    principal: NamedDependency[Principal],
    get_saved_search: NamedDependency[GetSavedSearch],
) -> SavedSearchEnvelope:
    """Return the search (404 for another user's)."""
    view = get_saved_search(principal.user_id, parse_id(search_id, "saved search"))
    return SavedSearchEnvelope(success=True, data=saved_search_to_wire(view), meta=ItemMeta())


@delete(
    "/saved-searches/{search_id:str}",
    sync_to_thread=True,
    summary="Delete one of my saved searches",
    responses=problem_responses(401, 404, 503),
)
def saved_search_delete(
    search_id: SearchId,
    principal: NamedDependency[Principal],
    delete_saved_search: NamedDependency[DeleteSavedSearch],
) -> None:
    """Delete the search and its matches (404 for another user's)."""
    delete_saved_search(principal.user_id, parse_id(search_id, "saved search"))


@get(
    "/saved-searches/{search_id:str}/matches",
    sync_to_thread=True,
    summary="The new jobs a saved search found",
    responses=problem_responses(401, 404, 503),
)
def saved_search_matches(
    search_id: SearchId,
    principal: NamedDependency[Principal],
    list_saved_search_matches: NamedDependency[ListSavedSearchMatches],
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> SavedSearchMatchListEnvelope:
    """Return one page of the search's matches, newest first."""
    found = list_saved_search_matches(
        principal.user_id, parse_id(search_id, "saved search"), clamp_page(page, per_page)
    )
    data = [
        SavedSearchMatchOut(
            job_id=m.hit.job_id,
            found_at=m.hit.found_at,
            score=m.hit.score,
            job=job_to_wire(m.job) if m.job else None,
        )
        for m in found.items
    ]
    return SavedSearchMatchListEnvelope(success=True, data=data, meta=list_meta(found))


@get(
    "/career-insight",
    sync_to_thread=True,
    summary="Skills to learn for the jobs I match",
    description="The skills most often missing from the caller's best matches, with how many of "
    "those jobs ask for each, and the salary range they pay per currency (never converted).",
    responses=problem_responses(401, 409, 503),
)
def career_insight_read(
    principal: NamedDependency[Principal], career_insight: NamedDependency[GetCareerInsight]
) -> CareerInsightEnvelope:
    """Return the caller's career insight."""
    insight = career_insight(principal.user_id)
    return CareerInsightEnvelope(success=True, data=insight_to_wire(insight), meta=ItemMeta())


def matching_users_router() -> Router:
    """The matching routes under ``/api/v1/users``."""
    return Router(
        path="/users",
        route_handlers=[
            feedback_list,
            saved_search_create,
            saved_search_list,
            saved_search_detail,
            saved_search_delete,
            saved_search_matches,
            career_insight_read,
        ],
        tags=["matching"],
        guards=[requires_user],
        dependencies={
            name: container_provider(name)
            for name in (
                "list_feedback",
                "create_saved_search",
                "list_saved_searches",
                "get_saved_search",
                "delete_saved_search",
                "list_saved_search_matches",
                "career_insight",
            )
        },
    )


__all__ = ["MAX_PER_PAGE", "matching_jobs_router", "matching_users_router"]
