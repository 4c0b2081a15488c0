"""What a job posting asks for, read once per posting: skills, experience, title, seniority.

``JobAnalyser.analyse`` is pure and deterministic. It keeps a bounded memo of its results keyed
by the posting's id and content, because the same postings are scored for many people.

- **Skills**: the taxonomy skills the text names (``SkillExtractor``), each with its evidence span
  and whether the text requires it; plus *requirement phrases*: the items of a requirements
  section that name no taxonomy skill ("Physical strength and stamina"), kept as the words the
  posting used, so that a requirement the taxonomy does not know is still checked and shown.
- **Experience**: "at least 4 years as a Systems Administrator", "3+ years of experience":
  the years and, when stated, the role they must have been spent in.
- **Title**: the O*NET occupation the title normalises to, and its seniority.
"""

from __future__ import annotations

import bisect
import re
import threading
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.jobs.model import company_words
from jobraker_core.jobs.text import fold
from jobraker_core.matching.candidate import Evidence, EvidenceSource
from jobraker_core.matching.phrases import Line, SectionKind, list_items, sections, terms
from jobraker_core.matching.skills import Seniority, seniority_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.skills import SkillExtractor, SkillMention, TitleNormaliser

MAX_PHRASE_TERMS: Final = 6
"""A requirement item with more content words than this is prose, not a skill name."""
MEMO_SIZE: Final = 4096


@attrs.frozen
class JobSkill:
    """A skill a posting asks for.

    ``skill_id`` is the canonical taxonomy id, or None for a requirement phrase the taxonomy
    does not know; ``terms`` are the phrase's content words (for the word-overlap test);
    ``required`` is True (required), False (nice to have) or None (the posting does not say).
    """

    name: str
    skill_id: str | None
    required: bool | None
    evidence: Evidence
    terms: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        """The canonical id, else the folded name."""
        return self.skill_id or f"text:{fold(self.name)}"


@attrs.frozen
class ExperienceRequirement:
    """Years of experience a posting asks for, and the role they must be in (None: any)."""

    years: float
    role: str | None
    evidence: Evidence
    occupation_code: str | None = None


@attrs.frozen
class JobAnalysis:
    """What one posting asks for (see the module docstring)."""

    job_id: uuid.UUID
    skills: tuple[JobSkill, ...]
    experience: tuple[ExperienceRequirement, ...]
    occupation_code: str | None
    occupation: str | None
    seniority: Seniority | None
    family: str
    """Postings of one ``family`` are near-duplicates: same canonical title and company."""


_ITEM_FILLER: Final = re.compile(
    r"^(?:(?:must\s+(?:have|be)|should\s+have|you\s+have|familiar\s+with|possesses?\s+"
    r"skills\s+in|comfortable\s+with|conversant\s+with|versed\s+in|(?:a\s+)?(?:proven|demonstrated|good|"
    r"great|strong|excellent|exceptional|effective|solid|sound|keen|substantial|deep|high|"
    r"highly|advanced|working|in[- ]depth|thorough|outstanding)|(?:ability|able|capacity|"
    r"capability|willingness|readiness)\s+to|(?:knowledge|understanding|command|mastery|"
    r"familiarity|experience|expertise|proficiency|competence|skills?)\s+(?:of|in|with|on|at)|"
    r"proficient\s+(?:in|with|at)|experienced\s+(?:in|with)|skilled\s+(?:in|at)|"
    r"mastered|meticulous|basic)\s+)+",
    re.IGNORECASE,
)
_ITEM_CUT: Final = re.compile(
    r"\s*(?::|\s[-\u2013\u2014]\s|\(|;|,\s|\.\s|\.$)"
    r"|\s+(?:to|for|which|that|while|when|so as|in order|including|such as|e\.g\.)\s",
    re.IGNORECASE,
)
_NUMBER_WORDS: Final = {
    "one": 1,
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
    "fifteen": 15,
    "twenty": 20,
}
_YEARS: Final = re.compile(
    r"(?:at least|minimum(?: of)?|min\.?|over|more than)?\s*(?P<years>\d{1,2}(?:\.\d)?|"
    + "|".join(_NUMBER_WORDS)
    + r")"
    r"\s*\+?\s*(?:-\s*\d{1,2}\s*)?(?:years?|yrs?)\b(?P<rest>[^.;\n]{0,120})",
    re.IGNORECASE,
)
_ROLE_AFTER_YEARS: Final = re.compile(
    r"^[^,.;:()]{0,50}?\b(?:as|in)\s+(?:an?\s+|the\s+)?(?P<role>[^,.;:()]{3,100})",
    re.IGNORECASE,
)
_ROLE_BEFORE_YEARS: Final = re.compile(
    r"\b(?:as|in)\s+(?:an?\s+)?(?P<role>[^,.;:()]{3,80}?)\s+(?:role\s+)?(?:for|of)\s*$",
    re.IGNORECASE,
)
_ROLE_TAIL: Final = re.compile(
    r"\s+(?:role|position|capacity|field|environment)\b.*$|\s+is\s+(?:necessary|required|"
    r"essential|a must|preferred)\b.*$|\s+(?:or|and)\s+(?:similar|related|equivalent)\b.*$"
    r"|\s+(?:at|with|within)\s+(?:an?|the)\s+.*$"
    r"|(?:\s+(?:in|at|with|for|within))?(?:\s+(?:an?|the))?\s*$",
    re.IGNORECASE,
)
_NOT_A_ROLE: Final = frozenset(
    {
        "experience",
        "the industry",
        "industry",
        "a similar role",
        "similar role",
        "this field",
        "the field",
        "a related field",
        "related field",
        "total",
        "the role",
    }
)


