"""Which language model drafts documents (for the composition root).

With ``JOBRAKER_LLM=local`` (the default) none: the local drafter makes documents at once, in
the request. Otherwise the configured model drafts them on a worker, behind the grounding gate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobraker_adapters.settings import Settings
    from jobraker_core.assistant.language_model import LanguageModel


def document_language_model(settings: Settings, model: LanguageModel) -> LanguageModel | None:
    """``model`` when a real model is configured, None for the local assistant."""
    return None if settings.llm == "local" else model
