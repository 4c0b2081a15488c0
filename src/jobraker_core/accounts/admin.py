"""Admin use cases: list and read users, disable or enable them, change their role.

Each one checks that the caller is an admin (``Forbidden`` otherwise), whatever the HTTP guards
already did, and every change is audited in the same transaction. An admin cannot disable or
demote itself, so the platform always keeps at least one admin who can act.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import attrs

from jobraker_core.accounts.audit import AppendAuditEvent, require_admin
from jobraker_core.accounts.identity import Principal, Role
from jobraker_core.accounts.model import AuditKind, User, UserQuery, UserStatus
from jobraker_core.accounts.ports import RevocationStore
from jobraker_core.clock import Clock
from jobraker_core.errors import Conflict
from jobraker_core.pagination import Page, PageRequest
from jobraker_core.ports import UnitOfWorkFactory


@attrs.frozen
class ListUsers:
    """Lets an admin page through the users, optionally searching by part of the email."""

    uow: UnitOfWorkFactory

    def __call__(self, principal: Principal, query: UserQuery, page: PageRequest) -> Page[User]:
        """One page of users, oldest first."""
        require_admin(principal)
        with self.uow() as uow:
            return uow.users.list(query, page)


@attrs.frozen
class GetUser:
    """Lets an admin read one user; ``NotFound`` when there is none."""

    uow: UnitOfWorkFactory

    def __call__(self, principal: Principal, user_id: uuid.UUID) -> User:
        """The user with this id."""
        require_admin(principal)
        with self.uow() as uow:
            return uow.users.get(user_id)


@attrs.frozen
class UserChange:
    """What an admin changes about a user: its status, its role, or both (None keeps it)."""

    user_id: uuid.UUID
    status: UserStatus | None = None
    role: Role | None = None
    ip: str | None = None


@attrs.frozen
class UpdateUser:
    """Applies an admin's ``UserChange`` in one transaction.

    Disabling revokes every token of the user (its ``token_version`` is bumped and its sessions
    revoked). ``Conflict`` when an admin tries to disable or demote itself; ``NotFound`` when the
    user does not exist.
    """

    uow: UnitOfWorkFactory
    revocations: RevocationStore
    clock: Clock
    audit: AppendAuditEvent
    access_lifetime: timedelta

    def __call__(self, principal: Principal, change: UserChange) -> User:
        """Return the user as changed."""
        require_admin(principal)
        self._refuse_self_lockout(principal, change)
        now = self.clock.now()
        with self.uow() as uow:
            before = uow.users.get(change.user_id, for_update=True)
            user = before
            events: list[tuple[AuditKind, dict[str, str]]] = []
            if change.role is not None and change.role is not user.role:
                user = user.with_role(change.role)
                events.append(
                    (AuditKind.ROLE_CHANGED, {"from": before.role.value, "to": user.role.value})
                )
            if change.status is UserStatus.DISABLED and user.is_active:
                user = user.disabled()
                events.append((AuditKind.USER_DISABLED, {}))
            elif change.status is UserStatus.ACTIVE and not user.is_active:
                user = user.enabled()
                events.append((AuditKind.USER_ENABLED, {}))
            if user == before:
                return user
            uow.users.update(user)
            if user.token_version != before.token_version:
                uow.refresh_tokens.revoke_user_families(user.id, now)
            for kind, details in events:
                self.audit(
                    uow.audit,
                    kind,
                    actor_id=principal.user_id,
                    subject_id=user.id,
                    ip=change.ip,
                    details=details,
                )
            uow.commit()
        if user.token_version != before.token_version:
            self.revocations.revoke_user(
                user.id, user.token_version, now + self.access_lifetime, now
            )
        return user

    @staticmethod
    def _refuse_self_lockout(principal: Principal, change: UserChange) -> None:
        if change.user_id != principal.user_id:
            return
        if change.status is UserStatus.DISABLED:
            raise Conflict("an admin cannot disable its own account")
        if change.role is not None and change.role is not Role.ADMIN:
            raise Conflict("an admin cannot remove its own admin role")
