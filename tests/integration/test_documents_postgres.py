"""Documents over HTTP on real PostgreSQL: upload a résumé, tailor for a demo job, export.

Also the model path on PostgreSQL: the worker stores the gated draft and its token cost in one
transaction.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal

import attrs
import docx
import psycopg
import pypdf
import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from jobraker_core.assistant.costs import TokenPrices
from jobraker_core.assistant.language_model import (
    Completion,
    FinishReason,
    Message,
    StreamEvent,
    TokenUsage,
    ToolSpec,
)
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.model import JobDraft, JobPosting
from jobraker_http import create_app
from jobraker_workers.document_tasks import execute_document

pytestmark = pytest.mark.integration

PASSWORD = "a long integration passphrase"
RESUME = """Sam Rivera
Location: Austin, TX

Experience
Data Engineer, Northwind Traders - March 2020 - Present
- Built Kafka pipelines in Python and SQL for 30 teams.
- Ran the weekly demo.
Analyst | Contoso | 2016 - 2019
- Reported sales in Excel.

Education
BSc Statistics, University of Texas, 2015

Skills
Python, SQL, Kafka, Excel
"""


@pytest.fixture
def api(pg_container) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The API over the production container on the clean test services."""
    with TestClient(create_app(pg_container)) as client:
        yield client


def demo_job(container) -> JobPosting:
    """Store the demo corpus's "Sr Data Engineer with Kafka" posting; return it."""
    source = container.job_sources().open(SourceSpec("demo"))
    draft = next(
        d for d in source.fetch() if isinstance(d, JobDraft) and d.source_id == "3742692445"
    )
    job = JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=container.clock().now())
    with container.uow()() as uow:
        uow.jobs.save([job])
        uow.commit()
    return job


def signed_in(api) -> dict[str, str]:
    """Register and log in a new person; return the bearer header."""
    email = f"docs-{uuid.uuid4().hex[:8]}@example.com"
    assert (
        api.post("/api/v1/auth/register/", json={"email": email, "password": PASSWORD}).status_code
        == 201
    )
    token = api.post("/api/v1/auth/login/", json={"email": email, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['data']['access_token']}"}


def test_upload_tailor_letter_and_export_on_postgres(api, pg_container, settings):
    """The whole journey on PostgreSQL: every document stored, reused, exported and read back."""
    auth = signed_in(api)
    files = {"file": ("resume.txt", RESUME.encode(), "text/plain")}
    assert api.post("/api/v1/users/resumes/", files=files, headers=auth).status_code == 201
    job = demo_job(pg_container)

    made = api.post(f"/api/v1/jobs/{job.id}/tailored-resume/", headers=auth)
    assert made.status_code == 201, made.text
    resume = made.json()["data"]
    assert resume["status"] == "done"
    assert resume["job_title"] == "Sr Data Engineer with Kafka"
    body = resume["body"]
    assert body.index("### Data Engineer, Northwind Traders") < body.index("### Analyst, Contoso")
    assert "- Built Kafka pipelines in Python and SQL for 30 teams." in body
    again = api.post(f"/api/v1/jobs/{job.id}/tailored-resume/", headers=auth)
    assert again.status_code == 200
    assert again.json()["data"]["id"] == resume["id"]

    letter = api.post(f"/api/v1/jobs/{job.id}/cover-letter/", headers=auth).json()["data"]
    assert "Sr Data Engineer with Kafka position" in letter["body"]

    pdf = api.get(f"/api/v1/documents/{resume['id']}/export/?format=pdf", headers=auth)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Built Kafka pipelines in Python and SQL for 30 teams." in text
    word = api.get(f"/api/v1/documents/{letter['id']}/export/?format=docx", headers=auth)
    assert "attachment;" in word.headers["content-disposition"]
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs]
    assert paragraphs[1] == "Dear Hiring Manager,"

    listed = api.get("/api/v1/documents/", headers=auth).json()
    assert {d["kind"] for d in listed["data"]} == {"tailored_resume", "cover_letter"}
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute("SELECT kind, status, version FROM documents ORDER BY kind").fetchall()
    assert rows == [("cover_letter", "done", 1), ("tailored_resume", "done", 1)]
    assert api.get(f"/api/v1/documents/{resume['id']}/", headers=signed_in(api)).status_code == 404


@attrs.define
class TwoDrafts:
    """A ``LanguageModel`` answering a fabricated draft, then a grounded one."""

    model: str = "scripted-pg"
    calls: int = 0

    def complete(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Completion:
        """Draft ``calls``-th answer."""
        del messages, tools, max_tokens
        self.calls += 1
        text = (
            "I led 500 engineers at Google."
            if self.calls == 1
            else "## Skills\nPython, SQL, Kafka\n"
        )
        return Completion(text, (), FinishReason.STOP, TokenUsage(800, 100), self.model)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        """The answer, whole."""
        yield self.complete(messages, tools=tools, max_tokens=max_tokens)


def test_the_worker_stores_the_gated_draft_and_its_cost_on_postgres(api, pg_container, settings):
    """202, then the worker: the fabricated draft is refused, the retry stored with its cost."""
    model = TwoDrafts()
    pg_container.document_model.override(providers.Object(model))
    pg_container.language_model.override(providers.Object(model))
    pg_container.token_prices.override(providers.Object(TokenPrices(Decimal(1), Decimal(4))))
    auth = signed_in(api)
    assert (
        api.post("/api/v1/users/resumes/", json={"text": RESUME}, headers=auth).status_code == 201
    )
    job = demo_job(pg_container)
    accepted = api.post(f"/api/v1/jobs/{job.id}/tailored-resume/", headers=auth)
    assert accepted.status_code == 202, accepted.text
    queued = accepted.json()["data"]
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute(
            "SELECT user_id FROM documents WHERE id = %s", (queued["id"],)
        ).fetchone()
    assert row is not None
    user_id = str(row[0])
    result = execute_document(pg_container, user_id, queued["id"])
    assert result == {"document_id": queued["id"], "status": "done", "attempts": 2}
    polled = api.get(f"/api/v1/documents/{queued['id']}/", headers=auth).json()["data"]
    assert polled["body"] == "## Skills\nPython, SQL, Kafka\n"
    assert polled["cost"] == {
        "prompt_tokens": 1600,
        "completion_tokens": 200,
        "cost_usd": "0.002400",
    }
    with psycopg.connect(settings.database_url) as conn:
        subjects = conn.execute("SELECT DISTINCT subject FROM usage_ledger").fetchall()
    assert subjects == [(f"document:{queued['id']}",)]
