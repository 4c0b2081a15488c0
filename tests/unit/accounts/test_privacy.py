"""Export and erasure on the fakes: complete copies, proofs of ownership, nothing left behind."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import attrs
import pytest
from security_world import PASSWORD, SecurityWorld

from jobraker_adapters.memory.privacy import STORE_FIELDS
from jobraker_adapters.memory.twofactor import FakeIdentity
from jobraker_adapters.memory.uow import InMemoryStore
from jobraker_core.accounts.model import AccessClaims, AuditKind
from jobraker_core.accounts.privacy import EraseAccountCommand, user_cache_prefix
from jobraker_core.accounts.twofactor import SecondFactorProof
from jobraker_core.accounts.use_cases import LogIn
from jobraker_core.errors import InvalidInput, NotFound, TooManyRequests
from jobraker_core.matching.resume import Resume
from profile_builders import full_profile

EMAIL = "ada@example.com"
RESUME_TEXT = "Canary résumé 7f3e: fifteen years of analytical engines"


@pytest.fixture
def world() -> SecurityWorld:
    """Fakes and the use cases over them."""
    return SecurityWorld()


def _claims(
    world: SecurityWorld, user_id: uuid.UUID, *, age: timedelta = timedelta()
) -> AccessClaims:
    issued = world.clock.now() - age
    return AccessClaims(
        user_id=user_id,
        role=world.uow.store.users[user_id].role,
        token_id="jti-1",
        session_id=uuid.uuid4(),
        token_version=world.uow.store.users[user_id].token_version,
        issued_at=issued,
        expires_at=issued + timedelta(minutes=15),
    )


def _seed(world: SecurityWorld, user_id: uuid.UUID) -> None:
    """Give the user a profile and a résumé."""
    with world.uow() as uow:
        uow.profiles.save(full_profile(user_id))
        uow.resumes.add(
            Resume(
                id=uuid.uuid4(),
                user_id=user_id,
                version=1,
                filename="cv.txt",
                media_type="text/plain",
                size=len(RESUME_TEXT),
                sha256=hashlib.sha256(RESUME_TEXT.encode()).hexdigest(),
                text=RESUME_TEXT,
                uploaded_at=world.clock.now(),
            )
        )
        uow.commit()


def test_every_store_field_has_an_erasure_rule():
    """Adding a table to the in-memory store without saying how erasure treats it fails here."""
    assert {field.name for field in attrs.fields(InMemoryStore)} == set(STORE_FIELDS)


def test_the_export_holds_everything_about_the_user_and_no_secret(world):
    """Account, profile, résumé, sessions, 2FA, identities and audit events; no hashes or seeds."""
    user, secret, codes = world.with_two_factor(EMAIL)
    _seed(world, user.id)
    other = world.user("bob@example.com")
    _seed(world, other.id)
    data = world.export()(user.principal("t"), ip="203.0.113.7")
    names = {section.name for section in data.sections}
    assert {
        "account",
        "profile",
        "resumes",
        "two_factor",
        "recovery_codes",
        "audit_events",
    } <= names
    assert data.section("account")[0]["email"] == EMAIL
    assert data.section("resumes")[0]["text"] == RESUME_TEXT
    assert len(data.section("recovery_codes")) == 10
    dumped = json.dumps([s.records for s in data.sections], default=str)
    assert str(other.id) not in dumped
    for leaked in (secret, codes.codes[0], "password_hash", "sealed_secret", "code_hash"):
        assert leaked not in dumped
    assert world.events(AuditKind.DATA_EXPORTED)[-1].subject_id == user.id


def test_erasing_with_the_password_removes_every_row_and_keeps_an_anonymous_record(world):
    """Everything of the user goes; the audit log keeps a tombstone instead of the id."""
    user = world.user(EMAIL)
    _seed(world, user.id)
    world.oidc_sign_in(identity=FakeIdentity("sub-1", EMAIL))
    world.cache.entries[user_cache_prefix(user.id) + "recommendations"] = RESUME_TEXT
    world.cache.entries["jobraker:user:someone-else:x"] = "kept"
    bob = world.user("bob@example.com")
    _seed(world, bob.id)
    report = world.erase()(_claims(world, user.id), EraseAccountCommand(password=PASSWORD))
    assert report.total >= 4
    store = world.uow.store
    assert user.id not in store.users
    assert user.id not in store.profiles
    assert not any(r.user_id == user.id for r in store.matching.resumes.values())
    assert not any(f.user_id == user.id for f in store.refresh_families.values())
    assert not store.security.identities
    assert bob.id in store.users
    assert any(r.user_id == bob.id for r in store.matching.resumes.values())
    assert list(world.cache.entries) == ["jobraker:user:someone-else:x"]
    erased = world.events(AuditKind.ACCOUNT_ERASED)[-1]
    assert (erased.actor_id, erased.subject_id) == (None, None)
    assert erased.detail("tombstone") == world.pseudonymizer.pseudonym(
        "erasure-tombstone", str(user.id)
    )
    assert str(user.id) not in json.dumps(dict(erased.details))


def test_erasure_revokes_every_token(world):
    """After erasure the user's tokens are revoked (and its account is gone anyway)."""
    world.user(EMAIL)
    tokens = world.login()(LogIn(email=EMAIL, password=PASSWORD)).tokens
    claims = world.tokens.verify(tokens.access_token, world.clock.now())
    world.erase()(claims, EraseAccountCommand(password=PASSWORD))
    assert world.revocations.is_revoked(claims)
    with pytest.raises(Exception, match=r"no longer exists|revoked"):
        world.authenticate()(tokens.access_token)


