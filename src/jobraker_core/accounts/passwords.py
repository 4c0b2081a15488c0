"""The password policy (OWASP ASVS 5.0 V6.2): length, not common, not the email.

No composition rules (no "one digit and one symbol"), no periodic expiry; any Unicode character
is allowed, spaces included. A password is checked as typed: it is not trimmed.
"""

from __future__ import annotations

from typing import Final

from jobraker_core.accounts.ports import CommonPasswords
from jobraker_core.errors import InvalidInput

MIN_PASSWORD_LENGTH: Final = 8
MAX_PASSWORD_LENGTH: Final = 128


def check_password(
    password: str, *, email: str, common: CommonPasswords, field: str = "password"
) -> None:
    """Raise ``InvalidInput`` (naming ``field``) when ``password`` breaks the policy.

    ``email`` is the account's normalised email: the password may be neither it nor its part
    before the ``@``.
    """
    length = len(password)
    if length < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long", field=field
        )
    if length > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password must be at most {MAX_PASSWORD_LENGTH} characters long", field=field
        )
    folded = password.casefold()
    if folded in {email.casefold(), email.partition("@")[0].casefold()}:
        raise InvalidInput("the password must not be your email address", field=field)
    if password in common:
        raise InvalidInput(
            "this password is one of the most commonly used ones and easy to guess; choose another",
            field=field,
        )
