"""Two-factor sign-in: TOTP codes (RFC 6238), single-use recovery codes, secrets sealed at rest.

The life of a second factor:

1. **Enrol** (``StartTotpEnrolment``): a new random seed, sealed by the ``SecretBox``
   (AES-256-GCM, bound to its row) before it is stored, and handed to the caller once with its
   ``otpauth://`` URI. It is *pending*: logins do not ask for it yet.
2. **Confirm** (``ConfirmTotpEnrolment``): a valid code switches it on and answers ten recovery
   codes, once; only their digests are stored.
3. **Log in**: the password step (``Login`` with a ``TwoFactorGate``) answers a short-lived
   *challenge* (``SecondFactorRequired``) instead of tokens; ``CompleteTwoFactorLogin`` exchanges
   the challenge and a code (or a recovery code) for the tokens.
4. **Disable** (``DisableTotp``): needs the password *and* a code.

Codes: only the current 30-second step and the previous one are accepted (a clock a little
behind the phone's, or a code typed as it rolled over), never a future one. A code works once:
every accepted code moves ``last_used_step`` forward with a conditional write
(``TwoFactorRepository.claim_step``), so the same code - or an older one - is refused afterwards,
also when two requests race with it. Wrong codes count against the login throttle of the account
(by a pseudonym of its id) and of the client, so at most five guesses per quarter of an hour get
through; a challenge also dies after five wrong codes. Every change and every failure is audited.

Secrets at rest: ``SecretBox`` seals each value with associated data naming the table, the
column and the row (``SecretBinding``), so a ciphertext copied to another row does not open.
``RotateSecrets`` re-seals everything sealed under an older key with the current one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, NoReturn, Protocol

import attrs

from jobraker_core.accounts.audit import AppendAuditEvent
from jobraker_core.accounts.identity import Principal
from jobraker_core.accounts.model import AuditKind, User
from jobraker_core.accounts.ports import (
    AccessTokenIssuer,
    LoginThrottle,
    PasswordHasher,
    Pseudonymizer,
)
from jobraker_core.accounts.second_factor import SecondFactorRequired
from jobraker_core.accounts.use_cases import (
    THROTTLE_CLIENT_PURPOSE,
    LoginResult,
    _start_session,
)
from jobraker_core.clock import Clock
from jobraker_core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from collections.abc import Sequence

STEP_SECONDS: Final = 30
CODE_DIGITS: Final = 6
ACCEPTED_PAST_STEPS: Final = 1  # the previous step; never a future one
RECOVERY_CODE_COUNT: Final = 10
RECOVERY_CODE_GROUPS: Final = 4
RECOVERY_CODE_GROUP_LENGTH: Final = 4
# 32 letters and digits without the look-alikes 0/o and 1/l: 5 bits each, 80 bits a code.
RECOVERY_ALPHABET: Final = "abcdefghijkmnpqrstuvwxyz23456789"
CHALLENGE_PREFIX: Final = "jr2fa_"
CHALLENGE_LIFETIME: Final = timedelta(minutes=5)
MAX_CHALLENGE_ATTEMPTS: Final = 5
TOTP_ISSUER: Final = "Jobraker"
THROTTLE_SECOND_FACTOR_PURPOSE: Final = "second-factor-account"
TOTP_SECRET_TABLE: Final = "two_factor_enrolments"  # noqa: S105 - a table name
TOTP_SECRET_COLUMN: Final = "totp_secret"  # noqa: S105 - a column name, not a secret
BAD_CHALLENGE: Final = "the two-factor challenge is invalid, used or expired; log in again"
BAD_CODE: Final = "the code is wrong or was already used"
_ROTATION_BATCH: Final = 200


def _aware(_instance: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


def _aware_or_none(
    _instance: object, attribute: attrs.Attribute[datetime | None], value: datetime | None
) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


# ----------------------------------------------------------------------------- secrets at rest


@attrs.frozen
class SecretBinding:
    """Where a sealed value lives: its table, its column and its row's id.

    It is the associated data of the encryption: the ciphertext opens only for the same three.
    """

    table: str
    column: str
    row_id: str

    def associated_data(self) -> bytes:
        """The bytes authenticated with the ciphertext (NUL-separated, so fields cannot blur)."""
        return f"{self.table}\x00{self.column}\x00{self.row_id}".encode()


def totp_binding(user_id: uuid.UUID) -> SecretBinding:
    """The binding of a user's TOTP seed."""
    return SecretBinding(TOTP_SECRET_TABLE, TOTP_SECRET_COLUMN, str(user_id))


