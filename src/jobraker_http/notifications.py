"""Notification routes and the notifications WebSocket.

- ``GET /api/v1/notifications/?unread=true&page=&per_page=``: the caller's in-app inbox, newest
  first (``meta.unread`` counts every unread item);
- ``POST /api/v1/notifications/{id}/read/``, ``POST /api/v1/notifications/read-all/``;
- ``GET|PUT /api/v1/notifications/preferences/``: channels per kind, digest or immediate new
  matches, digest hour, time zone, quiet hours, score threshold;
- ``GET|POST /api/v1/notifications/unsubscribe/?token=``: the one-click link of e-mails and pushes
  (public: the signed token is the credential; POST is RFC 8058 one-click from mail clients);
- ``ws /ws/notifications/``: pushes for the signed-in caller, as JSON text frames
  (``{"type": "notification", "ids", "kind", "title", "body", "data", "created_at", "digest"}``),
  after a first ``{"type": "subscribed"}`` once the socket listens.

The WebSocket runs on Litestar's ``ChannelsPlugin`` with the Redis Pub/Sub backend, so a push
published by the worker (``jobraker_adapters.notify.realtime``) reaches the socket whichever API
process holds it. With the in-memory container (no Redis) the plugin uses the memory backend.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

import msgspec
import structlog
from litestar import Router, WebSocket, get, post, put, websocket
from litestar.channels import ChannelsBackend, ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.concurrency import sync_to_thread
from litestar.datastructures import State  # noqa: TC002 - Litestar reads it at runtime
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import JSONBody, Parameter

from jobraker_core.accounts.identity import Principal
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import (
    Channel,
    InboxItem,
    MatchDelivery,
    NotificationPreferences,
    QuietHours,
    UnsubscribeRequest,
    parse_clock_time,
    realtime_channel,
)
from jobraker_core.notifications.use_cases import (
    GetNotificationPreferences,
    ListNotifications,
    MarkAllNotificationsRead,
    MarkNotificationRead,
    ReplaceNotificationPreferences,
    Unsubscribe,
)
from jobraker_core.pagination import DEFAULT_PER_PAGE
from jobraker_http.auth import authenticated_of, websocket_subprotocol
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, Pagination, list_meta
from jobraker_http.guards import public, requires_user
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id
from jobraker_http.providers import container_of, container_provider

if TYPE_CHECKING:
    from jobraker_adapters.container import Container

WS_PATH: Final = "/ws/notifications"

KindWire = Literal[
    "new_match",
    "application_status",
    "needs_user",
    "approval_waiting",
    "site_paused",
    "reminder_due",
]
ChannelWire = Literal["in_app", "websocket", "email"]

_log = structlog.get_logger("jobraker.http.notifications")


# ----------------------------------------------------------------------------- wire schemas


class NotificationOut(msgspec.Struct, kw_only=True):
    """One in-app notification."""

    id: uuid.UUID
    kind: KindWire
    title: str
    body: str
    data: dict[str, str]
    created_at: datetime
    read_at: datetime | None
    unread: bool


class InboxMeta(msgspec.Struct, kw_only=True):
    """Where the page sits, and how many of all the caller's notifications are unread."""

    pagination: Pagination
    unread: int


class NotificationListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around a page of notifications."""

    success: bool
    data: list[NotificationOut]
    meta: InboxMeta


class NotificationEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one notification."""

    success: bool
    data: NotificationOut
    meta: ItemMeta


class ReadAllOut(msgspec.Struct, kw_only=True):
    """How many notifications were marked read."""

    marked: int


class ReadAllEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope of read-all."""

    success: bool
    data: ReadAllOut
    meta: ItemMeta


class ChannelsWire(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Which channels one kind of notification uses."""

    in_app: bool = True
    websocket: bool = True
    email: bool = True


