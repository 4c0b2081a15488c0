"""Accounts and bearer tokens for the HTTP tests, made through the container's own use cases."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.use_cases import CreateUser, LogIn

if TYPE_CHECKING:
    from jobraker_adapters.container import Container
    from jobraker_core.accounts.model import TokenPair

TEST_PASSWORD = "a long test passphrase"


def new_email(prefix: str = "user") -> str:
    """A fresh, unique email address."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def log_in(
    container: Container, *, role: Role = Role.USER, email: str | None = None
) -> tuple[uuid.UUID, TokenPair]:
    """Create an account with ``role`` in ``container`` and log it in; return its id and tokens."""
    email = email or new_email(role.value)
    user = container.create_user_account()(
        CreateUser(email=email, password=TEST_PASSWORD, role=role)
    )
    return user.id, container.login()(LogIn(email=email, password=TEST_PASSWORD)).tokens


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


def bearer_headers(
    container: Container, *, role: Role = Role.USER, email: str | None = None
) -> dict[str, str]:
    """Create an account with ``role`` in ``container``, log it in, and return its auth header."""
    return bearer(log_in(container, role=role, email=email)[1].access_token)
