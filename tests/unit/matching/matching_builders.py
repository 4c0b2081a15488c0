"""Builders shared by the matching tests: postings, profiles, a scorer over the shipped taxonomy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from jobraker_adapters.taxonomy import load_skill_extractor, load_title_normaliser
from jobraker_core.accounts.profile import JobPreferences, Profile
from jobraker_core.jobs.model import EmploymentType, JobDraft, JobPosting, Location, RemoteMode
from jobraker_core.jobs.salary import Salary
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.candidate import (
    CandidateProfile,
    CandidateSkill,
    Period,
    Role,
    YearMonth,
)
from jobraker_core.matching.resume import ResumeParser
from jobraker_core.matching.scoring import Scorer, Seeker

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
USER = uuid.UUID(int=1)

PYTHON_JOB = """About the role
We build payment APIs.

Requirements:
- 5+ years of experience as a Python Developer
- Python and Django
- PostgreSQL
- Physical strength and stamina

Nice to have:
- Kubernetes
"""


def analyser() -> JobAnalyser:
    """A job analyser over the shipped taxonomy."""
    return JobAnalyser(load_skill_extractor(), load_title_normaliser())


def parser() -> ResumeParser:
    """A résumé parser over the shipped taxonomy."""
    return ResumeParser(load_skill_extractor(), load_title_normaliser())


def job(
    *,
    title: str = "Senior Python Developer",
    description: str = PYTHON_JOB,
    company: str | None = "Acme Ltd",
    location: Location | None = None,
    salary: Salary | None = None,
    employment_type: EmploymentType | None = EmploymentType.FULL_TIME,
    posted_days_ago: float | None = 1,
    number: int = 1,
) -> JobPosting:
    """A normalised posting."""
    draft = JobDraft(
        source="test",
        source_id=str(number),
        title=title,
        description=description,
        company=company,
        location=location or Location(city="London", country_code="GB", remote=RemoteMode.HYBRID),
        salary=salary,
        employment_type=employment_type,
        posted_at=None if posted_days_ago is None else NOW - timedelta(days=posted_days_ago),
    )
    return JobPosting.from_draft(draft, job_id=uuid.UUID(int=1000 + number), seen_at=NOW)


def gbp(low: int, high: int) -> Salary:
    """A yearly salary range in GBP."""
    return Salary(Decimal(low), Decimal(high), "GBP")


def candidate(*skills: str, years: int = 6, title: str = "Python Developer") -> CandidateProfile:
    """A profile with one dated role and these skills (canonical when the taxonomy knows them)."""
    taxonomy = load_skill_extractor().taxonomy
    entries = []
    for name in skills:
        found = taxonomy.find(name)
        entries.append(
            CandidateSkill(name=found.name if found else name, skill_id=found.id if found else None)
        )
    occupation = load_title_normaliser().normalise(title)
    role = Role(
        title=title,
        period=Period(YearMonth(2026 - years, 1), None),
        occupation_code=occupation.code if occupation else None,
    )
    return CandidateProfile(user_id=USER, resume_id=None, skills=tuple(entries), roles=(role,))


def scorer(
    profile: CandidateProfile | None,
    preferences: JobPreferences | None = None,
    feedback: tuple = (),
    now: datetime = NOW,
) -> Scorer:
    """A scorer for the profile and preferences at ``now``."""
    return Scorer(
        Seeker(profile, preferences or JobPreferences(), feedback), load_title_normaliser(), now
    )


def prefer(container: Any, user_id: uuid.UUID, preferences: JobPreferences) -> None:
    """Save ``user_id``'s job preferences in ``container``'s storage (committed)."""
    with container.uow()() as uow:
        uow.profiles.save(Profile(user_id=user_id, preferences=preferences))
        uow.commit()
