"""Résumé versions and the parser that turns a résumé's text into a ``CandidateProfile``.

The parser is pure and deterministic. It reads only what the text says: a section it cannot find
stays empty, a date it cannot read leaves the role undated, and a text from which nothing at all
can be read is refused (``InvalidInput``) rather than turned into an empty profile.
"""

from __future__ import annotations

import bisect
import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.text import fold
from jobraker_core.matching.candidate import (
    CandidateProfile,
    CandidateSkill,
    DegreeLevel,
    Education,
    Evidence,
    Language,
    Period,
    Role,
    YearMonth,
)
from jobraker_core.matching.phrases import (
    Line,
    Section,
    SectionKind,
    list_items,
    sections,
    terms,
)
from jobraker_core.matching.skills import HUMAN_LANGUAGES, is_language, seniority_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobraker_core.matching.skills import SkillExtractor, SkillMention, TitleNormaliser

MAX_RESUME_BYTES: Final = 5 * 1024 * 1024
MAX_RESUME_CHARS: Final = 200_000


class ResumeFormat:
    """Media types of the résumé files Jobraker reads."""

    TEXT: Final = "text/plain"
    PDF: Final = "application/pdf"
    DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@attrs.frozen
class ResumeText:
    """What a document extractor read from an uploaded file: its text and its real format."""

    text: str
    media_type: str
    pages: int | None = None


@attrs.frozen
class Resume:
    """One uploaded résumé version: the file's facts and the text read from it.

    ``version`` counts the person's uploads from 1; ``sha256`` is the hash of the file's bytes.
    """

    id: uuid.UUID
    user_id: uuid.UUID
    version: int
    filename: str | None
    media_type: str
    size: int
    sha256: str
    text: str
    uploaded_at: datetime


# ----------------------------------------------------------------------------- dates

MONTHS: Final = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
MONTH_WORD: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE: Final = (
    rf"(?:{MONTH_WORD}\.?,?\s+(?:19|20)\d{{2}}"
    r"|(?:0?[1-9]|1[0-2])[/.](?:19|20)\d{2}"
    r"|(?:19|20)\d{2}[-/.](?:0[1-9]|1[0-2])(?!\d)"
    r"|(?:19|20)\d{2})"
)
_PRESENT: Final = r"(?:present|current(?:ly)?|now|today|ongoing|date|till date|to date)"
_SEPARATOR: Final = r"(?:-{1,2}|\u2013|\u2014|to|until|till|through|thru)"
_RANGE: Final = re.compile(
    rf"(?:between\s+(?P<a1>{_DATE})\s+and\s+(?P<b1>{_DATE}))"
    rf"|(?:(?:from\s+)?(?P<a2>{_DATE})\s*{_SEPARATOR}\s*(?P<b2>{_DATE}|{_PRESENT})\b)"
    rf"|(?:since\s+(?P<a3>{_DATE}))",
    re.IGNORECASE,
)


def _month_of(text: str, *, end: bool) -> YearMonth:
    cleaned = text.strip().lower().rstrip(".,")
    word = re.match(r"([a-z]+)\.?,?\s+(\d{4})", cleaned)
    if word:
        return YearMonth(int(word.group(2)), MONTHS[word.group(1)[:3]])
    numeric = re.match(r"(\d{1,2})[/.](\d{4})$", cleaned)
    if numeric:
        return YearMonth(int(numeric.group(2)), int(numeric.group(1)))
    iso = re.match(r"(\d{4})[-/.](\d{2})$", cleaned)
    if iso:
        return YearMonth(int(iso.group(1)), int(iso.group(2)))
    # A bare year: "2017 - 2020" is read as January 2017 to January 2020, about three years,
    # as people who write years mean it (not four, as December 2020 would make it).
    del end
    return YearMonth(int(cleaned[:4]), 1)


@attrs.frozen
class DateRange:
    """A date range found in a text, where it was, and the period it means."""

    start: int
    end: int
    period: Period


