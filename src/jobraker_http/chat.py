"""The assistant's routes and WebSocket.

Every route needs a signed-in user and works on that user's conversations only (another person's
conversation or proposal is 404):

- ``POST /api/v1/chat/messages/`` ``{"content", "conversation_id"?}``: one turn; answers with
  the assistant's reply, the tools it ran and any proposals (a new conversation when none given);
- ``GET /api/v1/chat/conversations/`` (paginated), ``GET /api/v1/chat/conversations/{id}/``
  (the history, paginated, oldest first, with the proposals), ``DELETE`` the same path;
- ``POST /api/v1/chat/proposals/{id}/confirm/`` carries out a change the assistant proposed;
  ``POST /api/v1/chat/proposals/{id}/reject/`` turns it down;
- ``ws /ws/chat/``: send ``{"content", "conversation_id"?}`` frames; each turn streams JSON frames
  ``{"type": "delta", "text"}`` as the answer is generated, ``{"type": "tool", "name", "status",
  "summary", "proposal_id"}`` for tool activity, then ``{"type": "done", ...the reply...}``, or
  ``{"type": "error", "problem": {...}}`` (the problem document the HTTP API would answer). The
  socket stays open for the next message.

Each message counts against the person's assistant rate (``JOBRAKER_CHAT_RATE_LIMIT``, HTTP,
WebSocket and document requests together, ``jobraker_http.assistant_rate``; 429 over it) and their
monthly token budget (``JOBRAKER_LLM_MONTHLY_TOKENS``, 429 when spent).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Annotated, Any, Final, Literal, cast

import msgspec
from litestar import Router, delete, get, post, websocket
from litestar.concurrency import sync_to_thread
from litestar.connection import WebSocket  # noqa: TC002 - Litestar reads it at runtime
from litestar.datastructures import State  # noqa: TC002 - Litestar reads it at runtime
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads the annotations at runtime
from litestar.exceptions import WebSocketDisconnect
from litestar.params import JSONBody, Parameter

from jobraker_core.accounts.identity import Principal
from jobraker_core.assistant.chat import MAX_MESSAGE_CHARS, ChatMessage, Conversation, Proposal
from jobraker_core.assistant.language_model import TextDelta
from jobraker_core.assistant.use_cases import (
    ChatEvent,
    ChatReply,
    ConfirmProposal,
    DeleteConversation,
    GetConversation,
    ListConversations,
    RejectProposal,
    SendMessage,
    SendMessageCommand,
    ToolActivity,
)
from jobraker_core.errors import InvalidInput, JobrakerError
from jobraker_core.pagination import DEFAULT_PER_PAGE
from jobraker_http.assistant_rate import check_assistant_rate
from jobraker_http.auth import authenticated_of, websocket_subprotocol
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, ListMeta, list_meta
from jobraker_http.errors import EXCEPTION_HANDLERS
from jobraker_http.guards import requires_user
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id
from jobraker_http.providers import container_of, container_provider

WS_CHAT_PATH: Final = "/ws/chat"
MAX_FRAME_BYTES: Final = 64 * 1024

ConversationIdParam = Annotated[str, Parameter(description="The conversation's id (a UUID).")]
ProposalIdParam = Annotated[str, Parameter(description="The proposal's id (a UUID).")]


# ----------------------------------------------------------------------------- wire schemas


class MessageIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A message to the assistant; without ``conversation_id`` a new conversation starts."""

    content: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_MESSAGE_CHARS)]
    conversation_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class ToolCallOut(msgspec.Struct, kw_only=True):
    """A tool call the assistant made (``arguments`` as the model wrote them)."""

    id: str
    name: str
    arguments: str


class MessageOut(msgspec.Struct, kw_only=True):
    """One message of a conversation; an answer carries its tokens and estimated cost."""

    id: uuid.UUID
    seq: int
    role: str
    content: str | None
    tool_calls: list[ToolCallOut]
    tool_call_id: str | None
    created_at: datetime | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: str
    cached: bool


class ConversationOut(msgspec.Struct, kw_only=True):
    """A conversation."""

    id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int


