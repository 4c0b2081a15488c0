"""``/api/v1/auth/`` (register, log in, refresh, log out) and ``/api/v1/users/me/password/``.

Token answers (login, refresh, password change) are
``{"access_token", "token_type": "bearer", "expires_in", "refresh_token", "refresh_expires_in"}``
inside the usual envelope, with ``Cache-Control: no-store`` (RFC 6749 §5.1). Bodies refuse
unknown fields (422), so a client cannot slip in a role, a status or an id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal, cast

import msgspec
from litestar import Request, Response, Router, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody  # noqa: TC002 - Litestar reads it at runtime

from jobraker_adapters.container import Container
from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.model import AccessClaims, TokenPair, User, lifetime_seconds
from jobraker_core.accounts.use_cases import (
    ChangePassword,
    ChangePasswordCommand,
    LogIn,
    Login,
    LoginResult,
    Logout,
    LogoutEverywhere,
    Refresh,
    RefreshTokens,
    Register,
    RegisterUser,
)
from jobraker_http.auth import client_ip
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import public, requires_user
from jobraker_http.signin import ChallengeEnvelope, challenge_response

MAX_EMAIL_FIELD: Final = 320
MAX_PASSWORD_FIELD: Final = 1024  # the policy's own limit (128) answers with a clear message
MAX_TOKEN_FIELD: Final = 512
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}

RoleWire = Literal["user", "admin"]
UserStatusWire = Literal["active", "disabled"]

# ----------------------------------------------------------------------------- wire schemas

EmailField = Annotated[str, msgspec.Meta(max_length=MAX_EMAIL_FIELD, examples=["ada@example.com"])]
PasswordField = Annotated[str, msgspec.Meta(max_length=MAX_PASSWORD_FIELD)]


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/auth/register/``."""

    email: EmailField
    password: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_PASSWORD_FIELD,
            description="8 to 128 characters, not one of the most common passwords, not the email",
        ),
    ]


class LoginIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/auth/login/``."""

    email: EmailField
    password: PasswordField


class RefreshIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/auth/refresh/``."""

    refresh_token: Annotated[str, msgspec.Meta(max_length=MAX_TOKEN_FIELD)]


class ChangePasswordIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /api/v1/users/me/password/``."""

    current_password: PasswordField
    new_password: PasswordField


class UserOut(msgspec.Struct, kw_only=True):
    """An account as the API shows it (never its password hash or token version)."""

    id: uuid.UUID
    email: str
    role: RoleWire
    status: UserStatusWire
    created_at: datetime
    last_login_at: datetime | None


class TokensOut(msgspec.Struct, kw_only=True):
    """A token pair: a bearer access token and the refresh token that renews it."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: Annotated[int, msgspec.Meta(description="seconds the access token stays valid")]
    refresh_token: str
    refresh_expires_in: Annotated[
        int, msgspec.Meta(description="seconds the refresh token stays valid")
    ]


class UserEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one account."""

    success: Literal[True]
    data: UserOut
    meta: ItemMeta


class TokensEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around a token pair."""

    success: Literal[True]
    data: TokensOut
    meta: ItemMeta


