"""The token revocation list and the login throttle on a real Redis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis

from jobraker_adapters.security.revocation import RedisRevocationStore
from jobraker_adapters.security.throttle import RedisLoginThrottle
from jobraker_core.accounts.identity import Role
from jobraker_core.accounts.model import AccessClaims
from jobraker_core.errors import UpstreamUnavailable

pytestmark = pytest.mark.integration

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _claims(**changes) -> AccessClaims:
    fields = {
        "user_id": uuid.uuid4(),
        "role": Role.USER,
        "token_id": uuid.uuid4().hex,
        "session_id": uuid.uuid4(),
        "token_version": 0,
        "issued_at": NOW,
        "expires_at": NOW + timedelta(minutes=15),
    }
    return AccessClaims(**{**fields, **changes})


def test_a_revoked_token_is_remembered_until_it_expires(redis_client):
    """The jti is stored with a TTL equal to the token's remaining lifetime."""
    store = RedisRevocationStore(redis_client)
    claims, other = _claims(), _claims()
    store.revoke_token(claims.token_id, claims.expires_at, NOW + timedelta(minutes=5))
    assert store.is_revoked(claims)
    assert not store.is_revoked(other)
    ttl = redis_client.ttl(f"jobraker:revoked:token:{claims.token_id}")
    assert 590 <= ttl <= 600


def test_an_expired_token_needs_no_record(redis_client):
    """Revoking a token that has already expired writes nothing."""
    store = RedisRevocationStore(redis_client)
    claims = _claims()
    store.revoke_token(claims.token_id, claims.expires_at, claims.expires_at)
    assert redis_client.keys("jobraker:revoked:*") == []


def test_a_revoked_session_revokes_its_tokens(redis_client):
    """Every token naming a revoked session is revoked; other sessions are not."""
    store = RedisRevocationStore(redis_client)
    claims = _claims()
    store.revoke_session(claims.session_id, NOW + timedelta(minutes=15), NOW)
    assert store.is_revoked(_claims(session_id=claims.session_id))
    assert not store.is_revoked(_claims())


def test_a_user_revocation_only_ever_raises_the_bar(redis_client):
    """Versions below the revoked one are revoked; a later, lower revocation changes nothing."""
    store = RedisRevocationStore(redis_client)
    user = uuid.uuid4()
    store.revoke_user(user, 3, NOW + timedelta(minutes=15), NOW)
    store.revoke_user(user, 1, NOW + timedelta(minutes=15), NOW)
    assert store.is_revoked(_claims(user_id=user, token_version=2))
    assert not store.is_revoked(_claims(user_id=user, token_version=3))
    assert not store.is_revoked(_claims(token_version=0))
    assert redis_client.ttl(f"jobraker:revoked:user:{user}") > 0


def test_the_throttle_locks_an_account_and_a_client(redis_client):
    """Limits per account and per client lock with a wait; a success clears the account only."""
    throttle = RedisLoginThrottle(
        redis_client,
        max_account_failures=3,
        max_client_failures=5,
        window=timedelta(minutes=15),
        lockout=timedelta(minutes=10),
    )
    assert throttle.check("acct", "ip") == 0
    assert throttle.record_failure("acct", "ip") == 0
    assert throttle.record_failure("acct", "ip") == 0
    assert throttle.record_failure("acct", "ip") == 600
    assert 590 <= throttle.check("acct", "ip") <= 600
    assert throttle.check("other-acct", "other-ip") == 0
    throttle.reset("acct")
    assert throttle.check("acct", "other-ip") == 0
    assert throttle.record_failure("acct2", "ip") == 0
    assert throttle.record_failure("acct3", "ip") == 600  # the client's fifth failure
    assert throttle.check("fresh", "ip") > 0
    assert redis_client.ttl("jobraker:login:fail:client:ip") > 0


def test_a_redis_outage_is_upstream_unavailable():
    """Both stores report an unreachable Redis as ``UpstreamUnavailable``, never let through."""
    dead = redis.Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.2, socket_timeout=0.2)
    store = RedisRevocationStore(dead)
    throttle = RedisLoginThrottle(dead)
    with pytest.raises(UpstreamUnavailable):
        store.is_revoked(_claims())
    with pytest.raises(UpstreamUnavailable):
        store.revoke_user(uuid.uuid4(), 1, NOW + timedelta(minutes=1), NOW)
    with pytest.raises(UpstreamUnavailable):
        throttle.check("a", "b")
    with pytest.raises(UpstreamUnavailable):
        throttle.record_failure("a", "b")
    dead.close()
