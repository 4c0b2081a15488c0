"""An in-memory unit of work with real commit/rollback semantics."""

from __future__ import annotations

import threading
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

import attrs

from jobraker_adapters.memory.accounts import (
    InMemoryAuditLog,
    InMemoryRefreshTokenRepository,
    InMemoryUserRepository,
)
from jobraker_adapters.memory.applications import ApplicationTables, InMemoryApplicationSession
from jobraker_adapters.memory.assistant import AssistantTables, InMemoryAssistantSession
from jobraker_adapters.memory.documents import DocumentTables, InMemoryDocumentSession
from jobraker_adapters.memory.jobs import InMemoryIngestionRunRepository, InMemoryJobRepository
from jobraker_adapters.memory.matching import InMemoryMatchingSession, MatchingTables
from jobraker_adapters.memory.moderation import InMemoryModerationSession, ModerationTables
from jobraker_adapters.memory.notifications import InMemoryNotificationSession, NotificationTables
from jobraker_adapters.memory.outbox import InMemoryOutboxSession, OutboxTables
from jobraker_adapters.memory.privacy import InMemoryPersonalDataStore
from jobraker_adapters.memory.profiles import InMemoryProfileRepository
from jobraker_adapters.memory.twofactor import InMemorySecuritySession, SecurityTables
from jobraker_core.accounts.model import AuditEvent, RefreshFamily, RefreshToken, User
from jobraker_core.accounts.profile import Profile
from jobraker_core.errors import Conflict
from jobraker_core.jobs.ingestion import IngestionRun
from jobraker_core.jobs.model import JobPosting

if TYPE_CHECKING:
    from collections.abc import Mapping


@attrs.define
class InMemoryStore:
    """The committed state every in-memory unit of work starts from.

    ``lock`` serialises the units' reads of and commits to it, so units may run on several threads.
    """

    jobs: dict[uuid.UUID, JobPosting] = attrs.field(factory=dict)
    ingestions: dict[uuid.UUID, IngestionRun] = attrs.field(factory=dict)
    profiles: dict[uuid.UUID, Profile] = attrs.field(factory=dict)
    users: dict[uuid.UUID, User] = attrs.field(factory=dict)
    refresh_families: dict[uuid.UUID, RefreshFamily] = attrs.field(factory=dict)
    refresh_tokens: dict[str, RefreshToken] = attrs.field(factory=dict)
    audit: dict[uuid.UUID, AuditEvent] = attrs.field(factory=dict)
    matching: MatchingTables = attrs.field(factory=MatchingTables)
    security: SecurityTables = attrs.field(factory=SecurityTables)
    outbox: OutboxTables = attrs.field(factory=OutboxTables)
    documents: DocumentTables = attrs.field(factory=DocumentTables)
    moderation: ModerationTables = attrs.field(factory=ModerationTables)
    applications: ApplicationTables = attrs.field(factory=ApplicationTables)
    assistant: AssistantTables = attrs.field(factory=AssistantTables)
    notices: NotificationTables = attrs.field(factory=NotificationTables)
    commits: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False, eq=False)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _changed(now: Mapping[_K, _V], before: Mapping[_K, _V]) -> dict[_K, _V]:
    return {k: v for k, v in now.items() if before.get(k) is not v}


