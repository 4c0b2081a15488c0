"""Secrets at rest: AES-256-GCM under a keyring, each value bound to its row.

A sealed value is ``0x01 | len(kid) | kid | nonce (12 bytes) | ciphertext | tag (16 bytes)``.
The associated data is ``jobraker/secretbox/v1 NUL kid NUL table NUL column NUL row id``, so a
value copied to another row, another column or another table, or relabelled with another key id,
fails to authenticate, as does any changed byte. Nonces are 96 random bits: NIST SP 800-38D's
2^32 invocations per key leave room for far more secrets than Jobraker will ever store.

The keyring (``Keyring``) has a *current* key, which seals, and older keys, which only open.
Keys come from ``JOBRAKER_SECRET_KEYS`` (JSON ``{"kid": "<base64 of 32 bytes>"}``) and
``JOBRAKER_SECRET_KEY_ID`` (the current one). Without them a keyring file is made once in
``<data_dir>/secrets/secret-keys.json`` (mode 0600, like the JWT secret), so ``jobraker up``
needs no configuration. Rotation: add a new key and make it current (``jobraker secrets rotate
--new-key`` does both for the keyring file), then re-seal (``jobraker secrets rotate``); remove
the old key once nothing is left under it. Losing a key loses the secrets it sealed (TOTP users
then need their recovery codes).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jobraker_core.errors import ConfigurationError, SecretUnreadable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jobraker_adapters.settings import Settings
    from jobraker_core.accounts.twofactor import SecretBinding

FORMAT_VERSION: Final = 1
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
KEYRING_FILE: Final = Path("secrets") / "secret-keys.json"
_AAD_LABEL: Final = b"jobraker/secretbox/v1"
_KEY_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_UNREADABLE: Final = (
    "a stored secret could not be decrypted: it was altered, moved to another row, or sealed "
    "with a key that is no longer configured"
)


def _check_keys(instance: Keyring, _: object, keys: Mapping[str, bytes]) -> None:
    if not keys:
        raise ConfigurationError("the secret keyring has no keys")
    for kid, key in keys.items():
        if not _KEY_ID.match(kid):
            raise ConfigurationError(
                f"secret key id {kid!r} must be 1 to 64 letters, digits, '.', '_' or '-'"
            )
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"secret key {kid!r} must be {KEY_BYTES} bytes (AES-256)")
    if instance.current not in keys:
        raise ConfigurationError(
            f"the current secret key {instance.current!r} is not in the keyring"
        )


@attrs.frozen
class Keyring:
    """Secret keys by id; ``current`` seals, every key opens what it sealed."""

    current: str
    keys: Mapping[str, bytes] = attrs.field(repr=False, validator=_check_keys)

    @classmethod
    def generate(cls, kid: str | None = None) -> Keyring:
        """A keyring of one fresh random key (id ``kid``, else a random one)."""
        kid = kid or new_key_id()
        return cls(current=kid, keys={kid: secrets.token_bytes(KEY_BYTES)})

    def with_new_current(self, kid: str | None = None) -> Keyring:
        """This keyring plus a fresh key, which becomes current."""
        kid = kid or new_key_id()
        if kid in self.keys:
            raise ConfigurationError(f"the keyring already has a key {kid!r}")
        return Keyring(current=kid, keys={**self.keys, kid: secrets.token_bytes(KEY_BYTES)})


def new_key_id() -> str:
    """A fresh key id such as ``k-3f9a1c2e``."""
    return f"k-{secrets.token_hex(4)}"


class AesGcmSecretBox:
    """A ``SecretBox``: AES-256-GCM with the keyring's keys."""

    def __init__(self, keyring: Keyring) -> None:
        """Seal with ``keyring.current``; open with any key of the keyring."""
        self._keyring = keyring
        self._ciphers = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        """The id of the key that seals."""
        return self._keyring.current

    @staticmethod
    def _aad(kid: str, binding: SecretBinding) -> bytes:
        return b"\x00".join((_AAD_LABEL, kid.encode("ascii"), binding.associated_data()))

    def seal(self, plaintext: bytes, binding: SecretBinding) -> bytes:
        """Encrypt ``plaintext`` for the row of ``binding`` under the current key."""
        kid = self._keyring.current
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._ciphers[kid].encrypt(nonce, plaintext, self._aad(kid, binding))
        header = bytes((FORMAT_VERSION, len(kid))) + kid.encode("ascii")
        return header + nonce + ciphertext

    def _split(self, sealed: bytes) -> tuple[str, bytes, bytes]:
        if len(sealed) < 2 or sealed[0] != FORMAT_VERSION:  # noqa: PLR2004 - version, length
            raise SecretUnreadable(_UNREADABLE)
        end = 2 + sealed[1]
        try:
            kid = sealed[2:end].decode("ascii")
        except UnicodeDecodeError:
            raise SecretUnreadable(_UNREADABLE) from None
        nonce, ciphertext = sealed[end : end + NONCE_BYTES], sealed[end + NONCE_BYTES :]
        if not _KEY_ID.match(kid) or len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
            raise SecretUnreadable(_UNREADABLE)
        return kid, nonce, ciphertext

    def key_id_of(self, sealed: bytes) -> str:
        """The id of the key ``sealed`` was sealed with."""
        return self._split(sealed)[0]

    def open(self, sealed: bytes, binding: SecretBinding) -> bytes:
        """Decrypt and authenticate ``sealed`` for the row of ``binding``."""
        kid, nonce, ciphertext = self._split(sealed)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise SecretUnreadable(_UNREADABLE)
        try:
            return cipher.decrypt(nonce, ciphertext, self._aad(kid, binding))
        except InvalidTag:
            raise SecretUnreadable(_UNREADABLE) from None


