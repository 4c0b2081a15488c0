"""The one place that turns exceptions into HTTP responses (RFC 9457 problem details).

==============================================  ======  ==============================
exception                                       status  notes
==============================================  ======  ==============================
``InvalidInput``                                400     query/path input; 422 for a body
Litestar ``ValidationException``                400     query; 422 when the body is bad
malformed JSON body                             400
JSON nested too deeply to decode                400     msgspec's ``RecursionError``
``NotFound``, no such route, no such asset      404
method not allowed                              405     ``Allow`` header
``Conflict``                                    409
``Unauthenticated``                             401     ``WWW-Authenticate: Bearer``
``Forbidden``                                   403
``TooManyRequests``                             429     ``Retry-After`` from the error
request body too large                          413
``ConfigurationError``                          422     e.g. a source not configured here
``UpstreamRejected``                            502
``RateLimited``                                 503     ``Retry-After`` from the error
``UpstreamUnavailable``                         503     ``Retry-After: 1``
anything else                                   500     logged with traceback, never shown
==============================================  ======  ==============================

Details of upstream errors are logged, not returned: their messages can name hosts or users.
"""

from __future__ import annotations

import math
import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

import structlog
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)

from jobraker_core.errors import (
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidInput,
    JobrakerError,
    NotFound,
    RateLimited,
    TooManyRequests,
    Unauthenticated,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_http.envelope import FieldError, Problem, problem_response

if TYPE_CHECKING:
    from litestar.types import ExceptionHandlersMap

AnyRequest = Request[Any, Any, Any]

_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_QUOTED_FIELD: Final = re.compile(r"field `([^`]+)`")
_INDEX: Final = re.compile(r"\[[^\]]*\]")
_FRIENDLY: Final = (
    (re.compile(r"^Expected `int(?: \| null)?`, got `\w+`$"), "must be a whole number"),
    (re.compile(r"^Invalid decimal string$"), "must be a number"),
    (re.compile(r"^Expected `int` >= (\d+)$"), "must be a whole number of at least {0}"),
    (re.compile(r"^Expected `int` <= (\d+)$"), "must be a whole number of at most {0}"),
    (re.compile(r"^Expected `str` of length <= (\d+)$"), "must be at most {0} characters"),
    (re.compile(r"^Invalid enum value (.+)$"), "{0} is not one of the allowed values"),
)

_log = structlog.get_logger("jobraker.http.errors")


def _input_status(request: AnyRequest, *, from_body: bool | None = None) -> int:
    if from_body is None:  # a DELETE with a body (DELETE /api/v1/users/me/) counts as one too
        has_body = request.headers.get("content-length", "0") != "0"
        from_body = request.method in _BODY_METHODS or (request.method == "DELETE" and has_body)
    body = from_body
    return HTTPStatus.UNPROCESSABLE_ENTITY if body else HTTPStatus.BAD_REQUEST


def _friendly(message: str) -> str:
    for pattern, text in _FRIENDLY:
        match = pattern.match(message)
        if match:
            return text.format(*match.groups())
    return message


def _field_errors(exc: ValidationException) -> tuple[list[FieldError], bool]:
    """List the refused fields of a validation error, and say whether any was in the body."""
    errors: list[FieldError] = []
    from_body = False
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "is invalid"))
        key = str(item.get("key") or "")
        source = str(item.get("source") or "")
        from_body = from_body or source == "body"
        quoted = _QUOTED_FIELD.search(message)
        if key in {"", "data"} and quoted:
            key = quoted.group(1)
        elif quoted and message.startswith("Object contains unknown field"):
            key = f"{key}.{quoted.group(1)}"  # an unknown field inside a nested object
        # "preferences.locations[0].country" -> "preferences.locations.country"
        key = _INDEX.sub("", key).removeprefix("data.")
        field = key or ("body" if source == "body" else "")
        errors.append(FieldError(field=field or "request", message=_friendly(message)))
    return errors, from_body


def _describe(errors: list[FieldError]) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in errors) or "the request is invalid"


# ----------------------------------------------------------------------------- handlers


def _invalid_input(request: AnyRequest, exc: InvalidInput) -> Response[Problem]:
    field = exc.field or "request"
    detail = exc.message if field in exc.message else f"{field}: {exc.message}"
    return problem_response(
        request,
        status=_input_status(request),
        slug="invalid-input",
        title="Invalid input",
        detail=detail,
        errors=[FieldError(field=field, message=exc.message)],
    )


def _access_error(
    request: AnyRequest, exc: Unauthenticated | Forbidden | TooManyRequests
) -> Response[Problem]:
    """Answer 401 (with RFC 6750's ``WWW-Authenticate``), 403, or 429 with ``Retry-After``."""
    if isinstance(exc, Unauthenticated):
        return problem_response(
            request,
            status=401,
            slug="unauthenticated",
            title="Unauthenticated",
            detail=exc.message,
            headers={"WWW-Authenticate": 'Bearer realm="jobraker"'},
        )
    if isinstance(exc, Forbidden):
        return problem_response(
            request, status=403, slug="forbidden", title="Forbidden", detail=exc.message
        )
    wait = max(1, math.ceil(exc.retry_after))
    return problem_response(
        request,
        status=429,
        slug="too-many-requests",
        title="Too many requests",
        detail=f"{exc.message}; retry in {wait} s",
        headers={"Retry-After": str(wait)},
    )