class ProposalOut(msgspec.Struct, kw_only=True):
    """A change the assistant proposed; nothing happens until it is confirmed."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    kind: str
    description: str
    arguments: dict[str, str]
    status: str
    created_at: datetime
    decided_at: datetime | None
    result: str | None


class ToolOut(msgspec.Struct, kw_only=True):
    """What a tool call of the turn did."""

    name: str
    status: str
    summary: str
    proposal_id: uuid.UUID | None


class ReplyOut(msgspec.Struct, kw_only=True):
    """The assistant's answer to one message, with tool activity, proposals and cost."""

    conversation: ConversationOut
    message: MessageOut
    tools: list[ToolOut]
    proposals: list[ProposalOut]
    prompt_tokens: int
    completion_tokens: int
    cost_usd: str
    cached: bool


class ReplyEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around a reply."""

    success: Literal[True]
    data: ReplyOut
    meta: ItemMeta


class ConversationListEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one page of conversations."""

    success: Literal[True]
    data: list[ConversationOut]
    meta: ListMeta


class HistoryOut(msgspec.Struct, kw_only=True):
    """A conversation, one page of its messages, and its proposals."""

    conversation: ConversationOut
    messages: list[MessageOut]
    proposals: list[ProposalOut]


class HistoryEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around a conversation's history (pagination of its messages)."""

    success: Literal[True]
    data: HistoryOut
    meta: ListMeta


class ProposalEnvelope(msgspec.Struct, kw_only=True):
    """Success envelope around one proposal."""

    success: Literal[True]
    data: ProposalOut
    meta: ItemMeta


def message_to_wire(message: ChatMessage) -> MessageOut:
    """Return the wire form of a message."""
    return MessageOut(
        id=message.id,
        seq=message.seq,
        role=message.role.value,
        content=message.content,
        tool_calls=[
            ToolCallOut(id=c.id, name=c.name, arguments=c.arguments) for c in message.tool_calls
        ],
        tool_call_id=message.tool_call_id,
        created_at=message.created_at,
        model=message.model,
        prompt_tokens=message.prompt_tokens,
        completion_tokens=message.completion_tokens,
        cost_usd=str(message.cost_usd),
        cached=message.cached,
    )


def conversation_to_wire(conversation: Conversation) -> ConversationOut:
    """Return the wire form of a conversation."""
    return ConversationOut(
        id=conversation.id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        message_count=conversation.message_count,
    )


def proposal_to_wire(proposal: Proposal) -> ProposalOut:
    """Return the wire form of a proposal."""
    return ProposalOut(
        id=proposal.id,
        conversation_id=proposal.conversation_id,
        kind=proposal.kind,
        description=proposal.description,
        arguments=dict(proposal.arguments),
        status=proposal.status.value,
        created_at=proposal.created_at,
        decided_at=proposal.decided_at,
        result=proposal.result,
    )


def reply_to_wire(reply: ChatReply) -> ReplyOut:
    """Return the wire form of a reply."""
    return ReplyOut(
        conversation=conversation_to_wire(reply.conversation),
        message=message_to_wire(reply.message),
        tools=[
            ToolOut(name=t.name, status=t.status, summary=t.summary, proposal_id=t.proposal_id)
            for t in reply.tools
        ],
        proposals=[proposal_to_wire(p) for p in reply.proposals],
        prompt_tokens=reply.usage.prompt_tokens,
        completion_tokens=reply.usage.completion_tokens,
        cost_usd=str(reply.cost_usd),
        cached=reply.cached,
    )


def _command(principal: Principal, data: MessageIn) -> SendMessageCommand:
    conversation_id = None
    if data.conversation_id is not None:
        conversation_id = parse_id(data.conversation_id, "conversation")
    return SendMessageCommand(principal.user_id, data.content, conversation_id)


# ----------------------------------------------------------------------------- HTTP routes