def _phrase(item: Line) -> tuple[str, int, int] | None:
    """The skill a requirement item names, and its offsets within the item's text."""
    text = item.text.replace("**", "").replace("__", "")
    if text.rstrip().endswith(":"):
        return None  # "Candidates must have:" introduces the items; it is not one
    text = re.sub(r"^(?:and|or|&)\s+", lambda m: " " * len(m.group()), text, flags=re.IGNORECASE)
    filler = _ITEM_FILLER.match(text)
    start = filler.end() if filler else 0
    cut = _ITEM_CUT.search(text, start)
    end = cut.start() if cut else len(text)
    phrase = text[start:end].strip(" .*_\"'")
    if not phrase:
        return None
    offset = text.find(phrase, start)
    content = terms(phrase)
    if not content or len(content) > MAX_PHRASE_TERMS:
        return None
    return phrase, offset, offset + len(phrase)


def _requirement_phrase(
    item: Line, required: bool | None, context: str, mentions: Sequence[SkillMention]
) -> JobSkill | None:
    """The requirement an item names, unless taxonomy skills already cover most of it."""
    found = _phrase(item)
    if found is None:
        return None
    phrase, start, end = found
    wanted = terms(phrase)
    inside = [m for m in mentions if item.start + start <= m.start < item.start + end]
    if inside:
        covered = frozenset().union(*(terms(m.text) | terms(m.skill.name) for m in inside))
        leftover = wanted - covered
        if len(leftover) < 2 or 2 * len(leftover) < len(wanted):  # noqa: PLR2004
            return None
    return JobSkill(
        name=phrase[0].upper() + phrase[1:],
        skill_id=None,
        required=required,
        evidence=Evidence(
            phrase,
            source=EvidenceSource.JOB,
            start=item.start + start,
            end=item.start + end,
            context=context,
        ),
        terms=wanted,
    )


