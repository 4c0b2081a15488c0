"""PostgreSQL conversations, messages and proposals (migration 0040).

They follow the in-memory fake (``jobraker_adapters.memory.assistant``). Every query is scoped by
``user_id``; the unique ``(conversation_id, seq)`` key turns two racing turns into ``Conflict``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from jobraker_adapters.postgres.errors import translate_errors
from jobraker_adapters.postgres.jobs import Connection
from jobraker_core.assistant.chat import ChatMessage, Conversation, Proposal, ProposalStatus
from jobraker_core.assistant.language_model import Role, ToolCall
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import Page, PageRequest


def _conversation(row: Mapping[str, Any]) -> Conversation:
    return Conversation(
        id=row["id"],
        user_id=row["user_id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        message_count=row["message_count"],
    )


def _calls(raw: object) -> tuple[ToolCall, ...]:
    items = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(items, list):
        return ()
    return tuple(
        ToolCall(str(item["id"]), str(item["name"]), str(item["arguments"]))
        for item in items
        if isinstance(item, dict)
    )


def _message(row: Mapping[str, Any]) -> ChatMessage:
    return ChatMessage(
        id=row["id"],
        conversation_id=row["conversation_id"],
        user_id=row["user_id"],
        seq=row["seq"],
        role=Role(row["role"]),
        content=row["content"],
        tool_calls=_calls(row["tool_calls"]),
        tool_call_id=row["tool_call_id"],
        created_at=row["created_at"],
        model=row["model"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        cost_usd=row["cost_usd"],
        cached=row["cached"],
    )


def _proposal(row: Mapping[str, Any]) -> Proposal:
    return Proposal(
        id=row["id"],
        user_id=row["user_id"],
        conversation_id=row["conversation_id"],
        kind=row["kind"],
        arguments={str(k): str(v) for k, v in row["arguments"].items()},
        description=row["description"],
        created_at=row["created_at"],
        status=ProposalStatus(row["status"]),
        decided_at=row["decided_at"],
        result=row["result"],
    )


class PostgresConversationRepository:
    """``ConversationRepository`` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        """Work on ``conn`` (in its transaction)."""
        self._conn = conn

    def add(self, conversation: Conversation) -> None:
        """Insert a new conversation."""
        with translate_errors():
            self._conn.execute(
                "INSERT INTO conversations "
                "(id, user_id, title, created_at, updated_at, message_count) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    conversation.id,
                    conversation.user_id,
                    conversation.title,
                    conversation.created_at,
                    conversation.updated_at,
                    conversation.message_count,
                ),
            )

    def update(self, conversation: Conversation) -> None:
        """Store the conversation's title, time and count."""
        with translate_errors():
            cur = self._conn.execute(
                "UPDATE conversations SET title = %s, updated_at = %s, message_count = %s "
                "WHERE id = %s AND user_id = %s",
                (
                    conversation.title,
                    conversation.updated_at,
                    conversation.message_count,
                    conversation.id,
                    conversation.user_id,
                ),
            )
        if cur.rowcount != 1:
            raise NotFound(f"you have no conversation {conversation.id}")

    def get(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
        """The person's conversation (``NotFound`` otherwise)."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM conversations WHERE id = %s AND user_id = %s",
                (conversation_id, user_id),
            )
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"you have no conversation {conversation_id}")
        return _conversation(row)

    def list(self, user_id: uuid.UUID, page: PageRequest) -> Page[Conversation]:
        """The person's conversations, most recently active first."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT *, count(*) OVER () AS total FROM conversations WHERE user_id = %s "
                "ORDER BY updated_at DESC, id DESC LIMIT %s OFFSET %s",
                (user_id, page.per_page, page.offset),
            )
            rows = cur.fetchall()
            total = rows[0]["total"] if rows else self._count(user_id)
        return Page(tuple(_conversation(row) for row in rows), total, page)

    def _count(self, user_id: uuid.UUID) -> int:
        row = self._conn.execute(
            "SELECT count(*) FROM conversations WHERE user_id = %s", (user_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    def delete(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> bool:
        """Delete the conversation (its messages and proposals cascade)."""
        with translate_errors():
            cur = self._conn.execute(
                "DELETE FROM conversations WHERE id = %s AND user_id = %s",
                (conversation_id, user_id),
            )
        return cur.rowcount == 1

    def add_messages(self, messages: Sequence[ChatMessage]) -> None:
        """Append messages (``Conflict`` when a sequence number is taken)."""
        if not messages:
            return
        for conversation_id, user_id in {(m.conversation_id, m.user_id) for m in messages}:
            self.get(user_id, conversation_id)
        with translate_errors(), self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO chat_messages (id, conversation_id, user_id, seq, role, content, "
                "tool_calls, tool_call_id, created_at, model, prompt_tokens, completion_tokens, "
                "cost_usd, cached) "
                "SELECT %s, c.id, c.user_id, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s "
                "FROM conversations c WHERE c.id = %s AND c.user_id = %s",
                [
                    (
                        m.id,
                        m.seq,
                        m.role.value,
                        m.content,
                        Jsonb(
                            [
                                {"id": c.id, "name": c.name, "arguments": c.arguments}
                                for c in m.tool_calls
                            ]
                        ),
                        m.tool_call_id,
                        m.created_at,
                        m.model,
                        m.prompt_tokens,
                        m.completion_tokens,
                        m.cost_usd,
                        m.cached,
                        m.conversation_id,
                        m.user_id,
                    )
                    for m in messages
                ],
            )

    def messages(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, page: PageRequest
    ) -> Page[ChatMessage]:
        """One page of the conversation, oldest first."""
        conversation = self.get(user_id, conversation_id)
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM chat_messages WHERE conversation_id = %s AND user_id = %s "
                "ORDER BY seq LIMIT %s OFFSET %s",
                (conversation_id, user_id, page.per_page, page.offset),
            )
            rows = cur.fetchall()
        return Page(tuple(_message(row) for row in rows), conversation.message_count, page)

    def recent_messages(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, limit: int
    ) -> Sequence[ChatMessage]:
        """The last ``limit`` messages, oldest first."""
        self.get(user_id, conversation_id)
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM chat_messages WHERE conversation_id = %s AND user_id = %s "
                "ORDER BY seq DESC LIMIT %s",
                (conversation_id, user_id, max(0, limit)),
            )
            rows = cur.fetchall()
        return [_message(row) for row in reversed(rows)]

    def add_proposal(self, proposal: Proposal) -> None:
        """Insert a new proposal."""
        with translate_errors():
            cur = self._conn.execute(
                "INSERT INTO chat_proposals (id, conversation_id, user_id, kind, arguments, "
                "description, status, created_at, decided_at, result) "
                "SELECT %s, c.id, c.user_id, %s, %s, %s, %s, %s, %s, %s "
                "FROM conversations c WHERE c.id = %s AND c.user_id = %s",
                (
                    proposal.id,
                    proposal.kind,
                    Jsonb(dict(proposal.arguments)),
                    proposal.description,
                    proposal.status.value,
                    proposal.created_at,
                    proposal.decided_at,
                    proposal.result,
                    proposal.conversation_id,
                    proposal.user_id,
                ),
            )
        if cur.rowcount != 1:
            raise NotFound(f"you have no conversation {proposal.conversation_id}")

    def get_proposal(self, user_id: uuid.UUID, proposal_id: uuid.UUID) -> Proposal:
        """The person's proposal (``NotFound`` otherwise)."""
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM chat_proposals WHERE id = %s AND user_id = %s",
                (proposal_id, user_id),
            )
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"you have no proposal {proposal_id}")
        return _proposal(row)

    def update_proposal(self, proposal: Proposal, expected: ProposalStatus) -> None:
        """Store the proposal's decision if its status is still ``expected``, atomically.

        One ``UPDATE … WHERE status = expected RETURNING``: of concurrent callers the first to
        take the row lock wins; the others wait for it, see the new status and change nothing
        (``Conflict``).
        """
        with translate_errors():
            row = self._conn.execute(
                "UPDATE chat_proposals SET status = %s, decided_at = %s, result = %s "
                "WHERE id = %s AND user_id = %s AND status = %s RETURNING id",
                (
                    proposal.status.value,
                    proposal.decided_at,
                    proposal.result,
                    proposal.id,
                    proposal.user_id,
                    expected.value,
                ),
            ).fetchone()
        if row is None:
            current = self.get_proposal(proposal.user_id, proposal.id)  # NotFound for others'
            raise Conflict(f"this proposal was already {current.status.value}")

    def proposals(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Sequence[Proposal]:
        """The conversation's proposals, oldest first."""
        self.get(user_id, conversation_id)
        with translate_errors(), self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM chat_proposals WHERE conversation_id = %s AND user_id = %s "
                "ORDER BY created_at, id",
                (conversation_id, user_id),
            )
            return [_proposal(row) for row in cur.fetchall()]
