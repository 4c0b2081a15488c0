"""OIDC sign-in in the core, on the fakes: state, PKCE, nonce, linking by verified email."""

from __future__ import annotations

import base64
import hashlib

import pytest
from security_world import PASSWORD, SecurityWorld

from jobraker_adapters.memory.twofactor import FakeIdentity
from jobraker_core.accounts.model import AuditKind, UserStatus
from jobraker_core.accounts.oidc import (
    ExternalIdentity,
    FinishOidc,
    pkce_challenge,
    state_key,
)
from jobraker_core.accounts.second_factor import SecondFactorRequired
from jobraker_core.accounts.use_cases import LogIn, LoginResult
from jobraker_core.errors import Forbidden, InvalidInput, Unauthenticated

ADA = FakeIdentity(subject="google-sub-1", email="Ada@Example.com", email_verified=True)


@pytest.fixture
def world() -> SecurityWorld:
    """Fakes and the use cases over them, with a Google-like provider signing Ada in."""
    world = SecurityWorld()
    world.providers.identities["google"] = ADA
    return world


def _state_of(url: str) -> str:
    return dict(pair.split("=", 1) for pair in url.split("?", 1)[1].split("&"))["state"]


def test_the_pkce_challenge_is_s256():
    """The challenge is base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2)."""
    verifier = "a-verifier-of-forty-three-characters-or-more-0123"
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert pkce_challenge(verifier) == expected
    assert len(expected) == 43


def test_starting_keeps_the_state_server_side_and_sends_a_challenge(world):
    """The URL carries state, nonce and an S256 challenge; only a digest of the state is kept."""
    url = world.start_oidc()("google", "https://jobraker.example/cb")
    sent = world.providers.authorized[-1]
    assert sent["code_challenge_method"] == "S256"
    assert sent["state"] == _state_of(url)
    kept = world.states.pending
    assert list(kept) == [state_key(sent["state"])]
    pending = kept[state_key(sent["state"])][0]
    assert pkce_challenge(pending.code_verifier) == sent["code_challenge"]
    assert pending.nonce == sent["nonce"]
    assert sent["state"] not in repr(world.states.pending)


def test_an_unknown_provider_is_refused(world):
    """Only configured providers can be started."""
    with pytest.raises(InvalidInput):
        world.start_oidc()("myspace", "https://jobraker.example/cb")


def test_a_new_verified_identity_creates_an_account_without_a_password(world):
    """No account with the email: one is made, linked, and signed in."""
    result = world.oidc_sign_in()
    assert isinstance(result, LoginResult)
    user = world.uow.store.users[result.user.id]
    assert (user.email, user.password_hash, user.status) == (
        "ada@example.com",
        None,
        UserStatus.ACTIVE,
    )
    link = world.uow.store.security.identities[("google", "google-sub-1")]
    assert link.user_id == user.id
    assert world.events(AuditKind.REGISTERED)[-1].detail("via") == "google"
    assert world.events(AuditKind.OIDC_LINKED)


def test_a_verified_email_links_to_the_existing_account(world):
    """An account with the same email gets the identity linked and is signed in."""
    existing = world.user("ada@example.com")
    result = world.oidc_sign_in()
    assert isinstance(result, LoginResult)
    assert result.user.id == existing.id
    assert len(world.uow.store.users) == 1


@pytest.mark.parametrize("email", [None, "ada@example.com"], ids=["no-email", "unverified"])
def test_an_unverified_or_missing_email_neither_links_nor_creates(world, email):
    """Without a verified email: 403, whether an account with that address exists or not."""
    world.user("ada@example.com")
    sneaky = FakeIdentity(subject="attacker", email=email, email_verified=False)
    with pytest.raises(Forbidden, match="did not confirm an email"):
        world.oidc_sign_in(identity=sneaky)
    assert not world.uow.store.security.identities
    with pytest.raises(Forbidden):
        world.oidc_sign_in(identity=FakeIdentity("other", "new@example.com", email_verified=False))
    assert len(world.uow.store.users) == 1


