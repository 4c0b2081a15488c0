"""Notifications: channels, a person's preferences, the in-app inbox and delivery records.

An event (``jobraker_core.notifications.events``) reaches a person on the channels their
preferences allow for its kind: ``in_app`` (stored in the inbox, listed and marked read),
``websocket`` (pushed to every open ``ws /ws/notifications/``) and ``email``. New matches go out
either at once or in a daily digest. During quiet hours pushes are held until the quiet hours end;
the in-app inbox still gets the event at once. Each (event, channel) has one ``Delivery`` record,
so no event reaches a channel twice.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.notifications.events import NotificationEvent, NotificationKind

MAX_ATTEMPTS: Final = 5
"""Push attempts per (event, channel) before a delivery is given up."""

RETRY_BASE: Final = timedelta(minutes=1)
"""The wait after the first failed push; it doubles with every further failure."""


class Channel(enum.StrEnum):
    """Where a notification can reach a person."""

    IN_APP = "in_app"
    WEBSOCKET = "websocket"
    EMAIL = "email"


PUSH_CHANNELS: Final = (Channel.WEBSOCKET, Channel.EMAIL)
"""The channels that go out to the person (held in quiet hours, batched in a digest)."""


class MatchDelivery(enum.StrEnum):
    """How new matching jobs are pushed: one notification each, or one digest a day."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"


def _zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone {value[:60]!r} is not an IANA time zone such as Europe/Berlin",
            field="timezone",
        ) from None


def _check_zone(_: object, __: attrs.Attribute[str], value: str) -> None:
    _zone(value)


def parse_clock_time(value: str, field: str) -> time:
    """Read ``HH:MM`` (24-hour) or raise ``InvalidInput`` naming ``field``."""
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a time such as 22:00", field=field) from None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


@attrs.frozen
class QuietHours:
    """A daily span of local time (``start`` to ``end``, may cross midnight) with no pushes."""

    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        """A span of no length is no span."""
        if self.start == self.end:
            raise InvalidInput("quiet hours must start and end at different times", field="end")

    def contains(self, local: time) -> bool:
        """Whether the local clock time ``local`` falls in the quiet hours."""
        moment = local.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def end_after(self, local: datetime) -> datetime:
        """The first local instant after ``local`` at which the quiet hours end."""
        candidate = local.replace(
            hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0
        )
        if candidate <= local:
            candidate = (candidate.replace(tzinfo=None) + timedelta(days=1)).replace(
                tzinfo=local.tzinfo
            )
        return candidate


DEFAULT_CHANNELS: Final[Mapping[NotificationKind, frozenset[Channel]]] = {
    NotificationKind.NEW_MATCH: frozenset(Channel),
    NotificationKind.APPLICATION_STATUS: frozenset(Channel),
    NotificationKind.NEEDS_USER: frozenset(Channel),
    NotificationKind.APPROVAL_WAITING: frozenset(Channel),
    NotificationKind.SITE_PAUSED: frozenset({Channel.IN_APP, Channel.WEBSOCKET}),
    NotificationKind.REMINDER_DUE: frozenset(Channel),
}
DEFAULT_DIGEST_HOUR: Final = 8


def _channels(
    value: Mapping[NotificationKind, frozenset[Channel]],
) -> dict[NotificationKind, frozenset[Channel]]:
    chosen = {kind: DEFAULT_CHANNELS[kind] for kind in NotificationKind}
    chosen.update({NotificationKind(k): frozenset(Channel(c) for c in v) for k, v in value.items()})
    return chosen


