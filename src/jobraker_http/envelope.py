"""The response envelope every API answer comes in.

Success: ``{"success": true, "data": ..., "meta": {...}}``; lists add
``meta.pagination = {page, per_page, total, total_pages}``.

Errors: RFC 9457 problem details (``application/problem+json``) with ``type``, ``title``,
``status``, ``detail`` and ``instance`` (the request path), plus ``"success": false``, the
``request_id``, and, when inputs were refused, ``errors: [{"field", "message"}]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import msgspec
from litestar import Request, Response

from jobraker_http.middleware import request_id_of

if TYPE_CHECKING:
    from jobraker_core.pagination import Page

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "https://jobraker.dev/problems/"

T = TypeVar("T")


class Pagination(msgspec.Struct, kw_only=True):
    """Where a page sits in the whole result set."""

    page: int
    per_page: int
    total: int
    total_pages: int


class ItemMeta(msgspec.Struct, kw_only=True):
    """Metadata of a single-object response (none yet)."""


class ListMeta(msgspec.Struct, kw_only=True):
    """Metadata of a list response."""

    pagination: Pagination


def list_meta(page: Page[T]) -> ListMeta:
    """Describe where ``page`` sits in its result set."""
    return ListMeta(
        pagination=Pagination(
            page=page.request.page,
            per_page=page.request.per_page,
            total=page.total,
            total_pages=page.total_pages,
        )
    )


class FieldError(msgspec.Struct, kw_only=True):
    """One input that was refused, and why."""

    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem document, as every error response carries it."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    success: Literal[False]
    request_id: str | None
    errors: list[FieldError] | None = None


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    """Answer ``request`` with a problem document; ``slug`` names the problem type."""
    body = Problem(
        type=PROBLEM_TYPE_BASE + slug,
        title=title,
        status=int(status),
        detail=detail,
        instance=request.scope["path"],
        success=False,
        request_id=request_id_of(request.scope),
        errors=errors,
    )
    return Response(body, status_code=int(status), media_type=PROBLEM_MEDIA_TYPE, headers=headers)
