"""The audit log's use cases: append an event (called by the other use cases) and list events.

Events name people only by id. The client address is recorded as a keyed pseudonym
(``Pseudonymizer.pseudonym("audit-ip", address)``): events from one address can be correlated,
but the address cannot be read back without the server's key, and it is gone for good once that
key is replaced.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Final

import attrs

from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.model import AuditEvent, AuditKind, AuditQuery
from jobraker_core.accounts.ports import AuditLog, Pseudonymizer
from jobraker_core.clock import Clock
from jobraker_core.errors import Forbidden
from jobraker_core.pagination import Page, PageRequest
from jobraker_core.ports import UnitOfWorkFactory

AUDIT_IP_PURPOSE: Final = "audit-ip"


def require_admin(principal: Principal) -> None:
    """Raise ``Forbidden`` unless ``principal`` is an admin."""
    if not principal.is_admin:
        raise Forbidden("this needs an administrator")


@attrs.frozen
class AppendAuditEvent:
    """Records one security event in the audit log of the caller's unit of work.

    It is called inside another use case's transaction, so the event is stored exactly when the
    change it describes is.
    """

    clock: Clock
    pseudonymizer: Pseudonymizer

    def __call__(
        self,
        log: AuditLog,
        kind: AuditKind,
        *,
        actor_id: uuid.UUID | None = None,
        subject_id: uuid.UUID | None = None,
        ip: str | None = None,
        details: Mapping[str, str] | None = None,
    ) -> AuditEvent:
        """Append the event to ``log`` and return it."""
        event = AuditEvent(
            id=uuid.uuid4(),
            occurred_at=self.clock.now(),
            kind=kind,
            actor_id=actor_id,
            subject_id=subject_id,
            ip=self.pseudonymizer.pseudonym(AUDIT_IP_PURPOSE, ip) if ip else None,
            details=tuple(sorted((details or {}).items())),
        )
        log.append(event)
        return event


@attrs.frozen
class ListAuditEvents:
    """Lets an admin read the audit log, newest first, filtered by user and kind."""

    uow: UnitOfWorkFactory

    def __call__(
        self, principal: Principal, query: AuditQuery, page: PageRequest
    ) -> Page[AuditEvent]:
        """One page of events; ``Forbidden`` for a non-admin."""
        require_admin(principal)
        with self.uow() as uow:
            return uow.audit.list(query, page)
