"""Plain-text structure shared by the résumé parser and the job analyser.

Pure and deterministic. Three things live here:

- **sections**: a text is cut into sections at its headings (Markdown ``## Skills``, a short
  ``Skills:`` line, a short ALL CAPS line), each heading classified by what it announces
  (skills, experience, education, requirements, ...);
- **items**: the lines of a section, bullets and numbering stripped, each with its offsets in the
  original text so evidence can point back at it;
- **terms**: the content words of a phrase, folded and lightly stemmed, for the word-overlap test
  that decides whether a requirement the taxonomy does not know ("physical strength and
  stamina") is met by a line of a résumé.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from jobraker_core.jobs.text import fold

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

T = TypeVar("T")


class SectionKind(enum.StrEnum):
    """What a section of a résumé or a posting is about."""

    PREAMBLE = "preamble"  # before the first heading
    PERSONAL = "personal"
    SUMMARY = "summary"
    SKILLS = "skills"
    EXPERIENCE = "experience"
    EDUCATION = "education"
    LANGUAGES = "languages"
    CERTIFICATIONS = "certifications"
    PROJECTS = "projects"
    TITLE = "title"
    REQUIREMENTS = "requirements"
    NICE_TO_HAVE = "nice_to_have"
    REQUIRED_EXPERIENCE = "required_experience"
    RESPONSIBILITIES = "responsibilities"
    OTHER = "other"


# Checked in order: the first group whose phrase occurs in the heading decides.
_HEADINGS: Final[tuple[tuple[SectionKind, tuple[str, ...]], ...]] = (
    (
        SectionKind.NICE_TO_HAVE,
        (
            "nice to have",
            "nice to haves",
            "preferred",
            "bonus",
            "desirable",
            "good to have",
            "pluses",
            "a plus",
        ),
    ),
    (
        SectionKind.REQUIRED_EXPERIENCE,
        (
            "required experience",
            "required experiences",
            "requiredd experience",
            "experience required",
            "experience requirements",
        ),
    ),
    (
        SectionKind.REQUIREMENTS,
        (
            "required skills",
            "requirements",
            "requirement",
            "qualifications",
            "must have",
            "must haves",
            "what you need",
            "what you ll need",
            "what we re looking for",
            "what we are looking for",
            "who you are",
            "about you",
            "your profile",
            "you have",
            "you bring",
            "skills required",
            "key skills",
            "essential",
        ),
    ),
    (
        SectionKind.RESPONSIBILITIES,
        (
            "responsibilities",
            "what you ll do",
            "what you will do",
            "duties",
            "your tasks",
            "the role",
            "key responsibilities",
        ),
    ),
    (SectionKind.TITLE, ("job title", "title", "position")),
    (
        SectionKind.PERSONAL,
        ("personal information", "personal details", "contact", "contact information", "personal"),
    ),
    (
        SectionKind.SUMMARY,
        (
            "summary",
            "profile",
            "objective",
            "about me",
            "job summary",
            "professional summary",
            "overview",
            "job description",
        ),
    ),
    (SectionKind.LANGUAGES, ("languages", "language skills", "language")),
    (
        SectionKind.SKILLS,
        (
            "skills",
            "technical skills",
            "core skills",
            "competencies",
            "expertise",
            "technologies",
            "tech stack",
            "tools",
            "skill",
        ),
    ),
    (
        SectionKind.EXPERIENCE,
        (
            "experience",
            "work experience",
            "employment",
            "work history",
            "professional experience",
            "career history",
            "employment history",
            "positions",
        ),
    ),
    (
        SectionKind.EDUCATION,
        ("education", "academic", "qualifications and education", "degrees", "studies", "training"),
    ),
    (SectionKind.CERTIFICATIONS, ("certifications", "certificates", "licenses", "certification")),
    (
        SectionKind.PROJECTS,
        (
            "projects",
            "publications",
            "awards",
            "interests",
            "hobbies",
            "references",
            "volunteering",
            "volunteer",
        ),
    ),
)
_MARKDOWN_HEADING: Final = re.compile(r"^\s*#{1,6}\s*(?P<text>.*?)\s*:?\s*$")
_BULLET: Final = re.compile(
    r"^\s*(?:[-*+\u2022\u00b7\u25aa\u25cf\u2013\u2014>]+|\(?\d{1,2}[.)]|\(?[a-z][.)])\s*"
)
_EMPHASIS: Final = re.compile(r"\*\*|__|`")
_MAX_HEADING_WORDS: Final = 5


def classify_heading(text: str) -> SectionKind | None:
    """Return what a heading announces, or None when ``text`` names no known section."""
    folded = fold(_EMPHASIS.sub("", text))
    if not folded:
        return None
    padded = f" {folded} "
    for kind, phrases in _HEADINGS:
        if any(f" {phrase} " in padded for phrase in phrases):
            return kind
    return None


@attrs.frozen
class Line:
    """One non-blank line of a text: its content (bullets stripped) and where it sits."""

    text: str
    start: int
    end: int
    bulleted: bool


@attrs.frozen
class Section:
    """A heading (None for the text before the first one), what it announces, and its lines."""

    kind: SectionKind
    heading: str | None
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        """The section's lines joined by newlines."""
        return "\n".join(line.text for line in self.lines)


