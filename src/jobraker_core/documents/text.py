"""Scanners shared by fact extraction and the grounding gate: numbers, dates, degrees, words.

The same scanner reads a fact out of the person's résumé and a claim out of a generated
document, so "£1.2m", "1,200,000 GBP" and "1.2 million" are one value wherever they are written.
Pure and deterministic.
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from jobraker_core.jobs.text import fold
from jobraker_core.matching.candidate import MAX_YEAR, MIN_YEAR, DegreeLevel
from jobraker_core.matching.resume import MONTH_WORD, MONTHS


class NumberKind(enum.StrEnum):
    """What a number measures, as far as its writing says."""

    PLAIN = "plain"
    PERCENT = "percent"
    MONEY = "money"


@attrs.frozen
class NumberMention:
    """A number written in a text (``value`` with its multiplier applied) and its span."""

    value: Decimal
    kind: NumberKind
    start: int
    end: int
    text: str


@attrs.frozen
class DateMention:
    """A year, or a month of a year, written in a text, and its span."""

    year: int
    month: int | None
    start: int
    end: int
    text: str


@attrs.frozen
class DegreeMention:
    """A degree named in a text; ``generic`` when it only says "degree"."""

    level: DegreeLevel
    generic: bool
    start: int
    end: int
    text: str


def word_set(text: str) -> frozenset[str]:
    """The space-separated words of ``text`` as a set (for word lists written as text)."""
    return frozenset(text.split())


MONTH_NAMES: Final = word_set(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_DATE: Final = re.compile(
    rf"\b(?P<mw>{MONTH_WORD})\.?,?\s+(?P<y1>(?:19|20)\d{{2}})\b"
    r"|\b(?P<y2>(?:19|20)\d{2})[-/.](?P<m2>0[1-9]|1[0-2])\b(?![-/.]\d)"
    r"|\b(?P<m3>0?[1-9]|1[0-2])/(?P<y3>(?:19|20)\d{2})\b"
    r"|(?<![\d,.$€£¥])\b(?P<y4>(?:19|20)\d{2})\b(?![,.]\d)",
    re.IGNORECASE,
)
_MULTIPLIERS: Final = {
    "k": Decimal(1_000),
    "thousand": Decimal(1_000),
    "m": Decimal(1_000_000),
    "mm": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "millions": Decimal(1_000_000),
    "bn": Decimal(1_000_000_000),
    "b": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
}
_MULT: Final = r"(?:\s?(?P<{name}>k|mm|m|bn|b|thousand|million|billion)\b)?"
_NUMBER: Final = re.compile(
    r"(?P<cur>[$€£¥])\s?(?P<n1>\d[\d,]*(?:\.\d+)?)" + _MULT.format(name="mult1") + ""
    r"|(?<![\w.])(?P<n2>\d[\d,]*(?:\.\d+)?)"
    r"(?:(?P<pct>\s?%|\s(?:percent|per cent)\b)"
    r"|" + _MULT.format(name="mult2") + r"(?P<code>\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b)?)",
    re.IGNORECASE,
)
NUMBER_WORDS: Final = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "thousand": 1000,
}
VAGUE_AMOUNTS: Final = frozenset(
    {"dozens", "hundreds", "thousands", "millions", "billions", "double", "doubled", "tripled"}
)
_NUMBER_WORD: Final = re.compile(
    r"\b(?P<w>" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b"
    r"(?!\s*(?:%|percent|-|\d))",
    re.IGNORECASE,
)
_VAGUE: Final = re.compile(r"\b(?:" + "|".join(sorted(VAGUE_AMOUNTS)) + r")\b", re.IGNORECASE)

_I = re.IGNORECASE
_DEGREES: Final[tuple[tuple[DegreeLevel, re.Pattern[str]], ...]] = (
    (DegreeLevel.DOCTORATE, re.compile(r"\b(?:ph\.?\s?d|doctorate|doctoral|d\.?phil)\b", _I)),
    (
        DegreeLevel.MASTER,
        re.compile(
            r"\b(?:master'?s?|m\.?sc|mba|m\.?eng|m\.?phil|llm|postgraduate)(?![\w])", re.IGNORECASE
        ),
    ),
    (
        DegreeLevel.BACHELOR,
        re.compile(
            r"\b(?:bachelor'?s?|b\.?sc|b\.?eng|b\.?tech|undergraduate|(?:university |college )?"
            r"degree)(?![\w])",
            re.IGNORECASE,
        ),
    ),
    (DegreeLevel.ASSOCIATE, re.compile(r"\bassociate'?s? degree\b", _I)),
)
_GENERIC_DEGREE: Final = re.compile(r"^(?:university |college )?degree$", re.IGNORECASE)


def _decimal(digits: str) -> Decimal | None:
    try:
        return Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None


def normalise(value: Decimal) -> Decimal:
    """One form per value (``1.50`` and ``1.5`` are equal and print the same)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def find_dates(text: str) -> tuple[DateMention, ...]:
    """Every year or month-and-year in ``text``, in order ("Jan 2019", "2019-01", "2019")."""
    found: list[DateMention] = []
    for match in _DATE.finditer(text):
        groups = match.groupdict()
        year_text = groups["y1"] or groups["y2"] or groups["y3"] or groups["y4"]
        year = int(year_text)
        if not MIN_YEAR <= year <= MAX_YEAR:
            continue
        month: int | None = None
        if groups["mw"]:
            month = MONTHS[groups["mw"].lower()[:3]]
        elif groups["m2"]:
            month = int(groups["m2"])
        elif groups["m3"]:
            month = int(groups["m3"])
        found.append(DateMention(year, month, match.start(), match.end(), match.group()))
    return tuple(found)


