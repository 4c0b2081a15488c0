"""The OIDC / OAuth 2.0 adapter over httpx.MockTransport: URLs, token exchange, ID token checks."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from fakes.oidc_provider import CLIENT_ID, CLIENT_SECRET, KEY_ID, FakeOidcProvider, FakeUser
from jobraker_adapters.security.oidc import HttpOidcProviders
from jobraker_adapters.settings import OidcProviderSettings
from jobraker_core.accounts.oidc import pkce_challenge
from jobraker_core.errors import (
    ConfigurationError,
    NotFound,
    Unauthenticated,
    UpstreamRejected,
    UpstreamUnavailable,
)

BASE = "https://idp.test"
REDIRECT = "https://jobraker.example/api/v1/auth/oidc/corp/callback/"
VERIFIER = "v" * 64


class OfflineProvider(FakeOidcProvider):
    """The fake provider's documents and grants, served through a MockTransport."""

    @property
    def base_url(self) -> str:
        """A made-up HTTPS origin."""
        return BASE

    def handle(self, request: httpx.Request) -> httpx.Response:  # noqa: PLR0911 - per endpoint
        """Answer ``request`` as the provider would."""
        path = request.url.path
        self.requests.append((request.method, path))
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery())
        if path == "/jwks":
            return httpx.Response(200, json=self.jwks())
        if path in {"/token", "/login/oauth/access_token"}:
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            status, body = self.exchange(form, oidc=path == "/token")
            return httpx.Response(status if path == "/token" else 200, json=body)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.access_tokens:
            return httpx.Response(401, json={"error": "invalid_token"})
        if path == "/userinfo":
            return httpx.Response(200, json=self.userinfo())
        if path == "/user":
            return httpx.Response(200, json={"id": self.user.github_id})
        if path == "/user/emails":
            email = {
                "email": self.user.email,
                "primary": True,
                "verified": self.user.email_verified,
            }
            return httpx.Response(200, json=[{"email": "x@old.example", "verified": False}, email])
        return httpx.Response(404)


@pytest.fixture(scope="module")
def keys() -> OfflineProvider:
    """One provider (RSA keys are slow to make), reset per test by ``provider``."""
    return OfflineProvider()


@pytest.fixture
def provider(keys) -> OfflineProvider:
    """The offline provider with default behaviour and a fresh record."""
    keys.__dict__.update(
        user=FakeUser(),
        issuer_in_token=None,
        audience_in_token=None,
        nonce_in_token=None,
        sign_with_other_key=False,
        expired_tokens=False,
        email_in_id_token=True,
        requests=[],
        grants={},
        access_tokens={},
    )
    return keys


