"""The ``ProfileRepository`` contract, run on the in-memory fake and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import attrs
import pytest

from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import User, UserStatus
from jobraker_core.accounts.profile import ContactChanges, Profile, ProfileChanges
from profile_builders import SAVED_AT, full_profile

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


def add_user(uow_factory: UnitOfWorkFactory) -> uuid.UUID:
    """Store a user (profiles belong to users) and return its id."""
    user_id = uuid.uuid4()
    with uow_factory() as uow:
        uow.users.add(
            User(
                id=user_id,
                email=f"{user_id.hex}@example.com",
                role=Role.USER,
                status=UserStatus.ACTIVE,
                password_hash=None,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        uow.commit()
    return user_id


@pytest.fixture
def user_id(uow_factory: UnitOfWorkFactory) -> uuid.UUID:
    """A stored user without a profile."""
    return add_user(uow_factory)


def saved(uow_factory: UnitOfWorkFactory, profile: Profile) -> Profile:
    """Save ``profile`` in a committed unit and return it."""
    with uow_factory() as uow:
        uow.profiles.save(profile)
        uow.commit()
    return profile


def read(uow_factory: UnitOfWorkFactory, user_id: uuid.UUID) -> Profile | None:
    """The committed profile of ``user_id``."""
    with uow_factory() as uow:
        return uow.profiles.get(user_id)


class TestProfileRepository:
    """Saving, reading, replacing and deleting profiles."""

    def test_a_user_without_a_profile_reads_none(self, uow_factory, user_id):
        """A user who never saved a profile has none stored."""
        assert read(uow_factory, user_id) is None

    def test_a_full_profile_round_trips(self, uow_factory, user_id):
        """Every attribute of a saved profile reads back equal, in a later unit."""
        profile = saved(uow_factory, full_profile(user_id))
        assert read(uow_factory, user_id) == profile

    def test_a_profile_with_nothing_filled_in_round_trips(self, uow_factory, user_id):
        """Empty lists and nulls read back as they were saved."""
        profile = saved(uow_factory, attrs.evolve(Profile.empty(user_id), updated_at=SAVED_AT))
        assert read(uow_factory, user_id) == profile

    def test_saving_again_replaces(self, uow_factory, user_id):
        """The second save of a user's profile replaces the first."""
        saved(uow_factory, full_profile(user_id))
        later = full_profile(user_id).changed(
            ProfileChanges(name="Ada King", contact=ContactChanges(phone=None)),
            SAVED_AT + timedelta(days=1),
        )
        saved(uow_factory, later)
        assert read(uow_factory, user_id) == later

    def test_nothing_is_stored_without_commit(self, uow_factory, user_id):
        """A profile saved in a unit left without commit is not stored."""
        with uow_factory() as uow:
            uow.profiles.save(full_profile(user_id))
        assert read(uow_factory, user_id) is None

    def test_a_unit_sees_its_own_save(self, uow_factory, user_id):
        """Inside the unit, a saved profile is visible before commit (also for update)."""
        profile = full_profile(user_id)
        with uow_factory() as uow:
            uow.profiles.save(profile)
            assert uow.profiles.get(user_id) == profile
            assert uow.profiles.get(user_id, for_update=True) == profile

    def test_profiles_are_per_user(self, uow_factory, user_id):
        """One user's profile is not another's."""
        other = add_user(uow_factory)
        saved(uow_factory, full_profile(user_id))
        assert read(uow_factory, other) is None

    def test_delete_removes_the_profile(self, uow_factory, user_id):
        """Deleting removes the profile once committed, and says whether there was one."""
        saved(uow_factory, full_profile(user_id))
        with uow_factory() as uow:
            assert uow.profiles.delete(user_id) is True
            assert uow.profiles.get(user_id) is None
            uow.commit()
        assert read(uow_factory, user_id) is None
        with uow_factory() as uow:
            assert uow.profiles.delete(user_id) is False

    def test_delete_without_commit_keeps_the_profile(self, uow_factory, user_id):
        """A deletion left without commit is undone."""
        profile = saved(uow_factory, full_profile(user_id))
        with uow_factory() as uow:
            uow.profiles.delete(user_id)
        assert read(uow_factory, user_id) == profile