class QuietHoursWire(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Daily quiet hours in the person's time zone (``HH:MM``; may cross midnight)."""

    start: Annotated[str, msgspec.Meta(max_length=5, examples=["22:00"])]
    end: Annotated[str, msgspec.Meta(max_length=5, examples=["07:00"])]


class PreferencesIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """New notification preferences; a kind left out of ``channels`` keeps its default."""

    channels: dict[KindWire, ChannelsWire] = msgspec.field(default_factory=dict)
    new_matches: Literal["immediate", "digest"] = "immediate"
    digest_hour: int = 8
    timezone: Annotated[str, msgspec.Meta(max_length=64)] = "UTC"
    quiet_hours: QuietHoursWire | None = None
    match_threshold: float | None = None


class PreferencesOut(msgspec.Struct, kw_only=True):
    """The caller's notification preferences, and whether e-mail is on in this deployment."""

    channels: dict[str, ChannelsWire]
    new_matches: str
    digest_hour: int
    timezone: str
    quiet_hours: QuietHoursWire | None
    match_threshold: float | None
    email_available: bool


class PreferencesEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around notification preferences."""

    success: bool
    data: PreferencesOut
    meta: ItemMeta


class UnsubscribedOut(msgspec.Struct, kw_only=True):
    """What a one-click link turned off."""

    kind: str
    channel: str
    unsubscribed: bool


class UnsubscribedEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope of an unsubscribe."""

    success: bool
    data: UnsubscribedOut
    meta: ItemMeta


def item_to_wire(item: InboxItem) -> NotificationOut:
    """The wire form of an inbox item."""
    return NotificationOut(
        id=item.id,
        kind=item.kind.value,
        title=item.title,
        body=item.body,
        data=dict(item.data),
        created_at=item.created_at,
        read_at=item.read_at,
        unread=item.unread,
    )


def preferences_to_wire(prefs: NotificationPreferences, *, email: bool) -> PreferencesOut:
    """The wire form of preferences."""
    quiet = prefs.quiet_hours
    return PreferencesOut(
        channels={
            kind.value: ChannelsWire(
                in_app=prefs.wants(kind, Channel.IN_APP),
                websocket=prefs.wants(kind, Channel.WEBSOCKET),
                email=prefs.wants(kind, Channel.EMAIL),
            )
            for kind in NotificationKind
        },
        new_matches=prefs.new_matches.value,
        digest_hour=prefs.digest_hour,
        timezone=prefs.timezone,
        quiet_hours=None
        if quiet is None
        else QuietHoursWire(start=quiet.start.strftime("%H:%M"), end=quiet.end.strftime("%H:%M")),
        match_threshold=prefs.match_threshold,
        email_available=email,
    )


def preferences_from_wire(user_id: uuid.UUID, data: PreferencesIn) -> NotificationPreferences:
    """Domain preferences from the wire (``InvalidInput`` for a bad time, zone or threshold)."""
    channels = {
        NotificationKind(kind): frozenset(
            c
            for c, on in (
                (Channel.IN_APP, wire.in_app),
                (Channel.WEBSOCKET, wire.websocket),
                (Channel.EMAIL, wire.email),
            )
            if on
        )
        for kind, wire in data.channels.items()
    }
    quiet = data.quiet_hours
    return NotificationPreferences(
        user_id=user_id,
        channels=channels,
        new_matches=MatchDelivery(data.new_matches),
        digest_hour=data.digest_hour,
        timezone=data.timezone,
        quiet_hours=None
        if quiet is None
        else QuietHours(
            parse_clock_time(quiet.start, "quiet_hours.start"),
            parse_clock_time(quiet.end, "quiet_hours.end"),
        ),
        match_threshold=data.match_threshold,
    )


def _email_available(state: State) -> bool:
    return bool(container_of(state).settings().smtp_host)


# ----------------------------------------------------------------------------- routes


@get(
    "/",
    sync_to_thread=True,
    summary="My notifications",
    description="The caller's in-app notifications, newest first; `unread=true` lists the "
    "unread ones only. `meta.unread` counts all unread notifications.",
    responses=problem_responses(401, 503),
)
def notification_list(
    principal: NamedDependency[Principal],
    list_notifications: NamedDependency[ListNotifications],
    unread: Annotated[bool, Parameter(description="only unread ones")] = False,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> NotificationListEnvelope:
    """Return one page of the caller's notifications."""
    found = list_notifications(principal.user_id, clamp_page(page, per_page), unread_only=unread)
    return NotificationListEnvelope(
        success=True,
        data=[item_to_wire(i) for i in found.page.items],
        meta=InboxMeta(pagination=list_meta(found.page).pagination, unread=found.unread),
    )


@post(
    "/{notification_id:str}/read",
    sync_to_thread=True,
    status_code=200,
    summary="Mark a notification read",
    responses=problem_responses(401, 404, 503),
)
def notification_read(
    notification_id: Annotated[str, Parameter(description="the notification's id")],
    principal: NamedDependency[Principal],
    mark_notification_read: NamedDependency[MarkNotificationRead],
) -> NotificationEnvelope:
    """Mark one of the caller's notifications read (404 for anyone else's)."""
    item = mark_notification_read(principal.user_id, parse_id(notification_id, "notification"))
    return NotificationEnvelope(success=True, data=item_to_wire(item), meta=ItemMeta())


@post(
    "/read-all",
    sync_to_thread=True,
    status_code=200,
    summary="Mark all my notifications read",
    responses=problem_responses(401, 503),
)
def notification_read_all(
    principal: NamedDependency[Principal],
    mark_all_notifications_read: NamedDependency[MarkAllNotificationsRead],
) -> ReadAllEnvelope:
    """Mark every unread notification of the caller read."""
    marked = mark_all_notifications_read(principal.user_id)
    return ReadAllEnvelope(success=True, data=ReadAllOut(marked=marked), meta=ItemMeta())


@get(
    "/preferences",
    sync_to_thread=True,
    summary="My notification preferences",
    responses=problem_responses(401, 503),
)
def preferences_read(
    state: State,
    principal: NamedDependency[Principal],
    get_notification_preferences: NamedDependency[GetNotificationPreferences],
) -> PreferencesEnvelope:
    """Return the caller's preferences (the defaults until they choose)."""
    prefs = get_notification_preferences(principal.user_id)
    wire = preferences_to_wire(prefs, email=_email_available(state))
    return PreferencesEnvelope(success=True, data=wire, meta=ItemMeta())


@put(
    "/preferences",
    sync_to_thread=True,
    summary="Replace my notification preferences",
    description="Channels per kind (a kind left out keeps its default), new matches at once or "
    "in a daily digest at `digest_hour` (local time in `timezone`, an IANA zone), quiet hours "
    "during which pushes wait (the in-app inbox still fills), and `match_threshold`: also "
    "notify of new jobs scoring at least that (0-100).",
    responses=problem_responses(401, 422, 503),
)
def preferences_replace(
    state: State,
    data: JSONBody[PreferencesIn],
    principal: NamedDependency[Principal],
    replace_notification_preferences: NamedDependency[ReplaceNotificationPreferences],
) -> PreferencesEnvelope:
    """Store the caller's new preferences and return them."""
    prefs = replace_notification_preferences(preferences_from_wire(principal.user_id, data))
    wire = preferences_to_wire(prefs, email=_email_available(state))
    return PreferencesEnvelope(success=True, data=wire, meta=ItemMeta())


def _unsubscribed(request: UnsubscribeRequest) -> UnsubscribedEnvelope:
    return UnsubscribedEnvelope(
        success=True,
        data=UnsubscribedOut(
            kind=request.kind.value, channel=request.channel.value, unsubscribed=True
        ),
        meta=ItemMeta(),
    )


_TOKEN = Annotated[str, Parameter(max_length=300, description="the token of the link")]


@get(
    "/unsubscribe",
    sync_to_thread=True,
    guards=[public],
    summary="One-click unsubscribe",
    description="Turns one kind of notification off on one channel. The signed token in the "
    "link is the only credential; following a link twice is harmless.",
    responses=problem_responses(404, 422, 503),
)
def unsubscribe_link(
    token: _TOKEN, unsubscribe: NamedDependency[Unsubscribe]
) -> UnsubscribedEnvelope:
    """Apply the link's unsubscribe."""
    return _unsubscribed(unsubscribe(token))


@post(
    "/unsubscribe",
    sync_to_thread=True,
    guards=[public],
    status_code=200,
    summary="One-click unsubscribe (RFC 8058)",
    description="What mail clients send for `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.",
    responses=problem_responses(404, 422, 503),
)
def unsubscribe_one_click(
    token: _TOKEN, unsubscribe: NamedDependency[Unsubscribe]
) -> UnsubscribedEnvelope:
    """Apply the link's unsubscribe."""
    return _unsubscribed(unsubscribe(token))


_USER_ROUTES: Final = (
    notification_list,
    notification_read,
    notification_read_all,
    preferences_read,
    preferences_replace,
)


def notifications_router() -> Router:
    """The notification routes under ``/api/v1/notifications``."""
    user = Router(path="/", route_handlers=list(_USER_ROUTES), guards=[requires_user])
    return Router(
        path="/notifications",
        route_handlers=[unsubscribe_link, unsubscribe_one_click, user],
        tags=["notifications"],
        dependencies={
            name: container_provider(name)
            for name in (
                "list_notifications",
                "mark_notification_read",
                "mark_all_notifications_read",
                "get_notification_preferences",
                "replace_notification_preferences",
                "unsubscribe",
            )
        },
    )


# ----------------------------------------------------------------------------- the WebSocket


@websocket(WS_PATH, guards=[requires_user])
async def notifications_socket(
    socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin]
) -> None:
    """Push the caller's notifications as they are dispatched, until the client leaves."""
    caller = authenticated_of(socket)
    if caller is None:  # the guard authenticated it; this is only for the type checker
        await socket.close(code=4401)
        return
    await socket.accept(subprotocols=websocket_subprotocol(socket))
    name = realtime_channel(caller.principal.user_id)
    async with (
        channels.start_subscription([name]) as subscriber,
        subscriber.run_in_background(socket.send_text),
    ):
        await socket.send_json({"type": "subscribed"})
        while (await socket.receive())["type"] != "websocket.disconnect":
            continue


class LazyRedisChannelsBackend(ChannelsBackend):
    """The Redis Pub/Sub channels backend, made when the app starts (off the event loop).

    The container's ``realtime_redis`` client is resolved at start-up, so creating the app does
    no I/O. It is None for the in-memory container: the memory backend serves then. A Redis that
    cannot be reached at start-up is logged and the memory backend serves this process (its
    sockets then get nothing until a restart; the in-app inbox still fills).
    """

    def __init__(self, container: Container) -> None:
        """Resolve the Redis client of ``container`` on start-up."""
        self._container = container
        self._backend: ChannelsBackend = MemoryChannelsBackend()
        self._client: Any = None

    async def on_startup(self) -> None:
        """Pick and start the real backend."""
        try:
            client = await sync_to_thread(self._container.realtime_redis)
        except Exception as error:  # noqa: BLE001 - serve anyway, say why pushes are off
            _log.warning(
                "notifications.channels_unavailable", error=f"{type(error).__name__}: {error}"
            )
            client = None
        if client is not None:
            self._client = client
            self._backend = RedisChannelsPubSubBackend(redis=client)
        await self._backend.on_startup()

    async def on_shutdown(self) -> None:
        """Stop the backend and close its Redis connections (they belong to this loop)."""
        await self._backend.on_shutdown()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        """Publish through the backend."""
        await self._backend.publish(data, channels)

    async def subscribe(self, channels: Iterable[str]) -> None:
        """Subscribe through the backend."""
        await self._backend.subscribe(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        """Unsubscribe through the backend."""
        await self._backend.unsubscribe(channels)

    def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        """The backend's event stream."""
        return self._backend.stream_events()

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:  # noqa: ARG002 - the backend's signature
        """Not kept (Pub/Sub has no history)."""
        return []


def notification_channels(container: Container) -> ChannelsPlugin:
    """The channels plugin of the notifications WebSocket (route: ``notifications_socket``)."""
    return ChannelsPlugin(
        backend=LazyRedisChannelsBackend(container),
        arbitrary_channels_allowed=True,
        create_ws_route_handlers=False,
    )


__all__ = ["notification_channels", "notifications_router", "notifications_socket"]
