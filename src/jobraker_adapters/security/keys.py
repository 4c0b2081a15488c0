"""The server's secret keys: the JWT signing secret and the keys derived from it.

With ``JOBRAKER_JWT_SECRET`` unset, ``jobraker up`` needs no configuration: a 64-byte random
secret is made once and kept in ``<data_dir>/secrets/jwt.key`` (hex, mode 0600, in a 0700
folder), so tokens survive restarts. Replacing the file (or the variable) logs everybody out and
changes every pseudonym (the audit log's IP pseudonyms, the login throttle's keys).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import ConfigurationError

if TYPE_CHECKING:
    from jobraker_adapters.settings import Settings

SECRET_BYTES: Final = 64
MIN_SECRET_BYTES: Final = 32
SECRET_FILE: Final = Path("secrets") / "jwt.key"
_PSEUDONYM_KEY_LABEL: Final = b"jobraker/pseudonym-key/v1"


def load_or_create_secret(path: Path) -> bytes:
    """Return the secret kept in ``path``, making it (64 random bytes, mode 0600) if missing.

    Several processes starting at once agree: the file is created exclusively, and the losers
    read the winner's. ``ConfigurationError`` when the file is unreadable or malformed.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(SECRET_BYTES) + "\n")
    try:
        text = path.read_text(encoding="ascii").strip()
        secret = bytes.fromhex(text)
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read the JWT secret in {path}: {error}") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"the JWT secret in {path} is shorter than {MIN_SECRET_BYTES} bytes; delete the file "
            "to make a new one"
        )
    return secret


def jwt_secret(settings: Settings) -> bytes:
    """The JWT signing secret: ``JOBRAKER_JWT_SECRET`` if set, else the data directory's file."""
    if settings.jwt_secret:
        secret = settings.jwt_secret.encode("utf-8")
        if len(secret) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"JOBRAKER_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
            )
        return secret
    return load_or_create_secret(settings.data_dir / SECRET_FILE)


def pseudonym_key(secret: bytes) -> bytes:
    """The key of the pseudonyms, derived from the JWT secret (never the secret itself)."""
    return hmac.new(secret, _PSEUDONYM_KEY_LABEL, hashlib.sha256).digest()


@attrs.frozen
class HmacPseudonymizer:
    """A ``Pseudonymizer``: HMAC-SHA-256 under ``key``, 128 bits in hex, separated by purpose."""

    key: bytes = attrs.field(repr=False)

    @classmethod
    def from_secret(cls, secret: bytes) -> HmacPseudonymizer:
        """The pseudonymizer keyed from the JWT secret."""
        return cls(pseudonym_key(secret))

    def pseudonym(self, purpose: str, value: str) -> str:
        """The keyed pseudonym of ``value`` for ``purpose``."""
        message = f"{purpose}\x00{value}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]
