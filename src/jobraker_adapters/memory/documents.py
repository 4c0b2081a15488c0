"""In-memory document repository: the reference semantics of migration 0045.

Each unit of work works on a copy of the committed ``DocumentTables`` (``InMemoryDocumentSession``)
and publishes it on commit, refusing what PostgreSQL's unique key refuses: a version number of
(user, kind, job) taken meanwhile is a ``Conflict``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import attrs

from jobraker_adapters.memory.tables import TableSession
from jobraker_core.documents.model import Document, DocumentKind, DocumentStatus
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import Page, PageRequest

_REUSABLE = frozenset({DocumentStatus.DONE, DocumentStatus.QUEUED, DocumentStatus.RUNNING})


def _newest_first(document: Document) -> tuple[float, int, str]:
    return (-document.created_at.timestamp(), -document.version, str(document.id))


@attrs.define
class DocumentTables:
    """Every stored document, by id."""

    documents: dict[uuid.UUID, Document] = attrs.field(factory=dict)

    def of_user(self, user_id: uuid.UUID) -> dict[str, list[object]]:
        """The user's rows, one export section per table."""
        return {"documents": [d for d in self.documents.values() if d.user_id == user_id]}

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete the user's documents; return how many went."""
        doomed = [key for key, d in self.documents.items() if d.user_id == user_id]
        for key in doomed:
            del self.documents[key]
        return len(doomed)

    def copy(self) -> DocumentTables:
        """A copy whose dictionary can change without touching this one."""
        return DocumentTables(dict(self.documents))


def _same_slot(a: Document, b: Document) -> bool:
    return (a.user_id, a.kind, a.job_id, a.version) == (b.user_id, b.kind, b.job_id, b.version)


@attrs.define
class InMemoryDocumentRepository:
    """``DocumentRepository`` over ``DocumentTables``."""

    tables: DocumentTables = attrs.field(factory=DocumentTables)

    def add(self, document: Document) -> None:
        """Store a new version; ``Conflict`` when its id or version is taken."""
        if document.id in self.tables.documents or any(
            _same_slot(document, other) for other in self.tables.documents.values()
        ):
            raise Conflict(f"document version {document.version} already exists")
        self.tables.documents[document.id] = document

    def update(self, document: Document) -> None:
        """Replace the stored state of ``document`` (``NotFound`` when it is not stored)."""
        stored = self.tables.documents.get(document.id)
        if stored is None or stored.user_id != document.user_id:
            raise NotFound(f"document {document.id} not found")
        self.tables.documents[document.id] = document

    def get(self, user_id: uuid.UUID, document_id: uuid.UUID) -> Document:
        """The person's document, or ``NotFound``."""
        document = self.tables.documents.get(document_id)
        if document is None or document.user_id != user_id:
            raise NotFound(f"document {document_id} not found")
        return document

    def list(
        self,
        user_id: uuid.UUID,
        page: PageRequest,
        *,
        kind: DocumentKind | None = None,
        job_id: uuid.UUID | None = None,
    ) -> Page[Document]:
        """Newest first, optionally of one kind or job."""
        mine = sorted(
            (
                d
                for d in self.tables.documents.values()
                if d.user_id == user_id
                and (kind is None or d.kind is kind)
                and (job_id is None or d.job_id == job_id)
            ),
            key=_newest_first,
        )
        return Page(
            items=tuple(mine[page.offset : page.offset + page.per_page]),
            total=len(mine),
            request=page,
        )

    def latest_version(self, user_id: uuid.UUID, kind: DocumentKind, job_id: uuid.UUID) -> int:
        """The highest version of this kind for this job (0 when none)."""
        return max(
            (
                d.version
                for d in self.tables.documents.values()
                if d.user_id == user_id and d.kind is kind and d.job_id == job_id
            ),
            default=0,
        )

    def reusable(
        self,
        user_id: uuid.UUID,
        kind: DocumentKind,
        job_id: uuid.UUID,
        fingerprint: str,
        generator: str,
    ) -> Document | None:
        """The newest done, queued or running document made from the same facts."""
        found = [
            d
            for d in self.tables.documents.values()
            if d.user_id == user_id
            and d.kind is kind
            and d.job_id == job_id
            and d.fingerprint == fingerprint
            and d.generator == generator
            and d.status in _REUSABLE
        ]
        found.sort(key=lambda d: -d.version)
        return found[0] if found else None

    def by_ids(self, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> Sequence[Document]:
        """The person's documents among ``ids``, in the order asked."""
        found = (self.tables.documents.get(i) for i in dict.fromkeys(ids))
        return [d for d in found if d is not None and d.user_id == user_id]


class InMemoryDocumentSession(TableSession[DocumentTables]):
    """One unit of work's view of the document tables: a copy, published on commit."""

    def __init__(self, committed: DocumentTables | None = None) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        super().__init__(committed or DocumentTables())
        self.documents = InMemoryDocumentRepository(self.tables)

    def check(self, store: DocumentTables) -> None:
        """Raise ``Conflict`` where the store refuses this unit's new versions."""
        for document_id, document in self.tables.documents.items():
            if document_id in self._before.documents:
                continue
            if document_id in store.documents or any(
                _same_slot(document, other) for other in store.documents.values()
            ):
                raise Conflict(f"document version {document.version} was stored meanwhile")
