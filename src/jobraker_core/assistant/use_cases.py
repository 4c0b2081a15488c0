"""The chat use cases: send a message (the tool loop), read and delete conversations, proposals.

``SendMessage`` runs one turn:

1. It reads the conversation (a new one when none is given), the person's context and recent
   history, and checks their monthly token budget (``TooManyRequests`` when spent).
2. It asks the model, offering the tools allowed for this request: every tool that only reads,
   plus a change tool only when the person's own words ask for that change (``intents``). Pasted
   text is wrapped as data and never read for intents.
3. For each tool call it runs the tool only if the tool is offered and its arguments validate
   against the tool's schema; otherwise the model gets an error result and nothing runs. Tools run
   with the person's id, never one the model supplies. A change tool stores a ``Proposal``.
4. It repeats for at most ``max_rounds`` rounds, then asks for an answer with no tools.
5. It stores the person's message, the tool calls and results, and the answer, the proposals and
   the tokens spent (``uow.usage``, subject ``message:<answer id>``, with the estimated cost) in one
   transaction, and returns the reply.

``stream`` yields the turn as it happens (text deltas, tool activity, the reply); ``__call__``
returns just the reply.

Cache: a completion is remembered for the person under a digest of the exact request (model,
every message, tools, token limit), in a cache shared by every process (Redis, under the person's
``jobraker:user:<id>:`` prefix, so erasing the account purges it; ADR 0014). The same
conversation state and the same message therefore get the same completion without calling the
model again (and without spending tokens: nothing is recorded).
Tools still run on every turn, so their results — and the answer composed from them when they
changed — are always fresh. A cached answer is marked ``cached`` on the message.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Final, TypeAlias

import attrs

from jobraker_core.assistant.chat import (
    MAX_MESSAGE_CHARS,
    ChatMessage,
    Conversation,
    Proposal,
    ProposalStatus,
    conversation_title,
)
from jobraker_core.assistant.context import ContextBudget, ContextSource, history, system_message
from jobraker_core.assistant.costs import TokenBudget, TokenPrices, record_token_usage
from jobraker_core.assistant.intents import UserRequest, recognise
from jobraker_core.assistant.language_model import (
    Completion,
    FinishReason,
    Message,
    Role,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolSpec,
)
from jobraker_core.assistant.tools import ChatTool, ToolOutcome, tool_result, validate_arguments
from jobraker_core.errors import Conflict, InvalidInput, JobrakerError, NotFound

if TYPE_CHECKING:
    from jobraker_core.assistant.language_model import LanguageModel
    from jobraker_core.assistant.ports import CompletionCache, ProposalHandler
    from jobraker_core.clock import Clock
    from jobraker_core.pagination import Page, PageRequest
    from jobraker_core.ports import UnitOfWork, UnitOfWorkFactory

MAX_ROUNDS: Final = 4
MAX_CALLS_PER_ROUND: Final = 5
MAX_ANSWER_TOKENS: Final = 800
NO_ANSWER: Final = (
    "I'm sorry, I could not put an answer together for that. Please try asking in another way."
)


def _content(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidInput("the message is empty", field="content")
    if len(value) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"the message is longer than {MAX_MESSAGE_CHARS} characters", field="content"
        )
    if "\x00" in value:
        raise InvalidInput("a message cannot contain NUL characters", field="content")


@attrs.frozen
class SendMessageCommand:
    """The person ``user_id`` says ``content`` in ``conversation_id`` (None: a new conversation)."""

    user_id: uuid.UUID
    content: str = attrs.field(validator=_content)
    conversation_id: uuid.UUID | None = None


@attrs.frozen
class ToolActivity:
    """A tool call of the turn: ``running``, then ``done``, ``refused`` or ``failed``."""

    call_id: str
    name: str
    status: str
    summary: str
    proposal_id: uuid.UUID | None = None


@attrs.frozen
class ChatReply:
    """The end of a turn: the stored answer, what the tools did, proposals, and the cost."""

    conversation: Conversation
    message: ChatMessage
    tools: tuple[ToolActivity, ...]
    proposals: tuple[Proposal, ...]
    usage: TokenUsage
    cost_usd: Decimal
    cached: bool


ChatEvent: TypeAlias = TextDelta | ToolActivity | ChatReply


def request_key(
    model: str, messages: Sequence[Message], tools: Sequence[ToolSpec], max_tokens: int | None
) -> str:
    """The cache key of one completion request: a digest of everything the model would see."""
    document = {
        "model": model,
        "max_tokens": max_tokens,
        "tools": [[t.name, t.description, t.parameters] for t in tools],
        "messages": [
            [
                m.role.value,
                m.content,
                [[c.id, c.name, c.arguments] for c in m.tool_calls],
                m.tool_call_id,
            ]
            for m in messages
        ],
    }
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return "chat:" + hashlib.sha256(encoded.encode()).hexdigest()


@attrs.define
class _Turn:
    """What a turn collected on its way."""

    messages: list[Message]
    user_id: uuid.UUID
    stored: list[tuple[Message, Completion | None]] = attrs.field(factory=list)
    activity: list[ToolActivity] = attrs.field(factory=list)
    proposals: list[Proposal] = attrs.field(factory=list)
    usage: TokenUsage = attrs.field(factory=TokenUsage)
    calls: int = 0
    cached_calls: int = 0
    model: str = ""


class SendMessage:
    """One turn of a conversation with the assistant (see the module docstring)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        model: LanguageModel,
        tools: Sequence[ChatTool],
        clock: Clock,
        *,
        prices: TokenPrices | None = None,
        budget: TokenBudget | None = None,
        cache: CompletionCache | None = None,
        context: ContextBudget | None = None,
        context_sources: Sequence[ContextSource] = (),
        max_rounds: int = MAX_ROUNDS,
        max_tokens: int = MAX_ANSWER_TOKENS,
    ) -> None:
        self._uow = uow
        self._model = model
        self._tools = tuple(tools)
        self._clock = clock
        self._prices = prices or TokenPrices.free()
        self._budget = budget or TokenBudget()
        self._cache = cache
        self._context = context or ContextBudget()
        self._sources = tuple(context_sources)
        self._max_rounds = max_rounds
        self._max_tokens = max_tokens

    def __call__(self, command: SendMessageCommand) -> ChatReply:
        """Run the turn and return the reply."""
        for event in self.stream(command):
            if isinstance(event, ChatReply):
                return event
        raise AssertionError("a turn always ends with a reply")  # pragma: no cover

    def allowed_tools(self, request: UserRequest) -> tuple[ChatTool, ...]:
        """The tools offered for ``request``: every read tool, and change tools it asks for."""
        intents = set(recognise(request.request))
        return tuple(t for t in self._tools if t.intent is None or t.intent in intents)

    def stream(self, command: SendMessageCommand) -> Iterator[ChatEvent]:
        """Run the turn, yielding text as it is generated, tool activity, then the reply."""
        request = UserRequest.parse(command.content)
        now = self._clock.now()
        with self._uow() as uow:
            conversation = self._conversation(uow, command, request)
            self._budget.check(uow.usage, command.user_id, now)
            stored = (
                uow.conversations.recent_messages(
                    command.user_id, conversation.id, self._context.history_messages
                )
                if conversation.message_count
                else ()
            )
            recent, earlier = history(stored, self._context)
            system = system_message(
                uow,
                command.user_id,
                budget=self._context,
                sources=self._sources,
                earlier=earlier,
            )
        user_message = Message(Role.USER, request.wrapped())
        turn = _Turn(
            messages=[system, *recent, user_message],
            user_id=command.user_id,
            model=self._model.model,
        )
        allowed = {tool.spec.name: tool for tool in self.allowed_tools(request)}
        specs = [tool.spec for tool in allowed.values()]
        completion: Completion | None = None
        for round_number in range(self._max_rounds + 1):
            offered = specs if round_number < self._max_rounds else []
            completion = yield from self._complete(turn, offered)
            if not completion.tool_calls or not offered:
                break
            yield from self._run_tools(turn, completion, allowed, command.user_id, conversation)
        assert completion is not None  # noqa: S101 - the loop runs at least once
        yield self._finish(command, conversation, turn, completion)

    def _conversation(
        self, uow: UnitOfWork, command: SendMessageCommand, request: UserRequest
    ) -> Conversation:
        if command.conversation_id is not None:
            return uow.conversations.get(command.user_id, command.conversation_id)
        now = self._clock.now()
        return Conversation(
            id=uuid.uuid4(),
            user_id=command.user_id,
            title=conversation_title(request.request),
            created_at=now,
            updated_at=now,
        )

    def _complete(
        self, turn: _Turn, tools: Sequence[ToolSpec]
    ) -> Generator[ChatEvent, None, Completion]:
        key = request_key(self._model.model, turn.messages, tools, self._max_tokens)
        cached = self._cache.get(turn.user_id, key) if self._cache is not None else None
        turn.calls += 1
        if cached is not None:
            turn.cached_calls += 1
            if cached.content:
                yield TextDelta(cached.content)
            return cached
        completion: Completion | None = None
        for event in self._model.stream(turn.messages, tools=tools, max_tokens=self._max_tokens):
            if isinstance(event, TextDelta):
                if event.text:
                    yield event
            else:
                completion = event
        if completion is None:
            completion = Completion(None, (), FinishReason.STOP, TokenUsage(), self._model.model)
        turn.usage = turn.usage + completion.usage
        turn.model = completion.model or turn.model
        if self._cache is not None and completion.finish_reason in {
            FinishReason.STOP,
            FinishReason.TOOL_CALLS,
        }:
            self._cache.put(turn.user_id, key, completion)
        return completion

    def _run_tools(
        self,
        turn: _Turn,
        completion: Completion,
        allowed: Mapping[str, ChatTool],
        user_id: uuid.UUID,
        conversation: Conversation,
    ) -> Iterator[ChatEvent]:
        asked = Message(Role.ASSISTANT, completion.content, tool_calls=completion.tool_calls)
        turn.messages.append(asked)
        turn.stored.append((asked, None))
        for index, call in enumerate(completion.tool_calls):
            yield ToolActivity(call.id, call.name, "running", f"running {call.name}")
            if index >= MAX_CALLS_PER_ROUND:
                content, activity = self._refuse(call, "too many tool calls at once")
            else:
                content, activity = self._run_one(call, allowed, user_id, conversation, turn)
            answer = Message(Role.TOOL, content, tool_call_id=call.id)
            turn.messages.append(answer)
            turn.stored.append((answer, None))
            turn.activity.append(activity)
            yield activity

    @staticmethod
    def _refuse(call: ToolCall, reason: str) -> tuple[str, ToolActivity]:
        return (
            tool_result(call.name, None, f"not run: {reason}"),
            ToolActivity(call.id, call.name, "refused", reason),
        )

    def _run_one(
        self,
        call: ToolCall,
        allowed: Mapping[str, ChatTool],
        user_id: uuid.UUID,
        conversation: Conversation,
        turn: _Turn,
    ) -> tuple[str, ToolActivity]:
        tool = allowed.get(call.name)
        if tool is None:
            return self._refuse(
                call, f"{call.name!r} is not available for this request (the person did not ask)"
            )
        try:
            arguments = validate_arguments(tool.spec.parameters, call.arguments)
        except InvalidInput as error:
            return self._refuse(call, f"invalid arguments: {error.message}")
        try:
            outcome = tool.run(user_id, arguments)
        except JobrakerError as error:
            return (
                tool_result(call.name, None, error.message),
                ToolActivity(call.id, call.name, "failed", error.message),
            )
        proposal_id = None
        if outcome.proposal is not None:
            proposal = Proposal(
                id=uuid.uuid4(),
                user_id=user_id,
                conversation_id=conversation.id,
                kind=outcome.proposal.kind,
                arguments=dict(outcome.proposal.arguments),
                description=outcome.proposal.description,
                created_at=self._clock.now(),
            )
            turn.proposals.append(proposal)
            proposal_id = proposal.id
            outcome = ToolOutcome(
                {
                    **outcome.data,
                    "proposal": {
                        "proposal_id": str(proposal.id),
                        "description": proposal.description,
                        "status": "waiting for the person to confirm",
                    },
                },
                outcome.summary,
            )
        return (
            tool_result(call.name, outcome),
            ToolActivity(call.id, call.name, "done", outcome.summary, proposal_id),
        )

    def _finish(
        self,
        command: SendMessageCommand,
        conversation: Conversation,
        turn: _Turn,
        completion: Completion,
    ) -> ChatReply:
        now = self._clock.now()
        content = (completion.content or "").strip() or NO_ANSWER
        cached = turn.cached_calls == turn.calls
        cost = self._prices.cost(turn.usage)
        seq = conversation.message_count
        rows: list[ChatMessage] = []

        def row(message: Message, **extra: object) -> ChatMessage:
            return ChatMessage(
                id=uuid.uuid4(),
                conversation_id=conversation.id,
                user_id=command.user_id,
                seq=seq + len(rows) + 1,
                role=message.role,
                content=message.content,
                tool_calls=message.tool_calls,
                tool_call_id=message.tool_call_id,
                created_at=now,
                **extra,  # type: ignore[arg-type]
            )

        rows.append(row(Message(Role.USER, command.content)))
        for message, _ in turn.stored:
            rows.append(row(message))
        answer = row(
            Message(Role.ASSISTANT, content),
            model=turn.model,
            prompt_tokens=turn.usage.prompt_tokens,
            completion_tokens=turn.usage.completion_tokens,
            cost_usd=cost,
            cached=cached,
        )
        rows.append(answer)
        with self._uow() as uow:
            if conversation.message_count == 0:
                stored = conversation.touched(now, len(rows))
                uow.conversations.add(stored)
            else:
                current = uow.conversations.get(command.user_id, conversation.id)
                if current.message_count != conversation.message_count:
                    raise Conflict("the conversation changed meanwhile; please send again")
                stored = current.touched(now, len(rows))
                uow.conversations.update(stored)
            uow.conversations.add_messages(rows)
            for proposal in turn.proposals:
                uow.conversations.add_proposal(proposal)
            record_token_usage(
                uow.usage,
                user_id=command.user_id,
                usage=turn.usage,
                prices=self._prices,
                subject=f"message:{answer.id}",
                model=turn.model,
                at=now,
            )
            uow.commit()
        return ChatReply(
            conversation=stored,
            message=answer,
            tools=tuple(turn.activity),
            proposals=tuple(turn.proposals),
            usage=turn.usage,
            cost_usd=cost,
            cached=cached,
        )


