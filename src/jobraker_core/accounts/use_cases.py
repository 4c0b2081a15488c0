"""Use cases of authentication: register, log in, refresh, log out, passwords, authenticate.

Tokens: a login opens a *session* (a refresh-token family) and hands out a short-lived access
token (a signed JWT naming the session) and an opaque refresh token (stored as a digest). A
refresh consumes its token and hands out the next one of the family; presenting a consumed token
again is taken as theft: the whole family is revoked, in the database and, for the access tokens
already out, in the ``RevocationStore``. Password change, "log out everywhere" and disabling bump
the user's ``token_version``, which every access token carries and every request compares.

Login does not tell whether an email exists: an unknown email costs the same password hash and
gets the same ``Unauthenticated`` as a wrong password, and both count against the same throttle.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Final

import attrs

from jobraker_core.accounts.audit import AppendAuditEvent
from jobraker_core.accounts.identity import Principal, Role
from jobraker_core.accounts.model import (
    REFRESH_TOKEN_PREFIX,
    AccessClaims,
    AuditKind,
    RefreshFamily,
    RefreshToken,
    TokenPair,
    User,
    UserStatus,
    hash_refresh_token,
    lifetime_seconds,
    new_refresh_token,
    normalise_email,
)
from jobraker_core.accounts.passwords import check_password
from jobraker_core.accounts.ports import (
    AccessTokenIssuer,
    AccessTokenVerifier,
    CommonPasswords,
    LoginThrottle,
    PasswordHasher,
    Pseudonymizer,
    RevocationStore,
)
from jobraker_core.accounts.second_factor import SecondFactorGate, SecondFactorRequired
from jobraker_core.clock import Clock
from jobraker_core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

BAD_CREDENTIALS: Final = "the email or password is wrong"
BAD_REFRESH_TOKEN: Final = "the refresh token is invalid, expired or revoked"  # noqa: S105
THROTTLE_ACCOUNT_PURPOSE: Final = "login-account"
THROTTLE_CLIENT_PURPOSE: Final = "login-client"
_UNKNOWN_CLIENT: Final = "unknown-client"


def dummy_password_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password, to verify against when a login names no known account.

    An unknown email then costs as much time as a wrong password.
    """
    return hasher.hash(secrets.token_urlsafe(24))


def _start_session(  # noqa: PLR0917 - an internal helper of the use cases below
    uow: UnitOfWork,
    issuer: AccessTokenIssuer,
    user: User,
    now: datetime,
    refresh_lifetime: timedelta,
    family: RefreshFamily | None = None,
) -> tuple[TokenPair, RefreshFamily]:
    """Hand ``user`` a new token pair in ``family`` (a new family when None)."""
    if family is None:
        family = RefreshFamily(id=uuid.uuid4(), user_id=user.id, created_at=now)
        uow.refresh_tokens.add_family(family)
    raw = new_refresh_token()
    refresh = RefreshToken(
        token_hash=hash_refresh_token(raw),
        family_id=family.id,
        user_id=user.id,
        issued_at=now,
        expires_at=now + refresh_lifetime,
    )
    uow.refresh_tokens.add(refresh)
    access = issuer.issue(user, family.id, now)
    pair = TokenPair(
        access_token=access.token,
        expires_in=lifetime_seconds(now, access.expires_at),
        refresh_token=raw,
        refresh_expires_at=refresh.expires_at,
    )
    return pair, family


# ----------------------------------------------------------------------------- register


@attrs.frozen
class RegisterUser:
    """Sign up with an email and a password."""

    email: str
    password: str = attrs.field(repr=False)
    ip: str | None = None


@attrs.frozen
class CreateUser:
    """An operator (the ``jobraker admin create`` command) makes an account with a role."""

    email: str
    password: str = attrs.field(repr=False)
    role: Role = Role.USER


def _new_user(  # noqa: PLR0917 - an internal helper of the two use cases below
    email: str,
    password: str,
    role: Role,
    hasher: PasswordHasher,
    common: CommonPasswords,
    now: datetime,
) -> User:
    normalised = normalise_email(email)
    check_password(password, email=normalised, common=common)
    return User(
        id=uuid.uuid4(),
        email=normalised,
        role=role,
        status=UserStatus.ACTIVE,
        password_hash=hasher.hash(password),
        created_at=now,
    )


@attrs.frozen
class Register:
    """Creates a user account (role ``user``) after checking the email and the password policy.

    ``InvalidInput`` for a bad email or password, ``Conflict`` when the email is taken.
    """

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    common: CommonPasswords
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self, command: RegisterUser) -> User:
        """Store the new user and return it."""
        user = _new_user(
            command.email, command.password, Role.USER, self.hasher, self.common, self.clock.now()
        )
        with self.uow() as uow:
            uow.users.add(user)
            self.audit(
                uow.audit, AuditKind.REGISTERED, actor_id=user.id, subject_id=user.id, ip=command.ip
            )
            uow.commit()
        return user


