"""Admin use cases on the in-memory fakes: list, read, disable/enable, role, audit log."""

from __future__ import annotations

import uuid

import pytest
from accounts_world import PASSWORD, AccountsWorld

from jobraker_core.accounts.admin import UserChange
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import AuditKind, AuditQuery, UserQuery, UserStatus
from jobraker_core.accounts.use_cases import LogIn, RefreshTokens
from jobraker_core.errors import Conflict, Forbidden, NotFound, Unauthenticated
from jobraker_core.pagination import PageRequest


@pytest.fixture
def world() -> AccountsWorld:
    """Fresh fakes."""
    return AccountsWorld()


@pytest.fixture
def admin(world):
    """An admin's principal."""
    return world.user("root@example.com", Role.ADMIN).principal("admin-token")


def test_every_admin_use_case_refuses_a_plain_user(world):
    """A user's principal gets ``Forbidden`` from each admin use case."""
    user = world.user()
    principal = user.principal("t")
    with pytest.raises(Forbidden):
        world.list_users()(principal, UserQuery(), PageRequest())
    with pytest.raises(Forbidden):
        world.get_user()(principal, user.id)
    with pytest.raises(Forbidden):
        world.update_user()(principal, UserChange(user.id, role=Role.ADMIN))
    with pytest.raises(Forbidden):
        world.list_audit()(principal, AuditQuery(), PageRequest())
    assert world.stored(user).role is Role.USER


def test_admins_list_search_and_read_users(world, admin):
    """The list is searchable by email; one user reads by id; unknown ids are ``NotFound``."""
    ada = world.user("ada@example.com")
    world.user("bob@example.com")
    found = world.list_users()(admin, UserQuery(email_contains="ada"), PageRequest())
    assert [u.id for u in found.items] == [ada.id]
    assert world.list_users()(admin, UserQuery(), PageRequest()).total == 3
    assert world.get_user()(admin, ada.id) == ada
    with pytest.raises(NotFound):
        world.get_user()(admin, uuid.uuid4())


def test_disabling_revokes_every_token_and_enabling_allows_new_logins(world, admin):
    """A disabled user's tokens die at once; once enabled it can log in again."""
    tokens = world.logged_in().tokens
    user_id = world.authenticate()(tokens.access_token).principal.user_id
    disabled = world.update_user()(admin, UserChange(user_id, status=UserStatus.DISABLED))
    assert disabled.status is UserStatus.DISABLED
    with pytest.raises(Unauthenticated):
        world.authenticate()(tokens.access_token)
    with pytest.raises(Unauthenticated):
        world.refresh()(RefreshTokens(tokens.refresh_token))
    world.update_user()(admin, UserChange(user_id, status=UserStatus.ACTIVE))
    with pytest.raises(Unauthenticated):
        world.authenticate()(tokens.access_token)
    assert world.login()(LogIn(email="ada@example.com", password=PASSWORD))


def test_changes_are_audited_with_the_acting_admin(world, admin):
    """Each change is one audit event naming the admin as actor and the user as subject."""
    user = world.user()
    world.update_user()(
        admin, UserChange(user.id, status=UserStatus.DISABLED, role=Role.ADMIN, ip="10.0.0.1")
    )
    role_event = world.events(AuditKind.ROLE_CHANGED)[0]
    disabled_event = world.events(AuditKind.USER_DISABLED)[0]
    assert role_event.actor_id == disabled_event.actor_id == admin.user_id
    assert role_event.subject_id == disabled_event.subject_id == user.id
    assert dict(role_event.details) == {"from": "user", "to": "admin"}
    assert role_event.ip is not None
    assert "10.0.0.1" not in role_event.ip


def test_a_change_that_changes_nothing_writes_nothing(world, admin):
    """Setting the current values again stores and audits nothing."""
    user = world.user()
    before = len(world.events())
    assert world.update_user()(admin, UserChange(user.id, status=UserStatus.ACTIVE)) == user
    assert len(world.events()) == before


@pytest.mark.parametrize(
    "change",
    [{"status": UserStatus.DISABLED}, {"role": Role.USER}],
)
def test_an_admin_cannot_lock_itself_out(world, admin, change):
    """Disabling or demoting oneself is a ``Conflict``; nothing changes."""
    with pytest.raises(Conflict):
        world.update_user()(admin, UserChange(admin.user_id, **change))
    stored = world.uow.store.users[admin.user_id]
    assert stored.role is Role.ADMIN
    assert stored.is_active


def test_unknown_users_cannot_be_changed(world, admin):
    """Changing a user that does not exist is ``NotFound``."""
    with pytest.raises(NotFound):
        world.update_user()(admin, UserChange(uuid.uuid4(), role=Role.ADMIN))


def test_the_audit_log_lists_for_admins_with_filters(world, admin):
    """Admins read the log filtered by user and kind."""
    world.logged_in()
    ada = world.uow.store.users
    ada_id = next(u.id for u in ada.values() if u.email == "ada@example.com")
    events = world.list_audit()(admin, AuditQuery(user_id=ada_id), PageRequest())
    assert {e.kind for e in events.items} == {
        AuditKind.USER_CREATED_BY_ADMIN,
        AuditKind.LOGIN_SUCCEEDED,
    }
    logins = world.list_audit()(admin, AuditQuery(kind=AuditKind.LOGIN_SUCCEEDED), PageRequest())
    assert [e.subject_id for e in logins.items] == [ada_id]
