"""Real-time notifications: publish to a person's channel on Redis.

The API processes serve ``ws /ws/notifications/`` through Litestar's ``ChannelsPlugin`` with the
``RedisChannelsPubSubBackend``, which subscribes each process to the Redis Pub/Sub channels of
its connected people. Publishing is a plain ``PUBLISH <channel> <JSON>`` (what that backend's
own publish script does), so the worker, which runs no Litestar, reaches every connected client
whichever API process holds its socket. Pub/Sub keeps no history: a person with no open socket
misses the push and finds the notification in the in-app inbox.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import redis
import redis.asyncio

from jobraker_core.errors import UpstreamUnavailable
from jobraker_core.notifications.model import Channel, realtime_channel

if TYPE_CHECKING:
    from jobraker_core.notifications.model import OutgoingNotification, Recipient


def realtime_payload(notification: OutgoingNotification) -> dict[str, object]:
    """The JSON object a WebSocket client receives for ``notification``."""
    return {
        "type": "notification",
        "ids": [str(i) for i in notification.event_ids],
        "kind": notification.kind.value,
        "title": notification.title,
        "body": notification.body,
        "data": dict(notification.data),
        "created_at": notification.created_at.isoformat(),
        "digest": notification.digest,
    }


class RedisRealtimeNotifier:
    """``Notifier`` for the ``websocket`` channel: publishes on the person's Redis channel."""

    channel = Channel.WEBSOCKET

    def __init__(self, client: redis.Redis) -> None:
        """Publish with ``client`` (a synchronous Redis client)."""
        self._client = client

    def deliver(self, recipient: Recipient, notification: OutgoingNotification) -> None:
        """Publish the notification; ``UpstreamUnavailable`` when Redis cannot be reached."""
        data = json.dumps(realtime_payload(notification), separators=(",", ":"))
        try:
            self._client.publish(realtime_channel(recipient.user_id), data)
        except redis.RedisError as error:
            raise UpstreamUnavailable(
                f"Redis cannot be reached: {type(error).__name__}", service="redis"
            ) from error


def open_realtime_redis(redis_url: str) -> redis.asyncio.Redis:
    """An asyncio Redis client for the API's WebSocket channels (no socket read timeout).

    A Pub/Sub connection waits for messages indefinitely, so it must not have the short read
    timeout of the request-path clients. Making it opens no connection.
    """
    return redis.asyncio.Redis.from_url(redis_url, socket_connect_timeout=2.0)