@attrs.frozen
class CreateUserAccount:
    """Creates an account with any role, for an operator at the server (no caller identity)."""

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    common: CommonPasswords
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self, command: CreateUser) -> User:
        """Store the new user and return it; ``Conflict`` when the email is taken."""
        user = _new_user(
            command.email,
            command.password,
            command.role,
            self.hasher,
            self.common,
            self.clock.now(),
        )
        with self.uow() as uow:
            uow.users.add(user)
            self.audit(
                uow.audit,
                AuditKind.USER_CREATED_BY_ADMIN,
                subject_id=user.id,
                details={"role": user.role.value, "via": "cli"},
            )
            uow.commit()
        return user


# ----------------------------------------------------------------------------- login


@attrs.frozen
class LogIn:
    """An email and password presented at the login endpoint from address ``ip``."""

    email: str
    password: str = attrs.field(repr=False)
    ip: str | None = None


@attrs.frozen
class LoginResult:
    """The tokens of the new session, and whose they are."""

    tokens: TokenPair
    user: User


@attrs.frozen
class Login:
    """Checks an email and password and opens a session.

    - Too many failures for the account or the client: ``TooManyRequests`` (before the password
      is even looked at).
    - Unknown email or wrong password: ``Unauthenticated`` with the same message, after the same
      work (a dummy hash is verified for unknown emails).
    - A disabled account with the right password: ``Forbidden``.
    - Success: a rehash if the hasher's parameters changed, ``last_login_at`` and a token pair;
      for an account with two-factor sign-in on, a ``SecondFactorRequired`` challenge instead
      (from ``second_factor``; ``CompleteTwoFactorLogin`` then hands out the tokens).
    """

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    issuer: AccessTokenIssuer
    throttle: LoginThrottle
    pseudonymizer: Pseudonymizer
    clock: Clock
    audit: AppendAuditEvent
    dummy_hash: str = attrs.field(repr=False)
    refresh_lifetime: timedelta
    second_factor: SecondFactorGate | None = None

    def __call__(self, command: LogIn) -> LoginResult | SecondFactorRequired:
        """Return the new session's tokens; raise as described above."""
        try:
            email = normalise_email(command.email)
        except InvalidInput:
            email = command.email.strip().lower()[:320]
        account = self.pseudonymizer.pseudonym(THROTTLE_ACCOUNT_PURPOSE, email)
        client = self.pseudonymizer.pseudonym(
            THROTTLE_CLIENT_PURPOSE, command.ip or _UNKNOWN_CLIENT
        )
        wait = self.throttle.check(account, client)
        with self.uow() as uow:
            user = uow.users.by_email(email)
            if wait > 0:
                self.audit(
                    uow.audit,
                    AuditKind.LOGIN_THROTTLED,
                    subject_id=user.id if user else None,
                    ip=command.ip,
                )
                uow.commit()
                raise TooManyRequests(
                    "too many failed logins; wait before trying again", retry_after=wait
                )
            known = user is not None and user.password_hash is not None
            password_hash = user.password_hash if user and user.password_hash else self.dummy_hash
            matches = self.hasher.verify(password_hash, command.password) and known
            if not matches or user is None:
                self.throttle.record_failure(account, client)
                self.audit(
                    uow.audit,
                    AuditKind.LOGIN_FAILED,
                    subject_id=user.id if user else None,
                    ip=command.ip,
                    details={"reason": "bad_password" if user else "unknown_account"},
                )
                uow.commit()
                raise Unauthenticated(BAD_CREDENTIALS)
            self.throttle.reset(account)
            if not user.is_active:
                self.audit(
                    uow.audit,
                    AuditKind.LOGIN_FAILED,
                    subject_id=user.id,
                    ip=command.ip,
                    details={"reason": "disabled"},
                )
                uow.commit()
                raise Forbidden("this account is disabled; contact an administrator")
            return self._succeed(uow, user, password_hash, command)

    def _succeed(
        self, uow: UnitOfWork, user: User, password_hash: str, command: LogIn
    ) -> LoginResult | SecondFactorRequired:
        now = self.clock.now()
        if self.hasher.needs_rehash(password_hash):
            new_hash = self.hasher.hash(command.password)
            if uow.users.replace_password_hash(user.id, old=password_hash, new=new_hash):
                user = user.with_password_hash(new_hash)
                self.audit(
                    uow.audit, AuditKind.PASSWORD_REHASHED, actor_id=user.id, subject_id=user.id
                )
        if self.second_factor is not None:
            required = self.second_factor.challenge(uow, user, command.ip)
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
            ip=command.ip,
            details={"session": str(family.id)},
        )
        uow.commit()
        return LoginResult(tokens=pair, user=user)


