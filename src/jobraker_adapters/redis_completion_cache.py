"""The assistant's ``CompletionCache`` in Redis, shared by every API process and worker.

An entry is the person's data (the answer to their context), so it lives under their prefix:
``jobraker:user:<uuid>:chat:<request digest>`` (``user_cache_prefix``), where account erasure
(``RedisUserDataCache.purge``) finds and deletes it. Entries expire after ``ttl`` (a day by
default): a hit is only useful while the same request can recur. The value is the completion
as JSON. Redis being unreachable, or an entry that does not decode, is a miss: the cache only
saves model calls and never fails a turn.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Final

import redis
import structlog

from jobraker_core.accounts.privacy import user_cache_prefix
from jobraker_core.assistant.language_model import Completion, FinishReason, TokenUsage, ToolCall

if TYPE_CHECKING:
    import uuid

DEFAULT_TTL: Final = timedelta(days=1)
_log = structlog.get_logger(__name__)


def completion_key(user_id: uuid.UUID, key: str) -> str:
    """The Redis key of the entry of ``user_id`` under ``key``."""
    return f"{user_cache_prefix(user_id)}chat:{key}"


def encode_completion(completion: Completion) -> str:
    """The completion as JSON."""
    return json.dumps(
        {
            "content": completion.content,
            "tool_calls": [[c.id, c.name, c.arguments] for c in completion.tool_calls],
            "finish_reason": completion.finish_reason.value,
            "usage": [completion.usage.prompt_tokens, completion.usage.completion_tokens],
            "model": completion.model,
        },
        ensure_ascii=False,
    )


def decode_completion(raw: str | bytes) -> Completion:
    """The completion ``encode_completion`` wrote (``ValueError``/``KeyError``/``TypeError``)."""
    data = json.loads(raw)
    prompt, answer = data["usage"]
    content = data["content"]
    return Completion(
        content=None if content is None else str(content),
        tool_calls=tuple(ToolCall(str(i), str(n), str(a)) for i, n, a in data["tool_calls"]),
        finish_reason=FinishReason(data["finish_reason"]),
        usage=TokenUsage(int(prompt), int(answer)),
        model=str(data["model"]),
    )


class RedisCompletionCache:
    """``CompletionCache`` over a Redis client, entries under the person's prefix."""

    def __init__(self, client: redis.Redis, ttl: timedelta = DEFAULT_TTL) -> None:
        """Keep entries in ``client`` for ``ttl``."""
        self._redis = client
        self._ttl = ttl

    def get(self, user_id: uuid.UUID, key: str) -> Completion | None:
        """The entry, or None when there is none, it does not decode, or Redis is down."""
        try:
            raw = self._redis.get(completion_key(user_id, key))
        except redis.RedisError as error:
            _log.warning("assistant.cache_unavailable", error=str(error))
            return None
        if not isinstance(raw, str | bytes):
            return None
        try:
            return decode_completion(raw)
        except (ValueError, KeyError, TypeError):
            return None

    def put(self, user_id: uuid.UUID, key: str, completion: Completion) -> None:
        """Store the entry for ``ttl`` (nothing when Redis is down)."""
        try:
            self._redis.set(
                completion_key(user_id, key), encode_completion(completion), ex=self._ttl
            )
        except redis.RedisError as error:
            _log.warning("assistant.cache_unavailable", error=str(error))


__all__ = ["RedisCompletionCache", "completion_key", "decode_completion", "encode_completion"]
