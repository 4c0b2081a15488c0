"""``/api/v1/admin/``: the moderation queue, per-source health and platform metrics.

Every route requires an admin (``requires_admin``), and the use cases check it again.

- ``GET /admin/moderation/flags/``: flagged jobs, newest first (``status`` open by default,
  ``any`` for all; ``rule``; ``job_id``), each with its evidence and the job.
- ``POST /admin/moderation/flags/{flag_id}/review/``: ``{"decision": "confirm"|"dismiss",
  "note"?}``. Dismissing stops the rule flagging that company; confirming a scam blocks it.
- ``GET /admin/sources/``: ingestion health per source kind over the last 30 days.
- ``GET /admin/metrics/``: users, active users, jobs by source, ingestion health, applications
  by status (when recorded), queue depth and failure rates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from litestar import Request, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from jobraker_adapters.container import Container
from jobraker_core.accounts.identity import Principal
from jobraker_core.moderation.health import (
    GetPlatformMetrics,
    GetSourceHealth,
    PlatformMetrics,
    SourceHealth,
)
from jobraker_core.moderation.model import FlagQuery, FlagRule, FlagStatus, JobFlag
from jobraker_core.moderation.use_cases import (
    FlaggedJob,
    ListFlags,
    ReviewFlag,
    ReviewFlagCommand,
    parse_choice,
)
from jobraker_core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE
from jobraker_http.auth import client_ip
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, ListMeta, list_meta
from jobraker_http.guards import requires_admin
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id

FlagRuleWire = Literal[
    "duplicate",
    "repost",
    "mass_posting",
    "staffing_agency",
    "test_posting",
    "scam_payment",
    "scam_contact",
    "scam_salary",
    "dead_link",
    "blocked_company",
]
FlagStatusWire = Literal["open", "confirmed", "dismissed"]
MAX_NOTE: Final = 1_000


class FlaggedJobOut(msgspec.Struct, kw_only=True):
    """The job a flag is on, in brief (``null`` fields when the job is gone)."""

    id: uuid.UUID
    title: str | None
    company: str | None
    source: str | None
    apply_url: str | None


class FlagOut(msgspec.Struct, kw_only=True):
    """One flag: its rule, the evidence that raised it, and its review."""

    id: uuid.UUID
    rule: FlagRuleWire
    status: FlagStatusWire
    evidence: dict[str, str]
    company_key: str
    raised_at: datetime
    updated_at: datetime
    reviewed_at: datetime | None
    note: str | None
    job: FlaggedJobOut


class FlagEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one flag."""

    success: Literal[True]
    data: FlagOut
    meta: ItemMeta


class FlagListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of flags."""

    success: Literal[True]
    data: list[FlagOut]
    meta: ListMeta


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of a review: ``confirm`` or ``dismiss``, and an optional note."""

    decision: Literal["confirm", "dismiss"]
    note: Annotated[str, msgspec.Meta(max_length=MAX_NOTE)] | None = None


class SourceHealthOut(msgspec.Struct, kw_only=True):
    """How one source kind has fared over the last 30 days."""

    source: str
    runs: int
    succeeded: int
    failed: int
    fetched: int
    new: int
    updated: int
    rejected: int
    yield_per_run: float
    error_rate: float
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_failure_reason: str | None


class SourceHealthEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the health of every source."""

    success: Literal[True]
    data: list[SourceHealthOut]
    meta: ItemMeta


class QueueOut(msgspec.Struct, kw_only=True):
    """Jobs in one task queue, by state."""

    queue: str
    queued: int
    started: int
    scheduled: int
    failed: int


class PlatformMetricsOut(msgspec.Struct, kw_only=True):
    """The platform at a glance (``applications_by_status`` is null when none are recorded)."""

    at: datetime
    users: int
    active_users: int
    jobs_by_source: dict[str, int]
    applications_by_status: dict[str, int] | None
    sources: list[SourceHealthOut]
    queues: list[QueueOut]
    queue_error: str | None
    ingestion_failure_rate: float
    open_flags: int


class PlatformMetricsEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the platform metrics."""

    success: Literal[True]
    data: PlatformMetricsOut
    meta: ItemMeta


