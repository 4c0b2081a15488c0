"""The assistant's tools over applications and documents, and the handlers of its proposals.

Reading: ``list_applications`` (the person's applications, newest first, optionally by status)
and an ``ApplicationsContext`` that puts the latest ones in the system message.

Proposing (nothing changes until the person confirms): ``propose_status_change`` (offered when the
request asks to mark/change an application), ``tailor_resume`` and ``draft_cover_letter`` (offered
when it asks for them). Each checks what it can now — the application exists and may move there,
the job exists — so the person is not asked to confirm something that cannot work; the handlers
then run the product's own use cases (``UpdateApplication``/``WithdrawApplication``,
``TailorResume``/``DraftCoverLetter``) for the person who confirms.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.applications.model import Actor, Status, allowed
from jobraker_core.applications.ports import ApplicationFilter
from jobraker_core.applications.use_cases import UpdateCommand
from jobraker_core.assistant.intents import Intent
from jobraker_core.assistant.language_model import ToolSpec
from jobraker_core.assistant.tools import (
    ID_SCHEMA,
    JOB_ID_SCHEMA,
    LIMIT_SCHEMA,
    ProposalDraft,
    ToolOutcome,
    job_brief,
    object_schema,
)
from jobraker_core.documents.use_cases import DocumentRequest
from jobraker_core.errors import Conflict, InvalidInput
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_core.applications.model import Application
    from jobraker_core.applications.use_cases import (
        GetApplication,
        ListApplications,
        UpdateApplication,
        WithdrawApplication,
    )
    from jobraker_core.assistant.tools import ChatTool
    from jobraker_core.documents.use_cases import DraftCoverLetter, TailorResume
    from jobraker_core.jobs.use_cases import GetJob
    from jobraker_core.ports import UnitOfWork

STATUS_CHANGE: Final = "application_status"
TAILOR: Final = "tailor_resume"
COVER_LETTER: Final = "cover_letter"
PERSON_STATUSES: Final = (
    Status.SUBMITTED,
    Status.INTERVIEWING,
    Status.OFFER,
    Status.ACCEPTED,
    Status.REJECTED,
    Status.WITHDRAWN,
)
"""The statuses a person sets by hand, and so the only ones the assistant may propose."""


def application_brief(app: Application, number: int) -> dict[str, object]:
    """The facts of an application the assistant shows."""
    return {
        "n": number,
        "application_id": str(app.id),
        "job_title": app.job.title,
        "company": app.job.company,
        "status": app.status.value,
        "updated": app.updated_at.date().isoformat(),
        "job_id": str(app.job.job_id) if app.job.job_id else None,
    }


@attrs.frozen
class ListApplicationsTool:
    """The person's applications and where each stands."""

    list_applications: ListApplications
    intent: Intent | None = None

    @property
    def spec(self) -> ToolSpec:
        """The model's view of this tool."""
        return ToolSpec(
            "list_applications",
            "The person's job applications, newest first: job, company, status and when it "
            "last changed. Optionally only those in one status.",
            object_schema(
                {
                    "status": {"type": "string", "enum": [s.value for s in Status]},
                    "limit": {**LIMIT_SCHEMA, "maximum": 50},
                }
            ),
        )

    def run(self, user_id: uuid.UUID, arguments: Mapping[str, object]) -> ToolOutcome:
        """List them."""
        status = arguments.get("status")
        where = ApplicationFilter(statuses=(Status(str(status)),) if status else ())
        limit = int(str(arguments.get("limit", 20)))
        page = self.list_applications(user_id, where, PageRequest(per_page=limit))
        items = [application_brief(app, n) for n, app in enumerate(page.items, 1)]
        return ToolOutcome(
            {"total": page.total, "applications": items},
            f"{page.total} application(s)",
        )


@attrs.frozen
class ProposeStatusChangeTool:
    """Proposes moving one of the person's applications to a status they set by hand."""

    get_application: GetApplication
    intent: Intent | None = Intent.CHANGE_STATUS

    @property
    def spec(self) -> ToolSpec:
        """The model's view of this tool."""
        return ToolSpec(
            "propose_status_change",
            "Propose moving one of the person's applications to a new status (they confirm it "
            "themselves). Use the application_id from list_applications.",
            object_schema(
                {
                    "application_id": ID_SCHEMA,
                    "status": {"type": "string", "enum": [s.value for s in PERSON_STATUSES]},
                },
                ["application_id", "status"],
            ),
        )

    def run(self, user_id: uuid.UUID, arguments: Mapping[str, object]) -> ToolOutcome:
        """Check the move and propose it."""
        app = self.get_application(user_id, uuid.UUID(str(arguments["application_id"])))
        target = Status(str(arguments["status"]))
        if app.status is target:
            raise Conflict(f"that application is already {target.value}")
        if not allowed(app.status, target, Actor.USER):
            raise Conflict(
                f"an application that is {app.status.value} cannot be moved to {target.value}"
            )
        company = f" at {app.job.company}" if app.job.company else ""
        return ToolOutcome(
            {"application": application_brief(app, 1), "new_status": target.value},
            f"proposed {app.job.title}: {app.status.value} → {target.value}",
            ProposalDraft(
                STATUS_CHANGE,
                {"application_id": str(app.id), "status": target.value},
                f"Move your application for {app.job.title}{company} from "
                f"{app.status.value} to {target.value}.",
            ),
        )