# ----------------------------------------------------------------------------- refresh


@attrs.frozen
class RefreshTokens:
    """A refresh token presented for rotation from address ``ip``."""

    refresh_token: str = attrs.field(repr=False)
    ip: str | None = None


@attrs.frozen
class Refresh:
    """Rotates a refresh token: consumes it, returns the family's next one and an access token.

    ``Unauthenticated`` for an unknown, expired or revoked token, or one of a user who may no
    longer sign in. Presenting a token that was already consumed revokes its whole family (and
    the family's access tokens) before answering ``Unauthenticated``.
    """

    uow: UnitOfWorkFactory
    issuer: AccessTokenIssuer
    revocations: RevocationStore
    clock: Clock
    audit: AppendAuditEvent
    refresh_lifetime: timedelta
    access_lifetime: timedelta

    def __call__(self, command: RefreshTokens) -> TokenPair:
        """Return the next token pair of the session."""
        token = command.refresh_token
        if not token.startswith(REFRESH_TOKEN_PREFIX):
            raise Unauthenticated(BAD_REFRESH_TOKEN)
        digest = hash_refresh_token(token)
        now = self.clock.now()
        with self.uow() as uow:
            stored = uow.refresh_tokens.get(digest)
            if stored is None:
                raise Unauthenticated(BAD_REFRESH_TOKEN)
            family = uow.refresh_tokens.get_family(stored.family_id, for_update=True)
            if family is None or family.revoked:
                raise Unauthenticated(BAD_REFRESH_TOKEN)
            if stored.consumed_at is not None or not uow.refresh_tokens.consume(digest, now):
                self._revoke_family(uow, family, command.ip, now)
                raise Unauthenticated(BAD_REFRESH_TOKEN)
            if stored.expired(now):
                raise Unauthenticated(BAD_REFRESH_TOKEN)
            try:
                user = uow.users.get(stored.user_id)
            except NotFound:
                raise Unauthenticated(BAD_REFRESH_TOKEN) from None
            if not user.is_active:
                raise Unauthenticated(BAD_REFRESH_TOKEN)
            pair, _ = _start_session(uow, self.issuer, user, now, self.refresh_lifetime, family)
            uow.commit()
            return pair

    def _revoke_family(
        self, uow: UnitOfWork, family: RefreshFamily, ip: str | None, now: datetime
    ) -> None:
        uow.refresh_tokens.revoke_family(family.id, now)
        self.audit(
            uow.audit,
            AuditKind.TOKEN_REUSE_DETECTED,
            subject_id=family.user_id,
            ip=ip,
            details={"session": str(family.id)},
        )
        uow.commit()
        self.revocations.revoke_session(family.id, now + self.access_lifetime, now)


# ----------------------------------------------------------------------------- authenticate


@attrs.frozen
class Authenticated:
    """Who presented an access token, and what the token said."""

    principal: Principal
    claims: AccessClaims


@attrs.frozen
class Authenticate:
    """Turns an access token into the caller's ``Principal``.

    ``Unauthenticated`` unless the token verifies (signature, algorithm, issuer, audience, time
    window, claims), was not revoked (itself, its session, or its user's older versions), its
    user exists and is active, and its ``token_version`` is the user's current one. The role in
    the principal is the user's current role, not the one in the token.
    """

    uow: UnitOfWorkFactory
    verifier: AccessTokenVerifier
    revocations: RevocationStore
    clock: Clock

    def __call__(self, token: str) -> Authenticated:
        """Return the caller behind ``token``."""
        claims = self.verifier.verify(token, self.clock.now())
        if self.revocations.is_revoked(claims):
            raise Unauthenticated("the token was revoked")
        with self.uow() as uow:
            try:
                user = uow.users.get(claims.user_id)
            except NotFound:
                raise Unauthenticated("the token's account no longer exists") from None
        if not user.is_active:
            raise Unauthenticated("the account is disabled")
        if user.token_version != claims.token_version:
            raise Unauthenticated("the token was revoked")
        return Authenticated(principal=user.principal(claims.token_id), claims=claims)


# ----------------------------------------------------------------------------- logout