def _heading_of(raw: str) -> tuple[str, SectionKind] | None:
    """If the line is a heading, return its text and kind."""
    markdown = _MARKDOWN_HEADING.match(raw)
    if markdown and raw.lstrip().startswith("#"):
        text = markdown.group("text")
        return text, classify_heading(text) or SectionKind.OTHER
    stripped = _EMPHASIS.sub("", raw).strip()
    if not stripped or (_BULLET.match(raw) and not stripped.isupper()):
        return None
    body = stripped[:-1].strip() if stripped.endswith(":") else stripped
    words = body.split()
    if not words or len(words) > _MAX_HEADING_WORDS or re.search(r"[.!?,;]$", body):
        return None
    kind = classify_heading(body)
    looks_like_heading = stripped.endswith(":") or body.isupper() or kind is not None
    if kind is not None and looks_like_heading:
        return body, kind
    return None


def sections(text: str) -> tuple[Section, ...]:
    """Cut ``text`` into sections at its headings; the lines keep their offsets in ``text``."""
    found: list[Section] = []
    kind, heading = SectionKind.PREAMBLE, None
    lines: list[Line] = []
    position = 0
    for raw in text.split("\n"):
        start = position
        position += len(raw) + 1
        head = _heading_of(raw)
        if head is not None:
            if lines or heading is not None:
                found.append(Section(kind, heading, tuple(lines)))
            heading, kind = head[0], head[1]
            lines = []
            continue
        bullet = _BULLET.match(raw)
        offset = bullet.end() if bullet else len(raw) - len(raw.lstrip())
        content = raw[offset:].rstrip()
        if not content.strip():
            continue
        lines.append(Line(content, start + offset, start + offset + len(content), bool(bullet)))
    if lines or heading is not None:
        found.append(Section(kind, heading, tuple(lines)))
    return tuple(found)


# ----------------------------------------------------------------------------- terms

