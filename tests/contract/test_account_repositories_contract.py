"""The accounts repositories' contract, run on the in-memory fakes and on PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from account_builders import T0, make_event, make_family, make_token, make_user
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import AuditKind, AuditQuery, UserQuery
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_core.accounts.model import User
    from jobraker_core.ports import UnitOfWorkFactory


def store_user(uow_factory: UnitOfWorkFactory, user: User) -> User:
    """Commit ``user``."""
    with uow_factory() as uow:
        uow.users.add(user)
        uow.commit()
    return user


class TestUserRepository:
    """Users: unique emails, reads, narrow updates, search."""

    def test_a_committed_user_reads_back_equal(self, uow_factory: UnitOfWorkFactory) -> None:
        """What is added is what is read, by id and by email."""
        user = store_user(uow_factory, make_user("ada@example.com", role=Role.ADMIN))
        with uow_factory() as uow:
            assert uow.users.get(user.id) == user
            assert uow.users.get(user.id, for_update=True) == user
            assert uow.users.by_email("ada@example.com") == user
            assert uow.users.by_email("nobody@example.com") is None

    def test_a_taken_email_is_a_conflict(self, uow_factory: UnitOfWorkFactory) -> None:
        """Two users cannot share an email; the unit stays usable after the refusal."""
        store_user(uow_factory, make_user("ada@example.com"))
        with uow_factory() as uow:
            with pytest.raises(Conflict, match="email"):
                uow.users.add(make_user("ada@example.com"))
            other = make_user("bob@example.com")
            uow.users.add(other)
            uow.commit()
        with uow_factory() as uow:
            assert uow.users.get(other.id) == other

    def test_an_unknown_id_is_not_found(self, uow_factory: UnitOfWorkFactory) -> None:
        """Reading or updating a user that does not exist is ``NotFound``."""
        with uow_factory() as uow:
            with pytest.raises(NotFound):
                uow.users.get(uuid.uuid4())
            with pytest.raises(NotFound):
                uow.users.update(make_user())

    def test_update_overwrites_the_user(self, uow_factory: UnitOfWorkFactory) -> None:
        """An updated user reads back as written."""
        user = store_user(uow_factory, make_user())
        with uow_factory() as uow:
            changed = uow.users.get(user.id, for_update=True).disabled().with_role(Role.ADMIN)
            uow.users.update(changed)
            uow.commit()
        with uow_factory() as uow:
            assert uow.users.get(user.id) == changed
            assert changed.token_version == 1

    def test_record_login_sets_only_the_login_time(self, uow_factory: UnitOfWorkFactory) -> None:
        """``record_login`` moves ``last_login_at`` and nothing else."""
        user = store_user(uow_factory, make_user())
        with uow_factory() as uow:
            uow.users.record_login(user.id, T0 + timedelta(hours=1))
            uow.commit()
        with uow_factory() as uow:
            assert uow.users.get(user.id) == user.logged_in(T0 + timedelta(hours=1))

    def test_a_rehash_applies_only_over_the_hash_it_replaces(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        """``replace_password_hash`` swaps the expected hash, and refuses once it has changed."""
        user = store_user(uow_factory, make_user(password_hash="old"))
        with uow_factory() as uow:
            assert uow.users.replace_password_hash(user.id, old="old", new="new")
            assert not uow.users.replace_password_hash(user.id, old="old", new="newer")
            uow.commit()
        with uow_factory() as uow:
            assert uow.users.get(user.id).password_hash == "new"

    def test_list_searches_by_email_substring_oldest_first(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        """The list is oldest first, paged, filtered by a case-insensitive email substring."""
        users = [
            store_user(
                uow_factory,
                make_user(f"{name}@example.com", created_at=T0 + timedelta(minutes=i)),
            )
            for i, name in enumerate(["ann", "bob", "annie", "carl", "joanna"])
        ]
        with uow_factory() as uow:
            everyone = uow.users.list(UserQuery(), PageRequest(per_page=2))
            assert [u.email for u in everyone.items] == ["ann@example.com", "bob@example.com"]
            assert everyone.total == len(users)
            found = uow.users.list(UserQuery(email_contains="ann"), PageRequest())
            assert [u.email for u in found.items] == [
                "ann@example.com",
                "annie@example.com",
                "joanna@example.com",
            ]
            second = uow.users.list(UserQuery(email_contains="ann"), PageRequest(2, 2))
            assert [u.email for u in second.items] == ["joanna@example.com"]
            assert second.total == 3
            assert uow.users.list(UserQuery(email_contains="zed"), PageRequest()).total == 0

    def test_search_treats_wildcards_literally(self, uow_factory: UnitOfWorkFactory) -> None:
        """``%`` and ``_`` in the search text match themselves, not anything."""
        store_user(uow_factory, make_user("a_b@example.com"))
        store_user(uow_factory, make_user("axb@example.com"))
        with uow_factory() as uow:
            found = uow.users.list(UserQuery(email_contains="a_b"), PageRequest())
            assert [u.email for u in found.items] == ["a_b@example.com"]
            assert uow.users.list(UserQuery(email_contains="%"), PageRequest()).total == 0


class TestRefreshTokenRepository:
    """Refresh-token families and tokens: one-time consumption, revocation."""

    def test_tokens_and_families_read_back(self, uow_factory: UnitOfWorkFactory) -> None:
        """A stored family and token read back equal; unknown ones are None."""
        user = store_user(uow_factory, make_user())
        family = make_family(user)
        _, token = make_token(family)
        with uow_factory() as uow:
            uow.refresh_tokens.add_family(family)
            uow.refresh_tokens.add(token)
            uow.commit()
        with uow_factory() as uow:
            assert uow.refresh_tokens.get_family(family.id, for_update=True) == family
            assert uow.refresh_tokens.get(token.token_hash) == token
            assert uow.refresh_tokens.get("0" * 64) is None
            assert uow.refresh_tokens.get_family(uuid.uuid4()) is None

    def test_a_token_is_consumed_once(self, uow_factory: UnitOfWorkFactory) -> None:
        """Only the first ``consume`` succeeds, also across units."""
        user = store_user(uow_factory, make_user())
        family = make_family(user)
        _, token = make_token(family)
        with uow_factory() as uow:
            uow.refresh_tokens.add_family(family)
            uow.refresh_tokens.add(token)
            uow.commit()
        with uow_factory() as uow:
            assert uow.refresh_tokens.consume(token.token_hash, T0)
            assert not uow.refresh_tokens.consume(token.token_hash, T0)
            uow.commit()
        with uow_factory() as uow:
            assert not uow.refresh_tokens.consume(token.token_hash, T0)
            assert uow.refresh_tokens.get(token.token_hash) == token.consume(T0)

    def test_revoking_families(self, uow_factory: UnitOfWorkFactory) -> None:
        """One family, or every live family of a user, is revoked once."""
        user = store_user(uow_factory, make_user())
        other = store_user(uow_factory, make_user())
        mine = [make_family(user) for _ in range(3)]
        theirs = make_family(other)
        with uow_factory() as uow:
            for family in [*mine, theirs]:
                uow.refresh_tokens.add_family(family)
            uow.commit()
        later = T0 + timedelta(minutes=5)
        with uow_factory() as uow:
            assert uow.refresh_tokens.revoke_family(mine[0].id, T0)
            assert not uow.refresh_tokens.revoke_family(mine[0].id, later)
            assert not uow.refresh_tokens.revoke_family(uuid.uuid4(), later)
            revoked = uow.refresh_tokens.revoke_user_families(user.id, later)
            uow.commit()
        assert sorted(revoked) == sorted([mine[1].id, mine[2].id])
        with uow_factory() as uow:
            assert uow.refresh_tokens.get_family(mine[0].id) == mine[0].revoke(T0)
            assert uow.refresh_tokens.get_family(mine[1].id) == mine[1].revoke(later)
            assert uow.refresh_tokens.get_family(theirs.id) == theirs

    def test_a_token_needs_its_family(self, uow_factory: UnitOfWorkFactory) -> None:
        """A token whose family is not stored is refused with ``NotFound``."""
        user = store_user(uow_factory, make_user())
        _, token = make_token(make_family(user))
        with uow_factory() as uow, pytest.raises(NotFound):
            uow.refresh_tokens.add(token)

    def test_uncommitted_tokens_vanish(self, uow_factory: UnitOfWorkFactory) -> None:
        """A unit left without commit stores no family and no token."""
        user = store_user(uow_factory, make_user())
        family = make_family(user)
        _, token = make_token(family)
        with uow_factory() as uow:
            uow.refresh_tokens.add_family(family)
            uow.refresh_tokens.add(token)
        with uow_factory() as uow:
            assert uow.refresh_tokens.get_family(family.id) is None
            assert uow.refresh_tokens.get(token.token_hash) is None


class TestAuditLog:
    """The audit log: append, filter, newest first."""

    def test_events_read_back_newest_first(self, uow_factory: UnitOfWorkFactory) -> None:
        """Appended events list newest first, equal to what was appended."""
        events = [
            make_event(occurred_at=T0 + timedelta(seconds=i), details={"n": str(i)})
            for i in range(5)
        ]
        with uow_factory() as uow:
            for event in events:
                uow.audit.append(event)
            uow.commit()
        with uow_factory() as uow:
            page = uow.audit.list(AuditQuery(), PageRequest(per_page=3))
        assert list(page.items) == events[::-1][:3]
        assert page.total == 5

    def test_filters_by_user_and_kind(self, uow_factory: UnitOfWorkFactory) -> None:
        """``user_id`` matches the actor or the subject; ``kind`` matches exactly."""
        ada, bob = uuid.uuid4(), uuid.uuid4()
        by_ada = make_event(AuditKind.ROLE_CHANGED, actor_id=ada, subject_id=bob)
        about_ada = make_event(
            AuditKind.LOGIN_FAILED, subject_id=ada, occurred_at=T0 + timedelta(seconds=1)
        )
        unrelated = make_event(AuditKind.LOGIN_FAILED, subject_id=bob)
        with uow_factory() as uow:
            for event in (by_ada, about_ada, unrelated):
                uow.audit.append(event)
            uow.commit()
        with uow_factory() as uow:
            mine = uow.audit.list(AuditQuery(user_id=ada), PageRequest())
            failures = uow.audit.list(AuditQuery(kind=AuditKind.LOGIN_FAILED), PageRequest())
            both = uow.audit.list(
                AuditQuery(user_id=ada, kind=AuditKind.LOGIN_FAILED), PageRequest()
            )
            none = uow.audit.list(AuditQuery(user_id=uuid.uuid4()), PageRequest())
        assert list(mine.items) == [about_ada, by_ada]
        assert {e.id for e in failures.items} == {about_ada.id, unrelated.id}
        assert list(both.items) == [about_ada]
        assert none.total == 0

    def test_an_event_id_is_appended_once(self, uow_factory: UnitOfWorkFactory) -> None:
        """Appending an id that is already there is a ``Conflict``."""
        event = make_event()
        with uow_factory() as uow:
            uow.audit.append(event)
            uow.commit()
        with uow_factory() as uow, pytest.raises(Conflict):
            uow.audit.append(event)
