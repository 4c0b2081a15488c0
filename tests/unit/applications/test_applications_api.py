"""The application routes over the memory container: ownership, bodies, the whole flow, webhooks."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from application_builders import ScriptedSubmitter, make_job, make_resume
from jobraker_adapters.container import Container, build_memory_container
from jobraker_adapters.submitters.skyvern_webhook import SkyvernRunWebhook, sign
from jobraker_core.accounts.model import AuditKind
from jobraker_core.accounts.profile import Profile
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.applications.packet import BankAnswer, Topic
from jobraker_core.applications.submission import RunState
from jobraker_core.notifications.events import NotificationKind
from jobraker_http import create_app
from jobraker_workers.application_tasks import execute_submit, execute_tick
from profile_builders import full_changes

if TYPE_CHECKING:
    from collections.abc import Iterator

KEY = "test-skyvern-key"
YEARS = "How many years of relevant experience do you have?"


@pytest.fixture
def container() -> Container:
    """A memory container with a scripted submitter and a webhook reader for ``KEY``."""
    built = build_memory_container()
    built.application_submitter.override(providers.Singleton(ScriptedSubmitter))
    built.run_webhook.override(providers.Object(SkyvernRunWebhook.of(KEY)))
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The app over ``container``."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


def person(container: Container) -> tuple[uuid.UUID, dict[str, str]]:
    """A signed-in person with a full profile and a résumé: their id and auth header."""
    email = f"p-{uuid.uuid4().hex[:10]}@example.com"
    user = container.create_user_account()(
        CreateUser(email=email, password="a long test passphrase")
    )
    tokens = container.login()(LogIn(email=email, password="a long test passphrase")).tokens
    with container.uow()() as uow:
        uow.profiles.save(Profile.empty(user.id).changed(full_changes(), container.clock().now()))
        uow.resumes.add(make_resume(user.id))
        uow.commit()
    return user.id, {"Authorization": f"Bearer {tokens.access_token}"}


def job(container: Container, **fields: object) -> str:
    """Store a job; return its id."""
    posting = make_job(**fields)  # type: ignore[arg-type]
    with container.uow()() as uow:
        uow.jobs.save([posting])
        uow.commit()
    return str(posting.id)


def data(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The envelope's data, asserting success."""
    assert response.status_code in {200, 201}, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def test_manual_apply_then_a_second_is_409(client, container):
    """A manual application is saved; the same job again is a conflict."""
    _, auth = person(container)
    job_id = job(container)
    created = data(
        client.post(f"/api/v1/jobs/{job_id}/apply/", json={"mode": "manual"}, headers=auth)
    )
    assert created["status"] == "saved"
    assert created["packet"] is None
    again = client.post(f"/api/v1/jobs/{job_id}/apply/", json={"mode": "auto"}, headers=auth)
    assert again.status_code == 409


def test_another_persons_application_is_404_everywhere(client, container):
    """B can neither read, change, approve, withdraw nor delete A's application."""
    _, a = person(container)
    _, b = person(container)
    app_id = data(client.post(f"/api/v1/jobs/{job(container)}/apply/", json={}, headers=a))["id"]
    base = f"/api/v1/applications/{app_id}/"
    assert client.get(base, headers=b).status_code == 404
    assert client.patch(base, json={"notes": "x"}, headers=b).status_code == 404
    assert client.put(base, json={"notes": "x"}, headers=b).status_code == 404
    assert client.delete(base, headers=b).status_code == 404
    assert client.get(base + "events/", headers=b).status_code == 404
    assert (
        client.post(base + "approve/", json={"packet_hash": "0" * 64}, headers=b).status_code == 404
    )
    assert client.post(base + "withdraw/", headers=b).status_code == 404
    assert (
        client.post(base + "answers/", json={"question": "q", "answer": "a"}, headers=b).status_code
        == 404
    )
    assert client.get("/api/v1/applications/", headers=b).json()["meta"]["pagination"]["total"] == 0
    assert data(client.get(base, headers=a))["notes"] == ""
    assert client.get("/api/v1/applications/not-a-uuid/", headers=a).status_code == 404
    assert client.get("/api/v1/applications/", headers={}).status_code == 401


