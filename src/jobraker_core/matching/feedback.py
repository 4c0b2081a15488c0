"""Feedback on recommended jobs (save, dismiss with a reason) and how it changes later rankings.

A dismissed job is hidden from recommendations. Its dismissal also lowers the score of *similar*
jobs, as a ``feedback`` part of their score that names what it counted ("you dismissed 3 jobs at
Acme as too junior: -12"). What "similar" means depends on the reason given:

=================  ==========================================================================
reason             lowers jobs that ...
=================  ==========================================================================
too_junior         are at the same company or of the same occupation, and no more senior
too_senior         are at the same company or of the same occupation, and no less senior
company            are at the same company
wrong_location     are in the same place and not remote
salary_too_low     pay (at most) no more, in the same currency
not_relevant       are of the same occupation (or, without one, have the same title)
other              are of the same occupation and at the same company
already_applied    (only hides the job itself)
=================  ==========================================================================

Each dismissal that applies takes ``PENALTY_PER_DISMISSAL`` points, at most ``FEEDBACK_WEIGHT``
in all. The job's traits are kept with the feedback, so the rule still works after the
dismissed job is gone.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import RemoteMode, company_words
from jobraker_core.jobs.text import fold
from jobraker_core.matching.skills import Seniority

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.matching.analysis import JobAnalysis

FEEDBACK_WEIGHT: Final = 20.0
"""The most points feedback can take off a job's score."""
PENALTY_PER_DISMISSAL: Final = 4.0
"""Points one applicable dismissal takes off."""
MAX_NOTE: Final = 500


class FeedbackKind(enum.StrEnum):
    """What the person did with a recommended job."""

    SAVE = "save"
    DISMISS = "dismiss"


class DismissReason(enum.StrEnum):
    """Why a job was dismissed (see the module docstring for what each one lowers)."""

    NOT_RELEVANT = "not_relevant"
    TOO_JUNIOR = "too_junior"
    TOO_SENIOR = "too_senior"
    WRONG_LOCATION = "wrong_location"
    SALARY_TOO_LOW = "salary_too_low"
    COMPANY = "company"
    ALREADY_APPLIED = "already_applied"
    OTHER = "other"

    @property
    def label(self) -> str:
        """How the reason reads in an explanation ("too junior")."""
        return self.value.replace("_", " ")


_RANK: Final = {level: number for number, level in enumerate(Seniority)}


@attrs.frozen
class JobTraits:
    """What feedback rules compare about a job (kept with the feedback)."""

    title: str
    company: str | None
    occupation_code: str | None
    occupation: str | None
    seniority: Seniority | None
    place: str | None
    remote: bool
    salary_high: Decimal | None
    currency: str | None

    @classmethod
    def of(cls, job: JobPosting, analysis: JobAnalysis) -> JobTraits:
        """Read the traits of ``job``."""
        location = job.location
        place = location.city or location.display or location.region
        place_key = fold(f"{place or ''} {location.country_code or ''}") or None
        return cls(
            title=job.title,
            company=job.company,
            occupation_code=analysis.occupation_code,
            occupation=analysis.occupation,
            seniority=analysis.seniority,
            place=place_key,
            remote=location.remote is RemoteMode.REMOTE,
            salary_high=job.salary.annual_high if job.salary else None,
            currency=job.salary.currency if job.salary else None,
        )

    @property
    def company_key(self) -> str:
        """The company, folded, without legal suffixes ("" when unknown)."""
        return company_words(self.company)

    @property
    def kind_key(self) -> str:
        """The occupation code, else the folded title: what "the same kind of job" means."""
        return self.occupation_code or f"title:{fold(self.title)}"

    @property
    def kind_label(self) -> str:
        """How the kind of job reads in an explanation."""
        return self.occupation or self.title


