"""Use cases of documents: tailor a résumé, draft a cover letter, read, list and export them.

``TailorResume`` and ``DraftCoverLetter`` (the names the assistant's tools call) take a
``DocumentRequest`` (the person and the job) and answer a ``DocumentOutcome``:

- with no language model configured (``model`` None: the local drafter), the document is made at
  once, checked by the grounding gate and stored as a new ``done`` version;
- with a model, a ``queued`` version is stored and ``PRODUCE_DOCUMENT_TASK`` queued; the worker
  runs ``ProduceDocument``, which drafts with the model behind the gate and leaves the version
  ``done``, ``rejected`` (the offending sentences kept, the draft not) or ``failed``.

An identical request (same facts, same job, same kind, same generator) is answered with the
document already made or being made (``reused``; one queued or running for more than
``STALLED_AFTER_SECONDS`` is taken as lost and made again). The person's monthly token
budget is checked before any model is asked, and what the model's tokens cost is recorded in the
usage ledger under ``document:<id>`` in the same transaction as the document. A document whose
output the gate refuses is never stored as ``done``.

``ReadResumeVersion`` reads an uploaded résumé version or a tailored résumé by id alike: that is
how other features (an application packet) use a tailored résumé wherever a résumé version goes.
"""

from __future__ import annotations

import unicodedata
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Final

import attrs

from jobraker_core.assistant.costs import record_token_usage
from jobraker_core.documents.drafting import DEFAULT_ATTEMPTS, ModelDrafter, job_block
from jobraker_core.documents.facts import collect_facts
from jobraker_core.documents.grounding import GroundingGate, GroundingReport
from jobraker_core.documents.local import DraftBasis, LocalDrafter, document_title, facts_text
from jobraker_core.documents.model import (
    LOCAL_GENERATOR,
    Document,
    DocumentKind,
    DocumentStatus,
    ExportedFile,
    ExportFormat,
)
from jobraker_core.errors import (
    Conflict,
    InvalidInput,
    JobrakerError,
    NotFound,
    TooManyRequests,
)
from jobraker_core.matching.candidate import YearMonth
from jobraker_core.pagination import Page, PageRequest
from jobraker_core.usage import UsageKind

if TYPE_CHECKING:
    from datetime import datetime

    from jobraker_core.assistant.costs import TokenBudget, TokenPrices
    from jobraker_core.assistant.language_model import LanguageModel
    from jobraker_core.clock import Clock
    from jobraker_core.documents.ports import DocumentRenderer
    from jobraker_core.matching.analysis import JobAnalyser
    from jobraker_core.ports import TaskQueue, UnitOfWork, UnitOfWorkFactory

PRODUCE_DOCUMENT_TASK: Final = "jobraker_workers.document_tasks.produce_document"
MAX_RESUME_VERSIONS: Final = 10
"""How many of the person's newest résumé versions the facts are read from."""
STORE_ATTEMPTS: Final = 3
STALLED_AFTER_SECONDS: Final = 15 * 60
"""A queued or running document older than this is not reused: its task is taken as lost."""
NOTHING_TO_DRAW_ON: Final = (
    "there is nothing to draw on yet: upload a résumé (POST /api/v1/users/resumes/) or fill in "
    "your candidate profile first"
)


@attrs.frozen
class DocumentRequest:
    """Make a document of a person for a job."""

    user_id: uuid.UUID
    job_id: uuid.UUID


@attrs.frozen
class DocumentOutcome:
    """What a request gave.

    ``stored`` False means the output failed the grounding gate and was not stored: then
    ``document`` is ``rejected`` with the offending sentences as ``issues``, and ``marked`` is the
    draft with them marked. ``reused`` means an identical earlier request answered it.
    """

    document: Document
    stored: bool = True
    reused: bool = False
    marked: str | None = None
    report: GroundingReport | None = None