def test_bodies_refuse_mass_assignment(client, container):
    """user_id, status on create, created_at: 422, nothing stored."""
    _, auth = person(container)
    job_id = job(container)
    assert (
        client.post(
            f"/api/v1/jobs/{job_id}/apply/", json={"user_id": str(uuid.uuid4())}, headers=auth
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/jobs/{job_id}/apply/", json={"status": "submitted"}, headers=auth
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/applications/", json={"title": "t", "status": "accepted"}, headers=auth
        ).status_code
        == 422
    )
    app_id = data(client.post(f"/api/v1/jobs/{job_id}/apply/", json={}, headers=auth))["id"]
    base = f"/api/v1/applications/{app_id}/"
    assert (
        client.patch(base, json={"created_at": "2020-01-01T00:00:00Z"}, headers=auth).status_code
        == 422
    )
    assert client.patch(base, json={"id": str(uuid.uuid4())}, headers=auth).status_code == 422
    assert client.patch(base, json={"status": "approved"}, headers=auth).status_code == 422
    assert data(client.get(base, headers=auth))["status"] == "saved"


def test_the_automatic_flow_from_question_to_verified_submission(client, container):
    """needs_user → answer → pending → approve by hash → worker → submitted, with its history."""
    _, auth = person(container)
    job_id = job(container)
    app = data(client.post(f"/api/v1/jobs/{job_id}/apply/", json={"mode": "auto"}, headers=auth))
    assert app["status"] == "needs_user"
    assert YEARS in app["packet"]["open_questions"]
    base = f"/api/v1/applications/{app['id']}/"
    app = data(
        client.post(base + "answers/", json={"question": YEARS, "answer": "7"}, headers=auth)
    )
    assert app["status"] == "pending_approval"
    assert {a["provenance"] for a in app["packet"]["answers"]} <= {"profile_fact", "answer_bank"}
    stale = client.post(base + "approve/", json={"packet_hash": "f" * 64}, headers=auth)
    assert stale.status_code == 409
    app = data(
        client.post(base + "approve/", json={"packet_hash": app["packet"]["hash"]}, headers=auth)
    )
    assert app["status"] == "queued"
    assert app["approved"] is True
    tasks = container.task_queue().take()
    assert [t.task for t in tasks] == ["jobraker_workers.application_tasks.submit_application"]
    assert execute_submit(container, tasks[0].args[0]) == "recorded"
    done = data(client.get(base, headers=auth))
    assert done["status"] == "submitted"
    assert done["run"]["confirmation"] == "CONF-123"
    history = [e["to_status"] for e in data(client.get(base + "events/", headers=auth))]
    assert history == [
        "saved",
        "draft",
        "needs_user",
        "needs_user",
        "pending_approval",
        "approved",
        "queued",
        "submitting",
        "submitted",
    ]
    assert len(container.application_submitter().submitted) == 1
    assert execute_submit(container, tasks[0].args[0]) == "skipped"


def _run_to_webhook(client, container, auth):
    """An approved application whose run is still going; return its id and run id."""
    container.application_submitter().outcome = RunState.RUNNING
    with container.uow()() as uow:
        for uid in uow.users.users:
            answer = BankAnswer(uid, Topic.YEARS_EXPERIENCE, "7", container.clock().now())
            uow.application_settings.put_answer(answer)
        uow.commit()
    app = data(
        client.post(f"/api/v1/jobs/{job(container)}/apply/", json={"mode": "auto"}, headers=auth)
    )
    base = f"/api/v1/applications/{app['id']}/"
    data(client.post(base + "approve/", json={"packet_hash": app["packet"]["hash"]}, headers=auth))
    execute_submit(container, container.task_queue().take()[0].args[0])
    run_id = data(client.get(base, headers=auth))["run"]["run_id"]
    return app["id"], run_id


def _callback(
    run_id: str, status: str = "completed", key: str = KEY
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "run_id": run_id,
            "status": status,
            "output": {"confirmation_number": "A-1"},
            "step_count": 9,
        },
        separators=(",", ":"),
    ).encode()
    return body, {"x-skyvern-signature": sign(body, key), "content-type": "application/json"}