class SecretBox(Protocol):
    """Seals secrets for storage: authenticated encryption under a key id, bound to a row.

    Production: AES-256-GCM with a keyring (a current key and older ones kept for opening).
    """

    @property
    def current_key_id(self) -> str:
        """The id of the key new values are sealed with."""
        ...

    def seal(self, plaintext: bytes, binding: SecretBinding) -> bytes:
        """Encrypt ``plaintext`` for the row ``binding`` names, under the current key."""
        ...

    def open(self, sealed: bytes, binding: SecretBinding) -> bytes:
        """Decrypt a value sealed for ``binding``.

        ``SecretUnreadable`` when it was altered, sealed for another row, or its key is unknown.
        """
        ...

    def key_id_of(self, sealed: bytes) -> str:
        """The id of the key ``sealed`` was sealed with; ``SecretUnreadable`` if malformed."""
        ...


# ----------------------------------------------------------------------------- TOTP


class TotpGenerator(Protocol):
    """The TOTP algorithm (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps)."""

    def new_secret(self) -> str:
        """A new random seed (base32, 160 bits)."""
        ...

    def code(self, secret: str, step: int) -> str:
        """The code of ``secret`` for time step ``step``."""
        ...

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        """The ``otpauth://totp/...`` URI an authenticator app reads (usually from a QR code)."""
        ...


def time_step(when: datetime) -> int:
    """The TOTP time step ``when`` falls in."""
    return int(when.timestamp()) // STEP_SECONDS


def normalise_code(raw: str) -> str | None:
    """``raw`` without spaces if it looks like a code (six digits); else None."""
    code = "".join(raw.split())
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


def matching_step(generator: TotpGenerator, secret: str, code: str, now: datetime) -> int | None:
    """The step whose code ``code`` is: the current one or the previous one; None for neither.

    Both are compared in constant time, whichever matches.
    """
    wanted = normalise_code(code)
    if wanted is None:
        return None
    current = time_step(now)
    found = None
    for step in range(current, current - ACCEPTED_PAST_STEPS - 1, -1):
        if hmac.compare_digest(generator.code(secret, step), wanted) and found is None:
            found = step
    return found


# ----------------------------------------------------------------------------- recovery codes


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> tuple[str, ...]:
    """``count`` fresh recovery codes such as ``k3m9-p2qa-7xzt-b4nc`` (80 random bits each)."""
    size = RECOVERY_CODE_GROUPS * RECOVERY_CODE_GROUP_LENGTH
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(size))
        groups = [
            raw[i : i + RECOVERY_CODE_GROUP_LENGTH]
            for i in range(0, size, RECOVERY_CODE_GROUP_LENGTH)
        ]
        codes.append("-".join(groups))
    return tuple(codes)


def normalise_recovery_code(raw: str) -> str:
    """``raw`` lower-cased without dashes and spaces (how it is hashed and compared)."""
    return "".join(raw.lower().replace("-", " ").split())


def hash_recovery_code(user_id: uuid.UUID, code: str) -> str:
    """The SHA-256 digest (hex) a recovery code is stored as, salted with its owner's id.

    A code carries 80 random bits, so a fast hash cannot be reversed by guessing.
    """
    message = f"{user_id}:{normalise_recovery_code(code)}".encode()
    return hashlib.sha256(message).hexdigest()


# ----------------------------------------------------------------------------- model


@attrs.frozen
class TotpEnrolment:
    """A user's TOTP seed (sealed), whether it is confirmed, and the last step a code used."""

    user_id: uuid.UUID
    sealed_secret: bytes = attrs.field(repr=False)
    created_at: datetime = attrs.field(validator=_aware)
    confirmed_at: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    last_used_step: int | None = None

    @property
    def active(self) -> bool:
        """Whether logins ask for a code (the enrolment was confirmed)."""
        return self.confirmed_at is not None

    def confirmed(self, when: datetime, step: int) -> TotpEnrolment:
        """The enrolment switched on at ``when`` by the code of ``step``."""
        return attrs.evolve(self, confirmed_at=when, last_used_step=step)