def _basis(
    uow: UnitOfWork, analyser: JobAnalyser, user_id: uuid.UUID, job_id: uuid.UUID, now: datetime
) -> DraftBasis:
    job = uow.jobs.get(job_id)
    profile = uow.candidates.get(user_id)
    if profile is None or profile.is_empty:
        raise InvalidInput(NOTHING_TO_DRAW_ON, field="profile")
    resumes = uow.resumes.list(user_id, PageRequest(1, MAX_RESUME_VERSIONS)).items
    as_of = YearMonth.of(now)
    facts = collect_facts(profile, resumes, job, analyser.extractor, as_of)
    return DraftBasis(profile, job, analyser.analyse(job), facts, as_of)


def _stalled(document: Document, now: datetime) -> bool:
    """Whether a queued or running document has waited so long that its task must be lost."""
    return (
        document.status is not DocumentStatus.DONE
        and (now - document.updated_at).total_seconds() > STALLED_AFTER_SECONDS
    )


def _store_new(uow_factory: UnitOfWorkFactory, document: Document) -> Document:
    """Store ``document`` as the next version of its kind for its job, retrying a raced number."""
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with uow_factory() as uow:
                version = uow.documents.latest_version(
                    document.user_id, document.kind, document.job_id
                )
                stored = attrs.evolve(document, version=version + 1)
                uow.documents.add(stored)
                uow.commit()
        except Conflict:
            if attempt == STORE_ATTEMPTS:
                raise
        else:
            return stored
    raise AssertionError("unreachable")  # pragma: no cover


class _MakeDocument:
    """Makes one kind of document for a job (see the module docstring)."""

    kind: ClassVar[DocumentKind]

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        analyser: JobAnalyser,
        clock: Clock,
        queue: TaskQueue,
        model: LanguageModel | None,
        budget: TokenBudget,
    ) -> None:
        self._uow = uow
        self._analyser = analyser
        self._clock = clock
        self._queue = queue
        self._model = model
        self._budget = budget
        self._gate = GroundingGate(analyser.extractor)
        self._local = LocalDrafter(analyser.extractor)

    def __call__(self, request: DocumentRequest) -> DocumentOutcome:
        """Make the document, or queue it, or answer the one made from the same facts."""
        now = self._clock.now()
        generator = LOCAL_GENERATOR if self._model is None else self._model.model
        with self._uow() as uow:
            basis = _basis(uow, self._analyser, request.user_id, request.job_id, now)
            earlier = uow.documents.reusable(
                request.user_id, self.kind, request.job_id, basis.facts.fingerprint, generator
            )
            if earlier is not None and not _stalled(earlier, now):
                return DocumentOutcome(earlier, reused=True)
            if self._model is not None:
                self._budget.check(uow.usage, request.user_id, now)
        document = Document(
            id=uuid.uuid4(),
            user_id=request.user_id,
            kind=self.kind,
            job_id=request.job_id,
            version=1,
            status=DocumentStatus.QUEUED,
            generator=generator,
            fingerprint=basis.facts.fingerprint,
            title=document_title(self.kind, basis.job),
            job_title=basis.job.title,
            job_company=basis.job.company,
            source_resume_id=basis.profile.resume_id,
            created_at=now,
            updated_at=now,
        )
        if self._model is None:
            return self._make_now(document, basis, now)
        return self._queue_it(document)

    def _make_now(self, document: Document, basis: DraftBasis, now: datetime) -> DocumentOutcome:
        body = self._local.draft(self.kind, basis)
        report = self._gate.check(body, basis.facts)
        if not report.grounded:
            rejected = attrs.evolve(document.reject(report.flagged, attempts=1, now=now), body=body)
            return DocumentOutcome(
                rejected, stored=False, marked=report.marked(body), report=report
            )
        done = document.finish(body, attempts=1, now=now)
        return DocumentOutcome(_store_new(self._uow, done), report=report)

    def _queue_it(self, document: Document) -> DocumentOutcome:
        stored = _store_new(self._uow, document)
        try:
            self._queue.enqueue(
                PRODUCE_DOCUMENT_TASK,
                str(stored.user_id),
                str(stored.id),
                job_id=f"document-{stored.id}",
            )
        except JobrakerError as error:
            with self._uow() as uow:
                uow.documents.update(stored.fail(error.message, now=self._clock.now()))
                uow.commit()
            raise
        return DocumentOutcome(stored)