@attrs.frozen
class Logout:
    """Ends the caller's session: its access token and its refresh-token family are revoked."""

    uow: UnitOfWorkFactory
    revocations: RevocationStore
    clock: Clock
    audit: AppendAuditEvent
    access_lifetime: timedelta

    def __call__(self, claims: AccessClaims, ip: str | None = None) -> None:
        """Revoke the session of the access token described by ``claims``."""
        now = self.clock.now()
        with self.uow() as uow:
            uow.refresh_tokens.revoke_family(claims.session_id, now)
            self.audit(
                uow.audit,
                AuditKind.LOGGED_OUT,
                actor_id=claims.user_id,
                subject_id=claims.user_id,
                ip=ip,
                details={"session": str(claims.session_id)},
            )
            uow.commit()
        self.revocations.revoke_token(claims.token_id, claims.expires_at, now)
        self.revocations.revoke_session(claims.session_id, now + self.access_lifetime, now)


def _revoke_everything(uow: UnitOfWork, user: User, now: datetime) -> User:
    """Bump the user's token version and revoke every session; return the updated user."""
    revoked = user.revoking_tokens()
    uow.users.update(revoked)
    uow.refresh_tokens.revoke_user_families(user.id, now)
    return revoked


@attrs.frozen
class LogoutEverywhere:
    """Ends every session of the caller, on every device."""

    uow: UnitOfWorkFactory
    revocations: RevocationStore
    clock: Clock
    audit: AppendAuditEvent
    access_lifetime: timedelta

    def __call__(self, principal: Principal, ip: str | None = None) -> None:
        """Revoke all of the caller's tokens."""
        now = self.clock.now()
        with self.uow() as uow:
            user = _revoke_everything(uow, uow.users.get(principal.user_id, for_update=True), now)
            self.audit(
                uow.audit,
                AuditKind.LOGGED_OUT_EVERYWHERE,
                actor_id=user.id,
                subject_id=user.id,
                ip=ip,
            )
            uow.commit()
        self.revocations.revoke_user(user.id, user.token_version, now + self.access_lifetime, now)


# ----------------------------------------------------------------------------- password


@attrs.frozen
class ChangePasswordCommand:
    """The caller's current password and the one it wants instead."""

    current_password: str = attrs.field(repr=False)
    new_password: str = attrs.field(repr=False)
    ip: str | None = None


@attrs.frozen
class ChangePassword:
    """Changes the caller's password; every token issued before dies, and a new session starts.

    A wrong current password is ``InvalidInput`` on ``current_password`` and counts as a failed
    login for the throttle (so a stolen access token cannot be used to guess the password);
    ``TooManyRequests`` once the throttle locks. The new password must follow the policy and
    differ from the current one.
    """

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    common: CommonPasswords
    issuer: AccessTokenIssuer
    revocations: RevocationStore
    throttle: LoginThrottle
    pseudonymizer: Pseudonymizer
    clock: Clock
    audit: AppendAuditEvent
    refresh_lifetime: timedelta
    access_lifetime: timedelta

    def __call__(self, principal: Principal, command: ChangePasswordCommand) -> TokenPair:
        """Store the new password and return the tokens of a new session."""
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(principal.user_id, for_update=True)
            account = self.pseudonymizer.pseudonym(THROTTLE_ACCOUNT_PURPOSE, user.email)
            client = self.pseudonymizer.pseudonym(
                THROTTLE_CLIENT_PURPOSE, command.ip or _UNKNOWN_CLIENT
            )
            wait = self.throttle.check(account, client)
            if wait > 0:
                raise TooManyRequests(
                    "too many wrong passwords; wait before trying again", retry_after=wait
                )
            if user.password_hash is None or not self.hasher.verify(
                user.password_hash, command.current_password
            ):
                self.throttle.record_failure(account, client)
                raise InvalidInput("the current password is wrong", field="current_password")
            self.throttle.reset(account)
            check_password(
                command.new_password, email=user.email, common=self.common, field="new_password"
            )
            if command.new_password == command.current_password:
                raise InvalidInput(
                    "the new password must differ from the current one", field="new_password"
                )
            user = user.with_new_password(self.hasher.hash(command.new_password))
            uow.users.update(user)
            uow.refresh_tokens.revoke_user_families(user.id, now)
            self.audit(
                uow.audit,
                AuditKind.PASSWORD_CHANGED,
                actor_id=user.id,
                subject_id=user.id,
                ip=command.ip,
            )
            pair, _ = _start_session(uow, self.issuer, user, now, self.refresh_lifetime)
            uow.commit()
        self.revocations.revoke_user(user.id, user.token_version, now + self.access_lifetime, now)
        return pair


__all__ = [
    "BAD_CREDENTIALS",
    "Authenticate",
    "Authenticated",
    "ChangePassword",
    "ChangePasswordCommand",
    "CreateUser",
    "CreateUserAccount",
    "LogIn",
    "Login",
    "LoginResult",
    "Logout",
    "LogoutEverywhere",
    "Refresh",
    "RefreshTokens",
    "Register",
    "RegisterUser",
    "dummy_password_hash",
]
