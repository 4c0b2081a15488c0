"""Profile use cases on the in-memory fakes: read, replace (PUT) and update (PATCH)."""

from __future__ import annotations

import uuid

import pytest

from jobraker_adapters.memory import FixedClock, InMemoryUnitOfWorkFactory
from jobraker_core.accounts.profile import (
    ContactChanges,
    PreferenceChanges,
    Profile,
    ProfileChanges,
)
from jobraker_core.accounts.profile_use_cases import (
    GetProfile,
    ReplaceProfile,
    ReplaceProfileCommand,
    UpdateProfile,
    UpdateProfileCommand,
)
from jobraker_core.errors import InvalidInput
from profile_builders import full_changes


@pytest.fixture
def uow() -> InMemoryUnitOfWorkFactory:
    """Empty in-memory storage."""
    return InMemoryUnitOfWorkFactory()


@pytest.fixture
def clock() -> FixedClock:
    """A clock the test moves."""
    return FixedClock()


def replace(uow, clock, user_id, changes) -> Profile:
    """Run ReplaceProfile."""
    return ReplaceProfile(uow, clock)(ReplaceProfileCommand(user_id=user_id, changes=changes))


def update(uow, clock, user_id, changes) -> Profile:
    """Run UpdateProfile."""
    return UpdateProfile(uow, clock)(UpdateProfileCommand(user_id=user_id, changes=changes))


def test_a_new_user_gets_the_empty_profile_and_nothing_is_stored(uow):
    """Reading the profile of a user who never saved one gives the empty one, stores nothing."""
    user_id = uuid.uuid4()
    assert GetProfile(uow)(user_id) == Profile.empty(user_id)
    assert uow.store.profiles == {}
    assert uow.store.commits == 0


def test_replace_stores_the_whole_profile(uow, clock):
    """PUT stores every attribute given and stamps the save time."""
    user_id = uuid.uuid4()
    saved = replace(uow, clock, user_id, full_changes())
    assert saved.updated_at == clock.now()
    assert GetProfile(uow)(user_id) == saved
    assert saved.contact.email == "ada@example.com"


def test_replace_clears_what_it_does_not_give(uow, clock):
    """PUT without an attribute clears it: the result is exactly what was sent."""
    user_id = uuid.uuid4()
    replace(uow, clock, user_id, full_changes())
    clock.advance(minutes=5)
    saved = replace(uow, clock, user_id, ProfileChanges(name="Ada"))
    assert saved.name == "Ada"
    assert saved.contact.email is None
    assert saved.preferences.titles == ()
    assert saved.updated_at == clock.now()


def test_replace_with_the_same_content_writes_nothing(uow, clock):
    """PUT of what is stored keeps the stored profile and its save time."""
    user_id = uuid.uuid4()
    first = replace(uow, clock, user_id, full_changes())
    commits = uow.store.commits
    clock.advance(minutes=5)
    assert replace(uow, clock, user_id, full_changes()) == first
    assert uow.store.commits == commits


def test_update_changes_only_the_fields_given(uow, clock):
    """PATCH sets what it names, clears what it sets to null, keeps everything else."""
    user_id = uuid.uuid4()
    before = replace(uow, clock, user_id, full_changes())
    clock.advance(minutes=1)
    after = update(
        uow,
        clock,
        user_id,
        ProfileChanges(
            headline="Now a manager",
            contact=ContactChanges(phone=None),
            preferences=PreferenceChanges(notice_period_days=90),
        ),
    )
    assert after.headline == "Now a manager"
    assert after.contact.phone is None
    assert after.preferences.notice_period_days == 90
    assert after.name == before.name
    assert after.contact.email == before.contact.email
    assert after.preferences.titles == before.preferences.titles
    assert GetProfile(uow)(user_id) == after


def test_update_of_a_new_user_starts_from_the_empty_profile(uow, clock):
    """PATCH before any PUT fills in the empty profile."""
    user_id = uuid.uuid4()
    saved = update(uow, clock, user_id, ProfileChanges(name="Grace"))
    assert saved == Profile(user_id=user_id, name="Grace", updated_at=clock.now())


def test_update_that_changes_nothing_writes_nothing(uow, clock):
    """An empty PATCH, or one that repeats stored values, stores nothing."""
    user_id = uuid.uuid4()
    assert update(uow, clock, user_id, ProfileChanges()) == Profile.empty(user_id)
    assert update(uow, clock, user_id, ProfileChanges(name=None)) == Profile.empty(user_id)
    assert uow.store.commits == 0


def test_refused_input_stores_nothing(uow, clock):
    """A PUT or PATCH that breaks a rule raises InvalidInput and leaves the stored profile."""
    user_id = uuid.uuid4()
    stored = replace(uow, clock, user_id, full_changes())
    bad = ProfileChanges(name="Fine", contact=ContactChanges(email="nope"))
    with pytest.raises(InvalidInput) as raised:
        update(uow, clock, user_id, bad)
    assert raised.value.field == "contact.email"
    with pytest.raises(InvalidInput):
        replace(uow, clock, user_id, bad)
    assert GetProfile(uow)(user_id) == stored


def test_profiles_are_per_user(uow, clock):
    """One user's changes never show in another user's profile."""
    ada, grace = uuid.uuid4(), uuid.uuid4()
    replace(uow, clock, ada, full_changes())
    update(uow, clock, grace, ProfileChanges(name="Grace"))
    assert GetProfile(uow)(ada).name == "Ada Lovelace"
    assert GetProfile(uow)(grace).name == "Grace"
    assert GetProfile(uow)(grace).contact.email is None
