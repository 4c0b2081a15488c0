"""Sign-in with an external identity provider (OAuth 2.0 / OpenID Connect).

The authorization-code flow with PKCE (S256), ``state`` and ``nonce``:

1. ``StartOidcLogin`` makes a random ``state``, ``nonce`` and PKCE verifier, keeps them
   server-side under a digest of the state (``OidcStateStore``: single use, ten minutes), and
   answers the provider's authorization URL to redirect the browser to.
2. The provider sends the browser back with ``code`` and ``state``. ``FinishOidcLogin`` takes the
   pending login out of the store (a replayed or forged state finds nothing), has the
   ``OidcProviderDirectory`` exchange the code with the verifier and verify the identity (ID
   token signature, issuer, audience, expiry, nonce; or the provider's user API), then signs the
   person in.

Who the person is: an identity (provider, subject) linked before signs in to its account. A new
identity is linked to the account with the same email **only if the provider says the email is
verified**; with no such account, one is created (without a password). An identity whose email
is missing or unverified is refused either way: the email is an account's unique key, and an
unverified one would let anybody claim somebody else's address. Accounts with two-factor sign-in
on get the same ``SecondFactorRequired`` challenge as after a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Final, Protocol

import attrs

from jobraker_core.accounts.audit import AppendAuditEvent
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import AuditKind, User, UserStatus, normalise_email
from jobraker_core.accounts.ports import AccessTokenIssuer
from jobraker_core.accounts.second_factor import SecondFactorGate, SecondFactorRequired
from jobraker_core.accounts.use_cases import (
    LoginResult,
    _start_session,
)
from jobraker_core.clock import Clock
from jobraker_core.errors import Forbidden, InvalidInput, Unauthenticated
from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

STATE_LIFETIME: Final = timedelta(minutes=10)
MAX_STATE_LENGTH: Final = 256
BAD_STATE: Final = "the sign-in link is invalid, was used already or has expired; start again"
UNVERIFIED_EMAIL: Final = (
    "the identity provider did not confirm an email address for this account; sign in another "
    "way or confirm the address with the provider first"
)


def _aware(_instance: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


# ----------------------------------------------------------------------------- PKCE, state


def new_pkce_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636 §4.1: 43 to 128 unreserved characters; here 64)."""
    return secrets.token_urlsafe(48)


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def state_key(state: str) -> str:
    """The digest a pending login is kept under (the state itself is never stored)."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- model


@attrs.frozen
class ExternalIdentity:
    """Who the provider says signed in: a stable subject id and, perhaps, a verified email.

    ``nonce`` is the ID token's nonce (None for plain OAuth 2.0 providers such as GitHub).
    """

    provider: str
    subject: str
    email: str | None = attrs.field(default=None, repr=False)
    email_verified: bool = False
    nonce: str | None = attrs.field(default=None, repr=False)


@attrs.frozen
class PendingOidcLogin:
    """What ``StartOidcLogin`` keeps for the callback: the provider, nonce and PKCE verifier."""

    provider: str
    nonce: str = attrs.field(repr=False)
    code_verifier: str = attrs.field(repr=False)
    redirect_uri: str
    created_at: datetime = attrs.field(validator=_aware)


@attrs.frozen
class OidcIdentity:
    """An external identity linked to an account."""

    provider: str
    subject: str
    user_id: uuid.UUID
    email: str | None = attrs.field(repr=False)
    linked_at: datetime = attrs.field(validator=_aware)


# ----------------------------------------------------------------------------- ports


class OidcProviderDirectory(Protocol):
    """The configured identity providers and the HTTP conversations with them."""

    def names(self) -> tuple[str, ...]:
        """The providers one can sign in with."""
        ...

    def authorization_url(
        self, provider: str, *, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        """The URL that asks ``provider`` to authenticate the user (``NotFound`` if unknown)."""
        ...

    def identify(
        self, provider: str, *, code: str, code_verifier: str, nonce: str, redirect_uri: str
    ) -> ExternalIdentity:
        """Exchange ``code`` and return the verified identity.

        ``Unauthenticated`` when the provider refuses the code or the identity does not verify
        (signature, issuer, audience, expiry, nonce); ``UpstreamUnavailable`` when it cannot be
        reached; ``NotFound`` for an unknown provider.
        """
        ...


class OidcStateStore(Protocol):
    """Pending sign-ins by state digest, each taken at most once, forgotten after a TTL."""

    def put(self, key: str, pending: PendingOidcLogin, ttl: timedelta) -> None:
        """Keep ``pending`` under ``key`` for ``ttl``."""
        ...

    def take(self, key: str) -> PendingOidcLogin | None:
        """Remove and return what is kept under ``key`` (None if nothing, used or expired)."""
        ...


class OidcIdentityRepository(Protocol):
    """Links of external identities to accounts (``uow.oidc_identities``)."""

    def get(self, provider: str, subject: str) -> OidcIdentity | None:
        """The link of this identity, if any."""
        ...

    def add(self, identity: OidcIdentity) -> None:
        """Store a new link; ``Conflict`` if the identity is linked already."""
        ...

    def for_user(self, user_id: uuid.UUID) -> list[OidcIdentity]:
        """The identities linked to the user, oldest first."""
        ...


# ----------------------------------------------------------------------------- use cases


@attrs.frozen
class StartOidcLogin:
    """Begins a sign-in with ``provider``: returns the URL to send the browser to."""

    providers: OidcProviderDirectory
    states: OidcStateStore
    clock: Clock

    def __call__(self, provider: str, redirect_uri: str) -> str:
        """Keep a new pending login and return the provider's authorization URL."""
        if provider not in self.providers.names():
            raise InvalidInput(f"no identity provider called {provider!r} is configured")
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = new_pkce_verifier()
        url = self.providers.authorization_url(
            provider,
            state=state,
            nonce=nonce,
            code_challenge=pkce_challenge(verifier),
            redirect_uri=redirect_uri,
        )
        pending = PendingOidcLogin(
            provider=provider,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            created_at=self.clock.now(),
        )
        self.states.put(state_key(state), pending, STATE_LIFETIME)
        return url


