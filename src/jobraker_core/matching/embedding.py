"""Embeddings: the ``Embedder`` port and the small pure helpers around it.

An embedder turns texts into unit-length vectors whose cosine similarity says how alike the texts
are. Which embedder made a vector matters as much as the vector: vectors of two models (or of one
model at two sizes) are not comparable, so every stored vector carries the ``EmbeddingSpec`` of the
embedder that made it, and a change of spec means re-embedding everything.
"""

from __future__ import annotations

import hashlib
import math
import operator
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

import attrs

from jobraker_core.errors import InvalidInput

MAX_DIMENSIONS = 16_000
"""The largest vector any embedder may produce (pgvector's ``halfvec`` indexes up to 4,000)."""

_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,199}$")


def _valid_model_id(_instance: object, _attribute: object, value: str) -> None:
    if not _MODEL_ID.fullmatch(value):
        raise InvalidInput(
            f"an embedding model id is 1-200 characters of letters, digits and ._:/+-, "
            f"starting with a letter or digit; got {value!r}",
            field="model_id",
        )


def _valid_dimensions(_instance: object, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not 1 <= value <= MAX_DIMENSIONS:
        raise InvalidInput(
            f"embedding dimensions must be between 1 and {MAX_DIMENSIONS}; got {value!r}",
            field="dimensions",
        )


@attrs.frozen
class EmbeddingSpec:
    """Which model made a vector, and how long the vector is.

    ``model_id`` names the model *and* everything that changes its output (version, size), e.g.
    ``"local-hash-v1:384"`` or ``"openai:text-embedding-3-small:1536"``; two vectors are comparable
    exactly when their specs are equal.
    """

    model_id: str = attrs.field(validator=_valid_model_id)
    dimensions: int = attrs.field(validator=_valid_dimensions)

    @classmethod
    def of(cls, embedder: Embedder) -> EmbeddingSpec:
        """Return the spec of the vectors ``embedder`` makes."""
        return cls(model_id=embedder.model_id, dimensions=embedder.dimensions)

    def check(self, vector: Sequence[float]) -> None:
        """Raise ``InvalidInput`` when ``vector`` cannot be compared with this model's vectors."""
        if len(vector) != self.dimensions:
            raise wrong_dimensions(len(vector), self.dimensions)


def wrong_dimensions(got: int, stored: int) -> InvalidInput:
    """The error for a query vector whose length is not the stored vectors' (another model's)."""
    return InvalidInput(
        f"the query vector has {got} dimensions but the stored vectors have "
        f"{stored}: it comes from another embedder",
        field="vector",
    )


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of ``dimensions`` floats (the port).

    Contract, for every adapter:

    - ``embed(texts)`` returns one vector per text, in the order given; each is a tuple of exactly
      ``dimensions`` finite floats with Euclidean length 1 (within float rounding). An empty
      sequence returns ``[]`` and does no work.
    - The same text always gives the same vector for the same ``model_id`` (a local embedder
      bit-for-bit, across processes and machines; a remote one as far as the vendor guarantees), so
      vectors may be cached by ``(model_id, content_hash(text))``. Embedding a batch gives the same
      vectors as embedding its texts one by one.
    - A text with no non-whitespace character raises ``InvalidInput`` (``field="texts"``) before
      any work is done: it has no meaning to embed. Any other text is accepted; a text longer than
      the model's input window is truncated by the adapter.
    - Batching, retries and back-off are the adapter's business. What is left after them surfaces
      as a core error: ``RateLimited`` (with ``retry_after``) when the upstream still says wait;
      ``UpstreamUnavailable`` for network failures, timeouts, 5xx and malformed answers;
      ``UpstreamRejected`` when the upstream refuses the request itself (unknown model, bad
      parameters); ``ConfigurationError`` when our credentials are refused, the account has no
      quota, or the upstream's vectors do not have the configured ``dimensions``.
    """

    @property
    def model_id(self) -> str:
        """Name of the model and of everything that changes its output (see ``EmbeddingSpec``)."""
        ...

    @property
    def dimensions(self) -> int:
        """Length of every vector this embedder returns."""
        ...

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Return one unit vector per text, in order (see the class docstring for errors)."""
        ...


def require_embeddable(texts: Sequence[str]) -> None:
    """Raise ``InvalidInput`` unless every text has a non-whitespace character (the port's rule)."""
    for position, text in enumerate(texts):
        if not text.strip():
            raise InvalidInput(
                f"text {position} has nothing to embed: it is empty or only whitespace",
                field="texts",
            )


def content_hash(text: str) -> str:
    """Return the key under which the embedding of ``text`` is cached (with the model id).

    It is the SHA-256 of the exact text (UTF-8; lone surrogates kept as they are), in hex: any
    change to the text, even of whitespace, gives a new key.
    """
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def l2_normalise(values: Iterable[float]) -> tuple[float, ...]:
    """Return ``values`` scaled to Euclidean length 1.

    Raises ``InvalidInput`` for a vector with a non-finite component or of length 0 (neither has a
    direction).
    """
    vector = tuple(float(value) for value in values)
    if not all(math.isfinite(value) for value in vector):
        raise InvalidInput("a vector with a non-finite component cannot be normalised")
    norm = math.sqrt(math.fsum(value * value for value in vector))
    if norm == 0.0:
        raise InvalidInput("a zero vector has no direction and cannot be normalised")
    return tuple(value / norm for value in vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Return the cosine similarity of two vectors of equal length, in [-1, 1].

    A zero vector is similar to nothing: its cosine with anything is 0.0. Vectors of different
    lengths come from different models and raise ``InvalidInput``.
    """
    if len(a) != len(b):
        raise InvalidInput(
            f"vectors of {len(a)} and {len(b)} dimensions cannot be compared; "
            "they come from different embedders"
        )
    dot = math.fsum(map(operator.mul, a, b))
    norm_a = math.sqrt(math.fsum(value * value for value in a))
    norm_b = math.sqrt(math.fsum(value * value for value in b))
    if norm_a == 0.0 or norm_b == 0.0:
        return 0.0
    return max(-1.0, min(1.0, dot / (norm_a * norm_b)))
