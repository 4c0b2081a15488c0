"""The whole product over HTTP, as a person and an admin use it, on the real services.

The demo corpus is seeded as ``jobraker up`` seeds it (with the worker's after-ingestion steps);
then a person registers, uploads a résumé, sees their parsed profile and explained
recommendations, asks the assistant for Python jobs, tailors a résumé for one and exports it as
a PDF, applies automatically, answers what only they can answer, approves, and watches the
worker take the application through the dry run; they see the notification, their funnel and
the salaries of a title. An admin reads the platform metrics and the moderation queue.
"""

from __future__ import annotations

import io
import uuid

import docx
import pypdf
import pytest
from litestar.testing import TestClient
from rq import SimpleWorker

from jobraker_cli.main import seed_demo
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.use_cases import CreateUser
from jobraker_http import create_app
from jobraker_workers.notification_tasks import queue_dispatch
from jobraker_workers.worker import run_worker
from journey_helpers import ok

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PASSWORD = "a long journey passphrase"
RESUME_LINES = (
    "Ada Lovelace",
    "London, United Kingdom",
    "",
    "Experience",
    "Senior Python Developer, Acme Analytics - January 2018 - Present",
    "- Built Django and PostgreSQL services in Python for 12 teams.",
    "- Ran the AWS and Docker deployments.",
    "Software Engineer | Babbage Ltd | 2014 - 2017",
    "- Wrote SQL reports and REST APIs.",
    "",
    "Skills",
    "Python, Django, PostgreSQL, SQL, AWS, Docker, REST",
)
PROFILE = {
    "name": "Ada Lovelace",
    "headline": "Python developer",
    "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"},
    "locations": [{"city": "London", "country": "GB"}],
    "preferences": {
        "titles": ["Python Developer", "Software Engineer"],
        "remote_modes": ["remote", "hybrid", "on_site"],
        "salary_floor": {"amount": 60000, "currency": "GBP", "period": "year"},
        "willing_to_relocate": True,
        "work_authorization": {"GB": True, "US": True},
        "needs_sponsorship": False,
        "notice_period_days": 30,
    },
}
ANSWERS = {"years": "8", "salary": "70000 GBP per year", "relocat": "Yes"}


def _docx_resume() -> bytes:
    document = docx.Document()
    for line in RESUME_LINES:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _answer_for(question: str) -> str:
    """What the person answers to a question the product may not answer for them."""
    lowered = question.lower()
    return next((a for key, a in ANSWERS.items() if key in lowered), "Yes")


