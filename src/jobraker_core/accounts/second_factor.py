"""The seam between a first sign-in factor (password, identity provider) and the second (TOTP).

Kept apart from ``twofactor`` so that ``use_cases`` (the password login) can name these at run
time without importing the two-factor use cases, which build on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import attrs

from jobraker_core.accounts.model import User
from jobraker_core.ports import UnitOfWork


def _aware(_instance: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


@attrs.frozen
class SecondFactorRequired:
    """The answer of a right first factor for an account with 2FA on.

    ``challenge`` goes back with a code to ``CompleteTwoFactorLogin``.
    """

    challenge: str = attrs.field(repr=False)
    expires_at: datetime = attrs.field(validator=_aware)
    user: User


class SecondFactorGate(Protocol):
    """Decides, inside a sign-in's unit of work, whether a second factor is still needed."""

    def challenge(self, uow: UnitOfWork, user: User, ip: str | None) -> SecondFactorRequired | None:
        """Store and return a challenge for ``user``, or None when tokens may be issued now."""
        ...


__all__ = ["SecondFactorGate", "SecondFactorRequired"]
