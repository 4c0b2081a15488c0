"""``HashingEmbedder``: the local default embedder — feature hashing, no network, no dependencies.

A text becomes two families of features: its folded words (accents stripped, case folded, minus a
short list of English function words), and the character 3- and 4-grams of each word. Each word
counts ``1 + ln(tf)`` (sublinear term frequency), and lends that weight to its n-grams. Every
feature is hashed with BLAKE2b into one of ``dimensions`` buckets, with a sign taken from the same
hash so that collisions cancel out on average instead of piling up. Each family's vector is scaled
to a fixed length (words 1.0, n-grams 0.5) so that a long text's many n-grams cannot drown its
words, and the sum is L2-normalised.

It is a lexical embedder: texts are close when they share words or pieces of words ("develop",
"developer", "development"), which is most of what matching a résumé's skills against a posting's
needs; it knows no synonyms (that is the skills taxonomy's job). It is deterministic across
processes, machines and Python versions (BLAKE2b, never ``hash()``), and batch-independent: each
text is embedded on its own. ``docs/embedder-study.md`` compares it with TF-IDF, MiniLM and a static
model distilled from MiniLM, and says why these features and 768 dimensions were chosen (word pairs
were measured too, and did not help; they stay available in ``HashingScheme`` for studies).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import attrs

from jobraker_core.matching.embedding import MAX_DIMENSIONS, require_embeddable

VERSION = "local-hash-v1"
DEFAULT_DIMENSIONS = 768

# Function words carry no meaning for matching; dropping them is most of what IDF would do.
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
    """.split()  # noqa: SIM905 - a word list reads better as prose than as 130 quoted strings
)

_WORD = re.compile(r"\w+[+#]*")
_MAX_CHAR_WORD = 30
"""Longer "words" (hashes, URLs run together) get no character n-grams: they are noise."""


@attrs.frozen
class HashingScheme:
    """Which feature families count, and how much; part of the model id unless it is the default.

    Each family's hashed vector is scaled to its weight before the families are summed, so the
    weights say how much words, word pairs and word pieces count, whatever the text's length. A
    weight of 0 leaves the family out. ``seed`` salts the hash: another seed is another, equally
    good, random projection of the same features (the study averages over seeds).
    """

    word_weight: float = 1.0
    pair_weight: float = 0.0
    char_weight: float = 0.5
    char_sizes: tuple[int, ...] = (3, 4)
    drop_stop_words: bool = True
    seed: int = attrs.field(
        default=0, validator=[attrs.validators.ge(0), attrs.validators.lt(2**64)]
    )

    @property
    def tag(self) -> str:
        """A short name of the scheme for the model id, e.g. ``w1-p0-c0.5x34-s``."""
        sizes = "".join(str(size) for size in self.char_sizes)
        stop = "-s" if self.drop_stop_words else ""
        seed = f"-r{self.seed}" if self.seed else ""
        weights = f"w{self.word_weight:g}-p{self.pair_weight:g}-c{self.char_weight:g}"
        return f"{weights}x{sizes}{stop}{seed}"


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
    """Return the signed buckets of the character n-grams of ``<word>``."""
    padded = f"<{word}>"
    return tuple(
        _bucket("c:" + padded[i : i + size], dimensions, seed)
        for size in sizes
        for i in range(len(padded) - size + 1)
    )


def _add(family: list[float], signed: int, weight: float) -> None:
    family[abs(signed) - 1] += weight if signed > 0 else -weight


def _words_family(tf: dict[str, float], dimensions: int, seed: int) -> list[float]:
    family = [0.0] * dimensions
    for word, weight in tf.items():
        _add(family, _bucket("w:" + word, dimensions, seed), weight)
    return family


def _pairs_family(words: list[str], dimensions: int, seed: int) -> list[float]:
    family = [0.0] * dimensions
    for (first, second), count in Counter(itertools.pairwise(words)).items():
        _add(family, _bucket(f"p:{first} {second}", dimensions, seed), 1.0 + math.log(count))
    return family


def _chars_family(
    tf: dict[str, float], sizes: tuple[int, ...], dimensions: int, seed: int
) -> list[float]:
    family = [0.0] * dimensions
    for word, weight in tf.items():
        if len(word) <= _MAX_CHAR_WORD:
            for signed in _char_buckets(word, sizes, dimensions, seed):
                _add(family, signed, weight)
    return family


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
    """The local default ``Embedder``: signed feature hashing of words and their n-grams.

    A text with no words (only punctuation or symbols) is hashed whole, as one feature, so every
    non-blank text gets a unit vector; blank texts raise ``InvalidInput`` as the port says.
    """

    dimensions: int = attrs.field(
        default=DEFAULT_DIMENSIONS,
        validator=[
            attrs.validators.instance_of(int),
            attrs.validators.ge(16),
            attrs.validators.le(MAX_DIMENSIONS),
        ],
    )
    scheme: HashingScheme = DEFAULT_SCHEME

    @property
    def model_id(self) -> str:
        """``local-hash-v1:<dimensions>``, with the scheme's tag after the version if not default.

        Changing what the default scheme computes must change ``VERSION``: stored vectors are
        re-embedded only when the model id changes.
        """
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
        words = fold_words(text)
        if scheme.drop_stop_words:
            # A text of function words only keeps them: they are better than nothing.
            words = [word for word in words if word not in STOP_WORDS] or words
        tf = {word: 1.0 + math.log(count) for word, count in Counter(words).items()}
        total = [0.0] * dimensions
        if scheme.word_weight:
            _mix(total, _words_family(tf, dimensions, seed), scheme.word_weight)
        if scheme.pair_weight:
            _mix(total, _pairs_family(words, dimensions, seed), scheme.pair_weight)
        if scheme.char_weight and scheme.char_sizes:
            family = _chars_family(tf, scheme.char_sizes, dimensions, seed)
            _mix(total, family, scheme.char_weight)
        norm = math.sqrt(math.fsum(value * value for value in total))
        if norm == 0.0:
            # No words (only symbols), or every feature cancelled out: hash the text itself.
            _add(total, _bucket("t:" + " ".join(text.split()), dimensions, seed), 1.0)
            norm = 1.0
        return tuple(value / norm for value in total)
