"""The documents API over the in-memory container: make, reuse, list, read, export, scope."""

from __future__ import annotations

import io
import uuid

import docx
import pypdf
import pytest
from dependency_injector import providers
from documents_builders import RESUME, ScriptedModel, make_job
from litestar.testing import TestClient

from jobraker_adapters.container import Settings, build_memory_container
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.documents.use_cases import TailorResume
from jobraker_core.rate_limits import Rate
from jobraker_http import create_app

PASSWORD = "a long test passphrase"


def headers(container):
    """Create a user, log in, and return the bearer header."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    container.create_user_account()(CreateUser(email=email, password=PASSWORD))
    tokens = container.login()(LogIn(email=email, password=PASSWORD)).tokens
    return {"Authorization": f"Bearer {tokens.access_token}"}


@pytest.fixture
def container():
    """A memory container with one job."""
    built = build_memory_container()
    with built.uow()() as uow:
        uow.jobs.save([make_job()])
        uow.commit()
    return built


@pytest.fixture
def client(container):
    """A client of the app over ``container``."""
    with TestClient(create_app(container)) as test_client:
        yield test_client


def job_id(container) -> str:
    """The stored job's id."""
    with container.uow()() as uow:
        return str(next(iter(uow.jobs.jobs)))


def upload(client, auth) -> None:
    """Upload the sample résumé as text."""
    response = client.post("/api/v1/users/resumes/", json={"text": RESUME}, headers=auth)
    assert response.status_code == 201, response.text


def test_tailor_then_reuse_list_read_and_export(client, container):
    """201 with the done résumé, 200 when asked again, listed, readable, exported as PDF/DOCX."""
    auth = headers(container)
    upload(client, auth)
    path = f"/api/v1/jobs/{job_id(container)}/tailored-resume/"
    made = client.post(path, headers=auth)
    assert made.status_code == 201, made.text
    document = made.json()["data"]
    assert document["status"] == "done"
    assert document["kind"] == "tailored_resume"
    assert document["body"].startswith("## Summary")
    again = client.post(path, headers=auth)
    assert again.status_code == 200
    assert again.json()["data"]["id"] == document["id"]
    assert again.json()["data"]["reused"] is True

    listed = client.get("/api/v1/documents/?kind=tailored_resume", headers=auth).json()
    assert [d["id"] for d in listed["data"]] == [document["id"]]
    assert listed["meta"]["pagination"]["total"] == 1
    read = client.get(f"/api/v1/documents/{document['id']}/", headers=auth).json()["data"]
    assert read["cost"] == {"prompt_tokens": 0, "completion_tokens": 0, "cost_usd": "0.000000"}

    pdf = client.get(f"/api/v1/documents/{document['id']}/export/?format=pdf", headers=auth)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="resume-globex-')
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Senior Python Developer, Acme Ltd (2019-01 to present)" in text
    word = client.get(f"/api/v1/documents/{document['id']}/export/?format=docx", headers=auth)
    assert word.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert "Resume for Backend Engineer at Globex" not in paragraphs
    assert "Résumé for Backend Engineer at Globex" in paragraphs
    assert (
        client.get(
            f"/api/v1/documents/{document['id']}/export/?format=odt", headers=auth
        ).status_code
        == 400
    )


def test_a_cover_letter_and_an_uploaded_resume_export(client, container):
    """The letter is made at once; an uploaded résumé version exports too."""
    auth = headers(container)
    upload(client, auth)
    letter = client.post(f"/api/v1/jobs/{job_id(container)}/cover-letter/", headers=auth)
    assert letter.status_code == 201
    assert "Dear Hiring Manager" in letter.json()["data"]["body"]
    resume_id = client.get("/api/v1/users/resumes/", headers=auth).json()["data"][0]["id"]
    exported = client.get(f"/api/v1/users/resumes/{resume_id}/export/?format=docx", headers=auth)
    assert exported.status_code == 200
    paragraphs = [p.text for p in docx.Document(io.BytesIO(exported.content)).paragraphs]
    assert "Jane Doe" in paragraphs


def test_other_users_documents_are_not_found_and_a_token_is_required(client, container):
    """Another user's document, export and résumé answer 404; no token answers 401."""
    owner, intruder = headers(container), headers(container)
    upload(client, owner)
    document = client.post(
        f"/api/v1/jobs/{job_id(container)}/tailored-resume/", headers=owner
    ).json()["data"]
    for path in (
        f"/api/v1/documents/{document['id']}/",
        f"/api/v1/documents/{document['id']}/export/",
    ):
        assert client.get(path, headers=intruder).status_code == 404
    assert client.get("/api/v1/documents/", headers=intruder).json()["data"] == []
    assert client.get("/api/v1/documents/").status_code == 401
    assert client.post(f"/api/v1/jobs/{job_id(container)}/cover-letter/").status_code == 401
    assert client.get("/api/v1/documents/not-a-uuid/", headers=owner).status_code == 404