def _note(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = " ".join(value.split())
    if len(cleaned) > MAX_NOTE:
        raise InvalidInput(f"note is longer than {MAX_NOTE} characters", field="note")
    return cleaned


@attrs.frozen
class Feedback:
    """What one person said about one job (the latest word counts)."""

    user_id: uuid.UUID
    job_id: uuid.UUID
    kind: FeedbackKind
    reason: DismissReason | None
    note: str | None = attrs.field(converter=_note)
    traits: JobTraits
    created_at: datetime

    def __attrs_post_init__(self) -> None:
        """A dismissal needs a reason; a save has none."""
        if self.kind is FeedbackKind.DISMISS and self.reason is None:
            raise InvalidInput("a dismissal needs a reason", field="reason")
        if self.kind is FeedbackKind.SAVE and self.reason is not None:
            raise InvalidInput("a save takes no reason", field="reason")


def applies(dismissal: Feedback, traits: JobTraits) -> bool:  # noqa: PLR0911 - one rule per reason
    """Whether ``dismissal`` lowers a job with ``traits`` (see the module docstring)."""
    seen = dismissal.traits
    same_company = bool(seen.company_key) and seen.company_key == traits.company_key
    same_kind = seen.kind_key == traits.kind_key
    reason = dismissal.reason
    if reason is DismissReason.COMPANY:
        return same_company
    if reason in {DismissReason.TOO_JUNIOR, DismissReason.TOO_SENIOR}:
        if not (same_company or same_kind):
            return False
        mine = _RANK[traits.seniority or Seniority.MID]
        theirs = _RANK[seen.seniority or Seniority.MID]
        return mine <= theirs if reason is DismissReason.TOO_JUNIOR else mine >= theirs
    if reason is DismissReason.WRONG_LOCATION:
        return seen.place is not None and seen.place == traits.place and not traits.remote
    if reason is DismissReason.SALARY_TOO_LOW:
        return (
            seen.salary_high is not None
            and traits.salary_high is not None
            and seen.currency == traits.currency
            and traits.salary_high <= seen.salary_high
        )
    if reason is DismissReason.NOT_RELEVANT:
        return same_kind
    if reason is DismissReason.OTHER:
        return same_kind and same_company
    return False


@attrs.frozen
class FeedbackEffect:
    """Dismissals of one reason that apply to a job, grouped by what they share with it."""

    reason: DismissReason
    count: int
    anchor: str
    points: float

    @property
    def summary(self) -> str:
        """Such as ``you dismissed 3 jobs at Acme as "too junior" (-12)``."""
        jobs = "job" if self.count == 1 else "jobs"
        return (
            f'you dismissed {self.count} {jobs} {self.anchor} as "{self.reason.label}" '
            f"({-self.points:g})"
        )


def _anchor(dismissal: Feedback, traits: JobTraits) -> str:
    seen = dismissal.traits
    reason = dismissal.reason
    if reason is DismissReason.WRONG_LOCATION:
        return f"in {seen.place}"
    if reason is DismissReason.SALARY_TOO_LOW:
        return f"paying {seen.currency} {seen.salary_high} or less"
    if seen.company_key and seen.company_key == traits.company_key:
        return f"at {seen.company}"
    return f"like {seen.kind_label}"


def feedback_effects(dismissals: Sequence[Feedback], traits: JobTraits) -> list[FeedbackEffect]:
    """The dismissals that lower a job with ``traits``, grouped, with their (capped) points."""
    groups: dict[tuple[DismissReason, str], int] = {}
    for dismissal in dismissals:
        if dismissal.kind is not FeedbackKind.DISMISS or dismissal.reason is None:
            continue
        if applies(dismissal, traits):
            key = (dismissal.reason, _anchor(dismissal, traits))
            groups[key] = groups.get(key, 0) + 1
    effects: list[FeedbackEffect] = []
    left = FEEDBACK_WEIGHT
    for (reason, anchor), count in sorted(groups.items(), key=lambda g: (-g[1], g[0])):
        points = min(left, count * PENALTY_PER_DISMISSAL)
        if points <= 0:
            break
        left -= points
        effects.append(FeedbackEffect(reason, count, anchor, points))
    return effects


def latest(feedback: Iterable[Feedback]) -> dict[uuid.UUID, Feedback]:
    """The latest feedback per job."""
    found: dict[uuid.UUID, Feedback] = {}
    for item in sorted(feedback, key=lambda f: f.created_at):
        found[item.job_id] = item
    return found
