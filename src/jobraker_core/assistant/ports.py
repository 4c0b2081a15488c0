"""Ports of the assistant: where conversations live, how proposals are carried out, the cache."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from jobraker_core.assistant.chat import ChatMessage, Conversation, Proposal, ProposalStatus
    from jobraker_core.assistant.language_model import Completion
    from jobraker_core.pagination import Page, PageRequest


class ConversationRepository(Protocol):
    """People's conversations, their messages and the assistant's proposals (``uow.conversations``).

    Every read is scoped to ``user_id``: another person's conversation is ``NotFound``. Adding a
    message whose ``seq`` is taken in its conversation raises ``Conflict`` (two turns raced).
    Deleting a conversation deletes its messages and proposals. A proposal's decision is stored by
    compare-and-set on its status (``update_proposal``), so it is taken once.
    """

    def add(self, conversation: Conversation) -> None:
        """Store a new conversation."""
        ...

    def update(self, conversation: Conversation) -> None:
        """Store a conversation's new title, time or message count."""
        ...

    def get(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
        """The conversation (``NotFound`` when it is not the person's)."""
        ...

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[Conversation]:
        """The person's conversations, most recently active first."""
        ...

    def delete(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> bool:
        """Delete the conversation; False when the person has none of this id."""
        ...

    def add_messages(self, messages: Sequence[ChatMessage]) -> None:
        """Append messages to their conversation."""
        ...

    def messages(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, page: PageRequest
    ) -> Page[ChatMessage]:
        """One page of the conversation's messages, oldest first."""
        ...

    def recent_messages(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, limit: int
    ) -> Sequence[ChatMessage]:
        """The conversation's last ``limit`` messages, oldest first."""
        ...

    def add_proposal(self, proposal: Proposal) -> None:
        """Store a new proposal."""
        ...

    def get_proposal(self, user_id: uuid.UUID, proposal_id: uuid.UUID) -> Proposal:
        """The proposal (``NotFound`` when it is not the person's)."""
        ...

    def update_proposal(self, proposal: Proposal, expected: ProposalStatus) -> None:
        """Store the proposal's status, time and result if the stored one is still ``expected``.

        A compare-and-set (PostgreSQL: ``UPDATE … WHERE status = expected RETURNING``), so of
        two units deciding the same proposal at once exactly one succeeds; the other gets
        ``Conflict`` (the memory fake raises it on commit). ``NotFound`` when it is not the
        person's.
        """
        ...

    def proposals(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Sequence[Proposal]:
        """The conversation's proposals, oldest first."""
        ...


class ProposalHandler(Protocol):
    """Carries out one kind of proposal when the person confirms it, with their scope only.

    ``execute`` runs the product's own use case for ``user_id`` and returns one sentence saying
    what it did; it raises that use case's errors (``NotFound``, ``Conflict``, ``InvalidInput``).
    """

    kind: str

    def execute(self, user_id: uuid.UUID, arguments: Mapping[str, str]) -> str:
        """Do what the proposal describes."""
        ...


class CompletionCache(Protocol):
    """Completions remembered by the exact request that produced them (see ``use_cases``).

    ``key`` is a digest of the model, the messages and the tools; a hit means the very same
    request was answered before. An entry holds the person's data (their context, the answer),
    so it is kept for ``user_id`` only, under ``user_cache_prefix(user_id)``: erasing the
    account purges it, and no one else's request can hit it. Implementations bound their size
    or the entries' lifetime and may forget anything; a cache that is unreachable is a miss,
    never an error.
    """

    def get(self, user_id: uuid.UUID, key: str) -> Completion | None:
        """The completion stored for ``user_id`` under ``key``, if it is still there."""
        ...

    def put(self, user_id: uuid.UUID, key: str, completion: Completion) -> None:
        """Remember ``completion`` for ``user_id`` under ``key``."""
        ...


ProposalHandlers = Mapping[str, "ProposalHandler"]
