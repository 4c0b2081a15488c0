"""Housekeeping: the hourly idempotency purge, and erasure of its records in memory."""

from __future__ import annotations

import uuid

import pytest
from litestar.testing import TestClient

from jobraker_adapters.container import build_memory_container
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_http import create_app
from jobraker_workers.application_tasks import (
    PURGE_TASK,
    TICK_TASK,
    application_periodic_tasks,
    execute_purge,
)

PASSWORD = "a long test passphrase"


@pytest.fixture
def container():
    """A memory container."""
    return build_memory_container()


def signed_in(container):
    """A new person: their id and auth header."""
    email = f"h-{uuid.uuid4().hex[:10]}@example.com"
    user = container.create_user_account()(CreateUser(email=email, password=PASSWORD))
    tokens = container.login()(LogIn(email=email, password=PASSWORD)).tokens
    return user.id, {"Authorization": f"Bearer {tokens.access_token}"}


def track(client, auth, key):
    """Track an application by hand under ``Idempotency-Key: key``; the response."""
    return client.post(
        "/api/v1/applications/",
        json={"title": f"Engineer {key}", "company": "Acme"},
        headers={**auth, "Idempotency-Key": key},
    )


def test_the_purge_is_scheduled_on_the_hour_only():
    """Minute 120 enqueues the purge once for hour 2; other minutes only the tick."""
    assert application_periodic_tasks(120) == [
        (TICK_TASK, "application-tick-120"),
        (PURGE_TASK, "idempotency-purge-2"),
    ]
    assert application_periodic_tasks(121) == [(TICK_TASK, "application-tick-121")]


def test_the_purge_task_deletes_expired_idempotency_records(container):
    """A record older than its 24 hours goes; a fresh one stays."""
    with TestClient(create_app(container)) as client:
        _, auth = signed_in(container)
        assert track(client, auth, "old").status_code == 201
        container.clock().advance(hours=25)
        _, later = signed_in(container)  # the first token has expired meanwhile
        assert track(client, later, "new").status_code == 201
    store = container.idempotency_store()
    assert len(store.records) == 2
    assert execute_purge(container) == 1
    assert [key for _, key in store.records] == ["new"]
    container.clock().advance(hours=25)
    assert execute_purge(container) == 1
    assert store.records == {}


def test_erasure_forgets_the_idempotency_records_in_the_memory_container(container):
    """Deleting the account removes its stored responses; another person's stay."""
    with TestClient(create_app(container)) as client:
        user_id, auth = signed_in(container)
        other_id, other_auth = signed_in(container)
        assert track(client, auth, "k-1").status_code == 201
        assert track(client, other_auth, "k-1").status_code == 201
        store = container.idempotency_store()
        assert {user for user, _ in store.records} == {user_id, other_id}
        gone = client.request(
            "DELETE", "/api/v1/users/me/", json={"password": PASSWORD}, headers=auth
        )
        assert gone.status_code in {200, 204}, gone.text
    assert {user for user, _ in store.records} == {other_id}