class JobAnalyser:
    """Reads ``JobAnalysis`` from postings (see the module docstring)."""

    def __init__(self, extractor: SkillExtractor, titles: TitleNormaliser) -> None:
        self._extractor = extractor
        self._titles = titles
        self._memo: OrderedDict[tuple[uuid.UUID, int], JobAnalysis] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def extractor(self) -> SkillExtractor:
        """The skill extractor the analyser uses (the résumé parser uses the same one)."""
        return self._extractor

    @property
    def titles(self) -> TitleNormaliser:
        """The title normaliser the analyser uses."""
        return self._titles

    def analyse(self, job: JobPosting) -> JobAnalysis:
        """Return what ``job`` asks for (memoised by id and content)."""
        key = (job.id, hash((job.title, job.company, job.description)))
        with self._lock:
            known = self._memo.get(key)
            if known is not None:
                self._memo.move_to_end(key)
                return known
        analysis = self._analyse(job)
        with self._lock:
            self._memo[key] = analysis
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return analysis

    def _analyse(self, job: JobPosting) -> JobAnalysis:
        text = job.description
        parsed = sections(text)
        skills: dict[str, JobSkill] = {}
        requirement_lines: list[tuple[Line, bool | None]] = []
        for section in parsed:
            if section.kind is SectionKind.REQUIREMENTS:
                requirement_lines.extend((line, True) for line in section.lines)
            elif section.kind is SectionKind.NICE_TO_HAVE:
                requirement_lines.extend((line, False) for line in section.lines)
        line_of = {line.start: line for section in parsed for line in section.lines}
        starts = sorted(line_of)
        mentions = self._extractor.extract(text)
        for mention in self._extractor.distinct(text):
            line = _containing(line_of, starts, mention.start)
            skills.setdefault(
                mention.skill.id,
                JobSkill(
                    name=mention.skill.name,
                    skill_id=mention.skill.id,
                    required=mention.required,
                    evidence=Evidence(
                        mention.text,
                        source=EvidenceSource.JOB,
                        start=mention.start,
                        end=mention.end,
                        context=line.text if line is not None else None,
                    ),
                    terms=terms(mention.text),
                ),
            )
        for line, required in requirement_lines:
            if _YEARS.search(line.text):
                continue
            for first, last in list_items(line.text):
                item = Line(
                    line.text[first:last], line.start + first, line.start + last, line.bulleted
                )
                entry = _requirement_phrase(item, required, line.text, mentions)
                if entry is not None:
                    skills.setdefault(entry.key, entry)
        occupation = self._titles.normalise(job.title)
        family_title = occupation.code if occupation else fold(job.title)
        seniority = seniority_of(job.title)
        return JobAnalysis(
            job_id=job.id,
            skills=tuple(skills.values()),
            experience=tuple(
                attrs.evolve(e, occupation_code=self._occupation_of(e.role))
                for e in _experience(text)
            ),
            occupation_code=occupation.code if occupation else None,
            occupation=occupation.title if occupation else None,
            seniority=seniority,
            family=f"{family_title}|{seniority or ''}|{company_words(job.company)}",
        )

    def _occupation_of(self, role: str | None) -> str | None:
        if role is None:
            return None
        found = self._titles.normalise(role)
        return found.code if found else None


def _containing(line_of: dict[int, Line], starts: list[int], offset: int) -> Line | None:
    index = bisect.bisect_right(starts, offset) - 1
    if index < 0:
        return None
    line = line_of[starts[index]]
    return line if offset < line.end else None


def _experience(text: str) -> tuple[ExperienceRequirement, ...]:
    found: list[ExperienceRequirement] = []
    for match in _YEARS.finditer(text):
        number = match.group("years").lower()
        years = float(_NUMBER_WORDS.get(number, 0) or number)
        if not 0 < years <= 40:  # noqa: PLR2004 - not a plausible requirement
            continue
        rest = match.group("rest")
        after = _ROLE_AFTER_YEARS.match(rest)
        role: str | None = after.group("role") if after else None
        if role is None:
            line_start = text.rfind("\n", 0, match.start()) + 1
            before = _ROLE_BEFORE_YEARS.search(text[line_start : match.start()])
            role = before.group("role") if before else None
        if role is not None:
            role = _ROLE_TAIL.sub("", _ROLE_TAIL.sub("", role)).strip(" .-\u2013\"'\u201c\u201d")
            if fold(role) in _NOT_A_ROLE or len(role) < 3:  # noqa: PLR2004
                role = None
        stated = match.group(0) + rest
        if role is None and not re.search(r"experience|exp\b", stated, re.IGNORECASE):
            continue  # "5 years" of something else (a warranty, a company's age)
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        context = text[line_start : line_end if line_end >= 0 else len(text)].strip()
        raw = match.group(0)
        start = match.start() + len(raw) - len(raw.lstrip())
        end = match.end() - (len(raw) - len(raw.rstrip()))
        found.append(
            ExperienceRequirement(
                years=years,
                role=role,
                evidence=Evidence(
                    text[start:end],
                    source=EvidenceSource.JOB,
                    start=start,
                    end=end,
                    context=context,
                ),
            )
        )
    return tuple(found[:12])