@attrs.frozen
class RecoveryCode:
    """One stored recovery code: its digest only, and when it was used."""

    user_id: uuid.UUID
    code_hash: str = attrs.field(repr=False)
    created_at: datetime = attrs.field(validator=_aware)
    used_at: datetime | None = attrs.field(default=None, validator=_aware_or_none)


def hash_challenge(token: str) -> str:
    """The SHA-256 digest (hex) a login challenge is stored as."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_challenge_token() -> str:
    """A fresh opaque challenge (prefix ``jr2fa_`` + 256 random bits)."""
    return CHALLENGE_PREFIX + secrets.token_urlsafe(32)


@attrs.frozen
class TwoFactorChallenge:
    """A login that passed its first factor and waits for the second.

    Stored by digest; it dies when used, after ``MAX_CHALLENGE_ATTEMPTS`` wrong codes, at
    ``expires_at``, or when the user's ``token_version`` moves (a password change meanwhile).
    """

    challenge_hash: str = attrs.field(repr=False)
    user_id: uuid.UUID
    token_version: int
    created_at: datetime = attrs.field(validator=_aware)
    expires_at: datetime = attrs.field(validator=_aware)
    attempts: int = 0
    consumed_at: datetime | None = attrs.field(default=None, validator=_aware_or_none)

    def usable(self, now: datetime) -> bool:
        """Whether a code may still be tried against it at ``now``."""
        return (
            self.consumed_at is None
            and now < self.expires_at
            and self.attempts < MAX_CHALLENGE_ATTEMPTS
        )


# ----------------------------------------------------------------------------- port


class TwoFactorRepository(Protocol):
    """TOTP enrolments (one per user), recovery codes and login challenges.

    Handed out by the unit of work (``uow.two_factor``); deleting a user deletes its rows.
    """

    def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> TotpEnrolment | None:
        """The user's enrolment, pending or active, if any (``for_update`` holds it)."""
        ...

    def save(self, enrolment: TotpEnrolment) -> None:
        """Store the enrolment, replacing the user's earlier one; ``NotFound`` for no such user."""
        ...

    def delete(self, user_id: uuid.UUID) -> bool:
        """Remove the enrolment, the recovery codes and the challenges; False if none."""
        ...

    def claim_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record that a code of ``step`` was used, if no code of it or a later step was.

        One conditional write: of two concurrent claims of one step, exactly one is True.
        """
        ...

    def replace_recovery_codes(self, user_id: uuid.UUID, codes: Sequence[RecoveryCode]) -> None:
        """Make ``codes`` the user's only recovery codes."""
        ...

    def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, when: datetime) -> bool:
        """Mark the unused code with this digest used at ``when``.

        True only for the one caller that did; a used or unknown code is False.
        """
        ...

    def unused_recovery_codes(self, user_id: uuid.UUID) -> int:
        """How many recovery codes the user has left."""
        ...

    def add_challenge(self, challenge: TwoFactorChallenge) -> None:
        """Store a new challenge; ``Conflict`` when its digest exists."""
        ...

    def get_challenge(
        self, challenge_hash: str, *, for_update: bool = False
    ) -> TwoFactorChallenge | None:
        """The challenge with this digest, if any (``for_update`` holds it)."""
        ...

    def record_challenge_failure(self, challenge_hash: str) -> int:
        """Count a wrong code against the challenge; return its attempts so far."""
        ...

    def consume_challenge(self, challenge_hash: str, when: datetime) -> bool:
        """Mark the challenge used at ``when`` if it was not; True only for the one caller."""
        ...

    def forget_challenges(self, user_id: uuid.UUID, *, before: datetime) -> int:
        """Delete the user's challenges that expired before ``before``; return how many."""
        ...

    def sealed_secrets(
        self, *, after: uuid.UUID | None, limit: int
    ) -> list[tuple[uuid.UUID, bytes]]:
        """Up to ``limit`` (user id, sealed seed) pairs with ids above ``after``, by id."""
        ...

    def replace_sealed_secret(self, user_id: uuid.UUID, *, old: bytes, new: bytes) -> bool:
        """Swap the stored seal ``old`` for ``new``; False (and no change) if it is not ``old``."""
        ...


