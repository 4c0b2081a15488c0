"""The language-model port: chat completion with tool calls, whole or streamed.

The core speaks in these values; adapters translate them to a vendor's wire format (OpenAI chat
completions and compatible servers) or answer them locally (the deterministic assistant that needs
no model). A tool call's ``arguments`` is the raw JSON text the model produced: it may be invalid,
and the caller validates it before running anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Protocol, TypeAlias

import attrs


class Role(StrEnum):
    """Who wrote a message."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@attrs.frozen
class ToolCall:
    """The model asks to run tool ``name`` with ``arguments`` (JSON text, unchecked)."""

    id: str
    name: str
    arguments: str


@attrs.frozen
class Message:
    """One message of a conversation as the model sees it.

    An assistant message may carry ``tool_calls`` (and no content); a tool message answers one
    call and names it in ``tool_call_id``.
    """

    role: Role
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@attrs.frozen
class ToolSpec:
    """A tool the model may call: its name, what it does, and a JSON Schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, object] = attrs.field(hash=False)


@attrs.frozen
class TokenUsage:
    """Tokens a completion consumed, as the model counted them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        """The usage of two completions together."""
        return TokenUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


class FinishReason(StrEnum):
    """Why the model stopped."""

    STOP = "stop"
    LENGTH = "length"
    TOOL_CALLS = "tool_calls"
    CONTENT_FILTER = "content_filter"


@attrs.frozen
class Completion:
    """The model's whole answer: text, tool calls, or both."""

    content: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason
    usage: TokenUsage
    model: str


@attrs.frozen
class TextDelta:
    """A piece of the answer's text, as it is generated."""

    text: str


StreamEvent: TypeAlias = TextDelta | Completion


class LanguageModel(Protocol):
    """A chat model that can call tools.

    ``model`` names the model (for cost accounting). Errors: ``UpstreamUnavailable`` /
    ``RateLimited`` after the adapter's own bounded retries, ``UpstreamRejected`` when the
    vendor refuses the request, ``ConfigurationError`` for a bad key.
    """

    model: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Completion:
        """Answer the conversation ``messages`` in one piece."""
        ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        """Answer as it is generated: ``TextDelta``s, then exactly one final ``Completion``.

        The final completion holds the whole text and the assembled tool calls.
        """
        ...
