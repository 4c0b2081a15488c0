"""``OpenAIEmbedder``: embeddings from OpenAI or any server that speaks its ``/v1/embeddings``.

It receives a configured ``openai.OpenAI`` client (the container builds it with the API key and,
for Ollama, vLLM, llama.cpp and the like, the ``base_url``), splits the texts into requests within
the API's limits, lets the SDK retry with back-off (it honours ``Retry-After``), and translates what
is left into the core error tree. Vectors are checked for the configured length and re-normalised.

Limits (OpenAI's, and the defaults here): at most 2,048 inputs and 300,000 tokens per request, at
most 8,192 tokens per input. Tokens are not counted exactly (that would need the model's tokenizer);
they are estimated as UTF-8 bytes / 3, which over-counts ordinary English (about 4 characters a
token) and holds for most other text, and an input is cut to ``max_input_tokens`` by that estimate.
"""

from __future__ import annotations

import base64
import math
import re
import struct
import time
from collections.abc import Iterator, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Literal

import attrs
import openai

from jobraker_core.errors import (
    ConfigurationError,
    InvalidInput,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.matching.embedding import l2_normalise, require_embeddable

SERVICE = "openai"
MAX_BATCH_INPUTS = 2048
MAX_BATCH_TOKENS = 300_000
MAX_INPUT_TOKENS = 8191
BYTES_PER_TOKEN = 3
DEFAULT_RETRY_AFTER = 20.0
"""Seconds to wait after a 429 that says nothing about when to come back."""

NATIVE_DIMENSIONS: Mapping[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


def estimate_tokens(text: str) -> int:
    """Return a conservative estimate of the tokens in ``text``: its UTF-8 bytes / 3, rounded up."""
    return max(1, math.ceil(len(text.encode("utf-8", "surrogatepass")) / BYTES_PER_TOKEN))


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """Return ``text`` cut (at a character boundary) so ``estimate_tokens`` is ≤ ``max_tokens``."""
    limit = max_tokens * BYTES_PER_TOKEN
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore")


def batches(texts: Sequence[str], *, max_inputs: int, max_tokens: int) -> Iterator[list[str]]:
    """Yield runs of consecutive texts, each within both limits (a text alone always fits)."""
    batch: list[str] = []
    tokens = 0
    for text in texts:
        cost = estimate_tokens(text)
        if batch and (len(batch) >= max_inputs or tokens + cost > max_tokens):
            yield batch
            batch, tokens = [], 0
        batch.append(text)
        tokens += cost
    if batch:
        yield batch


def _decode_base64(data: str) -> list[float]:
    raw = base64.b64decode(data, validate=True)
    if len(raw) % 4:
        raise ValueError("base64 embedding is not a whole number of float32 values")
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(value: str) -> float | None:
    """Parse OpenAI's reset durations such as ``"1s"``, ``"6m0s"`` or ``"20ms"``."""
    parts = _DURATION_PART.findall(value.strip())
    if not parts or "".join(number + unit for number, unit in parts) != value.strip():
        return None
    return sum(float(number) * _DURATION_UNIT[unit] for number, unit in parts)


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float:
    """Return how long the upstream asked us to wait, from its 429 response headers."""
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    if (after := headers.get("retry-after")) is not None:
        try:
            return max(0.0, float(after))
        except ValueError:
            try:
                when = parsedate_to_datetime(after).timestamp()
            except (TypeError, ValueError):
                pass
            else:
                return max(0.0, when - (time.time() if now is None else now))
    resets = [
        seconds
        for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
        if (value := headers.get(name)) is not None and (seconds := _duration(value)) is not None
    ]
    return max(resets) if resets else DEFAULT_RETRY_AFTER


def _error_code(error: openai.APIStatusError) -> str | None:
    code = error.code or error.type
    return str(code) if code is not None else None


_TRANSIENT_STATUSES = frozenset({408, 409})
_FIRST_SERVER_ERROR = 500


def translate_error(
    error: openai.OpenAIError, *, model: str, what: str = "embeddings"
) -> Exception:
    """Return the core error for what the SDK raised after its retries (the adapter's one map).

    ``what`` names the API in messages (``"embeddings"``, ``"chat"``).
    """
    detail = getattr(error, "message", str(error))
    if isinstance(error, openai.RateLimitError) and _error_code(error) != "insufficient_quota":
        return RateLimited(
            f"{what} requests are rate limited: {detail}",
            service=SERVICE,
            retry_after=retry_after_seconds(error.response.headers),
        )
    if isinstance(error, openai.RateLimitError):
        return ConfigurationError(f"the {what} account has no quota left: {detail}")
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ConfigurationError(f"the {what} server refused our credentials: {detail}")
    if isinstance(error, openai.APIStatusError) and not (
        error.status_code >= _FIRST_SERVER_ERROR or error.status_code in _TRANSIENT_STATUSES
    ):
        return UpstreamRejected(
            f"the {what} server rejected the request for model {model!r} "
            f"({error.status_code}): {detail}",
            service=SERVICE,
        )
    if isinstance(error, openai.APIStatusError):
        reason = f"failed ({error.status_code})"
    elif isinstance(error, openai.APIConnectionError):  # APITimeoutError included
        reason = "is unreachable"
    else:
        reason = "sent an answer we cannot read"
    return UpstreamUnavailable(f"the {what} server {reason}: {detail}", service=SERVICE)


def _positive(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or value < 1:
        raise ConfigurationError(f"{attribute.name} must be a positive integer, not {value!r}")


def _retries(_instance: object, _attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 0):
        raise ConfigurationError(f"max_retries must be a whole number ≥ 0, not {value!r}")


@attrs.frozen
class OpenAIEmbedder:
    """The ``Embedder`` port on OpenAI's embeddings API or an OpenAI-compatible server.

    ``dimensions`` may be left out for OpenAI's own models (their native size is used); for any
    other model it must be given, and it is then only checked against the vectors that come back.
    It is sent to the server only for ``text-embedding-3*`` models (the only ones that can shorten
    their vectors) unless ``send_dimensions`` says otherwise. ``encoding_format`` left as ``None``
    lets the SDK ask for base64 and decode it; ``"float"`` or ``"base64"`` ask for that encoding
    (some compatible servers support only one). ``max_retries`` overrides the client's.
    """

    client: openai.OpenAI
    model: str = "text-embedding-3-small"
    _dimensions: int | None = attrs.field(default=None, alias="dimensions")
    send_dimensions: bool | None = None
    encoding_format: Literal["float", "base64"] | None = None
    max_retries: int | None = attrs.field(default=None, validator=_retries)
    max_batch_inputs: int = attrs.field(default=MAX_BATCH_INPUTS, validator=_positive)
    max_batch_tokens: int = attrs.field(default=MAX_BATCH_TOKENS, validator=_positive)
    max_input_tokens: int = attrs.field(default=MAX_INPUT_TOKENS, validator=_positive)

    def __attrs_post_init__(self) -> None:
        """Refuse a configuration that cannot work: no model, or no known size."""
        if not self.model.strip():
            raise ConfigurationError("the embedding model name is empty")
        if self._dimensions is None and self.model not in NATIVE_DIMENSIONS:
            raise ConfigurationError(
                f"the dimensions of embedding model {self.model!r} are unknown; configure them"
            )
        if self._dimensions is not None and (
            isinstance(self._dimensions, bool) or self._dimensions < 1
        ):
            raise ConfigurationError(
                f"embedding dimensions must be a positive integer, not {self._dimensions!r}"
            )
        if self.max_input_tokens > self.max_batch_tokens:
            raise ConfigurationError("max_input_tokens cannot exceed max_batch_tokens")

    @property
    def dimensions(self) -> int:
        """The configured size, or the model's native size when none was configured."""
        if self._dimensions is not None:
            return self._dimensions
        return NATIVE_DIMENSIONS[self.model]

    @property
    def model_id(self) -> str:
        """``openai:<model>:<dimensions>``."""
        return f"openai:{self.model}:{self.dimensions}"

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Return one unit vector per text, in order, in as few requests as the limits allow."""
        require_embeddable(texts)
        inputs = [truncate_to_tokens(text, self.max_input_tokens) for text in texts]
        client = self.client
        if self.max_retries is not None:
            client = client.with_options(max_retries=self.max_retries)
        vectors: list[tuple[float, ...]] = []
        for batch in batches(
            inputs, max_inputs=self.max_batch_inputs, max_tokens=self.max_batch_tokens
        ):
            vectors.extend(self._embed_batch(client, batch))
        return vectors

    def _send_dimensions(self) -> bool:
        if self.send_dimensions is not None:
            return self.send_dimensions
        return self.model.startswith("text-embedding-3")

    def _embed_batch(self, client: openai.OpenAI, batch: list[str]) -> list[tuple[float, ...]]:
        try:
            response = client.embeddings.create(
                input=batch,
                model=self.model,
                dimensions=self.dimensions if self._send_dimensions() else openai.omit,
                encoding_format=self.encoding_format or openai.omit,
            )
        except openai.OpenAIError as error:
            raise translate_error(error, model=self.model) from error
        except ValueError as error:  # the SDK's "No embedding data received", bad JSON
            raise UpstreamUnavailable(
                f"the embeddings server sent an answer we cannot read: {error}", service=SERVICE
            ) from error
        return self._vectors(response, len(batch))

    def _vectors(
        self, response: openai.types.CreateEmbeddingResponse, expected: int
    ) -> list[tuple[float, ...]]:
        items = sorted(response.data, key=lambda item: item.index)
        if [item.index for item in items] != list(range(expected)):
            raise UpstreamUnavailable(
                f"the embeddings server answered {len(items)} embeddings for {expected} inputs",
                service=SERVICE,
            )
        vectors = []
        for item in items:
            raw: object = item.embedding
            try:
                values = _decode_base64(raw) if isinstance(raw, str) else item.embedding
                if len(values) != self.dimensions:
                    raise ConfigurationError(
                        f"embedding model {self.model!r} returned {len(values)}-dimensional "
                        f"vectors, but {self.dimensions} are configured"
                    )
                vectors.append(l2_normalise(values))
            except (ValueError, TypeError, InvalidInput) as error:
                raise UpstreamUnavailable(
                    f"the embeddings server sent an unusable vector: {error}", service=SERVICE
                ) from error
        return vectors