@attrs.frozen
class DocumentProposalTool:
    """Proposes a tailored résumé or a cover letter for a job (made when confirmed)."""

    get_job: GetJob
    name: str
    kind: str
    intent: Intent | None
    what: str

    @property
    def spec(self) -> ToolSpec:
        """The model's view of this tool."""
        return ToolSpec(
            self.name,
            f"Propose making {self.what} for a job from the person's real résumé facts (they "
            "confirm it; nothing is invented). Use the job_id from an earlier tool result.",
            object_schema({"job_id": JOB_ID_SCHEMA}, ["job_id"]),
        )

    def run(self, user_id: uuid.UUID, arguments: Mapping[str, object]) -> ToolOutcome:
        """Check the job and propose."""
        del user_id
        job = self.get_job(uuid.UUID(str(arguments["job_id"])))
        company = f" at {job.company}" if job.company else ""
        return ToolOutcome(
            {"job": job_brief(job, 1)},
            f"proposed {self.what} for {job.title}",
            ProposalDraft(
                self.kind,
                {"job_id": str(job.id)},
                f"Make {self.what} for {job.title}{company} from your résumé.",
            ),
        )


# ----------------------------------------------------------------------------- handlers


@attrs.frozen
class StatusChangeHandler:
    """Carries out a confirmed status change through the applications use cases."""

    update: UpdateApplication
    withdraw: WithdrawApplication
    kind: str = STATUS_CHANGE

    def execute(self, user_id: uuid.UUID, arguments: Mapping[str, str]) -> str:
        """Move the application."""
        application_id = uuid.UUID(arguments["application_id"])
        target = Status(arguments["status"])
        if target is Status.WITHDRAWN:
            app = self.withdraw(user_id, application_id, "withdrawn through the assistant")
        else:
            app = self.update(
                UpdateCommand(
                    user_id=user_id,
                    application_id=application_id,
                    status=target,
                    reason="moved through the assistant",
                )
            )
        return f"Your application for {app.job.title} is now {app.status.value}."


@attrs.frozen
class DocumentHandler:
    """Carries out a confirmed résumé tailoring or cover letter through the documents use case."""

    make: TailorResume | DraftCoverLetter
    kind: str

    def execute(self, user_id: uuid.UUID, arguments: Mapping[str, str]) -> str:
        """Make the document (stored only when it passes the grounding gate)."""
        outcome = self.make(DocumentRequest(user_id, uuid.UUID(arguments["job_id"])))
        document = outcome.document
        if not outcome.stored:
            raise InvalidInput(
                "the draft made claims your profile does not support, so it was not stored",
                field="document",
            )
        state = "queued (check back shortly)" if not document.body else "ready"
        return f"{document.title} (document {document.id}) is {state}."


@attrs.frozen
class ApplicationsContext:
    """Puts the person's latest applications in the assistant's context."""

    limit: int = 5

    def lines(self, uow: UnitOfWork, user_id: uuid.UUID) -> Sequence[str]:
        """One line per recent application."""
        page = uow.applications.list(user_id, ApplicationFilter(), PageRequest(per_page=self.limit))
        lines = []
        for app in page.items:
            company = f" at {app.job.company}" if app.job.company else ""
            lines.append(
                f"Application: {app.job.title}{company} — {app.status.value} "
                f"(application_id {app.id})"
            )
        if page.total > len(page.items):
            lines.append(f"({page.total - len(page.items)} older applications not shown)")
        return lines


def action_tools(
    *,
    list_applications: ListApplications,
    get_application: GetApplication,
    get_job: GetJob,
    tailor_resume: TailorResume | None = None,
    draft_cover_letter: DraftCoverLetter | None = None,
) -> tuple[ChatTool, ...]:
    """The application and document tools (document tools only when those use cases exist)."""
    tools: list[ChatTool] = [
        ListApplicationsTool(list_applications),
        ProposeStatusChangeTool(get_application),
    ]
    if tailor_resume is not None:
        tools.append(
            DocumentProposalTool(
                get_job, "tailor_resume", TAILOR, Intent.TAILOR_RESUME, "a tailored résumé"
            )
        )
    if draft_cover_letter is not None:
        tools.append(
            DocumentProposalTool(
                get_job, "draft_cover_letter", COVER_LETTER, Intent.COVER_LETTER, "a cover letter"
            )
        )
    return tuple(tools)


def action_handlers(
    *,
    update_application: UpdateApplication,
    withdraw_application: WithdrawApplication,
    tailor_resume: TailorResume | None = None,
    draft_cover_letter: DraftCoverLetter | None = None,
) -> tuple[StatusChangeHandler | DocumentHandler, ...]:
    """The handlers that carry out confirmed proposals."""
    handlers: list[StatusChangeHandler | DocumentHandler] = [
        StatusChangeHandler(update_application, withdraw_application)
    ]
    if tailor_resume is not None:
        handlers.append(DocumentHandler(tailor_resume, TAILOR))
    if draft_cover_letter is not None:
        handlers.append(DocumentHandler(draft_cover_letter, COVER_LETTER))
    return tuple(handlers)
