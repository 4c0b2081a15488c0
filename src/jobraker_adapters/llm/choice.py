"""Which ``LanguageModel`` a deployment uses, and what its tokens cost (for the composition root).

``JOBRAKER_LLM`` picks it (``local`` unless ``OPENAI_API_KEY`` is set, then ``openai``):

- ``local``: ``LocalAssistant``, deterministic, no model and no network, free;
- ``openai``: ``OpenAIChatModel`` on an ``openai.OpenAI`` client made from ``OPENAI_API_KEY`` and
  ``OPENAI_BASE_URL`` (any OpenAI-compatible server), model ``OPENAI_CHAT_MODEL``, priced at
  ``JOBRAKER_LLM_PRICE_INPUT_PER_1M`` / ``JOBRAKER_LLM_PRICE_OUTPUT_PER_1M``, each request
  given ``JOBRAKER_LLM_TIMEOUT`` seconds (the SDK's retries and back-off come on top).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from jobraker_adapters.embedder_choice import openai_client
from jobraker_adapters.llm.local_assistant import LocalAssistant
from jobraker_adapters.llm.openai_chat import OpenAIChatModel
from jobraker_core.assistant.costs import TokenBudget, TokenPrices

if TYPE_CHECKING:
    from jobraker_adapters.settings import Settings
    from jobraker_core.assistant.language_model import LanguageModel


def open_language_model(settings: Settings) -> Iterator[LanguageModel]:
    """Yield the configured model; close its HTTP client (if any) when the generator ends.

    Raises ``ConfigurationError`` when ``openai`` is chosen with neither a key nor a server.
    """
    if settings.llm == "openai":
        client = openai_client(settings, needed_by="JOBRAKER_LLM=openai").with_options(
            timeout=settings.llm_timeout
        )
        try:
            yield OpenAIChatModel(client, model=settings.openai_chat_model)
        finally:
            client.close()
        return
    yield LocalAssistant()


def token_prices(settings: Settings) -> TokenPrices:
    """What the configured model's tokens cost (the local model is free)."""
    if settings.llm == "openai":
        return TokenPrices(settings.llm_price_input, settings.llm_price_output)
    return TokenPrices.free()


def token_budget(settings: Settings) -> TokenBudget:
    """The per-person monthly token budget of ``JOBRAKER_LLM_MONTHLY_TOKENS``."""
    return TokenBudget(settings.llm_monthly_tokens)