class InMemoryUnitOfWork:
    """A ``UnitOfWork`` that works on a snapshot of the store and publishes only what it wrote.

    ``commit`` applies this unit's inserts and updates to the store as it is *now*, so concurrent
    units do not lose each other's writes (the last update of one row wins, as in PostgreSQL), and
    it raises ``Conflict`` when a job key, a source ref, a run id or a schedule key it inserts was
    committed meanwhile by another unit, like PostgreSQL's unique constraints.
    """

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._close()

    def _close(self) -> None:
        """Hold empty repositories, as a unit does outside its ``with`` block."""
        self.jobs = InMemoryJobRepository()
        self.ingestions = InMemoryIngestionRunRepository()
        self._jobs_before: dict[uuid.UUID, JobPosting] = {}
        self._runs_before: dict[uuid.UUID, IngestionRun] = {}
        self.profiles = InMemoryProfileRepository()
        self._profiles_before: dict[uuid.UUID, Profile] = {}
        self.users = InMemoryUserRepository()
        self.refresh_tokens = InMemoryRefreshTokenRepository()
        self.audit = InMemoryAuditLog()
        self._accounts_before = _AccountsSnapshot()
        self._matching = InMemoryMatchingSession()
        self.resumes, self.candidates, self.feedback, self.saved_searches = (
            self._matching.repositories()
        )
        self._open_security(InMemorySecuritySession())
        self._open_outbox(InMemoryOutboxSession())
        self._open_documents(InMemoryDocumentSession())
        self._open_moderation(None)
        self._open_applications(InMemoryApplicationSession())
        self._open_assistant(InMemoryAssistantSession())
        self._open_notices(InMemoryNotificationSession())

    def _open_notices(self, session: InMemoryNotificationSession) -> None:
        self._notices = session
        self.notification_preferences = session.notification_preferences
        self.inbox = session.inbox
        self.deliveries = session.deliveries

    @property
    def notification_tables(self) -> NotificationTables:
        """This unit's view of the notification preferences, inbox and deliveries."""
        return self._notices.tables

    def _open_assistant(self, session: InMemoryAssistantSession) -> None:
        self._assistant = session
        self.conversations = session.conversations

    @property
    def assistant_tables(self) -> AssistantTables:
        """This unit's view of the conversations, messages and proposals."""
        return self._assistant.tables

    def _open_applications(self, session: InMemoryApplicationSession) -> None:
        self._applications = session
        self.applications = session.applications
        self.application_settings = session.settings
        self.site_breakers = session.breakers
        self.task_outbox = session.outbox

    @property
    def application_tables(self) -> ApplicationTables:
        """This unit's view of the application tables."""
        return self._applications.tables

    def _open_moderation(self, session: InMemoryModerationSession | None) -> None:
        self._moderation = session or InMemoryModerationSession(None, lambda: self.jobs.jobs)
        self.moderation = self._moderation.moderation

    @property
    def moderation_tables(self) -> ModerationTables:
        """This unit's view of the moderation fingerprints, flags and decisions."""
        return self._moderation.tables

    def _open_documents(self, session: InMemoryDocumentSession) -> None:
        self._documents = session
        self.documents = session.documents

    @property
    def document_tables(self) -> DocumentTables:
        """This unit's view of the generated documents."""
        return self._documents.tables

    def _open_outbox(self, session: InMemoryOutboxSession) -> None:
        self._outbox = session
        self.notifications = session.notifications
        self.usage = session.usage

    def _open_security(self, session: InMemorySecuritySession) -> None:
        self._security = session
        self.two_factor = session.two_factor
        self.oidc_identities = session.oidc_identities
        self.personal_data = InMemoryPersonalDataStore(self)

    @property
    def matching_tables(self) -> MatchingTables:
        """This unit's view of the matching tables."""
        return self._matching.tables

    @property
    def outbox_tables(self) -> OutboxTables:
        """This unit's view of the notification and usage tables."""
        return self._outbox.tables

    @property
    def security_tables(self) -> SecurityTables:
        """This unit's view of the two-factor and identity tables."""
        return self._security.tables

    def __enter__(self) -> Self:
        with self._store.lock:
            self._jobs_before = dict(self._store.jobs)
            self._runs_before = dict(self._store.ingestions)
            self._profiles_before = dict(self._store.profiles)
            self._accounts_before = _AccountsSnapshot.of(self._store)
            self._matching = InMemoryMatchingSession(self._store.matching)
            security = InMemorySecuritySession(self._store.security)
            outbox = InMemoryOutboxSession(self._store.outbox)
            documents = InMemoryDocumentSession(self._store.documents)
            moderation = InMemoryModerationSession(self._store.moderation, lambda: self.jobs.jobs)
            applications = InMemoryApplicationSession(self._store.applications)
            assistant = InMemoryAssistantSession(self._store.assistant)
            notices = InMemoryNotificationSession(self._store.notices)
        self._open_security(security)
        self._open_outbox(outbox)
        self._open_documents(documents)
        self._open_moderation(moderation)
        self._open_applications(applications)
        self._open_assistant(assistant)
        self._open_notices(notices)
        self.resumes, self.candidates, self.feedback, self.saved_searches = (
            self._matching.repositories()
        )
        self.jobs = InMemoryJobRepository(dict(self._jobs_before))
        self.ingestions = InMemoryIngestionRunRepository(dict(self._runs_before))
        self.profiles = InMemoryProfileRepository(dict(self._profiles_before))
        self._open_accounts()
        return self

    def _open_accounts(self) -> None:
        before = self._accounts_before
        self.users = InMemoryUserRepository(dict(before.users))
        self.refresh_tokens = InMemoryRefreshTokenRepository(
            dict(before.families), dict(before.tokens)
        )
        self.audit = InMemoryAuditLog(dict(before.audit))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def commit(self) -> None:
        """Publish this unit's writes to the store, or raise ``Conflict`` and publish nothing."""
        jobs = _changed(self.jobs.jobs, self._jobs_before)
        runs = _changed(self.ingestions.runs, self._runs_before)
        profiles = _changed(self.profiles.profiles, self._profiles_before)
        accounts = _AccountsSnapshot.written(self, self._accounts_before)
        with self._store.lock:
            self._check_jobs(jobs)
            self._check_runs(runs)
            accounts.check(self._store, self._accounts_before)
            self._matching.check(self._store.matching)
            self._security.check(self._store.security)
            self._outbox.check(self._store.outbox)
            self._documents.check(self._store.documents)
            self._moderation.check(self._store.moderation)
            self._applications.check(self._store.applications)
            self._assistant.check(self._store.assistant)
            self._notices.check(self._store.notices)
            self._store.jobs.update(jobs)
            self._store.ingestions.update(runs)
            self._store.profiles.update(profiles)
            for user_id in self.profiles.deleted:
                self._store.profiles.pop(user_id, None)
            accounts.publish(self._store)
            self._matching.publish(self._store.matching)
            self._security.publish(self._store.security)
            self._outbox.publish(self._store.outbox)
            self._documents.publish(self._store.documents)
            self._moderation.publish(self._store.moderation)
            self._applications.publish(self._store.applications)
            self._assistant.publish(self._store.assistant)
            self._notices.publish(self._store.notices)
            self.personal_data.publish(self._store)  # erasures last: they remove what was written
            self._store.commits += 1
        self._jobs_before = dict(self.jobs.jobs)
        self._runs_before = dict(self.ingestions.runs)
        self._profiles_before = dict(self.profiles.profiles)
        self.profiles.deleted.clear()
        self._accounts_before = _AccountsSnapshot.of_unit(self)

    def _check_jobs(self, written: Mapping[uuid.UUID, JobPosting]) -> None:
        if not written:
            return
        key_owner: dict[str, uuid.UUID] = {}
        ref_owner: dict[tuple[str, str], uuid.UUID] = {}
        for job in {**self._store.jobs, **written}.values():
            if key_owner.setdefault(job.key, job.id) != job.id and (
                job.id in written or key_owner[job.key] in written
            ):
                raise Conflict(f"job key {job.key} was stored meanwhile by another job")
            for ref in job.sources:
                owner = ref_owner.setdefault((ref.source, ref.source_id), job.id)
                if owner != job.id and (job.id in written or owner in written):
                    raise Conflict(
                        f"source ref {ref.source}:{ref.source_id} was stored "
                        "meanwhile by another job"
                    )

    def _check_runs(self, written: Mapping[uuid.UUID, IngestionRun]) -> None:
        for run in written.values():
            if run.id in self._runs_before:
                continue  # an update: the last writer wins
            if run.id in self._store.ingestions:
                raise Conflict(f"ingestion run {run.id} was stored meanwhile")
            if run.schedule_key is not None and any(
                other.schedule_key == run.schedule_key for other in self._store.ingestions.values()
            ):
                raise Conflict(f"schedule slot {run.schedule_key} was taken meanwhile")


