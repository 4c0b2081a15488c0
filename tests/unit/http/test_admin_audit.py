"""``/api/v1/admin/audit/``: the audit log, filtered and paged, for admins."""

from __future__ import annotations

from auth_helpers import bearer, log_in

from jobraker_core.accounts.identity import Role

AUDIT = "/api/v1/admin/audit/"


def test_admins_read_the_log_newest_first_without_pii(anonymous_client, container):
    """Every event comes with ids, kind, time, an IP pseudonym and details; never an email."""
    admin_id, admin = log_in(container, role=Role.ADMIN, email="root@example.com")
    user_id, _ = log_in(container, email="ada@example.com")
    container.clock().advance(seconds=1)
    anonymous_client.patch(
        f"/api/v1/admin/users/{user_id}/",
        json={"role": "admin"},
        headers=bearer(admin.access_token),
    )
    response = anonymous_client.get(AUDIT, headers=bearer(admin.access_token))
    assert response.status_code == 200
    body = response.json()
    newest = body["data"][0]
    assert newest["kind"] == "role_changed"
    assert newest["actor_id"] == str(admin_id)
    assert newest["subject_id"] == str(user_id)
    assert newest["details"] == {"from": "user", "to": "admin"}
    assert newest["ip"] is not None
    assert "testclient" not in response.text
    assert "example.com" not in response.text
    assert body["meta"]["pagination"]["total"] == len(container.uow().store.audit)


def test_the_log_filters_by_user_and_kind(anonymous_client, container):
    """``user_id`` and ``kind`` narrow the list; an unknown kind is refused."""
    _, admin = log_in(container, role=Role.ADMIN)
    user_id, _ = log_in(container)
    headers = bearer(admin.access_token)
    mine = anonymous_client.get(f"{AUDIT}?user_id={user_id}", headers=headers).json()["data"]
    assert {e["kind"] for e in mine} == {"user_created_by_admin", "login_succeeded"}
    assert all(str(user_id) in {e["actor_id"], e["subject_id"]} for e in mine)
    logins = anonymous_client.get(f"{AUDIT}?kind=login_succeeded", headers=headers).json()
    assert len(logins["data"]) == 2
    assert anonymous_client.get(f"{AUDIT}?kind=nonsense", headers=headers).status_code == 400
    assert anonymous_client.get(f"{AUDIT}?user_id=nope", headers=headers).status_code == 400


def test_the_log_needs_an_admin(anonymous_client, container):
    """No token 401, a user's token 403."""
    _, user = log_in(container)
    assert anonymous_client.get(AUDIT).status_code == 401
    assert anonymous_client.get(AUDIT, headers=bearer(user.access_token)).status_code == 403
