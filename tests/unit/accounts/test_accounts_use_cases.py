"""Authentication use cases on the in-memory fakes: register, login, refresh, logout, passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts_world import ACCESS, PASSWORD, REFRESH, AccountsWorld

from jobraker_core.accounts.admin import UserChange
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import AuditKind, UserStatus
from jobraker_core.accounts.use_cases import (
    BAD_CREDENTIALS,
    ChangePasswordCommand,
    LogIn,
    RefreshTokens,
    RegisterUser,
)
from jobraker_core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    TooManyRequests,
    Unauthenticated,
)

NEW_PASSWORD = "another long passphrase"


def _disable(user_id):
    return UserChange(user_id=user_id, status=UserStatus.DISABLED)


def _role(user_id, role):
    return UserChange(user_id=user_id, role=role)


@pytest.fixture
def world() -> AccountsWorld:
    """Fresh fakes."""
    return AccountsWorld()


# ----------------------------------------------------------------------------- register


def test_register_stores_a_normalised_user_with_a_hash(world):
    """The email is normalised, the role is user, and only a hash of the password is kept."""
    user = world.register()(RegisterUser(email=" Ada@Example.com", password=PASSWORD))
    stored = world.stored(user)
    assert stored.email == "ada@example.com"
    assert stored.role is Role.USER
    assert stored.status is UserStatus.ACTIVE
    assert stored.password_hash is not None
    assert PASSWORD not in stored.password_hash
    assert world.hasher.verify(stored.password_hash, PASSWORD)
    [event] = world.events(AuditKind.REGISTERED)
    assert event.subject_id == user.id


def test_an_email_is_registered_once_whatever_its_case(world):
    """Registering the same address again, in another case, is a ``Conflict``."""
    world.register()(RegisterUser(email="ada@example.com", password=PASSWORD))
    with pytest.raises(Conflict, match="already exists"):
        world.register()(RegisterUser(email="ADA@example.com", password=PASSWORD))


def test_register_enforces_the_policy(world):
    """A common password is refused and nothing is stored."""
    with pytest.raises(InvalidInput, match="commonly used"):
        world.register()(RegisterUser(email="ada@example.com", password="password1"))
    assert world.uow.store.users == {}


# ----------------------------------------------------------------------------- login


def test_login_hands_out_a_working_token_pair(world):
    """The access token authenticates the user; the login is recorded."""
    result = world.logged_in()
    caller = world.authenticate()(result.tokens.access_token)
    assert caller.principal.user_id == result.user.id
    assert caller.principal.role is Role.USER
    assert result.tokens.expires_in == int(ACCESS.total_seconds())
    assert result.tokens.refresh_expires_at == world.clock.now() + REFRESH
    assert world.stored(result.user).last_login_at == world.clock.now()


def test_a_login_is_audited_with_a_pseudonymous_address(world):
    """The success event names the user by id and the address by a pseudonym only."""
    result = world.logged_in(ip="203.0.113.7")
    [event] = world.events(AuditKind.LOGIN_SUCCEEDED)
    assert event.subject_id == event.actor_id == result.user.id
    assert event.ip is not None
    assert "203.0.113" not in event.ip
    assert "ada@example.com" not in repr(event)  # not "ada": random hex ids may hold it


def test_unknown_email_and_wrong_password_fail_alike(world):
    """Both are ``Unauthenticated`` with the same message, and both verify one hash."""
    world.user()
    before = world.hasher.verified
    with pytest.raises(Unauthenticated) as wrong:
        world.login()(LogIn(email="ada@example.com", password="not the password"))
    after_wrong = world.hasher.verified
    with pytest.raises(Unauthenticated) as unknown:
        world.login()(LogIn(email="bob@example.com", password="not the password"))
    assert wrong.value.message == unknown.value.message == BAD_CREDENTIALS
    assert after_wrong - before == world.hasher.verified - after_wrong == 1
    reasons = [e.detail("reason") for e in world.events(AuditKind.LOGIN_FAILED)]
    assert reasons == ["bad_password", "unknown_account"]


def test_a_malformed_email_fails_like_a_wrong_password(world):
    """A login with something that is not an email is the same ``Unauthenticated``."""
    with pytest.raises(Unauthenticated, match=BAD_CREDENTIALS):
        world.login()(LogIn(email="not an email", password=PASSWORD))


def test_an_account_is_locked_after_five_failures(world):
    """The sixth attempt is refused with a wait, even with the right password."""
    world.user()
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            world.login()(LogIn(email="ada@example.com", password="wrong password"))
    with pytest.raises(TooManyRequests) as locked:
        world.login()(LogIn(email="ada@example.com", password=PASSWORD))
    assert locked.value.retry_after == pytest.approx(15 * 60)
    assert len(world.events(AuditKind.LOGIN_THROTTLED)) == 1
    world.clock.advance(minutes=15)
    assert world.login()(LogIn(email="ada@example.com", password=PASSWORD)).tokens


def test_unknown_emails_lock_out_the_same_way(world):
    """Failures on an address without an account count too, so locks reveal nothing."""
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            world.login()(LogIn(email="ghost@example.com", password="wrong password"))
    with pytest.raises(TooManyRequests):
        world.login()(LogIn(email="ghost@example.com", password="wrong password"))


def test_a_client_is_locked_after_twenty_failures_across_accounts(world):
    """One address failing on many accounts is locked, while other addresses are not."""
    for i in range(20):
        with pytest.raises(Unauthenticated):
            world.login()(LogIn(email=f"u{i}@example.com", password="wrong password", ip="1.2.3.4"))
    world.user()
    with pytest.raises(TooManyRequests):
        world.login()(LogIn(email="ada@example.com", password=PASSWORD, ip="1.2.3.4"))
    assert world.login()(LogIn(email="ada@example.com", password=PASSWORD, ip="5.6.7.8")).tokens


def test_a_success_clears_the_account_failures(world):
    """Four failures, a success, four failures: never locked."""
    world.user()
    for _ in range(2):
        for _ in range(4):
            with pytest.raises(Unauthenticated):
                world.login()(LogIn(email="ada@example.com", password="wrong password"))
        world.login()(LogIn(email="ada@example.com", password=PASSWORD))


def test_a_disabled_account_is_told_only_with_the_right_password(world):
    """Wrong password: the usual 401; right password: ``Forbidden``."""
    admin = world.user("root@example.com", Role.ADMIN)
    user = world.user()
    world.update_user()(admin.principal("t"), _disable(user.id))
    with pytest.raises(Unauthenticated):
        world.login()(LogIn(email="ada@example.com", password="wrong password"))
    with pytest.raises(Forbidden, match="disabled"):
        world.login()(LogIn(email="ada@example.com", password=PASSWORD))


def test_a_hash_with_old_parameters_is_replaced_at_login(world):
    """When the hasher's parameters change, the next login rehashes, keeping the tokens valid."""
    user = world.user()
    old_hash = world.stored(user).password_hash
    world.hasher.version = 2
    world.login()(LogIn(email="ada@example.com", password=PASSWORD))
    new_hash = world.stored(user).password_hash
    assert new_hash != old_hash
    assert not world.hasher.needs_rehash(new_hash)
    assert world.stored(user).token_version == 0
    assert len(world.events(AuditKind.PASSWORD_REHASHED)) == 1


