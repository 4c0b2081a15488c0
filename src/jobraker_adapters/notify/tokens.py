"""Signed one-click unsubscribe tokens (HMAC-SHA256).

A token is ``v1.<user id>.<kind>.<channel>.<signature>``; the signature is an HMAC-SHA256 of the
rest under a key derived from the deployment's JWT secret, base64url without padding. Tokens do
not expire: an unsubscribe link in an old e-mail still works, and it can only turn a
notification off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Final

from jobraker_core.errors import InvalidInput
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import Channel, UnsubscribeRequest

_VERSION: Final = "v1"
_PURPOSE: Final = b"jobraker-unsubscribe-v1"
_MAX_TOKEN: Final = 300


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class HmacUnsubscribeTokens:
    """``UnsubscribeTokens`` signed with a key derived from ``secret``."""

    def __init__(self, secret: bytes) -> None:
        """Derive the signing key from ``secret`` (the JWT secret)."""
        self._key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, request: UnsubscribeRequest) -> str:
        """The token that asks for ``request``."""
        payload = ".".join(
            (_VERSION, str(request.user_id), request.kind.value, request.channel.value)
        )
        return f"{payload}.{self._sign(payload)}"

    def read(self, token: str) -> UnsubscribeRequest:
        """What ``token`` asks for; ``InvalidInput`` for a token not signed here."""
        refused = InvalidInput("this unsubscribe link is not valid", field="token")
        if not token or len(token) > _MAX_TOKEN:
            raise refused
        payload, _, signature = token.strip().rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise refused
        try:
            version, user, kind, channel = payload.split(".")
            if version != _VERSION:
                raise refused
            return UnsubscribeRequest(uuid.UUID(user), NotificationKind(kind), Channel(channel))
        except ValueError:
            raise refused from None
