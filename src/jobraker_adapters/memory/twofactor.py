"""In-memory fakes of two-factor sign-in and OIDC sign-in: repositories, state store, providers.

The repositories work on ``SecurityTables``: the store keeps the committed tables, each in-memory
unit of work a private copy (``InMemorySecuritySession``) that it publishes on commit. A row that
this unit changed and another unit changed meanwhile is a ``Conflict`` at commit (first committer
wins), which is how the fake keeps "a code works once" under concurrent units, where PostgreSQL's
conditional ``UPDATE`` answers False to the later request.

``InMemoryOidcProviders`` plays an identity provider: its authorization URL carries the state,
and ``approve`` turns a state into a code as the provider's login page would; ``identify`` then
checks the PKCE verifier, the redirect URI and single use, and returns the configured identity
with the sign-in's nonce.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import attrs

from jobraker_core.accounts.oidc import (
    ExternalIdentity,
    OidcIdentity,
    PendingOidcLogin,
    pkce_challenge,
)
from jobraker_core.accounts.twofactor import RecoveryCode, TotpEnrolment, TwoFactorChallenge
from jobraker_core.clock import Clock
from jobraker_core.errors import Conflict, NotFound, Unauthenticated

_K = TypeVar("_K")
_V = TypeVar("_V")


@attrs.define
class SecurityTables:
    """Two-factor enrolments, recovery codes, challenges and linked identities."""

    enrolments: dict[uuid.UUID, TotpEnrolment] = attrs.field(factory=dict)
    recovery_codes: dict[tuple[uuid.UUID, str], RecoveryCode] = attrs.field(factory=dict)
    challenges: dict[str, TwoFactorChallenge] = attrs.field(factory=dict)
    identities: dict[tuple[str, str], OidcIdentity] = attrs.field(factory=dict)

    def copy(self) -> SecurityTables:
        """A copy whose dicts can change without touching these."""
        return SecurityTables(
            dict(self.enrolments),
            dict(self.recovery_codes),
            dict(self.challenges),
            dict(self.identities),
        )

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete every row of ``user_id``; return how many went."""
        doomed = (
            [k for k in self.enrolments if k == user_id],
            [k for k in self.recovery_codes if k[0] == user_id],
            [k for k, v in self.challenges.items() if v.user_id == user_id],
            [k for k, v in self.identities.items() if v.user_id == user_id],
        )
        for key in doomed[0]:
            del self.enrolments[key]
        for code in doomed[1]:
            del self.recovery_codes[code]
        for digest in doomed[2]:
            del self.challenges[digest]
        for identity in doomed[3]:
            del self.identities[identity]
        return sum(len(keys) for keys in doomed)


