"""The accounts model: email normalisation, user transitions, refresh-token format, the policy."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_adapters.memory import InMemoryCommonPasswords
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import (
    REFRESH_TOKEN_PREFIX,
    User,
    UserStatus,
    hash_refresh_token,
    new_refresh_token,
    normalise_email,
)
from jobraker_core.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
)
from jobraker_core.errors import InvalidInput

T0 = datetime(2026, 1, 15, tzinfo=UTC)
COMMON = InMemoryCommonPasswords()


def _user() -> User:
    return User(
        id=uuid.uuid4(),
        email="ada@example.com",
        role=Role.USER,
        status=UserStatus.ACTIVE,
        password_hash="h",
        created_at=T0,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"),
        ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
        ("o'neil@example.ie", "o'neil@example.ie"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw, expected):
    """A valid address is stored trimmed and in lower case."""
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada@exa mple.com",
        "a da@example.com",
        ".ada@example.com",
        "ada.@example.com",
        "a..da@example.com",
        "ada@-example.com",
        "ada@example.123",
        "ada@exämple.com",
        "x" * 250 + "@example.com",
    ],
)
def test_malformed_emails_are_refused(raw):
    """Something that is not a plausible address is ``InvalidInput`` on ``email``."""
    with pytest.raises(InvalidInput) as refused:
        normalise_email(raw)
    assert refused.value.field == "email"


@given(st.emails())
def test_normalising_is_idempotent(email):
    """Normalising a normalised address changes nothing."""
    try:
        once = normalise_email(email)
    except InvalidInput:
        return  # hypothesis' RFC 5322 addresses include forms Jobraker refuses
    assert normalise_email(once) == once
    assert once == once.strip().lower()


def test_a_new_password_revokes_tokens_but_a_rehash_does_not():
    """A password change bumps the token version; a rehash of the same password does not."""
    user = _user()
    assert user.with_new_password("h2").token_version == 1
    assert user.with_password_hash("h2").token_version == 0


def test_disabling_revokes_once_and_enabling_keeps_it_revoked():
    """Disabling bumps the version once; enabling does not bring old tokens back."""
    disabled = _user().disabled()
    assert disabled.status is UserStatus.DISABLED
    assert disabled.token_version == 1
    assert disabled.disabled() == disabled
    enabled = disabled.enabled()
    assert enabled.is_active
    assert enabled.token_version == 1


def test_the_password_hash_is_not_in_the_repr():
    """A user's repr never shows its password hash."""
    assert "password_hash" not in repr(_user())


def test_refresh_tokens_are_random_and_stored_by_sha256():
    """Refresh tokens carry the prefix and 256 random bits; the digest is SHA-256 hex."""
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second
    assert first.startswith(REFRESH_TOKEN_PREFIX)
    assert len(first) >= len(REFRESH_TOKEN_PREFIX) + 43
    assert hash_refresh_token(first) == hashlib.sha256(first.encode()).hexdigest()


# ----------------------------------------------------------------------------- password policy


@pytest.mark.parametrize(
    "password",
    [
        "x7!kq9zm",  # exactly the minimum
        "correct horse battery staple",
        "ü" * 64,  # no cap below 64, any Unicode
        "p" * 63 + "!" * 65,  # exactly the maximum
        "  spaces count  ",
    ],
)
def test_the_policy_accepts_long_uncommon_passwords(password):
    """8 to 128 characters of anything, when not common and not the email."""
    check_password(password, email="ada@example.com", common=COMMON)


def test_too_short_and_too_long_passwords_are_refused_with_the_limits():
    """The message names the limit that was broken."""
    with pytest.raises(InvalidInput, match=f"at least {MIN_PASSWORD_LENGTH}") as short:
        check_password("x" * 7, email="ada@example.com", common=COMMON)
    with pytest.raises(InvalidInput, match=f"at most {MAX_PASSWORD_LENGTH}"):
        check_password("x" * 129, email="ada@example.com", common=COMMON)
    assert short.value.field == "password"


@pytest.mark.parametrize("password", ["password1", "PASSWORD1", "Password1"])
def test_common_passwords_are_refused_whatever_their_case(password):
    """A password on the common list is refused, compared case-insensitively."""
    with pytest.raises(InvalidInput, match="most commonly used"):
        check_password(password, email="ada@example.com", common=COMMON)


@pytest.mark.parametrize("password", ["ada.lovelace@example.com", "ADA.LOVELACE", "ada.lovelace"])
def test_the_email_or_its_local_part_is_refused(password):
    """The password may be neither the email nor the name before its ``@``."""
    with pytest.raises(InvalidInput, match="email"):
        check_password(password, email="ada.lovelace@example.com", common=COMMON)


def test_the_refused_field_can_be_named():
    """A caller checking a new password gets the error on its own field name."""
    with pytest.raises(InvalidInput) as refused:
        check_password("short", email="a@example.com", common=COMMON, field="new_password")
    assert refused.value.field == "new_password"
