"""Builders of the documents tests: a résumé, a job, a seeded container, a scripted model."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

import attrs

from account_builders import T0, make_user
from jobraker_core.assistant.language_model import (
    Completion,
    FinishReason,
    Message,
    StreamEvent,
    TokenUsage,
    ToolSpec,
)
from jobraker_core.jobs.model import JobDraft, JobPosting
from jobraker_core.matching.use_cases import UploadResumeCommand

RESUME = """Jane Doe
Location: London, UK

Summary
Backend engineer who builds payment systems.

Experience
Senior Python Developer, Acme Ltd - Jan 2019 - Present
- Organised the office book club.
- Built payment APIs with Python, Django and PostgreSQL, cutting latency by 40%.
- Mentored 4 engineers.
Nurse | St Mary Hospital | 2010 - 2012
- Patient care on a surgical ward.
Software Engineer | Initech | 2015 - 2018
- Java services for 12 clients.
- Kept Docker images small.

Education
BSc Computer Science, University of Leeds, 2014

Skills
Java, Python, Django, PostgreSQL, Docker

Languages
English (native), French (fluent)
"""
BACKEND = (
    "We build payments.\n"
    "Requirements:\n- Python and Django\n- PostgreSQL\n- Docker\n"
    "Nice to have:\n- Kubernetes\n"
)


def make_job(
    title: str = "Backend Engineer",
    company: str | None = "Globex",
    description: str = BACKEND,
    number: int = 1,
) -> JobPosting:
    """A stored-shape job posting."""
    draft = JobDraft(
        source="test",
        source_id=str(number),
        title=title,
        description=description,
        company=company,
        posted_at=T0,
    )
    return JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=T0)


def seed(container, resume: str = RESUME, job: JobPosting | None = None):
    """Store a user with ``resume`` uploaded and ``job``; return (user id, job)."""
    user = make_user(email=f"u-{uuid.uuid4().hex[:8]}@example.com")
    job = job or make_job()
    with container.uow()() as uow:
        uow.users.add(user)
        uow.jobs.save([job])
        uow.commit()
    container.upload_resume()(UploadResumeCommand(user_id=user.id, content=resume.encode()))
    return user.id, job


@attrs.define
class ScriptedModel:
    """A ``LanguageModel`` that answers with scripted texts, in order, and records what it got.

    Each answer costs ``usage``; when the script runs out the last answer repeats.
    """

    answers: list[str]
    model: str = "scripted-1"
    usage: TokenUsage = attrs.field(factory=lambda: TokenUsage(1000, 200))
    received: list[list[Message]] = attrs.field(factory=list)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Completion:
        """The next scripted answer."""
        del tools, max_tokens
        self.received.append(list(messages))
        index = min(len(self.received), len(self.answers)) - 1
        return Completion(self.answers[index], (), FinishReason.STOP, self.usage, self.model)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        """The next scripted answer, whole."""
        yield self.complete(messages, tools=tools, max_tokens=max_tokens)
