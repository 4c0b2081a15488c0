"""In-memory ``PersonalDataStore`` and ``UserDataCache``.

The store exports what one unit of work sees of a user, section by section with the PostgreSQL
adapter's section names, each record the attrs fields of a domain object (secrets and digests
left out). Erasure removes the user from the unit's view at once and from the committed store
when the unit commits (``publish``); ``STORE_FIELDS`` says what happens to every field of
``InMemoryStore``, and a test fails when a field is added without saying.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Final, Protocol, TypeVar, cast

import attrs

from jobraker_core.accounts.privacy import DataSection, ErasureReport, user_cache_prefix

if TYPE_CHECKING:
    from jobraker_adapters.memory.accounts import (
        InMemoryAuditLog,
        InMemoryRefreshTokenRepository,
        InMemoryUserRepository,
    )
    from jobraker_adapters.memory.applications import ApplicationTables
    from jobraker_adapters.memory.assistant import AssistantTables
    from jobraker_adapters.memory.documents import DocumentTables
    from jobraker_adapters.memory.matching import MatchingTables
    from jobraker_adapters.memory.notifications import NotificationTables
    from jobraker_adapters.memory.outbox import OutboxTables
    from jobraker_adapters.memory.profiles import InMemoryProfileRepository
    from jobraker_adapters.memory.twofactor import SecurityTables
    from jobraker_adapters.memory.uow import InMemoryStore
    from jobraker_core.accounts.privacy import JsonValue

_K = TypeVar("_K")
_V = TypeVar("_V")

OMITTED: Final = frozenset(
    {"password_hash", "token_version", "sealed_secret", "code_hash", "challenge_hash", "token_hash"}
)
# What erasure does with each field of InMemoryStore: "erase" (rows of the user go), "keep"
# (no personal data, or the append-only audit log), "internal" (bookkeeping).
STORE_FIELDS: Final = {
    "jobs": "keep",
    "ingestions": "keep",
    "profiles": "erase",
    "users": "erase",
    "refresh_families": "erase",
    "refresh_tokens": "erase",
    "audit": "keep",
    "moderation": "keep",  # flags and fingerprints of jobs, decisions per company: no person
    "matching": "erase",
    "security": "erase",
    "outbox": "erase",
    "documents": "erase",
    "applications": "erase",
    "assistant": "erase",
    "notices": "erase",
    "commits": "internal",
    "lock": "internal",
}


class UnitView(Protocol):
    """What the store reads of an in-memory unit of work."""

    users: InMemoryUserRepository
    profiles: InMemoryProfileRepository
    refresh_tokens: InMemoryRefreshTokenRepository
    audit: InMemoryAuditLog

    @property
    def matching_tables(self) -> MatchingTables:
        """The unit's matching tables."""
        ...

    @property
    def security_tables(self) -> SecurityTables:
        """The unit's security tables."""
        ...

    @property
    def outbox_tables(self) -> OutboxTables:
        """The unit's notification and usage tables."""
        ...

    @property
    def document_tables(self) -> DocumentTables:
        """The unit's generated documents."""
        ...

    @property
    def application_tables(self) -> ApplicationTables:
        """The unit's application tables."""
        ...

    @property
    def assistant_tables(self) -> AssistantTables:
        """The unit's conversations, messages and proposals."""
        ...

    @property
    def notification_tables(self) -> NotificationTables:
        """The unit's notification preferences, inbox and deliveries."""
        ...


