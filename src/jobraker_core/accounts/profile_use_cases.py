"""Use cases of the profile: read it, replace it (PUT), change some of it (PATCH).

Every one is scoped to the ``user_id`` it is given, which the edge takes from the caller's
``Principal``: there is no way to name another user's profile.
"""

from __future__ import annotations

import uuid

import attrs

from jobraker_core.accounts.profile import Profile, ProfileChanges
from jobraker_core.clock import Clock
from jobraker_core.ports import UnitOfWorkFactory


@attrs.frozen
class ReplaceProfileCommand:
    """Make the user's profile exactly ``changes`` applied to the empty profile."""

    user_id: uuid.UUID
    changes: ProfileChanges


@attrs.frozen
class UpdateProfileCommand:
    """Apply ``changes`` to the user's profile; what they leave ``UNSET`` stays as it is."""

    user_id: uuid.UUID
    changes: ProfileChanges


class GetProfile:
    """The user's profile; the empty profile for a user who never saved one."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID) -> Profile:
        """Return the profile of ``user_id``."""
        with self._uow() as uow:
            return uow.profiles.get(user_id) or Profile.empty(user_id)


class ReplaceProfile:
    """Replace the user's whole profile (attributes not given are cleared).

    The new profile is validated before any storage is touched; ``InvalidInput`` stores nothing.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: ReplaceProfileCommand) -> Profile:
        """Store and return the new profile."""
        now = self._clock.now()
        wanted = Profile.empty(command.user_id).changed(command.changes, now)
        with self._uow() as uow:
            current = uow.profiles.get(command.user_id, for_update=True)
            if current is not None and current.same_content(wanted):
                return current
            profile = attrs.evolve(wanted, updated_at=now)
            uow.profiles.save(profile)
            uow.commit()
        return profile


class UpdateProfile:
    """Change the attributes of the user's profile that the command sets, and keep the rest.

    Concurrent updates of one profile run one after the other, so neither loses the other's
    changes. ``InvalidInput`` when the result breaks a rule; nothing is stored then.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: UpdateProfileCommand) -> Profile:
        """Store and return the changed profile."""
        with self._uow() as uow:
            current = uow.profiles.get(command.user_id, for_update=not command.changes.is_empty)
            base = current or Profile.empty(command.user_id)
            profile = base.changed(command.changes, self._clock.now())
            if profile is base:
                return base
            uow.profiles.save(profile)
            uow.commit()
        return profile
