"""Use cases of a person's notifications: the inbox, preferences and one-click unsubscribe."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import uuid

    from jobraker_core.clock import Clock
    from jobraker_core.notifications.model import (
        InboxItem,
        NotificationPreferences,
        UnsubscribeRequest,
    )
    from jobraker_core.notifications.ports import UnsubscribeTokens
    from jobraker_core.pagination import Page, PageRequest
    from jobraker_core.ports import UnitOfWorkFactory


@attrs.frozen
class InboxPage:
    """One page of a person's inbox and how many of all their items are unread."""

    page: Page[InboxItem]
    unread: int


class ListNotifications:
    """A page of the person's in-app notifications, newest first (optionally unread only)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, page: PageRequest, *, unread_only: bool) -> InboxPage:
        """Return the page and the unread count."""
        with self._uow() as uow:
            found = uow.inbox.list(user_id, page, unread_only=unread_only)
            return InboxPage(found, uow.inbox.unread(user_id))


class MarkNotificationRead:
    """Marks one of the person's notifications read (``NotFound`` for anyone else's)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, user_id: uuid.UUID, item_id: uuid.UUID) -> InboxItem:
        """Return the item as it now is."""
        with self._uow() as uow:
            item = uow.inbox.mark_read(user_id, item_id, self._clock.now())
            uow.commit()
        return item


class MarkAllNotificationsRead:
    """Marks every unread notification of the person read."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, user_id: uuid.UUID) -> int:
        """Return how many were unread."""
        with self._uow() as uow:
            count = uow.inbox.mark_all_read(user_id, self._clock.now())
            uow.commit()
        return count


class GetNotificationPreferences:
    """The person's notification preferences (the defaults until they choose)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID) -> NotificationPreferences:
        """Return them."""
        with self._uow() as uow:
            return uow.notification_preferences.get(user_id)


class ReplaceNotificationPreferences:
    """Stores the person's new notification preferences."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, preferences: NotificationPreferences) -> NotificationPreferences:
        """Store ``preferences`` and return them."""
        with self._uow() as uow:
            uow.users.get(preferences.user_id)  # NotFound for an account that is gone
            uow.notification_preferences.save(preferences, self._clock.now())
            uow.commit()
        return preferences


class Unsubscribe:
    """Turns one kind of notification off on one channel from a signed link (no sign-in).

    ``InvalidInput`` for a token that was not signed here or was altered; ``NotFound`` when the
    account is gone. Following the same link twice is harmless.
    """

    def __init__(self, uow: UnitOfWorkFactory, tokens: UnsubscribeTokens, clock: Clock) -> None:
        self._uow = uow
        self._tokens = tokens
        self._clock = clock

    def __call__(self, token: str) -> UnsubscribeRequest:
        """Apply the link's request and return it."""
        request = self._tokens.read(token)
        with self._uow() as uow:
            uow.users.get(request.user_id)
            current = uow.notification_preferences.get(request.user_id)
            if current.wants(request.kind, request.channel):
                changed = current.without(request.kind, request.channel)
                uow.notification_preferences.save(changed, self._clock.now())
                uow.commit()
        return request
