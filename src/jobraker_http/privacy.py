"""The caller's own data: ``GET /api/v1/users/me/export/`` and ``DELETE /api/v1/users/me/``.

The export is everything stored about the caller (GDPR art. 15 and 20), as one JSON document:
``{"format", "user_id", "exported_at", "sections": {"account": [...], "profile": [...], ...}}``
inside the usual envelope, served as an attachment and never cached. Secrets and their digests
are not in it.

Deleting the account (GDPR art. 17) needs the password, or a two-factor code (or recovery code)
when 2FA is on; an account with neither, made through an identity provider, needs a token from a
sign-in within the last five minutes. It erases everything that belongs to the account, revokes
its tokens, and answers 204.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from litestar import Request, Response, Router, delete, get
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody  # noqa: TC002 - Litestar reads it at runtime

from jobraker_adapters.container import Container
from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.model import AccessClaims
from jobraker_core.accounts.privacy import (
    EXPORT_FORMAT,
    EraseAccount,
    EraseAccountCommand,
    ExportPersonalData,
)
from jobraker_http.accounts import MAX_PASSWORD_FIELD
from jobraker_http.auth import client_ip
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import requires_user
from jobraker_http.signin import NO_STORE
from jobraker_http.twofactor import MAX_CODE_FIELD, proof_of

EXPORT_FILENAME: Final = "jobraker-personal-data.json"


class PersonalDataOut(msgspec.Struct, kw_only=True):
    """Everything stored about the caller, section by section (each a list of records)."""

    format: Literal["jobraker-personal-data/1"]
    user_id: uuid.UUID
    exported_at: datetime
    sections: dict[str, list[dict[str, Any]]]


class PersonalDataEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the export."""

    success: Literal[True]
    data: PersonalDataOut
    meta: ItemMeta


class EraseIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``DELETE /api/v1/users/me/``: the password, or a code or a recovery code."""

    password: Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_FIELD)] | None = None
    code: Annotated[str, msgspec.Meta(max_length=MAX_CODE_FIELD)] | None = None
    recovery_code: Annotated[str, msgspec.Meta(max_length=MAX_CODE_FIELD)] | None = None


def _container(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state.container
    return container


def provide_export(request: Request[Any, Any, Any]) -> ExportPersonalData:
    """Resolve ``ExportPersonalData``."""
    return _container(request).export_personal_data()


def provide_erase(request: Request[Any, Any, Any]) -> EraseAccount:
    """Resolve ``EraseAccount``."""
    return _container(request).erase_account()


DEPENDENCIES: Final = {
    "export_data": Provide(provide_export, sync_to_thread=False),
    "erase_account": Provide(provide_erase, sync_to_thread=False),
}


@get(
    "/export",
    guards=[requires_user],
    sync_to_thread=True,
    summary="Export my data",
    description="Everything stored about the caller as one JSON document (account, profile, "
    "résumés and the candidate profile, feedback, saved searches, sessions, two-factor status, "
    "linked identities, security events about the account). Secrets, password and token "
    "digests are left out. The export itself is recorded in the audit log.",
    responses=problem_responses(401, 503),
)
def export_my_data(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    export_data: NamedDependency[ExportPersonalData],
) -> Response[PersonalDataEnvelope]:
    """Answer the caller's data as an attachment."""
    data = export_data(principal, client_ip(request))
    body = PersonalDataOut(
        format=EXPORT_FORMAT,
        user_id=data.user_id,
        exported_at=data.exported_at,
        sections={s.name: [dict(record) for record in s.records] for s in data.sections},
    )
    return Response(
        PersonalDataEnvelope(success=True, data=body, meta=ItemMeta()),
        status_code=200,
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{EXPORT_FILENAME}"'},
    )


@delete(
    "/",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=204,
    summary="Delete my account",
    description="Erases the account and everything that belongs to it (profile, résumés, "
    "feedback, saved searches, sessions, two-factor data, linked identities, cached data) and "
    "revokes all of its tokens. Needs `password`, or a two-factor `code` or `recovery_code` "
    "when 2FA is on (an account without a password or 2FA: a sign-in within five minutes). "
    "A missing or wrong proof is 422. The audit log keeps a record without personal data.",
    responses=problem_responses(401, 413, 422, 429, 503),
)
def erase_my_account(
    request: Request[Any, Any, Any],
    data: JSONBody[EraseIn],
    access_claims: NamedDependency[AccessClaims],
    erase_account: NamedDependency[EraseAccount],
) -> None:
    """Erase the caller's account."""
    proof = None
    if data.code is not None or data.recovery_code is not None:
        proof = proof_of(data.code, data.recovery_code)
    erase_account(
        access_claims,
        EraseAccountCommand(password=data.password, proof=proof, ip=client_ip(request)),
    )


def privacy_router() -> Router:
    """Group the routes under ``/api/v1/users/me``."""
    return Router(
        path="/users/me",
        route_handlers=[export_my_data, erase_my_account],
        dependencies=DEPENDENCIES,
        tags=["privacy"],
    )


__all__ = ["privacy_router"]
