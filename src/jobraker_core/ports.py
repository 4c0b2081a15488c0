"""Ports shared by every part of the core: the unit of work and the task queue."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from jobraker_core.accounts.ports import AuditLog, RefreshTokenRepository, UserRepository
from jobraker_core.accounts.profile import ProfileRepository
from jobraker_core.applications.ports import (
    ApplicationRepository,
    ApplicationSettingsRepository,
    SiteBreakerRepository,
    TaskOutbox,
)
from jobraker_core.assistant.ports import ConversationRepository
from jobraker_core.documents.ports import DocumentRepository
from jobraker_core.jobs.ports import IngestionRunRepository, JobRepository
from jobraker_core.matching.ports import (
    CandidateProfileRepository,
    FeedbackRepository,
    ResumeRepository,
    SavedSearchRepository,
)
from jobraker_core.moderation.ports import ModerationRepository
from jobraker_core.notifications.events import NotificationOutbox
from jobraker_core.notifications.ports import (
    DeliveryLog,
    NotificationInbox,
    NotificationPreferencesRepository,
)
from jobraker_core.usage import UsageLedger

if TYPE_CHECKING:  # these modules import this one (their use cases take a UnitOfWork)
    from jobraker_core.accounts.oidc import OidcIdentityRepository
    from jobraker_core.accounts.privacy import PersonalDataStore
    from jobraker_core.accounts.twofactor import TwoFactorRepository


class UnitOfWork(Protocol):
    """One transaction over every repository.

    Use it as a context manager: nothing is stored unless ``commit`` is called before the block
    ends; leaving the block rolls back whatever was not committed. The repositories it hands out
    share its transaction. Storage that is down raises ``UpstreamUnavailable``.
    """

    jobs: JobRepository
    ingestions: IngestionRunRepository
    profiles: ProfileRepository
    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    audit: AuditLog
    resumes: ResumeRepository
    candidates: CandidateProfileRepository
    feedback: FeedbackRepository
    saved_searches: SavedSearchRepository
    two_factor: TwoFactorRepository
    oidc_identities: OidcIdentityRepository
    personal_data: PersonalDataStore
    notifications: NotificationOutbox
    usage: UsageLedger
    documents: DocumentRepository
    moderation: ModerationRepository
    applications: ApplicationRepository
    application_settings: ApplicationSettingsRepository
    site_breakers: SiteBreakerRepository
    task_outbox: TaskOutbox
    conversations: ConversationRepository
    notification_preferences: NotificationPreferencesRepository
    inbox: NotificationInbox
    deliveries: DeliveryLog

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and release the connection."""
        ...

    def commit(self) -> None:
        """Make everything done so far in this unit durable."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh ``UnitOfWork`` for each transaction."""

    def __call__(self) -> UnitOfWork:
        """A new, not yet entered, unit of work."""
        ...


class TaskQueue(Protocol):
    """Runs a task later, on a worker.

    ``task`` is the dotted path of a module-level function; ``args`` are strings (ids), so the
    payload is plain JSON. ``job_id`` makes the enqueue idempotent: enqueueing an id that is already
    waiting or running does nothing. ``delay_seconds`` postpones the task. Raises
    ``UpstreamUnavailable`` when the queue cannot be reached.
    """

    def enqueue(self, task: str, *args: str, job_id: str, delay_seconds: float = 0) -> None:
        """Queue ``task(*args)`` under ``job_id``."""
        ...
