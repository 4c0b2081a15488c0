"""Profiles on real PostgreSQL: the API end to end, concurrent updates, and the owner's row."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

import psycopg
import pytest
from litestar.testing import TestClient

from account_builders import bearer_for, stored_user
from jobraker_adapters.memory import FixedClock
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_core.accounts.profile import (
    ContactChanges,
    PreferenceChanges,
    ProfileChanges,
)
from jobraker_core.accounts.profile_use_cases import (
    GetProfile,
    ReplaceProfile,
    ReplaceProfileCommand,
    UpdateProfile,
    UpdateProfileCommand,
)
from jobraker_core.errors import NotFound
from jobraker_http import create_app
from profile_builders import full_changes

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

PATH = "/api/v1/users/profile/"


@pytest.fixture
def client(pg_container) -> Iterator[TestClient]:
    """The API over the production container on the test services."""
    with TestClient(create_app(pg_container)) as test_client:
        yield test_client


def test_the_profile_api_on_postgresql(client, pg_container, db):
    """PUT, PATCH and GET through the API store one row per user, preferences as jsonb."""
    user = stored_user(pg_container)
    auth = bearer_for(pg_container, user)
    body = {
        "name": "Ada",
        "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"},
        "preferences": {
            "titles": ["Engineer"],
            "salary_floor": {"amount": "45000.50", "currency": "GBP"},
            "work_authorization": {"GB": True},
        },
    }
    assert client.put(PATH, headers=auth, json=body).status_code == 200
    patched = client.patch(PATH, headers=auth, json={"preferences": {"notice_period_days": 14}})
    assert patched.status_code == 200
    data = client.get(PATH, headers=auth).json()["data"]
    assert data["preferences"]["salary_floor"]["amount"] == 45000.5
    assert data["preferences"]["notice_period_days"] == 14
    assert data["preferences"]["titles"] == ["Engineer"]
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT phone, preferences->'salary_floor'->>'amount', jsonb_typeof(preferences)"
            " FROM profiles WHERE user_id = %s",
            (user.id,),
        ).fetchone()
    assert row == ("+442079460958", "45000.50", "object")


def test_mass_assignment_stores_nothing_on_postgresql(client, pg_container, db):
    """A body naming user_id is refused, and the database holds no profile."""
    user = stored_user(pg_container)
    other = uuid.uuid4()
    response = client.put(
        PATH, headers=bearer_for(pg_container, user), json={"name": "x", "user_id": str(other)}
    )
    assert response.status_code == 422
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM profiles").fetchone() == (0,)


def test_deleting_the_user_deletes_the_profile(pg_container, db):
    """The profile row goes with its user (ON DELETE CASCADE)."""
    user = stored_user(pg_container)
    pg_container.replace_profile()(ReplaceProfileCommand(user_id=user.id, changes=full_changes()))
    with psycopg.connect(db) as conn:
        conn.execute("DELETE FROM users WHERE id = %s", (user.id,))
        assert conn.execute("SELECT count(*) FROM profiles").fetchone() == (0,)


def test_a_profile_for_no_user_is_not_found(pg_pool, db):
    """Saving the profile of a user that does not exist is NotFound, not a database error."""
    use_case = ReplaceProfile(PostgresUnitOfWorkFactory(pg_pool), FixedClock())
    with pytest.raises(NotFound):
        use_case(ReplaceProfileCommand(user_id=uuid.uuid4(), changes=ProfileChanges(name="x")))


CHANGES = [
    ProfileChanges(name="Ada"),
    ProfileChanges(headline="Engineer"),
    ProfileChanges(contact=ContactChanges(email="ada@example.com")),
    ProfileChanges(contact=ContactChanges(phone="+442079460958")),
    ProfileChanges(preferences=PreferenceChanges(notice_period_days=30)),
    ProfileChanges(preferences=PreferenceChanges(willing_to_relocate=True)),
    ProfileChanges(preferences=PreferenceChanges(needs_sponsorship=False)),
    ProfileChanges(preferences=PreferenceChanges(industries=("Fintech",))),
]


def test_concurrent_updates_of_one_profile_lose_nothing(pg_container, pg_pool, db):
    """Eight PATCHes of different fields at once, on a profile not yet saved: all are kept."""
    user = stored_user(pg_container)
    uow = PostgresUnitOfWorkFactory(pg_pool)
    update = UpdateProfile(uow, FixedClock())
    start = threading.Barrier(len(CHANGES))
    errors: list[BaseException] = []

    def patch(changes: ProfileChanges) -> None:
        start.wait()
        try:
            update(UpdateProfileCommand(user_id=user.id, changes=changes))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=patch, args=(c,)) for c in CHANGES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    profile = GetProfile(uow)(user.id)
    assert profile.name == "Ada"
    assert profile.headline == "Engineer"
    assert profile.contact.email == "ada@example.com"
    assert profile.contact.phone == "+442079460958"
    assert profile.preferences.notice_period_days == 30
    assert profile.preferences.willing_to_relocate is True
    assert profile.preferences.needs_sponsorship is False
    assert profile.preferences.industries == ("Fintech",)