def find_date_ranges(text: str) -> tuple[DateRange, ...]:
    """Return every date range in ``text`` ("Jan 2019 - Present", "2017-2020", ...), in order.

    Ranges whose end is before their start are skipped, not guessed at.
    """
    found: list[DateRange] = []
    for match in _RANGE.finditer(text):
        first = match.group("a1") or match.group("a2") or match.group("a3")
        last = match.group("b1") or match.group("b2")
        try:
            start = _month_of(first, end=False)
            finish = None
            if last is not None and not re.fullmatch(_PRESENT, last.strip(), re.IGNORECASE):
                finish = _month_of(last, end=True)
            found.append(DateRange(match.start(), match.end(), Period(start, finish)))
        except InvalidInput:
            continue
    return tuple(found)


# ----------------------------------------------------------------------------- roles

_NARRATIVE: Final = re.compile(
    r"^(?:(?:have\s+)?(?:worked|working|served|serving|employed|previously employed|"
    r"currently employed|gained experience|experience|spent \w+ years?|held the position|"
    r"acted|performed|catered|managed (?:roles|duties)|handled responsibilities)"
    r"(?:\s+(?:professionally|previously|full[- ]time|part[- ]time))?\s+(?:as|in)\s+"
    r"(?:an?\s+|the\s+)?"
    r"|(?:[\w'/&-]+\s+){0,10}?as\s+(?:an?|the)\s+"
    r"|(?:position|role|title)\s*:\s*)",
    re.IGNORECASE,
)
_TRAILING_CLAUSE: Final = re.compile(r"(?<=\w\w)\s+[a-z]+ing\s+[a-z].*$")
_FILLER_AROUND_DATES: Final = re.compile(
    r"\b(?:for the period|during|in the period|over the period|for|from|between|since)\s*$",
    re.IGNORECASE,
)
_SPLIT_COMPANY: Final = re.compile(r"\s+(?:at|@)\s+|\s*[|,\u2014]\s*|\s+\u2013\s+")
_MAX_TITLE_WORDS: Final = 16


def _clean_title(text: str) -> tuple[str, bool]:
    """Strip a role line down to its title; say whether it was written as prose."""
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", text)
    text = re.sub(r"^[\s\"'*_:,;|\u2013\u2014-]+|[\s\"'*_:,;|(\u2013\u2014-]+$", "", text)
    text = _FILLER_AROUND_DATES.sub("", text).strip(" ,;:|-\u2013\u2014\"'")
    narrative = _NARRATIVE.match(text)
    if narrative:
        text = text[narrative.end() :]
        text = re.split(r"[,.;]\s|[,.;]$", text, maxsplit=1)[0]
        text = _FILLER_AROUND_DATES.sub("", text)
    if len(text.split()) > 2:  # noqa: PLR2004 - "Law Teacher leading classes": drop the clause
        text = _TRAILING_CLAUSE.sub("", text)
    return text.strip(" ,.;:|-\u2013\u2014\"'*"), narrative is not None


def _split_company(text: str) -> tuple[str, str | None]:
    parts = [p.strip() for p in _SPLIT_COMPANY.split(text, maxsplit=1)]
    if len(parts) == 2 and parts[0] and parts[1]:  # noqa: PLR2004 - title and company
        return parts[0], parts[1]
    return text, None


@attrs.frozen
class _RoleDraft:
    title: str
    company: str | None
    period: Period
    first_line: int  # index into the section's lines
    title_line: Line


def _has_letters(text: str) -> bool:
    return sum(ch.isalpha() for ch in text) >= 2  # noqa: PLR2004


