"""Feedback.

What a dismissal lowers, by its reason; the points it takes, capped; and the rules a piece of
feedback must follow.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from matching_builders import NOW, analyser, gbp, job

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.model import Location, RemoteMode
from jobraker_core.matching.feedback import (
    FEEDBACK_WEIGHT,
    PENALTY_PER_DISMISSAL,
    DismissReason,
    Feedback,
    FeedbackKind,
    JobTraits,
    applies,
    feedback_effects,
)

ANALYSER = analyser()


def traits(**fields):
    """The traits of a posting built with ``fields``."""
    posting = job(**fields)
    return JobTraits.of(posting, ANALYSER.analyse(posting))


def dismissal(reason, number=1, **fields):
    """A dismissal of a posting built with ``fields``."""
    return Feedback(
        user_id=uuid.UUID(int=1),
        job_id=uuid.UUID(int=number),
        kind=FeedbackKind.DISMISS,
        reason=reason,
        note=None,
        traits=traits(**fields),
        created_at=NOW,
    )


def test_too_junior_lowers_jobs_at_the_same_company_that_are_no_more_senior():
    """Dismissing a mid-level Acme job as too junior lowers Acme's junior job, not its lead."""
    seen = dismissal(DismissReason.TOO_JUNIOR, title="Python Developer")
    assert applies(seen, traits(title="Junior Python Developer", number=2))
    assert not applies(seen, traits(title="Lead Python Developer", number=3))
    assert not applies(seen, traits(title="Nurse", company="Hospital", number=4))


def test_too_senior_is_the_mirror_image():
    """Dismissing a senior job as too senior lowers a lead job of the same kind."""
    seen = dismissal(DismissReason.TOO_SENIOR, title="Senior Python Developer")
    assert applies(seen, traits(title="Lead Python Developer", company="Other", number=2))
    assert not applies(seen, traits(title="Junior Python Developer", company="Other", number=3))


def test_company_wrong_location_salary_and_relevance_rules():
    """Each reason lowers what it names, and only that."""
    assert applies(dismissal(DismissReason.COMPANY), traits(title="Nurse", number=2))
    here = Location(city="Leeds", country_code="GB")
    away = dismissal(DismissReason.WRONG_LOCATION, location=here)
    assert applies(away, traits(company="Other", location=here, number=2))
    assert not applies(
        away,
        traits(
            location=Location(city="Leeds", country_code="GB", remote=RemoteMode.REMOTE), number=3
        ),
    )
    cheap = dismissal(DismissReason.SALARY_TOO_LOW, salary=gbp(30000, 40000))
    assert applies(cheap, traits(company="Other", salary=gbp(20000, 35000), number=2))
    assert not applies(cheap, traits(company="Other", salary=gbp(50000, 60000), number=3))
    irrelevant = dismissal(DismissReason.NOT_RELEVANT, title="Staff Nurse", company="NHS")
    assert applies(irrelevant, traits(title="Registered Nurse", company="Clinic", number=2))
    assert not applies(dismissal(DismissReason.ALREADY_APPLIED), traits(number=2))


def test_effects_are_grouped_named_and_capped():
    """Three dismissals at Acme as too junior take 12 points, said in words; many more cap."""
    target = traits(title="Junior Python Developer", number=99)
    three = [
        dismissal(DismissReason.TOO_JUNIOR, number=n, title="Python Developer") for n in range(3)
    ]
    (effect,) = feedback_effects(three, target)
    assert effect.points == 3 * PENALTY_PER_DISMISSAL
    assert effect.summary == 'you dismissed 3 jobs at Acme Ltd as "too junior" (-12)'
    many = [dismissal(DismissReason.COMPANY, number=n) for n in range(20)]
    assert sum(e.points for e in feedback_effects(many + three, target)) == FEEDBACK_WEIGHT


def test_a_dismissal_needs_a_reason_and_a_save_has_none():
    """The kinds and reasons go together."""
    with pytest.raises(InvalidInput):
        Feedback(uuid.uuid4(), uuid.uuid4(), FeedbackKind.DISMISS, None, None, traits(), NOW)
    with pytest.raises(InvalidInput):
        Feedback(
            uuid.uuid4(), uuid.uuid4(), FeedbackKind.SAVE, DismissReason.OTHER, None, traits(), NOW
        )


def test_traits_keep_what_the_rules_compare():
    """A posting's traits carry its company, occupation, seniority, place and pay."""
    found = traits(title="Senior Python Developer", salary=gbp(50000, 70000))
    assert found.company_key == "acme"
    assert found.occupation == "Software Developers"
    assert found.seniority is not None
    assert found.salary_high == Decimal(70000)
    assert found.place == "london gb"
