"""Which ``Embedder`` a deployment uses, built from the settings (for the composition root).

``JOBRAKER_EMBEDDER`` picks it (``hash`` unless ``OPENAI_API_KEY`` is set, then ``openai``):

- ``hash``: ``HashingEmbedder`` (local, no network), ``JOBRAKER_EMBEDDING_DIMENSIONS`` wide
  (default 768);
- ``openai``: ``OpenAIEmbedder`` on an ``openai.OpenAI`` client made here from ``OPENAI_API_KEY``
  and ``OPENAI_BASE_URL`` (any OpenAI-compatible server), model ``JOBRAKER_EMBEDDING_MODEL``
  (default ``text-embedding-3-small``) at ``JOBRAKER_EMBEDDING_DIMENSIONS`` (default: native);
- ``minilm``: ``MiniLMEmbedder`` (the ``neural`` extra; 384 dimensions, nothing else).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import openai

from jobraker_adapters.embedders.hashing import DEFAULT_DIMENSIONS, HashingEmbedder
from jobraker_adapters.embedders.minilm import DIMENSIONS as MINILM_DIMENSIONS
from jobraker_adapters.embedders.minilm import MiniLMEmbedder
from jobraker_adapters.embedders.openai_embedder import OpenAIEmbedder
from jobraker_core.errors import ConfigurationError

if TYPE_CHECKING:
    from jobraker_adapters.settings import Settings
    from jobraker_core.matching.embedding import Embedder

DEFAULT_OPENAI_MODEL: Final = "text-embedding-3-small"
OPENAI_MAX_RETRIES: Final = 4
_NO_KEY: Final = "not-needed"  # compatible servers (Ollama, vLLM) accept any key


def openai_client(settings: Settings, *, needed_by: str) -> openai.OpenAI:
    """An ``openai.OpenAI`` client from ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``.

    The SDK retries connection errors, 408, 409, 429 and 5xx ``OPENAI_MAX_RETRIES`` times with
    back-off, honouring ``Retry-After``. ``needed_by`` names the setting that chose OpenAI, for
    the ``ConfigurationError`` raised when neither a key nor a server is configured.
    """
    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigurationError(
            f"{needed_by} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server)"
        )
    return openai.OpenAI(
        api_key=settings.openai_api_key or _NO_KEY,
        base_url=settings.openai_base_url,
        timeout=settings.http_timeout,
        max_retries=OPENAI_MAX_RETRIES,
    )


def open_embedder(settings: Settings) -> Iterator[Embedder]:
    """Yield the configured embedder; close its HTTP client (if any) when the generator ends.

    Raises ``ConfigurationError`` for a combination that cannot work (OpenAI without a key or a
    server, MiniLM at another size).
    """
    if settings.embedder == "openai":
        client = openai_client(settings, needed_by="JOBRAKER_EMBEDDER=openai")
        try:
            yield OpenAIEmbedder(
                client,
                model=settings.embedding_model or DEFAULT_OPENAI_MODEL,
                dimensions=settings.embedding_dimensions,
            )
        finally:
            client.close()
        return
    if settings.embedder == "minilm":
        if settings.embedding_dimensions not in {None, MINILM_DIMENSIONS}:
            raise ConfigurationError(
                f"the MiniLM embedder makes {MINILM_DIMENSIONS}-dimensional vectors only; "
                "unset JOBRAKER_EMBEDDING_DIMENSIONS"
            )
        yield MiniLMEmbedder()
        return
    yield HashingEmbedder(settings.embedding_dimensions or DEFAULT_DIMENSIONS)