def _domain_error(request: AnyRequest, exc: JobrakerError) -> Response[Problem]:  # noqa: PLR0911 - one answer per class
    """Map the core's error tree; the most specific class decides."""
    if isinstance(exc, InvalidInput):
        return _invalid_input(request, exc)
    if isinstance(exc, NotFound):
        return problem_response(
            request, status=404, slug="not-found", title="Not found", detail=exc.message
        )
    if isinstance(exc, Conflict):
        return problem_response(
            request, status=409, slug="conflict", title="Conflict", detail=exc.message
        )
    if isinstance(exc, Unauthenticated | Forbidden | TooManyRequests):
        return _access_error(request, exc)
    if isinstance(exc, ConfigurationError):
        return problem_response(
            request,
            status=422,
            slug="not-configured",
            title="Not configured on this server",
            detail=exc.message,
        )
    if isinstance(exc, RateLimited):
        _log.warning(
            "upstream rate limited",
            service=exc.service,
            error=exc.message,
            retry_after=exc.retry_after,
        )
        wait = max(1, math.ceil(exc.retry_after))
        return problem_response(
            request,
            status=503,
            slug="rate-limited",
            title="Rate limited",
            detail=f"{exc.service} asks us to wait; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, UpstreamUnavailable):
        _log.warning("upstream unavailable", service=exc.service, error=exc.message)
        return problem_response(
            request,
            status=503,
            slug="service-unavailable",
            title="Service unavailable",
            detail=f"{exc.service} is unavailable just now; retry shortly",
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, UpstreamRejected):
        _log.warning("upstream rejected the request", service=exc.service, error=exc.message)
        return problem_response(
            request,
            status=502,
            slug="upstream-rejected",
            title="Upstream rejected the request",
            detail=f"{exc.service} refused the request",
        )
    return _unexpected(request, exc)


def _http_error(request: AnyRequest, exc: HTTPException) -> Response[Problem]:  # noqa: PLR0911 - one answer per class
    """Map Litestar's own exceptions (routing, validation, limits)."""
    if isinstance(exc, ValidationException):
        errors, from_body = _field_errors(exc)
        return problem_response(
            request,
            status=_input_status(request, from_body=from_body),
            slug="invalid-input",
            title="Invalid input",
            detail=_describe(errors),
            errors=errors,
        )
    if isinstance(exc, NotFoundException):
        return problem_response(
            request,
            status=404,
            slug="not-found",
            title="Not found",
            detail=f"there is nothing at {request.scope['path']}",
        )
    if isinstance(exc, MethodNotAllowedException):
        allow = (exc.headers or {}).get("allow", "")
        return problem_response(
            request,
            status=405,
            slug="method-not-allowed",
            title="Method not allowed",
            detail=f"{request.method} is not allowed here; allowed: {allow}",
            headers={"Allow": allow} if allow else None,
        )
    status = exc.status_code
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return problem_response(
            request,
            status=413,
            slug="request-too-large",
            title="Request too large",
            detail="the request body is larger than this API accepts",
        )
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return _unexpected(request, exc)
    if isinstance(exc, ClientException) and status == HTTPStatus.BAD_REQUEST:
        return problem_response(
            request,
            status=400,
            slug="malformed-request",
            title="Malformed request",
            detail=exc.detail,
            errors=[FieldError(field="body", message=exc.detail)],
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    slug = phrase.lower().replace(" ", "-").replace("'", "")
    kept = {"allow", "retry-after"}
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in kept}
    return problem_response(
        request, status=status, slug=slug, title=phrase, detail=exc.detail, headers=headers or None
    )


def _unexpected(request: AnyRequest, exc: Exception) -> Response[Problem]:
    _log.error("unhandled error", method=request.method, path=request.scope["path"], exc_info=exc)
    return problem_response(
        request,
        status=500,
        slug="internal-error",
        title="Internal server error",
        detail="something went wrong on our side; the request id identifies it in our logs",
    )


def _recursion(request: AnyRequest, exc: RecursionError) -> Response[Problem]:
    """A JSON body nested too deeply for the decoder is the client's fault; any other is ours."""
    if "deserializ" not in str(exc):  # msgspec: "... exceeded while deserializing an object"
        return _unexpected(request, exc)
    detail = "the JSON body is nested too deeply"
    return problem_response(
        request,
        status=400,
        slug="malformed-request",
        title="Malformed request",
        detail=detail,
        errors=[FieldError(field="body", message=detail)],
    )


EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = {
    JobrakerError: _domain_error,
    HTTPException: _http_error,
    RecursionError: _recursion,
    Exception: _unexpected,
}