# ----------------------------------------------------------------------------- key sources


def decode_key(kid: str, encoded: str) -> bytes:
    """The 32 bytes of a base64 (standard or URL-safe) key; ``ConfigurationError`` otherwise."""
    text = encoded.strip()
    try:
        key = base64.b64decode(
            text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
        )
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"secret key {kid!r} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ConfigurationError(f"secret key {kid!r} must decode to {KEY_BYTES} bytes")
    return key


def _keyring_to_json(keyring: Keyring) -> str:
    keys = {kid: base64.b64encode(key).decode("ascii") for kid, key in keyring.keys.items()}
    return json.dumps({"current": keyring.current, "keys": keys}, indent=2) + "\n"


def _keyring_from_json(path: Path) -> Keyring:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        keys = {str(k): decode_key(str(k), str(v)) for k, v in document["keys"].items()}
        return Keyring(current=str(document["current"]), keys=keys)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"cannot read the secret keyring in {path}: {error}") from None


def _write_private(path: Path, text: str, *, exclusive: bool) -> None:
    """Write ``text`` to ``path`` with mode 0600 (exclusively, or atomically replacing it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if exclusive:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        return
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    temporary.replace(path)


def load_or_create_keyring(path: Path) -> Keyring:
    """The keyring kept in ``path``, made (one random key, mode 0600) if missing.

    Processes starting at once agree: the file is created exclusively and the others read it.
    """
    with contextlib.suppress(FileExistsError):
        _write_private(path, _keyring_to_json(Keyring.generate()), exclusive=True)
    return _keyring_from_json(path)


def keyring_file(settings: Settings) -> Path:
    """Where the keyring file of ``settings``'s data directory is."""
    return settings.data_dir / KEYRING_FILE


def secret_keyring(settings: Settings) -> Keyring:
    """The keyring: ``JOBRAKER_SECRET_KEYS`` if set, else the data directory's keyring file."""
    if settings.secret_keys:
        keys = {kid: decode_key(kid, encoded) for kid, encoded in settings.secret_keys}
        current = settings.secret_key_id
        if current is None:
            if len(keys) != 1:
                raise ConfigurationError(
                    "JOBRAKER_SECRET_KEY_ID must name the current key when "
                    "JOBRAKER_SECRET_KEYS has several"
                )
            current = next(iter(keys))
        return Keyring(current=current, keys=keys)
    if settings.secret_key_id:
        raise ConfigurationError("JOBRAKER_SECRET_KEY_ID is set but JOBRAKER_SECRET_KEYS is not")
    return load_or_create_keyring(keyring_file(settings))


def add_file_key(settings: Settings) -> str:
    """Add a fresh key to the keyring file and make it current; return its id.

    ``ConfigurationError`` when the keys come from the environment (change them there).
    """
    if settings.secret_keys:
        raise ConfigurationError(
            "the secret keys come from JOBRAKER_SECRET_KEYS: add the new key there and name it "
            "in JOBRAKER_SECRET_KEY_ID"
        )
    path = keyring_file(settings)
    keyring = load_or_create_keyring(path).with_new_current()
    _write_private(path, _keyring_to_json(keyring), exclusive=False)
    return keyring.current


def secret_box(settings: Settings) -> AesGcmSecretBox:
    """The ``SecretBox`` of ``settings``."""
    return AesGcmSecretBox(secret_keyring(settings))


__all__ = [
    "AesGcmSecretBox",
    "Keyring",
    "add_file_key",
    "decode_key",
    "load_or_create_keyring",
    "secret_box",
    "secret_keyring",
]
