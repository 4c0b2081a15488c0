"""PostgreSQL document repository (migration 0045), following ``memory.documents``.

Inserts run in a savepoint, so a version number taken meanwhile (``Conflict``) leaves the caller's
transaction usable. The refused sentences of a rejected document are a JSON array.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from psycopg import errors as pg_errors
from psycopg import pq
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_core.documents.grounding import FlaggedSentence
from jobraker_core.documents.model import Document, DocumentKind, DocumentStatus
from jobraker_core.errors import NotFound
from jobraker_core.pagination import Page, PageRequest

_COLUMNS: Final = (
    "id, user_id, kind, job_id, version, status, generator, fingerprint, title, job_title, "
    "job_company, source_resume_id, body, issues, attempts, error, created_at, updated_at"
)


def _issues_to_json(issues: Sequence[FlaggedSentence]) -> list[dict[str, object]]:
    return [
        {
            "index": flag.index,
            "text": flag.text,
            "start": flag.start,
            "end": flag.end,
            "claims": list(flag.claims),
        }
        for flag in issues
    ]


def _issues_from_json(raw: Sequence[Mapping[str, Any]]) -> tuple[FlaggedSentence, ...]:
    return tuple(
        FlaggedSentence(
            index=int(item["index"]),
            text=str(item["text"]),
            start=int(item["start"]),
            end=int(item["end"]),
            claims=tuple(str(claim) for claim in item["claims"]),
        )
        for item in raw
    )


def _document(row: Mapping[str, Any]) -> Document:
    return Document(
        id=row["id"],
        user_id=row["user_id"],
        kind=DocumentKind(row["kind"]),
        job_id=row["job_id"],
        version=row["version"],
        status=DocumentStatus(row["status"]),
        generator=row["generator"],
        fingerprint=row["fingerprint"],
        title=row["title"],
        job_title=row["job_title"],
        job_company=row["job_company"],
        source_resume_id=row["source_resume_id"],
        body=row["body"],
        issues=_issues_from_json(row["issues"]),
        attempts=row["attempts"],
        error=row["error"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class PostgresDocumentRepository:
    """``DocumentRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def add(self, document: Document) -> None:
        """Insert a new version; ``Conflict`` when its number is taken."""
        if self._conn.info.transaction_status is pq.TransactionStatus.IDLE:
            # psycopg's transaction() on an idle connection would commit on exit: open the unit's
            # transaction first, so that the insert below is only a savepoint within it.
            with translate_errors():
                self._conn.execute("SELECT 1")
        try:
            with translate_errors(), self._conn.transaction():
                self._conn.execute(
                    f"INSERT INTO documents ({_COLUMNS}) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        document.id,
                        document.user_id,
                        document.kind.value,
                        document.job_id,
                        document.version,
                        document.status.value,
                        document.generator,
                        document.fingerprint,
                        document.title,
                        document.job_title,
                        document.job_company,
                        document.source_resume_id,
                        document.body,
                        Jsonb(_issues_to_json(document.issues)),
                        document.attempts,
                        document.error,
                        document.created_at,
                        document.updated_at,
                    ),
                )
        except pg_errors.ForeignKeyViolation as error:
            raise NotFound(f"user {document.user_id} not found") from error

    def update(self, document: Document) -> None:
        """Store the new status, body, issues, attempts, error and fingerprint."""
        with translate_errors(), self._conn.cursor() as cur:
            cur.execute(
                "UPDATE documents SET status = %s, body = %s, issues = %s, attempts = %s, "
                "error = %s, fingerprint = %s, updated_at = %s WHERE id = %s AND user_id = %s",
                (
                    document.status.value,
                    document.body,
                    Jsonb(_issues_to_json(document.issues)),
                    document.attempts,
                    document.error,
                    document.fingerprint,
                    document.updated_at,
                    document.id,
                    document.user_id,
                ),
            )
            if cur.rowcount != 1:
                raise NotFound(f"document {document.id} not found")

    def get(self, user_id: uuid.UUID, document_id: uuid.UUID) -> Document:
        """The person's document, or ``NotFound``."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT * FROM documents WHERE id = %s AND user_id = %s", (document_id, user_id)
            ).fetchone()
        if row is None:
            raise NotFound(f"document {document_id} not found")
        return _document(row)

    def list(
        self,
        user_id: uuid.UUID,
        page: PageRequest,
        *,
        kind: DocumentKind | None = None,
        job_id: uuid.UUID | None = None,
    ) -> Page[Document]:
        """Newest first (then by id), optionally of one kind or job."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT *, count(*) OVER () AS total FROM documents WHERE user_id = %s "
                "AND (%s::text IS NULL OR kind = %s) AND (%s::uuid IS NULL OR job_id = %s) "
                "ORDER BY created_at DESC, version DESC, id LIMIT %s OFFSET %s",
                (
                    user_id,
                    kind and kind.value,
                    kind and kind.value,
                    job_id,
                    job_id,
                    page.per_page,
                    page.offset,
                ),
            ).fetchall()
            total = rows[0]["total"] if rows else 0
            if not rows and page.offset:
                counted = cur.execute(
                    "SELECT count(*) AS total FROM documents WHERE user_id = %s "
                    "AND (%s::text IS NULL OR kind = %s) AND (%s::uuid IS NULL OR job_id = %s)",
                    (user_id, kind and kind.value, kind and kind.value, job_id, job_id),
                ).fetchone()
                total = counted["total"] if counted else 0
        return Page(items=tuple(_document(r) for r in rows), total=total, request=page)

    def latest_version(self, user_id: uuid.UUID, kind: DocumentKind, job_id: uuid.UUID) -> int:
        """The highest version of this kind for this job (0 when none)."""
        with translate_errors(), self._conn.cursor() as cur:
            row = cur.execute(
                "SELECT coalesce(max(version), 0) FROM documents "
                "WHERE user_id = %s AND kind = %s AND job_id = %s",
                (user_id, kind.value, job_id),
            ).fetchone()
        return int(row[0]) if row else 0

    def reusable(
        self,
        user_id: uuid.UUID,
        kind: DocumentKind,
        job_id: uuid.UUID,
        fingerprint: str,
        generator: str,
    ) -> Document | None:
        """The newest done, queued or running document made from the same facts."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT * FROM documents WHERE user_id = %s AND kind = %s AND job_id = %s "
                "AND fingerprint = %s AND generator = %s "
                "AND status IN ('done', 'queued', 'running') ORDER BY version DESC LIMIT 1",
                (user_id, kind.value, job_id, fingerprint, generator),
            ).fetchone()
        return None if row is None else _document(row)

    def by_ids(self, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> Sequence[Document]:
        """The person's documents among ``ids``, in the order asked."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT * FROM documents WHERE user_id = %s AND id = ANY(%s)", (user_id, wanted)
            ).fetchall()
        found = {row["id"]: _document(row) for row in rows}
        return [found[i] for i in wanted if i in found]