class TailorResume(_MakeDocument):
    """Tailors the person's résumé to a job: their most relevant content first, nothing added."""

    kind = DocumentKind.TAILORED_RESUME


class DraftCoverLetter(_MakeDocument):
    """Drafts a cover letter for a job from the person's facts."""

    kind = DocumentKind.COVER_LETTER


class ProduceDocument:
    """The worker's part: draft a queued document with the model, gate it, store the verdict.

    Idempotent: a finished document is returned as it is. A missing job or profile, or a spent
    budget, fails the document (and returns it); the model's own errors propagate, for the
    worker to retry (``FailDocument`` records a final failure).
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        analyser: JobAnalyser,
        clock: Clock,
        model: LanguageModel,
        prices: TokenPrices,
        budget: TokenBudget,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        self._uow = uow
        self._analyser = analyser
        self._clock = clock
        self._model = model
        self._prices = prices
        self._budget = budget
        self._local = LocalDrafter(analyser.extractor)
        self._drafter = ModelDrafter(model, GroundingGate(analyser.extractor), attempts=attempts)

    def __call__(self, user_id: uuid.UUID, document_id: uuid.UUID) -> Document:
        """Make the document; return its final state."""
        now = self._clock.now()
        with self._uow() as uow:
            document = uow.documents.get(user_id, document_id)
            if document.status.finished:
                return document
            document = document.start(now)
            uow.documents.update(document)
            uow.commit()
        try:
            with self._uow() as uow:
                basis = _basis(uow, self._analyser, user_id, document.job_id, now)
                self._budget.check(uow.usage, user_id, now)
        except (InvalidInput, NotFound, TooManyRequests) as error:
            return self._fail(document, error.message)
        result = self._drafter.draft(
            document.kind,
            basis.facts,
            facts_text=facts_text(basis.profile),
            job=job_block(basis.analysis, basis.job.title, basis.job.company),
            base=self._local.draft(document.kind, basis),
        )
        finished = self._clock.now()
        with self._uow() as uow:
            record_token_usage(
                uow.usage,
                user_id=user_id,
                usage=result.usage,
                prices=self._prices,
                subject=document.subject,
                model=result.model,
                at=finished,
            )
            document = attrs.evolve(document, fingerprint=basis.facts.fingerprint)
            if result.grounded:
                document = document.finish(result.text, attempts=result.attempts, now=finished)
            else:
                document = document.reject(
                    result.report.flagged, attempts=result.attempts, now=finished
                )
            uow.documents.update(document)
            uow.commit()
        return document

    def _fail(self, document: Document, reason: str) -> Document:
        failed = document.fail(reason, now=self._clock.now())
        with self._uow() as uow:
            uow.documents.update(failed)
            uow.commit()
        return failed


class FailDocument:
    """Records that a queued or running document could not be made (the worker gave up)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, user_id: uuid.UUID, document_id: uuid.UUID, reason: str) -> Document:
        """Fail it (a finished document stays as it is); return its state."""
        with self._uow() as uow:
            document = uow.documents.get(user_id, document_id)
            if document.status.finished:
                return document
            failed = document.fail(reason, now=self._clock.now())
            uow.documents.update(failed)
            uow.commit()
            return failed


# ----------------------------------------------------------------------------- reading


@attrs.frozen
class DocumentCost:
    """What making a document cost: tokens of each kind and the estimated dollars."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)


@attrs.frozen
class DocumentDetail:
    """A document and what making it cost."""

    document: Document
    cost: DocumentCost


@attrs.frozen
class DocumentFilter:
    """Which of the person's documents to list."""

    kind: DocumentKind | None = None
    job_id: uuid.UUID | None = None