def test_a_bad_signature_is_401_audited_and_changes_nothing(client, container):
    """Wrong key, missing header, one byte changed: 401 each, audit events, status unchanged."""
    _, auth = person(container)
    app_id, run_id = _run_to_webhook(client, container, auth)
    body, headers = _callback(run_id, key="wrong")
    assert (
        client.post("/api/v1/webhooks/skyvern/", content=body, headers=headers).status_code == 401
    )
    body, headers = _callback(run_id)
    assert (
        client.post(
            "/api/v1/webhooks/skyvern/", content=body, headers={"content-type": "application/json"}
        ).status_code
        == 401
    )
    tampered = body.replace(b"completed", b"completeD")
    assert (
        client.post("/api/v1/webhooks/skyvern/", content=tampered, headers=headers).status_code
        == 401
    )
    assert (
        data(client.get(f"/api/v1/applications/{app_id}/", headers=auth))["status"] == "submitting"
    )
    with container.uow()() as uow:
        kinds = [e.kind for e in uow.audit.events.values()]
    assert kinds.count(AuditKind.WEBHOOK_SIGNATURE_REJECTED) == 3


def test_a_valid_webhook_five_times_is_one_transition(client, container):
    """The same signed callback 5x: 200 each, one transition, one notification, steps once."""
    user_id, auth = person(container)
    app_id, run_id = _run_to_webhook(client, container, auth)
    body, headers = _callback(run_id)
    outcomes = [
        data(client.post("/api/v1/webhooks/skyvern/", content=body, headers=headers))["outcome"]
        for _ in range(5)
    ]
    assert outcomes == ["recorded"] + ["ignored"] * 4
    late_body, late_headers = _callback(run_id, "running")
    assert (
        data(client.post("/api/v1/webhooks/skyvern/", content=late_body, headers=late_headers))[
            "outcome"
        ]
        == "ignored"
    )
    app = data(client.get(f"/api/v1/applications/{app_id}/", headers=auth))
    assert app["status"] == "submitted"
    assert app["run"]["confirmation"] == "A-1"
    with container.uow()() as uow:
        events = [
            e
            for e in uow.outbox_tables.events.values()
            if e.kind is NotificationKind.APPLICATION_STATUS
            and e.dedupe_key == f"{app_id}:submitted"
        ]
        usage = uow.usage.for_subject(user_id, f"application:{app_id}")
    assert len(events) == 1
    assert [u.quantity for u in usage] == [9]


def test_manual_tracking_notes_moves_and_delete(client, container):
    """Track elsewhere, add notes and an interview, move on, then delete."""
    _, auth = person(container)
    app = data(
        client.post(
            "/api/v1/applications/",
            json={"title": "Data Engineer", "company": "Globex", "stage": "submitted"},
            headers=auth,
        )
    )
    base = f"/api/v1/applications/{app['id']}/"
    patched = data(
        client.patch(
            base,
            json={
                "status": "interviewing",
                "notes": "phone screen went well",
                "contacts": [{"name": "Bob", "role": "Recruiter"}],
                "interviews": [{"at": "2026-02-01T10:00:00Z", "kind": "technical"}],
                "reminders": [{"at": "2026-01-30T09:00:00Z", "text": "prepare"}],
            },
            headers=auth,
        )
    )
    assert patched["status"] == "interviewing"
    assert patched["contacts"][0]["name"] == "Bob"
    assert client.patch(base, json={"status": "saved"}, headers=auth).status_code == 409
    replaced = data(client.put(base, json={"notes": "only this"}, headers=auth))
    assert (replaced["notes"], replaced["contacts"], replaced["interviews"]) == (
        "only this",
        [],
        [],
    )
    assert (
        client.patch(
            base, json={"interviews": [{"at": "2026-02-01T10:00:00"}]}, headers=auth
        ).status_code
        == 422
    )
    assert client.delete(base, headers=auth).status_code == 204
    assert client.get(base, headers=auth).status_code == 404


