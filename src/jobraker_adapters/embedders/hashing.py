"""``HashingEmbedder``: the local default embedder — feature hashing, no network, no dependencies.

A text becomes a bag of features — folded words (minus a short list of English function words),
pairs of neighbouring words, and character n-grams of each word — each weighted by ``1 + ln(tf)``
(sublinear term frequency), hashed with BLAKE2b into one of ``dimensions`` buckets with a sign from
the same hash (so that collisions cancel out on average instead of piling up), and the sum is
L2-normalised. The three feature families are normalised separately and mixed with fixed weights,
so a long text's many character n-grams cannot drown its words.

It is a lexical embedder: texts are close when they share words, word pairs or word pieces, which is
what matching a résumé's skills against a posting's mostly needs; it knows no synonyms (that is the
skills taxonomy's job). It is deterministic across processes, platforms and Python versions
(BLAKE2b, never ``hash()``), and batch-independent: each text is embedded on its own.
See ``docs/embedder-study.md`` for how it compares with TF-IDF and MiniLM.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import attrs

from jobraker_core.matching.embedding import require_embeddable

VERSION = "local-hash-v1"
DEFAULT_DIMENSIONS = 384

# Function words carry no meaning for matching; dropping them is what IDF would mostly do.
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each etc few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not of off on once only or other our ours ourselves
    out over own per same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up upon very via was we were what when
    where which while who whom why will with within without would you your yours yourself
    yourselves
    """.split()
)

_WORD = re.compile(r"\w+[+#]*")
_MAX_CHAR_WORD = 30
"""Longer "words" (hashes, URLs run together) get no character n-grams: they are noise."""


@attrs.frozen
class HashingScheme:
    """The feature families and their weights; part of the model id unless it is the default.

    Each family's sublinear-tf vector is scaled to its weight before the families are summed, so the
    weights say how much words, word pairs and word pieces count, whatever the text's length.
    """

    word_weight: float = 1.0
    pair_weight: float = 0.6
    char_weight: float = 0.5
    char_sizes: tuple[int, ...] = (3, 4, 5)
    drop_stop_words: bool = True
    seed: int = 0
    """Salts the hash: another seed is another (equally good) random projection of the features."""

    @property
    def tag(self) -> str:
        """A short name of the scheme for the model id, e.g. ``w1-p0.6-c0.5x345-s``."""
        sizes = "".join(str(size) for size in self.char_sizes)
        stop = "-s" if self.drop_stop_words else ""
        seed = f"-r{self.seed}" if self.seed else ""
        return (
            f"w{self.word_weight:g}-p{self.pair_weight:g}-c{self.char_weight:g}x{sizes}{stop}{seed}"
        )


DEFAULT_SCHEME = HashingScheme()


def fold_words(text: str) -> list[str]:
    """Return the words of ``text``: accents stripped, case folded, ``+``/``#`` suffixes kept.

    ``"Résumé: C++, C# and Node.js"`` gives ``["resume", "c++", "c#", "and", "node", "js"]``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(stripped.casefold())


@functools.lru_cache(maxsize=1 << 18)
def _bucket(feature: str, dimensions: int, seed: int) -> int:
    """Return ``±(index + 1)``: the feature's bucket, signed by the hash's top bit."""
    digest = hashlib.blake2b(
        feature.encode("utf-8", "surrogatepass"),
        digest_size=8,
        person=b"jobraker-hash",
        salt=seed.to_bytes(8, "little"),
    ).digest()
    value = int.from_bytes(digest, "little")
    index = (value & 0x7FFF_FFFF_FFFF_FFFF) % dimensions + 1
    return -index if value >> 63 else index


@functools.lru_cache(maxsize=1 << 17)
def _char_buckets(word: str, sizes: tuple[int, ...], dimensions: int, seed: int) -> tuple[int, ...]:
    """Return the signed buckets of the character n-grams of ``<word>`` (cached per word)."""
    padded = f"<{word}>"
    return tuple(
        _bucket("c:" + padded[i : i + size], dimensions, seed)
        for size in sizes
        for i in range(len(padded) - size + 1)
    )


def _accumulate(vector: list[float], signed: int, value: float) -> None:
    if signed > 0:
        vector[signed - 1] += value
    else:
        vector[-signed - 1] -= value


def _mix(total: list[float], family: list[float], weight: float) -> None:
    """Add ``family``, scaled to Euclidean length ``weight``, to ``total`` (nothing if empty)."""
    norm = math.sqrt(math.fsum(value * value for value in family))
    if norm == 0.0:
        return
    scale = weight / norm
    for index, value in enumerate(family):
        if value:
            total[index] += value * scale


@attrs.frozen
class HashingEmbedder:
    """The local default ``Embedder``: signed feature hashing of words, word pairs and n-grams.

    A text whose only characters are punctuation or symbols (so it has no words) is hashed whole,
    as one feature: every non-blank text gets a unit vector. Blank texts raise ``InvalidInput``.
    """

    dimensions: int = attrs.field(
        default=DEFAULT_DIMENSIONS,
        validator=[attrs.validators.instance_of(int), attrs.validators.ge(16)],
    )
    scheme: HashingScheme = DEFAULT_SCHEME

    @property
    def model_id(self) -> str:
        """``local-hash-v1:<dimensions>`` (the scheme's tag follows the version if not default)."""
        if self.scheme == DEFAULT_SCHEME:
            return f"{VERSION}:{self.dimensions}"
        return f"{VERSION}-{self.scheme.tag}:{self.dimensions}"

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Return the unit vector of each text, in order (see the class docstring)."""
        require_embeddable(texts)
        return [self._embed_one(text) for text in texts]

    def _embed_one(self, text: str) -> tuple[float, ...]:
        dimensions, scheme = self.dimensions, self.scheme
        seed = scheme.seed
        total = [0.0] * dimensions
        all_words = fold_words(text)
        words = all_words
        if scheme.drop_stop_words:
            # Only function words: fall back to them rather than to nothing.
            words = [word for word in all_words if word not in STOP_WORDS] or all_words
        counts = Counter(words)
        tf = {word: 1.0 + math.log(count) for word, count in counts.items()}
        if scheme.word_weight:
            family = [0.0] * dimensions
            for word, weight in tf.items():
                _accumulate(family, _bucket("w:" + word, dimensions, seed), weight)
            _mix(total, family, scheme.word_weight)
        if scheme.pair_weight and len(words) > 1:
            family = [0.0] * dimensions
            pairs = Counter(zip(words, words[1:], strict=False))
            for (first, second), count in pairs.items():
                signed = _bucket(f"p:{first} {second}", dimensions, seed)
                _accumulate(family, signed, 1.0 + math.log(count))
            _mix(total, family, scheme.pair_weight)
        if scheme.char_weight and scheme.char_sizes:
            family = [0.0] * dimensions
            for word, weight in tf.items():
                if len(word) <= _MAX_CHAR_WORD:
                    for signed in _char_buckets(word, scheme.char_sizes, dimensions, seed):
                        _accumulate(family, signed, weight)
            _mix(total, family, scheme.char_weight)
        norm = math.sqrt(math.fsum(value * value for value in total))
        if norm == 0.0:
            # No words (only symbols), or every feature cancelled out: hash the text itself.
            _accumulate(total, _bucket("t:" + " ".join(text.split()), dimensions, seed), 1.0)
            norm = 1.0
        return tuple(value / norm for value in total)
