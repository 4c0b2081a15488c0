"""Conversations with the assistant: what is stored, per person.

A ``Conversation`` belongs to one person and holds ``ChatMessage``s in order (``seq``): the person's
messages, the assistant's answers, and the tool calls and tool results in between (kept so that a
later turn sees what was found, and so the history shows what the assistant looked at). Tools that
would change something do not: they leave a ``Proposal`` the person confirms or rejects.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from jobraker_core.assistant.language_model import Message, Role, ToolCall
from jobraker_core.errors import Conflict, InvalidInput

MAX_MESSAGE_CHARS: Final = 8_000
"""The longest message a person may send (pasted postings included)."""
MAX_TITLE_CHARS: Final = 80


def _content(_: object, __: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and "\x00" in value:
        raise InvalidInput("a message cannot contain NUL characters", field="content")


def conversation_title(text: str) -> str:
    """A conversation's title: the start of its first message, on one line."""
    line = " ".join(text.split())
    if len(line) <= MAX_TITLE_CHARS:
        return line or "New conversation"
    cut = line[: MAX_TITLE_CHARS - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"


@attrs.frozen
class Conversation:
    """A person's conversation with the assistant."""

    id: uuid.UUID
    user_id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int = 0

    def touched(self, at: datetime, added: int) -> Conversation:
        """The conversation after ``added`` more messages at ``at``."""
        return attrs.evolve(self, updated_at=at, message_count=self.message_count + added)


@attrs.frozen
class ChatMessage:
    """One stored message of a conversation, numbered ``seq`` from 1.

    The assistant's final answer of a turn records what the turn cost: the tokens the model
    counted (``prompt_tokens``/``completion_tokens``), the estimated ``cost_usd``, the ``model``,
    and whether the answer came from the cache (``cached``: nothing was spent).
    """

    id: uuid.UUID
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    seq: int
    role: Role
    content: str | None = attrs.field(default=None, validator=_content)
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    created_at: datetime | None = None
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    cached: bool = False

    def as_model_message(self) -> Message:
        """The message as the language model sees it."""
        return Message(
            role=self.role,
            content=self.content,
            tool_calls=self.tool_calls,
            tool_call_id=self.tool_call_id,
        )


class ProposalStatus(enum.StrEnum):
    """Where a proposal stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@attrs.frozen
class Proposal:
    """A change the assistant proposed (``kind``, ``arguments``); nothing happens until confirmed.

    ``description`` says in one sentence what confirming does; ``result`` what it did.
    """

    id: uuid.UUID
    user_id: uuid.UUID
    conversation_id: uuid.UUID
    kind: str
    arguments: Mapping[str, str] = attrs.field(hash=False)
    description: str
    created_at: datetime
    status: ProposalStatus = ProposalStatus.PENDING
    decided_at: datetime | None = None
    result: str | None = None

    def confirmed(self, at: datetime, result: str | None = None) -> Proposal:
        """The proposal once confirmed (``Conflict`` unless it is pending).

        Without ``result`` it is claimed: confirmed, being carried out (``carried_out`` adds
        what was done, ``reopened`` puts it back when that failed).
        """
        self._require_pending()
        return attrs.evolve(self, status=ProposalStatus.CONFIRMED, decided_at=at, result=result)

    def carried_out(self, result: str) -> Proposal:
        """The confirmed proposal with what carrying it out did (``Conflict`` unless confirmed)."""
        if self.status is not ProposalStatus.CONFIRMED:
            raise Conflict(f"this proposal is {self.status.value}, not confirmed")
        return attrs.evolve(self, result=result)

    def reopened(self) -> Proposal:
        """The claimed proposal put back to pending after carrying it out failed."""
        if self.status is not ProposalStatus.CONFIRMED or self.result is not None:
            raise Conflict(f"this proposal is {self.status.value} and cannot be reopened")
        return attrs.evolve(self, status=ProposalStatus.PENDING, decided_at=None, result=None)

    def rejected(self, at: datetime) -> Proposal:
        """The proposal once turned down (``Conflict`` unless it is pending)."""
        self._require_pending()
        return attrs.evolve(self, status=ProposalStatus.REJECTED, decided_at=at)

    def _require_pending(self) -> None:
        if self.status is not ProposalStatus.PENDING:
            raise Conflict(f"this proposal was already {self.status.value}")
