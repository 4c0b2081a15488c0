"""Generated documents: tailored résumés and cover letters, as stored versions.

A ``Document`` is one version of a document of one ``kind`` for one job. It is made either at
once (the local drafter: ``done`` when stored) or on a worker (a language model: ``queued`` ->
``running`` -> ``done`` | ``rejected`` | ``failed``). Only a ``done`` document has a body, and only
a body that passed the grounding gate is ever stored; a ``rejected`` one keeps the sentences the
gate refused (``issues``), so the person sees why, and nothing else of the draft.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Final

import attrs

from jobraker_core.documents.grounding import FlaggedSentence
from jobraker_core.errors import Conflict

LOCAL_GENERATOR: Final = "local"
"""The ``generator`` of documents the deterministic local drafter made."""
MAX_BODY: Final = 60_000


class DocumentKind(enum.StrEnum):
    """What a document is."""

    TAILORED_RESUME = "tailored_resume"
    COVER_LETTER = "cover_letter"

    @property
    def label(self) -> str:
        """How people call it."""
        return "Résumé" if self is DocumentKind.TAILORED_RESUME else "Cover letter"


class DocumentStatus(enum.StrEnum):
    """Where a document is in its making."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen to it."""
        return self in {DocumentStatus.DONE, DocumentStatus.REJECTED, DocumentStatus.FAILED}


class ExportFormat(enum.StrEnum):
    """The file formats a document exports to."""

    PDF = "pdf"
    DOCX = "docx"

    @property
    def media_type(self) -> str:
        """The format's media type."""
        if self is ExportFormat.PDF:
            return "application/pdf"
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@attrs.frozen
class ExportedFile:
    """A rendered file: its bytes, media type and a file name to offer."""

    content: bytes
    media_type: str
    filename: str


@attrs.frozen
class Document:
    """One stored version of a tailored résumé or a cover letter (see the module docstring).

    ``version`` counts the person's documents of this kind for this job from 1;
    ``source_resume_id`` is the résumé version the facts came from; ``fingerprint`` digests the
    facts and the job (identical requests share it); ``generator`` is ``"local"`` or the model's
    name; ``attempts`` counts the model's drafts.
    """

    id: uuid.UUID
    user_id: uuid.UUID
    kind: DocumentKind
    job_id: uuid.UUID
    version: int
    status: DocumentStatus
    generator: str
    fingerprint: str
    title: str
    job_title: str
    job_company: str | None
    source_resume_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    body: str = attrs.field(default="", validator=attrs.validators.max_len(MAX_BODY))
    issues: tuple[FlaggedSentence, ...] = ()
    attempts: int = 0
    error: str | None = None

    def start(self, now: datetime) -> Document:
        """A queued document a worker begins (a running one may be begun again, after a crash)."""
        if self.status not in {DocumentStatus.QUEUED, DocumentStatus.RUNNING}:
            raise Conflict(f"document {self.id} is {self.status.value}, not queued")
        return attrs.evolve(self, status=DocumentStatus.RUNNING, updated_at=now)

    def finish(self, body: str, *, attempts: int, now: datetime) -> Document:
        """The document is made: ``body`` passed the grounding gate."""
        self._check_open()
        return attrs.evolve(
            self,
            status=DocumentStatus.DONE,
            body=body,
            issues=(),
            attempts=attempts,
            updated_at=now,
        )

    def reject(
        self, issues: tuple[FlaggedSentence, ...], *, attempts: int, now: datetime
    ) -> Document:
        """Every draft made claims the person's facts do not support; keep only what they were."""
        self._check_open()
        return attrs.evolve(
            self,
            status=DocumentStatus.REJECTED,
            body="",
            issues=issues,
            attempts=attempts,
            updated_at=now,
        )

    def fail(self, reason: str, *, now: datetime) -> Document:
        """The document could not be made (the model or the budget said no)."""
        self._check_open()
        return attrs.evolve(self, status=DocumentStatus.FAILED, error=reason[:500], updated_at=now)

    def _check_open(self) -> None:
        if self.status.finished:
            raise Conflict(f"document {self.id} is already {self.status.value}")

    @property
    def subject(self) -> str:
        """The usage ledger's subject of what making it cost."""
        return f"document:{self.id}"
