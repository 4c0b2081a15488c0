"""In-memory fakes of the accounts ports: repositories, hasher, tokens, revocation, throttle.

The repositories follow the PostgreSQL ones (the contract tests run one suite against both); the
services follow the Redis, argon2 and JWT adapters' contracts with plain dictionaries and the
injected clock, and record what they were asked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Final

import attrs

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
from jobraker_core.clock import Clock
from jobraker_core.errors import Conflict, NotFound, Unauthenticated
from jobraker_core.pagination import Page, PageRequest

_FAKE_HASH_PREFIX: Final = "fakehash"


# ----------------------------------------------------------------------------- repositories


class InMemoryUserRepository:
    """A ``UserRepository`` over a dict of users by id."""

    def __init__(self, users: dict[uuid.UUID, User] | None = None) -> None:
        """Hold ``users`` (the unit of work's snapshot)."""
        self.users: dict[uuid.UUID, User] = {} if users is None else users

    def add(self, user: User) -> None:
        """Store a new user; ``Conflict`` when its email or id is taken."""
        if user.id in self.users:
            raise Conflict("a user with this id already exists")
        if self.by_email(user.email) is not None:
            raise Conflict("an account with this email already exists")
        self.users[user.id] = user

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User:  # noqa: ARG002 - no locks in memory
        """The user with this id; ``NotFound`` when there is none."""
        try:
            return self.users[user_id]
        except KeyError:
            raise NotFound("no such user") from None

    def by_email(self, email: str) -> User | None:
        """The user with this normalised email, if any."""
        return next((user for user in self.users.values() if user.email == email), None)

    def update(self, user: User) -> None:
        """Overwrite the stored user; ``NotFound`` when it is not stored."""
        if user.id not in self.users:
            raise NotFound("no such user")
        self.users[user.id] = user

    def record_login(self, user_id: uuid.UUID, when: datetime) -> None:
        """Set the user's ``last_login_at``."""
        self.update(self.get(user_id).logged_in(when))

    def replace_password_hash(self, user_id: uuid.UUID, *, old: str, new: str) -> bool:
        """Swap the hash if it is still ``old``."""
        user = self.get(user_id)
        if user.password_hash != old:
            return False
        self.users[user_id] = user.with_password_hash(new)
        return True

    def list(self, query: UserQuery, page: PageRequest) -> Page[User]:
        """One page of the matching users, oldest first."""
        needle = (query.email_contains or "").lower()
        found = sorted(
            (user for user in self.users.values() if needle in user.email),
            key=lambda user: (user.created_at, user.id),
        )
        return Page(
            items=tuple(found[page.offset : page.offset + page.per_page]),
            total=len(found),
            request=page,
        )


class InMemoryRefreshTokenRepository:
    """A ``RefreshTokenRepository`` over dicts of families by id and tokens by digest."""

    def __init__(
        self,
        families: dict[uuid.UUID, RefreshFamily] | None = None,
        tokens: dict[str, RefreshToken] | None = None,
    ) -> None:
        """Hold ``families`` and ``tokens`` (the unit of work's snapshot)."""
        self.families: dict[uuid.UUID, RefreshFamily] = {} if families is None else families
        self.tokens: dict[str, RefreshToken] = {} if tokens is None else tokens

    def add_family(self, family: RefreshFamily) -> None:
        """Store a new family; ``Conflict`` when its id is taken."""
        if family.id in self.families:
            raise Conflict("a token family with this id already exists")
        self.families[family.id] = family

    def get_family(self, family_id: uuid.UUID, *, for_update: bool = False) -> RefreshFamily | None:  # noqa: ARG002 - no locks in memory
        """The family with this id, if any."""
        return self.families.get(family_id)

    def revoke_family(self, family_id: uuid.UUID, when: datetime) -> bool:
        """Revoke the family if it is live."""
        family = self.families.get(family_id)
        if family is None or family.revoked:
            return False
        self.families[family_id] = family.revoke(when)
        return True

    def revoke_user_families(self, user_id: uuid.UUID, when: datetime) -> list[uuid.UUID]:
        """Revoke every live family of the user."""
        live = [f.id for f in self.families.values() if f.user_id == user_id and not f.revoked]
        for family_id in live:
            self.revoke_family(family_id, when)
        return live

    def add(self, token: RefreshToken) -> None:
        """Store a new token of a stored family."""
        if token.family_id not in self.families:
            raise NotFound("no such token family")
        if token.token_hash in self.tokens:
            raise Conflict("this refresh token already exists")
        self.tokens[token.token_hash] = token

    def get(self, token_hash: str) -> RefreshToken | None:
        """The token with this digest, if any."""
        return self.tokens.get(token_hash)

    def consume(self, token_hash: str, when: datetime) -> bool:
        """Mark the token used, once."""
        token = self.tokens.get(token_hash)
        if token is None or token.consumed_at is not None:
            return False
        self.tokens[token_hash] = token.consume(when)
        return True


class InMemoryAuditLog:
    """An ``AuditLog`` over a dict of events by id (append only: nothing removes or replaces)."""

    def __init__(self, events: dict[uuid.UUID, AuditEvent] | None = None) -> None:
        """Hold ``events`` (the unit of work's snapshot)."""
        self.events: dict[uuid.UUID, AuditEvent] = {} if events is None else events

    def append(self, event: AuditEvent) -> None:
        """Record ``event``; ``Conflict`` when its id is taken."""
        if event.id in self.events:
            raise Conflict("an audit event with this id already exists")
        self.events[event.id] = event

    def list(self, query: AuditQuery, page: PageRequest) -> Page[AuditEvent]:
        """One page of the matching events, newest first."""
        found = sorted(
            (
                event
                for event in self.events.values()
                if (query.kind is None or event.kind is query.kind)
                and (query.user_id is None or query.user_id in {event.actor_id, event.subject_id})
            ),
            key=lambda event: (event.occurred_at, event.id),
            reverse=True,
        )
        return Page(
            items=tuple(found[page.offset : page.offset + page.per_page]),
            total=len(found),
            request=page,
        )


# ----------------------------------------------------------------------------- services


@attrs.define
class InMemoryPasswordHasher:
    """A fast, salted, *insecure* ``PasswordHasher`` for tests: SHA-256 tagged with a version.

    A hash made under another ``version`` needs a rehash. ``verified`` counts verifications, so
    tests can see that unknown emails cost a verification too.
    """

    version: int = 1
    verified: int = 0

    def hash(self, password: str) -> str:
        """A new salted hash of ``password``."""
        salt = secrets.token_hex(8)
        digest = hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()
        return f"{_FAKE_HASH_PREFIX}${self.version}${salt}${digest}"

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; malformed hashes do not."""
        self.verified += 1
        parts = password_hash.split("$")
        if len(parts) != 4 or parts[0] != _FAKE_HASH_PREFIX:  # noqa: PLR2004 - four fields
            return False
        digest = hashlib.sha256(f"{parts[2]}:{password}".encode()).hexdigest()
        return hmac.compare_digest(digest, parts[3])

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made under another version."""
        parts = password_hash.split("$")
        return len(parts) < 2 or parts[1] != str(self.version)  # noqa: PLR2004 - prefix, version


@attrs.frozen
class InMemoryCommonPasswords:
    """A ``CommonPasswords`` over a small set (compared case-insensitively)."""

    passwords: frozenset[str] = frozenset(
        {"password", "password1", "12345678", "123456789", "qwertyuiop", "iloveyou", "sunshine1"}
    )

    def __contains__(self, password: object) -> bool:
        """Whether ``password`` is on the list."""
        return isinstance(password, str) and password.casefold() in self.passwords


@attrs.define
class InMemoryAccessTokens:
    """An ``AccessTokenIssuer`` and ``AccessTokenVerifier`` that remembers what it issued.

    Its tokens are random strings, not JWTs; it checks only that it issued them and the time
    window. Use the JWT adapter where the token format matters.
    """

    lifetime: timedelta = timedelta(minutes=15)
    issued: dict[str, AccessClaims] = attrs.field(factory=dict)

    def issue(self, user: User, session_id: uuid.UUID, now: datetime) -> IssuedAccessToken:
        """A new token for ``user``."""
        token_id = uuid.uuid4().hex
        token = f"fake-access.{token_id}"
        claims = AccessClaims(
            user_id=user.id,
            role=user.role,
            token_id=token_id,
            session_id=session_id,
            token_version=user.token_version,
            issued_at=now,
            expires_at=now + self.lifetime,
        )
        self.issued[token] = claims
        return IssuedAccessToken(token=token, token_id=token_id, expires_at=claims.expires_at)

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """The claims of a token issued here and valid at ``now``."""
        claims = self.issued.get(token)
        if claims is None:
            raise Unauthenticated("the access token is invalid")
        if not claims.issued_at <= now < claims.expires_at:
            raise Unauthenticated("the access token has expired")
        return claims


@attrs.define
class InMemoryRevocationStore:
    """A ``RevocationStore`` whose records expire by the injected clock."""

    clock: Clock
    tokens: dict[str, datetime] = attrs.field(factory=dict)
    sessions: dict[uuid.UUID, datetime] = attrs.field(factory=dict)
    users: dict[uuid.UUID, tuple[int, datetime]] = attrs.field(factory=dict)

    def revoke_token(self, token_id: str, expires_at: datetime, now: datetime) -> None:  # noqa: ARG002 - the clock decides expiry here
        """Remember the token until it expires."""
        self.tokens[token_id] = max(expires_at, self.tokens.get(token_id, expires_at))

    def revoke_session(self, session_id: uuid.UUID, until: datetime, now: datetime) -> None:  # noqa: ARG002 - likewise
        """Remember the session until ``until``."""
        self.sessions[session_id] = max(until, self.sessions.get(session_id, until))

    def revoke_user(
        self,
        user_id: uuid.UUID,
        token_version: int,
        until: datetime,
        now: datetime,  # noqa: ARG002 - the clock decides expiry here
    ) -> None:
        """Remember the user's minimum token version until ``until``."""
        version, kept = self.users.get(user_id, (token_version, until))
        self.users[user_id] = (max(version, token_version), max(kept, until))

    def is_revoked(self, claims: AccessClaims) -> bool:
        """Whether the token, its session or its version was revoked (and still remembered)."""
        now = self.clock.now()
        token_until = self.tokens.get(claims.token_id)
        session_until = self.sessions.get(claims.session_id)
        version, user_until = self.users.get(claims.user_id, (0, now))
        return (
            (token_until is not None and now < token_until)
            or (session_until is not None and now < session_until)
            or (now < user_until and claims.token_version < version)
        )


@attrs.define
class InMemoryLoginThrottle:
    """A ``LoginThrottle`` with fixed windows, by the injected clock.

    ``max_account_failures`` failures of one account (or ``max_client_failures`` of one client)
    within ``window`` lock it for ``lockout``. A success clears the account's count, not the
    client's.
    """

    clock: Clock
    max_account_failures: int = 5
    max_client_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    failures: dict[str, tuple[int, datetime]] = attrs.field(factory=dict)
    locks: dict[str, datetime] = attrs.field(factory=dict)

    def _wait(self, key: str) -> float:
        until = self.locks.get(key)
        now = self.clock.now()
        return max(0.0, (until - now).total_seconds()) if until else 0.0

    def check(self, account: str, client: str) -> float:
        """Seconds the account or the client must still wait."""
        return max(self._wait(f"account:{account}"), self._wait(f"client:{client}"))

    def _fail(self, key: str, limit: int) -> float:
        now = self.clock.now()
        count, expires = self.failures.get(key, (0, now + self.window))
        if now >= expires:
            count, expires = 0, now + self.window
        count += 1
        self.failures[key] = (count, expires)
        if count >= limit:
            self.locks[key] = now + self.lockout
            return self.lockout.total_seconds()
        return 0.0

    def record_failure(self, account: str, client: str) -> float:
        """Count a failure of both; return the wait it triggers."""
        return max(
            self._fail(f"account:{account}", self.max_account_failures),
            self._fail(f"client:{client}", self.max_client_failures),
        )

    def reset(self, account: str) -> None:
        """Forget the account's failures and lock."""
        self.failures.pop(f"account:{account}", None)
        self.locks.pop(f"account:{account}", None)


@attrs.frozen
class InMemoryPseudonymizer:
    """A ``Pseudonymizer`` keyed with a fixed test key (HMAC-SHA-256, 128 bits in hex)."""

    key: bytes = b"jobraker-test-pseudonym-key"

    def pseudonym(self, purpose: str, value: str) -> str:
        """The keyed pseudonym of ``value`` for ``purpose``."""
        return hmac.new(self.key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]


__all__ = [
    "InMemoryAccessTokens",
    "InMemoryAuditLog",
    "InMemoryCommonPasswords",
    "InMemoryLoginThrottle",
    "InMemoryPasswordHasher",
    "InMemoryPseudonymizer",
    "InMemoryRefreshTokenRepository",
    "InMemoryRevocationStore",
    "InMemoryUserRepository",
]
