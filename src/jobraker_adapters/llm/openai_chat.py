"""``OpenAIChatModel``: the ``LanguageModel`` port on OpenAI's chat completions API.

It receives a configured ``openai.OpenAI`` client (the container builds it from ``OPENAI_API_KEY``
and ``OPENAI_BASE_URL``, so Ollama, vLLM, llama.cpp and other compatible servers work too) and
translates between the port's values and the wire format of ``POST /v1/chat/completions``:

- messages: system/user/assistant (with ``tool_calls``)/tool (with ``tool_call_id``);
- tools: ``{"type": "function", "function": {name, description, parameters}}``;
- ``complete`` sends ``stream: false``; ``stream`` sends ``stream: true`` with
  ``stream_options.include_usage`` and assembles tool calls from their deltas by ``index`` (the
  first delta of a call carries its id and name, later ones fragments of its arguments).

Retries: the SDK retries connection errors, timeouts, 408, 409, 429 and 5xx with exponential
back-off, honouring ``Retry-After`` (up to 120 s), ``max_retries`` times; a stream already being
read is never retried. What is left is translated once, by ``translate_error`` (shared with the
embedder),
into ``RateLimited``/``UpstreamUnavailable``/``UpstreamRejected``/``ConfigurationError``. Tool-call
arguments are passed on as the raw text the model wrote: the caller validates them.

Token usage comes from the server; a server that reports none (some compatible servers in streaming
mode) is estimated as UTF-8 bytes / 3 of what was sent and received, so budgets still hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import httpx2
import openai
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from jobraker_adapters.embedders.openai_embedder import estimate_tokens, translate_error
from jobraker_core.assistant.language_model import (
    Completion,
    FinishReason,
    Message,
    Role,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolSpec,
)
from jobraker_core.errors import ConfigurationError, UpstreamUnavailable

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

SERVICE = "openai"
_WHAT = "chat"
_FINISH: Mapping[str, FinishReason] = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
    "content_filter": FinishReason.CONTENT_FILTER,
}


def wire_message(message: Message) -> dict[str, Any]:
    """The chat-completions JSON of one port ``Message``."""
    wire: dict[str, Any] = {"role": message.role.value, "content": message.content}
    if message.role is Role.ASSISTANT and message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
    if message.role is Role.TOOL:
        wire["tool_call_id"] = message.tool_call_id
        wire["content"] = message.content or ""
    elif message.content is None and message.role is not Role.ASSISTANT:
        wire["content"] = ""
    return wire


def wire_tool(tool: ToolSpec) -> dict[str, Any]:
    """The chat-completions JSON of one ``ToolSpec``."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": dict(tool.parameters),
        },
    }


def _finish(reason: str | None, *, has_tool_calls: bool) -> FinishReason:
    if reason is None:
        return FinishReason.TOOL_CALLS if has_tool_calls else FinishReason.STOP
    return _FINISH.get(reason, FinishReason.STOP)


def _estimate(
    messages: Sequence[Message], content: str | None, calls: Sequence[ToolCall]
) -> TokenUsage:
    sent = json.dumps([wire_message(message) for message in messages], ensure_ascii=False)
    received = (content or "") + "".join(call.name + call.arguments for call in calls)
    return TokenUsage(estimate_tokens(sent), estimate_tokens(received) if received else 0)


def _retries(_instance: object, _attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 0):
        raise ConfigurationError(f"max_retries must be a whole number ≥ 0, not {value!r}")


@attrs.define
class _PartialCall:
    """A tool call being assembled from stream deltas."""

    id: str = ""
    name: str = ""
    arguments: list[str] = attrs.field(factory=list)

    def call(self, index: int) -> ToolCall:
        """The assembled call (a server that sent no id gets a stable one)."""
        return ToolCall(self.id or f"call_{index}", self.name, "".join(self.arguments))


