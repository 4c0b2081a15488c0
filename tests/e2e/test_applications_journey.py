"""A person's applications over HTTP, on the real PostgreSQL, Redis and an RQ worker.

They apply automatically, answer the one question only they can answer, approve the packet,
and watch the worker take it through the dry run to a final state; they track another
application by hand through its stages; and they see their funnel.
"""

from __future__ import annotations

import uuid

import pytest
from litestar.testing import TestClient
from rq import SimpleWorker

from application_builders import make_job, make_resume
from jobraker_core.accounts.profile import Profile
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_http import create_app
from jobraker_workers.worker import run_worker
from journey_helpers import ok
from profile_builders import full_changes

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

YEARS = "How many years of relevant experience do you have?"


def test_a_person_applies_tracks_and_sees_their_funnel(pg_container, settings, worker_env):
    """Auto-apply → answer → approve → worker dry run → submitted_unverified; manual → offer."""
    container = pg_container
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"
    user = container.create_user_account()(
        CreateUser(email=email, password="a long test passphrase")
    )
    token = container.login()(
        LogIn(email=email, password="a long test passphrase")
    ).tokens.access_token
    posting = make_job()
    with container.uow()() as uow:
        uow.profiles.save(Profile.empty(user.id).changed(full_changes(), container.clock().now()))
        uow.resumes.add(make_resume(user.id))
        uow.jobs.save([posting])
        uow.commit()
    auth = {"Authorization": f"Bearer {token}"}

    with TestClient(create_app(container)) as client:
        app = ok(
            client.post(f"/api/v1/jobs/{posting.id}/apply/", json={"mode": "auto"}, headers=auth)
        )
        base = f"/api/v1/applications/{app['id']}/"
        assert app["status"] == "needs_user"
        assert app["packet"]["open_questions"] == [YEARS]
        app = ok(
            client.post(base + "answers/", json={"question": YEARS, "answer": "7"}, headers=auth)
        )
        assert app["status"] == "pending_approval"
        app = ok(
            client.post(
                base + "approve/", json={"packet_hash": app["packet"]["hash"]}, headers=auth
            )
        )
        assert app["status"] == "queued"

        assert run_worker(settings, burst=True, worker_class=SimpleWorker) is True

        done = ok(client.get(base, headers=auth))
        assert done["status"] == "submitted_unverified"  # the dry run sends nothing: no evidence
        assert done["dry_run"] is True
        assert done["run"]["run_id"].startswith("dry_")
        assert done["run"]["sent"]
        history = [e["to_status"] for e in ok(client.get(base + "events/", headers=auth))]
        assert history[-3:] == ["queued", "submitting", "submitted_unverified"]
        assert (
            client.post(
                base + "approve/", json={"packet_hash": app["packet"]["hash"]}, headers=auth
            ).status_code
            == 409
        )

        manual = ok(
            client.post(
                "/api/v1/applications/",
                json={"title": "Data Engineer", "company": "Globex", "stage": "submitted"},
                headers=auth,
            )
        )
        mbase = f"/api/v1/applications/{manual['id']}/"
        ok(
            client.patch(
                mbase,
                json={"status": "interviewing", "interviews": [{"at": "2026-02-02T10:00:00Z"}]},
                headers=auth,
            )
        )
        offer = ok(
            client.patch(mbase, json={"status": "offer", "notes": "verbal offer"}, headers=auth)
        )
        assert (offer["status"], offer["notes"], len(offer["interviews"])) == (
            "offer",
            "verbal offer",
            1,
        )

        listed = client.get("/api/v1/applications/?status=offer", headers=auth).json()
        assert [a["id"] for a in listed["data"]] == [manual["id"]]
        funnel = ok(client.get("/api/v1/applications/analytics/", headers=auth))
        assert funnel["total"] == 2
        assert (
            funnel["funnel"]["applied"],
            funnel["funnel"]["interview"],
            funnel["funnel"]["offer"],
        ) == (1, 1, 1)

        withdrawn = ok(
            client.post(base + "withdraw/", json={"reason": "took the other offer"}, headers=auth)
        )
        assert withdrawn["status"] == "withdrawn"