# ----------------------------------------------------------------------------- results


@attrs.frozen
class TotpSetup:
    """What enrolment hands out, once: the seed and the URI for the authenticator app."""

    secret: str = attrs.field(repr=False)
    otpauth_uri: str = attrs.field(repr=False)


@attrs.frozen
class RecoveryCodes:
    """Recovery codes in the clear: shown to the user once, never stored like this."""

    codes: tuple[str, ...] = attrs.field(repr=False)


@attrs.frozen
class TwoFactorStatus:
    """Whether a user's second factor is on, pending confirmation, and codes left."""

    enabled: bool
    pending: bool
    confirmed_at: datetime | None
    recovery_codes_left: int


def _exactly_one(
    instance: SecondFactorProof, _: attrs.Attribute[str | None], __: str | None
) -> None:
    if (instance.code is None) == (instance.recovery_code is None):
        raise InvalidInput("give either a code or a recovery code", field="code")


@attrs.frozen
class SecondFactorProof:
    """A TOTP code or a recovery code (exactly one)."""

    code: str | None = attrs.field(default=None, repr=False)
    recovery_code: str | None = attrs.field(default=None, repr=False, validator=_exactly_one)


# ----------------------------------------------------------------------------- verification


@attrs.frozen
class SecondFactorVerifier:
    """Checks a proof against a user's active enrolment and uses it up.

    A TOTP code of the current or previous step is claimed (it never works again); a recovery
    code is marked used. Returns the method (``"totp"`` or ``"recovery_code"``), None when wrong.
    """

    box: SecretBox
    totp: TotpGenerator

    def verify(
        self, uow: UnitOfWork, enrolment: TotpEnrolment, proof: SecondFactorProof, now: datetime
    ) -> str | None:
        """Check and consume ``proof``; see the class docstring."""
        user_id = enrolment.user_id
        if proof.code is not None:
            secret = self.box.open(enrolment.sealed_secret, totp_binding(user_id)).decode("ascii")
            step = matching_step(self.totp, secret, proof.code, now)
            if step is None or not uow.two_factor.claim_step(user_id, step):
                return None
            return "totp"
        assert proof.recovery_code is not None  # noqa: S101 - the proof's validator ensures it
        digest = hash_recovery_code(user_id, proof.recovery_code)
        if uow.two_factor.use_recovery_code(user_id, digest, now):
            return "recovery_code"
        return None


def _throttle_keys(
    pseudonymizer: Pseudonymizer, user_id: uuid.UUID, ip: str | None
) -> tuple[str, str]:
    account = pseudonymizer.pseudonym(THROTTLE_SECOND_FACTOR_PURPOSE, str(user_id))
    client = pseudonymizer.pseudonym(THROTTLE_CLIENT_PURPOSE, ip or "unknown-client")
    return account, client


@attrs.frozen
class SecondFactorThrottle:
    """The login throttle applied to second-factor guesses, per account (by id) and client."""

    throttle: LoginThrottle
    pseudonymizer: Pseudonymizer

    def check(self, user_id: uuid.UUID, ip: str | None) -> None:
        """Raise ``TooManyRequests`` while the account or the client is locked."""
        wait = self.throttle.check(*_throttle_keys(self.pseudonymizer, user_id, ip))
        if wait > 0:
            raise TooManyRequests(
                "too many wrong codes; wait before trying again", retry_after=wait
            )

    def failed(self, user_id: uuid.UUID, ip: str | None) -> None:
        """Count a wrong code."""
        self.throttle.record_failure(*_throttle_keys(self.pseudonymizer, user_id, ip))

    def succeeded(self, user_id: uuid.UUID) -> None:
        """Forget the account's wrong codes."""
        self.throttle.reset(_throttle_keys(self.pseudonymizer, user_id, None)[0])