def _drafts(lines: Sequence[Line], titles: TitleNormaliser) -> list[_RoleDraft]:
    drafts: list[_RoleDraft] = []
    consumed: set[int] = set()
    for index, line in enumerate(lines):
        ranges = find_date_ranges(line.text)
        if not ranges:
            continue
        first = ranges[0]
        # The title is written before the dates ("AWS Consultant (2016 - 2017): Worked with ...")
        # or, when nothing is, after them ("2015 - 2016: Worked as a Helper").
        before = line.text[: first.start]
        rest = (before if _has_letters(before) else line.text[first.end :]).strip()
        cleaned, narrative = _clean_title(rest)
        previous = lines[index - 1] if index > 0 and index - 1 not in consumed else None
        usable_previous = (
            previous is not None
            and not previous.bulleted
            and not find_date_ranges(previous.text)
            and 0 < len(previous.text.split()) <= _MAX_TITLE_WORDS
            and not re.search(r"[.!?]$", previous.text.strip())
        )
        company: str | None = None
        title_line = line
        first_line = index
        if (
            not narrative
            and usable_previous
            and previous is not None
            and (
                not _has_letters(cleaned)
                or (
                    titles.normalise(cleaned) is None
                    and titles.normalise(previous.text) is not None
                )
            )
        ):
            title = _clean_title(previous.text)[0]
            company = _split_company(cleaned)[0] if _has_letters(cleaned) else None
            title_line, first_line = previous, index - 1
        elif not _has_letters(cleaned):
            continue
        elif narrative:
            title = cleaned
        else:
            title, company = _split_company(cleaned)
        if not _has_letters(title) or len(title.split()) > _MAX_TITLE_WORDS:
            continue
        consumed.update({index, first_line})
        drafts.append(_RoleDraft(title, company, first.period, first_line, title_line))
    return drafts


# ----------------------------------------------------------------------------- education etc.

_I = re.IGNORECASE
_DEGREES: Final[tuple[tuple[DegreeLevel, re.Pattern[str]], ...]] = (
    (DegreeLevel.DOCTORATE, re.compile(r"\b(?:ph\.?\s?d|doctor(?:ate)?|d\.?phil|dr\.)\b", _I)),
    (
        DegreeLevel.MASTER,
        re.compile(
            r"\b(?:master'?s?|m\.?sc|m\.?s\.|m\.?a\.|mba|m\.?eng|m\.?phil|llm|postgraduate)\b",
            _I,
        ),
    ),
    (
        DegreeLevel.BACHELOR,
        re.compile(
            r"\b(?:bachelor'?s?|b\.?sc|b\.?s\.|b\.?a\.|b\.?eng|b\.?tech|undergraduate|"
            r"(?:college|university) degree|degree)\b",
            _I,
        ),
    ),
    (DegreeLevel.ASSOCIATE, re.compile(r"\b(?:associate'?s?(?: degree)?|a\.?a\.?s?)\b", _I)),
    (
        DegreeLevel.CERTIFICATE,
        re.compile(
            r"\b(?:certificat(?:e|ion)|certified|diploma in|apprenticeship|vocational|course)\b", _I
        ),
    ),
    (
        DegreeLevel.SCHOOL,
        re.compile(r"\b(?:high school|secondary school|ged|a[- ]levels?|gcse|diploma)\b", _I),
    ),
)
_FIELD: Final = re.compile(
    r"(?:degree|diploma|certificate|certification|bachelor'?s?|master'?s?|doctorate|b\.?sc|m\.?sc"
    r"|ph\.?d|b\.?eng|m\.?eng|b\.?a|m\.?a|b\.?s|m\.?s|mba)\.?(?:\s+degree)?\s*"
    r"(?:in|of|,)?\s+(?P<field>[A-Z][\w&/' -]{2,80}?)(?=\s*(?:[,;(]|$| from | at | - ))",
    re.IGNORECASE,
)
_YEAR: Final = re.compile(r"\b(?:19|20)\d{2}\b")

_LANGUAGES: Final = sorted(HUMAN_LANGUAGES)
_LANGUAGE_NAMES: Final = {name: name.capitalize() for name in _LANGUAGES}
_LEVEL: Final = re.compile(
    r"\b(?P<level>native|mother tongue|bilingual|fluent|fluency|proficient|professional|"
    r"business|advanced|upper[- ]intermediate|intermediate|conversational|working|basic|"
    r"elementary|beginner|limited|[abc][12])\b",
    re.IGNORECASE,
)
_LANGUAGE_CUE: Final = re.compile(
    r"\b(?:native|fluent|bilingual|mother tongue|speak|speaks|spoken|language)\b", re.IGNORECASE
)
_LOCATION_LABEL: Final = re.compile(
    r"^\W*(?:location|address|based in|city|lives in|residence)\s*[:\-]\s*(?P<place>.{2,120})$",
    re.IGNORECASE,
)


