"""The JWT secret file (made once, private) and the keyed pseudonyms."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from jobraker_adapters.security.keys import (
    SECRET_BYTES,
    SECRET_FILE,
    HmacPseudonymizer,
    jwt_secret,
    load_or_create_secret,
)
from jobraker_adapters.settings import Settings
from jobraker_core.errors import ConfigurationError


def test_a_secret_is_made_once_and_kept_private(tmp_path):
    """The first call makes 64 random bytes in a 0600 file in a 0700 folder; later calls reuse."""
    path = tmp_path / "secrets" / "jwt.key"
    first = load_or_create_secret(path)
    assert len(first) == SECRET_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create_secret(path) == first
    assert load_or_create_secret(tmp_path / "other.key") != first


def test_settings_without_a_secret_use_the_data_directory(tmp_path):
    """With no ``JOBRAKER_JWT_SECRET`` the secret lives in ``<data_dir>/secrets/jwt.key``."""
    settings = Settings(data_dir=tmp_path)
    secret = jwt_secret(settings)
    assert (tmp_path / SECRET_FILE).is_file()
    assert jwt_secret(settings) == secret


def test_a_configured_secret_wins_and_must_be_long(tmp_path):
    """``JOBRAKER_JWT_SECRET`` is used as is (no file is made); under 32 bytes is refused."""
    env = {"JOBRAKER_DATA_DIR": str(tmp_path), "JOBRAKER_JWT_SECRET": "s" * 40}
    assert jwt_secret(Settings.from_env(env)) == b"s" * 40
    assert not (tmp_path / SECRET_FILE).exists()
    with pytest.raises(ConfigurationError, match="JOBRAKER_JWT_SECRET"):
        jwt_secret(Settings(data_dir=tmp_path, jwt_secret="short"))


@pytest.mark.parametrize("content", ["not hex at all", "abcd"])
def test_a_damaged_secret_file_is_a_configuration_error(tmp_path, content):
    """A file that is not hex, or too short, is reported, not silently replaced."""
    path: Path = tmp_path / "jwt.key"
    path.write_text(content)
    with pytest.raises(ConfigurationError):
        load_or_create_secret(path)


def test_the_secret_is_not_in_the_settings_repr():
    """Printing the settings never shows the secret."""
    assert "topsecret" not in repr(Settings(data_dir=Path("/x"), jwt_secret="topsecret" * 5))


def test_pseudonyms_are_stable_keyed_and_separated_by_purpose():
    """Same key and input: same pseudonym; another key or purpose: another one."""
    one = HmacPseudonymizer.from_secret(b"a" * 64)
    other = HmacPseudonymizer.from_secret(b"b" * 64)
    assert one.pseudonym("audit-ip", "203.0.113.7") == one.pseudonym("audit-ip", "203.0.113.7")
    assert one.pseudonym("audit-ip", "203.0.113.7") != other.pseudonym("audit-ip", "203.0.113.7")
    assert one.pseudonym("audit-ip", "x") != one.pseudonym("login-client", "x")
    assert len(one.pseudonym("audit-ip", "x")) == 32
    assert "secret" not in repr(one)