# ----------------------------------------------------------------------------- refresh


def test_refresh_rotates_the_token(world):
    """A refresh answers a new pair; the new access token works."""
    first = world.logged_in().tokens
    second = world.refresh()(RefreshTokens(first.refresh_token))
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert world.authenticate()(second.access_token)
    third = world.refresh()(RefreshTokens(second.refresh_token))
    assert world.authenticate()(third.access_token)


def test_reusing_a_refresh_token_revokes_the_whole_family(world):
    """Presenting a consumed token: 401, and every token of its session dies with it."""
    first = world.logged_in().tokens
    second = world.refresh()(RefreshTokens(first.refresh_token))
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(first.refresh_token))
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(second.refresh_token))
    for access in (first.access_token, second.access_token):
        with pytest.raises(Unauthenticated):
            world.authenticate()(access)
    [event] = world.events(AuditKind.TOKEN_REUSE_DETECTED)
    assert event.detail("session") is not None


def test_reuse_spares_the_other_sessions(world):
    """Only the reused token's family is revoked; another login of the same user survives."""
    phone = world.logged_in().tokens
    laptop = world.login()(LogIn(email="ada@example.com", password=PASSWORD)).tokens
    world.refresh()(RefreshTokens(phone.refresh_token))
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(phone.refresh_token))
    assert world.refresh()(RefreshTokens(laptop.refresh_token))


@pytest.mark.parametrize("token", ["", "jrr_unknown", "not-a-refresh-token", "eyJhbGciOi.x.y"])
def test_unknown_refresh_tokens_are_refused(world, token):
    """Anything but a live stored refresh token is ``Unauthenticated``."""
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(token))


def test_an_expired_refresh_token_is_refused(world):
    """After its lifetime a refresh token no longer works."""
    tokens = world.logged_in().tokens
    world.clock.advance(days=30)
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(tokens.refresh_token))


def test_a_disabled_user_cannot_refresh(world):
    """Disabling revokes the user's refresh tokens."""
    admin = world.user("root@example.com", Role.ADMIN)
    result = world.logged_in()
    world.update_user()(admin.principal("t"), _disable(result.user.id))
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(result.tokens.refresh_token))


# ----------------------------------------------------------------------------- authenticate


def test_an_access_token_expires(world):
    """An access token stops working at the end of its lifetime."""
    tokens = world.logged_in().tokens
    world.clock.advance(seconds=ACCESS.total_seconds() - 1)
    assert world.authenticate()(tokens.access_token)
    world.clock.advance(seconds=1)
    with pytest.raises(Unauthenticated):
        world.authenticate()(tokens.access_token)