@post(
    "/messages",
    summary="Send a message to the assistant",
    description="Runs one turn: the assistant may use tools (job search, recommendations, match "
    "explanations, salaries, ...) with the caller's data only, and answers. Changes are never "
    "made by the assistant: they come back as proposals to confirm. Without `conversation_id` "
    "a new conversation starts.",
    responses=problem_responses(401, 404, 409, 422, 429, 502, 503),
)
async def message_send(
    data: JSONBody[MessageIn],
    principal: NamedDependency[Principal],
    state: State,
) -> ReplyEnvelope:
    """Answer the message."""
    container = container_of(state)
    command = _command(principal, data)
    await check_assistant_rate(state, principal.user_id)
    use_case: SendMessage = await sync_to_thread(container.send_message)
    reply = await sync_to_thread(use_case, command)
    return ReplyEnvelope(success=True, data=reply_to_wire(reply), meta=ItemMeta())


@get(
    "/conversations",
    sync_to_thread=True,
    summary="My conversations with the assistant",
    responses=problem_responses(401, 503),
)
def conversation_list(
    principal: NamedDependency[Principal],
    list_conversations: NamedDependency[ListConversations],
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> ConversationListEnvelope:
    """Return one page of the caller's conversations, most recently active first."""
    found = list_conversations(principal.user_id, clamp_page(page, per_page))
    return ConversationListEnvelope(
        success=True, data=[conversation_to_wire(c) for c in found.items], meta=list_meta(found)
    )


@get(
    "/conversations/{conversation_id:str}",
    sync_to_thread=True,
    summary="One of my conversations, with its history",
    responses=problem_responses(401, 404, 503),
)
def conversation_detail(
    conversation_id: ConversationIdParam,
    principal: NamedDependency[Principal],
    get_conversation: NamedDependency[GetConversation],
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Parameter(ge=1)] = DEFAULT_PER_PAGE,
) -> HistoryEnvelope:
    """Return the conversation and one page of its messages, oldest first (404 for others')."""
    found = get_conversation(
        principal.user_id,
        parse_id(conversation_id, "conversation"),
        clamp_page(page, per_page),
    )
    return HistoryEnvelope(
        success=True,
        data=HistoryOut(
            conversation=conversation_to_wire(found.conversation),
            messages=[message_to_wire(m) for m in found.messages.items],
            proposals=[proposal_to_wire(p) for p in found.proposals],
        ),
        meta=list_meta(found.messages),
    )


@delete(
    "/conversations/{conversation_id:str}",
    sync_to_thread=True,
    summary="Delete one of my conversations",
    responses=problem_responses(401, 404, 503),
)
def conversation_delete(
    conversation_id: ConversationIdParam,
    principal: NamedDependency[Principal],
    delete_conversation: NamedDependency[DeleteConversation],
) -> None:
    """Delete the conversation, its messages and proposals (404 for others')."""
    delete_conversation(principal.user_id, parse_id(conversation_id, "conversation"))


@post(
    "/proposals/{proposal_id:str}/confirm",
    sync_to_thread=True,
    status_code=200,
    summary="Confirm a change the assistant proposed",
    description="Carries out the proposal through the product's own use case, for the caller.",
    responses=problem_responses(401, 404, 409, 422, 503),
)
def proposal_confirm(
    proposal_id: ProposalIdParam,
    principal: NamedDependency[Principal],
    confirm_proposal: NamedDependency[ConfirmProposal],
) -> ProposalEnvelope:
    """Carry out the proposal (409 when it was already decided)."""
    done = confirm_proposal(principal.user_id, parse_id(proposal_id, "proposal"))
    return ProposalEnvelope(success=True, data=proposal_to_wire(done), meta=ItemMeta())


@post(
    "/proposals/{proposal_id:str}/reject",
    sync_to_thread=True,
    status_code=200,
    summary="Turn down a change the assistant proposed",
    responses=problem_responses(401, 404, 409, 503),
)
def proposal_reject(
    proposal_id: ProposalIdParam,
    principal: NamedDependency[Principal],
    reject_proposal: NamedDependency[RejectProposal],
) -> ProposalEnvelope:
    """Reject the proposal; nothing is changed."""
    done = reject_proposal(principal.user_id, parse_id(proposal_id, "proposal"))
    return ProposalEnvelope(success=True, data=proposal_to_wire(done), meta=ItemMeta())


