"""The TOTP algorithm (RFC 6238) through pyotp: HMAC-SHA1, 6 digits, 30-second steps.

These are the parameters every authenticator app understands. Which steps are accepted, and that a
code works once, is the core's policy (``jobraker_core.accounts.twofactor``); this adapter only
computes codes and the ``otpauth://`` URI.
"""

from __future__ import annotations

from typing import Final

import pyotp

from jobraker_core.accounts.twofactor import CODE_DIGITS, STEP_SECONDS

SECRET_LENGTH: Final = 32  # base32 characters: 160 bits, RFC 4226's recommended key length


class PyOtpTotp:
    """A ``TotpGenerator`` on pyotp."""

    def new_secret(self) -> str:
        """A new random base32 seed of 160 bits."""
        return pyotp.random_base32(length=SECRET_LENGTH)

    def code(self, secret: str, step: int) -> str:
        """The code of ``secret`` for time step ``step``."""
        return pyotp.TOTP(secret, digits=CODE_DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        """The ``otpauth://totp/Issuer:account?secret=...&issuer=...`` URI."""
        totp = pyotp.TOTP(secret, digits=CODE_DIGITS, interval=STEP_SECONDS)
        return totp.provisioning_uri(name=account, issuer_name=issuer)


__all__ = ["PyOtpTotp"]
