"""Conversations, messages and proposals, on the in-memory fake and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
import pytest

from account_builders import T0, add_user
from jobraker_core.assistant.chat import ChatMessage, Conversation, Proposal, ProposalStatus
from jobraker_core.assistant.language_model import Role, ToolCall
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


@pytest.fixture
def me(uow_factory: UnitOfWorkFactory) -> uuid.UUID:
    """A stored user."""
    return add_user(uow_factory)


@pytest.fixture
def other(uow_factory: UnitOfWorkFactory) -> uuid.UUID:
    """Another stored user."""
    return add_user(uow_factory)


def conversation(user_id: uuid.UUID, minutes: int = 0) -> Conversation:
    """A new conversation of ``user_id`` updated ``minutes`` after T0."""
    at = T0 + timedelta(minutes=minutes)
    return Conversation(uuid.uuid4(), user_id, f"chat {minutes}", at, at)


def message(chat: Conversation, seq: int, role: Role = Role.USER, **fields: object) -> ChatMessage:
    """Message ``seq`` of ``chat``."""
    return ChatMessage(
        id=uuid.uuid4(),
        conversation_id=chat.id,
        user_id=chat.user_id,
        seq=seq,
        role=role,
        content=fields.pop("content", f"message {seq}"),  # type: ignore[arg-type]
        created_at=T0,
        **fields,  # type: ignore[arg-type]
    )


def proposal(chat: Conversation) -> Proposal:
    """A pending proposal in ``chat``."""
    return Proposal(
        id=uuid.uuid4(),
        user_id=chat.user_id,
        conversation_id=chat.id,
        kind="cover_letter",
        arguments={"job_id": "42"},
        description="Draft a cover letter.",
        created_at=T0,
    )


def stored(uow_factory: UnitOfWorkFactory, chat: Conversation, *messages: ChatMessage) -> None:
    """Store ``chat`` (with its count) and ``messages``."""
    with uow_factory() as uow:
        uow.conversations.add(chat.touched(chat.updated_at, len(messages)))
        uow.conversations.add_messages(messages)
        uow.commit()


class TestConversations:
    """Conversations are the person's only, listed most recently active first."""

    def test_a_conversation_reads_back_and_lists(self, uow_factory, me):
        """Stored conversations come back whole, newest activity first, paged."""
        older, newer = conversation(me, 1), conversation(me, 5)
        stored(uow_factory, older)
        stored(uow_factory, newer)
        with uow_factory() as uow:
            assert uow.conversations.get(me, older.id) == older
            page = uow.conversations.list(me, PageRequest(per_page=1))
        assert [c.id for c in page.items] == [newer.id]
        assert page.total == 2

    def test_another_persons_conversation_is_not_found(self, uow_factory, me, other):
        """Reads, deletes and listings never cross people."""
        mine = conversation(me)
        stored(uow_factory, mine, message(mine, 1))
        with uow_factory() as uow:
            with pytest.raises(NotFound):
                uow.conversations.get(other, mine.id)
            with pytest.raises(NotFound):
                uow.conversations.messages(other, mine.id, PageRequest())
            assert uow.conversations.list(other, PageRequest()).total == 0
            assert not uow.conversations.delete(other, mine.id)
            uow.commit()
        with uow_factory() as uow:
            assert uow.conversations.get(me, mine.id).id == mine.id

    def test_an_update_stores_the_new_count_and_time(self, uow_factory, me):
        """``update`` keeps the new message count and activity time."""
        chat = conversation(me)
        stored(uow_factory, chat)
        later = chat.touched(T0 + timedelta(hours=1), 3)
        with uow_factory() as uow:
            uow.conversations.update(later)
            uow.commit()
        with uow_factory() as uow:
            assert uow.conversations.get(me, chat.id) == later

    def test_deleting_takes_messages_and_proposals(self, uow_factory, me):
        """A deleted conversation's messages and proposals go with it."""
        chat = conversation(me)
        stored(uow_factory, chat, message(chat, 1))
        with uow_factory() as uow:
            uow.conversations.add_proposal(proposal(chat))
            uow.commit()
        with uow_factory() as uow:
            assert uow.conversations.delete(me, chat.id)
            uow.commit()
        with uow_factory() as uow:
            with pytest.raises(NotFound):
                uow.conversations.get(me, chat.id)
            assert uow.conversations.list(me, PageRequest()).total == 0


