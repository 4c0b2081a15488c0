"""The OIDC routes over the memory container and its fake identity provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from auth_helpers import bearer, log_in

from jobraker_adapters.memory.twofactor import FakeIdentity

CALLBACK = "/api/v1/auth/oidc/google/callback/"


@pytest.fixture
def idp(container):
    """The fake providers of the container, with Google signing Ada in."""
    providers = container.oidc_providers()
    providers.identities["google"] = FakeIdentity("g-1", "ada@example.com", email_verified=True)
    return providers


def _start(client, provider: str = "google") -> str:
    answer = client.get(f"/api/v1/auth/oidc/{provider}/start/", follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def _callback(client, idp, url: str, **override: str):
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    query = {"code": idp.approve(url), "state": params["state"]} | override
    return client.get(CALLBACK, params=query)


def test_the_providers_are_listed(anonymous_client, idp):
    """The configured providers are public knowledge."""
    answer = anonymous_client.get("/api/v1/auth/oidc/")
    assert answer.json()["data"] == {"providers": ["google"]}


def test_start_redirects_to_the_provider_with_pkce_and_state(anonymous_client, idp):
    """A 302 to the provider, with the callback URL of this API as redirect URI."""
    location = _start(anonymous_client)
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == f"http://testserver.local{CALLBACK}"
    assert params["state"]
    assert params["nonce"]


def test_the_callback_answers_tokens_that_work(anonymous_client, idp):
    """A full sign-in makes an account and answers a usable token pair."""
    answer = _callback(anonymous_client, idp, _start(anonymous_client))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    access = answer.json()["data"]["access_token"]
    assert anonymous_client.get("/api/v1/jobs/", headers=bearer(access)).status_code == 200


def test_a_replayed_or_forged_state_is_401(anonymous_client, idp):
    """The state works once; an unknown state never."""
    url = _start(anonymous_client)
    assert _callback(anonymous_client, idp, url).status_code == 200
    assert _callback(anonymous_client, idp, url).status_code == 401
    assert (
        _callback(anonymous_client, idp, _start(anonymous_client), state="forged").status_code
        == 401
    )


def test_a_provider_error_or_missing_code_is_401(anonymous_client, idp):
    """The provider's ``error`` (e.g. the user said no) ends the sign-in."""
    url = _start(anonymous_client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    denied = anonymous_client.get(CALLBACK, params={"error": "access_denied", "state": state})
    assert denied.status_code == 401
    assert anonymous_client.get(CALLBACK).status_code == 401


def test_an_unverified_email_is_403_and_makes_no_account(container, anonymous_client, idp):
    """Neither linking nor creating happens without a verified email."""
    log_in(container, email="ada@example.com")
    idp.identities["google"] = FakeIdentity("g-2", "ada@example.com", email_verified=False)
    answer = _callback(anonymous_client, idp, _start(anonymous_client))
    assert answer.status_code == 403
    assert not container.uow().store.security.identities


def test_an_unknown_provider_is_refused(anonymous_client, idp):
    """Starting with a provider that is not configured is 400; a bad name is 400 too."""
    assert anonymous_client.get("/api/v1/auth/oidc/myspace/start/").status_code == 400
    assert anonymous_client.get("/api/v1/auth/oidc/Bad..Name/start/").status_code in {400, 404}


def test_a_2fa_account_gets_a_challenge_from_the_callback(container, anonymous_client, idp):
    """An OIDC sign-in of an account with 2FA on answers the challenge, not tokens."""
    from jobraker_adapters.security.totp import PyOtpTotp  # noqa: PLC0415 - only here
    from jobraker_core.accounts.twofactor import time_step  # noqa: PLC0415 - only here

    _, tokens = log_in(container, email="ada@example.com")
    auth = bearer(tokens.access_token)
    secret = anonymous_client.post("/api/v1/auth/2fa/enrol/", headers=auth).json()["data"]["secret"]
    code = PyOtpTotp().code(secret, time_step(container.clock().now()))
    assert anonymous_client.post(
        "/api/v1/auth/2fa/confirm/", headers=auth, json={"code": code}
    ).is_success
    answer = _callback(anonymous_client, idp, _start(anonymous_client))
    assert answer.status_code == 200
    assert answer.json()["data"]["two_factor_required"] is True
