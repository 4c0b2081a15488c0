"""OIDC sign-in end to end: the API, PostgreSQL, Redis and a fake provider over real HTTP.

The browser's part is played by the test: it follows the API's redirect to the fake provider
(which signs its user in at once and redirects back with a code) and then calls the API's
callback with what the provider put in the URL.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import attrs
import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from fakes.oidc_provider import FakeOidcProvider, FakeUser
from jobraker_adapters.container import build_container
from jobraker_adapters.settings import OidcProviderSettings
from jobraker_http import create_app

pytestmark = pytest.mark.integration

PASSWORD = "a long integration passphrase"


@pytest.fixture(scope="module")
def fake_provider():
    """The fake provider, listening for the whole module."""
    with FakeOidcProvider() as fake:
        yield fake


@pytest.fixture
def idp(fake_provider):
    """The provider with its default behaviour restored for this test."""
    fake_provider.__dict__.update(
        user=FakeUser(),
        issuer_in_token=None,
        audience_in_token=None,
        nonce_in_token=None,
        sign_with_other_key=False,
        expired_tokens=False,
        email_in_id_token=True,
    )
    return fake_provider


@pytest.fixture
def api(settings, db, redis_client, idp):
    """The API with Google, LinkedIn and GitHub presets pointed at the fake provider."""
    configured = tuple(
        OidcProviderSettings(name=name, preset=name, **idp.provider_settings(name))
        for name in ("google", "linkedin", "github")
    )
    container = build_container(attrs.evolve(settings, oidc_providers=configured))
    try:
        with TestClient(create_app(container)) as client:
            yield client
    finally:
        container.shutdown_resources()


def _sign_in(api: TestClient, provider: str = "google") -> httpx.Response:
    """Start, let the provider approve over HTTP, and call the callback; the callback's answer."""
    started = api.get(f"/api/v1/auth/oidc/{provider}/start/", follow_redirects=False)
    assert started.status_code == 302, started.text
    approved = httpx.get(started.headers["location"], follow_redirects=False)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    assert back.path == f"/api/v1/auth/oidc/{provider}/callback/"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    return api.get(back.path, params=query)


def _callback_url(api: TestClient, provider: str = "google") -> tuple[str, dict[str, str]]:
    started = api.get(f"/api/v1/auth/oidc/{provider}/start/", follow_redirects=False)
    back = urlsplit(httpx.get(started.headers["location"]).headers["location"])
    return back.path, {k: v[0] for k, v in parse_qs(back.query).items()}


@pytest.mark.parametrize("provider", ["google", "linkedin", "github"])
def test_each_preset_signs_a_new_person_in(api, settings, provider):
    """Google and LinkedIn (OIDC, ID token) and GitHub (OAuth 2.0, user API) each sign in."""
    answer = _sign_in(api, provider)
    assert answer.status_code == 200, answer.text
    access = answer.json()["data"]["access_token"]
    assert api.get("/api/v1/jobs/", headers={"Authorization": f"Bearer {access}"}).is_success
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute(
            "SELECT u.email, u.password_hash, i.provider FROM oidc_identities i "
            "JOIN users u ON u.id = i.user_id"
        ).fetchall()
    assert rows == [("ada@example.com", None, provider)]


def test_the_authorization_request_uses_pkce_state_and_nonce(api, idp):
    """What reaches the provider: an S256 challenge, a state and a nonce, our callback URL."""
    started = api.get("/api/v1/auth/oidc/google/start/", follow_redirects=False)
    params = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["location"]).query).items()}
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"]
    assert params["nonce"]
    assert params["redirect_uri"].endswith("/api/v1/auth/oidc/google/callback/")
    assert "client_secret" not in started.headers["location"]


def test_a_verified_email_links_the_existing_account(api, settings):
    """A password account with the provider's verified email is the one signed in."""
    body = {"email": "ada@example.com", "password": PASSWORD}
    assert api.post("/api/v1/auth/register/", json=body).status_code == 201
    assert _sign_in(api).status_code == 200
    with psycopg.connect(settings.database_url) as conn:
        (users,) = conn.execute("SELECT count(*) FROM users").fetchone()
        (links,) = conn.execute("SELECT count(*) FROM oidc_identities").fetchone()
    assert (users, links) == (1, 1)


def test_an_unverified_email_does_not_link(api, idp, settings):
    """The provider's unverified email for an existing account: 403, nothing linked."""
    body = {"email": "ada@example.com", "password": PASSWORD}
    assert api.post("/api/v1/auth/register/", json=body).status_code == 201
    idp.user = FakeUser(email_verified=False)
    assert _sign_in(api).status_code == 403
    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM oidc_identities").fetchone() == (0,)


@pytest.mark.parametrize(
    "fault",
    [
        {"issuer_in_token": "http://127.0.0.1:1/not-the-issuer"},
        {"audience_in_token": "somebody-elses-client"},
        {"nonce_in_token": "a-replayed-nonce"},
        {"sign_with_other_key": True},
        {"expired_tokens": True},
    ],
    ids=["wrong-issuer", "wrong-audience", "wrong-nonce", "forged-signature", "expired"],
)
def test_id_tokens_that_do_not_verify_are_401(api, idp, fault):
    """Wrong issuer, audience or nonce, another key, or expiry: 401 and no account."""
    idp.__dict__.update(fault)
    answer = _sign_in(api)
    assert answer.status_code == 401
    assert "access_token" not in answer.text


def test_a_replayed_callback_is_401(api):
    """The same state and code a second time are refused (the state is gone, the code burnt)."""
    path, query = _callback_url(api)
    assert api.get(path, params=query).status_code == 200
    assert api.get(path, params=query).status_code == 401


def test_a_forged_state_is_401(api):
    """A code with a state this server never issued is refused."""
    path, query = _callback_url(api)
    assert api.get(path, params=query | {"state": "forged"}).status_code == 401


def test_the_state_lives_in_redis_with_a_ttl(api, redis_client):
    """The pending sign-in is a short-lived Redis key, not a database row."""
    api.get("/api/v1/auth/oidc/google/start/", follow_redirects=False)
    keys = list(redis_client.scan_iter(match="jobraker:oidc:state:*"))
    assert len(keys) == 1
    assert 0 < redis_client.ttl(keys[0]) <= 600
