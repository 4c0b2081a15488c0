"""Sign-in with OAuth 2.0 / OpenID Connect providers over httpx, and the pending-login store.

``HttpOidcProviders`` is the core's ``OidcProviderDirectory``: it builds authorization URLs
(code flow, PKCE S256, ``state``, and ``nonce`` for OIDC), exchanges codes at the token endpoint
and verifies who signed in:

- **OpenID Connect** (presets ``google``, ``linkedin``, and any ``oidc`` provider): endpoints from
  the provider's discovery document (``/.well-known/openid-configuration``, its ``issuer`` must
  be the configured one); the ID token is verified with pyjwt against the provider's JWKS
  (``jwks_uri``; refetched once when a token names an unknown key id): asymmetric algorithms
  only (never ``HS*`` or ``none``), ``iss``, ``aud`` (and ``azp`` when several audiences),
  ``exp``/``iat`` with one minute of leeway, and the ``nonce`` of this sign-in. The email and
  ``email_verified`` come from the ID token, else from the userinfo endpoint (whose ``sub`` must
  match).
- **GitHub** (OAuth 2.0, no ID token): ``/login/oauth/authorize`` and
  ``/login/oauth/access_token``, then ``GET /user`` (the numeric id is the subject) and
  ``GET /user/emails`` (the primary email if verified, else the first verified one).

Every URL of a preset can be overridden in ``JOBRAKER_OIDC_PROVIDERS`` (tests point them at a
local fake provider). Network failures and provider 5xx answers are ``UpstreamUnavailable``; a
code the provider refuses and an identity that does not verify are ``Unauthenticated``.

``RedisOidcStateStore`` keeps pending sign-ins under ``jobraker:oidc:state:<sha256 of state>``
with a TTL, and takes them with ``GETDEL``: a state works once, even under concurrent callbacks.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

import attrs
import httpx
import jwt

from jobraker_adapters.security.revocation import translate_redis_errors
from jobraker_core.accounts.oidc import ExternalIdentity, PendingOidcLogin
from jobraker_core.errors import (
    ConfigurationError,
    NotFound,
    Unauthenticated,
    UpstreamRejected,
    UpstreamUnavailable,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import redis

    from jobraker_adapters.settings import OidcProviderSettings

ALLOWED_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
LEEWAY_SECONDS: Final = 60
MAX_RESPONSE_BYTES: Final = 1_000_000
STATE_PREFIX: Final = "jobraker:oidc:state:"
_HTTP_CLIENT_ERROR: Final = 400
_HTTP_SERVER_ERROR: Final = 500
_REFUSED: Final = "the identity provider did not accept this sign-in; start again"
_UNVERIFIED: Final = "the identity provider's answer could not be verified"


@attrs.frozen
class Preset:
    """What a provider kind brings by default: its protocol, endpoints and scopes."""

    kind: str  # "oidc" or "github"
    scopes: str
    issuer: str | None = None
    discovery_url: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    emails_endpoint: str | None = None


PRESETS: Final[Mapping[str, Preset]] = {
    "google": Preset(
        kind="oidc",
        scopes="openid email profile",
        issuer="https://accounts.google.com",
        discovery_url="https://accounts.google.com/.well-known/openid-configuration",
    ),
    "linkedin": Preset(
        kind="oidc",
        scopes="openid profile email",
        issuer="https://www.linkedin.com/oauth",
        discovery_url="https://www.linkedin.com/oauth/.well-known/openid-configuration",
    ),
    "github": Preset(
        kind="github",
        scopes="read:user user:email",
        authorization_endpoint="https://github.com/login/oauth/authorize",
        token_endpoint="https://github.com/login/oauth/access_token",  # noqa: S106 - a URL
        userinfo_endpoint="https://api.github.com/user",
        emails_endpoint="https://api.github.com/user/emails",
    ),
    "oidc": Preset(kind="oidc", scopes="openid email profile"),
}


@attrs.frozen
class Endpoints:
    """A provider's resolved endpoints and issuer."""

    authorization: str
    token: str
    userinfo: str | None
    jwks_uri: str | None
    issuer: str | None
    emails: str | None = None