# ----------------------------------------------------------------------------- reading


class ListConversations:
    """The person's conversations, most recently active first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, page: PageRequest) -> Page[Conversation]:
        """Return one page."""
        with self._uow() as uow:
            return uow.conversations.list(user_id, page)


@attrs.frozen
class ConversationHistory:
    """A conversation, one page of its messages (oldest first), and its proposals."""

    conversation: Conversation
    messages: Page[ChatMessage]
    proposals: tuple[Proposal, ...]


class GetConversation:
    """One of the person's conversations with a page of its history (``NotFound`` otherwise)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, page: PageRequest
    ) -> ConversationHistory:
        """Return the conversation and the page of messages asked for."""
        with self._uow() as uow:
            conversation = uow.conversations.get(user_id, conversation_id)
            return ConversationHistory(
                conversation,
                uow.conversations.messages(user_id, conversation_id, page),
                tuple(uow.conversations.proposals(user_id, conversation_id)),
            )


class DeleteConversation:
    """Deletes one of the person's conversations, its messages and proposals."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
        """Delete it (``NotFound`` when the person has no such conversation)."""
        with self._uow() as uow:
            if not uow.conversations.delete(user_id, conversation_id):
                raise NotFound(f"you have no conversation {conversation_id}")
            uow.commit()


# ----------------------------------------------------------------------------- proposals


class ConfirmProposal:
    """Carries out a proposal the person confirms, through the product's own use case, once.

    The proposal is first *claimed*: moved from pending to confirmed by compare-and-set
    (``update_proposal(..., expected=PENDING)``) in its own committed transaction. Of any number
    of concurrent confirmations exactly one claims it and runs the handler; every other gets
    ``Conflict`` (409) and runs nothing. The handler's result is then stored on the proposal.
    When the handler fails the claim is undone (pending again, so the person can retry) and
    its error propagates. Should the process die between the claim and the result, the proposal
    stays confirmed with no result: at most once, never twice.

    ``NotFound`` for another person's proposal; ``Conflict`` when it was already decided or its
    kind can no longer be carried out.
    """

    def __init__(
        self, uow: UnitOfWorkFactory, handlers: Sequence[ProposalHandler], clock: Clock
    ) -> None:
        self._uow = uow
        self._handlers = {handler.kind: handler for handler in handlers}
        self._clock = clock

    def __call__(self, user_id: uuid.UUID, proposal_id: uuid.UUID) -> Proposal:
        """Claim, carry out and return the proposal as carried out."""
        with self._uow() as uow:
            proposal = uow.conversations.get_proposal(user_id, proposal_id)
            claimed = proposal.confirmed(self._clock.now())  # Conflict when already decided
            handler = self._handlers.get(proposal.kind)
            if handler is None:
                raise Conflict(f"a {proposal.kind} proposal cannot be carried out here")
            uow.conversations.update_proposal(claimed, ProposalStatus.PENDING)
            uow.commit()  # Conflict when another confirmation claimed it first
        try:
            result = handler.execute(user_id, proposal.arguments)
        except BaseException:
            self._reopen(claimed)
            raise
        done = claimed.carried_out(result)
        with self._uow() as uow:
            uow.conversations.update_proposal(done, ProposalStatus.CONFIRMED)
            uow.commit()
        return done

    def _reopen(self, claimed: Proposal) -> None:
        try:
            with self._uow() as uow:
                uow.conversations.update_proposal(claimed.reopened(), ProposalStatus.CONFIRMED)
                uow.commit()
        except JobrakerError:  # the handler's error matters more; the claim stays (at most once)
            return


class RejectProposal:
    """Turns a proposal down; nothing is changed (``NotFound``/``Conflict`` as for confirming)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, user_id: uuid.UUID, proposal_id: uuid.UUID) -> Proposal:
        """Reject and return the proposal."""
        with self._uow() as uow:
            proposal = uow.conversations.get_proposal(user_id, proposal_id).rejected(
                self._clock.now()
            )
            uow.conversations.update_proposal(proposal, ProposalStatus.PENDING)
            uow.commit()
        return proposal