def _job_out(item: FlaggedJob) -> FlaggedJobOut:
    job = item.job
    return FlaggedJobOut(
        id=item.flag.job_id,
        title=job.title if job else None,
        company=job.company if job else None,
        source=job.source if job else None,
        apply_url=job.apply_url if job else None,
    )


def flag_to_wire(flag: JobFlag, job: FlaggedJobOut) -> FlagOut:
    """Return the wire form of a flag."""
    return FlagOut(
        id=flag.id,
        rule=flag.rule.value,
        status=flag.status.value,
        evidence=dict(flag.evidence),
        company_key=flag.company_key,
        raised_at=flag.raised_at,
        updated_at=flag.updated_at,
        reviewed_at=flag.reviewed_at,
        note=flag.note,
        job=job,
    )


def health_to_wire(health: SourceHealth) -> SourceHealthOut:
    """Return the wire form of a source's health."""
    return SourceHealthOut(
        source=health.source,
        runs=health.runs,
        succeeded=health.succeeded,
        failed=health.failed,
        fetched=health.fetched,
        new=health.new,
        updated=health.updated,
        rejected=health.rejected,
        yield_per_run=health.yield_per_run,
        error_rate=health.error_rate,
        last_success_at=health.last_success_at,
        last_failure_at=health.last_failure_at,
        last_failure_reason=health.last_failure_reason,
    )


def metrics_to_wire(metrics: PlatformMetrics) -> PlatformMetricsOut:
    """Return the wire form of the platform metrics."""
    counts = metrics.counts
    return PlatformMetricsOut(
        at=metrics.at,
        users=counts.users,
        active_users=counts.active_users,
        jobs_by_source=dict(counts.jobs_by_source),
        applications_by_status=(
            None if counts.applications_by_status is None else dict(counts.applications_by_status)
        ),
        sources=[health_to_wire(s) for s in metrics.sources],
        queues=[
            QueueOut(
                queue=q.queue,
                queued=q.queued,
                started=q.started,
                scheduled=q.scheduled,
                failed=q.failed,
            )
            for q in metrics.queues
        ],
        queue_error=metrics.queue_error,
        ingestion_failure_rate=metrics.ingestion_failure_rate,
        open_flags=metrics.open_flags,
    )