@attrs.define
class OpenAIChatModel:
    """The ``LanguageModel`` port on an OpenAI-compatible ``/v1/chat/completions``.

    ``token_limit_parameter`` is the request field that carries ``max_tokens``: OpenAI's current
    ``max_completion_tokens`` or the older ``max_tokens`` some compatible servers still expect.
    ``temperature`` None leaves the server's default (some models accept no other).
    """

    client: openai.OpenAI
    model: str = "gpt-5-mini"
    max_retries: int | None = attrs.field(default=None, validator=_retries)
    temperature: float | None = None
    token_limit_parameter: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"  # noqa: S105 - a request field's name, not a secret

    def __attrs_post_init__(self) -> None:
        """Refuse an empty model name."""
        if not self.model.strip():
            raise ConfigurationError("the chat model name is empty")

    def _client(self) -> openai.OpenAI:
        if self.max_retries is None:
            return self.client
        return self.client.with_options(max_retries=self.max_retries)

    def _request(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], max_tokens: int | None
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [wire_message(message) for message in messages],
        }
        if tools:
            request["tools"] = [wire_tool(tool) for tool in tools]
            request["tool_choice"] = "auto"
        if max_tokens is not None:
            request[self.token_limit_parameter] = max_tokens
        if self.temperature is not None:
            request["temperature"] = self.temperature
        return request

    def complete(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Completion:
        """Answer ``messages`` in one piece (one request, retried by the SDK)."""
        request = self._request(messages, tools, max_tokens)
        try:
            response: ChatCompletion = self._client().chat.completions.create(
                **request, stream=False
            )
        except openai.OpenAIError as error:
            raise translate_error(error, model=self.model, what=_WHAT) from error
        except (ValueError, httpx2.HTTPError) as error:
            raise _unreadable(error) from error
        return self._completion(response, messages)

    def _completion(self, response: ChatCompletion, messages: Sequence[Message]) -> Completion:
        if not getattr(response, "choices", None):
            raise UpstreamUnavailable(
                "the chat server sent an answer with no choices", service=SERVICE
            )
        choice = response.choices[0]
        message = choice.message
        calls = tuple(
            ToolCall(call.id, call.function.name, call.function.arguments or "")
            for call in message.tool_calls or ()
            if isinstance(call, ChatCompletionMessageFunctionToolCall)
        )
        content = message.content
        if content is None and message.refusal:
            content = message.refusal
        usage = (
            TokenUsage(response.usage.prompt_tokens, response.usage.completion_tokens)
            if response.usage is not None
            else _estimate(messages, content, calls)
        )
        return Completion(
            content=content,
            tool_calls=calls,
            finish_reason=_finish(choice.finish_reason, has_tool_calls=bool(calls)),
            usage=usage,
            model=response.model or self.model,
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> Iterator[StreamEvent]:
        """Answer as the server generates it: ``TextDelta``s, then the assembled ``Completion``."""
        request = self._request(messages, tools, max_tokens)
        try:
            chunks = self._client().chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}
            )
        except openai.OpenAIError as error:
            raise translate_error(error, model=self.model, what=_WHAT) from error
        except (ValueError, httpx2.HTTPError) as error:
            raise _unreadable(error) from error
        with chunks:
            yield from self._assemble(chunks, messages)

    def _assemble(
        self, chunks: Iterator[ChatCompletionChunk], messages: Sequence[Message]
    ) -> Iterator[StreamEvent]:
        text: list[str] = []
        partial: dict[int, _PartialCall] = {}
        finish: str | None = None
        usage: TokenUsage | None = None
        model = self.model
        try:
            for chunk in chunks:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = TokenUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices[:1] if chunk.choices else ():
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        yield TextDelta(delta.content)
                    for fragment in delta.tool_calls or ():
                        call = partial.setdefault(fragment.index, _PartialCall())
                        call.id = fragment.id or call.id
                        if fragment.function is not None:
                            call.name = fragment.function.name or call.name
                            if fragment.function.arguments:
                                call.arguments.append(fragment.function.arguments)
                    finish = choice.finish_reason or finish
        except openai.OpenAIError as error:
            raise translate_error(error, model=self.model, what=_WHAT) from error
        except (ValueError, httpx2.HTTPError) as error:
            raise _unreadable(error) from error
        calls = tuple(partial[index].call(index) for index in sorted(partial))
        content = "".join(text) or None
        yield Completion(
            content=content,
            tool_calls=calls,
            finish_reason=_finish(finish, has_tool_calls=bool(calls)),
            usage=usage if usage is not None else _estimate(messages, content, calls),
            model=model,
        )


def _unreadable(error: Exception) -> UpstreamUnavailable:
    return UpstreamUnavailable(
        f"the chat server sent an answer we cannot read: {error}", service=SERVICE
    )