class TestMessages:
    """Messages keep their order, fields and tool calls; a taken sequence number conflicts."""

    def test_messages_read_back_in_order_with_every_field(self, uow_factory, me):
        """Tool calls, tool answers, tokens, cost and the cache flag survive storage."""
        chat = conversation(me)
        messages = (
            message(chat, 1, content="find python jobs"),
            message(
                chat,
                2,
                Role.ASSISTANT,
                content=None,
                tool_calls=(ToolCall("call_1", "search_jobs", '{"query": "python"}'),),
            ),
            message(chat, 3, Role.TOOL, content='{"jobs": []}', tool_call_id="call_1"),
            message(
                chat,
                4,
                Role.ASSISTANT,
                content="None found.",
                model="m",
                prompt_tokens=120,
                completion_tokens=8,
                cost_usd=Decimal("0.000120"),
                cached=True,
            ),
        )
        stored(uow_factory, chat, *messages)
        with uow_factory() as uow:
            page = uow.conversations.messages(me, chat.id, PageRequest(per_page=3))
            recent = uow.conversations.recent_messages(me, chat.id, 2)
        assert page.items == messages[:3]
        assert page.total == 4
        assert list(recent) == list(messages[2:])

    def test_a_taken_sequence_number_conflicts(self, uow_factory, me):
        """Two turns racing for the same place in a conversation: the second fails."""
        chat = conversation(me)
        stored(uow_factory, chat, message(chat, 1))
        # PostgreSQL refuses at the insert, the fake at the commit
        with uow_factory() as uow, pytest.raises(Conflict):
            self._insert_and_commit(uow, message(chat, 1))

    @staticmethod
    def _insert_and_commit(uow, taken: ChatMessage) -> None:
        """Add ``taken`` and commit."""
        uow.conversations.add_messages([taken])
        uow.commit()


class TestProposals:
    """Proposals read back for their owner only and keep their decision."""

    def test_a_proposal_is_decided_once(self, uow_factory, me, other):
        """Pending, then confirmed with its result; invisible to another person."""
        chat = conversation(me)
        stored(uow_factory, chat)
        pending = proposal(chat)
        with uow_factory() as uow:
            uow.conversations.add_proposal(pending)
            uow.commit()
        with uow_factory() as uow:
            assert uow.conversations.get_proposal(me, pending.id) == pending
            with pytest.raises(NotFound):
                uow.conversations.get_proposal(other, pending.id)
            done = pending.confirmed(T0 + timedelta(minutes=1), "drafted")
            uow.conversations.update_proposal(done, ProposalStatus.PENDING)
            uow.commit()
        with uow_factory() as uow:
            assert uow.conversations.proposals(me, chat.id) == [done]
        assert done.status is ProposalStatus.CONFIRMED
        with pytest.raises(Conflict):
            done.rejected(T0)

    def test_a_decision_is_compare_and_set_on_the_status(self, uow_factory, me, other):
        """Deciding a proposal that is no longer ``expected`` is Conflict and changes nothing."""
        chat = conversation(me)
        stored(uow_factory, chat)
        pending = proposal(chat)
        with uow_factory() as uow:
            uow.conversations.add_proposal(pending)
            uow.commit()
        claimed = pending.confirmed(T0 + timedelta(minutes=1))
        with uow_factory() as uow:
            uow.conversations.update_proposal(claimed, ProposalStatus.PENDING)
            uow.commit()
        rejected = pending.rejected(T0 + timedelta(minutes=2))
        with uow_factory() as uow, pytest.raises(Conflict):  # noqa: PT012 - memory: on commit
            uow.conversations.update_proposal(rejected, ProposalStatus.PENDING)
            uow.commit()
        with uow_factory() as uow, pytest.raises(NotFound):
            uow.conversations.update_proposal(
                attrs.evolve(claimed.carried_out("x"), user_id=other), ProposalStatus.CONFIRMED
            )
        with uow_factory() as uow:
            assert uow.conversations.get_proposal(me, pending.id) == claimed

    def test_a_unit_that_read_a_pending_proposal_loses_to_one_that_decided_it(
        self, uow_factory, me
    ):
        """Two units read it pending; the one deciding second gets Conflict, nothing kept."""
        chat = conversation(me)
        stored(uow_factory, chat)
        pending = proposal(chat)
        with uow_factory() as uow:
            uow.conversations.add_proposal(pending)
            uow.commit()
        rejected = pending.rejected(T0 + timedelta(minutes=1))
        with uow_factory() as late:
            assert late.conversations.get_proposal(me, pending.id).status is ProposalStatus.PENDING
            with uow_factory() as early:
                early.conversations.update_proposal(rejected, ProposalStatus.PENDING)
                early.commit()
            claimed = pending.confirmed(T0 + timedelta(minutes=2))
            with pytest.raises(Conflict):  # noqa: PT012 - PostgreSQL refuses the update, memory the commit
                late.conversations.update_proposal(claimed, ProposalStatus.PENDING)
                late.commit()
        with uow_factory() as uow:
            assert uow.conversations.get_proposal(me, pending.id) == rejected