# ----------------------------------------------------------------------------- use cases


@attrs.frozen
class GetTwoFactorStatus:
    """Tells the caller whether its second factor is on (never the seed)."""

    uow: UnitOfWorkFactory

    def __call__(self, principal: Principal) -> TwoFactorStatus:
        """The caller's status."""
        with self.uow() as uow:
            enrolment = uow.two_factor.get(principal.user_id)
            left = uow.two_factor.unused_recovery_codes(principal.user_id) if enrolment else 0
        return TwoFactorStatus(
            enabled=bool(enrolment and enrolment.active),
            pending=bool(enrolment and not enrolment.active),
            confirmed_at=enrolment.confirmed_at if enrolment else None,
            recovery_codes_left=left,
        )


@attrs.frozen
class StartTotpEnrolment:
    """Makes a new TOTP seed for the caller, stored sealed and pending until confirmed.

    ``Conflict`` when two-factor sign-in is already on (disable it first). Starting again while
    pending replaces the pending seed.
    """

    uow: UnitOfWorkFactory
    box: SecretBox
    totp: TotpGenerator
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self, principal: Principal, ip: str | None = None) -> TotpSetup:
        """Store the sealed seed and return it with its URI (the only time it is shown)."""
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(principal.user_id, for_update=True)
            current = uow.two_factor.get(user.id, for_update=True)
            if current is not None and current.active:
                raise Conflict("two-factor sign-in is already on; disable it first")
            secret = self.totp.new_secret()
            sealed = self.box.seal(secret.encode("ascii"), totp_binding(user.id))
            uow.two_factor.save(
                TotpEnrolment(user_id=user.id, sealed_secret=sealed, created_at=now)
            )
            self.audit(
                uow.audit,
                AuditKind.TWO_FACTOR_ENROLMENT_STARTED,
                actor_id=user.id,
                subject_id=user.id,
                ip=ip,
            )
            uow.commit()
        uri = self.totp.provisioning_uri(secret, account=user.email, issuer=TOTP_ISSUER)
        return TotpSetup(secret=secret, otpauth_uri=uri)


def _store_recovery_codes(uow: UnitOfWork, user_id: uuid.UUID, now: datetime) -> RecoveryCodes:
    codes = new_recovery_codes()
    uow.two_factor.replace_recovery_codes(
        user_id,
        [
            RecoveryCode(
                user_id=user_id, code_hash=hash_recovery_code(user_id, code), created_at=now
            )
            for code in codes
        ],
    )
    return RecoveryCodes(codes)


@attrs.frozen
class ConfirmTotpEnrolment:
    """Switches two-factor sign-in on with a valid code of the pending seed.

    Answers the recovery codes (once). ``NotFound`` without a pending enrolment, ``Conflict``
    when it is on already, ``InvalidInput`` (field ``code``) for a wrong code, which counts
    against the throttle (``TooManyRequests`` once it locks).
    """

    uow: UnitOfWorkFactory
    verifier: SecondFactorVerifier
    throttle: SecondFactorThrottle
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self, principal: Principal, code: str, ip: str | None = None) -> RecoveryCodes:
        """Activate the enrolment and return fresh recovery codes."""
        self.throttle.check(principal.user_id, ip)
        now = self.clock.now()
        with self.uow() as uow:
            enrolment = uow.two_factor.get(principal.user_id, for_update=True)
            if enrolment is None:
                raise NotFound("no two-factor enrolment was started; start one first")
            if enrolment.active:
                raise Conflict("two-factor sign-in is already on")
            # a pending enrolment has no claimed step yet: the verifier claims the code's step
            method = self.verifier.verify(uow, enrolment, SecondFactorProof(code=code), now)
            if method is None:
                self.throttle.failed(principal.user_id, ip)
                self.audit(
                    uow.audit,
                    AuditKind.TWO_FACTOR_FAILED,
                    actor_id=principal.user_id,
                    subject_id=principal.user_id,
                    ip=ip,
                    details={"during": "confirm"},
                )
                uow.commit()
                raise InvalidInput(BAD_CODE, field="code")
            self.throttle.succeeded(principal.user_id)
            fresh = uow.two_factor.get(principal.user_id)
            assert fresh is not None  # noqa: S101 - held FOR UPDATE above
            uow.two_factor.save(attrs.evolve(fresh, confirmed_at=now))
            codes = _store_recovery_codes(uow, principal.user_id, now)
            self.audit(
                uow.audit,
                AuditKind.TWO_FACTOR_ENABLED,
                actor_id=principal.user_id,
                subject_id=principal.user_id,
                ip=ip,
            )
            uow.commit()
        return codes


