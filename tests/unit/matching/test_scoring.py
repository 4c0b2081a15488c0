"""The transparent score.

Hard constraints with reasons, parts that add up, the properties that make it trustworthy (bounded,
deterministic, monotone), and near-duplicates kept apart.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matching_builders import NOW, PYTHON_JOB, analyser, candidate, gbp, job, scorer

from jobraker_core.accounts.profile import JobPreferences, Place, SalaryFloor, WorkAuthorization
from jobraker_core.jobs.model import EmploymentType, Location, RemoteMode
from jobraker_core.jobs.salary import Salary
from jobraker_core.matching.explain import ExclusionCode, PartName
from jobraker_core.matching.feedback import Feedback, FeedbackKind, JobTraits
from jobraker_core.matching.scoring import freshness, rank, years_fit

ANALYSER = analyser()
SKILLS = ("Python", "Django", "PostgreSQL", "Kubernetes", "Docker", "Java", "React")


def score(profile, posting, preferences=None, similarity=0.3):
    """Score ``posting`` for ``profile``."""
    return scorer(profile, preferences).score(posting, ANALYSER.analyse(posting), similarity)


def codes(match):
    """The exclusion codes of a match."""
    return {e.code for e in match.exclusions}


def test_the_score_is_the_sum_of_its_parts():
    """Anyone can add the parts' points up to the score."""
    match = score(candidate("Python", "Django"), job())
    assert match.score == round(sum(p.points for p in match.parts), 2)
    assert {p.name for p in match.parts} == set(PartName)
    assert sum(p.weight for p in match.parts if p.name is not PartName.FEEDBACK) == 100


def test_skills_matched_and_missing_carry_evidence_from_both_sides():
    """A matched skill points at the job's words and the profile's; a missing one at the job's."""
    posting = job()
    match = score(candidate("Python", "Django"), posting)
    python = next(s for s in match.skills if s.name == "Python")
    assert python.matched
    assert python.required is True
    assert posting.description[python.job_evidence.start : python.job_evidence.end] == "Python"
    assert python.candidate_evidence is not None
    missing = {s.name: s for s in match.missing_skills}
    assert "PostgreSQL" in missing
    assert missing["PostgreSQL"].candidate_evidence is None
    assert missing["Kubernetes"].required is False
    assert [s.required for s in match.missing_skills] == sorted(
        (s.required for s in match.missing_skills), key={True: 0, None: 1, False: 2}.get
    )


def test_a_requirement_the_taxonomy_does_not_know_is_still_checked():
    """Reading "Physical strength and stamina" is matched by a profile line sharing its words."""
    posting = job()
    without = score(candidate("Python"), posting)
    with_it = score(candidate("Python", "Strength and stamina for physical work"), posting)
    name = "Physical strength and stamina"
    assert name in {s.name for s in without.missing_skills}
    assert name in {s.name for s in with_it.matched_skills}


def test_experience_counts_years_in_the_role_asked_for():
    """Reading "5+ years as a Python Developer": six years in that role meet it, two do not."""
    posting = job()
    long = score(candidate("Python", years=6), posting)
    short = score(candidate("Python", years=2), posting)
    assert long.experience[0].years_found == 6.0
    assert short.experience[0].fit < long.experience[0].fit
    assert long.part(PartName.EXPERIENCE).points > short.part(PartName.EXPERIENCE).points


def test_unknown_parts_score_neutral_and_say_why():
    """No salary floor: half the salary weight, with the reason in words."""
    salary = score(candidate("Python"), job()).part(PartName.SALARY)
    assert salary.value is None
    assert salary.points == salary.weight / 2
    assert "no salary floor" in salary.summary


# ----------------------------------------------------------------------------- constraints


def test_an_excluded_company_is_excluded_whatever_its_legal_suffix():
    """Reading "Acme" excludes "Acme Ltd"."""
    match = score(candidate("Python"), job(), JobPreferences(excluded_companies=("ACME",)))
    assert codes(match) == {ExclusionCode.EXCLUDED_COMPANY}
    assert "ACME" in match.exclusions[0].reason


def test_a_remote_mode_the_person_does_not_accept_is_excluded():
    """A hybrid job for someone who wants remote only."""
    match = score(candidate("Python"), job(), JobPreferences(remote_modes=(RemoteMode.REMOTE,)))
    assert codes(match) == {ExclusionCode.REMOTE}


