"""The PostgreSQL unit of work: one pooled connection, one transaction, every repository on it."""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Self

import attrs
import psycopg

from jobraker_adapters.postgres.accounts import (
    PostgresAuditLog,
    PostgresRefreshTokenRepository,
    PostgresUserRepository,
)
from jobraker_adapters.postgres.applications import (
    PostgresApplicationRepository,
    PostgresApplicationSettingsRepository,
    PostgresSiteBreakerRepository,
    PostgresTaskOutbox,
)
from jobraker_adapters.postgres.assistant import PostgresConversationRepository
from jobraker_adapters.postgres.documents import PostgresDocumentRepository
from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import (
    Connection,
    PostgresIngestionRunRepository,
    PostgresJobRepository,
)
from jobraker_adapters.postgres.matching import (
    PostgresCandidateProfileRepository,
    PostgresFeedbackRepository,
    PostgresResumeRepository,
    PostgresSavedSearchRepository,
)
from jobraker_adapters.postgres.moderation import PostgresModerationRepository
from jobraker_adapters.postgres.notifications import (
    PostgresDeliveryLog,
    PostgresNotificationInbox,
    PostgresNotificationPreferences,
)
from jobraker_adapters.postgres.oidc import PostgresOidcIdentityRepository
from jobraker_adapters.postgres.outbox import PostgresNotificationOutbox, PostgresUsageLedger
from jobraker_adapters.postgres.privacy import PostgresPersonalDataStore
from jobraker_adapters.postgres.profiles import PostgresProfileRepository
from jobraker_adapters.postgres.twofactor import PostgresTwoFactorRepository

if TYPE_CHECKING:
    from types import TracebackType

    from jobraker_adapters.postgres.pool import Pool
    from jobraker_core.accounts.oidc import OidcIdentityRepository
    from jobraker_core.accounts.ports import AuditLog, RefreshTokenRepository, UserRepository
    from jobraker_core.accounts.privacy import PersonalDataStore
    from jobraker_core.accounts.profile import ProfileRepository
    from jobraker_core.accounts.twofactor import TwoFactorRepository
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


class PostgresUnitOfWork:
    """A ``UnitOfWork`` over a connection borrowed from the pool for the length of the block.

    Entering takes a connection (``UpstreamUnavailable`` when none comes within the pool timeout);
    ``commit`` commits; leaving rolls back whatever was not committed and gives the connection
    back. The repositories exist only inside the block.
    """

    jobs: JobRepository
    ingestions: IngestionRunRepository
    users: UserRepository
    refresh_tokens: RefreshTokenRepository
    audit: AuditLog
    profiles: ProfileRepository
    resumes: ResumeRepository
    candidates: CandidateProfileRepository
    feedback: FeedbackRepository
    saved_searches: SavedSearchRepository
    two_factor: TwoFactorRepository
    oidc_identities: OidcIdentityRepository
    personal_data: PersonalDataStore
    notifications: NotificationOutbox
    usage: UsageLedger
    applications: ApplicationRepository
    application_settings: ApplicationSettingsRepository
    site_breakers: SiteBreakerRepository
    task_outbox: TaskOutbox
    documents: DocumentRepository
    conversations: ConversationRepository
    moderation: ModerationRepository
    notification_preferences: NotificationPreferencesRepository
    inbox: NotificationInbox
    deliveries: DeliveryLog

    def __init__(self, pool: Pool) -> None:
        """Prepare a unit on ``pool``; nothing is borrowed before the block is entered."""
        self._pool = pool
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        """Borrow a connection; the transaction begins with the first statement."""
        if self._conn is not None:
            raise RuntimeError("this unit of work is already in use; make a new one")
        with translate_errors():
            conn = self._pool.getconn()
        self._conn = conn
        self.jobs = PostgresJobRepository(conn)
        self.ingestions = PostgresIngestionRunRepository(conn)
        self.users = PostgresUserRepository(conn)
        self.refresh_tokens = PostgresRefreshTokenRepository(conn)
        self.audit = PostgresAuditLog(conn)
        self.profiles = PostgresProfileRepository(conn)
        self.resumes = PostgresResumeRepository(conn)
        self.candidates = PostgresCandidateProfileRepository(conn)
        self.feedback = PostgresFeedbackRepository(conn)
        self.saved_searches = PostgresSavedSearchRepository(conn)
        self.two_factor = PostgresTwoFactorRepository(conn)
        self.oidc_identities = PostgresOidcIdentityRepository(conn)
        self.personal_data = PostgresPersonalDataStore(conn)
        self.notifications = PostgresNotificationOutbox(conn)
        self.usage = PostgresUsageLedger(conn)
        self.applications = PostgresApplicationRepository(conn)
        self.application_settings = PostgresApplicationSettingsRepository(conn)
        self.site_breakers = PostgresSiteBreakerRepository(conn)
        self.task_outbox = PostgresTaskOutbox(conn)
        self.documents = PostgresDocumentRepository(conn)
        self.conversations = PostgresConversationRepository(conn)
        self.moderation = PostgresModerationRepository(conn)
        self.notification_preferences = PostgresNotificationPreferences(conn)
        self.inbox = PostgresNotificationInbox(conn)
        self.deliveries = PostgresDeliveryLog(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back what was not committed and return the connection to the pool."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        del self.jobs, self.ingestions
        del self.users, self.refresh_tokens, self.audit
        del self.profiles
        del self.resumes, self.candidates, self.feedback, self.saved_searches
        del self.two_factor, self.oidc_identities, self.personal_data
        del self.notifications, self.usage
        del self.applications, self.application_settings, self.site_breakers, self.task_outbox
        del self.documents
        del self.conversations
        del self.moderation
        del self.notification_preferences, self.inbox, self.deliveries
        try:
            with suppress(psycopg.Error):  # a broken connection: the pool will discard it
                conn.rollback()
        finally:
            self._pool.putconn(conn)

    def commit(self) -> None:
        """Commit everything done in this unit so far."""
        if self._conn is None:
            raise RuntimeError("commit() outside the unit of work's block")
        with translate_errors():
            self._conn.commit()


@attrs.frozen
class PostgresUnitOfWorkFactory:
    """Makes a ``PostgresUnitOfWork`` on ``pool`` per transaction."""

    pool: Pool

    def __call__(self) -> PostgresUnitOfWork:
        """Make a new unit of work, not yet entered."""
        return PostgresUnitOfWork(self.pool)
