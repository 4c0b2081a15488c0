"""Generated documents: tailored résumés and cover letters, and their export.

Every route needs a signed-in user and works on that user's data only (another user's document
answers 404).

- ``POST /api/v1/jobs/{id}/tailored-resume/`` and ``POST /api/v1/jobs/{id}/cover-letter/``: make
  the document for the job from the caller's profile and résumés. With the local drafter (no
  model configured) it is made at once: 201 with the ``done`` document. With a language model it
  is queued for the worker: 202 with the document (``status`` ``queued``) to poll. An identical
  earlier request (same facts, same job) answers 200 with the document it made (``reused``). If
  the output fails the grounding gate, 422 with the document ``rejected``: nothing is stored, and
  ``marked`` shows the draft with the unsupported sentences marked. 422 too when there is no
  profile yet; 429 when the month's token budget is spent, or over the person's assistant rate
  (``JOBRAKER_CHAT_RATE_LIMIT``, shared with chat messages: ``jobraker_http.assistant_rate``),
  with ``Retry-After``.
- ``GET /api/v1/documents/`` (``kind``, ``job_id``, paginated) and ``GET /api/v1/documents/{id}/``
  (with what making it cost).
- ``GET /api/v1/documents/{id}/export/?format=pdf|docx``: the file (409 unless ``done``);
  ``GET /api/v1/users/resumes/{id}/export/?format=pdf|docx`` exports an uploaded résumé version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Response, Router, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import State  # noqa: TC002 - Litestar reads it at runtime
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads the annotations at runtime
from litestar.params import Parameter, QueryParameter

from jobraker_core.accounts.identity import Principal
from jobraker_core.documents.model import (
    Document,
    DocumentKind,
    DocumentStatus,
    ExportedFile,
    ExportFormat,
)
from jobraker_core.documents.use_cases import (
    DocumentCost,
    DocumentFilter,
    DocumentOutcome,
    DocumentRequest,
    DraftCoverLetter,
    ExportDocument,
    ExportResume,
    GetDocument,
    ListDocuments,
    TailorResume,
)
from jobraker_core.pagination import DEFAULT_PER_PAGE
from jobraker_http.assistant_rate import check_assistant_rate
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, ListMeta, list_meta
from jobraker_http.guards import requires_user
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id
from jobraker_http.providers import container_of, container_provider

# ----------------------------------------------------------------------------- wire


class IssueOut(msgspec.Struct, kw_only=True):
    """A sentence the grounding gate refused, where it is, and the claims it could not trace."""

    index: int
    text: str
    start: int
    end: int
    claims: list[str]


class CostOut(msgspec.Struct, kw_only=True):
    """Tokens the model spent on the document and their estimated cost in USD."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: str


class DocumentOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One version of a tailored résumé or a cover letter.

    ``status``: queued, running, done, rejected (unsupported claims: see ``issues``), failed
    (see ``error``). ``body`` is set when done.
    """

    id: uuid.UUID
    kind: str
    status: str
    version: int
    title: str
    job_id: uuid.UUID
    job_title: str
    job_company: str | None
    source_resume_id: uuid.UUID | None
    generator: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    body: str | None = None
    issues: list[IssueOut] = msgspec.field(default_factory=list)
    error: str | None = None
    reused: bool = False
    stored: bool = True
    marked: str | None = None
    cost: CostOut | None = None


def document_to_wire(
    document: Document,
    *,
    outcome: DocumentOutcome | None = None,
    cost: DocumentCost | None = None,
) -> DocumentOut:
    """Return the wire form of a document (and of how a request for it ended)."""
    return DocumentOut(
        id=document.id,
        kind=document.kind.value,
        status=document.status.value,
        version=document.version,
        title=document.title,
        job_id=document.job_id,
        job_title=document.job_title,
        job_company=document.job_company,
        source_resume_id=document.source_resume_id,
        generator=document.generator,
        attempts=document.attempts,
        created_at=document.created_at,
        updated_at=document.updated_at,
        body=document.body or None,
        issues=[
            IssueOut(index=i.index, text=i.text, start=i.start, end=i.end, claims=list(i.claims))
            for i in document.issues
        ],
        error=document.error,
        reused=outcome.reused if outcome else False,
        stored=outcome.stored if outcome else True,
        marked=outcome.marked if outcome else None,
        cost=None
        if cost is None
        else CostOut(
            prompt_tokens=cost.prompt_tokens,
            completion_tokens=cost.completion_tokens,
            cost_usd=str(cost.cost_usd.quantize(Decimal("0.000001"))),
        ),
    )


class DocumentEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one document."""

    success: bool
    data: DocumentOut
    meta: ItemMeta


class DocumentListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of documents."""

    success: Literal[True]
    data: list[DocumentOut]
    meta: ListMeta


# ----------------------------------------------------------------------------- routes


def _answer(outcome: DocumentOutcome) -> Response[DocumentEnvelope]:
    document = outcome.document
    if not outcome.stored:
        status = 422
    elif outcome.reused:
        status = 200 if document.status is DocumentStatus.DONE else 202
    else:
        status = 201 if document.status is DocumentStatus.DONE else 202
    envelope = DocumentEnvelope(
        success=outcome.stored,
        data=document_to_wire(document, outcome=outcome),
        meta=ItemMeta(),
    )
    return Response(envelope, status_code=status)


_MAKE_RESPONSES = {**problem_responses(401, 404, 422, 429, 503)}


@post(
    "/jobs/{job_id:str}/tailored-resume",
    status_code=201,
    summary="Tailor my résumé to a job",
    description="Reorders and selects the caller's own résumé content for the job, the most "
    "relevant experience and skills first; every claim is checked against the caller's facts "
    "before anything is stored. 201 with the document (made at once), 202 while a language "
    "model makes it on the worker (poll `GET /api/v1/documents/{id}/`), 200 for an identical "
    "earlier request, 422 with the unsupported sentences marked when the output fails the "
    "check (nothing stored).",
    responses=_MAKE_RESPONSES,
)
async def tailored_resume_create(
    job_id: Annotated[str, Parameter(description="The job's id (a UUID).")],
    principal: NamedDependency[Principal],
    state: State,
) -> Response[DocumentEnvelope]:
    """Make (or queue, or reuse) a tailored résumé."""
    request = DocumentRequest(user_id=principal.user_id, job_id=parse_id(job_id, "job"))
    container = container_of(state)
    await check_assistant_rate(state, principal.user_id)
    tailor_resume: TailorResume = await sync_to_thread(container.tailor_resume)
    return _answer(await sync_to_thread(tailor_resume, request))


@post(
    "/jobs/{job_id:str}/cover-letter",
    status_code=201,
    summary="Draft a cover letter for a job",
    description="A letter for the job filled only from the caller's facts (the job's title and "
    "company are named as the job applied for). Answers like the tailored résumé route.",
    responses=_MAKE_RESPONSES,
)
async def cover_letter_create(
    job_id: Annotated[str, Parameter(description="The job's id (a UUID).")],
    principal: NamedDependency[Principal],
    state: State,
) -> Response[DocumentEnvelope]:
    """Make (or queue, or reuse) a cover letter."""
    request = DocumentRequest(user_id=principal.user_id, job_id=parse_id(job_id, "job"))
    container = container_of(state)
    await check_assistant_rate(state, principal.user_id)
    draft_cover_letter: DraftCoverLetter = await sync_to_thread(container.draft_cover_letter)
    return _answer(await sync_to_thread(draft_cover_letter, request))


@get(
    "/documents",
    sync_to_thread=True,
    summary="My documents",
    description="Tailored résumés and cover letters, newest first, every version kept.",
    responses=problem_responses(401, 503),
)
def document_list(  # noqa: PLR0917 - Litestar passes the query's filters by name
    principal: NamedDependency[Principal],
    list_documents: NamedDependency[ListDocuments],
    kind: Annotated[
        Literal["tailored_resume", "cover_letter"] | None,
        Parameter(description="Only documents of this kind."),
    ] = None,
    job_id: Annotated[uuid.UUID | None, Parameter(description="Only those for this job.")] = None,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> DocumentListEnvelope:
    """Return one page of the caller's documents (with their bodies)."""
    where = DocumentFilter(kind=DocumentKind(kind) if kind else None, job_id=job_id)
    found = list_documents(principal.user_id, clamp_page(page, per_page), where)
    return DocumentListEnvelope(
        success=True, data=[document_to_wire(d) for d in found.items], meta=list_meta(found)
    )


@get(
    "/documents/{document_id:str}",
    sync_to_thread=True,
    summary="One of my documents",
    description="Its status (poll it while `queued` or `running`), body, refused sentences "
    "and what making it cost.",
    responses=problem_responses(401, 404, 503),
)
def document_detail(
    document_id: Annotated[str, Parameter(description="The document's id (a UUID).")],
    principal: NamedDependency[Principal],
    get_document: NamedDependency[GetDocument],
) -> DocumentEnvelope:
    """Return the document (404 for another user's)."""
    detail = get_document(principal.user_id, parse_id(document_id, "document"))
    return DocumentEnvelope(
        success=True,
        data=document_to_wire(detail.document, cost=detail.cost),
        meta=ItemMeta(),
    )


_FORMAT = QueryParameter(name="format", description="`pdf` or `docx`.")


def _file(exported: ExportedFile) -> Response[bytes]:
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store",
        },
    )


@get(
    "/documents/{document_id:str}/export",
    sync_to_thread=True,
    summary="Download one of my documents",
    description="A done document as PDF or DOCX.",
    responses=problem_responses(400, 401, 404, 409, 503),
)
def document_export(
    document_id: Annotated[str, Parameter(description="The document's id (a UUID).")],
    principal: NamedDependency[Principal],
    export_document: NamedDependency[ExportDocument],
    file_format: Annotated[Literal["pdf", "docx"], _FORMAT] = "pdf",
) -> Response[bytes]:
    """Render the document as a file."""
    exported = export_document(
        principal.user_id, parse_id(document_id, "document"), ExportFormat(file_format)
    )
    return _file(exported)


@get(
    "/users/resumes/{resume_id:str}/export",
    sync_to_thread=True,
    summary="Download one of my résumé versions",
    description="An uploaded résumé version's text as PDF or DOCX.",
    responses=problem_responses(400, 401, 404, 503),
)
def resume_export(
    resume_id: Annotated[str, Parameter(description="The version's id (a UUID).")],
    principal: NamedDependency[Principal],
    export_resume: NamedDependency[ExportResume],
    file_format: Annotated[Literal["pdf", "docx"], _FORMAT] = "pdf",
) -> Response[bytes]:
    """Render the résumé version as a file."""
    exported = export_resume(
        principal.user_id, parse_id(resume_id, "résumé"), ExportFormat(file_format)
    )
    return _file(exported)


def documents_router() -> Router:
    """The document routes (under ``/api/v1``)."""
    return Router(
        path="/",
        route_handlers=[
            tailored_resume_create,
            cover_letter_create,
            document_list,
            document_detail,
            document_export,
            resume_export,
        ],
        tags=["documents"],
        guards=[requires_user],
        dependencies={
            name: container_provider(name)
            for name in (
                "list_documents",
                "get_document",
                "export_document",
                "export_resume",
            )
        },
    )