class ListDocuments:
    """The person's documents, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(
        self, user_id: uuid.UUID, page: PageRequest, where: DocumentFilter | None = None
    ) -> Page[Document]:
        """One page of them."""
        where = where or DocumentFilter()
        with self._uow() as uow:
            return uow.documents.list(user_id, page, kind=where.kind, job_id=where.job_id)


class GetDocument:
    """One of the person's documents and its cost (``NotFound`` for another person's)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, document_id: uuid.UUID) -> DocumentDetail:
        """Return it."""
        with self._uow() as uow:
            document = uow.documents.get(user_id, document_id)
            entries = uow.usage.for_subject(user_id, document.subject)
        prompt = sum(e.quantity for e in entries if e.kind is UsageKind.PROMPT_TOKENS)
        completion = sum(e.quantity for e in entries if e.kind is UsageKind.COMPLETION_TOKENS)
        cost = sum((e.cost_usd for e in entries), Decimal(0))
        return DocumentDetail(document, DocumentCost(prompt, completion, cost))


@attrs.frozen
class ResumeVersion:
    """A résumé version to send: an uploaded one or a tailored one.

    ``tailored_for`` is the job a tailored résumé was made for (None for an upload);
    ``source_resume_id`` the uploaded version it was made from.
    """

    id: uuid.UUID
    text: str
    title: str
    tailored_for: uuid.UUID | None
    source_resume_id: uuid.UUID | None


class ReadResumeVersion:
    """An uploaded résumé version or a ``done`` tailored résumé, by id (``NotFound`` otherwise)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, version_id: uuid.UUID) -> ResumeVersion:
        """Return the version's text and what it is."""
        with self._uow() as uow:
            found = uow.documents.by_ids(user_id, [version_id])
            if not found:
                resume = uow.resumes.get(user_id, version_id)
                return ResumeVersion(
                    resume.id, resume.text, f"Résumé version {resume.version}", None, resume.id
                )
        document = found[0]
        if document.kind is not DocumentKind.TAILORED_RESUME:
            raise NotFound(f"résumé {version_id} not found")
        if document.status is not DocumentStatus.DONE:
            raise Conflict(f"the tailored résumé is {document.status.value}, not done")
        return ResumeVersion(
            document.id, document.body, document.title, document.job_id, document.source_resume_id
        )


def _filename(stem: str, version: int, fmt: ExportFormat) -> str:
    """An ASCII file name (it travels in a header): letters, digits and dashes."""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    safe = "".join(ch if ch.isalnum() else "-" for ch in ascii_stem.lower()).strip("-")
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"{safe[:60] or 'document'}-v{version}.{fmt.value}"


class ExportDocument:
    """A ``done`` document as a PDF or DOCX file (``Conflict`` for one not done)."""

    def __init__(self, uow: UnitOfWorkFactory, renderer: DocumentRenderer) -> None:
        self._uow = uow
        self._renderer = renderer

    def __call__(
        self, user_id: uuid.UUID, document_id: uuid.UUID, fmt: ExportFormat
    ) -> ExportedFile:
        """Render it."""
        with self._uow() as uow:
            document = uow.documents.get(user_id, document_id)
        if document.status is not DocumentStatus.DONE:
            raise Conflict(f"the document is {document.status.value}: only a done one exports")
        content = self._renderer.render(document.title, document.body, fmt)
        stem = f"{document.kind.label} {document.job_company or ''} {document.job_title}"
        return ExportedFile(content, fmt.media_type, _filename(stem, document.version, fmt))


class ExportResume:
    """An uploaded résumé version as a PDF or DOCX file."""

    def __init__(self, uow: UnitOfWorkFactory, renderer: DocumentRenderer) -> None:
        self._uow = uow
        self._renderer = renderer

    def __call__(self, user_id: uuid.UUID, resume_id: uuid.UUID, fmt: ExportFormat) -> ExportedFile:
        """Render it."""
        with self._uow() as uow:
            resume = uow.resumes.get(user_id, resume_id)
        content = self._renderer.render("Résumé", resume.text, fmt)
        return ExportedFile(content, fmt.media_type, _filename("resume", resume.version, fmt))
