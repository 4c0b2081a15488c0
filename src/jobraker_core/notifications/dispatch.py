"""Delivering notification events: the dispatcher, held pushes and the daily digest.

``DispatchNotifications`` takes the outbox's pending events one at a time, each in its own
transaction (the event row stays locked until it commits, so concurrent dispatchers take
different events). For each channel the person's preferences allow it either stores the event in
the in-app inbox, pushes it (``Notifier``), holds it until the quiet hours end, or keeps it for
the daily digest, records a ``Delivery`` per (event, channel), and marks the event dispatched. It
then pushes the held deliveries that are due (quiet hours over, or a retry after a failed push).

``SendDigests`` sends each person whose digest time has come one message per channel listing
the new matches kept for it.

Delivery is at least once: a push that succeeded in a transaction that then failed to commit is
pushed again by the next run. The delivery records make every other repeat impossible.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import NotFound, UpstreamRejected, UpstreamUnavailable
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.notifications.model import (
    Channel,
    Delivery,
    DeliveryState,
    InboxItem,
    MatchDelivery,
    NotificationPreferences,
    OutgoingNotification,
    Recipient,
    UnsubscribeRequest,
)

if TYPE_CHECKING:
    from datetime import datetime

    from jobraker_core.accounts.model import User
    from jobraker_core.clock import Clock
    from jobraker_core.notifications.events import NotificationEvent
    from jobraker_core.notifications.ports import Notifier, UnsubscribeTokens
    from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

DISPATCH_LIMIT: Final = 500
"""Events one dispatch run takes at most (the next run carries on)."""
RELEASE_BATCH: Final = 50
DIGEST_LIMIT: Final = 200
DIGEST_LINES: Final = 50
"""Matches listed in one digest at most (the rest are counted)."""


@attrs.define
class DispatchOutcome:
    """What one dispatch run did."""

    events: int = 0
    inbox: int = 0
    sent: int = 0
    held: int = 0
    digest: int = 0
    failed: int = 0

    def count(self, delivery: Delivery) -> None:
        """Count one delivery record by its state."""
        if delivery.state is DeliveryState.SENT:
            self.sent += 1
        elif delivery.state is DeliveryState.HELD:
            self.held += 1
        elif delivery.state is DeliveryState.DIGEST:
            self.digest += 1
        else:
            self.failed += 1


class _Pusher:
    """Pushes one notification through the notifier of its channel, turning errors into state."""

    def __init__(
        self,
        notifiers: Iterable[Notifier],
        tokens: UnsubscribeTokens,
        unsubscribe_link: Callable[[str], str],
    ) -> None:
        self.notifiers: Mapping[Channel, Notifier] = {n.channel: n for n in notifiers}
        self._tokens = tokens
        self._link = unsubscribe_link

    def link(self, user_id: uuid.UUID, kind: NotificationKind, channel: Channel) -> str:
        """The one-click unsubscribe link for ``kind`` on ``channel``."""
        return self._link(self._tokens.issue(UnsubscribeRequest(user_id, kind, channel)))

    def outgoing(self, event: NotificationEvent, channel: Channel) -> OutgoingNotification:
        """The message that carries ``event`` on ``channel``."""
        return OutgoingNotification(
            event_ids=(event.id,),
            kind=event.kind,
            title=event.title,
            body=event.body,
            created_at=event.created_at,
            data=dict(event.data),
            unsubscribe_url=self.link(event.user_id, event.kind, channel),
        )

    def push(
        self, delivery: Delivery, user: User, message: OutgoingNotification, now: datetime
    ) -> Delivery:
        """Push ``message`` for ``delivery``; return the delivery as it now stands."""
        notifier = self.notifiers[delivery.channel]
        try:
            notifier.deliver(Recipient(user.id, user.email), message)
        except UpstreamRejected as error:
            return delivery.failed(error.message, now, permanent=True)
        except UpstreamUnavailable as error:
            return delivery.failed(error.message, now)
        return delivery.sent(now)


def _recipient(uow: UnitOfWork, user_id: uuid.UUID) -> User | None:
    """The account to push to; None when it is gone or not active."""
    try:
        user = uow.users.get(user_id)
    except NotFound:
        return None
    return user if user.is_active else None


class DispatchNotifications:
    """Delivers pending events per the people's preferences, then the held pushes now due."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        notifiers: Iterable[Notifier],
        tokens: UnsubscribeTokens,
        clock: Clock,
        unsubscribe_link: Callable[[str], str],
    ) -> None:
        self._uow = uow
        self._pusher = _Pusher(notifiers, tokens, unsubscribe_link)
        self._clock = clock

    def __call__(self, limit: int = DISPATCH_LIMIT) -> DispatchOutcome:
        """Dispatch up to ``limit`` events and every held push that is due; say what happened."""
        outcome = DispatchOutcome()
        while outcome.events < limit:
            with self._uow() as uow:
                pending = uow.notifications.pending(1)
                if not pending:
                    break
                self._dispatch(uow, pending[0], outcome)
                uow.commit()
            outcome.events += 1
        self._release(outcome)
        return outcome

    def _dispatch(
        self, uow: UnitOfWork, event: NotificationEvent, outcome: DispatchOutcome
    ) -> None:
        now = self._clock.now()
        preferences = uow.notification_preferences.get(event.user_id)
        user = _recipient(uow, event.user_id)
        for channel in preferences.channels_for(event.kind):
            if channel is Channel.IN_APP:
                outcome.inbox += uow.inbox.add(InboxItem.of(event))
                continue
            if user is None or channel not in self._pusher.notifiers:
                continue  # no account to push to, or the channel is off in this deployment
            if uow.deliveries.get(event.id, channel) is not None:
                continue
            delivery = self._first(preferences, event, channel, user, now)
            uow.deliveries.add(delivery)
            outcome.count(delivery)
        uow.notifications.mark_dispatched(event.id, now)

    def _first(
        self,
        preferences: NotificationPreferences,
        event: NotificationEvent,
        channel: Channel,
        user: User,
        now: datetime,
    ) -> Delivery:
        waiting = Delivery(event, channel, DeliveryState.HELD, now)
        if event.kind is NotificationKind.NEW_MATCH and (
            preferences.new_matches is MatchDelivery.DIGEST
        ):
            return attrs.evolve(waiting, state=DeliveryState.DIGEST)
        quiet = preferences.quiet_until(now)
        if quiet is not None:
            return waiting.held(quiet, now)
        return self._pusher.push(waiting, user, self._pusher.outgoing(event, channel), now)

    def _release(self, outcome: DispatchOutcome) -> None:
        """Push the held deliveries that are due, a batch per transaction."""
        while True:
            now = self._clock.now()
            with self._uow() as uow:
                due = uow.deliveries.due(now, RELEASE_BATCH)
                if not due:
                    return
                for delivery in due:
                    released = self._retry(uow, delivery, now)
                    uow.deliveries.update(released)
                    outcome.count(released)
                uow.commit()
            if len(due) < RELEASE_BATCH:
                return

    def _retry(self, uow: UnitOfWork, delivery: Delivery, now: datetime) -> Delivery:
        user = _recipient(uow, delivery.user_id)
        if user is None or delivery.channel not in self._pusher.notifiers:
            return delivery.failed("no account or channel to push to", now, permanent=True)
        preferences = uow.notification_preferences.get(delivery.user_id)
        if not preferences.wants(delivery.event.kind, delivery.channel):
            return delivery.failed("turned off since", now, permanent=True)
        quiet = preferences.quiet_until(now)
        if quiet is not None:
            return delivery.held(quiet, now)
        message = self._pusher.outgoing(delivery.event, delivery.channel)
        return self._pusher.push(delivery, user, message, now)