def chat_router() -> Router:
    """The assistant's routes under ``/api/v1/chat``."""
    return Router(
        path="/chat",
        route_handlers=[
            message_send,
            conversation_list,
            conversation_detail,
            conversation_delete,
            proposal_confirm,
            proposal_reject,
        ],
        tags=["assistant"],
        guards=[requires_user],
        dependencies={
            name: container_provider(name)
            for name in (
                "list_conversations",
                "get_conversation",
                "delete_conversation",
                "confirm_proposal",
                "reject_proposal",
            )
        },
    )


# ----------------------------------------------------------------------------- the WebSocket

_END: Final = object()


async def relay(events: Iterator[ChatEvent]) -> AsyncIterator[ChatEvent]:
    """Run the blocking turn ``events`` in a worker thread and yield its events as they come.

    An error the turn raises is raised here, after the events before it.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()

    def pump() -> None:
        try:
            for event in events:
                loop.call_soon_threadsafe(queue.put_nowait, event)
        except Exception as error:  # noqa: BLE001 - handed over to the event loop
            loop.call_soon_threadsafe(queue.put_nowait, error)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, _END)

    worker = asyncio.ensure_future(asyncio.to_thread(pump))
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, Exception):
                raise item
            yield cast("ChatEvent", item)
    finally:
        await worker


def event_frame(event: ChatEvent) -> dict[str, Any]:
    """The JSON frame of one event of a turn."""
    if isinstance(event, TextDelta):
        return {"type": "delta", "text": event.text}
    if isinstance(event, ToolActivity):
        return {
            "type": "tool",
            "name": event.name,
            "status": event.status,
            "summary": event.summary,
            "proposal_id": str(event.proposal_id) if event.proposal_id else None,
        }
    return {"type": "done", **msgspec.to_builtins(reply_to_wire(event))}


class _FrameRequest:
    """What the error mapping reads of a request, for a message frame (a body, like a POST)."""

    method: Final = "POST"

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self.scope = socket.scope
        self.headers = socket.headers


def error_frame(socket: WebSocket[Any, Any, Any], error: JobrakerError) -> dict[str, Any]:
    """The frame of a failed turn: the problem document the HTTP API answers for ``error``."""
    handler = EXCEPTION_HANDLERS[JobrakerError]
    response = handler(cast("Any", _FrameRequest(socket)), error)
    return {"type": "error", "problem": msgspec.to_builtins(response.content)}


def _read_frame(raw: str) -> MessageIn:
    if len(raw.encode()) > MAX_FRAME_BYTES:
        raise InvalidInput(f"a frame may hold at most {MAX_FRAME_BYTES} bytes", field="content")
    try:
        return msgspec.json.decode(raw, type=MessageIn)
    except msgspec.ValidationError as error:
        raise InvalidInput(f"invalid message: {error}", field="content") from None
    except msgspec.DecodeError:
        raise InvalidInput(
            'send JSON frames such as {"content": "find python jobs"}', field="content"
        ) from None


@websocket(WS_CHAT_PATH, guards=[requires_user])
async def chat_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """Chat over a socket: each message frame streams one turn back (see the module docstring)."""
    caller = authenticated_of(socket)
    if caller is None:  # the guard authenticated it; this is only for the type checker
        await socket.close(code=4401)
        return
    await socket.accept(subprotocols=websocket_subprotocol(socket))
    container = container_of(socket.app.state)
    try:
        while True:
            raw = await socket.receive_text()
            try:
                command = _command(caller.principal, _read_frame(raw))
                await check_assistant_rate(socket.app.state, caller.principal.user_id)
                use_case: SendMessage = await sync_to_thread(container.send_message)
                async for event in relay(use_case.stream(command)):
                    await socket.send_json(event_frame(event))
            except JobrakerError as error:
                await socket.send_json(error_frame(socket, error))
    except WebSocketDisconnect:
        return


__all__ = ["WS_CHAT_PATH", "chat_router", "chat_socket"]
