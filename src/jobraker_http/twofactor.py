"""Two-factor sign-in routes under ``/api/v1/auth/``.

``2fa/`` (status), ``2fa/enrol/``, ``2fa/confirm/``, ``2fa/disable/``, ``2fa/recovery-codes/``,
and ``login/2fa/`` (the second step of a login).

The seed is answered once, by ``enrol``; recovery codes once, by ``confirm`` (and by
``recovery-codes``, which replaces them). Nothing answers either again. Wrong codes are 422 on the
account's own routes and 401 at login; five of them within 15 minutes lock the account's code
checks (429 with ``Retry-After``) for 15 minutes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody  # noqa: TC002 - Litestar reads it at runtime

from jobraker_adapters.container import Container
from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.twofactor import (
    CompleteLogin,
    CompleteTwoFactorLogin,
    ConfirmTotpEnrolment,
    DisableTotp,
    DisableTwoFactor,
    GetTwoFactorStatus,
    RecoveryCodes,
    RegenerateRecoveryCodes,
    SecondFactorProof,
    StartTotpEnrolment,
)
from jobraker_http.accounts import MAX_PASSWORD_FIELD, TokensEnvelope, tokens_response
from jobraker_http.auth import client_ip
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import public, requires_user
from jobraker_http.signin import NO_STORE

MAX_CODE_FIELD: Final = 32
MAX_CHALLENGE_FIELD: Final = 128

CodeField = Annotated[str, msgspec.Meta(max_length=MAX_CODE_FIELD, examples=["123456"])]
RecoveryField = Annotated[
    str, msgspec.Meta(max_length=MAX_CODE_FIELD, examples=["k3m9-p2qa-7xzt-b4nc"])
]

# ----------------------------------------------------------------------------- wire schemas


class ConfirmIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/auth/2fa/confirm/`` and ``/2fa/recovery-codes/``."""

    code: CodeField


class DisableIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/auth/2fa/disable/``: the password and a code or a recovery code."""

    password: Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_FIELD)] | None = None
    code: CodeField | None = None
    recovery_code: RecoveryField | None = None


class SecondStepIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/auth/login/2fa/``: the challenge and a code or a recovery code."""

    challenge: Annotated[str, msgspec.Meta(max_length=MAX_CHALLENGE_FIELD)]
    code: CodeField | None = None
    recovery_code: RecoveryField | None = None


class StatusOut(msgspec.Struct, kw_only=True):
    """Whether two-factor sign-in is on (``pending``: enrolled, not confirmed yet)."""

    enabled: bool
    pending: bool
    confirmed_at: datetime | None
    recovery_codes_left: int


class EnrolmentOut(msgspec.Struct, kw_only=True):
    """The new seed, shown once: add it to an authenticator app, then confirm with a code."""

    secret: Annotated[str, msgspec.Meta(description="base32 seed, for typing in by hand")]
    otpauth_uri: Annotated[str, msgspec.Meta(description="otpauth://totp/... for a QR code")]
    digits: Literal[6]
    period: Literal[30]
    algorithm: Literal["SHA1"]


class RecoveryCodesOut(msgspec.Struct, kw_only=True):
    """Single-use recovery codes, shown once: each replaces a code when the phone is lost."""

    recovery_codes: list[str]


class StatusEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the 2FA status."""

    success: Literal[True]
    data: StatusOut
    meta: ItemMeta


class EnrolmentEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around a new seed."""

    success: Literal[True]
    data: EnrolmentOut
    meta: ItemMeta


class RecoveryCodesEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around recovery codes."""

    success: Literal[True]
    data: RecoveryCodesOut
    meta: ItemMeta


def proof_of(code: str | None, recovery_code: str | None) -> SecondFactorProof:
    """The core's proof from the body's ``code`` / ``recovery_code`` (exactly one)."""
    return SecondFactorProof(code=code, recovery_code=recovery_code)


def _codes_response(codes: RecoveryCodes, status: int = 200) -> Response[RecoveryCodesEnvelope]:
    return Response(
        RecoveryCodesEnvelope(
            success=True, data=RecoveryCodesOut(recovery_codes=list(codes.codes)), meta=ItemMeta()
        ),
        status_code=status,
        headers=NO_STORE,
    )


# ----------------------------------------------------------------------------- providers


def _container(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state.container
    return container


def provide_status(request: Request[Any, Any, Any]) -> GetTwoFactorStatus:
    """Resolve ``GetTwoFactorStatus``."""
    return _container(request).get_two_factor_status()


def provide_enrol(request: Request[Any, Any, Any]) -> StartTotpEnrolment:
    """Resolve ``StartTotpEnrolment``."""
    return _container(request).start_totp_enrolment()


def provide_confirm(request: Request[Any, Any, Any]) -> ConfirmTotpEnrolment:
    """Resolve ``ConfirmTotpEnrolment``."""
    return _container(request).confirm_totp_enrolment()


def provide_disable(request: Request[Any, Any, Any]) -> DisableTotp:
    """Resolve ``DisableTotp``."""
    return _container(request).disable_totp()


def provide_regenerate(request: Request[Any, Any, Any]) -> RegenerateRecoveryCodes:
    """Resolve ``RegenerateRecoveryCodes``."""
    return _container(request).regenerate_recovery_codes()


def provide_complete(request: Request[Any, Any, Any]) -> CompleteTwoFactorLogin:
    """Resolve ``CompleteTwoFactorLogin``."""
    return _container(request).complete_two_factor_login()


DEPENDENCIES: Final = {
    "two_factor_status": Provide(provide_status, sync_to_thread=False),
    "start_enrolment": Provide(provide_enrol, sync_to_thread=False),
    "confirm_enrolment": Provide(provide_confirm, sync_to_thread=False),
    "disable_two_factor": Provide(provide_disable, sync_to_thread=False),
    "regenerate_codes": Provide(provide_regenerate, sync_to_thread=False),
    "complete_login": Provide(provide_complete, sync_to_thread=False),
}

# ----------------------------------------------------------------------------- routes


@get(
    "/2fa",
    guards=[requires_user],
    sync_to_thread=True,
    summary="Two-factor sign-in status",
    description="Whether 2FA is on, pending confirmation, and how many recovery codes are left. "
    "Never the seed.",
    responses=problem_responses(401, 503),
)
def two_factor_status(
    principal: NamedDependency[Principal],
    two_factor_status: NamedDependency[GetTwoFactorStatus],
) -> StatusEnvelope:
    """Tell the caller its 2FA status."""
    status = two_factor_status(principal)
    return StatusEnvelope(
        success=True,
        data=StatusOut(
            enabled=status.enabled,
            pending=status.pending,
            confirmed_at=status.confirmed_at,
            recovery_codes_left=status.recovery_codes_left,
        ),
        meta=ItemMeta(),
    )


@post(
    "/2fa/enrol",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=201,
    summary="Start two-factor sign-in",
    description="Makes a new TOTP seed (stored encrypted) and answers it with its otpauth:// URI, "
    "once. It is pending until confirmed: logins do not ask for a code yet. Starting again "
    "replaces a pending seed; 409 when 2FA is on already.",
    responses=problem_responses(401, 409, 503),
)
def enrol_two_factor(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    start_enrolment: NamedDependency[StartTotpEnrolment],
) -> Response[EnrolmentEnvelope]:
    """Make and answer a new seed."""
    setup = start_enrolment(principal, client_ip(request))
    body = EnrolmentOut(
        secret=setup.secret,
        otpauth_uri=setup.otpauth_uri,
        digits=6,
        period=30,
        algorithm="SHA1",
    )
    return Response(
        EnrolmentEnvelope(success=True, data=body, meta=ItemMeta()),
        status_code=201,
        headers=NO_STORE,
    )


@post(
    "/2fa/confirm",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=200,
    summary="Switch two-factor sign-in on",
    description="A valid code of the pending seed switches 2FA on and answers 10 single-use "
    "recovery codes, once. A wrong code is 422; 404 without a pending enrolment.",
    responses=problem_responses(401, 404, 409, 413, 422, 429, 503),
)
def confirm_two_factor(
    request: Request[Any, Any, Any],
    data: JSONBody[ConfirmIn],
    principal: NamedDependency[Principal],
    confirm_enrolment: NamedDependency[ConfirmTotpEnrolment],
) -> Response[RecoveryCodesEnvelope]:
    """Confirm the enrolment with a code."""
    return _codes_response(confirm_enrolment(principal, data.code, client_ip(request)))


@post(
    "/2fa/disable",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=204,
    summary="Switch two-factor sign-in off",
    description="Needs the password and a code (or a recovery code). Removes the seed and the "
    "recovery codes. A wrong password or code is 422; 404 when 2FA is off.",
    responses=problem_responses(401, 404, 413, 422, 429, 503),
)
def disable_two_factor_route(
    request: Request[Any, Any, Any],
    data: JSONBody[DisableIn],
    principal: NamedDependency[Principal],
    disable_two_factor: NamedDependency[DisableTotp],
) -> None:
    """Switch 2FA off."""
    disable_two_factor(
        principal,
        DisableTwoFactor(
            password=data.password,
            proof=proof_of(data.code, data.recovery_code),
            ip=client_ip(request),
        ),
    )


@post(
    "/2fa/recovery-codes",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=200,
    summary="Replace the recovery codes",
    description="Needs a code. Answers 10 new recovery codes, once; the old ones stop working.",
    responses=problem_responses(401, 404, 413, 422, 429, 503),
)
def regenerate_recovery_codes(
    request: Request[Any, Any, Any],
    data: JSONBody[ConfirmIn],
    principal: NamedDependency[Principal],
    regenerate_codes: NamedDependency[RegenerateRecoveryCodes],
) -> Response[RecoveryCodesEnvelope]:
    """Replace the caller's recovery codes."""
    return _codes_response(regenerate_codes(principal, data.code, client_ip(request)))


@post(
    "/login/2fa",
    guards=[public],
    sync_to_thread=True,
    status_code=200,
    summary="Log in: the second step",
    description="The challenge a login answered for an account with 2FA on, and a code from the "
    "authenticator app (the current or the previous 30-second one) or a recovery code. A code "
    "works once. A wrong code is 401; after 5 wrong codes the challenge dies, and the account's "
    "code checks are locked for 15 minutes (429).",
    responses=problem_responses(400, 401, 403, 413, 422, 429, 503),
)
def complete_login_route(
    request: Request[Any, Any, Any],
    data: JSONBody[SecondStepIn],
    complete_login: NamedDependency[CompleteTwoFactorLogin],
    now: NamedDependency[datetime],
) -> Response[TokensEnvelope]:
    """Exchange the challenge and a code for tokens."""
    result = complete_login(
        CompleteLogin(
            challenge=data.challenge,
            proof=proof_of(data.code, data.recovery_code),
            ip=client_ip(request),
        )
    )
    return tokens_response(result.tokens, now)


def two_factor_router() -> Router:
    """Group the 2FA routes under ``/api/v1/auth``."""
    return Router(
        path="/auth",
        route_handlers=[
            two_factor_status,
            enrol_two_factor,
            confirm_two_factor,
            disable_two_factor_route,
            regenerate_recovery_codes,
            complete_login_route,
        ],
        dependencies=DEPENDENCIES,
        tags=["auth"],
    )


__all__ = ["proof_of", "two_factor_router"]
