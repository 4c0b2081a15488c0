"""The second-factor challenge a sign-in answers when the account has 2FA on.

``POST /api/v1/auth/login/`` and the OIDC callback answer either a token pair or, for an account
with two-factor sign-in on, ``{"two_factor_required": true, "challenge", "expires_in",
"methods"}``: send the challenge with a code to ``POST /api/v1/auth/login/2fa/``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

import msgspec
from litestar import Response

from jobraker_core.accounts.model import lifetime_seconds
from jobraker_core.accounts.twofactor import SecondFactorRequired
from jobraker_http.envelope import ItemMeta

NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SECOND_FACTOR_PATH: Final = "/api/v1/auth/login/2fa/"


class ChallengeOut(msgspec.Struct, kw_only=True):
    """A sign-in that needs a second factor: where to send the challenge, and how long it lives."""

    two_factor_required: Literal[True]
    challenge: Annotated[
        str, msgspec.Meta(description=f"send it with a code to POST {SECOND_FACTOR_PATH}")
    ]
    expires_in: Annotated[int, msgspec.Meta(description="seconds the challenge stays valid")]
    methods: list[Literal["totp", "recovery_code"]]


class ChallengeEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around a second-factor challenge."""

    success: Literal[True]
    data: ChallengeOut
    meta: ItemMeta


def challenge_response(
    required: SecondFactorRequired, now: datetime
) -> Response[ChallengeEnvelope]:
    """Answer a second-factor challenge, uncacheable."""
    body = ChallengeOut(
        two_factor_required=True,
        challenge=required.challenge,
        expires_in=lifetime_seconds(now, required.expires_at),
        methods=["totp", "recovery_code"],
    )
    return Response(
        ChallengeEnvelope(success=True, data=body, meta=ItemMeta()),
        status_code=200,
        headers=NO_STORE,
    )


__all__ = ["ChallengeEnvelope", "ChallengeOut", "challenge_response"]
