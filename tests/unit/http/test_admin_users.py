"""``/api/v1/admin/users/``: list, search, read, disable/enable, change role, mass assignment."""

from __future__ import annotations

import uuid

import pytest
from auth_helpers import TEST_PASSWORD, bearer, log_in

from jobraker_core.accounts.identity import Role

USERS = "/api/v1/admin/users/"


@pytest.fixture
def admin(container):
    """An admin's id and auth header."""
    admin_id, tokens = log_in(container, role=Role.ADMIN, email="root@example.com")
    return admin_id, bearer(tokens.access_token)


def _user(container, email):
    user_id, tokens = log_in(container, email=email)
    return user_id, tokens


def test_admins_list_users_oldest_first_with_pagination(anonymous_client, container, admin):
    """The list shows every account (no secrets), paged."""
    for name in ("ada", "bob", "cy"):
        container.clock().advance(seconds=1)
        _user(container, f"{name}@example.com")
    body = anonymous_client.get(f"{USERS}?per_page=2", headers=admin[1]).json()
    assert [u["email"] for u in body["data"]] == ["root@example.com", "ada@example.com"]
    assert body["meta"]["pagination"] == {"page": 1, "per_page": 2, "total": 4, "total_pages": 2}
    assert set(body["data"][0]) == {"id", "email", "role", "status", "created_at", "last_login_at"}


def test_admins_search_users_by_email(anonymous_client, container, admin):
    """``q`` keeps the emails containing it, case-insensitively."""
    _user(container, "ada.lovelace@example.com")
    _user(container, "bob@example.com")
    body = anonymous_client.get(f"{USERS}?q=LOVELACE", headers=admin[1]).json()
    assert [u["email"] for u in body["data"]] == ["ada.lovelace@example.com"]
    none = anonymous_client.get(f"{USERS}?q=%25", headers=admin[1]).json()
    assert none["data"] == []


def test_page_sizes_are_capped(anonymous_client, admin):
    """A huge ``per_page`` is clamped to the maximum, not refused."""
    body = anonymous_client.get(f"{USERS}?per_page=100000", headers=admin[1]).json()
    assert body["meta"]["pagination"]["per_page"] == 100


def test_admins_read_one_user(anonymous_client, container, admin):
    """A user reads by id; unknown and malformed ids are 404."""
    user_id, _ = _user(container, "ada@example.com")
    response = anonymous_client.get(f"{USERS}{user_id}/", headers=admin[1])
    assert response.status_code == 200
    assert response.json()["data"]["email"] == "ada@example.com"
    assert anonymous_client.get(f"{USERS}{uuid.uuid4()}/", headers=admin[1]).status_code == 404
    assert anonymous_client.get(f"{USERS}not-a-uuid/", headers=admin[1]).status_code == 404


def test_disabling_a_user_revokes_its_tokens(anonymous_client, container, admin):
    """PATCH status=disabled: the user's token stops working and its login is 403."""
    user_id, tokens = _user(container, "ada@example.com")
    assert (
        anonymous_client.get("/api/v1/jobs/", headers=bearer(tokens.access_token)).status_code
        == 200
    )
    response = anonymous_client.patch(
        f"{USERS}{user_id}/", json={"status": "disabled"}, headers=admin[1]
    )
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "disabled"
    assert (
        anonymous_client.get("/api/v1/jobs/", headers=bearer(tokens.access_token)).status_code
        == 401
    )
    login = anonymous_client.post(
        "/api/v1/auth/login/", json={"email": "ada@example.com", "password": TEST_PASSWORD}
    )
    assert login.status_code == 403
    anonymous_client.patch(f"{USERS}{user_id}/", json={"status": "active"}, headers=admin[1])
    login = anonymous_client.post(
        "/api/v1/auth/login/", json={"email": "ada@example.com", "password": TEST_PASSWORD}
    )
    assert login.status_code == 200


def test_promoting_a_user_opens_the_admin_routes(anonymous_client, container, admin):
    """PATCH role=admin takes effect on the user's next request."""
    user_id, tokens = _user(container, "ada@example.com")
    headers = bearer(tokens.access_token)
    assert anonymous_client.get(USERS, headers=headers).status_code == 403
    response = anonymous_client.patch(
        f"{USERS}{user_id}/", json={"role": "admin"}, headers=admin[1]
    )
    assert response.json()["data"]["role"] == "admin"
    assert anonymous_client.get(USERS, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"id": str(uuid.uuid4())},
        {"email": "evil@example.com"},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"token_version": 0},
        {"password_hash": "x"},
        {"role": "admin", "is_admin": True},
        {"status": "banned"},
        {"role": "root"},
    ],
)
def test_patch_refuses_anything_but_status_and_role(anonymous_client, container, admin, body):
    """Mass assignment: unknown fields and unknown values are 422; the user is unchanged."""
    user_id, _ = _user(container, "ada@example.com")
    with container.uow()() as uow:
        before = uow.users.get(user_id)
    response = anonymous_client.patch(f"{USERS}{user_id}/", json=body, headers=admin[1])
    assert response.status_code == 422
    with container.uow()() as uow:
        assert uow.users.get(user_id) == before


def test_an_admin_cannot_disable_or_demote_itself(anonymous_client, admin):
    """409 for self-disabling and self-demotion."""
    admin_id, headers = admin
    for body in ({"status": "disabled"}, {"role": "user"}):
        response = anonymous_client.patch(f"{USERS}{admin_id}/", json=body, headers=headers)
        assert response.status_code == 409


def test_users_get_403_at_every_admin_route(anonymous_client, container):
    """A plain user's token is 403 at the admin routes."""
    user_id, tokens = _user(container, "ada@example.com")
    headers = bearer(tokens.access_token)
    assert anonymous_client.get(USERS, headers=headers).status_code == 403
    assert anonymous_client.get(f"{USERS}{user_id}/", headers=headers).status_code == 403
    response = anonymous_client.patch(f"{USERS}{user_id}/", json={"role": "admin"}, headers=headers)
    assert response.status_code == 403
    assert anonymous_client.get("/api/v1/admin/audit/", headers=headers).status_code == 403