_STOP: Final = frozenset(
    """
    a about above across after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each either
    etc few for from further had has have having he her here hers him his how i if in into is it
    its itself just me more most my no nor not of off on once only or other our ours out over own
    per same she should so some such than that the their theirs them then there these they this
    those through to too under until up upon us very via was we were what when where which while
    who whom why will with within without would you your yours e g eg ie
    ability able abilities capacity capable competent competence proficiency proficient
    proficiently experience experienced experiences knowledge knowledgeable familiarity familiar
    understanding skill skills skilled strong good great excellent exceptional outstanding solid
    proven deep effective efficient effectively efficiently high highly basic advanced substantial
    sound well keen expert expertise year years plus preferred required requirement requirements
    must ideally candidate role position job team use using used demonstrated demonstrable
    relevant related various including include includes work working worked various level
    levels new ensure ensuring techniques technique practical hands
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
_SUFFIXES: Final = (
    "ational",
    "ations",
    "ation",
    "ically",
    "ingly",
    "ities",
    "ments",
    "ement",
    "ment",
    "ness",
    "ical",
    "ings",
    "ally",
    "able",
    "ible",
    "ity",
    "ing",
    "ers",
    "ive",
    "ed",
    "er",
    "al",
    "ly",
    "ic",
    "e",
    "y",
)
_MIN_STEM: Final = 4
TERMS_MEMO: Final = 16_384
"""How many texts' ``terms`` are remembered: scoring asks for the same titles and skill names
for every job of a pool, and the answer (a frozenset) is immutable."""
_TERM: Final = re.compile(r"[a-z0-9][a-z0-9+#]*")


def stem(word: str) -> str:
    """Return a light stem of a folded word ("management", "managing" -> "manag").

    A plural ending goes first ("animals" -> "animal"), then one suffix, never leaving fewer
    than four characters; the result is cut to seven characters, which keeps word families
    together ("communication", "communicate").
    """
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > _MIN_STEM + 2:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    return word[:7]


def _fold_keeping_symbols(text: str) -> str:
    """Lower case without accents, keeping ``+`` and ``#`` (so C# and C++ are not C)."""
    if text.isascii():  # NFKD leaves ASCII as it is
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@functools.lru_cache(maxsize=TERMS_MEMO)
def terms(text: str) -> frozenset[str]:
    """Return the stemmed content words of ``text`` (function words and filler dropped).

    ``C#``, ``C++`` and ``F#`` stay words of their own.
    """
    words = _TERM.findall(_fold_keeping_symbols(text))
    return frozenset(stem(word) for word in words if word not in _STOP)


def overlap(phrase: frozenset[str], line: frozenset[str]) -> float:
    """Return the share of ``phrase``'s terms that ``line`` contains (0 for an empty phrase)."""
    if not phrase:
        return 0.0
    return len(phrase & line) / len(phrase)


def best_line(
    phrase: frozenset[str], lines: Iterable[tuple[frozenset[str], T]]
) -> tuple[float, T | None]:
    """Return the best overlap of ``phrase`` with any line, and that line's payload."""
    best: tuple[float, T | None] = (0.0, None)
    for line_terms, payload in lines:
        share = overlap(phrase, line_terms)
        if share > best[0]:
            best = (share, payload)
    return best


def join_lines(lines: Sequence[Line]) -> str:
    """Join lines' texts with newlines."""
    return "\n".join(line.text for line in lines)


_LIST_SEPARATOR: Final = re.compile(r"\s*[,;]\s*")
_SHORT_ITEM_WORDS: Final = 4


def list_items(text: str) -> list[tuple[int, int]]:
    """Split a line that is a list ("iOS, Android, SDK, Technical Writing") into its items.

    Returns the (start, end) of each item within ``text``; a line that is not such a list (fewer
    than two separators, or fewer than two thirds of its pieces of at most four words) is one
    item.
    """
    cuts = list(_LIST_SEPARATOR.finditer(text))
    whole = [(0, len(text))]
    if len(cuts) < 2:  # noqa: PLR2004 - "a, b and c" at least
        return whole
    items: list[tuple[int, int]] = []
    position = 0
    for cut in [*cuts, None]:
        end = cut.start() if cut is not None else len(text)
        piece = text[position:end].strip(" .")
        if piece:
            start = text.index(piece, position)
            items.append((start, start + len(piece)))
        position = cut.end() if cut is not None else len(text)
    short = sum(1 for a, b in items if len(text[a:b].split()) <= _SHORT_ITEM_WORDS)
    if 3 * short < 2 * len(items):  # mostly long pieces: a sentence with commas, not a list
        return whole
    return items


def needed_terms(size: int) -> int:
    """How many of a requirement's ``size`` content words a line must share to meet it.

    All of one or two, then half (rounded up) but at least two: 1, 2, 2, 2, 3, 3, 4, ...
    """
    if size <= 2:  # noqa: PLR2004
        return size
    return max(2, -(-size // 2))