@attrs.define
class InMemoryTwoFactorRepository:
    """A ``TwoFactorRepository`` over the tables of one unit."""

    tables: SecurityTables = attrs.field(factory=SecurityTables)

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> TotpEnrolment | None:  # noqa: ARG002 - no locks in memory
        """The user's enrolment, if any."""
        return self.tables.enrolments.get(user_id)

    def save(self, enrolment: TotpEnrolment) -> None:
        """Insert or replace the user's enrolment."""
        self.tables.enrolments[enrolment.user_id] = enrolment

    def delete(self, user_id: uuid.UUID) -> bool:
        """Remove the enrolment, recovery codes and challenges."""
        found = self.tables.enrolments.pop(user_id, None) is not None
        for code in [k for k in self.tables.recovery_codes if k[0] == user_id]:
            del self.tables.recovery_codes[code]
        for digest in [k for k, c in self.tables.challenges.items() if c.user_id == user_id]:
            del self.tables.challenges[digest]
        return found

    def claim_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Move ``last_used_step`` forward to ``step`` if it is below it."""
        enrolment = self.tables.enrolments.get(user_id)
        if enrolment is None or (
            enrolment.last_used_step is not None and enrolment.last_used_step >= step
        ):
            return False
        self.tables.enrolments[user_id] = attrs.evolve(enrolment, last_used_step=step)
        return True

    def replace_recovery_codes(self, user_id: uuid.UUID, codes: Sequence[RecoveryCode]) -> None:
        """Make ``codes`` the user's only recovery codes."""
        for key in [k for k in self.tables.recovery_codes if k[0] == user_id]:
            del self.tables.recovery_codes[key]
        for code in codes:
            self.tables.recovery_codes[(user_id, code.code_hash)] = code

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, when: datetime) -> bool:
        """Mark the unused code used."""
        code = self.tables.recovery_codes.get((user_id, code_hash))
        if code is None or code.used_at is not None:
            return False
        self.tables.recovery_codes[(user_id, code_hash)] = attrs.evolve(code, used_at=when)
        return True

    def unused_recovery_codes(self, user_id: uuid.UUID) -> int:
        """How many codes the user has left."""
        return sum(
            1
            for (owner, _), code in self.tables.recovery_codes.items()
            if owner == user_id and code.used_at is None
        )

    def add_challenge(self, challenge: TwoFactorChallenge) -> None:
        """Store a new challenge."""
        if challenge.challenge_hash in self.tables.challenges:
            raise Conflict("this challenge already exists")
        self.tables.challenges[challenge.challenge_hash] = challenge

    def get_challenge(
        self,
        challenge_hash: str,
        *,
        for_update: bool = False,  # noqa: ARG002 - no locks in memory
    ) -> TwoFactorChallenge | None:
        """The challenge with this digest, if any."""
        return self.tables.challenges.get(challenge_hash)

    def record_challenge_failure(self, challenge_hash: str) -> int:
        """Count a wrong code."""
        challenge = self.tables.challenges.get(challenge_hash)
        if challenge is None:
            return 0
        counted = attrs.evolve(challenge, attempts=challenge.attempts + 1)
        self.tables.challenges[challenge_hash] = counted
        return counted.attempts

    def consume_challenge(self, challenge_hash: str, when: datetime) -> bool:
        """Mark the challenge used, once."""
        challenge = self.tables.challenges.get(challenge_hash)
        if challenge is None or challenge.consumed_at is not None:
            return False
        self.tables.challenges[challenge_hash] = attrs.evolve(challenge, consumed_at=when)
        return True

    def forget_challenges(self, user_id: uuid.UUID, *, before: datetime) -> int:
        """Delete the user's challenges that expired before ``before``."""
        doomed = [
            digest
            for digest, challenge in self.tables.challenges.items()
            if challenge.user_id == user_id and challenge.expires_at < before
        ]
        for digest in doomed:
            del self.tables.challenges[digest]
        return len(doomed)

    def sealed_secrets(
        self, *, after: uuid.UUID | None, limit: int
    ) -> list[tuple[uuid.UUID, bytes]]:
        """A batch of (user id, sealed seed), by user id."""
        ordered = sorted(self.tables.enrolments.items(), key=lambda item: str(item[0]))
        return [
            (user_id, enrolment.sealed_secret)
            for user_id, enrolment in ordered
            if after is None or str(user_id) > str(after)
        ][:limit]

    def replace_sealed_secret(self, user_id: uuid.UUID, *, old: bytes, new: bytes) -> bool:
        """Swap the seal if it is still ``old``."""
        enrolment = self.tables.enrolments.get(user_id)
        if enrolment is None or enrolment.sealed_secret != old:
            return False
        self.tables.enrolments[user_id] = attrs.evolve(enrolment, sealed_secret=new)
        return True


@attrs.define
class InMemoryOidcIdentityRepository:
    """An ``OidcIdentityRepository`` over the tables of one unit."""

    tables: SecurityTables = attrs.field(factory=SecurityTables)

    def get(self, provider: str, subject: str) -> OidcIdentity | None:
        """The link of this identity, if any."""
        return self.tables.identities.get((provider, subject))

    def add(self, identity: OidcIdentity) -> None:
        """Store a new link; ``Conflict`` if the identity is linked already."""
        key = (identity.provider, identity.subject)
        if key in self.tables.identities:
            raise Conflict("this identity is already linked to an account")
        self.tables.identities[key] = identity

    def for_user(self, user_id: uuid.UUID) -> list[OidcIdentity]:
        """The user's identities, oldest first."""
        return sorted(
            (i for i in self.tables.identities.values() if i.user_id == user_id),
            key=lambda i: (i.linked_at, i.provider, i.subject),
        )


def _check(now: dict[_K, _V], before: dict[_K, _V], store: dict[_K, _V], what: str) -> None:
    for key in now.keys() | before.keys():
        mine, earlier = now.get(key), before.get(key)
        if mine is earlier:
            continue
        if store.get(key) is not earlier:
            raise Conflict(f"this {what} was changed meanwhile")


def _publish(now: dict[_K, _V], before: dict[_K, _V], store: dict[_K, _V]) -> None:
    for key in now.keys() | before.keys():
        mine, earlier = now.get(key), before.get(key)
        if mine is earlier:
            continue
        if mine is None:
            store.pop(key, None)
        else:
            store[key] = mine


