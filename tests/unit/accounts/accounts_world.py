"""The accounts use cases wired on the in-memory fakes, with handles on every fake."""

from __future__ import annotations

from datetime import timedelta

import attrs

from jobraker_adapters.memory import (
    FixedClock,
    InMemoryAccessTokens,
    InMemoryCommonPasswords,
    InMemoryLoginThrottle,
    InMemoryPasswordHasher,
    InMemoryPseudonymizer,
    InMemoryRevocationStore,
    InMemoryUnitOfWorkFactory,
)
from jobraker_core.accounts.admin import GetUser, ListUsers, UpdateUser
from jobraker_core.accounts.audit import AppendAuditEvent, ListAuditEvents
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import AuditEvent, AuditKind, User
from jobraker_core.accounts.use_cases import (
    Authenticate,
    ChangePassword,
    CreateUser,
    CreateUserAccount,
    LogIn,
    Login,
    LoginResult,
    Logout,
    LogoutEverywhere,
    Refresh,
    Register,
    dummy_password_hash,
)

PASSWORD = "a long test passphrase"
ACCESS = timedelta(minutes=15)
REFRESH = timedelta(days=30)


@attrs.define
class AccountsWorld:
    """Fakes and the use cases over them."""

    clock: FixedClock = attrs.field(factory=FixedClock)
    uow: InMemoryUnitOfWorkFactory = attrs.field(factory=InMemoryUnitOfWorkFactory)
    hasher: InMemoryPasswordHasher = attrs.field(factory=InMemoryPasswordHasher)
    common: InMemoryCommonPasswords = attrs.field(factory=InMemoryCommonPasswords)
    tokens: InMemoryAccessTokens = attrs.field(factory=lambda: InMemoryAccessTokens(ACCESS))
    pseudonymizer: InMemoryPseudonymizer = attrs.field(factory=InMemoryPseudonymizer)
    revocations: InMemoryRevocationStore = attrs.field(init=False)
    throttle: InMemoryLoginThrottle = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.revocations = InMemoryRevocationStore(self.clock)
        self.throttle = InMemoryLoginThrottle(self.clock)

    @property
    def audit(self) -> AppendAuditEvent:
        """The audit appender."""
        return AppendAuditEvent(self.clock, self.pseudonymizer)

    def register(self) -> Register:
        """The ``Register`` use case."""
        return Register(self.uow, self.hasher, self.common, self.clock, self.audit)

    def create(self) -> CreateUserAccount:
        """The ``CreateUserAccount`` use case."""
        return CreateUserAccount(self.uow, self.hasher, self.common, self.clock, self.audit)

    def login(self) -> Login:
        """The ``Login`` use case."""
        return Login(
            uow=self.uow,
            hasher=self.hasher,
            issuer=self.tokens,
            throttle=self.throttle,
            pseudonymizer=self.pseudonymizer,
            clock=self.clock,
            audit=self.audit,
            dummy_hash=dummy_password_hash(self.hasher),
            refresh_lifetime=REFRESH,
        )

    def refresh(self) -> Refresh:
        """The ``Refresh`` use case."""
        return Refresh(
            self.uow, self.tokens, self.revocations, self.clock, self.audit, REFRESH, ACCESS
        )

    def authenticate(self) -> Authenticate:
        """The ``Authenticate`` use case."""
        return Authenticate(self.uow, self.tokens, self.revocations, self.clock)

    def logout(self) -> Logout:
        """The ``Logout`` use case."""
        return Logout(self.uow, self.revocations, self.clock, self.audit, ACCESS)

    def logout_everywhere(self) -> LogoutEverywhere:
        """The ``LogoutEverywhere`` use case."""
        return LogoutEverywhere(self.uow, self.revocations, self.clock, self.audit, ACCESS)

    def change_password(self) -> ChangePassword:
        """The ``ChangePassword`` use case."""
        return ChangePassword(
            uow=self.uow,
            hasher=self.hasher,
            common=self.common,
            issuer=self.tokens,
            revocations=self.revocations,
            throttle=self.throttle,
            pseudonymizer=self.pseudonymizer,
            clock=self.clock,
            audit=self.audit,
            refresh_lifetime=REFRESH,
            access_lifetime=ACCESS,
        )

    def list_users(self) -> ListUsers:
        """The ``ListUsers`` use case."""
        return ListUsers(self.uow)

    def get_user(self) -> GetUser:
        """The ``GetUser`` use case."""
        return GetUser(self.uow)

    def update_user(self) -> UpdateUser:
        """The ``UpdateUser`` use case."""
        return UpdateUser(self.uow, self.revocations, self.clock, self.audit, ACCESS)

    def list_audit(self) -> ListAuditEvents:
        """The ``ListAuditEvents`` use case."""
        return ListAuditEvents(self.uow)

    # ------------------------------------------------------------------ arrange & assert

    def user(self, email: str = "ada@example.com", role: Role = Role.USER) -> User:
        """Create an account."""
        return self.create()(CreateUser(email=email, password=PASSWORD, role=role))

    def logged_in(
        self, email: str = "ada@example.com", role: Role = Role.USER, ip: str | None = "203.0.113.7"
    ) -> LoginResult:
        """Create an account and log it in."""
        self.user(email, role)
        return self.login()(LogIn(email=email, password=PASSWORD, ip=ip))

    def stored(self, user: User) -> User:
        """The committed state of ``user``."""
        return self.uow.store.users[user.id]

    def events(self, kind: AuditKind | None = None) -> list[AuditEvent]:
        """The committed audit events (of ``kind``), in the order they were committed."""
        return [e for e in self.uow.store.audit.values() if kind is None or e.kind is kind]
