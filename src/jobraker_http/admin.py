"""``/api/v1/admin/``: users (list, search, read, disable/enable, change role) and the audit log.

Every route requires an admin (``requires_admin``: 401 without a valid token, 403 for a user),
and the use cases check it again. ``PATCH`` takes ``status`` and ``role`` only: any other field
(an id, an email, a timestamp) is refused with 422.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from litestar import Request, Router, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from jobraker_adapters.container import Container
from jobraker_core.accounts.admin import GetUser, ListUsers, UpdateUser, UserChange
from jobraker_core.accounts.audit import ListAuditEvents
from jobraker_core.accounts.identity import Principal, Role
from jobraker_core.accounts.model import AuditEvent, AuditKind, AuditQuery, UserQuery, UserStatus
from jobraker_core.errors import InvalidInput
from jobraker_core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE
from jobraker_http.accounts import RoleWire, UserEnvelope, UserOut, UserStatusWire, user_to_wire
from jobraker_http.auth import client_ip
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, ListMeta, list_meta
from jobraker_http.guards import requires_admin
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id

MAX_SEARCH_LENGTH: Final = 254
AuditKindWire = Literal[
    "registered",
    "login_succeeded",
    "login_failed",
    "login_throttled",
    "logged_out",
    "logged_out_everywhere",
    "password_changed",
    "password_rehashed",
    "token_reuse_detected",
    "user_created_by_admin",
    "user_disabled",
    "user_enabled",
    "role_changed",
    "two_factor_enrolment_started",
    "two_factor_enabled",
    "two_factor_disabled",
    "two_factor_challenged",
    "two_factor_failed",
    "recovery_code_used",
    "recovery_codes_regenerated",
    "oidc_linked",
    "data_exported",
    "account_erased",
    "secrets_rotated",
    "webhook_signature_rejected",
    "job_flag_confirmed",
    "job_flag_dismissed",
]


class UserPatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``PATCH /api/v1/admin/users/{id}/``: what to change (absent or null keeps it)."""

    status: UserStatusWire | None = None
    role: RoleWire | None = None


class UserListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of accounts."""

    success: Literal[True]
    data: list[UserOut]
    meta: ListMeta


class AuditEventOut(msgspec.Struct, kw_only=True):
    """One audit record. People appear by id only; ``ip`` is a keyed pseudonym of the address."""

    id: uuid.UUID
    occurred_at: datetime
    kind: AuditKindWire
    actor_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    ip: str | None
    details: dict[str, str]


class AuditListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of audit records."""

    success: Literal[True]
    data: list[AuditEventOut]
    meta: ListMeta


def audit_to_wire(event: AuditEvent) -> AuditEventOut:
    """Return the wire form of an audit record."""
    return AuditEventOut(
        id=event.id,
        occurred_at=event.occurred_at,
        kind=event.kind.value,
        actor_id=event.actor_id,
        subject_id=event.subject_id,
        ip=event.ip,
        details=dict(event.details),
    )


def _container(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state.container
    return container


def provide_list_users(request: Request[Any, Any, Any]) -> ListUsers:
    """Resolve the ``ListUsers`` use case."""
    return _container(request).list_users()


def provide_get_user(request: Request[Any, Any, Any]) -> GetUser:
    """Resolve the ``GetUser`` use case."""
    return _container(request).get_user()


def provide_update_user(request: Request[Any, Any, Any]) -> UpdateUser:
    """Resolve the ``UpdateUser`` use case."""
    return _container(request).update_user()


def provide_list_audit_events(request: Request[Any, Any, Any]) -> ListAuditEvents:
    """Resolve the ``ListAuditEvents`` use case."""
    return _container(request).list_audit_events()


DEPENDENCIES: Final = {
    "list_users": Provide(provide_list_users, sync_to_thread=False),
    "get_user": Provide(provide_get_user, sync_to_thread=False),
    "update_user": Provide(provide_update_user, sync_to_thread=False),
    "list_audit_events": Provide(provide_list_audit_events, sync_to_thread=False),
}

PageParam = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="1-based page number.")]
PerPageParam = Annotated[
    int, Parameter(ge=1, description=f"Items per page; values above {MAX_PER_PAGE} are capped.")
]


