"""The matching API over the in-memory container.

Upload (multipart and JSON), review, recommend, explain, feedback, saved searches, insight; 401
without a token, 404 for another user's data.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from litestar.testing import TestClient
from matching_builders import job

from fixtures.resumes.documents import SAMPLE_TEXT, docx, image_only_pdf, text_pdf
from jobraker_adapters.container import build_memory_container
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.jobs.ingestion import IngestionCounts
from jobraker_core.jobs.salary import Salary
from jobraker_http import create_app
from jobraker_workers.matching_tasks import (
    REFRESH_SAVED_SEARCHES_TASK,
    execute_saved_search_refresh,
    queue_saved_search_refresh,
)

RESUMES = "/api/v1/users/resumes/"
PROFILE = "/api/v1/users/candidate-profile/"
RECOMMENDATIONS = "/api/v1/jobs/recommendations/"
SEARCHES = "/api/v1/users/saved-searches/"
BACKEND = "Requirements:\n- Python and Django\n- PostgreSQL\nNice to have:\n- Kubernetes\n"


def headers(container):
    """Create a user, log in, and return the bearer header."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    container.create_user_account()(CreateUser(email=email, password="a long test passphrase"))
    tokens = container.login()(LogIn(email=email, password="a long test passphrase")).tokens
    return {"Authorization": f"Bearer {tokens.access_token}"}


@pytest.fixture
def container():
    """A memory container with three embedded jobs."""
    built = build_memory_container()
    with built.uow()() as uow:
        uow.jobs.save(
            [
                job(
                    title="Senior Python Developer",
                    description=BACKEND,
                    number=1,
                    salary=Salary(Decimal(60000), Decimal(80000), "GBP"),
                ),
                job(
                    title="Java Developer",
                    company="Globex",
                    number=2,
                    description="Requirements:\n- Java\n- Spring",
                ),
                job(
                    title="Staff Nurse",
                    company="NHS",
                    number=3,
                    description="Requirements:\n- Patient care",
                ),
            ]
        )
        uow.commit()
    built.embed_jobs()()
    return built