@attrs.frozen
class DisableTwoFactor:
    """The caller's password and a code (or recovery code), to switch 2FA off."""

    password: str | None = attrs.field(repr=False)
    proof: SecondFactorProof
    ip: str | None = None


@attrs.frozen
class DisableTotp:
    """Switches two-factor sign-in off: needs the password *and* a code (or a recovery code).

    An account without a password (made through OIDC sign-in) needs the code only. A wrong
    password or code is ``InvalidInput`` (on ``password`` or ``code``) and counts against the
    throttle; ``NotFound`` when 2FA is not on.
    """

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    verifier: SecondFactorVerifier
    throttle: SecondFactorThrottle
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self, principal: Principal, command: DisableTwoFactor) -> None:
        """Remove the seed, the recovery codes and open challenges."""
        self.throttle.check(principal.user_id, command.ip)
        now = self.clock.now()
        with self.uow() as uow:
            user = uow.users.get(principal.user_id, for_update=True)
            enrolment = uow.two_factor.get(user.id, for_update=True)
            if enrolment is None or not enrolment.active:
                raise NotFound("two-factor sign-in is not on")
            failure = None
            if user.password_hash is not None and not (
                command.password is not None
                and self.hasher.verify(user.password_hash, command.password)
            ):
                failure = InvalidInput("the password is wrong", field="password")
            elif self.verifier.verify(uow, enrolment, command.proof, now) is None:
                failure = InvalidInput(BAD_CODE, field="code")
            if failure is not None:
                self.throttle.failed(user.id, command.ip)
                self.audit(
                    uow.audit,
                    AuditKind.TWO_FACTOR_FAILED,
                    actor_id=user.id,
                    subject_id=user.id,
                    ip=command.ip,
                    details={"during": "disable", "wrong": failure.field or "code"},
                )
                uow.commit()
                raise failure
            self.throttle.succeeded(user.id)
            uow.two_factor.delete(user.id)
            self.audit(
                uow.audit,
                AuditKind.TWO_FACTOR_DISABLED,
                actor_id=user.id,
                subject_id=user.id,
                ip=command.ip,
            )
            uow.commit()


@attrs.frozen
class RegenerateRecoveryCodes:
    """Replaces the caller's recovery codes (the old ones stop working); needs a TOTP code."""

    uow: UnitOfWorkFactory
    verifier: SecondFactorVerifier
    throttle: SecondFactorThrottle
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self, principal: Principal, code: str, ip: str | None = None) -> RecoveryCodes:
        """Return the new codes; ``NotFound`` when 2FA is off, ``InvalidInput`` for a bad code."""
        self.throttle.check(principal.user_id, ip)
        now = self.clock.now()
        with self.uow() as uow:
            enrolment = uow.two_factor.get(principal.user_id, for_update=True)
            if enrolment is None or not enrolment.active:
                raise NotFound("two-factor sign-in is not on")
            if self.verifier.verify(uow, enrolment, SecondFactorProof(code=code), now) is None:
                self.throttle.failed(principal.user_id, ip)
                self.audit(
                    uow.audit,
                    AuditKind.TWO_FACTOR_FAILED,
                    actor_id=principal.user_id,
                    subject_id=principal.user_id,
                    ip=ip,
                    details={"during": "recovery_codes"},
                )
                uow.commit()
                raise InvalidInput(BAD_CODE, field="code")
            self.throttle.succeeded(principal.user_id)
            codes = _store_recovery_codes(uow, principal.user_id, now)
            self.audit(
                uow.audit,
                AuditKind.RECOVERY_CODES_REGENERATED,
                actor_id=principal.user_id,
                subject_id=principal.user_id,
                ip=ip,
            )
            uow.commit()
        return codes


