"""argon2id hashing, the ASVS floor, rehash detection, and the shipped common-password list."""

from __future__ import annotations

import argon2
import pytest

from jobraker_adapters.security.passwords import (
    Argon2PasswordHasher,
    FileCommonPasswords,
    meets_asvs,
)
from jobraker_core.accounts.passwords import MIN_PASSWORD_LENGTH
from jobraker_core.errors import ConfigurationError

# The cheapest parameters the ASVS allows, so the tests stay fast.
CHEAP = {"time_cost": 3, "memory_cost": 12 * 1024, "parallelism": 1}


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    """A hasher at the ASVS minimum."""
    return Argon2PasswordHasher(**CHEAP)


def test_hashes_are_salted_argon2id_and_verify(hasher):
    """Hashing twice gives two argon2id hashes; both verify, a wrong password does not."""
    first, second = hasher.hash("correct horse"), hasher.hash("correct horse")
    assert first != second
    assert first.startswith("$argon2id$")
    assert hasher.verify(first, "correct horse")
    assert hasher.verify(second, "correct horse")
    assert not hasher.verify(first, "correct horsE")


@pytest.mark.parametrize("malformed", ["", "plain", "$argon2id$v=19$garbage", "fakehash$1$a$b"])
def test_malformed_hashes_never_verify(hasher, malformed):
    """A stored value that is no argon2 hash is a failed verification, not an error."""
    assert not hasher.verify(malformed, "anything")
    assert hasher.needs_rehash(malformed)


def test_hashes_with_other_parameters_need_a_rehash(hasher):
    """A hash made with weaker (or just different) parameters is flagged; our own is not."""
    legacy = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    old = legacy.hash("correct horse")
    assert hasher.verify(old, "correct horse")
    assert hasher.needs_rehash(old)
    assert not hasher.needs_rehash(hasher.hash("correct horse"))


def test_the_defaults_exceed_the_asvs_minimums():
    """argon2-cffi's defaults (t=3, m=64 MiB, p=4) meet the ASVS 5.0 floor."""
    assert meets_asvs(argon2.DEFAULT_TIME_COST, argon2.DEFAULT_MEMORY_COST, 1)
    assert argon2.DEFAULT_MEMORY_COST >= 46 * 1024


@pytest.mark.parametrize(
    ("time_cost", "memory_cost", "ok"),
    [
        (1, 46 * 1024, True),
        (1, 45 * 1024, False),
        (2, 19 * 1024, True),
        (2, 18 * 1024, False),
        (3, 12 * 1024, True),
        (5, 11 * 1024, False),
    ],
)
def test_the_asvs_floor(time_cost, memory_cost, ok):
    """The three ASVS 5.0 (time, memory) minimums, and just below each."""
    assert meets_asvs(time_cost, memory_cost, 1) is ok


def test_parameters_below_the_floor_are_refused():
    """Configuring a weaker hasher is a ``ConfigurationError``."""
    with pytest.raises(ConfigurationError, match="ASVS"):
        Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def test_the_common_password_list_is_shipped_and_case_insensitive():
    """Hundreds of well-known passwords, matched whatever their case."""
    common = FileCommonPasswords()
    assert len(common) >= 500
    for password in ("password", "Password1", "QWERTY123", "iloveyou", "letmein1", "trustno1"):
        assert password in common
    assert "correct horse battery staple" not in common
    assert 42 not in common


def test_the_list_holds_passwords_long_enough_to_matter():
    """Most entries pass the length rule, so the list adds protection beyond it."""
    passwords = FileCommonPasswords.load()
    assert sum(len(p) >= MIN_PASSWORD_LENGTH for p in passwords) >= 300
