"""The in-memory profile repository."""

from __future__ import annotations

import uuid

import attrs

from jobraker_core.accounts.profile import Profile


@attrs.define
class InMemoryProfileRepository:
    """A ``ProfileRepository`` over a dict, shared with the unit of work that made it.

    ``deleted`` remembers the users whose profile this unit removed, so the unit can publish the
    removals on commit. ``for_update`` is accepted and ignored: in-memory units see a snapshot,
    and the last one to commit wins.
    """

    profiles: dict[uuid.UUID, Profile] = attrs.field(factory=dict)
    deleted: set[uuid.UUID] = attrs.field(factory=set)

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> Profile | None:
        """The user's saved profile, if any."""
        del for_update
        return self.profiles.get(user_id)

    def save(self, profile: Profile) -> None:
        """Store the profile, replacing the user's saved one."""
        self.profiles[profile.user_id] = profile
        self.deleted.discard(profile.user_id)

    def delete(self, user_id: uuid.UUID) -> bool:
        """Remove the user's profile; ``False`` when there was none."""
        if self.profiles.pop(user_id, None) is None:
            return False
        self.deleted.add(user_id)
        return True