def test_the_principal_carries_the_current_role(world):
    """A promotion takes effect on the next request, without a new token."""
    admin = world.user("root@example.com", Role.ADMIN)
    result = world.logged_in()
    world.update_user()(admin.principal("t"), _role(result.user.id, Role.ADMIN))
    assert world.authenticate()(result.tokens.access_token).principal.is_admin


def test_a_token_of_a_vanished_user_is_refused(world):
    """When the account no longer exists its token is ``Unauthenticated``."""
    result = world.logged_in()
    del world.uow.store.users[result.user.id]
    with pytest.raises(Unauthenticated):
        world.authenticate()(result.tokens.access_token)


def test_the_stored_token_version_is_checked_without_the_revocation_list(world):
    """Even if the revocation list forgot (Redis flushed), an old version is refused."""
    result = world.logged_in()
    world.logout_everywhere()(result.user.principal("t"))
    world.revocations.users.clear()
    with pytest.raises(Unauthenticated):
        world.authenticate()(result.tokens.access_token)


# ----------------------------------------------------------------------------- logout


def test_logout_revokes_the_access_token_and_its_session(world):
    """After logout neither the access token nor the refresh token works; others do."""
    mine = world.logged_in().tokens
    other = world.login()(LogIn(email="ada@example.com", password=PASSWORD)).tokens
    caller = world.authenticate()(mine.access_token)
    world.logout()(caller.claims)
    with pytest.raises(Unauthenticated):
        world.authenticate()(mine.access_token)
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(mine.refresh_token))
    assert world.authenticate()(other.access_token)
    assert len(world.events(AuditKind.LOGGED_OUT)) == 1


def test_logout_everywhere_revokes_every_session(world):
    """Every access and refresh token of the user dies; a new login works."""
    first = world.logged_in().tokens
    second = world.login()(LogIn(email="ada@example.com", password=PASSWORD)).tokens
    world.logout_everywhere()(world.authenticate()(first.access_token).principal)
    for tokens in (first, second):
        with pytest.raises(Unauthenticated):
            world.authenticate()(tokens.access_token)
        with pytest.raises(Unauthenticated):
            world.refresh()(RefreshTokens(tokens.refresh_token))
    fresh = world.login()(LogIn(email="ada@example.com", password=PASSWORD)).tokens
    assert world.authenticate()(fresh.access_token)
    assert len(world.events(AuditKind.LOGGED_OUT_EVERYWHERE)) == 1


# ----------------------------------------------------------------------------- password change


def test_changing_the_password_revokes_every_older_token(world):
    """Old tokens die, the answer's tokens work, and only the new password logs in."""
    result = world.logged_in()
    principal = world.authenticate()(result.tokens.access_token).principal
    fresh = world.change_password()(principal, ChangePasswordCommand(PASSWORD, NEW_PASSWORD))
    with pytest.raises(Unauthenticated):
        world.authenticate()(result.tokens.access_token)
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(result.tokens.refresh_token))
    assert world.authenticate()(fresh.access_token)
    with pytest.raises(Unauthenticated):
        world.login()(LogIn(email="ada@example.com", password=PASSWORD))
    assert world.login()(LogIn(email="ada@example.com", password=NEW_PASSWORD))
    assert len(world.events(AuditKind.PASSWORD_CHANGED)) == 1


def test_a_wrong_current_password_is_refused_and_counted(world):
    """A wrong current password is ``InvalidInput``; five of them lock the account."""
    result = world.logged_in()
    principal = result.user.principal("t")
    for _ in range(5):
        with pytest.raises(InvalidInput) as refused:
            world.change_password()(principal, ChangePasswordCommand("guess guess", NEW_PASSWORD))
        assert refused.value.field == "current_password"
    with pytest.raises(TooManyRequests):
        world.change_password()(principal, ChangePasswordCommand(PASSWORD, NEW_PASSWORD))


@pytest.mark.parametrize(
    ("new", "message"),
    [("short", "at least 8"), ("password1", "commonly used"), (PASSWORD, "differ")],
)
def test_the_new_password_follows_the_policy(world, new, message):
    """The new password must pass the policy and differ from the current one."""
    result = world.logged_in()
    with pytest.raises(InvalidInput, match=message) as refused:
        world.change_password()(result.user.principal("t"), ChangePasswordCommand(PASSWORD, new))
    assert refused.value.field == "new_password"
    assert world.stored(result.user).token_version == 0


def test_time_moves_the_refresh_expiry(world):
    """A rotated refresh token lives a full lifetime from its rotation."""
    first = world.logged_in().tokens
    world.clock.advance(days=29)
    second = world.refresh()(RefreshTokens(first.refresh_token))
    assert second.refresh_expires_at == world.clock.now() + REFRESH
    world.clock.advance(days=29)
    assert world.refresh()(RefreshTokens(second.refresh_token))
    assert timedelta(days=29) < REFRESH
