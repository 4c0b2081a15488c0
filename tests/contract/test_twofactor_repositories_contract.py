"""The two-factor, identity and personal-data repositories' contract: fakes and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from account_builders import T0, make_user
from jobraker_core.accounts.oidc import OidcIdentity
from jobraker_core.accounts.twofactor import (
    RecoveryCode,
    TotpEnrolment,
    TwoFactorChallenge,
    hash_challenge,
    hash_recovery_code,
)
from jobraker_core.errors import Conflict

if TYPE_CHECKING:
    from jobraker_core.accounts.model import User
    from jobraker_core.ports import UnitOfWorkFactory

SEAL = b"\x01\x02k1" + b"\x00" * 40


def _user(uow_factory: UnitOfWorkFactory, email: str = "ada@example.com") -> User:
    user = make_user(email)
    with uow_factory() as uow:
        uow.users.add(user)
        uow.commit()
    return user


def _enrolled(uow_factory: UnitOfWorkFactory, email: str = "ada@example.com") -> User:
    user = _user(uow_factory, email)
    with uow_factory() as uow:
        uow.two_factor.save(
            TotpEnrolment(user_id=user.id, sealed_secret=SEAL, created_at=T0, confirmed_at=T0)
        )
        uow.commit()
    return user


class TestTwoFactorRepository:
    """Enrolments, single-use steps and codes, challenges, rotation."""

    def test_an_enrolment_reads_back_and_is_replaced(self, uow_factory: UnitOfWorkFactory) -> None:
        """Saving twice keeps one enrolment per user, the latest."""
        user = _user(uow_factory)
        pending = TotpEnrolment(user_id=user.id, sealed_secret=SEAL, created_at=T0)
        with uow_factory() as uow:
            uow.two_factor.save(pending)
            uow.commit()
        with uow_factory() as uow:
            assert uow.two_factor.get(user.id) == pending
            uow.two_factor.save(pending.confirmed(T0, 5))
            uow.commit()
        with uow_factory() as uow:
            stored = uow.two_factor.get(user.id, for_update=True)
            assert stored is not None
            assert (stored.active, stored.last_used_step) == (True, 5)
            assert uow.two_factor.get(uuid.uuid4()) is None

    def test_a_step_is_claimed_once_and_never_backwards(self, uow_factory) -> None:
        """Claiming step s works once; s again or an older step is refused; a newer one works."""
        user = _enrolled(uow_factory)
        with uow_factory() as uow:
            assert uow.two_factor.claim_step(user.id, 100)
            assert not uow.two_factor.claim_step(user.id, 100)
            assert not uow.two_factor.claim_step(user.id, 99)
            uow.commit()
        with uow_factory() as uow:
            assert not uow.two_factor.claim_step(user.id, 100)
            assert uow.two_factor.claim_step(user.id, 101)
            assert not uow.two_factor.claim_step(uuid.uuid4(), 1)

    def test_recovery_codes_are_used_once_and_replaced_whole(self, uow_factory) -> None:
        """A code works once; replacing the set forgets the old codes."""
        user = _enrolled(uow_factory)
        codes = [
            RecoveryCode(user.id, hash_recovery_code(user.id, f"code-{n}"), T0) for n in range(3)
        ]
        with uow_factory() as uow:
            uow.two_factor.replace_recovery_codes(user.id, codes)
            uow.commit()
        with uow_factory() as uow:
            assert uow.two_factor.unused_recovery_codes(user.id) == 3
            assert uow.two_factor.use_recovery_code(user.id, codes[0].code_hash, T0)
            assert not uow.two_factor.use_recovery_code(user.id, codes[0].code_hash, T0)
            assert not uow.two_factor.use_recovery_code(user.id, "f" * 64, T0)
            uow.commit()
        with uow_factory() as uow:
            assert uow.two_factor.unused_recovery_codes(user.id) == 2
            fresh = [RecoveryCode(user.id, hash_recovery_code(user.id, "new"), T0)]
            uow.two_factor.replace_recovery_codes(user.id, fresh)
            assert not uow.two_factor.use_recovery_code(user.id, codes[1].code_hash, T0)
            assert uow.two_factor.unused_recovery_codes(user.id) == 1

    def test_challenges_count_failures_and_are_consumed_once(self, uow_factory) -> None:
        """Attempts add up; consuming works once; an unknown digest is none of these."""
        user = _enrolled(uow_factory)
        digest = hash_challenge("jr2fa_x")
        challenge = TwoFactorChallenge(digest, user.id, 0, T0, T0 + timedelta(minutes=5))
        with uow_factory() as uow:
            uow.two_factor.add_challenge(challenge)
            uow.commit()
        with uow_factory() as uow, pytest.raises(Conflict):
            uow.two_factor.add_challenge(challenge)
        with uow_factory() as uow:
            assert uow.two_factor.get_challenge(digest, for_update=True) == challenge
            assert uow.two_factor.record_challenge_failure(digest) == 1
            assert uow.two_factor.record_challenge_failure(digest) == 2
            assert uow.two_factor.consume_challenge(digest, T0)
            assert not uow.two_factor.consume_challenge(digest, T0)
            assert uow.two_factor.record_challenge_failure("0" * 64) == 0
            uow.commit()
        with uow_factory() as uow:
            stored = uow.two_factor.get_challenge(digest)
            assert stored is not None
            assert (stored.attempts, stored.consumed_at) == (2, T0)

    def test_expired_challenges_are_forgotten(self, uow_factory) -> None:
        """Only the user's challenges that expired before the given time are deleted."""
        user = _enrolled(uow_factory)
        old, live = hash_challenge("jr2fa_old"), hash_challenge("jr2fa_live")
        with uow_factory() as uow:
            uow.two_factor.add_challenge(
                TwoFactorChallenge(old, user.id, 0, T0, T0 + timedelta(minutes=5))
            )
            uow.two_factor.add_challenge(
                TwoFactorChallenge(live, user.id, 0, T0, T0 + timedelta(minutes=15))
            )
            uow.commit()
        with uow_factory() as uow:
            assert uow.two_factor.forget_challenges(user.id, before=T0 + timedelta(minutes=10)) == 1
            assert (
                uow.two_factor.forget_challenges(uuid.uuid4(), before=T0 + timedelta(days=1)) == 0
            )
            uow.commit()
        with uow_factory() as uow:
            assert uow.two_factor.get_challenge(old) is None
            assert uow.two_factor.get_challenge(live) is not None

    def test_deleting_removes_enrolment_codes_and_challenges(self, uow_factory) -> None:
        """Switching 2FA off leaves nothing of it."""
        user = _enrolled(uow_factory)
        digest = hash_challenge("jr2fa_y")
        with uow_factory() as uow:
            uow.two_factor.replace_recovery_codes(
                user.id, [RecoveryCode(user.id, hash_recovery_code(user.id, "c"), T0)]
            )
            uow.two_factor.add_challenge(
                TwoFactorChallenge(digest, user.id, 0, T0, T0 + timedelta(minutes=5))
            )
            uow.commit()
        with uow_factory() as uow:
            assert uow.two_factor.delete(user.id)
            assert not uow.two_factor.delete(user.id)
            uow.commit()
        with uow_factory() as uow:
            assert uow.two_factor.get(user.id) is None
            assert uow.two_factor.unused_recovery_codes(user.id) == 0
            assert uow.two_factor.get_challenge(digest) is None

    def test_sealed_secrets_page_by_id_and_swap_only_if_unchanged(self, uow_factory) -> None:
        """Rotation reads every seal in id order and swaps a seal only if it is still the same."""
        users = [_enrolled(uow_factory, f"u{n}@example.com") for n in range(3)]
        with uow_factory() as uow:
            first = uow.two_factor.sealed_secrets(after=None, limit=2)
            rest = uow.two_factor.sealed_secrets(after=first[-1][0], limit=2)
        ids = [user_id for user_id, _ in first + rest]
        assert sorted(ids, key=str) == ids
        assert set(ids) == {user.id for user in users}
        with uow_factory() as uow:
            assert uow.two_factor.replace_sealed_secret(ids[0], old=SEAL, new=SEAL + b"!")
            assert not uow.two_factor.replace_sealed_secret(ids[0], old=SEAL, new=SEAL)
            uow.commit()


