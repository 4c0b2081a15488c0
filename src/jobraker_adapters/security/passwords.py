"""Password hashing with argon2id (argon2-cffi), and the list of too-common passwords.

Parameters: argon2-cffi's defaults (RFC 9106 "low memory" profile: argon2id, t=3, m=64 MiB,
p=4, 16-byte salt, 32-byte hash), well above the OWASP ASVS 5.0 minimums (argon2id with t=1 and
m ≥ 46 MiB, or t=2 and m ≥ 19 MiB, or t ≥ 3 and m ≥ 12 MiB). The constructor refuses parameters
below those minimums. A hash made with other parameters is rehashed at the next login.
"""

from __future__ import annotations

import importlib.resources
from typing import Final

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from jobraker_core.errors import ConfigurationError

# (minimum time cost, minimum memory in KiB) pairs of OWASP ASVS 5.0 / the OWASP cheat sheet.
ASVS_MINIMUMS: Final = ((1, 46 * 1024), (2, 19 * 1024), (3, 12 * 1024))
COMMON_PASSWORDS_RESOURCE: Final = "common_passwords.txt"


def meets_asvs(time_cost: int, memory_cost: int, parallelism: int) -> bool:
    """Whether argon2id with these parameters meets the ASVS 5.0 minimums."""
    return parallelism >= 1 and any(time_cost >= t and memory_cost >= m for t, m in ASVS_MINIMUMS)


class Argon2PasswordHasher:
    """A ``PasswordHasher`` with argon2id.

    ``ConfigurationError`` when the parameters are below the ASVS 5.0 minimums.
    """

    def __init__(
        self,
        *,
        time_cost: int = argon2.DEFAULT_TIME_COST,
        memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        parallelism: int = argon2.DEFAULT_PARALLELISM,
    ) -> None:
        """Hash with argon2id at these costs (memory in KiB)."""
        if not meets_asvs(time_cost, memory_cost, parallelism):
            raise ConfigurationError(
                f"argon2id with t={time_cost}, m={memory_cost} KiB, p={parallelism} is below the "
                "OWASP ASVS 5.0 minimums"
            )
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        """A new salted argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``; a malformed hash is ``False``."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters (or is not argon2id at all)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True


class FileCommonPasswords:
    """A ``CommonPasswords`` read from the package's ``data/common_passwords.txt``.

    One password a line; ``#`` starts a comment line. Compared case-insensitively.
    """

    def __init__(self, passwords: frozenset[str] | None = None) -> None:
        """Use ``passwords``, or the shipped list when None."""
        self._passwords = passwords if passwords is not None else self.load()

    @staticmethod
    def load() -> frozenset[str]:
        """Read the shipped list, case-folded."""
        text = (
            importlib.resources.files("jobraker_adapters.data")
            .joinpath(COMMON_PASSWORDS_RESOURCE)
            .read_text(encoding="utf-8")
        )
        return frozenset(
            line.strip().casefold()
            for line in text.splitlines()
            if line.strip() and not line.startswith("#")
        )

    def __len__(self) -> int:
        return len(self._passwords)

    def __contains__(self, password: object) -> bool:
        """Whether ``password`` is on the list."""
        return isinstance(password, str) and password.casefold() in self._passwords