def test_a_place_not_named_is_excluded_unless_remote_or_relocating():
    """Berlin only: a London job is out, a remote one is in, relocation lets London in."""
    berlin = (Place(city="Berlin", country_code="DE"),)
    london = job()
    remote = job(location=Location(country_code="GB", remote=RemoteMode.REMOTE), number=2)
    assert codes(score(candidate("Python"), london, JobPreferences(locations=berlin))) == {
        ExclusionCode.LOCATION
    }
    assert not score(candidate("Python"), remote, JobPreferences(locations=berlin)).excluded
    relocating = JobPreferences(locations=berlin, willing_to_relocate=True)
    assert not score(candidate("Python"), london, relocating).excluded


def test_pay_below_the_floor_in_the_same_currency_is_excluded_and_never_converted():
    """A GBP floor excludes GBP jobs paying less, and does not judge USD jobs at all."""
    floor = JobPreferences(salary_floor=SalaryFloor(Decimal(70000), "GBP"))
    low = score(candidate("Python"), job(salary=gbp(40000, 50000)), floor)
    assert codes(low) == {ExclusionCode.SALARY}
    assert "50,000 GBP" in low.exclusions[0].reason
    dollars = job(salary=Salary(Decimal(40000), Decimal(50000), "USD"), number=2)
    usd = score(candidate("Python"), dollars, floor)
    assert not usd.excluded
    assert "does not convert" in usd.part(PartName.SALARY).summary
    assert usd.part(PartName.SALARY).value is None


def test_an_employment_type_not_chosen_is_excluded():
    """Contracts only: a full-time job is out."""
    prefs = JobPreferences(employment_types=(EmploymentType.CONTRACT,))
    assert codes(score(candidate("Python"), job(), prefs)) == {ExclusionCode.EMPLOYMENT_TYPE}


def test_work_authorization_for_the_job_country_is_a_hard_constraint():
    """Not authorized in GB: excluded, unless the posting offers visa sponsorship."""
    prefs = JobPreferences(work_authorization=(WorkAuthorization("GB", authorized=False),))
    assert codes(score(candidate("Python"), job(), prefs)) == {ExclusionCode.WORK_AUTHORIZATION}
    sponsoring = job(description=job().description + "\nVisa sponsorship is available.", number=3)
    assert not score(candidate("Python"), sponsoring, prefs).excluded


def test_needing_sponsorship_excludes_a_job_that_refuses_it():
    """Someone who needs a visa is not shown a job that says it cannot sponsor."""
    prefs = JobPreferences(needs_sponsorship=True)
    refusing = job(description=job().description + "\nWe are unable to sponsor visas.", number=4)
    assert codes(score(candidate("Python"), refusing, prefs)) == {ExclusionCode.WORK_AUTHORIZATION}


# ----------------------------------------------------------------------------- properties

skill_sets = st.sets(st.sampled_from(SKILLS), max_size=len(SKILLS))


@settings(max_examples=40, deadline=None)
@given(have=skill_sets, extra=st.sampled_from(SKILLS))
def test_adding_a_skill_never_lowers_the_score(have, extra):
    """Monotone: a profile with one more skill scores at least as well on every job."""
    for posting in (
        job(),
        job(title="Data Engineer", description="Requirements:\n- Java\n- SQL", number=2),
    ):
        before = score(candidate(*have), posting)
        after = score(candidate(*(have | {extra})), posting)
        assert after.score >= before.score
        assert after.part(PartName.SKILLS).points >= before.part(PartName.SKILLS).points


@settings(max_examples=40, deadline=None)
@given(
    have=skill_sets, similarity=st.floats(-1, 1), days=st.floats(0, 4000), years=st.integers(0, 40)
)
def test_the_score_is_bounded_and_deterministic(have, similarity, days, years):
    """Always within 0..100, and the same inputs give the same match."""
    posting = job(posted_days_ago=days)
    first = score(candidate(*have, years=years), posting, similarity=similarity)
    second = score(candidate(*have, years=years), posting, similarity=similarity)
    assert 0 <= first.score <= 100
    assert first == second