@attrs.frozen
class TwoFactorGate:
    """The second step of every sign-in (password or OIDC) for accounts with 2FA on.

    Called inside the sign-in's unit of work once the first factor is right: for an account
    with an active enrolment it stores a challenge and returns it; otherwise None (tokens may
    be issued at once).
    """

    clock: Clock
    audit: AppendAuditEvent
    lifetime: timedelta = CHALLENGE_LIFETIME

    def challenge(self, uow: UnitOfWork, user: User, ip: str | None) -> SecondFactorRequired | None:
        """Store and return a challenge for ``user``, or None when it has no active 2FA."""
        enrolment = uow.two_factor.get(user.id)
        if enrolment is None or not enrolment.active:
            return None
        now = self.clock.now()
        uow.two_factor.forget_challenges(user.id, before=now)  # the table keeps live ones only
        token = new_challenge_token()
        challenge = TwoFactorChallenge(
            challenge_hash=hash_challenge(token),
            user_id=user.id,
            token_version=user.token_version,
            created_at=now,
            expires_at=now + self.lifetime,
        )
        uow.two_factor.add_challenge(challenge)
        self.audit(
            uow.audit, AuditKind.TWO_FACTOR_CHALLENGED, actor_id=user.id, subject_id=user.id, ip=ip
        )
        return SecondFactorRequired(challenge=token, expires_at=challenge.expires_at, user=user)


@attrs.frozen
class CompleteLogin:
    """A login challenge and the code (or recovery code) that answers it."""

    challenge: str = attrs.field(repr=False)
    proof: SecondFactorProof
    ip: str | None = None


@attrs.frozen
class CompleteTwoFactorLogin:
    """Exchanges a challenge and a valid code for the session's tokens.

    ``Unauthenticated`` for an unknown, used, expired or exhausted challenge, and for a wrong
    or reused code (which also counts against the challenge and the throttle);
    ``TooManyRequests`` while the throttle is locked; ``Forbidden`` for a disabled account.
    """

    uow: UnitOfWorkFactory
    verifier: SecondFactorVerifier
    throttle: SecondFactorThrottle
    issuer: AccessTokenIssuer
    clock: Clock
    audit: AppendAuditEvent
    refresh_lifetime: timedelta

    def __call__(self, command: CompleteLogin) -> LoginResult:
        """Return the tokens of the new session."""
        if not command.challenge.startswith(CHALLENGE_PREFIX):
            raise Unauthenticated(BAD_CHALLENGE)
        digest = hash_challenge(command.challenge)
        now = self.clock.now()
        with self.uow() as uow:
            challenge = uow.two_factor.get_challenge(digest, for_update=True)
            if challenge is None or not challenge.usable(now):
                raise Unauthenticated(BAD_CHALLENGE)
            try:
                user = uow.users.get(challenge.user_id)
            except NotFound:
                raise Unauthenticated(BAD_CHALLENGE) from None
            if user.token_version != challenge.token_version:
                raise Unauthenticated(BAD_CHALLENGE)
            if not user.is_active:
                raise Forbidden("this account is disabled; contact an administrator")
            self._check_throttle(uow, user, command.ip)
            enrolment = uow.two_factor.get(user.id, for_update=True)
            if enrolment is None or not enrolment.active:
                raise Unauthenticated(BAD_CHALLENGE)
            method = self.verifier.verify(uow, enrolment, command.proof, now)
            if method is None:
                self._fail(uow, user, digest, command.ip)
            if not uow.two_factor.consume_challenge(digest, now):
                raise Unauthenticated(BAD_CHALLENGE)
            self.throttle.succeeded(user.id)
            if method == "recovery_code":
                self.audit(
                    uow.audit,
                    AuditKind.RECOVERY_CODE_USED,
                    actor_id=user.id,
                    subject_id=user.id,
                    ip=command.ip,
                    details={"left": str(uow.two_factor.unused_recovery_codes(user.id))},
                )
            uow.users.record_login(user.id, now)
            user = user.logged_in(now)
            pair, family = _start_session(uow, self.issuer, user, now, self.refresh_lifetime)
            self.audit(
                uow.audit,
                AuditKind.LOGIN_SUCCEEDED,
                actor_id=user.id,
                subject_id=user.id,
                ip=command.ip,
                details={"session": str(family.id), "second_factor": str(method)},
            )
            uow.commit()
        return LoginResult(tokens=pair, user=user)

    def _check_throttle(self, uow: UnitOfWork, user: User, ip: str | None) -> None:
        try:
            self.throttle.check(user.id, ip)
        except TooManyRequests:
            self.audit(
                uow.audit,
                AuditKind.LOGIN_THROTTLED,
                subject_id=user.id,
                ip=ip,
                details={"step": "second_factor"},
            )
            uow.commit()
            raise

    def _fail(self, uow: UnitOfWork, user: User, digest: str, ip: str | None) -> NoReturn:
        attempts = uow.two_factor.record_challenge_failure(digest)
        self.throttle.failed(user.id, ip)
        self.audit(
            uow.audit,
            AuditKind.TWO_FACTOR_FAILED,
            subject_id=user.id,
            ip=ip,
            details={"during": "login", "attempts": str(attempts)},
        )
        uow.commit()
        raise Unauthenticated(BAD_CODE)


