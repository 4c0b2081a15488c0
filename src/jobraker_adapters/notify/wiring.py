"""What the container needs to wire notifications: the notifiers, unsubscribe links, Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from jobraker_adapters.notify.email import SmtpConfig, SmtpEmailNotifier
from jobraker_adapters.notify.realtime import RedisRealtimeNotifier, open_realtime_redis

if TYPE_CHECKING:
    import redis
    import redis.asyncio

    from jobraker_adapters.embedded import ServiceEndpoints
    from jobraker_adapters.settings import Settings
    from jobraker_core.notifications.ports import Notifier

UNSUBSCRIBE_PATH = "/api/v1/notifications/unsubscribe/"


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """The SMTP server to send e-mail through; None (e-mail off) without ``smtp_host``."""
    if not settings.smtp_host:
        return None
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        starttls=settings.smtp_starttls,
        timeout=settings.http_timeout,
    )


def production_notifiers(settings: Settings, client: redis.Redis) -> list[Notifier]:
    """The real-time notifier on ``client``, and the SMTP one when a host is configured."""
    chosen: list[Notifier] = [RedisRealtimeNotifier(client)]
    config = smtp_config(settings)
    if config is not None:
        chosen.append(SmtpEmailNotifier(config))
    return chosen


def unsubscribe_link(settings: Settings) -> Callable[[str], str]:
    """Makes the public one-click unsubscribe URL of a token."""
    base = settings.public_base_url.rstrip("/") + UNSUBSCRIBE_PATH

    def link(token: str) -> str:
        return f"{base}?token={quote(token, safe='')}"

    return link


def realtime_redis(endpoints: ServiceEndpoints) -> redis.asyncio.Redis:
    """The asyncio Redis client of the API's WebSocket channels.

    Its connections live on the API's event loop; the channels backend closes them there.
    """
    return open_realtime_redis(endpoints.redis_url)
