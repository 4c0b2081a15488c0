"""Sign-in with an identity provider: ``/api/v1/auth/oidc/``.

- ``GET /api/v1/auth/oidc/`` lists the configured providers;
- ``GET /api/v1/auth/oidc/{provider}/start/`` redirects (302) to the provider, with ``state``,
  ``nonce`` and a PKCE challenge kept server-side for ten minutes;
- ``GET /api/v1/auth/oidc/{provider}/callback/?code=...&state=...`` is where the provider sends
  the browser back: it answers a token pair (or, for an account with 2FA on, a second-factor
  challenge) as JSON, like ``POST /api/v1/auth/login/``.

The redirect URI registered with the provider must be
``<JOBRAKER_PUBLIC_URL>/api/v1/auth/oidc/<provider>/callback/`` (without ``JOBRAKER_PUBLIC_URL``,
the base URL the request came to).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal, cast

import msgspec
from litestar import Request, Response, Router, get
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect

from jobraker_adapters.container import Container
from jobraker_core.accounts.oidc import FinishOidc, FinishOidcLogin, StartOidcLogin
from jobraker_core.accounts.twofactor import SecondFactorRequired
from jobraker_core.errors import Unauthenticated
from jobraker_http.accounts import TokensEnvelope, tokens_response
from jobraker_http.auth import client_ip
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta
from jobraker_http.guards import public
from jobraker_http.signin import NO_STORE, ChallengeEnvelope, challenge_response

API_PREFIX: Final = "/api/v1"
MAX_CODE_LENGTH: Final = 2048
MAX_STATE_LENGTH: Final = 256
ProviderName = Annotated[str, Parameter(max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class ProvidersOut(msgspec.Struct, kw_only=True):
    """The identity providers one can sign in with."""

    providers: list[str]


class ProvidersEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around the provider names."""

    success: Literal[True]
    data: ProvidersOut
    meta: ItemMeta


def _container(request: Request[Any, Any, Any]) -> Container:
    container: Container = request.app.state.container
    return container


def provide_start(request: Request[Any, Any, Any]) -> StartOidcLogin:
    """Resolve ``StartOidcLogin``."""
    return _container(request).start_oidc_login()


def provide_finish(request: Request[Any, Any, Any]) -> FinishOidcLogin:
    """Resolve ``FinishOidcLogin``."""
    return _container(request).finish_oidc_login()


def callback_url(request: Request[Any, Any, Any], provider: str) -> str:
    """The redirect URI of ``provider``'s callback on this API."""
    base = _container(request).settings().public_url or str(request.base_url).rstrip("/")
    return f"{base}{API_PREFIX}/auth/oidc/{provider}/callback/"


DEPENDENCIES: Final = {
    "start_oidc": Provide(provide_start, sync_to_thread=False),
    "finish_oidc": Provide(provide_finish, sync_to_thread=False),
}


@get(
    "/",
    guards=[public],
    summary="Identity providers",
    description="The providers configured for sign-in (JOBRAKER_OIDC_PROVIDERS).",
    responses=problem_responses(503),
)
async def list_providers(request: Request[Any, Any, Any]) -> ProvidersEnvelope:
    """Name the configured providers."""
    names = _container(request).oidc_providers().names()
    return ProvidersEnvelope(
        success=True, data=ProvidersOut(providers=list(names)), meta=ItemMeta()
    )


@get(
    "/{provider:str}/start",
    guards=[public],
    sync_to_thread=True,
    status_code=302,
    summary="Sign in with an identity provider",
    description="Redirects (302) to the provider's sign-in page, with a single-use `state`, a "
    "`nonce` and a PKCE (S256) challenge kept server-side for ten minutes. 400 for a provider "
    "that is not configured.",
    responses=problem_responses(400, 429, 503),
)
def start_oidc_route(
    request: Request[Any, Any, Any],
    provider: ProviderName,
    start_oidc: NamedDependency[StartOidcLogin],
) -> Redirect:
    """Send the browser to the provider."""
    url = start_oidc(provider, callback_url(request, provider))
    return Redirect(path=url, status_code=302, headers=NO_STORE)


@get(
    "/{provider:str}/callback",
    guards=[public],
    sync_to_thread=True,
    status_code=200,
    summary="Identity provider callback",
    description="Where the provider sends the browser back. Answers a token pair, or a "
    "second-factor challenge for an account with 2FA on. A new identity is linked to the "
    "account with the same email only when the provider says the email is verified, and an "
    "account is created when there is none; an unverified or missing email is 403. A wrong, "
    "used or expired `state`, and an identity that does not verify, are 401.",
    responses=problem_responses(400, 401, 403, 409, 429, 503),
)
def finish_oidc_route(  # noqa: PLR0917 - the callback's query parameters and dependencies
    request: Request[Any, Any, Any],
    provider: ProviderName,
    finish_oidc: NamedDependency[FinishOidcLogin],
    now: NamedDependency[datetime],
    code: Annotated[str | None, Parameter(max_length=MAX_CODE_LENGTH)] = None,
    oauth_state: Annotated[
        str | None, QueryParameter(name="state", max_length=MAX_STATE_LENGTH)
    ] = None,
    error: Annotated[str | None, Parameter(max_length=256)] = None,
) -> Response[TokensEnvelope | ChallengeEnvelope]:
    """Finish the sign-in."""
    if error is not None or not code or not oauth_state:
        raise Unauthenticated("the identity provider did not sign you in; start again")
    result = finish_oidc(
        FinishOidc(provider=provider, code=code, state=oauth_state, ip=client_ip(request))
    )
    if isinstance(result, SecondFactorRequired):
        return cast("Response[TokensEnvelope | ChallengeEnvelope]", challenge_response(result, now))
    return cast("Response[TokensEnvelope | ChallengeEnvelope]", tokens_response(result.tokens, now))


def oidc_router() -> Router:
    """Group the OIDC routes under ``/api/v1/auth/oidc``."""
    return Router(
        path="/auth/oidc",
        route_handlers=[list_providers, start_oidc_route, finish_oidc_route],
        dependencies=DEPENDENCIES,
        tags=["auth"],
    )


__all__ = ["callback_url", "oidc_router"]
