"""Privacy: a person's copy of everything stored about them, and erasure of their account.

GDPR art. 15/20 (access, portability): ``ExportPersonalData`` answers every row that belongs to
the caller, section by section (account, profile, résumés, candidate profile, feedback, saved
searches, sessions, two-factor status, linked identities, audit events about them), as plain
JSON values. Secrets and their digests (password hash, refresh-token digests, the sealed TOTP
seed, recovery-code digests) are left out: they describe no one and would only help an attacker.

GDPR art. 17 (erasure): ``EraseAccount`` deletes the account and everything that belongs to it in
one transaction (``PersonalDataStore.erase``), purges what caches keep under the user's id
(``UserDataCache``), and revokes every token it had. The append-only audit log keeps its
security events, which name people only by random id and keyed pseudonyms; the erasure itself is
recorded without the id, under a *tombstone* (a keyed pseudonym of the id): an operator who is
given the id can check that it was erased, but the log alone does not say whose account it was.

Erasing needs a proof that the caller is the owner, not only a token: the password, or a fresh
two-factor code (or recovery code) when 2FA is on; an account that has neither (made through
OIDC sign-in, without 2FA) needs an access token issued within the last five minutes.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias

import attrs

from jobraker_core.accounts.audit import AppendAuditEvent
from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.model import AccessClaims, AuditKind, User
from jobraker_core.accounts.ports import PasswordHasher, Pseudonymizer, RevocationStore
from jobraker_core.accounts.twofactor import (
    SecondFactorProof,
    SecondFactorThrottle,
    SecondFactorVerifier,
)
from jobraker_core.clock import Clock
from jobraker_core.errors import InvalidInput
from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from collections.abc import Mapping

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
Record: TypeAlias = "Mapping[str, JsonValue]"

EXPORT_FORMAT: Final = "jobraker-personal-data/1"
TOMBSTONE_PURPOSE: Final = "erasure-tombstone"
FRESH_LOGIN: Final = timedelta(minutes=5)
USER_CACHE_PREFIX: Final = "jobraker:user:"


def user_cache_prefix(user_id: uuid.UUID) -> str:
    """The prefix of every cache key holding data of ``user_id``.

    The convention for anything cached per user (in Redis or elsewhere):
    ``jobraker:user:<uuid>:<what>``. Erasure deletes every key under it.
    """
    return f"{USER_CACHE_PREFIX}{user_id}:"


# ----------------------------------------------------------------------------- model


@attrs.frozen
class DataSection:
    """One kind of data kept about a person (usually one table) and its records."""

    name: str
    records: tuple[Record, ...]


@attrs.frozen
class PersonalData:
    """Everything stored about one user, at ``exported_at``."""

    user_id: uuid.UUID
    exported_at: datetime
    sections: tuple[DataSection, ...]

    def section(self, name: str) -> tuple[Record, ...]:
        """The records of section ``name`` (empty when there is no such section)."""
        return next((s.records for s in self.sections if s.name == name), ())


@attrs.frozen
class ErasureReport:
    """How many rows of each kind an erasure removed."""

    rows: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """All rows removed."""
        return sum(count for _, count in self.rows)


# ----------------------------------------------------------------------------- ports


class PersonalDataStore(Protocol):
    """Reads and deletes everything stored about a user (``uow.personal_data``).

    Every table that holds a user's data must be known to it: the PostgreSQL adapter is checked
    by a test that lists every table with a ``user_id`` column or a foreign key to ``users``.
    """

    def export(self, user_id: uuid.UUID) -> tuple[DataSection, ...]:
        """Every record of the user, one section per kind, secrets and digests left out."""
        ...

    def erase(self, user_id: uuid.UUID) -> ErasureReport:
        """Delete the user and every row that belongs to it (the audit log excepted)."""
        ...


class UserDataCache(Protocol):
    """Caches that may hold data of a user under ``user_cache_prefix(user_id)``."""

    def purge(self, user_id: uuid.UUID) -> int:
        """Delete everything cached about the user; return how many entries went."""
        ...


# ----------------------------------------------------------------------------- use cases


@attrs.frozen
class ExportPersonalData:
    """Answers the caller a copy of everything stored about it; the export is audited."""

    uow: UnitOfWorkFactory
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self, principal: Principal, ip: str | None = None) -> PersonalData:
        """Collect the caller's data in one transaction."""
        now = self.clock.now()
        with self.uow() as uow:
            self.audit(
                uow.audit,
                AuditKind.DATA_EXPORTED,
                actor_id=principal.user_id,
                subject_id=principal.user_id,
                ip=ip,
            )
            sections = uow.personal_data.export(principal.user_id)
            uow.commit()
        return PersonalData(user_id=principal.user_id, exported_at=now, sections=sections)


