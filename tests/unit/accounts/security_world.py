"""The accounts world plus two-factor sign-in, OIDC sign-in and privacy, all on fakes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import attrs
from accounts_world import ACCESS, PASSWORD, REFRESH, AccountsWorld

from jobraker_adapters.memory.privacy import InMemoryUserDataCache
from jobraker_adapters.memory.twofactor import (
    FakeIdentity,
    InMemoryOidcProviders,
    InMemoryOidcStateStore,
)
from jobraker_adapters.security.secretbox import AesGcmSecretBox, Keyring
from jobraker_adapters.security.totp import PyOtpTotp
from jobraker_core.accounts.model import User
from jobraker_core.accounts.oidc import FinishOidc, FinishOidcLogin, StartOidcLogin
from jobraker_core.accounts.privacy import EraseAccount, ExportPersonalData
from jobraker_core.accounts.twofactor import (
    CompleteTwoFactorLogin,
    ConfirmTotpEnrolment,
    DisableTotp,
    GetTwoFactorStatus,
    RecoveryCodes,
    RegenerateRecoveryCodes,
    RotateSecrets,
    SecondFactorThrottle,
    SecondFactorVerifier,
    StartTotpEnrolment,
    TwoFactorGate,
    time_step,
)
from jobraker_core.accounts.use_cases import Login

__all__ = ["ACCESS", "PASSWORD", "REFRESH", "SecurityWorld"]


@attrs.define
class SecurityWorld(AccountsWorld):
    """``AccountsWorld`` with the 2FA, OIDC and privacy use cases and their fakes."""

    keyring: Keyring = attrs.field(factory=Keyring.generate)
    totp: PyOtpTotp = attrs.field(factory=PyOtpTotp)
    providers: InMemoryOidcProviders = attrs.field(factory=InMemoryOidcProviders)
    cache: InMemoryUserDataCache = attrs.field(factory=InMemoryUserDataCache)
    states: InMemoryOidcStateStore = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.states = InMemoryOidcStateStore(self.clock)

    @property
    def box(self) -> AesGcmSecretBox:
        """The secret box over the keyring."""
        return AesGcmSecretBox(self.keyring)

    @property
    def verifier(self) -> SecondFactorVerifier:
        """The second-factor verifier."""
        return SecondFactorVerifier(self.box, self.totp)

    @property
    def second_factor_throttle(self) -> SecondFactorThrottle:
        """The throttle of code guesses."""
        return SecondFactorThrottle(self.throttle, self.pseudonymizer)

    @property
    def gate(self) -> TwoFactorGate:
        """The gate between first and second factor."""
        return TwoFactorGate(self.clock, self.audit)

    def login(self) -> Login:
        """``Login`` with the 2FA gate."""
        return attrs.evolve(super().login(), second_factor=self.gate)

    def status(self) -> GetTwoFactorStatus:
        """The ``GetTwoFactorStatus`` use case."""
        return GetTwoFactorStatus(self.uow)

    def enrol(self) -> StartTotpEnrolment:
        """The ``StartTotpEnrolment`` use case."""
        return StartTotpEnrolment(self.uow, self.box, self.totp, self.clock, self.audit)

    def confirm(self) -> ConfirmTotpEnrolment:
        """The ``ConfirmTotpEnrolment`` use case."""
        return ConfirmTotpEnrolment(
            self.uow, self.verifier, self.second_factor_throttle, self.clock, self.audit
        )

    def disable(self) -> DisableTotp:
        """The ``DisableTotp`` use case."""
        return DisableTotp(
            self.uow,
            self.hasher,
            self.verifier,
            self.second_factor_throttle,
            self.clock,
            self.audit,
        )

    def regenerate(self) -> RegenerateRecoveryCodes:
        """The ``RegenerateRecoveryCodes`` use case."""
        return RegenerateRecoveryCodes(
            self.uow, self.verifier, self.second_factor_throttle, self.clock, self.audit
        )

    def complete(self) -> CompleteTwoFactorLogin:
        """The ``CompleteTwoFactorLogin`` use case."""
        return CompleteTwoFactorLogin(
            self.uow,
            self.verifier,
            self.second_factor_throttle,
            self.tokens,
            self.clock,
            self.audit,
            REFRESH,
        )

    def rotate(self) -> RotateSecrets:
        """The ``RotateSecrets`` use case."""
        return RotateSecrets(self.uow, self.box, self.clock, self.audit)

    def start_oidc(self) -> StartOidcLogin:
        """The ``StartOidcLogin`` use case."""
        return StartOidcLogin(self.providers, self.states, self.clock)

    def finish_oidc(self) -> FinishOidcLogin:
        """The ``FinishOidcLogin`` use case."""
        return FinishOidcLogin(
            self.uow,
            self.providers,
            self.states,
            self.tokens,
            self.gate,
            self.clock,
            self.audit,
            REFRESH,
        )

    def export(self) -> ExportPersonalData:
        """The ``ExportPersonalData`` use case."""
        return ExportPersonalData(self.uow, self.clock, self.audit)

    def erase(self) -> EraseAccount:
        """The ``EraseAccount`` use case."""
        return EraseAccount(
            self.uow,
            self.hasher,
            self.verifier,
            self.second_factor_throttle,
            self.revocations,
            self.cache,
            self.pseudonymizer,
            self.clock,
            self.audit,
            ACCESS,
        )

    # ------------------------------------------------------------------ arrange

    def code(self, secret: str, steps_back: int = 0) -> str:
        """The TOTP code of ``secret`` for the current step minus ``steps_back``."""
        return self.totp.code(secret, time_step(self.clock.now()) - steps_back)

    def with_two_factor(self, email: str = "ada@example.com") -> tuple[User, str, RecoveryCodes]:
        """An account with 2FA on; its seed and recovery codes.

        The clock then moves two steps on, so the current and previous codes are both unused.
        """
        user = self.user(email)
        principal = user.principal("t")
        setup = self.enrol()(principal)
        codes = self.confirm()(principal, self.code(setup.secret))
        self.clock.advance(seconds=60)
        return user, setup.secret, codes

    def oidc_sign_in(
        self, provider: str = "google", identity: FakeIdentity | None = None
    ) -> object:
        """Run a whole OIDC sign-in with ``identity`` at ``provider``; return the result."""
        if identity is not None:
            self.providers.identities[provider] = identity
        url = self.start_oidc()(provider, "https://jobraker.example/cb")
        state = dict(pair.split("=", 1) for pair in url.split("?", 1)[1].split("&"))["state"]
        code = self.providers.approve(url)
        return self.finish_oidc()(FinishOidc(provider=provider, code=code, state=state))


def new_id() -> uuid.UUID:
    """A fresh id."""
    return uuid.uuid4()


SKEW = timedelta(seconds=30)
