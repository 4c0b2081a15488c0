"""Builders of accounts-domain objects for tests (users, refresh tokens, audit events)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import (
    AuditEvent,
    AuditKind,
    RefreshFamily,
    RefreshToken,
    User,
    UserStatus,
    hash_refresh_token,
    new_refresh_token,
)

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def make_user(
    email: str | None = None,
    *,
    role: Role = Role.USER,
    status: UserStatus = UserStatus.ACTIVE,
    created_at: datetime = T0,
    password_hash: str | None = "fakehash$1$salt$digest",  # noqa: S107 - a placeholder
    token_version: int = 0,
) -> User:
    """A user with a unique email unless one is given."""
    return User(
        id=uuid.uuid4(),
        email=email or f"u-{uuid.uuid4().hex[:10]}@example.com",
        role=role,
        status=status,
        password_hash=password_hash,
        created_at=created_at,
        token_version=token_version,
    )


def make_family(user: User, *, created_at: datetime = T0) -> RefreshFamily:
    """A live refresh-token family of ``user``."""
    return RefreshFamily(id=uuid.uuid4(), user_id=user.id, created_at=created_at)


def make_token(
    family: RefreshFamily, *, issued_at: datetime = T0, days: int = 30
) -> tuple[str, RefreshToken]:
    """A fresh refresh token of ``family``: its value and its stored form."""
    raw = new_refresh_token()
    return raw, RefreshToken(
        token_hash=hash_refresh_token(raw),
        family_id=family.id,
        user_id=family.user_id,
        issued_at=issued_at,
        expires_at=issued_at + timedelta(days=days),
    )


def make_event(
    kind: AuditKind = AuditKind.LOGIN_SUCCEEDED,
    *,
    actor_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    occurred_at: datetime = T0,
    details: dict[str, str] | None = None,
) -> AuditEvent:
    """An audit event."""
    return AuditEvent(
        id=uuid.uuid4(),
        occurred_at=occurred_at,
        kind=kind,
        actor_id=actor_id,
        subject_id=subject_id,
        ip="0123456789abcdef0123456789abcdef",
        details=tuple(sorted((details or {}).items())),
    )


def bearer_for(container: Any, user: User) -> dict[str, str]:
    """An ``Authorization`` header with a token the container's issuer signs for ``user``.

    The user must be stored for the token to be accepted.
    """
    issued = container.access_tokens().issue(user, uuid.uuid4(), container.clock().now())
    return {"Authorization": f"Bearer {issued.token}"}


def add_user(uow_factory: Any) -> uuid.UUID:
    """Store a new user in a committed unit of ``uow_factory`` and return its id."""
    user = make_user()
    with uow_factory() as uow:
        uow.users.add(user)
        uow.commit()
    return user.id


def stored_user(container: Any, *, role: Role = Role.USER) -> User:
    """Store a new user (with a placeholder hash: it cannot log in) through the container."""
    user = make_user(role=role, created_at=container.clock().now())
    with container.uow()() as uow:
        uow.users.add(user)
        uow.commit()
    return user
