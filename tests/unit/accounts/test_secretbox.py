"""Secrets at rest: AES-256-GCM sealing bound to a row, keyrings, key files and rotation."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_adapters.security.secretbox import (
    KEY_BYTES,
    KEYRING_FILE,
    AesGcmSecretBox,
    Keyring,
    add_file_key,
    decode_key,
    load_or_create_keyring,
    secret_keyring,
)
from jobraker_adapters.settings import Settings
from jobraker_core.accounts.twofactor import SecretBinding
from jobraker_core.errors import ConfigurationError, SecretUnreadable

BINDING = SecretBinding("two_factor_enrolments", "totp_secret", "row-a")
SECRET = b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_a_sealed_value_opens_for_its_row_and_hides_the_plaintext():
    """Sealing answers bytes without the plaintext; opening with the same binding gives it back."""
    box = AesGcmSecretBox(Keyring.generate("k1"))
    sealed = box.seal(SECRET, BINDING)
    assert SECRET not in sealed
    assert box.open(sealed, BINDING) == SECRET
    assert box.key_id_of(sealed) == "k1"


def test_sealing_twice_gives_different_ciphertexts():
    """Every seal has a fresh nonce, so equal secrets do not look equal at rest."""
    box = AesGcmSecretBox(Keyring.generate())
    assert box.seal(SECRET, BINDING) != box.seal(SECRET, BINDING)


@pytest.mark.parametrize(
    "other",
    [
        SecretBinding("two_factor_enrolments", "totp_secret", "row-b"),
        SecretBinding("two_factor_enrolments", "other_column", "row-a"),
        SecretBinding("other_table", "totp_secret", "row-a"),
    ],
    ids=["another-row", "another-column", "another-table"],
)
def test_a_value_moved_elsewhere_does_not_open(other):
    """The associated data binds table, column and row: a copy elsewhere is refused."""
    box = AesGcmSecretBox(Keyring.generate())
    with pytest.raises(SecretUnreadable):
        box.open(box.seal(SECRET, BINDING), other)


def test_every_changed_byte_is_detected():
    """Flipping any single byte of a sealed value (header, nonce, ciphertext, tag) is refused."""
    box = AesGcmSecretBox(Keyring.generate("k1"))
    sealed = box.seal(SECRET, BINDING)
    for position in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(SecretUnreadable):
            box.open(bytes(tampered), BINDING)


@given(st.binary(max_size=80))
def test_garbage_never_opens_and_never_crashes(garbage):
    """Arbitrary bytes are ``SecretUnreadable``, never another exception or a plaintext."""
    box = AesGcmSecretBox(Keyring("k1", {"k1": b"\x01" * 32}))
    with pytest.raises(SecretUnreadable):
        box.open(garbage, BINDING)


def test_an_unknown_key_id_is_refused():
    """A value sealed under a key that left the keyring cannot be opened (no guessing)."""
    sealed = AesGcmSecretBox(Keyring.generate("old")).seal(SECRET, BINDING)
    with pytest.raises(SecretUnreadable, match="no longer configured"):
        AesGcmSecretBox(Keyring.generate("new")).open(sealed, BINDING)


def test_old_keys_open_and_the_current_key_seals():
    """After a new key is made current, old values still open and new ones use the new key."""
    old = Keyring.generate("k1")
    sealed_before = AesGcmSecretBox(old).seal(SECRET, BINDING)
    rotated = AesGcmSecretBox(old.with_new_current("k2"))
    assert rotated.current_key_id == "k2"
    assert rotated.open(sealed_before, BINDING) == SECRET
    assert rotated.key_id_of(rotated.seal(SECRET, BINDING)) == "k2"


def test_keyrings_refuse_bad_keys():
    """Keys must be 32 bytes with a tidy id, and the current key must be in the ring."""
    with pytest.raises(ConfigurationError, match="32 bytes"):
        Keyring("k1", {"k1": b"short"})
    with pytest.raises(ConfigurationError, match="not in the keyring"):
        Keyring("k2", {"k1": b"\x00" * 32})
    with pytest.raises(ConfigurationError, match="letters, digits"):
        Keyring("bad id", {"bad id": b"\x00" * 32})
    with pytest.raises(ConfigurationError, match="already has"):
        Keyring.generate("k1").with_new_current("k1")


def test_keys_decode_from_standard_and_url_safe_base64():
    """Both base64 alphabets are accepted, with or without padding; wrong sizes are refused."""
    key = bytes(range(32))
    assert decode_key("k", base64.b64encode(key).decode()) == key
    assert decode_key("k", base64.urlsafe_b64encode(key).decode().rstrip("=")) == key
    with pytest.raises(ConfigurationError, match="32 bytes"):
        decode_key("k", base64.b64encode(b"x" * 16).decode())
    with pytest.raises(ConfigurationError, match="base64"):
        decode_key("k", "not base64!")


def test_a_keyring_file_is_made_once_and_kept_private(tmp_path):
    """Without configured keys, one key is made in a 0600 file in a 0700 folder, then reused."""
    path = tmp_path / "secrets" / "secret-keys.json"
    first = load_or_create_keyring(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create_keyring(path) == first
    assert len(first.keys[first.current]) == KEY_BYTES


def test_adding_a_file_key_makes_it_current_and_keeps_the_old(tmp_path):
    """``add_file_key`` appends a fresh current key; the old one stays to open old values."""
    settings = Settings(data_dir=tmp_path)
    before = secret_keyring(settings)
    sealed = AesGcmSecretBox(before).seal(SECRET, BINDING)
    new_id = add_file_key(settings)
    after = secret_keyring(settings)
    assert after.current == new_id != before.current
    assert set(after.keys) == {before.current, new_id}
    assert AesGcmSecretBox(after).open(sealed, BINDING) == SECRET
    assert stat.S_IMODE((tmp_path / KEYRING_FILE).stat().st_mode) == 0o600


def test_keys_from_the_environment_win_over_the_file(tmp_path):
    """``JOBRAKER_SECRET_KEYS`` and ``JOBRAKER_SECRET_KEY_ID`` make the keyring; no file is made."""
    env = {
        "JOBRAKER_SECRET_KEYS": json.dumps({"a": _b64(b"\x01" * 32), "b": _b64(b"\x02" * 32)}),
        "JOBRAKER_SECRET_KEY_ID": "b",
    }
    settings = Settings.from_env(env, data_dir=tmp_path)
    keyring = secret_keyring(settings)
    assert keyring.current == "b"
    assert set(keyring.keys) == {"a", "b"}
    assert not (tmp_path / KEYRING_FILE).exists()
    with pytest.raises(ConfigurationError, match="JOBRAKER_SECRET_KEYS"):
        add_file_key(settings)


def test_misconfigured_key_settings_are_refused(tmp_path):
    """Several keys without a current id, an id without keys, and non-JSON keys are refused."""
    two = json.dumps({"a": _b64(b"\x01" * 32), "b": _b64(b"\x02" * 32)})
    with pytest.raises(ConfigurationError, match="JOBRAKER_SECRET_KEY_ID"):
        secret_keyring(Settings.from_env({"JOBRAKER_SECRET_KEYS": two}, data_dir=tmp_path))
    with pytest.raises(ConfigurationError, match="JOBRAKER_SECRET_KEYS is not"):
        secret_keyring(Settings.from_env({"JOBRAKER_SECRET_KEY_ID": "a"}, data_dir=tmp_path))
    with pytest.raises(ConfigurationError, match="JSON object"):
        Settings.from_env({"JOBRAKER_SECRET_KEYS": "[1, 2]"}, data_dir=tmp_path)


def test_settings_never_show_the_keys():
    """The keys are kept out of the settings' repr (which may be logged)."""
    settings = Settings(data_dir=Path("/x"), secret_keys=(("a", "k3y-material"),))
    assert "k3y-material" not in repr(settings)