def find_numbers(text: str, *, skip: tuple[tuple[int, int], ...] = ()) -> tuple[NumberMention, ...]:
    """Every number in ``text`` outside the ``skip`` spans (dates), with its kind and value.

    Digits glued to letters ("S3", "EC2", "B2") are part of a name, not numbers. Number words
    from "two" to "twenty" (and tens, "hundred", "thousand") count as their values.
    """
    found: list[NumberMention] = []
    for match in _NUMBER.finditer(text):
        if any(a <= match.start() < b or a < match.end() <= b for a, b in skip):
            continue
        groups = match.groupdict()
        digits = groups["n1"] or groups["n2"]
        value = _decimal(digits)
        if value is None:
            continue
        mult = (groups["mult1"] or groups["mult2"] or "").lower()
        if mult:
            value *= _MULTIPLIERS[mult]
        if groups["pct"]:
            kind = NumberKind.PERCENT
        elif groups["cur"] or groups["code"]:
            kind = NumberKind.MONEY
        else:
            kind = NumberKind.PLAIN
        end = match.end()
        found.append(
            NumberMention(normalise(value), kind, match.start(), end, text[match.start() : end])
        )
    digits_at = tuple((m.start, m.end) for m in found)
    for match in _NUMBER_WORD.finditer(text):
        if any(a <= match.start() < b for a, b in skip + digits_at):
            continue
        value = Decimal(NUMBER_WORDS[match.group("w").lower()])
        found.append(
            NumberMention(value, NumberKind.PLAIN, match.start(), match.end(), match.group())
        )
    found.sort(key=lambda m: m.start)
    return tuple(found)


def find_vague_amounts(text: str) -> tuple[tuple[int, int, str], ...]:
    """Spans of words such as "hundreds" or "doubled" that state an amount without a number."""
    return tuple((m.start(), m.end(), m.group()) for m in _VAGUE.finditer(text))


def find_degrees(text: str) -> tuple[DegreeMention, ...]:
    """Every degree named in ``text`` (doctorate, master's, bachelor's, associate), in order."""
    found: list[DegreeMention] = []
    taken: list[tuple[int, int]] = []
    for level, pattern in _DEGREES:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            taken.append((match.start(), match.end()))
            generic = bool(_GENERIC_DEGREE.match(match.group()))
            found.append(DegreeMention(level, generic, match.start(), match.end(), match.group()))
    found.sort(key=lambda m: m.start)
    return tuple(found)


def degree_level_of(text: str) -> DegreeLevel | None:
    """The highest specific degree ``text`` names, else its generic one, else None."""
    mentions = find_degrees(text)
    specific = [m.level for m in mentions if not m.generic]
    if specific:
        return max(specific, key=list(DegreeLevel).index)
    return mentions[0].level if mentions else None


def words(text: str) -> tuple[str, ...]:
    """The folded words of ``text``, in order."""
    return tuple(fold(text).split())
