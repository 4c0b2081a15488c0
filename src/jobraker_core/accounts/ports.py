"""Ports of the accounts capability: storage, password hashing, tokens, revocation, throttling.

Repositories (``UserRepository``, ``RefreshTokenRepository``, ``AuditLog``) are handed out by the
``UnitOfWork`` and share its transaction. The others are services the use cases get through their
constructors. Storage that is down raises ``UpstreamUnavailable`` everywhere.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from jobraker_core.accounts.model import (
    AccessClaims,
    AuditEvent,
    AuditQuery,
    IssuedAccessToken,
    RefreshFamily,
    RefreshToken,
    User,
    UserQuery,
)
from jobraker_core.pagination import Page, PageRequest

# ----------------------------------------------------------------------------- repositories


class UserRepository(Protocol):
    """The accounts. Emails are stored normalised (``normalise_email``) and are unique."""

    def add(self, user: User) -> None:
        """Store a new user; ``Conflict`` when its email (or id) is taken."""
        ...

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User:
        """Return the user with this id; ``NotFound`` when there is none.

        ``for_update`` holds the row until the unit of work ends, so a read-modify-write of the
        user is not interleaved with another one.
        """
        ...

    def by_email(self, email: str) -> User | None:
        """Return the user with this normalised email, if any."""
        ...

    def update(self, user: User) -> None:
        """Overwrite the stored user with ``user``; ``NotFound`` when it is not stored.

        Read it with ``for_update=True`` first: the last writer wins.
        """
        ...

    def record_login(self, user_id: uuid.UUID, when: datetime) -> None:
        """Set only the user's ``last_login_at`` (nothing else it holds may be overwritten)."""
        ...

    def replace_password_hash(self, user_id: uuid.UUID, *, old: str, new: str) -> bool:
        """Swap the stored hash ``old`` for ``new`` (a rehash of the same password).

        Returns ``False`` and changes nothing when the stored hash is no longer ``old`` (the
        password was changed meanwhile).
        """
        ...

    def list(self, query: UserQuery, page: PageRequest) -> Page[User]:
        """One page of the users matching ``query``, oldest first (ties by id)."""
        ...


class RefreshTokenRepository(Protocol):
    """Refresh-token families (login sessions) and their tokens, stored by digest only."""

    def add_family(self, family: RefreshFamily) -> None:
        """Store a new family; ``Conflict`` when its id is taken."""
        ...

    def get_family(self, family_id: uuid.UUID, *, for_update: bool = False) -> RefreshFamily | None:
        """Return the family with this id, if any.

        ``for_update`` holds it to the end of the unit, so two refreshes of one family run one
        after the other.
        """
        ...

    def revoke_family(self, family_id: uuid.UUID, when: datetime) -> bool:
        """Mark the family revoked at ``when``; ``False`` if unknown or revoked already."""
        ...

    def revoke_user_families(self, user_id: uuid.UUID, when: datetime) -> list[uuid.UUID]:
        """Revoke every live family of the user at ``when``; return the ids revoked now."""
        ...

    def add(self, token: RefreshToken) -> None:
        """Store a new token (its family must be stored); ``Conflict`` when its digest exists."""
        ...

    def get(self, token_hash: str) -> RefreshToken | None:
        """Return the token stored under this digest, if any."""
        ...

    def consume(self, token_hash: str, when: datetime) -> bool:
        """Mark the token used at ``when`` if it was not used yet.

        Returns ``True`` only for the caller that consumed it (a second consume is ``False``).
        """
        ...


class AuditLog(Protocol):
    """The append-only log of security events. Nothing in it is ever changed or removed."""

    def append(self, event: AuditEvent) -> None:
        """Record ``event``; ``Conflict`` when its id is taken."""
        ...

    def list(self, query: AuditQuery, page: PageRequest) -> Page[AuditEvent]:
        """One page of the events matching ``query``, newest first (ties by id, descending)."""
        ...


# ----------------------------------------------------------------------------- services


class PasswordHasher(Protocol):
    """Hashes passwords with a slow, salted, memory-hard function (argon2id in production)."""

    def hash(self, password: str) -> str:
        """Return a new salted hash of ``password`` with the current parameters."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Say whether ``password`` matches ``password_hash``; a malformed hash is ``False``.

        Takes about as long for a wrong password as for a right one.
        """
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Say whether ``password_hash`` was made with other parameters than the current ones."""
        ...


class CommonPasswords(Protocol):
    """The passwords too common to allow (a breached-password list)."""

    def __contains__(self, password: object) -> bool:
        """Say whether ``password`` (compared case-insensitively) is on the list."""
        ...


class AccessTokenIssuer(Protocol):
    """Signs short-lived access tokens."""

    def issue(self, user: User, session_id: uuid.UUID, now: datetime) -> IssuedAccessToken:
        """Return a token for ``user`` in login session ``session_id``, valid from ``now``.

        Its claims carry the user id, role, ``token_version``, session id and a unique id.
        """
        ...


class AccessTokenVerifier(Protocol):
    """Checks access tokens."""

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """Return the claims of ``token`` if it is genuine and valid at ``now``.

        Its signature, algorithm, issuer, audience and claims must all be right; otherwise
        ``Unauthenticated``.
        """
        ...


class RevocationStore(Protocol):
    """Remembers revoked access tokens and sessions until they would have expired anyway.

    Shared by every API process. ``UpstreamUnavailable`` when it cannot be reached (a request is
    then refused rather than let through).
    """

    def revoke_token(self, token_id: str, expires_at: datetime, now: datetime) -> None:
        """Revoke the access token ``token_id`` (which would expire at ``expires_at``)."""
        ...

    def revoke_session(self, session_id: uuid.UUID, until: datetime, now: datetime) -> None:
        """Revoke every access token of login session ``session_id``.

        The record is kept until ``until`` (when the last of those tokens has expired).
        """
        ...

    def revoke_user(
        self, user_id: uuid.UUID, token_version: int, until: datetime, now: datetime
    ) -> None:
        """Revoke every access token of the user with a ``token_version`` below this one."""
        ...

    def is_revoked(self, claims: AccessClaims) -> bool:
        """Say whether the token, its session or its user's older versions were revoked."""
        ...


class LoginThrottle(Protocol):
    """Counts failed logins per account and per client, and locks them out for a while.

    ``account`` and ``client`` are opaque keys (pseudonyms, never an email or an address).
    """

    def check(self, account: str, client: str) -> float:
        """Return how many seconds the account or the client must still wait (0 when free)."""
        ...

    def record_failure(self, account: str, client: str) -> float:
        """Count a failed login of both; return the wait it triggers (0 when none yet)."""
        ...

    def reset(self, account: str) -> None:
        """Forget the account's failures (after a successful login)."""
        ...


class Pseudonymizer(Protocol):
    """Turns personal values (an IP address, an email) into stable keyed pseudonyms."""

    def pseudonym(self, purpose: str, value: str) -> str:
        """Return a pseudonym of ``value`` for ``purpose``.

        The same for the same input, not reversible without the server's key, different across
        purposes.
        """
        ...