class TestOidcIdentityRepository:
    """Links of external identities: unique per (provider, subject)."""

    def test_a_link_reads_back_and_cannot_be_taken_twice(self, uow_factory) -> None:
        """The same identity cannot be linked twice; a user's links list oldest first."""
        user = _user(uow_factory)
        first = OidcIdentity("google", "sub-1", user.id, "ada@example.com", T0)
        second = OidcIdentity("github", "42", user.id, None, T0 + timedelta(seconds=1))
        with uow_factory() as uow:
            uow.oidc_identities.add(first)
            uow.oidc_identities.add(second)
            uow.commit()
        with uow_factory() as uow:
            assert uow.oidc_identities.get("google", "sub-1") == first
            assert uow.oidc_identities.get("google", "sub-2") is None
            assert uow.oidc_identities.for_user(user.id) == [first, second]
            with pytest.raises(Conflict):
                uow.oidc_identities.add(first)


class TestPersonalDataStore:
    """Export and erasure of everything of one user."""

    def test_export_and_erase_touch_only_that_user(self, uow_factory) -> None:
        """The export holds the user's rows without seals; erasure removes them, not others'."""
        ada, bob = _enrolled(uow_factory), _enrolled(uow_factory, "bob@example.com")
        with uow_factory() as uow:
            uow.oidc_identities.add(OidcIdentity("google", "s", ada.id, "ada@example.com", T0))
            uow.commit()
        with uow_factory() as uow:
            sections = {s.name: s.records for s in uow.personal_data.export(ada.id)}
        assert sections["account"][0]["email"] == "ada@example.com"
        assert len(sections["two_factor"]) == 1
        assert "sealed_secret" not in sections["two_factor"][0]
        assert "totp_secret" not in sections["two_factor"][0]
        assert sections["linked_identities"][0]["subject"] == "s"
        assert "bob@example.com" not in repr(sections)
        with uow_factory() as uow:
            report = uow.personal_data.erase(ada.id)
            uow.commit()
        assert report.total >= 3
        with uow_factory() as uow:
            assert uow.users.by_email("ada@example.com") is None
            assert uow.two_factor.get(ada.id) is None
            assert uow.oidc_identities.get("google", "s") is None
            assert uow.users.get(bob.id) == bob
            assert uow.two_factor.get(bob.id) is not None
