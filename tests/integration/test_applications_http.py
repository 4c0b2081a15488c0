"""Idempotency-Key on the application create routes, on the real PostgreSQL store."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from litestar.testing import TestClient

from application_builders import make_job, make_resume
from jobraker_core.accounts.profile import Profile
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_http import create_app
from profile_builders import full_changes

pytestmark = pytest.mark.integration


def _person(container) -> tuple[uuid.UUID, dict[str, str]]:
    email = f"idem-{uuid.uuid4().hex[:8]}@example.com"
    user = container.create_user_account()(
        CreateUser(email=email, password="a long test passphrase")
    )
    token = container.login()(LogIn(email=email, password="a long test passphrase")).tokens
    with container.uow()() as uow:
        uow.profiles.save(Profile.empty(user.id).changed(full_changes(), container.clock().now()))
        uow.resumes.add(make_resume(user.id))
        uow.commit()
    return user.id, {"Authorization": f"Bearer {token.access_token}"}


@pytest.fixture
def client(pg_container):
    """The app over the production container on the test services."""
    with TestClient(create_app(pg_container)) as test_client:
        yield test_client


def test_idempotency_key_on_apply_and_track(client, pg_container, db):
    """Replay, another body (422), another person's same key (not shared), one row each."""
    user_id, auth = _person(pg_container)
    _, other = _person(pg_container)
    posting = make_job()
    with pg_container.uow()() as uow:
        uow.jobs.save([posting])
        uow.commit()
    url = f"/api/v1/jobs/{posting.id}/apply/"
    first = client.post(url, json={"mode": "manual"}, headers={**auth, "Idempotency-Key": "a-1"})
    again = client.post(url, json={"mode": "manual"}, headers={**auth, "Idempotency-Key": "a-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (
        client.post(
            url, json={"mode": "auto"}, headers={**auth, "Idempotency-Key": "a-1"}
        ).status_code
        == 422
    )
    theirs = client.post(url, json={"mode": "manual"}, headers={**other, "Idempotency-Key": "a-1"})
    assert theirs.status_code == 201
    assert theirs.json()["data"]["id"] != first.json()["data"]["id"]
    without_key = client.post(url, json={"mode": "manual"}, headers=auth)
    assert without_key.status_code == 409  # the domain's own constraint, key or not

    body = {"title": "Data Engineer", "company": "Globex"}
    barrier = threading.Barrier(5)

    def track() -> int:
        barrier.wait()
        return client.post(
            "/api/v1/applications/", json=body, headers={**auth, "Idempotency-Key": "t-1"}
        ).status_code

    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda _: track(), range(5)))
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM applications WHERE user_id = %s", (user_id,)
        ).fetchone()
    assert row is not None
    assert row[0] == 2
