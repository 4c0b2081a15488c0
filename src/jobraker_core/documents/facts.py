"""The facts a generated document may state, each with where it came from.

``collect_facts`` reads them from the person's candidate profile (skills, roles with titles,
employers and dates, education, languages, places, summary) and from their résumé versions (every
number, date, degree and word they wrote). The job's title and company are facts too, but facts of
the *job*: a document may name them ("I am applying for the Data Engineer position at Acme"), never
claim them for the person (``FactSheet`` keeps them apart, and the grounding gate knows which is
which).

Nothing here is inferred except two counts the profile defines: the years of experience in total
and in each role, as of a given month (rounded down and to the nearest year).
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from jobraker_core.documents.text import (
    NumberKind,
    degree_level_of,
    find_dates,
    find_degrees,
    find_numbers,
    normalise,
    words,
)
from jobraker_core.jobs.text import fold

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.candidate import CandidateProfile, DegreeLevel, YearMonth
    from jobraker_core.matching.resume import Resume
    from jobraker_core.matching.skills import SkillExtractor


class FactKind(enum.StrEnum):
    """What a fact is about."""

    SKILL = "skill"
    TITLE = "title"
    EMPLOYER = "employer"
    DATE = "date"
    NUMBER = "number"
    DEGREE = "degree"
    LANGUAGE = "language"
    TEXT = "text"
    JOB_TITLE = "job_title"
    JOB_COMPANY = "job_company"


@attrs.frozen
class Fact:
    """One fact: its kind, its value as written, and its source (``profile:roles[0]``, ...)."""

    kind: FactKind
    value: str
    source: str


@attrs.frozen(eq=False)
class FactSheet:
    """Every fact about one person (and one job), indexed for the grounding gate.

    ``titles`` and ``employers`` are the folded word sets of the person's role titles and
    employers; ``numbers`` are (kind, value) pairs; ``vocabulary`` is every folded word the
    person's texts use and ``corpus`` those texts folded, line by line; ``job_title`` and
    ``job_company`` are the job's words and ``job_phrases`` its title and company as written.
    ``fingerprint`` changes whenever any fact (or the job's text) does: it keys the cache.
    """

    facts: tuple[Fact, ...]
    skill_ids: frozenset[str]
    titles: tuple[frozenset[str], ...]
    employers: tuple[frozenset[str], ...]
    years: frozenset[int]
    months: frozenset[tuple[int, int]]
    numbers: frozenset[tuple[NumberKind, Decimal]]
    degrees: frozenset[DegreeLevel]
    vocabulary: frozenset[str]
    corpus: str
    job_title: frozenset[str]
    job_company: frozenset[str]
    job_phrases: tuple[str, ...]
    fingerprint: str

    def says(self, phrase: str) -> bool:
        """Whether the person's texts contain ``phrase`` (folded, as whole words)."""
        folded = " ".join(words(phrase))
        return bool(folded) and f" {folded} " in self.corpus

    def of_kind(self, kind: FactKind) -> tuple[Fact, ...]:
        """The facts of one kind, in the order they were read."""
        return tuple(fact for fact in self.facts if fact.kind is kind)


@attrs.define
class _Collector:
    facts: list[Fact] = attrs.field(factory=list)
    skill_ids: set[str] = attrs.field(factory=set)
    years: set[int] = attrs.field(factory=set)
    months: set[tuple[int, int]] = attrs.field(factory=set)
    numbers: set[tuple[NumberKind, Decimal]] = attrs.field(factory=set)
    degrees: set[DegreeLevel] = attrs.field(factory=set)
    vocabulary: set[str] = attrs.field(factory=set)
    texts: list[str] = attrs.field(factory=list)
    titles: list[frozenset[str]] = attrs.field(factory=list)
    employers: list[frozenset[str]] = attrs.field(factory=list)

    def text(self, text: str, source: str, extractor: SkillExtractor) -> None:
        """Read every skill, date, number, degree and word of a text the person wrote."""
        if not text.strip():
            return
        self.texts.extend(" ".join(words(line)) for line in text.split("\n"))
        self.vocabulary.update(words(text))
        for mention in extractor.extract(text):
            if mention.skill.id not in self.skill_ids:
                self.skill_ids.add(mention.skill.id)
                self.facts.append(Fact(FactKind.SKILL, mention.skill.name, source))
            self.vocabulary.update(words(mention.skill.name))
        dates = find_dates(text)
        for date in dates:
            self.years.add(date.year)
            if date.month is not None:
                self.months.add((date.year, date.month))
            self.facts.append(Fact(FactKind.DATE, date.text, source))
        for number in find_numbers(text, skip=tuple((d.start, d.end) for d in dates)):
            self.numbers.add((number.kind, number.value))
            self.facts.append(Fact(FactKind.NUMBER, number.text, source))
        for degree in find_degrees(text):
            self.degrees.add(degree.level)

    def skills(self, profile: CandidateProfile, extractor: SkillExtractor) -> None:
        """The profile's skills, with their canonical names."""
        for skill in profile.skills:
            self.facts.append(Fact(FactKind.SKILL, skill.name, "profile:skills"))
            self.vocabulary.update(words(skill.name))
            if skill.skill_id is None:
                continue
            self.skill_ids.add(skill.skill_id)
            canonical = extractor.taxonomy.get(skill.skill_id)
            if canonical is not None:
                self.vocabulary.update(words(canonical.name))

    def roles(self, profile: CandidateProfile, extractor: SkillExtractor, as_of: YearMonth) -> None:
        """Titles, employers, periods and descriptions of the roles, and the years they make."""
        for number, role in enumerate(profile.roles):
            source = f"profile:roles[{number}]"
            self.titles.append(frozenset(words(role.title)))
            self.facts.append(Fact(FactKind.TITLE, role.title, source))
            self.text(role.title, source, extractor)
            if role.company:
                self.employers.append(frozenset(words(role.company)))
                self.facts.append(Fact(FactKind.EMPLOYER, role.company, source))
                self.text(role.company, source, extractor)
            if role.period is not None:
                for month in (role.period.start, role.period.end):
                    if month is not None:
                        self.years.add(month.year)
                        self.months.add((month.year, month.month))
                self.facts.append(Fact(FactKind.DATE, role.period.describe(), source))
                self.count(role.years(as_of), source)
            self.text(role.description, source, extractor)
        if any(role.period is not None for role in profile.roles):
            self.count(profile.years_experience(as_of), "profile:roles")

    def education(self, profile: CandidateProfile, extractor: SkillExtractor) -> None:
        """The qualifications: their text, level, field and year."""
        for number, entry in enumerate(profile.education):
            source = f"profile:education[{number}]"
            self.facts.append(Fact(FactKind.DEGREE, entry.text, source))
            self.text(entry.text, source, extractor)
            level = entry.level or degree_level_of(entry.text)
            if level is not None:
                self.degrees.add(level)
            if entry.year is not None:
                self.years.add(entry.year)
            if entry.field_of_study:
                self.vocabulary.update(words(entry.field_of_study))

    def count(self, years: float, source: str) -> None:
        """A derived count of years: rounded down, to the nearest year, and to a tenth."""
        for value in {math.floor(years), round(years)}:
            self.numbers.add((NumberKind.PLAIN, Decimal(value)))
        self.numbers.add((NumberKind.PLAIN, normalise(Decimal(str(round(years, 1))))))
        self.facts.append(Fact(FactKind.NUMBER, f"{years:g} years", source))


def collect_facts(
    profile: CandidateProfile,
    resumes: Sequence[Resume],
    job: JobPosting | None,
    extractor: SkillExtractor,
    as_of: YearMonth,
) -> FactSheet:
    """Read every fact of ``profile`` and ``resumes`` (and the title and company of ``job``)."""
    found = _Collector()
    for resume in resumes:
        found.text(resume.text, f"resume:{resume.id}", extractor)
    found.skills(profile, extractor)
    found.roles(profile, extractor, as_of)
    found.education(profile, extractor)
    for entry in profile.languages:
        found.facts.append(Fact(FactKind.LANGUAGE, entry.name, "profile:languages"))
        found.vocabulary.update(words(f"{entry.name} {entry.level or ''}"))
    for place in profile.locations:
        found.text(place, "profile:locations", extractor)
    if profile.summary:
        found.text(profile.summary, "profile:summary", extractor)
    job_phrases: tuple[str, ...] = ()
    if job is not None:
        job_phrases = tuple(p for p in (job.title, job.company) if p)
        found.facts.extend(
            Fact(kind, value, f"job:{job.id}")
            for kind, value in (
                (FactKind.JOB_TITLE, job.title),
                (FactKind.JOB_COMPANY, job.company),
            )
            if value
        )
    return FactSheet(
        facts=tuple(found.facts),
        skill_ids=frozenset(found.skill_ids),
        titles=tuple(found.titles),
        employers=tuple(found.employers),
        years=frozenset(found.years),
        months=frozenset(found.months),
        numbers=frozenset(found.numbers),
        degrees=frozenset(found.degrees),
        vocabulary=frozenset(found.vocabulary),
        corpus=" " + " | ".join(found.texts) + " ",
        job_title=frozenset(words(job.title)) if job else frozenset(),
        job_company=frozenset(words(job.company or "")) if job else frozenset(),
        job_phrases=job_phrases,
        fingerprint=fingerprint(profile, resumes, job),
    )


def _canonical(profile: CandidateProfile) -> Iterable[object]:
    yield profile.resume_id and str(profile.resume_id)
    yield [[s.name, s.skill_id] for s in profile.skills]
    yield [
        [r.title, r.company, r.period and r.period.describe(), r.description] for r in profile.roles
    ]
    yield [[e.text, e.level, e.field_of_study, e.year] for e in profile.education]
    yield [[lang.name, lang.level] for lang in profile.languages]
    yield list(profile.locations)
    yield profile.summary


def fingerprint(
    profile: CandidateProfile, resumes: Sequence[Resume], job: JobPosting | None
) -> str:
    """A digest of everything a document is made from: the profile, the résumés, the job."""
    content = [
        list(_canonical(profile)),
        sorted(str(resume.id) for resume in resumes),
        None if job is None else [str(job.id), job.title, job.company, job.description],
    ]
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def same_words(a: str, b: str) -> bool:
    """Whether two phrases are the same once folded."""
    return fold(a) == fold(b)
