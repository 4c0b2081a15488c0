"""The accounts model: users, their refresh-token sessions, access-token claims, audit events.

Values are frozen; a ``User`` changes through methods that return the new state. Secrets never
live here in the clear except for the moment they are made: a refresh token is handed to the
caller once (``IssuedRefreshToken.token``) and stored only as its SHA-256 digest.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Final

import attrs

from jobraker_core.accounts.identity import Principal, Role
from jobraker_core.errors import InvalidInput

MAX_EMAIL_LENGTH: Final = 254
REFRESH_TOKEN_PREFIX: Final = "jrr_"  # noqa: S105 - a public marker, not a secret
_REFRESH_TOKEN_BYTES: Final = 32
_LOCAL_PART: Final = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_DOMAIN_LABEL: Final = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _aware(_instance: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


def _aware_or_none(
    _instance: object, attribute: attrs.Attribute[datetime | None], value: datetime | None
) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


def normalise_email(raw: str) -> str:
    """Return ``raw`` trimmed and lower-cased.

    Raises ``InvalidInput`` (field ``email``) when it is not a plausible address
    (``local@domain.tld``, at most 254 characters, ASCII).
    """
    email = raw.strip().lower()
    if not email:
        raise InvalidInput("an email address is required", field="email")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidInput(
            f"the email address is longer than {MAX_EMAIL_LENGTH} characters", field="email"
        )
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not _LOCAL_PART.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2  # noqa: PLR2004 - a domain and a top-level domain
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidInput("this is not a valid email address", field="email")
    return email


class UserStatus(enum.StrEnum):
    """Whether a user may sign in: ``active`` may, ``disabled`` (by an admin) may not."""

    ACTIVE = "active"
    DISABLED = "disabled"


@attrs.frozen
class User:
    """An account.

    ``token_version`` invalidates every token issued before it was bumped (password change,
    "log out everywhere", disabling).
    """

    id: uuid.UUID
    email: str
    role: Role
    status: UserStatus
    password_hash: str | None = attrs.field(repr=False)
    created_at: datetime = attrs.field(validator=_aware)
    token_version: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    last_login_at: datetime | None = attrs.field(default=None, validator=_aware_or_none)

    @property
    def is_active(self) -> bool:
        """Whether the account may sign in and use its tokens."""
        return self.status is UserStatus.ACTIVE

    def principal(self, token_id: str) -> Principal:
        """The identity of this user presenting the access token ``token_id``."""
        return Principal(user_id=self.id, role=self.role, token_id=token_id)

    def with_password_hash(self, password_hash: str) -> User:
        """The user with a new hash of the *same* password (a rehash): tokens stay valid."""
        return attrs.evolve(self, password_hash=password_hash)

    def with_new_password(self, password_hash: str) -> User:
        """The user with a new password: every token issued before is revoked."""
        return attrs.evolve(self, password_hash=password_hash, token_version=self.token_version + 1)

    def revoking_tokens(self) -> User:
        """The user with every token issued so far revoked."""
        return attrs.evolve(self, token_version=self.token_version + 1)

    def logged_in(self, when: datetime) -> User:
        """The user after a successful login at ``when``."""
        return attrs.evolve(self, last_login_at=when)

    def disabled(self) -> User:
        """The user disabled by an admin; its tokens die with it."""
        if self.status is UserStatus.DISABLED:
            return self
        return attrs.evolve(self, status=UserStatus.DISABLED, token_version=self.token_version + 1)

    def enabled(self) -> User:
        """The user enabled again (tokens revoked by disabling stay revoked)."""
        return attrs.evolve(self, status=UserStatus.ACTIVE)

    def with_role(self, role: Role) -> User:
        """The user with ``role``."""
        return attrs.evolve(self, role=role)


@attrs.frozen
class UserQuery:
    """Which users an admin lists: ``email_contains`` is a case-insensitive substring."""

    email_contains: str | None = None


# ----------------------------------------------------------------------------- tokens


def hash_refresh_token(token: str) -> str:
    """The SHA-256 digest (hex) under which a refresh token is stored.

    A refresh token carries 256 random bits, so an unsalted fast hash is enough: the digest
    cannot be reversed, and a leaked table cannot be replayed.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_refresh_token() -> str:
    """A fresh opaque refresh token (prefix ``jrr_`` + 256 random bits, URL-safe)."""
    return REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(_REFRESH_TOKEN_BYTES)