def _level(text: str) -> DegreeLevel | None:
    for level, pattern in _DEGREES:
        if pattern.search(text):
            return level
    return None


def _education(section: Section) -> list[Education]:
    found: list[Education] = []
    certificates = section.kind is SectionKind.CERTIFICATIONS
    for line in section.lines:
        text = line.text.strip(" *_")
        if not _has_letters(text) or len(text) > 300:  # noqa: PLR2004 - one entry, not prose
            continue
        level = DegreeLevel.CERTIFICATE if certificates and _level(text) is None else _level(text)
        field_match = _FIELD.search(text)
        years = _YEAR.findall(text)
        found.append(
            Education(
                text=text,
                level=level,
                field_of_study=field_match.group("field").strip() if field_match else None,
                year=int(years[-1]) if years else None,
                evidence=Evidence(line.text, start=line.start, end=line.end, context=line.text),
            )
        )
    return found


def _languages(parsed: Sequence[Section]) -> list[Language]:
    found: dict[str, Language] = {}
    for section in parsed:
        in_section = section.kind is SectionKind.LANGUAGES
        if section.kind is SectionKind.PERSONAL:
            continue
        for line in section.lines:
            if not in_section and not _LANGUAGE_CUE.search(line.text):
                continue
            for match in re.finditer(r"[A-Za-z]+", line.text):
                word = match.group().lower()
                name = _LANGUAGE_NAMES.get(word)
                if name is None or not match.group()[0].isupper() or name in found:
                    continue
                tail = line.text[match.end() : match.end() + 30]
                head = line.text[max(0, match.start() - 25) : match.start()]
                level = _LEVEL.search(tail) or _LEVEL.search(head)
                found[name] = Language(
                    name=name,
                    level=level.group("level").lower() if level else None,
                    evidence=Evidence(
                        match.group(),
                        start=line.start + match.start(),
                        end=line.start + match.end(),
                        context=line.text,
                    ),
                )
    return list(found.values())


def _locations(parsed: Sequence[Section]) -> list[str]:
    places: list[str] = []
    for section in parsed:
        if section.kind not in {SectionKind.PERSONAL, SectionKind.PREAMBLE}:
            continue
        for line in section.lines:
            match = _LOCATION_LABEL.match(line.text.replace("*", ""))
            if match:
                place = match.group("place").strip(" .")
                if place and place not in places:
                    places.append(place)
    return places


# ----------------------------------------------------------------------------- the parser

_FREE_SKILL_MAX: Final = 120
_FREE_FILLER: Final = re.compile(
    r"^(?:(?:highly\s+)?(?:competent|proficient|skilled|experienced|versed|well[- ]versed|"
    r"capable|adept|expert|expertise|knowledgeable|strong|excellent|exceptional|sound|solid|"
    r"good|great|keen|efficient|effective|basic|advanced)\s*(?:at|in|with|of|on)?\s+)+",
    re.IGNORECASE,
)


def _free_skill_name(text: str) -> str | None:
    head, colon, _ = text.partition(":")
    name = head if colon and 0 < len(head.split()) <= 6 else text  # noqa: PLR2004
    name = _FREE_FILLER.sub("", name.strip(" .;*_")).strip(" .;")
    if not _has_letters(name) or len(name) > _FREE_SKILL_MAX or is_language(name):
        return None  # a language is one of the profile's languages, not a skill
    return name[0].upper() + name[1:]