def _sign_in(client: TestClient, email: str) -> dict[str, str]:  # type: ignore[type-arg]
    token = ok(client.post("/api/v1/auth/login/", json={"email": email, "password": PASSWORD}))
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_a_person_and_an_admin_use_the_whole_product(  # noqa: PLR0915 - one journey, told in order
    pg_container, settings, worker_env
):
    """Register → résumé → matches → chat → tailored PDF → auto-apply → notified → insight."""
    container = pg_container
    seeded = seed_demo(container)
    assert seeded is not None
    assert seeded.counts.new > 400
    admin_email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    container.create_user_account()(
        CreateUser(email=admin_email, password=PASSWORD, role=Role.ADMIN)
    )
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"

    with TestClient(create_app(container)) as client:
        registered = client.post(
            "/api/v1/auth/register/", json={"email": email, "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        auth = _sign_in(client, email)

        # The résumé, and the profile Jobraker read from it.
        files = {
            "file": (
                "resume.docx",
                _docx_resume(),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            )
        }
        ok(client.post("/api/v1/users/resumes/", files=files, headers=auth))
        parsed = ok(client.get("/api/v1/users/candidate-profile/", headers=auth))
        skills = {s["name"].lower() for s in parsed["skills"]}
        assert {"python", "django", "postgresql"} <= skills
        ok(client.put("/api/v1/users/profile/", json=PROFILE, headers=auth))

        # Recommendations, each with the reasons behind its score.
        matches = ok(client.get("/api/v1/jobs/recommendations/", headers=auth))
        assert matches, "the seeded corpus has jobs for a Python developer"
        assert all(part["summary"] for match in matches for part in match["parts"])
        shared = [match for match in matches if match["matched_skills"]]
        assert shared, "some recommendation shares a skill with the résumé"
        assert all(s["profile_evidence"] for m in shared for s in m["matched_skills"])

        # The assistant finds Python jobs among the stored ones.
        reply = ok(
            client.post(
                "/api/v1/chat/messages/", json={"content": "find me python jobs"}, headers=auth
            )
        )
        answer = reply["message"]["content"]
        assert any(tool["name"] == "search_jobs" for tool in reply["tools"]), reply["tools"]
        found = ok(client.get("/api/v1/jobs/", params={"q": "python"}, headers=auth))
        named = [job for job in found if job["title"] in answer]
        assert named, f"the answer names no stored Python job:\n{answer}"
        job_id = named[0]["id"]
        match = ok(client.get(f"/api/v1/jobs/{job_id}/match/", headers=auth))
        assert "Python" in {skill["name"] for skill in match["matched_skills"]}

        # A tailored résumé for that job, exported as a PDF.
        tailored = ok(client.post(f"/api/v1/jobs/{job_id}/tailored-resume/", headers=auth))
        assert tailored["status"] == "done"
        pdf = client.get(f"/api/v1/documents/{tailored['id']}/export/?format=pdf", headers=auth)
        assert pdf.headers["content-type"] == "application/pdf"
        text = "\n".join(
            page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
        )
        assert "Acme Analytics" in text

        # Apply automatically; answer what only the person can; approve the exact packet.
        app = ok(client.post(f"/api/v1/jobs/{job_id}/apply/", json={"mode": "auto"}, headers=auth))
        base = f"/api/v1/applications/{app['id']}/"
        while app["status"] == "needs_user":
            question = app["packet"]["open_questions"][0]
            app = ok(
                client.post(
                    base + "answers/",
                    json={"question": question, "answer": _answer_for(question)},
                    headers=auth,
                )
            )
        assert app["status"] == "pending_approval", app
        app = ok(
            client.post(
                base + "approve/", json={"packet_hash": app["packet"]["hash"]}, headers=auth
            )
        )
        assert app["status"] == "queued"

        assert run_worker(settings, burst=True, worker_class=SimpleWorker) is True

        done = ok(client.get(base, headers=auth))
        assert (done["status"], done["dry_run"]) == ("submitted_unverified", True)

        # The worker's minute tick dispatches the notification outbox.
        queue_dispatch(container, "journey")
        assert run_worker(settings, burst=True, worker_class=SimpleWorker) is True
        notifications = ok(client.get("/api/v1/notifications/", headers=auth))
        about = [n for n in notifications if n["data"].get("application_id") == app["id"]]
        assert "submitted_unverified" in {n["data"]["status"] for n in about}, notifications

        funnel = ok(client.get("/api/v1/applications/analytics/", headers=auth))
        assert funnel["total"] == 1
        assert funnel["by_status"] == {"submitted_unverified": 1}
        assert funnel["funnel"]["applied"] == 0, "a dry run sent nothing: it is not counted"

        salaries = ok(
            client.get(
                "/api/v1/market/salaries/", params={"title": "Software Engineer"}, headers=auth
            )
        )
        assert salaries["jobs_not_yet_analysed"] == 0
        assert salaries["salaries"], salaries

        # The admin's view: platform metrics and the moderation queue.
        admin = _sign_in(client, admin_email)
        metrics = ok(client.get("/api/v1/admin/metrics/", headers=admin))
        assert metrics["users"] == 2
        assert metrics["jobs_by_source"] == {"demo": seeded.counts.new}
        assert metrics["applications_by_status"] == {"submitted_unverified": 1}
        assert metrics["open_flags"] > 0, "the seeding moderated the demo postings"
        flags = client.get("/api/v1/admin/moderation/flags/", headers=admin).json()
        assert flags["meta"]["pagination"]["total"] == metrics["open_flags"]
        assert all(flag["evidence"] and flag["job"]["title"] for flag in flags["data"])
        assert client.get("/api/v1/admin/metrics/", headers=auth).status_code == 403
