"""Adapters of the ``ApplicationSubmitter`` and ``RunWebhook`` ports (jobraker_core.applications).

- ``DryRunSubmitter`` (the default): checks and records exactly what would be sent; sends nothing.
- ``SkyvernSubmitter``: drives Skyvern's browser agent over its HTTP API (integrations.md §2).
- ``SkyvernRunWebhook``: verifies and reads Skyvern's signed run callbacks.

The container picks one through ``choice``; ``packet`` holds what both submitters check and record.
"""

from __future__ import annotations

from jobraker_adapters.submitters.dry_run import DryRunSubmitter
from jobraker_adapters.submitters.packet import (
    WEBHOOK_PATH,
    check_request,
    sent_fields,
    webhook_url,
)
from jobraker_adapters.submitters.skyvern import SkyvernSubmitter
from jobraker_adapters.submitters.skyvern_webhook import SkyvernRunWebhook

__all__ = [
    "WEBHOOK_PATH",
    "DryRunSubmitter",
    "SkyvernRunWebhook",
    "SkyvernSubmitter",
    "check_request",
    "sent_fields",
    "webhook_url",
]