@get(
    "/users",
    guards=[requires_admin],
    sync_to_thread=True,
    summary="List users",
    description="Oldest first; `q` keeps the users whose email contains it (case-insensitive).",
    responses=problem_responses(400, 401, 403, 503),
)
def admin_users_index(
    principal: NamedDependency[Principal],
    list_users: NamedDependency[ListUsers],
    q: Annotated[
        str | None,
        Parameter(description="Part of the email address.", max_length=MAX_SEARCH_LENGTH),
    ] = None,
    page: PageParam = 1,
    per_page: PerPageParam = DEFAULT_PER_PAGE,
) -> UserListEnvelope:
    """One page of users."""
    needle = (q or "").strip().lower() or None
    if needle and "\x00" in needle:
        raise InvalidInput("q must not contain NUL characters", field="q")
    found = list_users(principal, UserQuery(email_contains=needle), clamp_page(page, per_page))
    return UserListEnvelope(
        success=True, data=[user_to_wire(user) for user in found.items], meta=list_meta(found)
    )


@get(
    "/users/{user_id:str}",
    guards=[requires_admin],
    sync_to_thread=True,
    summary="Read one user",
    description="A malformed id answers 404, like an unknown one.",
    responses=problem_responses(401, 403, 404, 503),
)
def admin_user_detail(
    user_id: Annotated[str, Parameter(description="The user's id (a UUID).")],
    principal: NamedDependency[Principal],
    get_user: NamedDependency[GetUser],
) -> UserEnvelope:
    """The user with this id."""
    user = get_user(principal, parse_id(user_id, "user"))
    return UserEnvelope(success=True, data=user_to_wire(user), meta=ItemMeta())


@patch(
    "/users/{user_id:str}",
    guards=[requires_admin],
    sync_to_thread=True,
    summary="Change a user's status or role",
    description="`status`: `active` or `disabled` (disabling revokes every token of the user); "
    "`role`: `user` or `admin`. Any other field is refused (422). An admin cannot disable or "
    "demote itself (409).",
    responses=problem_responses(401, 403, 404, 409, 413, 422, 503),
)
def admin_user_update(
    request: Request[Any, Any, Any],
    user_id: Annotated[str, Parameter(description="The user's id (a UUID).")],
    data: JSONBody[UserPatchIn],
    principal: NamedDependency[Principal],
    update_user: NamedDependency[UpdateUser],
) -> UserEnvelope:
    """Apply the change in the body."""
    change = UserChange(
        user_id=parse_id(user_id, "user"),
        status=None if data.status is None else UserStatus(data.status),
        role=None if data.role is None else Role(data.role),
        ip=client_ip(request),
    )
    user = update_user(principal, change)
    return UserEnvelope(success=True, data=user_to_wire(user), meta=ItemMeta())


@get(
    "/audit",
    guards=[requires_admin],
    sync_to_thread=True,
    summary="Read the audit log",
    description="Security events, newest first; `user_id` keeps those by or about that user.",
    responses=problem_responses(400, 401, 403, 503),
)
def admin_audit_index(  # noqa: PLR0917 - one query parameter per documented filter
    principal: NamedDependency[Principal],
    list_audit_events: NamedDependency[ListAuditEvents],
    user_id: Annotated[
        uuid.UUID | None, Parameter(description="Only events by or about this user.")
    ] = None,
    kind: Annotated[AuditKindWire | None, Parameter(description="Only this kind.")] = None,
    page: PageParam = 1,
    per_page: PerPageParam = DEFAULT_PER_PAGE,
) -> AuditListEnvelope:
    """One page of audit records."""
    query = AuditQuery(user_id=user_id, kind=None if kind is None else AuditKind(kind))
    found = list_audit_events(principal, query, clamp_page(page, per_page))
    return AuditListEnvelope(
        success=True, data=[audit_to_wire(event) for event in found.items], meta=list_meta(found)
    )


def admin_router() -> Router:
    """Group the routes under ``/api/v1/admin``."""
    return Router(
        path="/admin",
        route_handlers=[admin_users_index, admin_user_detail, admin_user_update, admin_audit_index],
        dependencies=DEPENDENCIES,
        tags=["admin"],
    )