@pytest.fixture
def client(container):
    """A client of the app over ``container`` (no token by default)."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


def test_every_matching_route_needs_a_token(client):
    """No bearer token: 401 everywhere."""
    some = uuid.uuid4()
    for method, path in (
        ("GET", RECOMMENDATIONS),
        ("GET", f"/api/v1/jobs/{some}/match/"),
        ("POST", f"/api/v1/jobs/{some}/feedback/"),
        ("GET", RESUMES),
        ("POST", RESUMES),
        ("GET", PROFILE),
        ("GET", SEARCHES),
        ("GET", "/api/v1/users/career-insight/"),
    ):
        assert client.request(method, path).status_code == 401, path


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("cv.txt", SAMPLE_TEXT.encode(), "text/plain"),
        ("cv.pdf", text_pdf(), "application/pdf"),
        (
            "cv.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("misnamed.txt", text_pdf(), "application/pdf"),
    ],
)
def test_a_file_upload_is_read_by_its_content(client, container, name, content, media_type):
    """Text, PDF and DOCX files give the same profile; the format comes from the bytes."""
    auth = headers(container)
    response = client.post(
        RESUMES, files={"file": (name, content, "application/octet-stream")}, headers=auth
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["resume"]["media_type"] == media_type
    assert data["resume"]["version"] == 1
    profile = data["profile"]
    assert profile["resume_id"] == data["resume"]["id"]
    assert {"Python", "Django", "PostgreSQL"} <= {s["name"] for s in profile["skills"]}
    assert profile["roles"][0]["title"] == "Senior Python Developer"


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"", "empty"),
        (image_only_pdf(), "no extractable text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(32), "PNG image"),
        (b"eggs\nmilk\nbread\n", "no skills, roles, education or languages"),
    ],
)
def test_unusable_uploads_answer_422_saying_why(client, container, content, detail):
    """Empty, image-only, image and fact-free files are refused, and nothing is stored."""
    auth = headers(container)
    response = client.post(
        RESUMES, files={"file": ("cv.pdf", content, "application/pdf")}, headers=auth
    )
    assert response.status_code == 422
    assert detail in response.json()["detail"]
    assert client.get(RESUMES, headers=auth).json()["meta"]["pagination"]["total"] == 0
    assert client.get(PROFILE, headers=auth).status_code == 404


def test_a_file_over_the_limit_is_refused(client, container):
    """More than 5 MiB: refused before anything is read."""
    big = b"a" * (5 * 1024 * 1024 + 10)
    response = client.post(
        RESUMES, files={"file": ("cv.txt", big, "text/plain")}, headers=headers(container)
    )
    assert response.status_code in {413, 422}


def test_pasted_text_versions_and_review(client, container):
    """JSON text uploads; versions list newest first; the profile is read and edited."""
    auth = headers(container)
    assert client.post(RESUMES, json={"text": SAMPLE_TEXT}, headers=auth).status_code == 201
    second = client.post(RESUMES, json={"text": SAMPLE_TEXT, "filename": "v2.txt"}, headers=auth)
    listed = client.get(RESUMES, headers=auth).json()
    assert [r["version"] for r in listed["data"]] == [2, 1]
    detail = client.get(f"{RESUMES}{second.json()['data']['resume']['id']}/", headers=auth)
    assert detail.json()["data"]["text"].startswith("Jane Doe")
    edited = client.put(
        PROFILE,
        json={
            "skills": ["Python", "k8s"],
            "roles": [{"title": "Python Developer", "start": "2018-01"}],
            "languages": [{"name": "Welsh", "level": "basic"}],
        },
        headers=auth,
    )
    assert edited.status_code == 200
    data = edited.json()["data"]
    assert data["edited"] is True
    assert [s["name"] for s in data["skills"]] == ["Python", "Kubernetes"]
    assert data["roles"][0]["years"] == 8.0
    refused = client.put(
        PROFILE, json={"skills": ["Python"], "user_id": str(uuid.uuid4())}, headers=auth
    )
    assert refused.status_code == 422


def test_another_users_resume_and_search_answer_404(client, container):
    """Ids of someone else's objects read as unknown."""
    mine, theirs = headers(container), headers(container)
    resume = client.post(RESUMES, json={"text": SAMPLE_TEXT}, headers=mine).json()["data"]
    assert client.get(f"{RESUMES}{resume['resume']['id']}/", headers=theirs).status_code == 404
    search = client.post(SEARCHES, json={"name": "py", "q": "python"}, headers=mine).json()
    search_id = search["data"]["id"]
    for method in ("GET", "DELETE"):
        assert client.request(method, f"{SEARCHES}{search_id}/", headers=theirs).status_code == 404
    assert client.get(f"{SEARCHES}{search_id}/matches/", headers=theirs).status_code == 404
    assert client.get(f"{SEARCHES}{search_id}/", headers=mine).status_code == 200


def test_recommendations_explanations_and_feedback(client, container):
    """Recommend, explain one job the same way, dismiss it: it disappears."""
    auth = headers(container)
    assert client.get(RECOMMENDATIONS, headers=auth).status_code == 409
    client.post(RESUMES, json={"text": SAMPLE_TEXT}, headers=auth)
    listed = client.get(RECOMMENDATIONS, params={"per_page": 2}, headers=auth).json()
    assert listed["meta"]["pagination"]["total"] == 3
    top = listed["data"][0]
    assert top["job"]["title"] == "Senior Python Developer"
    assert {p["name"] for p in top["parts"]} >= {"skills", "title", "experience", "salary"}
    assert top["score"] == pytest.approx(sum(p["points"] for p in top["parts"]), abs=0.06)
    skill = top["matched_skills"][0]
    assert (skill["job_evidence"]["source"], skill["profile_evidence"]["source"]) == (
        "job",
        "resume",
    )
    job_id = top["job"]["id"]
    match = client.get(f"/api/v1/jobs/{job_id}/match/", headers=auth).json()["data"]
    assert match["score"] == top["score"]
    assert client.get("/api/v1/jobs/not-a-uuid/match/", headers=auth).status_code == 404
    given = client.post(
        f"/api/v1/jobs/{job_id}/feedback/",
        json={"action": "dismiss", "reason": "too_senior"},
        headers=auth,
    )
    assert given.status_code == 201
    assert (
        client.post(
            f"/api/v1/jobs/{job_id}/feedback/", json={"action": "dismiss"}, headers=auth
        ).status_code
        == 422
    )
    after = client.get(RECOMMENDATIONS, headers=auth).json()["data"]
    assert job_id not in {m["job"]["id"] for m in after}
    again = client.get(f"/api/v1/jobs/{job_id}/match/", headers=auth).json()["data"]
    assert again["excluded"]
    assert again["exclusions"][0]["code"] == "dismissed"
    assert client.get("/api/v1/users/feedback/", headers=auth).json()["data"][0]["job_id"] == job_id
    assert client.delete(f"/api/v1/jobs/{job_id}/feedback/", headers=auth).status_code == 204
    high = client.get(RECOMMENDATIONS, params={"min_score": 101}, headers=auth)
    assert high.status_code == 400