def test_a_wrong_or_missing_password_erases_nothing(world):
    """No proof, or a wrong one, is 422 on ``password`` and counts against the throttle."""
    user = world.user(EMAIL)
    for command in (EraseAccountCommand(), EraseAccountCommand(password="not my password")):
        with pytest.raises(InvalidInput) as refused:
            world.erase()(_claims(world, user.id), command)
        assert refused.value.field == "password"
    assert user.id in world.uow.store.users
    for _ in range(3):
        with pytest.raises(InvalidInput):
            world.erase()(_claims(world, user.id), EraseAccountCommand(password="wrong"))
    with pytest.raises(TooManyRequests):
        world.erase()(_claims(world, user.id), EraseAccountCommand(password=PASSWORD))


def test_with_two_factor_a_code_proves_ownership_once(world):
    """A current code erases; a wrong code does not; the password still works too."""
    user, secret, _ = world.with_two_factor(EMAIL)
    with pytest.raises(InvalidInput) as refused:
        world.erase()(
            _claims(world, user.id), EraseAccountCommand(proof=SecondFactorProof(code="000000"))
        )
    assert refused.value.field == "code"
    proof = SecondFactorProof(code=world.code(secret))
    world.erase()(_claims(world, user.id), EraseAccountCommand(proof=proof))
    assert user.id not in world.uow.store.users
    assert not world.uow.store.security.enrolments


def test_an_account_without_password_or_2fa_needs_a_fresh_sign_in(world):
    """An OIDC-made account erases with a token younger than five minutes, not an older one."""
    world.oidc_sign_in(identity=FakeIdentity("sub-9", EMAIL))
    user = next(iter(world.uow.store.users.values()))
    with pytest.raises(InvalidInput, match="sign in again"):
        world.erase()(_claims(world, user.id, age=timedelta(minutes=6)), EraseAccountCommand())
    world.erase()(_claims(world, user.id, age=timedelta(minutes=1)), EraseAccountCommand())
    assert not world.uow.store.users


def test_erasing_a_gone_account_is_not_found(world):
    """A second erasure finds nothing to erase."""
    user = world.user(EMAIL)
    world.erase()(_claims(world, user.id), EraseAccountCommand(password=PASSWORD))
    with pytest.raises(NotFound):
        world.erase()(
            AccessClaims(
                user_id=user.id,
                role=user.role,
                token_id="j",
                session_id=uuid.uuid4(),
                token_version=0,
                issued_at=world.clock.now(),
                expires_at=world.clock.now() + timedelta(minutes=5),
            ),
            EraseAccountCommand(password=PASSWORD),
        )
