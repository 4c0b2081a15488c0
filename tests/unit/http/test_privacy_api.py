"""Export and account deletion over the memory container."""

from __future__ import annotations

from auth_helpers import TEST_PASSWORD, bearer, log_in, new_email

PROFILE = {"name": "Canary Ada 51c2", "headline": "Engines", "contact": {"phone": "+442079460958"}}


def test_the_export_is_a_private_attachment_of_my_data(container, anonymous_client):
    """My account and profile come back as an uncacheable attachment; another user's do not."""
    email = new_email()
    _, tokens = log_in(container, email=email)
    auth = bearer(tokens.access_token)
    assert anonymous_client.put("/api/v1/users/profile/", headers=auth, json=PROFILE).is_success
    _, other = log_in(container)
    anonymous_client.put(
        "/api/v1/users/profile/", headers=bearer(other.access_token), json={"name": "Bob 99x"}
    )
    answer = anonymous_client.get("/api/v1/users/me/export/", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert "attachment" in answer.headers["content-disposition"]
    data = answer.json()["data"]
    assert data["format"] == "jobraker-personal-data/1"
    assert data["sections"]["account"][0]["email"] == email
    assert data["sections"]["profile"][0]["name"] == "Canary Ada 51c2"
    assert "Bob 99x" not in answer.text
    assert "password_hash" not in answer.text
    assert "fakehash" not in answer.text


def test_deleting_my_account_needs_my_password(container, anonymous_client):
    """No or a wrong password is 422; the right one is 204, and the token is dead after."""
    email = new_email()
    _, tokens = log_in(container, email=email)
    auth = bearer(tokens.access_token)
    assert (
        anonymous_client.request("DELETE", "/api/v1/users/me/", headers=auth, json={}).status_code
        == 422
    )
    wrong = anonymous_client.request(
        "DELETE", "/api/v1/users/me/", headers=auth, json={"password": "not it at all"}
    )
    assert wrong.status_code == 422
    done = anonymous_client.request(
        "DELETE", "/api/v1/users/me/", headers=auth, json={"password": TEST_PASSWORD}
    )
    assert done.status_code == 204, done.text
    assert anonymous_client.get("/api/v1/users/me/export/", headers=auth).status_code == 401
    login = anonymous_client.post(
        "/api/v1/auth/login/", json={"email": email, "password": TEST_PASSWORD}
    )
    assert login.status_code == 401
    assert all(user.email != email for user in container.uow().store.users.values())


def test_the_privacy_routes_need_a_token(anonymous_client):
    """Without a token: 401."""
    assert anonymous_client.get("/api/v1/users/me/export/").status_code == 401
    assert anonymous_client.request("DELETE", "/api/v1/users/me/", json={}).status_code == 401


def test_the_delete_body_refuses_unknown_fields(container, anonymous_client):
    """Mass assignment: a body naming another user is refused, and nothing is erased."""
    victim, _ = log_in(container)
    _, tokens = log_in(container)
    answer = anonymous_client.request(
        "DELETE",
        "/api/v1/users/me/",
        headers=bearer(tokens.access_token),
        json={"password": TEST_PASSWORD, "user_id": str(victim)},
    )
    assert answer.status_code in {400, 422}
    assert victim in container.uow().store.users