@attrs.frozen
class RefreshFamily:
    """A login session: the chain of refresh tokens rotated from one login.

    Reusing a consumed token of the family revokes the whole family (RFC 6819 §5.2.2.3,
    OAuth 2.0 Security BCP §4.14).
    """

    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime = attrs.field(validator=_aware)
    revoked_at: datetime | None = attrs.field(default=None, validator=_aware_or_none)

    @property
    def revoked(self) -> bool:
        """Whether the session has ended."""
        return self.revoked_at is not None

    def revoke(self, when: datetime) -> RefreshFamily:
        """The family revoked at ``when`` (the first revocation time stays)."""
        return self if self.revoked_at else attrs.evolve(self, revoked_at=when)


@attrs.frozen
class RefreshToken:
    """One stored refresh token: only its digest, its family, lifetime and whether it was used."""

    token_hash: str = attrs.field(repr=False)
    family_id: uuid.UUID
    user_id: uuid.UUID
    issued_at: datetime = attrs.field(validator=_aware)
    expires_at: datetime = attrs.field(validator=_aware)
    consumed_at: datetime | None = attrs.field(default=None, validator=_aware_or_none)

    def consume(self, when: datetime) -> RefreshToken:
        """The token marked as used at ``when``."""
        return attrs.evolve(self, consumed_at=when)

    def expired(self, now: datetime) -> bool:
        """Whether the token's lifetime is over at ``now``."""
        return now >= self.expires_at


@attrs.frozen
class AccessClaims:
    """What a verified access token says: whose it is, its id, its session and its version."""

    user_id: uuid.UUID
    role: Role
    token_id: str
    session_id: uuid.UUID
    token_version: int
    issued_at: datetime = attrs.field(validator=_aware)
    expires_at: datetime = attrs.field(validator=_aware)


@attrs.frozen
class IssuedAccessToken:
    """A freshly signed access token, its id and when it expires."""

    token: str = attrs.field(repr=False)
    token_id: str
    expires_at: datetime = attrs.field(validator=_aware)


@attrs.frozen
class TokenPair:
    """What a login or a refresh hands out."""

    access_token: str = attrs.field(repr=False)
    expires_in: int
    refresh_token: str = attrs.field(repr=False)
    refresh_expires_at: datetime = attrs.field(validator=_aware)


def lifetime_seconds(issued: datetime, expires: datetime) -> int:
    """Whole seconds from ``issued`` to ``expires`` (never negative)."""
    return max(0, int((expires - issued) / timedelta(seconds=1)))


# ----------------------------------------------------------------------------- audit


class AuditKind(enum.StrEnum):
    """The security events the audit log records."""

    REGISTERED = "registered"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGGED_OUT = "logged_out"
    LOGGED_OUT_EVERYWHERE = "logged_out_everywhere"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name, not a secret
    PASSWORD_REHASHED = "password_rehashed"  # noqa: S105 - likewise
    TOKEN_REUSE_DETECTED = "token_reuse_detected"  # noqa: S105 - likewise
    USER_CREATED_BY_ADMIN = "user_created_by_admin"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    ROLE_CHANGED = "role_changed"
    # two-factor sign-in, OIDC sign-in, privacy (jobraker_core.accounts.twofactor, oidc, privacy)
    TWO_FACTOR_ENROLMENT_STARTED = "two_factor_enrolment_started"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    TWO_FACTOR_CHALLENGED = "two_factor_challenged"
    TWO_FACTOR_FAILED = "two_factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    OIDC_LINKED = "oidc_linked"
    DATA_EXPORTED = "data_exported"
    ACCOUNT_ERASED = "account_erased"
    SECRETS_ROTATED = "secrets_rotated"
    # a vendor callback with a bad signature (jobraker_core.applications.submitting)
    WEBHOOK_SIGNATURE_REJECTED = "webhook_signature_rejected"
    # moderation of job postings (jobraker_core.moderation)
    JOB_FLAG_CONFIRMED = "job_flag_confirmed"
    JOB_FLAG_DISMISSED = "job_flag_dismissed"


@attrs.frozen
class AuditEvent:
    """One append-only audit record.

    It names people only by id: ``actor_id`` did it, ``subject_id`` is the account it concerns,
    ``ip`` is a keyed pseudonym of the client address (never the address), and ``details`` holds
    non-personal facts such as a reason code or a role.
    """

    id: uuid.UUID
    occurred_at: datetime = attrs.field(validator=_aware)
    kind: AuditKind
    actor_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    ip: str | None = None
    details: tuple[tuple[str, str], ...] = ()

    def detail(self, name: str) -> str | None:
        """The detail called ``name``, if recorded."""
        return dict(self.details).get(name)


@attrs.frozen
class AuditQuery:
    """Which audit events an admin lists: about or by ``user_id``, of ``kind``. Newest first."""

    user_id: uuid.UUID | None = None
    kind: AuditKind | None = None