def test_career_insight_and_saved_searches(client, container):
    """Insight lists missing skills with counts; saved searches list and delete."""
    auth = headers(container)
    client.post(RESUMES, json={"text": SAMPLE_TEXT}, headers=auth)
    insight = client.get("/api/v1/users/career-insight/", headers=auth).json()["data"]
    assert insight["matches_considered"] == 3
    assert all(g["jobs"] >= 1 for g in insight["missing_skills"])
    assert insight["salaries"][0]["currency"] == "GBP"
    created = client.post(
        SEARCHES,
        json={"name": "Python in London", "q": "python", "location": "London", "min_score": 50},
        headers=auth,
    )
    assert created.status_code == 201
    assert created.json()["data"]["filters"]["location"] == "London"
    assert client.post(SEARCHES, json={"name": "x", "surprise": 1}, headers=auth).status_code == 422
    listed = client.get(SEARCHES, headers=auth).json()
    assert listed["data"][0]["matches"] == 0
    search_id = listed["data"][0]["id"]
    assert client.delete(f"{SEARCHES}{search_id}/", headers=auth).status_code == 204
    assert client.get(SEARCHES, headers=auth).json()["data"] == []


def test_the_ingestion_hook_queues_and_runs_the_refresh(container):
    """A run that stored new jobs queues the refresh task; running it records nothing twice."""
    queue_saved_search_refresh(container, "run-1", IngestionCounts())
    assert container.task_queue().tasks == []
    queue_saved_search_refresh(container, "run-1", IngestionCounts(fetched=1, new=1))
    (task,) = container.task_queue().tasks
    assert (task.task, task.args, task.job_id) == (
        REFRESH_SAVED_SEARCHES_TASK,
        ("run-1",),
        "saved-searches-run-1",
    )
    result = execute_saved_search_refresh(container, "run-1")
    assert result == {"run_id": "run-1", "searches": 0, "new_hits": 0}


def test_evidence_contexts_are_excerpts_around_the_evidence(client, container):
    """A run-on posting's skills each show the words around them, not the whole paragraph."""
    paragraph = (
        "We are a friendly team building logistics software for warehouses across the region. " * 6
        + "You will work with Python and Django every day, and with PostgreSQL for storage. "
        + "Our offices are bright, our coffee is good and our holidays are generous. " * 6
    )
    with container.uow()() as uow:
        uow.jobs.save(
            [job(title="Python Developer", company="Runon", description=paragraph, number=9)]
        )
        uow.commit()
    container.embed_jobs()()
    auth = headers(container)
    client.post(RESUMES, headers=auth, files={"file": ("cv.txt", SAMPLE_TEXT.encode())})
    found = client.get(RECOMMENDATIONS, headers=auth).json()["data"]
    runon = next(m for m in found if m["job"]["company"] == "Runon")
    evidence = [
        skill["job_evidence"]
        for skill in runon["matched_skills"] + runon["missing_skills"]
        if skill["job_evidence"] and skill["job_evidence"]["context"]
    ]
    assert evidence
    for item in evidence:
        assert len(item["context"]) <= 242
        assert item["text"].casefold() in item["context"].casefold()
    assert any(item["context"].startswith("…") for item in evidence)