@attrs.frozen
class FinishOidc:
    """The provider's answer at the callback: the code, the state, from address ``ip``."""

    provider: str
    code: str = attrs.field(repr=False)
    state: str = attrs.field(repr=False)
    ip: str | None = None


@attrs.frozen
class FinishOidcLogin:
    """Completes a sign-in: checks the state, verifies the identity, links it, opens a session.

    ``Unauthenticated`` for an unknown, replayed or expired state, a state of another provider,
    or an identity that does not verify; ``Forbidden`` for an identity without a verified email
    that is not linked yet, and for a disabled account. Accounts with 2FA on get a challenge.
    """

    uow: UnitOfWorkFactory
    providers: OidcProviderDirectory
    states: OidcStateStore
    issuer: AccessTokenIssuer
    gate: SecondFactorGate
    clock: Clock
    audit: AppendAuditEvent
    refresh_lifetime: timedelta

    def __call__(self, command: FinishOidc) -> LoginResult | SecondFactorRequired:
        """Return the new session's tokens, or the second-factor challenge."""
        if not command.state or len(command.state) > MAX_STATE_LENGTH:
            raise Unauthenticated(BAD_STATE)
        pending = self.states.take(state_key(command.state))
        if pending is None or pending.provider != command.provider:
            raise Unauthenticated(BAD_STATE)
        if self.clock.now() >= pending.created_at + STATE_LIFETIME:
            raise Unauthenticated(BAD_STATE)
        identity = self.providers.identify(
            command.provider,
            code=command.code,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
            redirect_uri=pending.redirect_uri,
        )
        if identity.provider != command.provider or (
            identity.nonce is not None and not hmac.compare_digest(identity.nonce, pending.nonce)
        ):
            raise Unauthenticated("the identity provider's answer does not match this sign-in")
        return self._sign_in(identity, command.ip)

    def _sign_in(
        self, identity: ExternalIdentity, ip: str | None
    ) -> LoginResult | SecondFactorRequired:
        now = self.clock.now()
        with self.uow() as uow:
            link = uow.oidc_identities.get(identity.provider, identity.subject)
            if link is not None:
                user = uow.users.get(link.user_id)
            else:
                user = self._link(uow, identity, ip, now)
            if not user.is_active:
                self.audit(
                    uow.audit,
                    AuditKind.LOGIN_FAILED,
                    subject_id=user.id,
                    ip=ip,
                    details={"reason": "disabled", "via": identity.provider},
                )
                uow.commit()
                raise Forbidden("this account is disabled; contact an administrator")
            required = self.gate.challenge(uow, user, ip)
            if required is not None:
                uow.commit()
                return required
            uow.users.record_login(user.id, now)
            user = user.logged_in(now)
            pair, family = _start_session(uow, self.issuer, user, now, self.refresh_lifetime)
            self.audit(
                uow.audit,
                AuditKind.LOGIN_SUCCEEDED,
                actor_id=user.id,
                subject_id=user.id,
                ip=ip,
                details={"session": str(family.id), "via": identity.provider},
            )
            uow.commit()
        return LoginResult(tokens=pair, user=user)

    def _link(
        self, uow: UnitOfWork, identity: ExternalIdentity, ip: str | None, now: datetime
    ) -> User:
        if not identity.email or not identity.email_verified:
            raise Forbidden(UNVERIFIED_EMAIL)
        try:
            email = normalise_email(identity.email)
        except InvalidInput:
            raise Forbidden(UNVERIFIED_EMAIL) from None
        user = uow.users.by_email(email)
        if user is None:
            user = User(
                id=uuid.uuid4(),
                email=email,
                role=Role.USER,
                status=UserStatus.ACTIVE,
                password_hash=None,
                created_at=now,
            )
            uow.users.add(user)
            self.audit(
                uow.audit,
                AuditKind.REGISTERED,
                actor_id=user.id,
                subject_id=user.id,
                ip=ip,
                details={"via": identity.provider},
            )
        uow.oidc_identities.add(
            OidcIdentity(
                provider=identity.provider,
                subject=identity.subject,
                user_id=user.id,
                email=email,
                linked_at=now,
            )
        )
        self.audit(
            uow.audit,
            AuditKind.OIDC_LINKED,
            actor_id=user.id,
            subject_id=user.id,
            ip=ip,
            details={"provider": identity.provider},
        )
        return user


__all__ = [
    "ExternalIdentity",
    "FinishOidc",
    "FinishOidcLogin",
    "OidcIdentity",
    "OidcIdentityRepository",
    "OidcProviderDirectory",
    "OidcStateStore",
    "PendingOidcLogin",
    "StartOidcLogin",
    "pkce_challenge",
    "state_key",
]
