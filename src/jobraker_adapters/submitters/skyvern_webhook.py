"""Skyvern's run callback as a ``RunWebhook`` (integrations.md §2.5, §2.6).

Skyvern POSTs the run (the legacy task object merged with the run response) to our webhook URL
once the run has ended, with ``x-skyvern-signature`` = lower-case hex HMAC-SHA256 of the **exact
body bytes**, keyed with the organisation's API key. The timestamp header is not signed, and
there is no event id: a captured callback can be replayed, so replay safety is the use case's job
(transitions idempotent and monotonic on (run id, status)).

``read`` therefore:

1. computes the MAC over the raw bytes (never over re-serialised JSON) under the current key and,
   during a rotation, the previous one, and compares it with ``hmac.compare_digest`` against each
   — a missing, empty or wrong signature raises ``Unauthenticated``, as does any callback when no
   key is configured;
2. only then parses the body: ``run_id`` (or ``task_id``), ``status``, ``output`` (or the legacy
   ``extracted_information``), ``failure_reason``, ``step_count``; every other key is optional and
   ignored. A signed body that is not a run raises ``InvalidInput``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Final

from jobraker_adapters.submitters.skyvern_runs import report_from_run
from jobraker_core.applications.submission import RunReport
from jobraker_core.errors import InvalidInput, Unauthenticated

SIGNATURE_HEADER: Final = "x-skyvern-signature"
TIMESTAMP_HEADER: Final = "x-skyvern-timestamp"
MAX_BODY_BYTES: Final = 1024 * 1024


def sign(body: bytes, key: str) -> str:
    """Skyvern's signature of ``body``: hex HMAC-SHA256 keyed with the API key (UTF-8)."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class SkyvernRunWebhook:
    """Verifies Skyvern callbacks under ``keys`` (current first, then previous) and reads them."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        """Accept callbacks signed with any of ``keys`` (empty ones dropped; none: reject all)."""
        self._keys = tuple(key.encode("utf-8") for key in keys if key)

    @classmethod
    def of(cls, current: str | None, previous: str | None = None) -> SkyvernRunWebhook:
        """The webhook for the current API key and, during a rotation, the previous one."""
        return cls(tuple(key for key in (current, previous) if key))

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise ``Unauthenticated`` unless ``body`` carries a valid signature under some key."""
        given = (_header(headers, SIGNATURE_HEADER) or "").strip().lower()
        if not given or not self._keys:
            raise Unauthenticated("missing or invalid webhook signature")
        given_bytes = given.encode("ascii", errors="replace")
        matched = False
        for key in self._keys:
            expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")
            # every key is tried, so the time taken does not tell which key matched
            matched = hmac.compare_digest(expected, given_bytes) or matched
        if not matched:
            raise Unauthenticated("missing or invalid webhook signature")

    def read(self, body: bytes, headers: Mapping[str, str]) -> RunReport:
        """Verify ``body`` (the raw request bytes) against ``headers`` and parse the run."""
        self.verify(body, headers)
        if len(body) > MAX_BODY_BYTES:
            raise InvalidInput("webhook body is too large")
        try:
            document: Any = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("webhook body is not JSON") from None
        if not isinstance(document, dict):
            raise InvalidInput("webhook body is not a JSON object")
        return report_from_run(document, error=InvalidInput)