# ----------------------------------------------------------------------------- key rotation


@attrs.frozen
class RotationReport:
    """What a rotation did: sealed values looked at, re-sealed under the current key."""

    checked: int
    resealed: int
    key_id: str


@attrs.frozen
class RotateSecrets:
    """Re-seals every stored secret that an older key sealed, under the current key.

    Run it after adding a new current key to the keyring; the old key can be removed once it
    reports nothing left to re-seal. Each value is swapped only if it is still the one read, so
    a concurrent re-enrolment is never overwritten. A value that does not open stops the run
    with ``SecretUnreadable``. Today the stored secrets are the TOTP seeds; other sealed columns
    join this loop as they appear.
    """

    uow: UnitOfWorkFactory
    box: SecretBox
    clock: Clock
    audit: AppendAuditEvent

    def __call__(self) -> RotationReport:
        """Re-seal what needs it, in batches, and audit the rotation."""
        current = self.box.current_key_id
        checked = resealed = 0
        after: uuid.UUID | None = None
        while True:
            with self.uow() as uow:
                batch = uow.two_factor.sealed_secrets(after=after, limit=_ROTATION_BATCH)
                for user_id, sealed in batch:
                    checked += 1
                    if self.box.key_id_of(sealed) == current:
                        continue
                    binding = totp_binding(user_id)
                    fresh = self.box.seal(self.box.open(sealed, binding), binding)
                    if uow.two_factor.replace_sealed_secret(user_id, old=sealed, new=fresh):
                        resealed += 1
                uow.commit()
            if len(batch) < _ROTATION_BATCH:
                break
            after = batch[-1][0]
        with self.uow() as uow:
            self.audit(
                uow.audit,
                AuditKind.SECRETS_ROTATED,
                details={"key_id": current, "checked": str(checked), "resealed": str(resealed)},
            )
            uow.commit()
        return RotationReport(checked=checked, resealed=resealed, key_id=current)


__all__ = [
    "CHALLENGE_LIFETIME",
    "CompleteLogin",
    "CompleteTwoFactorLogin",
    "ConfirmTotpEnrolment",
    "DisableTotp",
    "DisableTwoFactor",
    "GetTwoFactorStatus",
    "RecoveryCode",
    "RecoveryCodes",
    "RegenerateRecoveryCodes",
    "RotateSecrets",
    "RotationReport",
    "SecondFactorProof",
    "SecondFactorRequired",
    "SecondFactorThrottle",
    "SecondFactorVerifier",
    "SecretBinding",
    "SecretBox",
    "StartTotpEnrolment",
    "TotpEnrolment",
    "TotpGenerator",
    "TotpSetup",
    "TwoFactorChallenge",
    "TwoFactorGate",
    "TwoFactorRepository",
    "TwoFactorStatus",
    "hash_challenge",
    "hash_recovery_code",
    "matching_step",
    "new_recovery_codes",
    "normalise_code",
    "time_step",
    "totp_binding",
]