def test_without_a_resume_the_request_is_refused(client, container):
    """Nothing to draw on: 422 saying to upload a résumé; an unknown job: 404."""
    auth = headers(container)
    refused = client.post(f"/api/v1/jobs/{job_id(container)}/tailored-resume/", headers=auth)
    assert refused.status_code == 422
    assert "upload a résumé" in refused.json()["detail"]
    upload(client, auth)
    assert (
        client.post(f"/api/v1/jobs/{uuid.uuid4()}/tailored-resume/", headers=auth).status_code
        == 404
    )


def test_with_a_model_the_document_is_accepted_and_polled(client, container):
    """202 with a queued document; after the worker ran, polling shows it done."""
    from jobraker_workers.document_tasks import execute_document  # noqa: PLC0415

    model = ScriptedModel(["## Skills\nPython, Django\n"])
    container.document_model.override(providers.Object(model))
    container.language_model.override(providers.Object(model))
    auth = headers(container)
    upload(client, auth)
    accepted = client.post(f"/api/v1/jobs/{job_id(container)}/cover-letter/", headers=auth)
    assert accepted.status_code == 202
    queued = accepted.json()["data"]
    assert queued["status"] == "queued"
    assert "body" not in queued
    (task,) = container.task_queue().tasks
    execute_document(container, *task.args)
    polled = client.get(f"/api/v1/documents/{queued['id']}/", headers=auth).json()["data"]
    assert polled["status"] == "done"
    assert polled["body"] == "## Skills\nPython, Django\n"
    assert polled["cost"]["prompt_tokens"] == 1000
    not_done = client.post(f"/api/v1/jobs/{job_id(container)}/tailored-resume/", headers=auth)
    exported = client.get(
        f"/api/v1/documents/{not_done.json()['data']['id']}/export/", headers=auth
    )
    assert exported.status_code == 409


class Refusing(TailorResume):
    """A ``TailorResume`` whose output the gate refused: it answers a fixed rejected outcome."""

    def __init__(self, outcome):
        """Answer ``outcome`` to every request."""
        self._outcome = outcome

    def __call__(self, request):
        """The refused outcome."""
        del request
        return self._outcome


def test_output_refused_by_the_gate_answers_422_with_the_draft_marked(client, container):
    """An unstored, rejected outcome is 422 with the issues and the marked draft."""
    from jobraker_core.documents.grounding import FlaggedSentence  # noqa: PLC0415
    from jobraker_core.documents.model import (  # noqa: PLC0415
        Document,
        DocumentKind,
        DocumentStatus,
    )
    from jobraker_core.documents.use_cases import DocumentOutcome  # noqa: PLC0415

    now = container.clock().now()
    flag = FlaggedSentence(0, "I used Kubernetes.", 0, 18, ('skill "Kubernetes"',))
    refused = Document(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        kind=DocumentKind.TAILORED_RESUME,
        job_id=uuid.UUID(job_id(container)),
        version=1,
        status=DocumentStatus.REJECTED,
        generator="local",
        fingerprint="f" * 64,
        title="Résumé for Backend Engineer at Globex",
        job_title="Backend Engineer",
        job_company="Globex",
        source_resume_id=None,
        created_at=now,
        updated_at=now,
        issues=(flag,),
        attempts=1,
    )
    outcome = DocumentOutcome(refused, stored=False, marked="[[UNSUPPORTED: I used Kubernetes.]]")
    container.tailor_resume.override(providers.Object(Refusing(outcome)))
    auth = headers(container)
    answer = client.post(f"/api/v1/jobs/{job_id(container)}/tailored-resume/", headers=auth)
    assert answer.status_code == 422
    body = answer.json()
    assert body["success"] is False
    assert body["data"]["status"] == "rejected"
    assert body["data"]["stored"] is False
    assert body["data"]["issues"][0]["claims"] == ['skill "Kubernetes"']
    assert body["data"]["marked"] == "[[UNSUPPORTED: I used Kubernetes.]]"


@pytest.mark.parametrize("path", ["tailored-resume", "cover-letter"])
def test_document_requests_are_rate_limited_with_chat(path):
    """Over the assistant rate a document request is 429 with Retry-After; chat shares it."""
    settings = Settings(
        data_dir=build_memory_container().settings().data_dir,
        chat_rate=Rate(limit=2, window_seconds=3600),
    )
    built = build_memory_container(settings)
    with built.uow()() as uow:
        uow.jobs.save([make_job()])
        uow.commit()
    with TestClient(create_app(built)) as test_client:
        auth = headers(built)
        upload(test_client, auth)
        url = f"/api/v1/jobs/{job_id(built)}/{path}/"
        assert test_client.post(url, headers=auth).status_code == 201
        assert test_client.post(url, headers=auth).status_code == 200
        refused = test_client.post(url, headers=auth)
        chat = test_client.post("/api/v1/chat/messages/", json={"content": "hi"}, headers=auth)
        other = headers(built)
        upload(test_client, other)
        theirs = test_client.post(url, headers=other)
        listed = test_client.get("/api/v1/documents/", headers=auth).json()
    assert refused.status_code == 429
    assert "at most 2 requests to the assistant" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) > 0
    assert chat.status_code == 429
    assert theirs.status_code == 201
    assert listed["meta"]["pagination"]["total"] == 1