def _adapter(provider: OfflineProvider, **overrides: str) -> HttpOidcProviders:
    settings = OidcProviderSettings(
        **{"name": "corp", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        | {"preset": "oidc", "issuer": BASE}
        | overrides
    )
    client = httpx.Client(transport=httpx.MockTransport(provider.handle))
    return HttpOidcProviders(client, [settings])


def _code(provider: OfflineProvider, adapter: HttpOidcProviders, nonce: str = "n-1") -> str:
    url = adapter.authorization_url(
        adapter.names()[0],
        state="s-1",
        nonce=nonce,
        code_challenge=pkce_challenge(VERIFIER),
        redirect_uri=REDIRECT,
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    status, headers = provider.authorize(params)
    assert status == 302
    return parse_qs(urlsplit(headers["Location"]).query)["code"][0]


def _identify(adapter: HttpOidcProviders, code: str, nonce: str = "n-1"):
    return adapter.identify(
        adapter.names()[0], code=code, code_verifier=VERIFIER, nonce=nonce, redirect_uri=REDIRECT
    )


def test_the_authorization_url_carries_the_whole_request(provider):
    """Client id, redirect URI, scopes, state, nonce and the S256 challenge; discovery cached."""
    adapter = _adapter(provider)
    url = adapter.authorization_url(
        "corp", state="st", nonce="no", code_challenge="ch", redirect_uri=REDIRECT
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/authorize"
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid email profile",
        "state": "st",
        "nonce": "no",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
    }
    adapter.authorization_url("corp", state="a", nonce="b", code_challenge="c", redirect_uri="d")
    assert provider.requests.count(("GET", "/.well-known/openid-configuration")) == 1


def test_a_valid_code_gives_the_verified_identity(provider):
    """The ID token is verified and its subject, email and nonce come back."""
    adapter = _adapter(provider)
    identity = _identify(adapter, _code(provider, adapter))
    assert (identity.provider, identity.subject) == ("corp", provider.user.subject)
    assert (identity.email, identity.email_verified, identity.nonce) == (
        "ada@example.com",
        True,
        "n-1",
    )


@pytest.mark.parametrize(
    "fault",
    [
        {"issuer_in_token": "https://evil.test"},
        {"audience_in_token": "another-client"},
        {"nonce_in_token": "replayed-nonce"},
        {"sign_with_other_key": True},
        {"expired_tokens": True},
    ],
    ids=["wrong-issuer", "wrong-audience", "wrong-nonce", "wrong-key", "expired"],
)
def test_id_tokens_that_do_not_verify_are_refused(provider, fault):
    """Issuer, audience, nonce, signature and expiry are all checked."""
    adapter = _adapter(provider)
    provider.__dict__.update(fault)
    with pytest.raises(Unauthenticated):
        _identify(adapter, _code(provider, adapter))


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_unsigned_and_symmetric_tokens_are_refused(provider, algorithm, monkeypatch):
    """``alg: none`` and HMAC tokens (keyed with the public key, say) never pass."""
    adapter = _adapter(provider)
    claims = {
        "iss": BASE,
        "aud": CLIENT_ID,
        "sub": "x",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
        "nonce": "n-1",
    }
    key = None if algorithm == "none" else "public-key-as-hmac-secret-0123456789abcdef"
    forged = jwt.encode(claims, key, algorithm=algorithm, headers={"kid": KEY_ID})
    monkeypatch.setattr(provider, "id_token", lambda _nonce: forged)
    with pytest.raises(Unauthenticated):
        _identify(adapter, _code(provider, adapter))


def test_a_code_is_refused_with_the_wrong_verifier_or_twice(provider):
    """The token endpoint's invalid_grant (PKCE mismatch, reused code) is Unauthenticated."""
    adapter = _adapter(provider)
    code = _code(provider, adapter)
    with pytest.raises(Unauthenticated):
        adapter.identify(
            "corp", code=code, code_verifier="w" * 64, nonce="n-1", redirect_uri=REDIRECT
        )
    with pytest.raises(Unauthenticated):
        _identify(adapter, code)


def test_the_email_comes_from_userinfo_when_the_id_token_has_none(provider):
    """Without email claims in the ID token, the userinfo endpoint (same subject) supplies them."""
    provider.email_in_id_token = False
    adapter = _adapter(provider)
    identity = _identify(adapter, _code(provider, adapter))
    assert (identity.email, identity.email_verified) == ("ada@example.com", True)
    assert ("GET", "/userinfo") in provider.requests


def test_an_unverified_email_is_reported_as_such(provider):
    """``email_verified: false`` stays false (the core refuses to link on it)."""
    provider.user = FakeUser(email_verified=False)
    adapter = _adapter(provider)
    assert not _identify(adapter, _code(provider, adapter)).email_verified


def test_github_gives_the_id_and_the_primary_verified_email(provider):
    """The GitHub preset reads /user and /user/emails, skipping unverified addresses."""
    adapter = _adapter(
        provider,
        preset="github",
        issuer="",
        authorization_endpoint=f"{BASE}/login/oauth/authorize",
        token_endpoint=f"{BASE}/login/oauth/access_token",
        userinfo_endpoint=f"{BASE}/user",
        emails_endpoint=f"{BASE}/user/emails",
    )
    code = _code(provider, adapter)
    identity = _identify(adapter, code)
    assert (identity.subject, identity.email, identity.email_verified) == (
        "1234567",
        "ada@example.com",
        True,
    )
    assert identity.nonce is None
    with pytest.raises(Unauthenticated):  # GitHub's 200 {"error": ...} for a reused code
        _identify(adapter, code)


def test_github_without_a_verified_email_has_none(provider):
    """A GitHub account whose only emails are unverified yields no email."""
    provider.user = FakeUser(email_verified=False)
    adapter = _adapter(
        provider,
        preset="github",
        issuer="",
        authorization_endpoint=f"{BASE}/login/oauth/authorize",
        token_endpoint=f"{BASE}/login/oauth/access_token",
        userinfo_endpoint=f"{BASE}/user",
        emails_endpoint=f"{BASE}/user/emails",
    )
    identity = _identify(adapter, _code(provider, adapter))
    assert (identity.email, identity.email_verified) == (None, False)


def test_a_discovery_document_of_another_issuer_is_refused(provider):
    """The discovery document must name the configured issuer."""
    adapter = _adapter(
        provider,
        issuer="https://idp.test/other",
        discovery_url=f"{BASE}/.well-known/openid-configuration",
    )
    with pytest.raises(ConfigurationError, match="another issuer"):
        adapter.authorization_url(
            "corp", state="s", nonce="n", code_challenge="c", redirect_uri="r"
        )


def test_an_unknown_provider_is_not_found(provider):
    """Only configured providers exist."""
    with pytest.raises(NotFound):
        _adapter(provider).identify(
            "nope", code="c", code_verifier=VERIFIER, nonce="n", redirect_uri=REDIRECT
        )


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(503), UpstreamUnavailable),
        (httpx.Response(200, content=b"<html>"), UpstreamRejected),
    ],
    ids=["5xx", "not-json"],
)
def test_provider_failures_are_translated(answer, error):
    """5xx is UpstreamUnavailable; a non-JSON answer is UpstreamRejected."""
    settings = OidcProviderSettings(
        name="corp",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        authorization_endpoint=f"{BASE}/a",
        token_endpoint=f"{BASE}/t",
        jwks_uri=f"{BASE}/j",
        issuer=BASE,
    )
    adapter = HttpOidcProviders(
        httpx.Client(transport=httpx.MockTransport(lambda _request: answer)), [settings]
    )
    with pytest.raises(error):
        _identify(adapter, "code")


