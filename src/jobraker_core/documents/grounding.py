"""The grounding gate: every claim a generated document makes must trace to a fact.

A document (a tailored résumé, a cover letter) is cut into sentences: each line is one or more
sentences, its bullet or heading marker set aside. In each sentence the gate finds the claims:

==========  ===========================================================  ========================
claim       found by                                                     grounded when
==========  ===========================================================  ========================
skill       the skills taxonomy (``SkillExtractor``)                     the person has it
date        "Jan 2019", "2019-01", "01/2019", "2019"                     the person's texts or
                                                                         roles state that month
                                                                         (or year)
number      digits, "40%", "$1.2m", "3,500 USD", "five", "hundreds"      the person's texts state
                                                                         the same value (of the
                                                                         same kind: percent,
                                                                         money), or it is their
                                                                         years of experience
degree      "BSc", "Master's", "PhD", "degree"                           the person holds that
                                                                         level
title       a capitalised phrase ending in a job word ("Senior Data       its words are all words
            Engineer", "Head of Sales"), or a lower-case one after        of one of the person's
            "as a", "I am a", "role of"                                   role titles
name        any other capitalised word (employers, schools, places,      the person's texts use
            certifications, languages) outside a sentence's first word   the word
==========  ===========================================================  ========================

The job's own title and company are facts of the job: a title or name claim may trace to them,
except in a sentence where the person says they were or worked somewhere ("I worked", "I was",
"while at"): then it must trace to the person. Structural words (headings, "Dear Hiring Manager",
"Kind regards") are no claims.

A document with any ungrounded claim fails: ``GroundingReport.flagged`` marks each offending
sentence with the claims it could not trace. The gate is pure and deterministic; it does not
judge style or truth beyond these claims (see ``docs/documents.md`` for what it cannot catch).
"""

from __future__ import annotations

import enum
import itertools
import re
from typing import TYPE_CHECKING, Final, Protocol

import attrs

from jobraker_core.documents.text import (
    MONTH_NAMES,
    NumberKind,
    find_dates,
    find_degrees,
    find_numbers,
    find_vague_amounts,
    word_set,
    words,
)
from jobraker_core.matching.candidate import DegreeLevel

if TYPE_CHECKING:
    from jobraker_core.documents.facts import FactSheet
    from jobraker_core.matching.skills import SkillExtractor


class ClaimKind(enum.StrEnum):
    """What a claim is about."""

    SKILL = "skill"
    DATE = "date"
    NUMBER = "number"
    DEGREE = "degree"
    TITLE = "title"
    EMPLOYER = "employer"
    NAME = "name"


@attrs.frozen
class Claim:
    """A claim found in a sentence: its kind, its words, its span in the document."""

    kind: ClaimKind
    text: str
    start: int
    end: int
    grounded: bool

    def describe(self) -> str:
        """Such as ``skill "Kubernetes"``."""
        return f'{self.kind.value} "{self.text}"'


@attrs.frozen
class Sentence:
    """One sentence (or bullet, or heading) of a document and its span."""

    index: int
    start: int
    end: int
    text: str


@attrs.frozen
class FlaggedSentence:
    """A sentence with claims that trace to no fact: where it is and what it claims."""

    index: int
    text: str
    start: int
    end: int
    claims: tuple[str, ...]


@attrs.frozen
class GroundingReport:
    """The gate's verdict on one document: how much it checked and what it could not trace."""

    sentences: int
    claims: int
    flagged: tuple[FlaggedSentence, ...]

    @property
    def grounded(self) -> bool:
        """Whether every claim traces to a fact."""
        return not self.flagged

    def feedback(self) -> str:
        """The flagged sentences as an instruction to a model that wrote them."""
        lines = [
            (
                "These sentences state things that the person's facts do not support. Rewrite "
                "the whole document without them, or with only facts from the list you were given:"
            )
        ]
        lines.extend(
            f'- "{flag.text}" (unsupported: {", ".join(flag.claims)})' for flag in self.flagged
        )
        return "\n".join(lines)

    def marked(self, text: str) -> str:
        """``text`` with every flagged sentence wrapped in ``[[UNSUPPORTED: ...]]`` markers."""
        out: list[str] = []
        position = 0
        for flag in sorted(self.flagged, key=lambda f: f.start):
            out.append(text[position : flag.start])
            out.append(f"[[UNSUPPORTED: {text[flag.start : flag.end]}]]")
            position = flag.end
        out.append(text[position:])
        return "".join(out)


