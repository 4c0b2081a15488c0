"""Two-factor sign-in on the fakes: enrol, confirm, log in with a code, recovery codes, disable."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from security_world import PASSWORD, SecurityWorld

from jobraker_adapters.security.secretbox import AesGcmSecretBox, Keyring
from jobraker_adapters.security.totp import PyOtpTotp
from jobraker_core.accounts.model import AuditKind
from jobraker_core.accounts.second_factor import SecondFactorRequired
from jobraker_core.accounts.twofactor import (
    CHALLENGE_PREFIX,
    MAX_CHALLENGE_ATTEMPTS,
    RECOVERY_ALPHABET,
    CompleteLogin,
    DisableTwoFactor,
    SecondFactorProof,
    hash_recovery_code,
    matching_step,
    new_recovery_codes,
    time_step,
    totp_binding,
)
from jobraker_core.accounts.use_cases import ChangePasswordCommand, LogIn, LoginResult
from jobraker_core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)

EMAIL = "ada@example.com"


@pytest.fixture
def world() -> SecurityWorld:
    """Fakes and the use cases over them."""
    return SecurityWorld()


def _password_step(world: SecurityWorld) -> SecondFactorRequired:
    result = world.login()(LogIn(email=EMAIL, password=PASSWORD, ip="203.0.113.7"))
    assert isinstance(result, SecondFactorRequired)
    return result


def _code_step(world: SecurityWorld, challenge: str, **proof: str) -> LoginResult:
    return world.complete()(
        CompleteLogin(challenge=challenge, proof=SecondFactorProof(**proof), ip="203.0.113.7")
    )


# ----------------------------------------------------------------------------- enrolment


def test_enrolment_hands_out_the_seed_once_and_stores_it_sealed(world):
    """The seed comes back with its otpauth URI; storage holds only a seal bound to the user."""
    user = world.user(EMAIL)
    setup = world.enrol()(user.principal("t"))
    assert re.fullmatch(r"[A-Z2-7]{32}", setup.secret)
    assert setup.otpauth_uri.startswith("otpauth://totp/Jobraker:ada%40example.com?")
    assert f"secret={setup.secret}" in setup.otpauth_uri
    assert "issuer=Jobraker" in setup.otpauth_uri
    stored = world.uow.store.security.enrolments[user.id]
    assert setup.secret.encode() not in stored.sealed_secret
    assert world.box.open(stored.sealed_secret, totp_binding(user.id)) == setup.secret.encode()
    assert not stored.active
    assert "secret" not in repr(setup) or setup.secret not in repr(setup)
    assert world.events(AuditKind.TWO_FACTOR_ENROLMENT_STARTED)


def test_a_pending_enrolment_does_not_ask_for_codes_at_login(world):
    """Until confirmed, logging in still answers tokens."""
    user = world.user(EMAIL)
    world.enrol()(user.principal("t"))
    assert isinstance(world.login()(LogIn(email=EMAIL, password=PASSWORD)), LoginResult)
    status = world.status()(user.principal("t"))
    assert (status.enabled, status.pending) == (False, True)


def test_confirming_with_a_wrong_code_is_refused_and_audited(world):
    """A wrong code leaves 2FA off, says which field, and is recorded."""
    user = world.user(EMAIL)
    world.enrol()(user.principal("t"))
    with pytest.raises(InvalidInput) as refused:
        world.confirm()(user.principal("t"), "000000")
    assert refused.value.field == "code"
    assert not world.status()(user.principal("t")).enabled
    assert world.events(AuditKind.TWO_FACTOR_FAILED)


def test_confirming_switches_it_on_and_answers_recovery_codes_stored_as_digests(world):
    """A right code turns 2FA on and answers ten distinct codes; only digests are stored."""
    user, _, codes = world.with_two_factor(EMAIL)
    assert len(set(codes.codes)) == 10
    stored = {c.code_hash for c in world.uow.store.security.recovery_codes.values()}
    assert stored == {hash_recovery_code(user.id, code) for code in codes.codes}
    assert not any(code in stored for code in codes.codes)
    status = world.status()(user.principal("t"))
    assert (status.enabled, status.pending, status.recovery_codes_left) == (True, False, 10)
    assert world.events(AuditKind.TWO_FACTOR_ENABLED)


def test_confirming_without_an_enrolment_or_twice_is_refused(world):
    """No pending enrolment is 404; confirming an active one is 409; so is enrolling again."""
    user = world.user(EMAIL)
    with pytest.raises(NotFound):
        world.confirm()(user.principal("t"), "123456")
    _, secret, _ = world.with_two_factor("bob@example.com")
    bob = world.uow.store.users
    bob_user = next(u for u in bob.values() if u.email == "bob@example.com")
    with pytest.raises(Conflict):
        world.confirm()(bob_user.principal("t"), world.code(secret))
    with pytest.raises(Conflict):
        world.enrol()(bob_user.principal("t"))


# ----------------------------------------------------------------------------- login


def test_login_with_two_factor_answers_a_challenge_then_tokens(world):
    """The password step answers a challenge (no session yet); a code completes the login."""
    user, secret, _ = world.with_two_factor(EMAIL)
    required = _password_step(world)
    assert required.challenge.startswith(CHALLENGE_PREFIX)
    assert required.expires_at == world.clock.now() + timedelta(minutes=5)
    assert not world.uow.store.refresh_families
    assert world.uow.store.users[user.id].last_login_at is None
    result = _code_step(world, required.challenge, code=world.code(secret))
    assert result.user.id == user.id
    assert world.tokens.verify(result.tokens.access_token, world.clock.now()).user_id == user.id
    success = world.events(AuditKind.LOGIN_SUCCEEDED)[-1]
    assert success.detail("second_factor") == "totp"
    assert world.events(AuditKind.TWO_FACTOR_CHALLENGED)


@pytest.mark.parametrize(("offset", "accepted"), [(0, True), (1, True), (2, False), (-1, False)])
def test_only_the_current_and_previous_step_are_accepted(world, offset, accepted):
    """Codes of step t and t-1 work; t-2 (too old) and t+1 (from the future) do not."""
    _, secret, _ = world.with_two_factor(EMAIL)
    required = _password_step(world)
    code = world.code(secret, steps_back=offset)
    if accepted:
        assert _code_step(world, required.challenge, code=code).tokens
    else:
        with pytest.raises(Unauthenticated):
            _code_step(world, required.challenge, code=code)


def test_a_code_works_once(world):
    """The same code cannot complete a second login, nor can an older one after it."""
    _, secret, _ = world.with_two_factor(EMAIL)
    current, previous = world.code(secret), world.code(secret, steps_back=1)
    _code_step(world, _password_step(world).challenge, code=current)
    with pytest.raises(Unauthenticated, match="already used"):
        _code_step(world, _password_step(world).challenge, code=current)
    with pytest.raises(Unauthenticated):
        _code_step(world, _password_step(world).challenge, code=previous)
    world.clock.advance(seconds=30)
    assert _code_step(world, _password_step(world).challenge, code=world.code(secret)).tokens


def test_a_recovery_code_works_once_whatever_its_case_and_dashes(world):
    """A recovery code logs in once (typed loosely); its use is audited with the codes left."""
    _, _, codes = world.with_two_factor(EMAIL)
    loose = codes.codes[0].upper().replace("-", " ")
    result = _code_step(world, _password_step(world).challenge, recovery_code=loose)
    assert result.tokens
    used = world.events(AuditKind.RECOVERY_CODE_USED)
    assert used[-1].detail("left") == "9"
    with pytest.raises(Unauthenticated):
        _code_step(world, _password_step(world).challenge, recovery_code=codes.codes[0])


def test_a_challenge_works_once_and_expires(world):
    """A used challenge is refused; an unused one dies after five minutes."""
    _, secret, _ = world.with_two_factor(EMAIL)
    challenge = _password_step(world).challenge
    _code_step(world, challenge, code=world.code(secret))
    world.clock.advance(seconds=30)
    with pytest.raises(Unauthenticated, match="challenge"):
        _code_step(world, challenge, code=world.code(secret))
    stale = _password_step(world).challenge
    world.clock.advance(minutes=5, seconds=1)
    with pytest.raises(Unauthenticated, match="challenge"):
        _code_step(world, stale, code=world.code(secret))


def test_garbage_challenges_are_refused(world):
    """Challenges that were never issued, or lack the prefix, are 401."""
    world.with_two_factor(EMAIL)
    for challenge in ("", "jrr_not-a-challenge", CHALLENGE_PREFIX + "unknown"):
        with pytest.raises(Unauthenticated):
            _code_step(world, challenge, code="123456")


def test_wrong_codes_kill_the_challenge_and_lock_the_account(world):
    """Five wrong codes exhaust the challenge and lock code checks for the account (429)."""
    _, secret, _ = world.with_two_factor(EMAIL)
    challenge = _password_step(world).challenge
    for _ in range(MAX_CHALLENGE_ATTEMPTS):
        with pytest.raises(Unauthenticated):
            _code_step(world, challenge, code="000000")
    with pytest.raises((Unauthenticated, TooManyRequests)):
        _code_step(world, challenge, code=world.code(secret))
    fresh = _password_step(world).challenge
    with pytest.raises(TooManyRequests):
        _code_step(world, fresh, code=world.code(secret))
    assert len(world.events(AuditKind.TWO_FACTOR_FAILED)) == MAX_CHALLENGE_ATTEMPTS
    world.clock.advance(minutes=16)
    assert _code_step(world, _password_step(world).challenge, code=world.code(secret)).tokens


def test_a_password_change_voids_open_challenges(world):
    """A challenge issued before the password changed no longer works."""
    user, secret, _ = world.with_two_factor(EMAIL)
    challenge = _password_step(world).challenge
    world.change_password()(
        user.principal("t"),
        ChangePasswordCommand(current_password=PASSWORD, new_password="another long passphrase"),
    )
    with pytest.raises(Unauthenticated, match="challenge"):
        _code_step(world, challenge, code=world.code(secret))


# ----------------------------------------------------------------------------- disable


def test_disabling_needs_the_password_and_a_code(world):
    """A wrong password or a wrong code keeps 2FA on; both right turn it off."""
    user, secret, _ = world.with_two_factor(EMAIL)
    principal = user.principal("t")
    disable = world.disable()
    with pytest.raises(InvalidInput) as wrong_password:
        disable(principal, DisableTwoFactor("wrong password!", SecondFactorProof(code="1")))
    assert wrong_password.value.field == "password"
    with pytest.raises(InvalidInput) as wrong_code:
        disable(principal, DisableTwoFactor(PASSWORD, SecondFactorProof(code="000000")))
    assert wrong_code.value.field == "code"
    assert world.status()(principal).enabled
    disable(principal, DisableTwoFactor(PASSWORD, SecondFactorProof(code=world.code(secret))))
    status = world.status()(principal)
    assert (status.enabled, status.pending, status.recovery_codes_left) == (False, False, 0)
    assert not world.uow.store.security.recovery_codes
    assert world.events(AuditKind.TWO_FACTOR_DISABLED)
    assert isinstance(world.login()(LogIn(email=EMAIL, password=PASSWORD)), LoginResult)


def test_disabling_when_off_is_not_found(world):
    """There is nothing to disable without an active enrolment."""
    user = world.user(EMAIL)
    with pytest.raises(NotFound):
        world.disable()(
            user.principal("t"), DisableTwoFactor(PASSWORD, SecondFactorProof(code="1"))
        )


def test_regenerating_recovery_codes_voids_the_old_ones(world):
    """New codes need a TOTP code; the old codes stop working."""
    user, secret, old = world.with_two_factor(EMAIL)
    new = world.regenerate()(user.principal("t"), world.code(secret))
    assert set(new.codes).isdisjoint(old.codes)
    with pytest.raises(Unauthenticated):
        _code_step(world, _password_step(world).challenge, recovery_code=old.codes[0])
    assert _code_step(world, _password_step(world).challenge, recovery_code=new.codes[0]).tokens


def test_a_proof_is_a_code_or_a_recovery_code():
    """Both or neither is refused."""
    with pytest.raises(InvalidInput):
        SecondFactorProof()
    with pytest.raises(InvalidInput):
        SecondFactorProof(code="123456", recovery_code="abcd-efgh-ijkm-npqr")


# ----------------------------------------------------------------------------- rotation


def test_rotation_reseals_every_seed_under_the_current_key(world):
    """After a new key is made current, rotation re-seals old seeds; the old key can then go."""
    user, secret, _ = world.with_two_factor(EMAIL)
    old_key = world.keyring.current
    world.keyring = world.keyring.with_new_current("k-new")
    report = world.rotate()()
    assert (report.checked, report.resealed, report.key_id) == (1, 1, "k-new")
    sealed = world.uow.store.security.enrolments[user.id].sealed_secret
    only_new = AesGcmSecretBox(Keyring("k-new", {"k-new": world.keyring.keys["k-new"]}))
    assert only_new.open(sealed, totp_binding(user.id)) == secret.encode()
    assert only_new.key_id_of(sealed) != old_key
    assert world.rotate()().resealed == 0
    assert world.events(AuditKind.SECRETS_ROTATED)


# ----------------------------------------------------------------------------- pure parts


def test_recovery_codes_look_as_documented():
    """Four dash-separated groups of four characters from the unambiguous alphabet."""
    for code in new_recovery_codes(50):
        assert re.fullmatch(rf"[{RECOVERY_ALPHABET}]{{4}}(-[{RECOVERY_ALPHABET}]{{4}}){{3}}", code)


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001 - likewise; timezones= makes them UTC
        timezones=st.just(UTC),
    ),
    offset=st.integers(min_value=-3, max_value=3),
)
def test_exactly_the_current_and_previous_steps_match(moment, offset):
    """For any time, the code of step t+offset matches iff offset is 0 or -1."""
    totp = PyOtpTotp()
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    step = time_step(moment) + offset
    found = matching_step(totp, secret, totp.code(secret, step), moment)
    if offset in {0, -1}:
        assert found == step
    else:
        assert found is None or found != step
