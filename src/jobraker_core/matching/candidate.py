"""The candidate profile.

What a résumé says about a person, in a shape the person can check and edit, and that matching can
use.

Every fact carries its ``Evidence``: the span of the résumé it was read from, or a note that the
person entered it. Years of experience are never stored as numbers that go stale; they are
computed from the dated roles for a given day (``as_of``), so a role "Jan 2019 - Present" keeps
counting.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.text import fold
from jobraker_core.matching.skills import Seniority

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

MAX_SKILLS: Final = 300
MAX_ROLES: Final = 60
MAX_ENTRIES: Final = 40
MAX_TEXT: Final = 300
MAX_DESCRIPTION: Final = 4_000
MIN_YEAR: Final = 1950
MAX_YEAR: Final = 2100


class EvidenceSource(enum.StrEnum):
    """Where a fact came from."""

    RESUME = "resume"  # read from the résumé version the profile came from
    USER = "user"  # entered or edited by the person
    JOB = "job"  # read from a job posting


EXCERPT_CHARS: Final = 240
"""How much of an evidence's context is shown around it (``Evidence.excerpt``)."""


@attrs.frozen
class Evidence:
    """The text a fact was read from.

    ``start``/``end`` index the source text when known (``text`` is then exactly those
    characters); ``context`` is the whole line around it, for a reader to check it against.
    """

    text: str
    source: EvidenceSource = EvidenceSource.RESUME
    start: int | None = None
    end: int | None = None
    context: str | None = None

    @classmethod
    def entered(cls, text: str) -> Evidence:
        """Evidence for a fact the person entered themselves."""
        return cls(text=text, source=EvidenceSource.USER)

    def excerpt(self, limit: int = EXCERPT_CHARS) -> str | None:
        """The context cut to at most ``limit`` characters around ``text``, for showing.

        A line can be a whole paragraph (on run-on postings, the whole posting), repeated for
        every skill read from it. The excerpt keeps the part of the context around the first
        place ``text`` appears in it (case aside), cut at word boundaries, with "…" where it was
        cut; a context that fits, or none, is returned as it is. ``start``/``end`` still place
        ``text`` in the full source for a reader who wants all of it.
        """
        context = self.context
        if context is None or len(context) <= limit:
            return context
        at = context.casefold().find(self.text.casefold())
        if at < 0 or len(self.text) >= limit:
            at, size = 0, 0
        else:
            size = len(self.text)
        spare = limit - size
        begin = max(0, min(at - spare // 2, len(context) - limit))
        end = begin + limit
        if begin > 0:
            space = context.find(" ", begin, at)
            begin = space + 1 if space >= 0 else begin
        if end < len(context):
            space = context.rfind(" ", at + size, end)
            end = space if space >= 0 else end
        cut = context[begin:end].strip()
        return f"{'…' if begin > 0 else ''}{cut}{'…' if end < len(context) else ''}"


def _text(value: str, *, field: str, limit: int = MAX_TEXT) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput(f"{field} must not be blank", field=field)
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return cleaned


def _skill_name(value: str) -> str:
    return _text(value, field="skills.name")


def _role_title(value: str) -> str:
    return _text(value, field="roles.title")


def _company(value: str | None) -> str | None:
    return None if value is None or not value.strip() else _text(value, field="roles.company")


def _education_text(value: str) -> str:
    return _text(value, field="education.text")


def _language_name(value: str) -> str:
    return _text(value, field="languages.name")


def _description(value: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"roles.description is longer than {MAX_DESCRIPTION} characters",
            field="roles.description",
        )
    return cleaned


# ----------------------------------------------------------------------------- time


@attrs.frozen(order=True)
class YearMonth:
    """A calendar month, the precision résumés give dates in."""

    year: int
    month: int = 1

    def __attrs_post_init__(self) -> None:
        """Refuse months and years no résumé means."""
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidInput(f"year {self.year} is out of range", field="year")
        if not 1 <= self.month <= 12:  # noqa: PLR2004 - months of the year
            raise InvalidInput(f"month {self.month} is not 1 to 12", field="month")

    @classmethod
    def of(cls, moment: date | datetime) -> YearMonth:
        """The month ``moment`` falls in."""
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """Parse ``YYYY-MM`` or ``YYYY``; ``InvalidInput`` otherwise."""
        year, _, month = text.strip().partition("-")
        if not year.isdigit() or (month and not month.isdigit()):
            raise InvalidInput(f"{text[:20]!r} is not a YYYY-MM month", field="period")
        return cls(int(year), int(month) if month else 1)

    @property
    def index(self) -> int:
        """Months since year 0: differences give lengths in months."""
        return self.year * 12 + self.month - 1

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@attrs.frozen
class Period:
    """From ``start`` to ``end`` inclusive, whole months; ``end`` None means "to the present"."""

    start: YearMonth
    end: YearMonth | None = None

    def __attrs_post_init__(self) -> None:
        """Refuse a period that ends before it starts."""
        if self.end is not None and self.end < self.start:
            raise InvalidInput(
                f"a period ends ({self.end}) before it starts ({self.start})", field="period"
            )

    def months(self, as_of: YearMonth) -> int:
        """How many months the period lasts as of ``as_of`` (nothing after ``as_of`` counts)."""
        last = min(self.end or as_of, as_of)
        return max(0, last.index - self.start.index + (0 if self.end is None else 1))

    def span(self, as_of: YearMonth) -> tuple[int, int]:
        """Start and end as month indexes, end exclusive, cut at ``as_of``."""
        end = (self.end.index + 1) if self.end is not None else as_of.index
        return self.start.index, max(self.start.index, min(end, as_of.index + 1))

    def describe(self) -> str:
        """Such as ``2019-01 - present``."""
        return f"{self.start} - {self.end if self.end is not None else 'present'}"


def union_years(periods: Iterable[Period], as_of: YearMonth) -> float:
    """Years covered by ``periods`` together, overlaps counted once, rounded to a tenth."""
    spans = sorted(period.span(as_of) for period in periods)
    months = 0
    current: tuple[int, int] | None = None
    for start, end in spans:
        if current is None or start > current[1]:
            if current is not None:
                months += current[1] - current[0]
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        months += current[1] - current[0]
    return round(months / 12, 1)


# ----------------------------------------------------------------------------- facts


@attrs.frozen
class CandidateSkill:
    """A skill the person has.

    ``skill_id`` is the canonical taxonomy id, or None for a skill the taxonomy does not know
    (kept as the words the résumé used). ``periods`` are the dated roles whose text names the
    skill: they give its years of experience.
    """

    name: str = attrs.field(converter=_skill_name)
    skill_id: str | None = None
    evidence: Evidence | None = None
    periods: tuple[Period, ...] = ()

    def years(self, as_of: YearMonth) -> float | None:
        """Years of experience with the skill, from dated roles; None when no role names it."""
        return union_years(self.periods, as_of) if self.periods else None

    @property
    def key(self) -> str:
        """What makes two entries the same skill: the canonical id, else the folded name."""
        return self.skill_id or f"text:{fold(self.name)}"


@attrs.frozen
class Role:
    """A job the person held: title, employer, when, and what the résumé says about it.

    ``occupation_code``/``occupation`` are the O*NET occupation the title normalises to, when
    one fits; ``seniority`` is what the title says about seniority.
    """

    title: str = attrs.field(converter=_role_title)
    company: str | None = attrs.field(default=None, converter=_company)
    period: Period | None = None
    description: str = attrs.field(default="", converter=_description)
    occupation_code: str | None = None
    occupation: str | None = None
    seniority: Seniority | None = None
    evidence: Evidence | None = None

    def years(self, as_of: YearMonth) -> float:
        """Years in the role as of ``as_of`` (0 for an undated role)."""
        return 0.0 if self.period is None else round(self.period.months(as_of) / 12, 1)


class DegreeLevel(enum.StrEnum):
    """The level of a qualification, lowest first."""

    SCHOOL = "school"
    CERTIFICATE = "certificate"
    ASSOCIATE = "associate"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"


@attrs.frozen
class Education:
    """A qualification as the résumé states it, with what could be read from it."""

    text: str = attrs.field(converter=_education_text)
    level: DegreeLevel | None = None
    field_of_study: str | None = None
    year: int | None = None
    evidence: Evidence | None = None


@attrs.frozen
class Language:
    """A language the person speaks, with the level stated (``native``, ``fluent``, ``B2``...)."""

    name: str = attrs.field(converter=_language_name)
    level: str | None = None
    evidence: Evidence | None = None


def _skills(values: Iterable[CandidateSkill]) -> tuple[CandidateSkill, ...]:
    kept: dict[str, CandidateSkill] = {}
    for skill in values:
        kept.setdefault(skill.key, skill)
    if len(kept) > MAX_SKILLS:
        raise InvalidInput(f"skills may hold at most {MAX_SKILLS} entries", field="skills")
    return tuple(kept.values())


def _bounded(field: str, limit: int) -> Callable[[object, object, tuple[object, ...]], None]:
    def check(_: object, __: object, value: tuple[object, ...]) -> None:
        if len(value) > limit:
            raise InvalidInput(f"{field} may hold at most {limit} entries", field=field)

    return check


@attrs.frozen
class CandidateProfile:
    """What matching knows about a person, read from a résumé version and reviewed by them.

    ``resume_id`` names the résumé version it was parsed from (None when the person built it by
    hand); ``edited`` says whether the person changed it since. ``locations`` are places the
    résumé states (free text, as written).
    """

    user_id: uuid.UUID
    resume_id: uuid.UUID | None
    skills: tuple[CandidateSkill, ...] = attrs.field(default=(), converter=_skills)
    roles: tuple[Role, ...] = attrs.field(default=(), validator=_bounded("roles", MAX_ROLES))
    education: tuple[Education, ...] = attrs.field(
        default=(), validator=_bounded("education", MAX_ENTRIES)
    )
    languages: tuple[Language, ...] = attrs.field(
        default=(), validator=_bounded("languages", MAX_ENTRIES)
    )
    locations: tuple[str, ...] = attrs.field(
        default=(), validator=_bounded("locations", MAX_ENTRIES)
    )
    summary: str | None = None
    edited: bool = False
    updated_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        """Whether nothing at all is known (no skill, role, education or language)."""
        return not (self.skills or self.roles or self.education or self.languages)

    def years_experience(self, as_of: YearMonth) -> float:
        """Years covered by the dated roles, overlaps counted once."""
        return union_years((r.period for r in self.roles if r.period is not None), as_of)

    def seniority(self, as_of: YearMonth) -> Seniority | None:
        """The person's seniority: the most recent role's title if it says, else from years.

        Under 2 years junior, under 5 mid, else senior (lead and above only when a title says
        so); None with no dated role.
        """
        dated = [(r.period.end or as_of, r.period.start, r) for r in self.roles if r.period]
        if not dated:
            return None
        latest = max(dated, key=lambda item: (item[0], item[1]))[2]
        if latest.seniority is not None:
            return latest.seniority
        years = self.years_experience(as_of)
        if years < 2:  # noqa: PLR2004 - documented bands
            return Seniority.JUNIOR
        if years < 5:  # noqa: PLR2004
            return Seniority.MID
        return Seniority.SENIOR

    def text(self) -> str:
        """The profile as one text for retrieval and embedding: titles, skills, summary, roles."""
        parts: list[str] = []
        parts.extend(role.title for role in self.roles)
        if self.skills:
            parts.append(", ".join(skill.name for skill in self.skills))
        if self.summary:
            parts.append(self.summary)
        parts.extend(role.description for role in self.roles if role.description)
        parts.extend(entry.text for entry in self.education)
        return "\n".join(parts)