@attrs.frozen
class _AccountsSnapshot:
    """The accounts part of a store (or of what a unit wrote), and its commit checks."""

    users: dict[uuid.UUID, User] = attrs.field(factory=dict)
    families: dict[uuid.UUID, RefreshFamily] = attrs.field(factory=dict)
    tokens: dict[str, RefreshToken] = attrs.field(factory=dict)
    audit: dict[uuid.UUID, AuditEvent] = attrs.field(factory=dict)

    @classmethod
    def of(cls, store: InMemoryStore) -> _AccountsSnapshot:
        """Copy the store's accounts (call under its lock)."""
        return cls(
            dict(store.users),
            dict(store.refresh_families),
            dict(store.refresh_tokens),
            dict(store.audit),
        )

    @classmethod
    def of_unit(cls, unit: InMemoryUnitOfWork) -> _AccountsSnapshot:
        """Copy what the unit's repositories hold now."""
        return cls(
            dict(unit.users.users),
            dict(unit.refresh_tokens.families),
            dict(unit.refresh_tokens.tokens),
            dict(unit.audit.events),
        )

    @classmethod
    def written(cls, unit: InMemoryUnitOfWork, before: _AccountsSnapshot) -> _AccountsSnapshot:
        """What the unit inserted or changed since ``before``."""
        return cls(
            _changed(unit.users.users, before.users),
            _changed(unit.refresh_tokens.families, before.families),
            _changed(unit.refresh_tokens.tokens, before.tokens),
            _changed(unit.audit.events, before.audit),
        )

    def check(self, store: InMemoryStore, before: _AccountsSnapshot) -> None:
        """Raise ``Conflict`` where PostgreSQL would refuse these writes to the store as it is now.

        Its constraints (or its ``UPDATE ... WHERE consumed_at IS NULL``) are what would refuse.
        """
        self._check_users(store, before)
        for family in self.families.values():
            if family.id not in before.families and family.id in store.refresh_families:
                raise Conflict(f"token family {family.id} was stored meanwhile")
        self._check_tokens(store, before)
        for event_id in self.audit:
            if event_id in store.audit:
                raise Conflict(f"audit event {event_id} was stored meanwhile")

    def _check_users(self, store: InMemoryStore, before: _AccountsSnapshot) -> None:
        for user in self.users.values():
            if user.id not in before.users and user.id in store.users:
                raise Conflict(f"user {user.id} was stored meanwhile")
            if any(o.email == user.email and o.id != user.id for o in store.users.values()):
                raise Conflict("an account with this email already exists")

    def _check_tokens(self, store: InMemoryStore, before: _AccountsSnapshot) -> None:
        for digest, token in self.tokens.items():
            earlier = before.tokens.get(digest)
            current = store.refresh_tokens.get(digest)
            if earlier is None and current is not None:
                raise Conflict("this refresh token was stored meanwhile")
            if (
                earlier is not None
                and earlier.consumed_at is None
                and token.consumed_at is not None
                and current is not None
                and current.consumed_at is not None
            ):
                raise Conflict("this refresh token was used meanwhile")

    def publish(self, store: InMemoryStore) -> None:
        """Write these changes into the store (call under its lock)."""
        store.users.update(self.users)
        store.refresh_families.update(self.families)
        store.refresh_tokens.update(self.tokens)
        store.audit.update(self.audit)


@attrs.define
class InMemoryUnitOfWorkFactory:
    """Makes ``InMemoryUnitOfWork`` objects over one shared ``store``."""

    store: InMemoryStore = attrs.field(factory=InMemoryStore)

    def __call__(self) -> InMemoryUnitOfWork:
        """A new unit of work over the shared store."""
        return InMemoryUnitOfWork(self.store)
