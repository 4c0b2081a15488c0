"""In-memory conversations, messages, proposals (reference semantics of migration 0040), a cache.

``InMemoryCompletionCache`` is the memory container's ``CompletionCache`` (the production one is
``jobraker_adapters.redis_completion_cache``).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence

import attrs

from jobraker_core.accounts.privacy import user_cache_prefix
from jobraker_core.assistant.chat import ChatMessage, Conversation, Proposal, ProposalStatus
from jobraker_core.assistant.language_model import Completion
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import Page, PageRequest


@attrs.define
class AssistantTables:
    """Stored conversations, their messages and proposals."""

    conversations: dict[uuid.UUID, Conversation] = attrs.field(factory=dict)
    messages: dict[uuid.UUID, ChatMessage] = attrs.field(factory=dict)
    proposals: dict[uuid.UUID, Proposal] = attrs.field(factory=dict)

    def of_user(self, user_id: uuid.UUID) -> dict[str, list[object]]:
        """The user's rows, one export section per table."""
        messages: list[ChatMessage] = [m for m in self.messages.values() if m.user_id == user_id]
        messages.sort(key=lambda m: (str(m.conversation_id), m.seq))
        return {
            "conversations": [c for c in self.conversations.values() if c.user_id == user_id],
            "chat_messages": list(messages),
            "chat_proposals": [p for p in self.proposals.values() if p.user_id == user_id],
        }

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Delete the user's conversations, messages and proposals; return how many rows went."""
        conversations = [k for k, c in self.conversations.items() if c.user_id == user_id]
        messages = [k for k, m in self.messages.items() if m.user_id == user_id]
        proposals = [k for k, p in self.proposals.items() if p.user_id == user_id]
        for key in conversations:
            del self.conversations[key]
        for key in messages:
            del self.messages[key]
        for key in proposals:
            del self.proposals[key]
        return len(conversations) + len(messages) + len(proposals)

    def copy(self) -> AssistantTables:
        """A copy whose dictionaries can change without touching these."""
        return AssistantTables(dict(self.conversations), dict(self.messages), dict(self.proposals))