def digest_message(deliveries: list[Delivery], unsubscribe_url: str | None) -> OutgoingNotification:
    """One message listing the events of ``deliveries`` (new matches), newest last."""
    lines = [f"- {d.event.title}: {d.event.body}" for d in deliveries[:DIGEST_LINES]]
    if len(deliveries) > DIGEST_LINES:
        lines.append(f"... and {len(deliveries) - DIGEST_LINES} more")
    count = len(deliveries)
    title = "1 new job match" if count == 1 else f"{count} new job matches"
    return OutgoingNotification(
        event_ids=tuple(d.event_id for d in deliveries),
        kind=NotificationKind.NEW_MATCH,
        title=title,
        body="\n".join(lines),
        created_at=deliveries[-1].event.created_at,
        data={"count": str(count)},
        unsubscribe_url=unsubscribe_url,
        digest=True,
    )


class SendDigests:
    """Sends the daily digest of new matches to each person whose digest time has come.

    A person's digest holds the matches kept for it before their latest digest time
    (``digest_hour`` local time); later ones wait for the next day. Quiet hours hold it too.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        notifiers: Iterable[Notifier],
        tokens: UnsubscribeTokens,
        clock: Clock,
        unsubscribe_link: Callable[[str], str],
    ) -> None:
        self._uow = uow
        self._pusher = _Pusher(notifiers, tokens, unsubscribe_link)
        self._clock = clock

    def __call__(self) -> int:
        """Send every digest that is due; return how many messages went out."""
        with self._uow() as uow:
            people = list(uow.deliveries.digest_users(DIGEST_LIMIT))
        return sum(self._send(user_id) for user_id in people)

    def _send(self, user_id: uuid.UUID) -> int:
        now = self._clock.now()
        sent = 0
        with self._uow() as uow:
            preferences = uow.notification_preferences.get(user_id)
            cut = preferences.last_digest_time(now)
            ready = [d for d in uow.deliveries.digests(user_id) if d.updated_at <= cut]
            if not ready or preferences.quiet_until(now) is not None:
                return 0
            user = _recipient(uow, user_id)
            by_channel: dict[Channel, list[Delivery]] = defaultdict(list)
            for delivery in ready:
                by_channel[delivery.channel].append(delivery)
            for channel, deliveries in by_channel.items():
                if user is None or channel not in self._pusher.notifiers:
                    for delivery in deliveries:
                        uow.deliveries.update(
                            delivery.failed("no one to send to", now, permanent=True)
                        )
                    continue
                link = self._pusher.link(user_id, NotificationKind.NEW_MATCH, channel)
                message = digest_message(deliveries, link)
                result = self._pusher.push(deliveries[0], user, message, now)
                if result.state is DeliveryState.SENT:
                    sent += 1
                    for delivery in deliveries:
                        uow.deliveries.update(delivery.sent(now))
                elif result.state is DeliveryState.FAILED:
                    for delivery in deliveries:
                        uow.deliveries.update(
                            delivery.failed(result.error or "refused", now, permanent=True)
                        )
                # else: the channel is down for now; the digest is tried again next run
            uow.commit()
        return sent