class InMemorySecuritySession:
    """One unit's view of the security tables: its repositories, commit checks and publishing."""

    def __init__(self, committed: SecurityTables | None = None) -> None:
        """Copy ``committed`` (call under the store's lock)."""
        self._before = committed.copy() if committed is not None else SecurityTables()
        self.tables = self._before.copy()
        self.two_factor = InMemoryTwoFactorRepository(self.tables)
        self.oidc_identities = InMemoryOidcIdentityRepository(self.tables)

    def check(self, store: SecurityTables) -> None:
        """``Conflict`` when a row this unit wrote was written meanwhile by another unit."""
        _check(self.tables.enrolments, self._before.enrolments, store.enrolments, "enrolment")
        _check(
            self.tables.recovery_codes,
            self._before.recovery_codes,
            store.recovery_codes,
            "recovery code",
        )
        _check(self.tables.challenges, self._before.challenges, store.challenges, "challenge")
        _check(self.tables.identities, self._before.identities, store.identities, "identity")

    def publish(self, store: SecurityTables) -> None:
        """Write this unit's changes into the store (call under its lock)."""
        _publish(self.tables.enrolments, self._before.enrolments, store.enrolments)
        _publish(self.tables.recovery_codes, self._before.recovery_codes, store.recovery_codes)
        _publish(self.tables.challenges, self._before.challenges, store.challenges)
        _publish(self.tables.identities, self._before.identities, store.identities)
        self._before = self.tables.copy()


# ----------------------------------------------------------------------------- OIDC services


@attrs.define
class InMemoryOidcStateStore:
    """An ``OidcStateStore`` over a dict, expiring by the injected clock; records what it kept."""

    clock: Clock
    pending: dict[str, tuple[PendingOidcLogin, datetime]] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock, eq=False, repr=False)

    def put(self, key: str, pending: PendingOidcLogin, ttl: timedelta) -> None:
        """Keep ``pending`` until now + ``ttl``."""
        with self.lock:
            self.pending[key] = (pending, self.clock.now() + ttl)

    def take(self, key: str) -> PendingOidcLogin | None:
        """Remove and return what is kept under ``key``, if not expired."""
        with self.lock:
            kept = self.pending.pop(key, None)
        if kept is None or self.clock.now() >= kept[1]:
            return None
        return kept[0]


@attrs.frozen
class FakeIdentity:
    """Who the fake provider signs in."""

    subject: str
    email: str | None
    email_verified: bool = True


@attrs.define
class _Grant:
    state: str
    nonce: str
    code_challenge: str
    redirect_uri: str
    identity: FakeIdentity


@attrs.define
class InMemoryOidcProviders:
    """An ``OidcProviderDirectory`` that plays the providers itself (see the module docstring).

    ``identities`` says whom each provider signs in; ``authorized`` records the authorization
    requests it was sent.
    """

    identities: dict[str, FakeIdentity] = attrs.field(factory=dict)
    base_url: str = "https://idp.invalid"
    authorized: list[dict[str, str]] = attrs.field(factory=list)
    grants: dict[str, _Grant] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock, eq=False, repr=False)

    def names(self) -> tuple[str, ...]:
        """The providers configured."""
        return tuple(sorted(self.identities))

    def authorization_url(
        self, provider: str, *, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        """A URL carrying the request (as a real provider's would)."""
        if provider not in self.identities:
            raise NotFound(f"no identity provider called {provider!r} is configured")
        params = {
            "provider": provider,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "redirect_uri": redirect_uri,
        }
        with self.lock:
            self.authorized.append(params)
        return f"{self.base_url}/{provider}/authorize?{urlencode(params)}"

    def approve(self, authorization_url: str) -> str:
        """Let the configured user sign in at ``authorization_url``; return the callback's code."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        code = uuid.uuid4().hex
        with self.lock:
            self.grants[code] = _Grant(
                state=params["state"],
                nonce=params["nonce"],
                code_challenge=params["code_challenge"],
                redirect_uri=params["redirect_uri"],
                identity=self.identities[params["provider"]],
            )
        return code

    def identify(
        self, provider: str, *, code: str, code_verifier: str, nonce: str, redirect_uri: str
    ) -> ExternalIdentity:
        """The identity behind ``code`` (used once), if the verifier and redirect URI match."""
        if provider not in self.identities:
            raise NotFound(f"no identity provider called {provider!r} is configured")
        with self.lock:
            grant = self.grants.pop(code, None)
        if (
            grant is None
            or grant.code_challenge != pkce_challenge(code_verifier)
            or grant.redirect_uri != redirect_uri
        ):
            raise Unauthenticated("the identity provider did not accept this sign-in")
        del nonce  # the real adapter checks it inside the ID token; the core checks it again
        return ExternalIdentity(
            provider=provider,
            subject=grant.identity.subject,
            email=grant.identity.email,
            email_verified=grant.identity.email_verified,
            nonce=grant.nonce,
        )


__all__ = [
    "FakeIdentity",
    "InMemoryOidcIdentityRepository",
    "InMemoryOidcProviders",
    "InMemoryOidcStateStore",
    "InMemorySecuritySession",
    "InMemoryTwoFactorRepository",
    "SecurityTables",
]
