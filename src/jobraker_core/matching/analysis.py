"""What a job posting asks for, read once per posting: skills, experience, title, seniority.

``JobAnalyser.analyse`` is pure and deterministic. It keeps a bounded memo of its results keyed
by the posting's id and content, because the same postings are scored for many people. Analyses
are also stored (``JobAnalysisRepository``, made after each ingestion by ``AnalyseJobs``), under
the analyser's ``version``, so a process that has not seen a posting yet reads its analysis
instead of making it again (``analysis_store.analyses_of``).

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
from jobraker_core.matching.skills import Seniority, is_language, seniority_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.skills import SkillExtractor, SkillMention, TitleNormaliser

MAX_PHRASE_TERMS: Final = 6
"""A requirement item with more content words than this is prose, not a skill name."""
MEMO_SIZE: Final = 4096
ANALYSIS_VERSION: Final = 1
"""Raise it with every change to this module (or the phrase and skill reading it uses) that can
change an analysis: stored analyses of another version are made again, never used."""


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
    r"^(?:(?:an?|the|with|from|of|in|on|along\s+with|furthermore|moreover|also|additionally|"
    r"in\s+addition|various|extensive|profound|necessary|"
    r"sufficient|suitable|precise|conceptual|superior|stellar|able|must\s+(?:have|be)|capable\s+(?:to|of)|"
    r"(?:high\s+)?levels?\s+of|should\s+have|you\s+have|familiar\s+with|possesses?\s+"
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
    r"|\s+(?:to|for|which|that|while|when|so as|in order|including|such as|e\.g\.|needed|"
    r"required|necessary|towards|during|is|are|will|should|would|can|may|must)\b",
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
    if not phrase or _ITEM_FILLER.fullmatch(phrase + " "):
        return None  # nothing, or filler alone ("Furthermore")
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
    if is_language(phrase):
        return None  # "Fluent English": a language, not a skill (see SkillExtractor)
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


_PROSE: Final = frozenset({SectionKind.SUMMARY, SectionKind.PREAMBLE, SectionKind.OTHER})
"""Sections whose sentences may ask for skills in passing (read for asking phrases only)."""
_SKILLS_HEAD: Final = re.compile(
    r"^(?P<name>[^:]{1,40}?)\s+(?:skills?|knowledge|experience|expertise)\s*:\s*$", re.IGNORECASE
)
_NOT_A_NAME: Final = frozenset(
    {
        "the",
        "these",
        "those",
        "following",
        "your",
        "you",
        "our",
        "key",
        "core",
        "other",
        "required",
        "essential",
        "soft",
        "technical",
        "general",
        "basic",
        "must",
        "additional",
    }
)
_TRIGGER: Final = re.compile(
    r"\b(?:(?:experience|expertise|proficiency|knowledge|understanding|familiarity|command|"
    r"mastery|competence|background|track record|skills?|abilities|foundation|grounding|"
    r"capabilities)\s+(?:in|with|of|on)|(?:proficient|skilled|versed|experienced|fluent)\s+"
    r"(?:in|with|at)|(?:familiar|comfortable|conversant)\s+with|possess(?:es)?|"
    r"(?:able|ability) to (?:use|operate|work with))\s+",
    re.IGNORECASE,
)
_PROSE_STOP: Final = re.compile(
    r"\s+(?:to|for|which|that|while|when|where|who|so as|in order|such as|e\.g\.|needed|required|"
    r"necessary|towards|during|through|by|is|are|will|should|would|can|may|must|have|has)\b",
    re.IGNORECASE,
)
"""Words that end what an asking phrase asks for ("knowledge of X *to* ...")."""
_ASKED_AFTER: Final = re.compile(
    r"\s+(?:is|are)\s+(?:pivotal|essential|required|necessary|a must|important|key|critical|vital|"
    r"crucial|expected|needed|mandatory)\b",
    re.IGNORECASE,
)
"""What a clause asks for when it ends so ("attention to detail and HR skills are pivotal")."""
_CONNECTIVE: Final = re.compile(
    r"\s*(?:furthermore|moreover|also|additionally|in addition|finally|likewise)\s*,?\s*",
    re.IGNORECASE,
)
_CLAUSE_END: Final = re.compile(r"[.;:!?](?:\s|$)|\s[-\u2013\u2014]\s|\(")
_AND: Final = re.compile(
    r"\s*(?:,\s*(?:(?:and|or|along with)\b)?|\s(?:and|or|as well as|along with)\s|/)\s*",
    re.IGNORECASE,
)


def _piece(line: Line, first: int, last: int) -> Line:
    text = line.text
    while first < last and text[first] in " ,;":
        first += 1
    while last > first and text[last - 1] in " ,;.":
        last -= 1
    return Line(text[first:last], line.start + first, line.start + last, line.bulleted)


def requirement_items(line: Line) -> list[Line]:
    """The items of one requirement line that may each name a skill.

    A list line gives its items ("iOS, Android, SDK"); "CM skills:" names CM; a line introduced
    by a colon ("... the following skills: A, B") gives the items after it; and a sentence gives
    what follows each phrase that asks for a skill ("expertise in Agile methodology,
    understanding of business requirements, knowledge of A and B" gives "Agile methodology",
    "business requirements", "A", "B").
    """
    text = line.text.replace("**", "  ").replace("__", "  ")
    head = _SKILLS_HEAD.match(text)
    if head:
        name = head.group("name")
        words = fold(name).split()
        if 0 < len(words) <= 3 and not _NOT_A_NAME & set(words):  # noqa: PLR2004
            return [_piece(line, head.start("name"), head.end("name"))]
        return []
    items: list[Line] = []
    colon = text.find(": ")
    body_start = colon + 2 if 0 <= colon < len(text) - 2 else 0
    if body_start:
        words = fold(text[:colon]).split()
        if 0 < len(words) <= 4 and not _NOT_A_NAME & set(words):  # noqa: PLR2004 - a name
            items.append(_piece(line, 0, colon))  # "Safety Awareness: Applicant should ..."
    pieces = [(body_start + a, body_start + b) for a, b in list_items(text[body_start:])]
    if len(pieces) > 1:
        return items + [_piece(line, a, b) for a, b in pieces]
    whole = _piece(line, body_start, len(text))
    if len(terms(whole.text)) <= MAX_PHRASE_TERMS:  # an item ("Knowledge of Forestry and ...")
        return [*items, whole]
    return items + (asked_in_prose(line, body_start) or [whole])


def asked_in_prose(line: Line, start: int = 0) -> list[Line]:
    """What a sentence asks for after each of its asking phrases ("knowledge of A, B and C")."""
    text = line.text
    items: list[Line] = []
    for trigger in _TRIGGER.finditer(text, start):
        end_match = _CLAUSE_END.search(text, trigger.end())
        end = end_match.start() if end_match else len(text)
        stop_word = _PROSE_STOP.search(text, trigger.end(), end)
        if stop_word is not None:
            end = stop_word.start()
        nxt = _TRIGGER.search(text, trigger.end(), end)
        if nxt is not None:
            end = nxt.start()
        position = trigger.end()
        for cut in [*_AND.finditer(text, position, end), None]:
            stop = cut.start() if cut is not None else end
            if stop > position:
                items.append(_piece(line, position, stop))
            position = cut.end() if cut is not None else end
    for said in _ASKED_AFTER.finditer(text, start):  # "A, B and C are essential"
        stop = text.rfind(". ", start, said.start())
        clause = stop + 2 if stop >= 0 else start
        if _TRIGGER.search(text, clause, said.start()):
            continue  # the asking phrase in the clause already reads it
        lead = _CONNECTIVE.match(text, clause)
        position = lead.end() if lead else clause
        for cut in [*_AND.finditer(text, position, said.start()), None]:
            stop = cut.start() if cut is not None else said.start()
            if stop > position:
                items.append(_piece(line, position, stop))
            position = cut.end() if cut is not None else said.start()
    return items


def _memo_key(job: JobPosting) -> tuple[uuid.UUID, int]:
    return (job.id, hash((job.title, job.company, job.description)))


class JobAnalyser:
    """Reads ``JobAnalysis`` from postings (see the module docstring)."""

    def __init__(
        self, extractor: SkillExtractor, titles: TitleNormaliser, *, data_version: str = ""
    ) -> None:
        """Read postings with ``extractor`` and ``titles``.

        ``data_version`` names the taxonomy data they were built from (a digest of the files):
        it is part of ``version``, so new data makes stored analyses stale.
        """
        self._extractor = extractor
        self._titles = titles
        self._version = f"analysis-v{ANALYSIS_VERSION}" + (
            f":{data_version}" if data_version else ""
        )
        self._memo: OrderedDict[tuple[uuid.UUID, int], JobAnalysis] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        """What made the analyses: the code's ``ANALYSIS_VERSION`` and the taxonomy data's."""
        return self._version

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
        known = self.remembered(job)
        if known is not None:
            return known
        analysis = self._analyse(job)
        self.remember(job, analysis)
        return analysis

    def remembered(self, job: JobPosting) -> JobAnalysis | None:
        """The memo's analysis of ``job`` as it reads now, if it has one."""
        key = _memo_key(job)
        with self._lock:
            known = self._memo.get(key)
            if known is not None:
                self._memo.move_to_end(key)
            return known

    def remember(self, job: JobPosting, analysis: JobAnalysis) -> None:
        """Keep ``analysis`` (of this analyser's ``version``, e.g. a stored one) for ``job``."""
        with self._lock:
            self._memo[_memo_key(job)] = analysis
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)

    def _analyse(self, job: JobPosting) -> JobAnalysis:
        text = job.description
        parsed = sections(text)
        skills: dict[str, JobSkill] = {}
        requirement_lines: list[tuple[Line, bool | None]] = []
        prose_lines: list[Line] = []
        for section in parsed:
            if section.kind is SectionKind.REQUIREMENTS:
                requirement_lines.extend((line, True) for line in section.lines)
            elif section.kind is SectionKind.NICE_TO_HAVE:
                requirement_lines.extend((line, False) for line in section.lines)
            elif section.kind in _PROSE:
                prose_lines.extend(section.lines)
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
        asked: list[tuple[Line, Line, bool | None]] = [
            (line, item, required)
            for line, required in requirement_lines
            if not _YEARS.search(line.text)
            for item in requirement_items(line)
        ]
        # "we seek someone with a track record in A, B and C"
        asked += [(line, item, None) for line in prose_lines for item in asked_in_prose(line)]
        phrases: set[frozenset[str]] = set()
        for line, item, required in asked:
            entry = _requirement_phrase(item, required, line.text, mentions)
            if entry is not None and entry.terms not in phrases:  # one entry per set of words
                phrases.add(entry.terms)
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