def to_json(value: object) -> JsonValue:  # noqa: PLR0911 - one answer per kind of value
    """A domain value as plain JSON (attrs objects as objects, secrets and digests left out)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, uuid.UUID | decimal.Decimal | dt.timedelta):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if attrs.has(type(value)):
        return {
            field.name: to_json(getattr(value, field.name))
            for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(value)))
            if field.name not in OMITTED and not isinstance(getattr(value, field.name), bytes)
        }
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [to_json(item) for item in value]
    return str(value)


def _records(values: Iterable[object]) -> tuple[Mapping[str, JsonValue], ...]:
    records = []
    for value in values:
        record = to_json(value)
        records.append(record if isinstance(record, dict) else {"value": record})
    return tuple(records)


class InMemoryPersonalDataStore:
    """A ``PersonalDataStore`` over one in-memory unit of work."""

    def __init__(self, unit: UnitView) -> None:
        """Read and erase through ``unit``'s repositories."""
        self._unit = unit
        self.erased: list[uuid.UUID] = []

    def export(self, user_id: uuid.UUID) -> tuple[DataSection, ...]:
        """Every record of the user, one section per kind."""
        unit = self._unit
        matching, security = unit.matching_tables, unit.security_tables
        searches = [s for s in matching.searches.values() if s.user_id == user_id]
        search_ids = {s.id for s in searches}
        families = unit.refresh_tokens.families.values()
        sections: dict[str, Iterable[object]] = {
            "account": [u for u in unit.users.users.values() if u.id == user_id],
            "profile": [p for p in unit.profiles.profiles.values() if p.user_id == user_id],
            "resumes": [r for r in matching.resumes.values() if r.user_id == user_id],
            "candidate_profile": [c for c in matching.candidates.values() if c.user_id == user_id],
            "feedback": [f for f in matching.feedback.values() if f.user_id == user_id],
            "saved_searches": searches,
            "saved_search_hits": [h for h in matching.hits.values() if h.search_id in search_ids],
            "sessions": [f for f in families if f.user_id == user_id],
            "refresh_tokens": [
                t for t in unit.refresh_tokens.tokens.values() if t.user_id == user_id
            ],
            "two_factor": [e for e in security.enrolments.values() if e.user_id == user_id],
            "recovery_codes": [c for c in security.recovery_codes.values() if c.user_id == user_id],
            "two_factor_challenges": [
                c for c in security.challenges.values() if c.user_id == user_id
            ],
            "linked_identities": [i for i in security.identities.values() if i.user_id == user_id],
            "audit_events": [
                e for e in unit.audit.events.values() if user_id in {e.actor_id, e.subject_id}
            ],
            **unit.outbox_tables.of_user(user_id),
            **unit.document_tables.of_user(user_id),
            **unit.application_tables.of_user(user_id),
            **unit.assistant_tables.of_user(user_id),
            **unit.notification_tables.of_user(user_id),
        }
        return tuple(DataSection(name, _records(values)) for name, values in sections.items())

    def erase(self, user_id: uuid.UUID) -> ErasureReport:
        """Remove the user from this unit's view; the store loses it on commit."""
        unit = self._unit
        counts = [
            ("security", unit.security_tables.forget_user(user_id)),
            ("outbox", unit.outbox_tables.forget_user(user_id)),
            ("documents", unit.document_tables.forget_user(user_id)),
            ("applications", unit.application_tables.forget_user(user_id)),
            ("assistant", unit.assistant_tables.forget_user(user_id)),
            ("notices", unit.notification_tables.forget_user(user_id)),
            ("matching", forget_matching(unit.matching_tables, user_id)),
            ("refresh_tokens", _drop(unit.refresh_tokens.tokens, lambda t: t.user_id == user_id)),
            (
                "refresh_token_families",
                _drop(unit.refresh_tokens.families, lambda f: f.user_id == user_id),
            ),
            ("profiles", _drop(unit.profiles.profiles, lambda p: p.user_id == user_id)),
            ("users", _drop(unit.users.users, lambda u: u.id == user_id)),
        ]
        self.erased.append(user_id)
        return ErasureReport(rows=tuple(counts))

    def publish(self, store: InMemoryStore) -> None:
        """Remove the users erased in this unit from the committed store (under its lock)."""
        for user_id in self.erased:
            erase_from_store(store, user_id)
        self.erased.clear()


def _drop(table: dict[_K, _V], doomed: Callable[[_V], bool]) -> int:
    keys = [key for key, value in table.items() if doomed(value)]
    for key in keys:
        del table[key]
    return len(keys)


def forget_matching(tables: MatchingTables, user_id: uuid.UUID) -> int:
    """Delete the user's résumés, candidate profile, feedback, saved searches and their hits."""
    searches = {key for key, search in tables.searches.items() if search.user_id == user_id}
    return (
        _drop(tables.hits, lambda hit: hit.search_id in searches)
        + _drop(tables.searches, lambda search: search.user_id == user_id)
        + _drop(tables.feedback, lambda feedback: feedback.user_id == user_id)
        + _drop(tables.candidates, lambda candidate: candidate.user_id == user_id)
        + _drop(tables.resumes, lambda resume: resume.user_id == user_id)
    )


def erase_from_store(store: InMemoryStore, user_id: uuid.UUID) -> None:
    """Delete every row of ``user_id`` from the committed store (the audit log excepted)."""
    store.security.forget_user(user_id)
    store.outbox.forget_user(user_id)
    store.documents.forget_user(user_id)
    store.applications.forget_user(user_id)
    store.assistant.forget_user(user_id)
    store.notices.forget_user(user_id)
    forget_matching(store.matching, user_id)
    _drop(store.refresh_tokens, lambda token: token.user_id == user_id)
    _drop(store.refresh_families, lambda family: family.user_id == user_id)
    store.profiles.pop(user_id, None)
    store.users.pop(user_id, None)


class ForgetsUsers(Protocol):
    """A store outside the unit of work that can delete everything of one user."""

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete the user's records; return how many went."""
        ...


@attrs.define
class InMemoryUserDataCache:
    """A ``UserDataCache`` over a dict of keys, following the ``jobraker:user:<id>:`` convention.

    ``stores`` are in-memory stores kept outside the unit of work (the idempotency records) whose
    PostgreSQL tables lose the user's rows by ``ON DELETE CASCADE``: a purge forgets the user in
    them too, so erasure leaves nothing behind in the memory container either.
    """

    entries: dict[str, str] = attrs.field(factory=dict)
    purged: list[uuid.UUID] = attrs.field(factory=list)
    lock: threading.Lock = attrs.field(factory=threading.Lock, eq=False, repr=False)
    stores: tuple[ForgetsUsers, ...] = attrs.field(default=(), kw_only=True, converter=tuple)

    def purge(self, user_id: uuid.UUID) -> int:
        """Delete the user's entries (and their records in ``stores``)."""
        prefix = user_cache_prefix(user_id)
        with self.lock:
            doomed = [key for key in self.entries if key.startswith(prefix)]
            for key in doomed:
                del self.entries[key]
            self.purged.append(user_id)
        return len(doomed) + sum(store.forget_user(user_id) for store in self.stores)


__all__ = [
    "STORE_FIELDS",
    "InMemoryPersonalDataStore",
    "InMemoryUserDataCache",
    "erase_from_store",
    "forget_matching",
    "to_json",
]