def user_to_wire(user: User) -> UserOut:
    """Return the wire form of an account."""
    return UserOut(
        id=user.id,
        email=user.email,
        role=user.role.value,
        status=user.status.value,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def tokens_response(tokens: TokenPair, now: datetime) -> Response[TokensEnvelope]:
    """Answer a token pair, uncacheable."""
    body = TokensOut(
        access_token=tokens.access_token,
        token_type="bearer",  # noqa: S106 - the OAuth 2.0 token type, not a secret
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        refresh_expires_in=lifetime_seconds(now, tokens.refresh_expires_at),
    )
    return Response(
        TokensEnvelope(success=True, data=body, meta=ItemMeta()),
        status_code=200,
        headers=NO_STORE,
    )


# ----------------------------------------------------------------------------- providers


def _container(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state.container
    return container


def provide_register(request: Request[Any, Any, Any]) -> Register:
    """Resolve the ``Register`` use case."""
    return _container(request).register()


def provide_login(request: Request[Any, Any, Any]) -> Login:
    """Resolve the ``Login`` use case."""
    return _container(request).login()


def provide_refresh(request: Request[Any, Any, Any]) -> Refresh:
    """Resolve the ``Refresh`` use case."""
    return _container(request).refresh()


def provide_logout(request: Request[Any, Any, Any]) -> Logout:
    """Resolve the ``Logout`` use case."""
    return _container(request).logout()


def provide_logout_everywhere(request: Request[Any, Any, Any]) -> LogoutEverywhere:
    """Resolve the ``LogoutEverywhere`` use case."""
    return _container(request).logout_everywhere()


def provide_change_password(request: Request[Any, Any, Any]) -> ChangePassword:
    """Resolve the ``ChangePassword`` use case."""
    return _container(request).change_password()


def _provide(fn: Any) -> Provide:
    return Provide(fn, sync_to_thread=False)


DEPENDENCIES: Final = {
    "register": _provide(provide_register),
    "login": _provide(provide_login),
    "refresh": _provide(provide_refresh),
    "logout": _provide(provide_logout),
    "logout_everywhere": _provide(provide_logout_everywhere),
    "change_password": _provide(provide_change_password),
}

# ----------------------------------------------------------------------------- routes


@post(
    "/register",
    guards=[public],
    sync_to_thread=True,
    status_code=201,
    summary="Create an account",
    description="Email (unique, case-insensitively) and password (8 to 128 characters, not one "
    "of the most common passwords, not the email). Unknown fields are refused (422). Answers "
    "the new account; log in to get tokens.",
    responses=problem_responses(400, 409, 413, 422, 429, 503),
)
def register_user(
    request: Request[Any, Any, Any],
    data: JSONBody[RegisterIn],
    register: NamedDependency[Register],
) -> Response[UserEnvelope]:
    """Create the account in the body."""
    user = register(RegisterUser(email=data.email, password=data.password, ip=client_ip(request)))
    return Response(
        UserEnvelope(success=True, data=user_to_wire(user), meta=ItemMeta()),
        status_code=201,
    )


@post(
    "/login",
    guards=[public],
    sync_to_thread=True,
    status_code=200,
    summary="Log in",
    description="Answers an access token (a bearer JWT for the `Authorization` header) and a "
    "refresh token; for an account with two-factor sign-in on, a challenge instead "
    "(`two_factor_required`), to send with a code to `POST /api/v1/auth/login/2fa/`. "
    "A wrong password and an unknown email get the same 401. After 5 failures "
    "for one account, or 20 from one address, within 15 minutes, logins are refused with 429 "
    "and `Retry-After` for 15 minutes. A disabled account gets 403 (only with the right "
    "password).",
    responses=problem_responses(400, 401, 403, 413, 422, 429, 503),
)
def login_user(
    request: Request[Any, Any, Any],
    data: JSONBody[LoginIn],
    login: NamedDependency[Login],
    now: NamedDependency[datetime],
) -> Response[TokensEnvelope | ChallengeEnvelope]:
    """Check the credentials and open a session (or answer the 2FA challenge)."""
    result = login(LogIn(email=data.email, password=data.password, ip=client_ip(request)))
    if not isinstance(result, LoginResult):
        return cast("Response[TokensEnvelope | ChallengeEnvelope]", challenge_response(result, now))
    return cast("Response[TokensEnvelope | ChallengeEnvelope]", tokens_response(result.tokens, now))


@post(
    "/refresh",
    guards=[public],
    sync_to_thread=True,
    status_code=200,
    summary="Renew the tokens",
    description="Consumes the refresh token and answers a new pair. A refresh token works "
    "once: presenting a used one again ends its whole session (every token of it) with 401.",
    responses=problem_responses(400, 401, 413, 422, 503),
)
def refresh_tokens(
    request: Request[Any, Any, Any],
    data: JSONBody[RefreshIn],
    refresh: NamedDependency[Refresh],
    now: NamedDependency[datetime],
) -> Response[TokensEnvelope]:
    """Rotate the refresh token."""
    pair = refresh(RefreshTokens(refresh_token=data.refresh_token, ip=client_ip(request)))
    return tokens_response(pair, now)


@post(
    "/logout",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=204,
    summary="Log out",
    description="Revokes the access token presented and its session's refresh tokens.",
    responses=problem_responses(401, 503),
)
def logout_user(
    request: Request[Any, Any, Any],
    access_claims: NamedDependency[AccessClaims],
    logout: NamedDependency[Logout],
) -> None:
    """End the caller's session."""
    logout(access_claims, client_ip(request))


@post(
    "/logout-all",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=204,
    summary="Log out everywhere",
    description="Revokes every access and refresh token of the caller, on every device.",
    responses=problem_responses(401, 503),
)
def logout_everywhere_user(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    logout_everywhere: NamedDependency[LogoutEverywhere],
) -> None:
    """End every session of the caller."""
    logout_everywhere(principal, client_ip(request))


@post(
    "/password",
    guards=[requires_user],
    sync_to_thread=True,
    status_code=200,
    summary="Change the password",
    description="Needs the current password (a wrong one is 422 and counts as a failed login). "
    "Every token issued before is revoked; the answer is a fresh token pair for this device.",
    responses=problem_responses(401, 413, 422, 429, 503),
)
def change_password_of_user(
    request: Request[Any, Any, Any],
    data: JSONBody[ChangePasswordIn],
    principal: NamedDependency[Principal],
    change_password: NamedDependency[ChangePassword],
    now: NamedDependency[datetime],
) -> Response[TokensEnvelope]:
    """Replace the caller's password."""
    pair = change_password(
        principal,
        ChangePasswordCommand(
            current_password=data.current_password,
            new_password=data.new_password,
            ip=client_ip(request),
        ),
    )
    return tokens_response(pair, now)


def auth_router() -> Router:
    """Group the routes under ``/api/v1/auth``."""
    return Router(
        path="/auth",
        route_handlers=[
            register_user,
            login_user,
            refresh_tokens,
            logout_user,
            logout_everywhere_user,
        ],
        dependencies=DEPENDENCIES,
        tags=["auth"],
    )


def me_router() -> Router:
    """Group the caller's own account routes under ``/api/v1/users/me``."""
    return Router(
        path="/users/me",
        route_handlers=[change_password_of_user],
        dependencies=DEPENDENCIES,
        tags=["auth"],
    )