def _digest_hour(_: object, __: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 23:  # noqa: PLR2004 - the hours of a day
        raise InvalidInput("digest_hour must be between 0 and 23", field="digest_hour")


def _threshold(_: object, __: attrs.Attribute[float | None], value: float | None) -> None:
    if value is not None and not 0 <= value <= 100:  # noqa: PLR2004 - the score's range
        raise InvalidInput("match_threshold must be between 0 and 100", field="match_threshold")


@attrs.frozen
class NotificationPreferences:
    """What a person wants to hear about, where, and when.

    ``channels`` gives the channels on for each kind (a kind left out keeps its default).
    ``new_matches`` says whether new matches are pushed at once or in a digest sent daily at
    ``digest_hour`` local time. ``quiet_hours`` (local time in ``timezone``) hold pushes.
    ``match_threshold``, when set, also notifies of new jobs scoring at least that much.
    """

    user_id: uuid.UUID
    channels: Mapping[NotificationKind, frozenset[Channel]] = attrs.field(
        factory=dict, converter=_channels, hash=False
    )
    new_matches: MatchDelivery = MatchDelivery.IMMEDIATE
    digest_hour: int = attrs.field(default=DEFAULT_DIGEST_HOUR, validator=_digest_hour)
    timezone: str = attrs.field(default="UTC", validator=_check_zone)
    quiet_hours: QuietHours | None = None
    match_threshold: float | None = attrs.field(default=None, validator=_threshold)

    @classmethod
    def default(cls, user_id: uuid.UUID) -> NotificationPreferences:
        """The preferences of a person who never chose any."""
        return cls(user_id)

    def wants(self, kind: NotificationKind, channel: Channel) -> bool:
        """Whether events of ``kind`` go to ``channel``."""
        return channel in self.channels[kind]

    def channels_for(self, kind: NotificationKind) -> tuple[Channel, ...]:
        """The channels on for ``kind``, in-app first."""
        return tuple(c for c in Channel if c in self.channels[kind])

    def without(self, kind: NotificationKind, channel: Channel) -> NotificationPreferences:
        """These preferences with ``channel`` turned off for ``kind`` (an unsubscribe)."""
        changed = dict(self.channels)
        changed[kind] = self.channels[kind] - {channel}
        return attrs.evolve(self, channels=changed)

    def local(self, moment: datetime) -> datetime:
        """``moment`` on the person's clock."""
        return moment.astimezone(_zone(self.timezone))

    def quiet_until(self, moment: datetime) -> datetime | None:
        """When the quiet hours around ``moment`` end (UTC), or None when it is not quiet."""
        if self.quiet_hours is None:
            return None
        local = self.local(moment)
        if not self.quiet_hours.contains(local.time()):
            return None
        return self.quiet_hours.end_after(local).astimezone(UTC)

    def last_digest_time(self, moment: datetime) -> datetime:
        """The latest daily digest time at or before ``moment`` (UTC)."""
        local = self.local(moment)
        at = local.replace(hour=self.digest_hour, minute=0, second=0, microsecond=0)
        if at > local:
            at = (at.replace(tzinfo=None) - timedelta(days=1)).replace(tzinfo=local.tzinfo)
        return at.astimezone(UTC)


@attrs.frozen
class InboxItem:
    """A notification in a person's in-app inbox (its id is the event's)."""

    id: uuid.UUID
    user_id: uuid.UUID
    kind: NotificationKind
    title: str
    body: str
    created_at: datetime
    data: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    read_at: datetime | None = None

    @classmethod
    def of(cls, event: NotificationEvent) -> InboxItem:
        """The inbox item that shows ``event``."""
        return cls(
            id=event.id,
            user_id=event.user_id,
            kind=event.kind,
            title=event.title,
            body=event.body,
            created_at=event.created_at,
            data=dict(event.data),
        )

    @property
    def unread(self) -> bool:
        """Whether the person has not read it yet."""
        return self.read_at is None


class DeliveryState(enum.StrEnum):
    """Where the delivery of one event on one channel stands."""

    SENT = "sent"
    HELD = "held"
    """Waiting until ``due_at``: quiet hours, or a retry after a failed push."""
    DIGEST = "digest"
    """Waiting for the person's next daily digest."""
    FAILED = "failed"
    """Given up after ``MAX_ATTEMPTS`` failed pushes (or refused for good)."""


@attrs.frozen
class Delivery:
    """The delivery of ``event`` on ``channel``: one record per (event, channel)."""

    event: NotificationEvent
    channel: Channel
    state: DeliveryState
    updated_at: datetime
    due_at: datetime | None = None
    attempts: int = 0
    error: str | None = None

    @property
    def event_id(self) -> uuid.UUID:
        """The id of the event delivered."""
        return self.event.id

    @property
    def user_id(self) -> uuid.UUID:
        """The person it is for."""
        return self.event.user_id

    def sent(self, at: datetime) -> Delivery:
        """This delivery, done."""
        return attrs.evolve(
            self, state=DeliveryState.SENT, updated_at=at, due_at=None, attempts=self.attempts + 1
        )

    def held(self, until: datetime, at: datetime) -> Delivery:
        """This delivery, waiting until ``until`` (quiet hours)."""
        return attrs.evolve(self, state=DeliveryState.HELD, updated_at=at, due_at=until)

    def failed(self, error: str, at: datetime, *, permanent: bool = False) -> Delivery:
        """This delivery after a failed push: retried with back-off, or given up."""
        attempts = self.attempts + 1
        if permanent or attempts >= MAX_ATTEMPTS:
            return attrs.evolve(
                self,
                state=DeliveryState.FAILED,
                updated_at=at,
                due_at=None,
                attempts=attempts,
                error=error[:500],
            )
        wait = RETRY_BASE * (2 ** (attempts - 1))
        return attrs.evolve(
            self,
            state=DeliveryState.HELD,
            updated_at=at,
            due_at=at + wait,
            attempts=attempts,
            error=error[:500],
        )


@attrs.frozen
class Recipient:
    """Who a push goes to."""

    user_id: uuid.UUID
    email: str


@attrs.frozen
class OutgoingNotification:
    """What a notifier sends: one event, or a digest of several (``event_ids``).

    ``unsubscribe_url`` turns this kind off on this channel in one click (no sign-in needed).
    """

    event_ids: tuple[uuid.UUID, ...]
    kind: NotificationKind
    title: str
    body: str
    created_at: datetime
    data: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    unsubscribe_url: str | None = None
    digest: bool = False


@attrs.frozen
class UnsubscribeRequest:
    """What a signed unsubscribe link asks: turn ``kind`` off on ``channel`` for ``user_id``."""

    user_id: uuid.UUID
    kind: NotificationKind
    channel: Channel


def realtime_channel(user_id: uuid.UUID) -> str:
    """The name of the real-time channel a person's open WebSockets listen on."""
    return f"jobraker.notifications.{user_id}"