class _Provider:
    """One configured provider: its settings, preset, and what was discovered (cached)."""

    def __init__(self, config: OidcProviderSettings) -> None:
        self.config = config
        self.preset = PRESETS[config.preset]
        self.lock = threading.Lock()
        self.endpoints: Endpoints | None = None
        self.keys: jwt.PyJWKSet | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def is_oidc(self) -> bool:
        return self.preset.kind == "oidc"

    @property
    def issuer(self) -> str | None:
        return self.config.issuer or self.preset.issuer

    @property
    def discovery_url(self) -> str | None:
        """The configured discovery URL, else the configured issuer's, else the preset's."""
        if self.config.discovery_url:
            return self.config.discovery_url
        if self.config.issuer:
            return f"{self.config.issuer}/.well-known/openid-configuration"
        return self.preset.discovery_url


def _truthy(value: object) -> bool:
    """``email_verified`` as providers send it: a boolean, or the string ``"true"``."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


class HttpOidcProviders:
    """An ``OidcProviderDirectory`` over httpx and pyjwt (see the module docstring)."""

    def __init__(self, client: httpx.Client, providers: Sequence[OidcProviderSettings]) -> None:
        """Talk to ``providers`` through ``client`` (which must not follow redirects)."""
        self._client = client
        self._providers = {config.name: _Provider(config) for config in providers}

    def names(self) -> tuple[str, ...]:
        """The configured providers' names."""
        return tuple(sorted(self._providers))

    def _provider(self, name: str) -> _Provider:
        provider = self._providers.get(name)
        if provider is None:
            raise NotFound(f"no identity provider called {name!r} is configured")
        return provider

    # ------------------------------------------------------------------------- HTTP

    def _service(self, provider: _Provider) -> str:
        return f"oidc:{provider.name}"

    def _json(self, provider: _Provider, response: httpx.Response) -> Any:
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise UpstreamRejected("the answer is too large", service=self._service(provider))
        try:
            return response.json()
        except ValueError:
            raise UpstreamRejected(
                f"the answer of {response.request.url.path} is not JSON",
                service=self._service(provider),
            ) from None

    def _send(self, provider: _Provider, request: httpx.Request) -> httpx.Response:
        try:
            response = self._client.send(request)
        except httpx.HTTPError as error:
            raise UpstreamUnavailable(
                f"cannot reach the identity provider: {type(error).__name__}",
                service=self._service(provider),
            ) from error
        if response.status_code >= _HTTP_SERVER_ERROR:
            raise UpstreamUnavailable(
                f"the identity provider answered {response.status_code}",
                service=self._service(provider),
            )
        return response

    def _get_json(self, provider: _Provider, url: str, token: str | None = None) -> Any:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self._send(provider, self._client.build_request("GET", url, headers=headers))
        if response.status_code >= _HTTP_CLIENT_ERROR:
            raise Unauthenticated(_UNVERIFIED)
        return self._json(provider, response)

    # ------------------------------------------------------------------------- endpoints

    def _endpoints(self, provider: _Provider) -> Endpoints:
        with provider.lock:
            if provider.endpoints is None:
                provider.endpoints = self._resolve(provider)
            return provider.endpoints

    def _resolve(self, provider: _Provider) -> Endpoints:
        config, preset = provider.config, provider.preset
        discovered: Mapping[str, Any] = {}
        explicit = (config.authorization_endpoint, config.token_endpoint, config.jwks_uri)
        if provider.is_oidc and not all(explicit):
            url = provider.discovery_url
            if url is None:
                raise ConfigurationError(
                    f"identity provider {provider.name!r} has no discovery URL"
                )
            document = self._get_json_for_discovery(provider, url)
            if not isinstance(document, dict):
                raise UpstreamRejected(
                    "the discovery document is not an object", service=self._service(provider)
                )
            discovered = document
            if provider.issuer and discovered.get("issuer") != provider.issuer:
                raise ConfigurationError(
                    f"identity provider {provider.name!r}: the discovery document names another "
                    "issuer than the one configured"
                )

        def pick(override: str | None, key: str, default: str | None) -> str | None:
            value = override or discovered.get(key) or default
            return str(value) if value else None

        authorization = pick(
            config.authorization_endpoint, "authorization_endpoint", preset.authorization_endpoint
        )
        token = pick(config.token_endpoint, "token_endpoint", preset.token_endpoint)
        if authorization is None or token is None:
            raise ConfigurationError(
                f"identity provider {provider.name!r} has no authorization or token endpoint"
            )
        issuer = provider.issuer or (
            str(discovered["issuer"]) if discovered.get("issuer") else None
        )
        return Endpoints(
            authorization=authorization,
            token=token,
            userinfo=pick(config.userinfo_endpoint, "userinfo_endpoint", preset.userinfo_endpoint),
            jwks_uri=pick(config.jwks_uri, "jwks_uri", None),
            issuer=issuer,
            emails=config.emails_endpoint or preset.emails_endpoint,
        )

    def _get_json_for_discovery(self, provider: _Provider, url: str) -> Any:
        response = self._send(provider, self._client.build_request("GET", url))
        if response.status_code >= _HTTP_CLIENT_ERROR:
            raise UpstreamRejected(
                f"the discovery document answered {response.status_code}",
                service=self._service(provider),
            )
        return self._json(provider, response)

    # ------------------------------------------------------------------------- authorize

    def authorization_url(
        self, provider: str, *, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        """The provider's authorization URL for this sign-in."""
        chosen = self._provider(provider)
        endpoints = self._endpoints(chosen)
        params = {
            "response_type": "code",
            "client_id": chosen.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": chosen.config.scopes or chosen.preset.scopes,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if chosen.is_oidc:
            params["nonce"] = nonce
        separator = "&" if "?" in endpoints.authorization else "?"
        return endpoints.authorization + separator + urlencode(params)

    # ------------------------------------------------------------------------- token

    def identify(
        self, provider: str, *, code: str, code_verifier: str, nonce: str, redirect_uri: str
    ) -> ExternalIdentity:
        """Exchange the code and verify who signed in."""
        chosen = self._provider(provider)
        endpoints = self._endpoints(chosen)
        answer = self._exchange(chosen, endpoints, code, code_verifier, redirect_uri)
        access_token = answer.get("access_token")
        if chosen.is_oidc:
            return self._from_id_token(chosen, endpoints, answer, nonce)
        if not isinstance(access_token, str) or not access_token:
            raise Unauthenticated(_UNVERIFIED)
        return self._from_github(chosen, endpoints, access_token)

    def _exchange(
        self,
        provider: _Provider,
        endpoints: Endpoints,
        code: str,
        code_verifier: str,
        redirect_uri: str,
    ) -> Mapping[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": provider.config.client_id,
            "client_secret": provider.config.client_secret,
            "code_verifier": code_verifier,
        }
        request = self._client.build_request(
            "POST", endpoints.token, data=form, headers={"Accept": "application/json"}
        )
        response = self._send(provider, request)
        if response.status_code >= _HTTP_CLIENT_ERROR:
            raise Unauthenticated(_REFUSED)
        answer = self._json(provider, response)
        if not isinstance(answer, dict) or "error" in answer:
            raise Unauthenticated(_REFUSED)  # GitHub answers errors with 200
        return answer

    # ------------------------------------------------------------------------- OIDC

    def _jwks(self, provider: _Provider, endpoints: Endpoints, *, refresh: bool) -> jwt.PyJWKSet:
        with provider.lock:
            if provider.keys is not None and not refresh:
                return provider.keys
        if endpoints.jwks_uri is None:
            raise ConfigurationError(f"identity provider {provider.name!r} has no jwks_uri")
        document = self._get_json(provider, endpoints.jwks_uri)
        try:
            keys = jwt.PyJWKSet.from_dict(document)
        except jwt.PyJWTError:
            raise UpstreamRejected(
                "the provider's JWKS is malformed", service=self._service(provider)
            ) from None
        with provider.lock:
            provider.keys = keys
        return keys

    def _signing_key(self, provider: _Provider, endpoints: Endpoints, kid: object) -> jwt.PyJWK:
        for refresh in (False, True):
            keys = self._jwks(provider, endpoints, refresh=refresh).keys
            if kid is None and len(keys) == 1:
                return keys[0]
            found = next((key for key in keys if key.key_id == kid), None)
            if found is not None:
                return found
        raise Unauthenticated(_UNVERIFIED)

    def _from_id_token(
        self,
        provider: _Provider,
        endpoints: Endpoints,
        answer: Mapping[str, Any],
        nonce: str,
    ) -> ExternalIdentity:
        token = answer.get("id_token")
        if not isinstance(token, str) or endpoints.issuer is None:
            raise Unauthenticated(_UNVERIFIED)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated(_UNVERIFIED) from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise Unauthenticated(_UNVERIFIED)
        key = self._signing_key(provider, endpoints, header.get("kid"))
        client_id = provider.config.client_id
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=client_id,
                issuer=endpoints.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError:
            raise Unauthenticated(_UNVERIFIED) from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != client_id:
            raise Unauthenticated(_UNVERIFIED)
        if claims.get("nonce") != nonce:
            raise Unauthenticated(_UNVERIFIED)
        subject = str(claims["sub"])
        email, verified = claims.get("email"), _truthy(claims.get("email_verified"))
        access_token = answer.get("access_token")
        if (not email or not verified) and endpoints.userinfo and isinstance(access_token, str):
            info = self._get_json(provider, endpoints.userinfo, access_token)
            if not isinstance(info, dict) or str(info.get("sub")) != subject:
                raise Unauthenticated(_UNVERIFIED)
            email, verified = info.get("email"), _truthy(info.get("email_verified"))
        return ExternalIdentity(
            provider=provider.name,
            subject=subject,
            email=str(email) if email else None,
            email_verified=bool(email) and verified,
            nonce=str(claims["nonce"]),
        )

    # ------------------------------------------------------------------------- GitHub

    def _from_github(
        self, provider: _Provider, endpoints: Endpoints, access_token: str
    ) -> ExternalIdentity:
        if endpoints.userinfo is None:
            raise ConfigurationError(f"identity provider {provider.name!r} has no user endpoint")
        user = self._get_json(provider, endpoints.userinfo, access_token)
        if not isinstance(user, dict) or user.get("id") is None:
            raise Unauthenticated(_UNVERIFIED)
        email: str | None = None
        if endpoints.emails:
            listed = self._get_json(provider, endpoints.emails, access_token)
            verified = [
                item
                for item in (listed if isinstance(listed, list) else [])
                if isinstance(item, dict) and item.get("verified") is True and item.get("email")
            ]
            primary = [item for item in verified if item.get("primary") is True]
            chosen = (primary or verified)[0] if verified else None
            email = str(chosen["email"]) if chosen else None
        return ExternalIdentity(
            provider=provider.name,
            subject=str(user["id"]),
            email=email,
            email_verified=email is not None,
        )


# ----------------------------------------------------------------------------- state store


def _pending_to_json(pending: PendingOidcLogin) -> str:
    return json.dumps(
        {
            "provider": pending.provider,
            "nonce": pending.nonce,
            "code_verifier": pending.code_verifier,
            "redirect_uri": pending.redirect_uri,
            "created_at": pending.created_at.isoformat(),
        }
    )


def _pending_from_json(raw: bytes | str) -> PendingOidcLogin | None:
    try:
        item = json.loads(raw)
        return PendingOidcLogin(
            provider=str(item["provider"]),
            nonce=str(item["nonce"]),
            code_verifier=str(item["code_verifier"]),
            redirect_uri=str(item["redirect_uri"]),
            created_at=datetime.fromisoformat(item["created_at"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


class RedisOidcStateStore:
    """An ``OidcStateStore`` in Redis: ``SET … EX`` to keep, ``GETDEL`` to take once."""

    def __init__(self, client: redis.Redis, *, prefix: str = STATE_PREFIX) -> None:
        """Keep pending sign-ins in ``client`` under ``prefix``."""
        self._redis = client
        self._prefix = prefix

    def put(self, key: str, pending: PendingOidcLogin, ttl: timedelta) -> None:
        """Keep ``pending`` for ``ttl``."""
        with translate_redis_errors():
            self._redis.set(
                self._prefix + key, _pending_to_json(pending), ex=int(ttl.total_seconds())
            )

    def take(self, key: str) -> PendingOidcLogin | None:
        """Remove and return what is kept under ``key``."""
        with translate_redis_errors():
            raw = self._redis.getdel(self._prefix + key)
        if raw is None:
            return None
        return _pending_from_json(raw)


__all__ = ["PRESETS", "HttpOidcProviders", "Preset", "RedisOidcStateStore"]