def test_listing_filters_and_pages(client, container):
    """Filters by status and company; pagination meta like the other lists."""
    _, auth = person(container)
    for i in range(3):
        client.post(
            "/api/v1/applications/",
            json={"title": f"Role {i}", "company": "Acme" if i else "Globex"},
            headers=auth,
        )
    page = client.get("/api/v1/applications/?per_page=2", headers=auth).json()
    assert page["meta"]["pagination"] == {"page": 1, "per_page": 2, "total": 3, "total_pages": 2}
    assert (
        client.get("/api/v1/applications/?company=acme", headers=auth).json()["meta"]["pagination"][
            "total"
        ]
        == 2
    )
    assert (
        client.get("/api/v1/applications/?status=saved&status=offer", headers=auth).json()["meta"][
            "pagination"
        ]["total"]
        == 3
    )
    assert client.get("/api/v1/applications/?status=bogus", headers=auth).status_code == 400


def test_settings_answer_bank_sites_and_analytics(client, container):
    """Limits and auto-approval, the bank by topic, breakers and the funnel answer."""
    _, auth = person(container)
    settings = data(
        client.patch(
            "/api/v1/applications/settings/",
            json={
                "per_day": 3,
                "quiet_hours": {"start": "22:00", "end": "07:00"},
                "timezone": "Europe/Berlin",
                "auto_approve": True,
            },
            headers=auth,
        )
    )
    assert (settings["per_day"], settings["quiet_hours"], settings["auto_approve"]) == (
        3,
        {"start": "22:00", "end": "07:00"},
        True,
    )
    assert (
        data(
            client.patch("/api/v1/applications/settings/", json={"quiet_hours": None}, headers=auth)
        )["quiet_hours"]
        is None
    )
    assert (
        client.patch(
            "/api/v1/applications/settings/", json={"timezone": "Mars/Olympus"}, headers=auth
        ).status_code
        == 422
    )
    assert (
        client.patch(
            "/api/v1/applications/settings/", json={"per_day": 1000}, headers=auth
        ).status_code
        == 422
    )
    assert (
        client.patch(
            "/api/v1/applications/settings/",
            json={"quiet_hours": {"start": "25:00", "end": "07:00"}},
            headers=auth,
        ).status_code
        == 422
    )
    saved = data(
        client.put("/api/v1/applications/answers/sponsorship/", json={"answer": "No"}, headers=auth)
    )
    assert saved["topic"] == "sponsorship"
    assert [
        a["topic"] for a in data(client.get("/api/v1/applications/answers/", headers=auth))
    ] == ["sponsorship"]
    assert (
        client.delete("/api/v1/applications/answers/sponsorship/", headers=auth).status_code == 204
    )
    assert (
        client.delete("/api/v1/applications/answers/sponsorship/", headers=auth).status_code == 404
    )
    assert (
        client.put(
            "/api/v1/applications/answers/astrology/", json={"answer": "x"}, headers=auth
        ).status_code
        == 404
    )
    assert data(client.get("/api/v1/applications/sites/", headers=auth)) == []
    client.post(
        "/api/v1/applications/",
        json={"title": "A", "company": "Acme", "stage": "offer"},
        headers=auth,
    )
    funnel = data(client.get("/api/v1/applications/analytics/", headers=auth))
    assert funnel["funnel"]["applied"] == 1
    assert funnel["funnel"]["offer"] == 1
    assert funnel["by_employer"][0]["key"] == "Acme"
    assert len(funnel["weekly"]) == 1


def test_idempotency_key_on_apply(client, container):
    """Same key and body: the first answer again; same key, other body: 422."""
    _, auth = person(container)
    job_id = job(container)
    headers = {**auth, "Idempotency-Key": "k-1"}
    first = client.post(f"/api/v1/jobs/{job_id}/apply/", json={"mode": "manual"}, headers=headers)
    again = client.post(f"/api/v1/jobs/{job_id}/apply/", json={"mode": "manual"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = client.post(f"/api/v1/jobs/{job_id}/apply/", json={"mode": "auto"}, headers=headers)
    assert other.status_code == 422


def test_the_tick_relays_and_reconciles(container):
    """execute_tick relays outbox tasks and returns its counts."""
    assert execute_tick(container) == {"relayed": 0, "reconciled": 0, "reminded": 0}
