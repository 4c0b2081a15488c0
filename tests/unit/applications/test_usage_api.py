"""Spending made visible: an application's cost on its detail, and ``GET /api/v1/users/usage/``."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from litestar.testing import TestClient

from jobraker_adapters.container import build_memory_container
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.usage import UsageEntry, UsageKind
from jobraker_http import create_app

PASSWORD = "a long test passphrase"


@pytest.fixture
def container():
    """A memory container."""
    return build_memory_container()


@pytest.fixture
def client(container):
    """The app over ``container``."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


def signed_in(container):
    """A new person: their id and auth header."""
    email = f"u-{uuid.uuid4().hex[:10]}@example.com"
    user = container.create_user_account()(CreateUser(email=email, password=PASSWORD))
    tokens = container.login()(LogIn(email=email, password=PASSWORD)).tokens
    return user.id, {"Authorization": f"Bearer {tokens.access_token}"}


def spend(container, user_id, kind, quantity, cost, *, subject, days_ago=0):
    """Record one ledger entry for ``user_id``."""
    with container.uow()() as uow:
        uow.usage.record(
            UsageEntry(
                id=uuid.uuid4(),
                user_id=user_id,
                kind=kind,
                quantity=quantity,
                cost_usd=Decimal(cost),
                subject=subject,
                recorded_at=container.clock().now() - timedelta(days=days_ago),
            )
        )
        uow.commit()


def test_an_application_shows_its_steps_and_cost(client, container):
    """The detail carries the steps recorded under ``application:<id>``; the list does not."""
    user_id, auth = signed_in(container)
    created = client.post("/api/v1/applications/", json={"title": "Engineer"}, headers=auth)
    app_id = created.json()["data"]["id"]
    spend(
        container, user_id, UsageKind.AUTOMATION_STEPS, 12, "0.60", subject=f"application:{app_id}"
    )
    spend(
        container, user_id, UsageKind.AUTOMATION_STEPS, 3, "0.15", subject=f"application:{app_id}"
    )
    spend(
        container, user_id, UsageKind.AUTOMATION_STEPS, 99, "9", subject="application:someone-else"
    )
    detail = client.get(f"/api/v1/applications/{app_id}/", headers=auth).json()["data"]
    assert detail["cost"]["automation_steps"] == 15
    assert Decimal(detail["cost"]["cost_usd"]) == Decimal("0.75")
    assert {t["kind"] for t in detail["cost"]["totals"]} == {k.value for k in UsageKind}
    listed = client.get("/api/v1/applications/", headers=auth).json()["data"]
    assert listed[0]["cost"] is None


def test_the_usage_endpoint_sums_every_kind_of_spending(client, container):
    """Steps, chat and document tokens add up per kind; another person's do not count."""
    user_id, auth = signed_in(container)
    other_id, _ = signed_in(container)
    spend(container, user_id, UsageKind.AUTOMATION_STEPS, 10, "0.5", subject="application:a")
    spend(container, user_id, UsageKind.PROMPT_TOKENS, 1000, "0.00025", subject="message:m")
    spend(container, user_id, UsageKind.COMPLETION_TOKENS, 500, "0.001", subject="document:d")
    spend(
        container,
        user_id,
        UsageKind.PROMPT_TOKENS,
        4000,
        "0.001",
        subject="message:old",
        days_ago=40,
    )
    spend(container, other_id, UsageKind.AUTOMATION_STEPS, 70, "3.5", subject="application:b")
    everything = client.get("/api/v1/users/usage/", headers=auth).json()["data"]
    assert everything["since"] is None
    assert (
        everything["automation_steps"],
        everything["prompt_tokens"],
        everything["completion_tokens"],
    ) == (10, 5000, 500)
    assert Decimal(everything["cost_usd"]) == Decimal("0.50225")
    since = (container.clock().now() - timedelta(days=30)).isoformat()
    recent = client.get("/api/v1/users/usage/", params={"since": since}, headers=auth)
    assert recent.status_code == 200, recent.text
    assert recent.json()["data"]["prompt_tokens"] == 1000
    assert Decimal(recent.json()["data"]["cost_usd"]) == Decimal("0.50125")


def test_the_usage_endpoint_needs_a_user_and_an_aware_since(client, container):
    """No token: 401; a ``since`` without a time zone: 400 (a bad query parameter)."""
    assert client.get("/api/v1/users/usage/").status_code == 401
    _, auth = signed_in(container)
    naive = client.get(
        "/api/v1/users/usage/", params={"since": "2026-01-01T00:00:00"}, headers=auth
    )
    assert naive.status_code == 400