def test_a_linked_identity_signs_in_to_its_account_later(world):
    """The second sign-in finds the link, even if the provider's email changed since."""
    first = world.oidc_sign_in()
    assert isinstance(first, LoginResult)
    changed = FakeIdentity(subject="google-sub-1", email="ada@new.example", email_verified=False)
    again = world.oidc_sign_in(identity=changed)
    assert isinstance(again, LoginResult)
    assert again.user.id == first.user.id


def test_a_state_works_once(world):
    """Replaying the callback with the same state (and a fresh code) is refused."""
    url = world.start_oidc()("google", "https://jobraker.example/cb")
    state = _state_of(url)
    world.finish_oidc()(FinishOidc("google", world.providers.approve(url), state))
    with pytest.raises(Unauthenticated, match="start again"):
        world.finish_oidc()(FinishOidc("google", world.providers.approve(url), state))


@pytest.mark.parametrize("state", ["", "forged-state", "x" * 300])
def test_unknown_states_are_refused(world, state):
    """A state this server never issued is refused before the provider is asked."""
    url = world.start_oidc()("google", "https://jobraker.example/cb")
    with pytest.raises(Unauthenticated):
        world.finish_oidc()(FinishOidc("google", world.providers.approve(url), state))


def test_a_state_expires_after_ten_minutes(world):
    """A sign-in left at the provider for more than ten minutes must start again."""
    url = world.start_oidc()("google", "https://jobraker.example/cb")
    world.clock.advance(minutes=10, seconds=1)
    with pytest.raises(Unauthenticated):
        world.finish_oidc()(FinishOidc("google", world.providers.approve(url), _state_of(url)))


def test_a_state_of_another_provider_is_refused(world):
    """The state names its provider: a callback at another provider's URL is refused."""
    world.providers.identities["github"] = ADA
    url = world.start_oidc()("google", "https://jobraker.example/cb")
    with pytest.raises(Unauthenticated):
        world.finish_oidc()(FinishOidc("github", world.providers.approve(url), _state_of(url)))


def test_a_code_with_the_wrong_verifier_is_refused(world):
    """The provider checks the PKCE verifier against the challenge (here: a stolen code)."""
    url = world.start_oidc()("google", "https://jobraker.example/cb")
    code = world.providers.approve(url)
    other = world.start_oidc()("google", "https://jobraker.example/cb")
    with pytest.raises(Unauthenticated):
        world.finish_oidc()(FinishOidc("google", code, _state_of(other)))


def test_a_wrong_nonce_is_refused(world):
    """An identity whose nonce is not this sign-in's is refused (a replayed ID token)."""

    class WrongNonce(type(world.providers)):  # type: ignore[misc]
        def identify(self, provider, **kwargs):
            found = super().identify(provider, **kwargs)
            return ExternalIdentity(
                found.provider, found.subject, found.email, found.email_verified, "other-nonce"
            )

    world.providers = WrongNonce(identities={"google": ADA})
    with pytest.raises(Unauthenticated, match="does not match"):
        world.oidc_sign_in()


def test_accounts_with_two_factor_get_a_challenge(world):
    """An OIDC sign-in does not skip 2FA: the account's challenge comes back instead of tokens."""
    world.with_two_factor("ada@example.com")
    result = world.oidc_sign_in()
    assert isinstance(result, SecondFactorRequired)


def test_disabled_accounts_cannot_sign_in(world):
    """A disabled account linked to the identity is refused with 403."""
    first = world.oidc_sign_in()
    assert isinstance(first, LoginResult)
    with world.uow() as uow:
        uow.users.update(uow.users.get(first.user.id).disabled())
        uow.commit()
    with pytest.raises(Forbidden, match="disabled"):
        world.oidc_sign_in()


def test_an_oidc_only_account_has_no_password_to_guess(world):
    """Password logins of an account made by OIDC fail like a wrong password."""
    world.oidc_sign_in()
    with pytest.raises(Unauthenticated):
        world.login()(LogIn(email="ada@example.com", password=PASSWORD))