def _container(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state.container
    return container


def provide_list_flags(request: Request[Any, Any, Any]) -> ListFlags:
    """Resolve the ``ListFlags`` use case."""
    return _container(request).list_flags()


def provide_review_flag(request: Request[Any, Any, Any]) -> ReviewFlag:
    """Resolve the ``ReviewFlag`` use case."""
    return _container(request).review_flag()


def provide_source_health(request: Request[Any, Any, Any]) -> GetSourceHealth:
    """Resolve the ``GetSourceHealth`` use case."""
    return _container(request).get_source_health()


def provide_platform_metrics(request: Request[Any, Any, Any]) -> GetPlatformMetrics:
    """Resolve the ``GetPlatformMetrics`` use case."""
    return _container(request).get_platform_metrics()


DEPENDENCIES: Final = {
    "list_flags": Provide(provide_list_flags, sync_to_thread=False),
    "review_flag": Provide(provide_review_flag, sync_to_thread=False),
    "get_source_health": Provide(provide_source_health, sync_to_thread=False),
    "get_platform_metrics": Provide(provide_platform_metrics, sync_to_thread=False),
}


@get(
    "/moderation/flags",
    guards=[requires_admin],
    sync_to_thread=True,
    summary="List flagged jobs (the moderation queue)",
    description="Newest first. `status` is `open` by default (`any` for every status); `rule` "
    "and `job_id` narrow it. Each flag carries the evidence its rule saw.",
    responses=problem_responses(400, 401, 403, 503),
)
def moderation_flags_index(  # noqa: PLR0917 - one query parameter per filter
    principal: NamedDependency[Principal],
    list_flags: NamedDependency[ListFlags],
    status: Annotated[
        Literal["open", "confirmed", "dismissed", "any"], Parameter(description="Review status.")
    ] = "open",
    rule: Annotated[FlagRuleWire | None, Parameter(description="Only this rule.")] = None,
    job_id: Annotated[uuid.UUID | None, Parameter(description="Only this job's flags.")] = None,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> FlagListEnvelope:
    """One page of flags."""
    query = FlagQuery(
        status=None if status == "any" else FlagStatus(status),
        rule=None if rule is None else FlagRule(rule),
        job_id=job_id,
    )
    found = list_flags(principal, query, clamp_page(page, min(per_page, MAX_PER_PAGE)))
    return FlagListEnvelope(
        success=True,
        data=[flag_to_wire(item.flag, _job_out(item)) for item in found.items],
        meta=list_meta(found),
    )


@post(
    "/moderation/flags/{flag_id:str}/review",
    guards=[requires_admin],
    sync_to_thread=True,
    status_code=200,
    summary="Confirm or dismiss a flag",
    description="`confirm`: the flag is right (the job is hidden; a confirmed scam blocks its "
    "company, whose jobs are then flagged on sight). `dismiss`: the flag is wrong (the rule "
    "stops flagging that company). Recorded in the audit log. 409 when the flag was already "
    "reviewed the other way.",
    responses=problem_responses(401, 403, 404, 409, 413, 422, 503),
)
def moderation_flag_review(  # noqa: PLR0917 - Litestar injects each by name
    request: Request[Any, Any, Any],
    flag_id: Annotated[str, Parameter(description="The flag's id (a UUID).")],
    data: JSONBody[ReviewIn],
    principal: NamedDependency[Principal],
    review_flag: NamedDependency[ReviewFlag],
    list_flags: NamedDependency[ListFlags],
) -> FlagEnvelope:
    """Record the review and return the flag."""
    command = ReviewFlagCommand(
        flag_id=parse_id(flag_id, "flag"),
        choice=parse_choice(data.decision),
        note=data.note,
        ip=client_ip(request),
    )
    flag = review_flag(principal, command)
    found = list_flags(principal, FlagQuery(status=None, job_id=flag.job_id), clamp_page(1, 100))
    item = next((i for i in found.items if i.flag.id == flag.id), FlaggedJob(flag, None))
    return FlagEnvelope(success=True, data=flag_to_wire(flag, _job_out(item)), meta=ItemMeta())


@get(
    "/sources",
    guards=[requires_admin],
    sync_to_thread=True,
    summary="Ingestion health per source",
    description="Per source kind over the last 30 days: runs, successes, failures, records "
    "fetched/new/updated/rejected, yield per successful run, error rate, and the last success "
    "and last failure with its reason.",
    responses=problem_responses(401, 403, 503),
)
def admin_sources_health(
    principal: NamedDependency[Principal],
    get_source_health: NamedDependency[GetSourceHealth],
) -> SourceHealthEnvelope:
    """The health of every source that ran lately."""
    found = get_source_health(principal)
    return SourceHealthEnvelope(
        success=True, data=[health_to_wire(h) for h in found], meta=ItemMeta()
    )


@get(
    "/metrics",
    guards=[requires_admin],
    sync_to_thread=True,
    summary="Platform metrics",
    description="Users and active users (signed in within 30 days), jobs by source, ingestion "
    "health per source and failure rate, applications by status (null when none are recorded), "
    "task queue depth, and open moderation flags.",
    responses=problem_responses(401, 403, 503),
)
def admin_platform_metrics(
    principal: NamedDependency[Principal],
    get_platform_metrics: NamedDependency[GetPlatformMetrics],
) -> PlatformMetricsEnvelope:
    """The platform's numbers now."""
    return PlatformMetricsEnvelope(
        success=True, data=metrics_to_wire(get_platform_metrics(principal)), meta=ItemMeta()
    )


def moderation_router() -> Router:
    """Group the routes under ``/api/v1/admin``."""
    return Router(
        path="/admin",
        route_handlers=[
            moderation_flags_index,
            moderation_flag_review,
            admin_sources_health,
            admin_platform_metrics,
        ],
        dependencies=DEPENDENCIES,
        tags=["admin"],
    )
