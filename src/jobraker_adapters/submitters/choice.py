"""Which submitter and webhook reader the settings call for (used by the container)."""

from __future__ import annotations

from typing import Literal

from jobraker_adapters.settings import Settings
from jobraker_adapters.submitters.packet import webhook_url
from jobraker_adapters.submitters.skyvern_webhook import SkyvernRunWebhook


def submitter_kind(settings: Settings) -> Literal["skyvern", "dry_run"]:
    """``skyvern`` when ``SKYVERN_API_KEY`` is set, else ``dry_run``."""
    return "skyvern" if settings.skyvern_enabled else "dry_run"


def skyvern_webhook_url(settings: Settings) -> str:
    """Our Skyvern webhook URL: ``<public base URL>/api/v1/webhooks/skyvern/``."""
    return webhook_url(settings.public_base_url)


def skyvern_run_webhook(settings: Settings) -> SkyvernRunWebhook:
    """The webhook reader for the current and previous Skyvern keys (none set: rejects all)."""
    return SkyvernRunWebhook.of(settings.skyvern_api_key, settings.skyvern_previous_api_key)
