"""The explanation every match carries.

The score's parts, the skills matched and missing with evidence from both sides, the experience
asked for and found, and why a job is excluded.

A score is the sum of its parts' points (clamped to 0..100), so a person can add them up; each
part says in one sentence what it saw. ``scoring`` builds these; the edges only show them.
"""

from __future__ import annotations

import enum
import uuid
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.candidate import Evidence


class PartName(enum.StrEnum):
    """The parts of a match score."""

    SKILLS = "skills"
    TITLE = "title"
    EXPERIENCE = "experience"
    SIMILARITY = "similarity"
    LOCATION = "location"
    SALARY = "salary"
    FRESHNESS = "freshness"
    FEEDBACK = "feedback"


@attrs.frozen
class ScorePart:
    """One part of a score.

    ``weight`` is the most points the part can add (for ``feedback``, the most it can take
    away); ``value`` is how well the job fits on this part, from 0 to 1, or None when it cannot
    be told (the part then scores ``NEUTRAL`` of its weight and ``summary`` says why);
    ``points`` is what it adds to the score (negative for ``feedback``).
    """

    name: PartName
    weight: float
    value: float | None
    points: float
    summary: str


@attrs.frozen
class SkillMatch:
    """A skill the job asks for, and whether (and where) the candidate has it.

    ``required``: True required, False nice to have, None the posting does not say.
    ``candidate_evidence`` is where the profile shows the skill. A missing skill has none, or,
    when the profile names it only in a job title ("Java Developer" and nothing more), that
    title: it is then still listed as missing, for half the credit (``only_in_title``).
    """

    name: str
    skill_id: str | None
    required: bool | None
    matched: bool
    job_evidence: Evidence
    candidate_evidence: Evidence | None = None

    @property
    def only_in_title(self) -> bool:
        """Whether the profile names this missing skill only in a job title."""
        return not self.matched and self.candidate_evidence is not None


@attrs.frozen
class ExperienceFit:
    """Years of experience a job asks for, the years found in the profile, and the fit (0..1)."""

    years_required: float
    role: str | None
    years_found: float
    fit: float
    job_evidence: Evidence
    found_in: tuple[str, ...] = ()
    """The titles of the roles (or names of the skills) the years were counted from."""


class ExclusionCode(enum.StrEnum):
    """Why a job is excluded before scoring (the person's hard constraints)."""

    EXCLUDED_COMPANY = "excluded_company"
    REMOTE = "remote"
    LOCATION = "location"
    SALARY = "salary"
    EMPLOYMENT_TYPE = "employment_type"
    WORK_AUTHORIZATION = "work_authorization"
    DISMISSED = "dismissed"


@attrs.frozen
class Exclusion:
    """A hard constraint the job breaks, and a sentence saying how."""

    code: ExclusionCode
    reason: str


@attrs.frozen
class Match:
    """A job scored for a person, with everything needed to check the score.

    ``score`` is in [0, 100], the sum of ``parts``' points (clamped), rounded to a hundredth; it is
    computed for excluded jobs too, which recommendations hide. ``family`` groups near-duplicate
    postings; ``duplicate_of`` names the better-ranked posting of the same family when this one
    was moved down the list for it.
    """

    job: JobPosting
    score: float
    parts: tuple[ScorePart, ...]
    skills: tuple[SkillMatch, ...]
    experience: tuple[ExperienceFit, ...]
    exclusions: tuple[Exclusion, ...]
    family: str
    duplicate_of: uuid.UUID | None = None
    saved: bool = False

    @property
    def excluded(self) -> bool:
        """Whether a hard constraint excludes the job."""
        return bool(self.exclusions)

    @property
    def matched_skills(self) -> tuple[SkillMatch, ...]:
        """The skills asked for that the candidate has."""
        return tuple(s for s in self.skills if s.matched)

    @property
    def missing_skills(self) -> tuple[SkillMatch, ...]:
        """The skills asked for that the candidate lacks: required, then unstated, then nice."""
        order = {True: 0, None: 1, False: 2}
        missing = [s for s in self.skills if not s.matched]
        return tuple(sorted(missing, key=lambda s: order[s.required]))

    def part(self, name: PartName) -> ScorePart | None:
        """The part of this name, if the score has one."""
        return next((p for p in self.parts if p.name is name), None)