@attrs.define
class InMemoryConversationRepository:
    """``ConversationRepository`` over ``AssistantTables``."""

    tables: AssistantTables

    def add(self, conversation: Conversation) -> None:
        """Store a new conversation (``Conflict`` for a taken id)."""
        if conversation.id in self.tables.conversations:
            raise Conflict(f"conversation {conversation.id} exists already")
        self.tables.conversations[conversation.id] = conversation

    def update(self, conversation: Conversation) -> None:
        """Replace a stored conversation."""
        self.get(conversation.user_id, conversation.id)
        self.tables.conversations[conversation.id] = conversation

    def get(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
        """The person's conversation (``NotFound`` otherwise)."""
        found = self.tables.conversations.get(conversation_id)
        if found is None or found.user_id != user_id:
            raise NotFound(f"you have no conversation {conversation_id}")
        return found

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[Conversation]:
        """The person's conversations, most recently active first."""
        mine = sorted(
            (c for c in self.tables.conversations.values() if c.user_id == user_id),
            key=lambda c: (c.updated_at, str(c.id)),
            reverse=True,
        )
        return Page(tuple(mine[page.offset : page.offset + page.per_page]), len(mine), page)

    def delete(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> bool:
        """Delete the conversation with its messages and proposals."""
        found = self.tables.conversations.get(conversation_id)
        if found is None or found.user_id != user_id:
            return False
        del self.tables.conversations[conversation_id]
        messages, proposals = self.tables.messages, self.tables.proposals
        for key in [k for k, m in messages.items() if m.conversation_id == conversation_id]:
            del messages[key]
        for key in [k for k, p in proposals.items() if p.conversation_id == conversation_id]:
            del proposals[key]
        return True

    def _ordered(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Sequence[ChatMessage]:
        self.get(user_id, conversation_id)
        return sorted(
            (m for m in self.tables.messages.values() if m.conversation_id == conversation_id),
            key=lambda m: m.seq,
        )

    def add_messages(self, messages: Sequence[ChatMessage]) -> None:
        """Append messages (``Conflict`` when a sequence number is taken)."""
        for message in messages:
            conversation = self.tables.conversations.get(message.conversation_id)
            if conversation is None or conversation.user_id != message.user_id:
                raise NotFound(f"you have no conversation {message.conversation_id}")
            if any(
                m.conversation_id == message.conversation_id and m.seq == message.seq
                for m in self.tables.messages.values()
            ):
                raise Conflict("the conversation changed meanwhile")
            self.tables.messages[message.id] = message

    def messages(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, page: PageRequest
    ) -> Page[ChatMessage]:
        """One page of the conversation, oldest first."""
        ordered = self._ordered(user_id, conversation_id)
        return Page(tuple(ordered[page.offset : page.offset + page.per_page]), len(ordered), page)

    def recent_messages(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, limit: int
    ) -> Sequence[ChatMessage]:
        """The last ``limit`` messages, oldest first."""
        return self._ordered(user_id, conversation_id)[-limit:] if limit > 0 else []

    def add_proposal(self, proposal: Proposal) -> None:
        """Store a new proposal."""
        self.get(proposal.user_id, proposal.conversation_id)
        self.tables.proposals[proposal.id] = proposal

    def get_proposal(self, user_id: uuid.UUID, proposal_id: uuid.UUID) -> Proposal:
        """The person's proposal (``NotFound`` otherwise)."""
        found = self.tables.proposals.get(proposal_id)
        if found is None or found.user_id != user_id:
            raise NotFound(f"you have no proposal {proposal_id}")
        return found

    def update_proposal(self, proposal: Proposal, expected: ProposalStatus) -> None:
        """Store a proposal's decision if it is still ``expected`` (``Conflict`` otherwise).

        The session's commit checks again against what others committed meanwhile.
        """
        current = self.get_proposal(proposal.user_id, proposal.id)
        if current.status is not expected:
            raise Conflict(f"this proposal was already {current.status.value}")
        self.tables.proposals[proposal.id] = proposal

    def proposals(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Sequence[Proposal]:
        """The conversation's proposals, oldest first."""
        self.get(user_id, conversation_id)
        return sorted(
            (p for p in self.tables.proposals.values() if p.conversation_id == conversation_id),
            key=lambda p: (p.created_at, str(p.id)),
        )


class InMemoryAssistantSession:
    """One unit of work's view of the assistant tables: a copy, published on commit."""

    def __init__(self, committed: AssistantTables | None = None) -> None:
        """Start from a copy of ``committed`` (call under the store's lock)."""
        source = committed or AssistantTables()
        self._before = source.copy()
        self.tables = source.copy()
        self.conversations = InMemoryConversationRepository(self.tables)

    def check(self, store: AssistantTables) -> None:
        """Raise ``Conflict`` where PostgreSQL's keys would refuse this unit's new rows."""
        taken = {(m.conversation_id, m.seq) for m in store.messages.values()}
        for key, message in self.tables.messages.items():
            if key not in self._before.messages and (
                (message.conversation_id, message.seq) in taken or key in store.messages
            ):
                raise Conflict("the conversation changed meanwhile")
        for key in self.tables.conversations.keys() - self._before.conversations.keys():
            if key in store.conversations:
                raise Conflict(f"conversation {key} was stored meanwhile")
        for key, proposal in self.tables.proposals.items():
            before = self._before.proposals.get(key)
            if (
                before is not None
                and proposal is not before
                and store.proposals.get(key) is not before
            ):
                raise Conflict("this proposal was decided meanwhile")

    def publish(self, store: AssistantTables) -> None:
        """Apply this unit's changes to the store (call under its lock, after ``check``)."""
        for name in ("conversations", "messages", "proposals"):
            now: dict[object, object] = getattr(self.tables, name)
            before: dict[object, object] = getattr(self._before, name)
            target: dict[object, object] = getattr(store, name)
            target.update({k: v for k, v in now.items() if before.get(k) is not v})
            for key in before.keys() - now.keys():
                target.pop(key, None)
        self._before = self.tables.copy()


@attrs.define
class InMemoryCompletionCache:
    """A bounded, thread-safe ``CompletionCache`` in memory (least recently used goes).

    Keys follow the ``jobraker:user:<id>:chat:<digest>`` convention of the Redis cache;
    ``forget_user`` drops a person's entries (the memory container's ``InMemoryUserDataCache``
    calls it on erasure, as ``RedisUserDataCache`` deletes the Redis keys).
    """

    size: int = 512
    _items: OrderedDict[str, Completion] = attrs.field(factory=OrderedDict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)
    hits: int = attrs.field(default=0, init=False)

    @staticmethod
    def key_of(user_id: uuid.UUID, key: str) -> str:
        """Where the entry of ``user_id`` under ``key`` is kept."""
        return f"{user_cache_prefix(user_id)}chat:{key}"

    def get(self, user_id: uuid.UUID, key: str) -> Completion | None:
        """The completion stored for ``user_id`` under ``key``."""
        with self._lock:
            full = self.key_of(user_id, key)
            found = self._items.get(full)
            if found is not None:
                self._items.move_to_end(full)
                self.hits += 1
            return found

    def put(self, user_id: uuid.UUID, key: str, completion: Completion) -> None:
        """Remember ``completion``, forgetting the least recently used beyond ``size``."""
        with self._lock:
            full = self.key_of(user_id, key)
            self._items[full] = completion
            self._items.move_to_end(full)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget_user(self, user_id: uuid.UUID) -> int:
        """Drop every entry of ``user_id``; return how many went."""
        prefix = user_cache_prefix(user_id)
        with self._lock:
            gone = [k for k in self._items if k.startswith(prefix)]
            for key in gone:
                del self._items[key]
        return len(gone)
