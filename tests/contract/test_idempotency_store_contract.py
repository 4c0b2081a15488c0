"""The ``Idempotency-Key`` rules over each store: the in-memory fake and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

import pytest

from account_builders import T0, add_user
from jobraker_adapters.memory import FixedClock
from jobraker_adapters.memory.idempotency import InMemoryIdempotencyStore
from jobraker_adapters.postgres.idempotency import PostgresIdempotencyStore
from jobraker_core.errors import Conflict, InvalidInput
from jobraker_core.idempotency import (
    IdempotencyClaim,
    IdempotencyStore,
    IdempotentRequests,
    StoredResponse,
    request_fingerprint,
)

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory

BODY = b'{"mode": "auto"}'
FINGERPRINT = request_fingerprint("POST", "/api/v1/jobs/1/apply/", BODY)
OTHER = request_fingerprint("POST", "/api/v1/jobs/1/apply/", b'{"mode": "manual"}')
CREATED = StoredResponse(201, b'{"id": 1}', (("content-type", "application/json"),))


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> IdempotencyStore:
    """Give an empty store: the in-memory fake or PostgreSQL."""
    if request.param == "memory":
        return InMemoryIdempotencyStore()
    request.getfixturevalue("db")
    return PostgresIdempotencyStore(request.getfixturevalue("pg_pool"))


@pytest.fixture
def uow_for_users(request: pytest.FixtureRequest, store: IdempotencyStore) -> UnitOfWorkFactory:
    """A unit of work over the same storage as ``store`` (to add users, and erase them)."""
    from jobraker_adapters.memory import InMemoryUnitOfWorkFactory  # noqa: PLC0415
    from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory  # noqa: PLC0415

    if isinstance(store, InMemoryIdempotencyStore):
        return InMemoryUnitOfWorkFactory()
    return PostgresUnitOfWorkFactory(request.getfixturevalue("pg_pool"))


@pytest.fixture
def alice(uow_for_users: UnitOfWorkFactory) -> uuid.UUID:
    """A stored user."""
    return add_user(uow_for_users)


@pytest.fixture
def bob(uow_for_users: UnitOfWorkFactory) -> uuid.UUID:
    """Another stored user."""
    return add_user(uow_for_users)


@pytest.fixture
def clock() -> FixedClock:
    """A clock the tests move by hand."""
    return FixedClock(T0)


@pytest.fixture
def requests(store: IdempotencyStore, clock: FixedClock) -> IdempotentRequests:
    """The rules over ``store``."""
    return IdempotentRequests(store, clock)


def _claim(outcome: object) -> IdempotencyClaim:
    assert isinstance(outcome, IdempotencyClaim)
    return outcome


def test_the_first_use_claims_and_the_second_replays(requests, alice):
    """Same key, same request: the stored response comes back."""
    claim = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    requests.finish(claim, CREATED)
    assert requests.begin(alice, "key-1", FINGERPRINT) == CREATED


def test_a_different_request_with_the_same_key_is_invalid(requests, alice):
    """Same key, different body: 422, finished or not."""
    claim = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    with pytest.raises(InvalidInput) as caught:
        requests.begin(alice, "key-1", OTHER)
    assert caught.value.field == "Idempotency-Key"
    requests.finish(claim, CREATED)
    with pytest.raises(InvalidInput):
        requests.begin(alice, "key-1", OTHER)


def test_a_request_still_running_is_a_conflict(requests, alice):
    """Same key while the first request runs: 409."""
    requests.begin(alice, "key-1", FINGERPRINT)
    with pytest.raises(Conflict):
        requests.begin(alice, "key-1", FINGERPRINT)


def test_keys_are_scoped_per_user(requests, alice, bob):
    """Another user's identical key is theirs alone."""
    claim = _claim(requests.begin(alice, "shared", FINGERPRINT))
    requests.finish(claim, CREATED)
    bobs = requests.begin(bob, "shared", OTHER)
    assert isinstance(bobs, IdempotencyClaim)
    assert requests.begin(alice, "shared", FINGERPRINT) == CREATED


def test_an_abandoned_claim_frees_the_key(requests, alice):
    """After a server failure the same request runs again."""
    claim = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    requests.abandon(claim)
    assert isinstance(requests.begin(alice, "key-1", FINGERPRINT), IdempotencyClaim)


@pytest.mark.parametrize("status", [500, 503, 401, 429])
def test_answers_a_retry_may_not_get_are_not_kept(requests, alice, status):
    """5xx and passing refusals free the key instead of being stored."""
    claim = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    requests.finish(claim, StoredResponse(status, b"{}"))
    assert isinstance(requests.begin(alice, "key-1", FINGERPRINT), IdempotencyClaim)