# ------------------------------------------------------------------------------- sentences

_MARKER: Final = re.compile(r"^\s*(?:#{1,6}\s+|[-*\u2022\u00b7\u2013]\s+|\d{1,2}[.)]\s+)?")
_BOUNDARY: Final = re.compile(r"(?<=[.!?])\s+(?=[\"\u201c(]?[A-Z0-9])")


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Cut ``text`` into sentences: per line, without bullet or heading markers."""
    found: list[Sentence] = []
    position = 0
    for line in text.split("\n"):
        line_start = position
        position += len(line) + 1
        body = _MARKER.match(line)
        first = body.end() if body else 0
        if not line[first:].strip():
            continue
        cuts = [first, *(m.end() for m in _BOUNDARY.finditer(line, first)), len(line)]
        for start, end in itertools.pairwise(cuts):
            piece = line[start:end]
            stripped = piece.strip()
            if not stripped:
                continue
            offset = line_start + start + (len(piece) - len(piece.lstrip()))
            found.append(Sentence(len(found), offset, offset + len(stripped), stripped))
    return tuple(found)


# ------------------------------------------------------------------------------- claims

_STRUCTURAL: Final = (
    word_set(
        "summary skills skill experience education languages language profile dear hiring "
        "manager team recruiting recruitment kind regards sincerely yours best thank thanks "
        "i present resume cover letter tailored curriculum vitae cv key selected relevant "
        "professional core technical work history employment contact certifications "
        "certification projects achievements highlights native fluent please sir madam "
        "monday tuesday wednesday thursday friday saturday sunday today current ongoing "
        "role roles position application"
    )
    | MONTH_NAMES
)
_ALLOWED_PHRASES: Final = re.compile(
    r"\b(?:hiring (?:manager|team)|recruit(?:ing|ment) (?:manager|team)|dear sir or madam)\b",
    re.IGNORECASE,
)
_HEADS: Final = word_set(
    "engineer developer programmer manager director analyst designer consultant architect "
    "scientist administrator specialist officer coordinator assistant intern accountant nurse "
    "teacher technician researcher executive president founder cofounder supervisor "
    "representative advisor adviser strategist writer editor tester lead head owner clerk "
    "auditor lecturer professor recruiter cto ceo cfo coo vp chef driver operator"
)
_HEAD_SET: Final = frozenset(_HEADS) | frozenset(f"{head}s" for head in _HEADS)
_TITLE_CUE: Final = re.compile(
    r"(?:\bas\s+(?:an?|the)?|\bI\s+am\s+(?:an?|the)|\b(?:role|position|post)\s+(?:of|as)\s+"
    r"(?:an?|the)?)\s*$",
    re.IGNORECASE,
)
_PAST_SELF: Final = re.compile(
    r"\b(?:I|we)\s+(?:was|were|worked|served|held|led|joined|spent|managed|ran|built|founded|"
    r"have\s+been|had\s+been|used\s+to)\b|\bmy\s+(?:previous|current|last|former|time)\b"
    r"|\bwhile\s+(?:at|with)\b",
    re.IGNORECASE,
)
_EMPLOYER_CUE: Final = re.compile(r"\b(?:at|for|with|joined|join|from)\s+$", re.IGNORECASE)
_TOKEN: Final = re.compile(r"[^\W_][\w'\u2019.&+#-]*[\w+#]|[^\W_]")
_CONNECTORS: Final = frozenset({"of", "for", "and", "&", "de", "the"})
_FILLER: Final = frozenset({"of", "for", "the", "a", "an", "and", "s"})
_MAX_TITLE_WORDS: Final = 4


@attrs.frozen
class _Token:
    text: str
    start: int
    end: int

    @property
    def capital(self) -> bool:
        return self.text[0].isupper() or any(ch.isupper() for ch in self.text[1:])

    @property
    def inner_capital(self) -> bool:
        return any(ch.isupper() for ch in self.text[1:])


def _phrase_spans(text: str, phrases: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where ``text`` reproduces one of ``phrases`` (case and spacing aside)."""
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        parts = [re.escape(part) for part in phrase.split()]
        if not parts:
            continue
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)
        spans.extend((m.start(), m.end()) for m in pattern.finditer(text))
    return spans


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a < end and start < b for a, b in spans)