@given(st.floats(0, 5000), st.floats(0, 5000))
def test_an_older_posting_is_never_fresher(a, b):
    """Freshness never rises with age: a later ``posted_at`` is at least as fresh."""
    older, newer = max(a, b), min(a, b)
    assert freshness(older) <= freshness(newer)
    assert 0 <= freshness(older) <= 1


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400))
def test_a_later_clock_never_raises_freshness(a, b):
    """The same posting, scored later, is never fresher."""
    posting = job(posted_days_ago=0)
    early, late = sorted((a, b))
    first = scorer(candidate("Python"), now=NOW + timedelta(days=early)).score(
        posting, ANALYSER.analyse(posting), None
    )
    second = scorer(candidate("Python"), now=NOW + timedelta(days=late)).score(
        posting, ANALYSER.analyse(posting), None
    )
    assert second.part(PartName.FRESHNESS).points <= first.part(PartName.FRESHNESS).points


@given(st.floats(0, 60), st.floats(0, 60), st.floats(0.5, 20))
def test_more_years_never_fit_worse(a, b, asked):
    """The years fit is monotone in the years found and reaches 1 at twice the years asked."""
    low, high = sorted((a, b))
    assert years_fit(low, asked) <= years_fit(high, asked) <= 1
    assert years_fit(2 * asked, asked) == pytest.approx(1)


def test_a_future_posting_date_counts_as_fresh():
    """Clock skew in a feed does not make a job stale."""
    assert score(candidate("Python"), job(posted_days_ago=-3)).part(PartName.FRESHNESS).value == 1


# ----------------------------------------------------------------------------- diversity


def test_near_duplicates_do_not_crowd_the_top():
    """Three copies of one job at one company: the second and third come after other jobs."""
    profile = candidate("Python", "Django", "PostgreSQL")
    copies = [
        job(number=n, location=Location(city=city, country_code="GB"))
        for n, city in ((1, "London"), (2, "Leeds"), (3, "York"))
    ]
    other = job(
        title="Backend Engineer",
        company="Globex",
        number=9,
        description="Requirements:\n- Python\n- Go",
    )
    matches = [score(profile, p) for p in [*copies, other]]
    assert max(m.score for m in matches[:3]) > matches[3].score
    ranked = rank(matches)
    assert [m.job.company for m in ranked[:2]] == ["Acme Ltd", "Globex"]
    assert ranked[2].duplicate_of == ranked[0].job.id
    assert ranked[1].duplicate_of is None


def test_ranking_is_by_score_then_job_id():
    """Equal scores keep a stable order."""
    profile = candidate("Python")
    matches = [score(profile, job(number=n, company=f"Company {n}")) for n in (3, 1, 2)]
    assert len({m.score for m in matches}) == 1
    ranked = rank(matches)
    assert [m.job.id for m in ranked] == sorted((m.job.id for m in matches), key=str)


def test_a_saved_job_is_marked():
    """Saving a job shows on its match."""
    posting = job()
    saved = Feedback(
        user_id=candidate().user_id,
        job_id=posting.id,
        kind=FeedbackKind.SAVE,
        reason=None,
        note=None,
        traits=JobTraits.of(posting, ANALYSER.analyse(posting)),
        created_at=NOW,
    )
    match = scorer(candidate("Python"), feedback=(saved,)).score(
        posting, ANALYSER.analyse(posting), None
    )
    assert match.saved
    assert attrs.evolve(match, saved=False) != match


def test_one_scorer_scores_every_job_of_a_pool_as_a_fresh_scorer_would():
    """A request's scorer remembers years per role and evidence per phrase: never across jobs."""
    profile = candidate("Python", "Strength and stamina for physical work", years=6)
    data_job = PYTHON_JOB.replace("as a Python Developer", "as a Data Engineer").replace(
        "Physical strength and stamina", "Calm under pressure"
    )
    postings = [
        job(number=1),
        job(title="Data Engineer", description=data_job, number=2),
        job(number=3),
        job(title="Data Engineer", description=data_job, number=4),
    ]
    shared = scorer(profile)
    reused = [shared.score(p, ANALYSER.analyse(p), 0.3) for p in postings]
    fresh = [scorer(profile).score(p, ANALYSER.analyse(p), 0.3) for p in postings]
    assert reused == fresh
    assert reused[0].experience[0].years_found == 6.0
    assert reused[1].experience[0].years_found == 0.0
    assert "Physical strength and stamina" in {s.name for s in reused[2].matched_skills}
    assert "Calm under pressure" in {s.name for s in reused[3].missing_skills}