def test_a_deterministic_refusal_is_replayed(requests, alice):
    """A 422 or 409 answer is what a retry would get again: it is stored."""
    claim = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    refusal = StoredResponse(409, b'{"detail": "already applied"}')
    requests.finish(claim, refusal)
    assert requests.begin(alice, "key-1", FINGERPRINT) == refusal


def test_records_expire_after_24_hours(requests, clock, alice):
    """A day later the key is new again, even for a different request."""
    claim = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    requests.finish(claim, CREATED)
    clock.advance(hours=23, minutes=59)
    assert requests.begin(alice, "key-1", FINGERPRINT) == CREATED
    clock.advance(minutes=1)
    assert isinstance(requests.begin(alice, "key-1", OTHER), IdempotencyClaim)


def test_a_crashed_claim_is_taken_over_after_its_lease(requests, clock, alice):
    """A claim never finished (its process died) blocks retries only until its lease ends."""
    stale = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    clock.advance(minutes=1)
    with pytest.raises(Conflict):
        requests.begin(alice, "key-1", FINGERPRINT)
    clock.advance(minutes=1)
    fresh = _claim(requests.begin(alice, "key-1", FINGERPRINT))
    requests.finish(fresh, CREATED)
    requests.abandon(stale)  # the late original cannot remove the new answer
    assert requests.begin(alice, "key-1", FINGERPRINT) == CREATED


def test_purge_deletes_only_expired_records(requests, store, clock, alice):
    """Purging removes what has expired and keeps the rest."""
    requests.finish(_claim(requests.begin(alice, "old", FINGERPRINT)), CREATED)
    clock.advance(hours=12)
    requests.finish(_claim(requests.begin(alice, "new", FINGERPRINT)), CREATED)
    clock.advance(hours=12)
    assert requests.purge() == 1
    assert requests.begin(alice, "new", FINGERPRINT) == CREATED


@pytest.mark.parametrize("key", ["", " ", "a" * 256, "naïve", "two words"])
def test_malformed_keys_are_invalid(requests, alice, key):
    """Keys are 1 to 255 visible ASCII characters."""
    with pytest.raises(InvalidInput):
        requests.begin(alice, key, FINGERPRINT)


def test_concurrent_first_uses_have_one_winner(store, clock, alice):
    """Of many simultaneous first uses of one key, exactly one claims it; the rest conflict."""
    requests = IdempotentRequests(store, clock)
    outcomes: list[object] = []
    start = threading.Barrier(8)

    def attempt() -> None:
        start.wait()
        try:
            outcomes.append(requests.begin(alice, "race", FINGERPRINT))
        except Conflict as error:
            outcomes.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(o, IdempotencyClaim) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 7


def test_the_headers_and_body_survive_storage(requests, alice):
    """Binary bodies and header pairs come back exactly."""
    response = StoredResponse(
        201, bytes(range(256)), (("content-type", "application/json"), ("location", "/a/1/"))
    )
    requests.finish(_claim(requests.begin(alice, "bin", FINGERPRINT)), response)
    assert requests.begin(alice, "bin", FINGERPRINT) == response


def test_the_fingerprint_covers_method_path_and_body():
    """Changing any of method, path or body changes the fingerprint."""
    base = request_fingerprint("POST", "/a/?x=1", b"{}")
    assert base == request_fingerprint("post", "/a/?x=1", b"{}")
    assert base != request_fingerprint("PUT", "/a/?x=1", b"{}")
    assert base != request_fingerprint("POST", "/a/?x=2", b"{}")
    assert base != request_fingerprint("POST", "/a/?x=1", b"{ }")


@pytest.mark.integration
def test_deleting_a_user_deletes_their_records(db, pg_pool):
    """The foreign key cascades: a deleted (erased) user leaves no idempotency record."""
    from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory  # noqa: PLC0415

    user = add_user(PostgresUnitOfWorkFactory(pg_pool))
    requests = IdempotentRequests(PostgresIdempotencyStore(pg_pool), FixedClock(T0))
    requests.finish(_claim(requests.begin(user, "k", FINGERPRINT)), CREATED)
    with pg_pool.connection() as conn:
        conn.execute("DELETE FROM users WHERE id = %s", (user,))
        left = conn.execute("SELECT count(*) FROM idempotency_keys WHERE user_id = %s", (user,))
        assert left.fetchone() == (0,)


def test_the_fake_forgets_a_user():
    """The in-memory store drops every record of a forgotten user."""
    store = InMemoryIdempotencyStore()
    requests = IdempotentRequests(store, FixedClock(T0))
    user = uuid.uuid4()
    requests.finish(_claim(requests.begin(user, "k", FINGERPRINT)), CREATED)
    assert store.forget_user(user) == 1
    assert isinstance(requests.begin(user, "k", FINGERPRINT), IdempotencyClaim)
