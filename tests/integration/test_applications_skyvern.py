"""Applications through the Skyvern adapter and the fake Skyvern server, on the real services.

A person approves; the worker task starts a run on the fake; the fake's signed callback, posted to
our webhook route, settles the application with evidence. A CAPTCHA whose callback never arrived
is settled by the reconciler's poll and pauses the site.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import attrs
import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from application_builders import make_job, make_resume
from fakes.skyvern_server import FakeSkyvernServer, Outcome
from jobraker_adapters.container import build_container
from jobraker_adapters.memory import FixedClock
from jobraker_core.accounts.profile import Profile
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_http import create_app
from jobraker_workers.application_tasks import execute_submit, execute_tick
from profile_builders import full_changes

pytestmark = pytest.mark.integration


@pytest.fixture
def fake():
    """A running fake Skyvern (its callbacks go nowhere: we post them ourselves)."""
    with FakeSkyvernServer(running_polls=1) as server:
        yield server


@pytest.fixture
def container(settings, db, redis_client, fake):
    """The production container submitting through Skyvern (the fake), on a stopped clock."""
    built = build_container(
        attrs.evolve(settings, skyvern_api_key=fake.api_key, skyvern_base_url=fake.base_url)
    )
    built.clock.override(providers.Singleton(FixedClock, datetime.now(UTC)))
    try:
        yield built
    finally:
        built.shutdown_resources()


def _approved(container, client):
    """A person with an approved application to a fresh job; their auth header and its id."""
    email = f"sky-{uuid.uuid4().hex[:8]}@example.com"
    user = container.create_user_account()(
        CreateUser(email=email, password="a long test passphrase")
    )
    token = container.login()(LogIn(email=email, password="a long test passphrase")).tokens
    posting = make_job()
    now = container.clock().now()
    with container.uow()() as uow:
        uow.profiles.save(Profile.empty(user.id).changed(full_changes(), now))
        uow.resumes.add(make_resume(user.id))
        uow.jobs.save([posting])
        uow.application_settings.put_answer(BankAnswer(user.id, Topic.YEARS_EXPERIENCE, "7", now))
        uow.commit()
    auth = {"Authorization": f"Bearer {token.access_token}"}
    app = client.post(f"/api/v1/jobs/{posting.id}/apply/", json={"mode": "auto"}, headers=auth)
    packet_hash = app.json()["data"]["packet"]["hash"]
    app_id = app.json()["data"]["id"]
    approved = client.post(
        f"/api/v1/applications/{app_id}/approve/", json={"packet_hash": packet_hash}, headers=auth
    )
    assert approved.json()["data"]["status"] == "queued", approved.text
    return auth, app_id


def test_a_signed_callback_settles_the_run_with_evidence(container, fake):
    """Approve → one Skyvern run → its signed callback → submitted with the confirmation."""
    with TestClient(create_app(container)) as client:
        auth, app_id = _approved(container, client)
        assert execute_submit(container, app_id) == "recorded"
        assert execute_submit(container, app_id) == "skipped"
        assert len(fake.task_requests()) == 1
        base = f"/api/v1/applications/{app_id}/"
        running = client.get(base, headers=auth).json()["data"]
        assert running["status"] == "submitting"
        run_id = running["run"]["run_id"]
        fake.finish(run_id)
        body, headers = fake.signed_webhook(run_id)
        for _ in range(3):  # Skyvern's retries, and a replay
            assert (
                client.post("/api/v1/webhooks/skyvern/", content=body, headers=headers).status_code
                == 200
            )
        done = client.get(base, headers=auth).json()["data"]
        assert done["status"] == "submitted"
        assert done["run"]["confirmation"]
        assert done["dry_run"] is False
        statuses = [
            e["to_status"] for e in client.get(base + "events/", headers=auth).json()["data"]
        ]
        assert statuses.count("submitted") == 1


def test_a_lost_callback_is_settled_by_the_reconciler_and_a_captcha_pauses_the_site(
    container, fake
):
    """No callback: after 5 minutes the tick polls the run; CAPTCHA → failed, site paused."""
    fake.script_next(Outcome.CAPTCHA)
    with TestClient(create_app(container)) as client:
        auth, app_id = _approved(container, client)
        execute_submit(container, app_id)
        base = f"/api/v1/applications/{app_id}/"
        run_id = client.get(base, headers=auth).json()["data"]["run"]["run_id"]
        fake.finish(run_id)
        container.clock().advance(minutes=6)
        assert execute_tick(container)["reconciled"] == 1
        failed = client.get(base, headers=auth).json()["data"]
        assert failed["status"] == "failed"
        assert "captcha" in failed["failure_reason"]
        sites = client.get("/api/v1/applications/sites/", headers=auth).json()["data"]
        assert [(s["site"], s["paused"]) for s in sites] == [("jobs.acme.example", True)]


def test_a_stopped_skyvern_sends_the_application_back_to_the_queue(settings, db, redis_client):
    """Skyvern unreachable (connection refused): no run started, so queued again, not review."""
    with FakeSkyvernServer() as stopped:
        base_url, api_key = stopped.base_url, stopped.api_key
    built = build_container(
        attrs.evolve(settings, skyvern_api_key=api_key, skyvern_base_url=base_url)
    )
    built.clock.override(providers.Singleton(FixedClock, datetime.now(UTC)))
    try:
        with TestClient(create_app(built)) as client:
            auth, app_id = _approved(built, client)
            assert execute_submit(built, app_id) == "deferred"
            held = client.get(f"/api/v1/applications/{app_id}/", headers=auth).json()["data"]
            assert held["status"] == "queued"
            assert held["run"] is None
            assert held["not_before"] is not None
    finally:
        built.shutdown_resources()


def test_an_ambiguous_5xx_on_submit_still_ends_in_review(container, fake):
    """A 502 after posting the task may hide a run: claimed, then parked for review."""
    with TestClient(create_app(container)) as client:
        auth, app_id = _approved(container, client)
        fake.fail_next(1, status=502)
        assert execute_submit(container, app_id) is None  # outcome unknown, no RQ retries left
        base = f"/api/v1/applications/{app_id}/"
        assert client.get(base, headers=auth).json()["data"]["status"] == "submitting"
        container.clock().advance(minutes=11)
        assert execute_submit(container, app_id) == "needs_review"
        assert client.get(base, headers=auth).json()["data"]["status"] == "needs_review"
        assert len(fake.task_requests()) == 1