class GroundingGate:
    """Checks that every claim of a document traces to a fact (see the module docstring)."""

    def __init__(self, extractor: SkillExtractor) -> None:
        """Find skills with ``extractor`` (the one résumés are parsed with)."""
        self._extractor = extractor

    def check(self, text: str, facts: FactSheet) -> GroundingReport:
        """Check every sentence of ``text`` against ``facts``."""
        flagged: list[FlaggedSentence] = []
        count = 0
        sentences = split_sentences(text)
        job_spans = tuple(_phrase_spans(text, facts.job_phrases))  # a title may span sentences
        for sentence in sentences:
            claims = self.claims(sentence, facts, job_spans=job_spans)
            count += len(claims)
            bad = tuple(claim.describe() for claim in claims if not claim.grounded)
            if bad:
                flagged.append(
                    FlaggedSentence(
                        sentence.index, sentence.text, sentence.start, sentence.end, bad
                    )
                )
        return GroundingReport(len(sentences), count, tuple(flagged))

    def claims(
        self,
        sentence: Sentence,
        facts: FactSheet,
        *,
        job_spans: tuple[tuple[int, int], ...] | None = None,
    ) -> list[Claim]:
        """Every claim of one sentence, each marked grounded or not.

        ``job_spans`` are where the document reproduces the job's title or company (document
        offsets; found in the sentence alone when None).
        """
        text = _ALLOWED_PHRASES.sub(lambda m: " " * len(m.group()), sentence.text)
        offset = sentence.start
        past_self = _PAST_SELF.search(text) is not None
        found: list[Claim] = []
        spans: list[tuple[int, int]] = []
        if job_spans is None:
            job_spans = tuple(
                (a + offset, b + offset) for a, b in _phrase_spans(text, facts.job_phrases)
            )
        if past_self:
            job_spans = ()

        def add(kind: ClaimKind, start: int, end: int, *, grounded: bool) -> None:
            of_job = any(a <= offset + start and offset + end <= b for a, b in job_spans)
            found.append(
                Claim(kind, text[start:end], offset + start, offset + end, grounded or of_job)
            )
            spans.append((start, end))

        for mention in self._extractor.extract(text):
            add(
                ClaimKind.SKILL,
                mention.start,
                mention.end,
                grounded=mention.skill.id in facts.skill_ids,
            )
        self._amounts(text, spans, facts, add=add)
        tokens = [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        self._titles(text, tokens, spans, facts, past_self=past_self, add=add)
        self._names(text, tokens, spans, facts, past_self=past_self, add=add)
        return found

    @staticmethod
    def _amounts(text: str, spans: list[tuple[int, int]], facts: FactSheet, *, add: _Add) -> None:
        """Claim the dates, numbers, vague amounts and degrees of a sentence."""
        dates = find_dates(text)
        for date in dates:
            known = (
                date.year in facts.years
                if date.month is None
                else (date.year, date.month) in facts.months
            )
            add(ClaimKind.DATE, date.start, date.end, grounded=known)
        for number in find_numbers(text, skip=tuple(spans)):
            known = (number.kind, number.value) in facts.numbers or (
                number.kind is NumberKind.PLAIN
                and any(value == number.value for _, value in facts.numbers)
            )
            add(ClaimKind.NUMBER, number.start, number.end, grounded=known)
        for start, end, word in find_vague_amounts(text):
            if not _covered(spans, start, end):
                add(ClaimKind.NUMBER, start, end, grounded=word.lower() in facts.vocabulary)
        for degree in find_degrees(text):
            if _covered(spans, degree.start, degree.end):
                continue
            known = degree.level in facts.degrees or (
                degree.generic
                and any(
                    list(DegreeLevel).index(level) >= list(DegreeLevel).index(degree.level)
                    for level in facts.degrees
                )
            )
            add(ClaimKind.DEGREE, degree.start, degree.end, grounded=known)

    @staticmethod
    def _titles(  # noqa: C901 - one scan: extend left, extend right, judge
        text: str,
        tokens: list[_Token],
        spans: list[tuple[int, int]],
        facts: FactSheet,
        *,
        past_self: bool,
        add: _Add,
    ) -> None:
        for index, token in enumerate(tokens):
            if token.text.lower() not in _HEAD_SET or _covered(spans, token.start, token.end):
                continue
            first = index
            if token.capital:
                while (
                    first > 0
                    and index - first < _MAX_TITLE_WORDS
                    and tokens[first - 1].capital
                    and tokens[first - 1].text.lower() not in _STRUCTURAL
                    and not _covered(spans, tokens[first - 1].start, tokens[first - 1].end)
                ):
                    first -= 1
            else:
                cued = _TITLE_CUE.search(text[: token.start]) is not None
                while not cued and first > 0 and index - first < _MAX_TITLE_WORDS:
                    before = tokens[first - 1]
                    if before.capital or before.text.lower() in _FILLER:
                        break
                    first -= 1
                    cued = _TITLE_CUE.search(text[: tokens[first].start]) is not None
                if not cued:
                    continue
            last = index
            if (
                token.capital
                and index + 2 < len(tokens)
                and tokens[index + 1].text.lower() in {"of", "for"}
                and tokens[index + 2].capital
            ):
                last = index + 2
                while last + 1 < len(tokens) and tokens[last + 1].capital:
                    last += 1
            if first == index == 0 and last == index and token.capital:
                nxt = tokens[1] if len(tokens) > 1 else None
                if nxt is None or not nxt.capital:
                    continue  # "Lead the migration": a verb that starts the sentence
            start, end = tokens[first].start, tokens[last].end
            claim_words = {w for w in words(text[start:end]) if w not in _FILLER}
            person = any(claim_words <= title for title in facts.titles) or facts.says(
                text[start:end]
            )
            job = bool(facts.job_title) and claim_words <= facts.job_title and not past_self
            add(ClaimKind.TITLE, start, end, grounded=person or job)

    @staticmethod
    def _names(  # noqa: C901 - one scan over the capitalised words
        text: str,
        tokens: list[_Token],
        spans: list[tuple[int, int]],
        facts: FactSheet,
        *,
        past_self: bool,
        add: _Add,
    ) -> None:
        job_words = facts.job_title | facts.job_company
        pending: list[_Token] = []

        def known(token: _Token) -> bool:
            folded = [w for w in words(token.text) if w not in _FILLER]
            if all(w in facts.vocabulary or w in _STRUCTURAL for w in folded):
                return True
            return not past_self and all(w in job_words or w in _STRUCTURAL for w in folded)

        def flush() -> None:
            if not pending:
                return
            start, end = pending[0].start, pending[-1].end
            cue = _EMPLOYER_CUE.search(text[:start])
            add(ClaimKind.EMPLOYER if cue else ClaimKind.NAME, start, end, grounded=False)
            pending.clear()

        for index, token in enumerate(tokens):
            if _covered(spans, token.start, token.end):
                flush()
                continue
            if not token.capital:
                if not (pending and token.text.lower() in _CONNECTORS):
                    flush()
                continue
            if index == 0 and not token.inner_capital and not token.text.isupper():
                nxt = tokens[1] if len(tokens) > 1 else None
                if nxt is None or not nxt.capital or _covered(spans, nxt.start, nxt.end):
                    continue  # an ordinary first word of a sentence
            if known(token):
                flush()
                continue
            pending.append(token)
        flush()


class _Add(Protocol):
    """The signature of the claim collector the scanners call."""

    def __call__(self, kind: ClaimKind, start: int, end: int, *, grounded: bool) -> None:
        """Record a claim of ``kind`` over ``text[start:end]``."""
        ...
