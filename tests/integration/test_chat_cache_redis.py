"""The assistant's completion cache in Redis: per person, shared, expiring, purged on erasure."""

from __future__ import annotations

import uuid

import pytest
import redis

from jobraker_adapters.redis_completion_cache import RedisCompletionCache, completion_key
from jobraker_adapters.redis_user_data import RedisUserDataCache
from jobraker_core.assistant.language_model import Completion, FinishReason, TokenUsage, ToolCall
from jobraker_core.assistant.use_cases import SendMessageCommand
from unit.http.auth_helpers import log_in

pytestmark = pytest.mark.integration

ANSWER = Completion(
    "Here you are.",
    (ToolCall("c1", "search_jobs", '{"query": "python"}'),),
    FinishReason.TOOL_CALLS,
    TokenUsage(120, 30),
    "gpt-test",
)


def test_an_entry_round_trips_for_its_person_only_and_expires(redis_client):
    """Stored under the person's prefix with a TTL; another person's lookup misses."""
    cache = RedisCompletionCache(redis_client)
    me, other = uuid.uuid4(), uuid.uuid4()
    cache.put(me, "chat:abc", ANSWER)
    assert cache.get(me, "chat:abc") == ANSWER
    assert cache.get(other, "chat:abc") is None
    key = completion_key(me, "chat:abc")
    assert key.startswith(f"jobraker:user:{me}:")
    assert 0 < redis_client.ttl(key) <= 86_400


def test_erasure_purges_the_persons_entries(redis_client):
    """``RedisUserDataCache.purge`` (account erasure) deletes them; others' entries stay."""
    cache = RedisCompletionCache(redis_client)
    me, other = uuid.uuid4(), uuid.uuid4()
    cache.put(me, "chat:1", ANSWER)
    cache.put(me, "chat:2", ANSWER)
    cache.put(other, "chat:1", ANSWER)
    assert RedisUserDataCache(redis_client).purge(me) >= 2
    assert (cache.get(me, "chat:1"), cache.get(me, "chat:2")) == (None, None)
    assert cache.get(other, "chat:1") == ANSWER


def test_a_broken_entry_or_an_unreachable_redis_is_a_miss(redis_client):
    """Garbage under the key, or Redis gone, answers None and never raises."""
    me = uuid.uuid4()
    redis_client.set(completion_key(me, "chat:x"), b"not json")
    assert RedisCompletionCache(redis_client).get(me, "chat:x") is None
    gone = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    down = RedisCompletionCache(gone)
    down.put(me, "chat:x", ANSWER)
    assert down.get(me, "chat:x") is None


def test_a_second_process_answers_the_same_request_from_redis(pg_container, redis_client):
    """The production container caches in Redis: a fresh cache object (another process) hits."""
    pg_container.migrate()
    user_id, _ = log_in(pg_container)
    first = pg_container.send_message()(SendMessageCommand(user_id, "hello"))
    assert not first.cached
    keys = list(redis_client.scan_iter(match=f"jobraker:user:{user_id}:chat:*"))
    assert keys
    pg_container.completion_cache.reset()  # as if the next request reached another process
    second = pg_container.send_message()(SendMessageCommand(user_id, "hello"))
    assert second.cached
    assert second.message.content == first.message.content
    pg_container.user_data_cache().purge(user_id)
    assert not list(redis_client.scan_iter(match=f"jobraker:user:{user_id}:chat:*"))