@attrs.frozen
class EraseAccountCommand:
    """The proof of ownership that comes with an erasure request (see the module docstring)."""

    password: str | None = attrs.field(default=None, repr=False)
    proof: SecondFactorProof | None = None
    ip: str | None = None


@attrs.frozen
class EraseAccount:
    """Erases the caller's account and everything that belongs to it, for good.

    ``InvalidInput`` (on ``password`` or ``code``) when the proof is missing or wrong, counted by
    the throttle (``TooManyRequests`` once it locks); ``Unauthenticated`` when the account is gone
    already. After the commit: the cache is purged and every token of the user is revoked.
    """

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    verifier: SecondFactorVerifier
    throttle: SecondFactorThrottle
    revocations: RevocationStore
    cache: UserDataCache
    pseudonymizer: Pseudonymizer
    clock: Clock
    audit: AppendAuditEvent
    access_lifetime: timedelta

    def __call__(self, claims: AccessClaims, command: EraseAccountCommand) -> ErasureReport:
        """Delete the account; return what was removed."""
        self.throttle.check(claims.user_id, command.ip)
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(claims.user_id, for_update=True)
            failure = self._check_proof(uow, user, claims, command, now)
            if failure is not None:
                self.throttle.failed(user.id, command.ip)
                self.audit(
                    uow.audit,
                    AuditKind.TWO_FACTOR_FAILED
                    if failure.field == "code"
                    else AuditKind.LOGIN_FAILED,
                    actor_id=user.id,
                    subject_id=user.id,
                    ip=command.ip,
                    details={"during": "erasure"},
                )
                uow.commit()
                raise failure
            report = uow.personal_data.erase(user.id)
            self.audit(
                uow.audit,
                AuditKind.ACCOUNT_ERASED,
                ip=command.ip,
                details={
                    "tombstone": self.pseudonymizer.pseudonym(TOMBSTONE_PURPOSE, str(user.id)),
                    "rows": str(report.total),
                },
            )
            uow.commit()
        self.throttle.succeeded(user.id)
        self.cache.purge(user.id)
        until = now + self.access_lifetime
        self.revocations.revoke_user(user.id, user.token_version + 1, until, now)
        self.revocations.revoke_session(claims.session_id, until, now)
        return report

    def _check_proof(  # noqa: PLR0911 - one answer per kind of proof
        self,
        uow: UnitOfWork,
        user: User,
        claims: AccessClaims,
        command: EraseAccountCommand,
        now: datetime,
    ) -> InvalidInput | None:
        """None when the command proves ownership; else the error to answer."""
        enrolment = uow.two_factor.get(user.id, for_update=True)
        if enrolment is not None and enrolment.active and command.proof is not None:
            if self.verifier.verify(uow, enrolment, command.proof, now) is None:
                return InvalidInput("the code is wrong or was already used", field="code")
            return None
        if command.password is not None and user.password_hash is not None:
            if not self.hasher.verify(user.password_hash, command.password):
                return InvalidInput("the password is wrong", field="password")
            return None
        has_2fa = enrolment is not None and enrolment.active
        if user.password_hash is None and not has_2fa:
            if now - claims.issued_at <= FRESH_LOGIN:
                return None
            return InvalidInput(
                "sign in again (within the last five minutes) to delete this account",
                field="password",
            )
        wanted = "your password or a two-factor code" if has_2fa else "your password"
        return InvalidInput(f"confirm with {wanted} to delete this account", field="password")


__all__ = [
    "EXPORT_FORMAT",
    "DataSection",
    "EraseAccount",
    "EraseAccountCommand",
    "ErasureReport",
    "ExportPersonalData",
    "JsonValue",
    "PersonalData",
    "PersonalDataStore",
    "Record",
    "UserDataCache",
    "user_cache_prefix",
]