class ResumeParser:
    """Reads a résumé's plain text into a ``CandidateProfile`` (see the module docstring).

    Skills come from the taxonomy (``SkillExtractor``), each with the span that named it; the
    items of a skills section that name no taxonomy skill are kept as the person wrote them.
    Roles come from date ranges ("Jan 2019 - Present", "2017-2020", "between 2013 and 2016")
    with the title on the same line or the line above; their titles are normalised to O*NET
    occupations. A skill's years are those of the dated roles whose text names it.
    """

    def __init__(self, extractor: SkillExtractor, titles: TitleNormaliser) -> None:
        self._extractor = extractor
        self._titles = titles

    def parse(
        self, text: str, *, user_id: uuid.UUID, resume_id: uuid.UUID | None, now: datetime
    ) -> CandidateProfile:
        """Parse ``text``; ``InvalidInput`` when nothing a profile needs can be read from it."""
        if not text.strip():
            raise InvalidInput("the résumé has no text", field="file")
        parsed = sections(text)
        roles, spans = self._roles(parsed)
        skills = self._skills(text, parsed, roles, spans)
        education = [
            entry
            for section in parsed
            if section.kind in {SectionKind.EDUCATION, SectionKind.CERTIFICATIONS}
            for entry in _education(section)
        ]
        languages = _languages(parsed)
        summary = next(
            (s.text[:1000] for s in parsed if s.kind is SectionKind.SUMMARY and s.lines), None
        )
        profile = CandidateProfile(
            user_id=user_id,
            resume_id=resume_id,
            skills=tuple(skills),
            roles=tuple(roles),
            education=tuple(education[:40]),
            languages=tuple(languages[:40]),
            locations=tuple(_locations(parsed)[:40]),
            summary=summary,
            edited=False,
            updated_at=now,
        )
        if profile.is_empty:
            raise InvalidInput(
                "no skills, roles, education or languages could be read from this résumé; "
                "check that it is a résumé and that its text is selectable",
                field="file",
            )
        return profile

    def _roles(self, parsed: Sequence[Section]) -> tuple[list[Role], list[tuple[int, int]]]:
        """The dated roles, and the span of text (title to last description line) of each."""
        experience = [s for s in parsed if s.kind is SectionKind.EXPERIENCE]
        if not experience:
            excluded = {SectionKind.EDUCATION, SectionKind.CERTIFICATIONS, SectionKind.PERSONAL}
            experience = [s for s in parsed if s.kind not in excluded]
        roles: list[Role] = []
        spans: list[tuple[int, int]] = []
        for section in experience:
            lines = section.lines
            drafts = _drafts(lines, self._titles)
            for number, draft in enumerate(drafts):
                stop = drafts[number + 1].first_line if number + 1 < len(drafts) else len(lines)
                body = [
                    line
                    for line in lines[draft.first_line : stop]
                    if line is not draft.title_line and not find_date_ranges(line.text)
                ]
                occupation = self._titles.normalise(draft.title)
                title_line = draft.title_line
                roles.append(
                    Role(
                        title=draft.title[:300],
                        company=draft.company[:300] if draft.company else None,
                        period=draft.period,
                        description="\n".join(line.text for line in body)[:4000],
                        occupation_code=occupation.code if occupation else None,
                        occupation=occupation.title if occupation else None,
                        seniority=seniority_of(draft.title),
                        evidence=Evidence(
                            title_line.text,
                            start=title_line.start,
                            end=title_line.end,
                            context=title_line.text,
                        ),
                    )
                )
                last = lines[stop - 1].end if stop > draft.first_line else title_line.end
                spans.append((lines[draft.first_line].start, last))
        return roles[:60], spans[:60]

    def _skills(  # noqa: C901 - mentions, their roles' years, then free items of skills sections
        self,
        text: str,
        parsed: Sequence[Section],
        roles: Sequence[Role],
        spans: Sequence[tuple[int, int]],
    ) -> list[CandidateSkill]:
        personal = [
            (s.lines[0].start, s.lines[-1].end)
            for s in parsed
            if s.kind is SectionKind.PERSONAL and s.lines
        ]
        lines = [line for section in parsed for line in section.lines]
        line_starts = [line.start for line in lines]

        def context(mention: SkillMention) -> str:
            index = bisect.bisect_right(line_starts, mention.start) - 1
            return lines[index].text if index >= 0 else mention.text

        found: dict[str, CandidateSkill] = {}
        strength: dict[str, int] = {}
        periods: dict[str, list[Period]] = {}
        covered: dict[int, set[str]] = {}  # line index -> the words its mentions cover
        listed = [
            (s.lines[0].start, s.lines[-1].end)
            for s in parsed
            if s.kind is SectionKind.SKILLS and s.lines
        ]
        titled = [
            (role.evidence.start, role.evidence.end, fold(role.title))
            for role in roles
            if role.evidence is not None and role.evidence.start is not None
        ]

        def rank(mention: SkillMention) -> int:
            """0 listed as a skill, 1 said elsewhere (a role's description), 2 only a title."""
            if any(a <= mention.start < b for a, b in listed):
                return 0
            for start, end, title in titled:
                if (
                    start is not None
                    and end is not None
                    and start <= mention.start < end
                    and fold(mention.text) in title
                ):
                    return 2
            return 1

        for mention in self._extractor.extract(text):
            if any(a <= mention.start < b for a, b in personal) or _negated(text, mention.start):
                continue
            skill = mention.skill
            for role, (start, end) in zip(roles, spans, strict=True):
                if start <= mention.start < end and role.period is not None:
                    known = periods.setdefault(skill.id, [])
                    if role.period not in known:
                        known.append(role.period)
            covered.setdefault(_line_index(line_starts, mention.start), set()).update(
                terms(mention.text) | terms(skill.name)
            )
            strong = rank(mention)
            if strong < strength.get(skill.id, 3):  # the strongest mention is the evidence
                strength[skill.id] = strong
                found[skill.id] = CandidateSkill(
                    name=skill.name,
                    skill_id=skill.id,
                    evidence=Evidence(
                        mention.text,
                        start=mention.start,
                        end=mention.end,
                        context=context(mention),
                    ),
                )
        skills = [
            attrs.evolve(s, periods=tuple(periods.get(s.skill_id or "", ())))
            for s in found.values()
        ]
        for section in parsed:
            if section.kind is not SectionKind.SKILLS:
                continue
            for line in section.lines:
                named = covered.get(_line_index(line_starts, line.start))
                for start, end in list_items(line.text):
                    if named is not None and not _mostly_new(line.text[start:end], named):
                        continue
                    name = _free_skill_name(line.text[start:end])
                    if name is None:
                        continue
                    skills.append(
                        CandidateSkill(
                            name=name,
                            evidence=Evidence(
                                line.text[start:end],
                                start=line.start + start,
                                end=line.start + end,
                                context=line.text,
                            ),
                        )
                    )
        return skills[:300]


_NEGATION: Final = re.compile(
    r"\b(?:without|minus|lacking|excluding|except(?: for)?|no experience (?:in|with)|"
    r"not (?:including|using))\b[^,;.:()\n]{0,60}$",
    re.IGNORECASE,
)


def _negated(text: str, offset: int) -> bool:
    """Whether the words before ``offset`` deny the skill ("a UI lead without Angular and Ajax").

    The denial reaches back at most 60 characters within the same clause.
    """
    line_start = text.rfind("\n", 0, offset) + 1
    return _NEGATION.search(text[max(line_start, offset - 80) : offset]) is not None


def _mostly_new(text: str, covered: set[str]) -> bool:
    """Whether ``text`` says more than the skills found in its line.

    That is two new words or more, and at least half of its words ("Duties and
    responsibilities of Oracle DBA" next to Oracle).
    """
    words = terms(text)
    new = words - covered
    return len(new) >= 2 and 2 * len(new) >= len(words)  # noqa: PLR2004


def _line_index(starts: Sequence[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def same_text(a: str, b: str) -> bool:
    """Whether two names are the same once folded."""
    return fold(a) == fold(b)
