"""Ports of the documents use cases: where documents are kept, and how they become files.

``DocumentRepository`` is handed out by the ``UnitOfWork`` (``uow.documents``) and shares its
transaction; every read is scoped to a user id, and another person's document reads as
``NotFound``. Storage that is down raises ``UpstreamUnavailable``. The in-memory fake is
``jobraker_adapters.memory.documents``; ``jobraker_adapters.documents`` renders files.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from jobraker_core.documents.model import Document, DocumentKind, ExportFormat
from jobraker_core.pagination import Page, PageRequest


class DocumentRepository(Protocol):
    """Every version of every generated document of each person (none is ever replaced).

    ``add`` raises ``Conflict`` when the person already has that version of that kind for that
    job (two requests raced); ``update`` changes a stored document's status, body, issues,
    attempts and error (``NotFound`` when it is not stored).
    """

    def add(self, document: Document) -> None:
        """Store a new version."""
        ...

    def update(self, document: Document) -> None:
        """Store the new state of a stored version."""
        ...

    def get(self, user_id: uuid.UUID, document_id: uuid.UUID) -> Document:
        """The person's document with this id."""
        ...

    def list(
        self,
        user_id: uuid.UUID,
        page: PageRequest,
        *,
        kind: DocumentKind | None = None,
        job_id: uuid.UUID | None = None,
    ) -> Page[Document]:
        """The person's documents, newest first (then highest version, then by id), filtered."""
        ...

    def latest_version(self, user_id: uuid.UUID, kind: DocumentKind, job_id: uuid.UUID) -> int:
        """The highest version of this kind for this job the person has (0 when none)."""
        ...

    def reusable(
        self,
        user_id: uuid.UUID,
        kind: DocumentKind,
        job_id: uuid.UUID,
        fingerprint: str,
        generator: str,
    ) -> Document | None:
        """The newest document made from the same facts by the same generator, unless it failed.

        That is a ``done`` one, or one still ``queued``/``running``; ``rejected`` and ``failed``
        ones are never reused (asking again may succeed).
        """
        ...

    def by_ids(self, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> Sequence[Document]:
        """The person's documents among ``ids`` (others' and unknown ids are left out)."""
        ...


class DocumentRenderer(Protocol):
    """Lays out a document as a file.

    ``body`` is the document's text: lines starting ``## `` are headings, ``### `` sub-headings,
    ``- `` bullets; other lines are paragraphs (a blank line separates them). Every character of
    the text appears in the file's text (a renderer whose font lacks a glyph substitutes the
    closest one it has). Raises ``InvalidInput`` for a body it cannot lay out.
    """

    def render(self, title: str, body: str, format: ExportFormat) -> bytes:  # noqa: A002 - the word of the API
        """The file's bytes."""
        ...