def test_an_unreachable_provider_is_unavailable():
    """Connection errors are UpstreamUnavailable, naming the provider as the service."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    settings = OidcProviderSettings(
        name="corp", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, issuer=BASE
    )
    adapter = HttpOidcProviders(httpx.Client(transport=httpx.MockTransport(refuse)), [settings])
    with pytest.raises(UpstreamUnavailable) as failed:
        adapter.authorization_url(
            "corp", state="s", nonce="n", code_challenge="c", redirect_uri="r"
        )
    assert failed.value.service == "oidc:corp"


def test_the_key_set_is_fetched_again_for_an_unknown_key_id(provider, monkeypatch):
    """When the provider rotates its signing key, one refetch of the JWKS finds the new one."""
    adapter = _adapter(provider)
    _identify(adapter, _code(provider, adapter))
    fetched = provider.requests.count(("GET", "/jwks"))
    rotated = provider.jwks()
    rotated["keys"][0]["kid"] = "fake-key-2"
    monkeypatch.setattr(provider, "jwks", lambda: rotated)
    original = provider.id_token
    monkeypatch.setattr(
        provider,
        "id_token",
        lambda nonce: jwt.encode(
            jwt.decode(original(nonce), options={"verify_signature": False}),
            provider.key,
            algorithm="RS256",
            headers={"kid": "fake-key-2"},
        ),
    )
    assert _identify(adapter, _code(provider, adapter)).subject == provider.user.subject
    assert provider.requests.count(("GET", "/jwks")) == fetched + 1
    assert json.dumps(rotated)
