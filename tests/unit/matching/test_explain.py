"""The explanation of a match.

Parts in words, exclusions, evidence, and how a job analysis reads what a posting asks for.
"""

from __future__ import annotations

from matching_builders import PYTHON_JOB, analyser, candidate, job, scorer

from jobraker_core.accounts.profile import JobPreferences
from jobraker_core.jobs.model import RemoteMode
from jobraker_core.matching.explain import PartName

ANALYSER = analyser()


def test_the_analysis_reads_required_and_nice_to_have_skills_with_their_spans():
    """Requirements are required, "Nice to have" is not; every span points into the text."""
    analysis = ANALYSER.analyse(job())
    by_name = {s.name: s for s in analysis.skills}
    assert by_name["Python"].required is True
    assert by_name["Kubernetes"].required is False
    assert by_name["Physical strength and stamina"].skill_id is None
    for skill in analysis.skills:
        evidence = skill.evidence
        assert PYTHON_JOB[evidence.start : evidence.end] == evidence.text


def test_the_analysis_reads_years_and_the_role_they_are_asked_in():
    """Reading "5+ years of experience as a Python Developer" gives five years in that role."""
    (requirement,) = ANALYSER.analyse(job()).experience
    assert requirement.years == 5
    assert requirement.role == "Python Developer"
    assert requirement.occupation_code is not None


def test_word_numbers_count_as_years():
    """Reading "Minimum two years of experience as a Law Teacher" asks two years."""
    posting = job(
        description="Required Experience\n- Minimum two years of experience as a "
        "Law Teacher at the postsecondary level"
    )
    (requirement,) = ANALYSER.analyse(posting).experience
    assert (requirement.years, requirement.role) == (2, "Law Teacher")


def test_every_part_says_what_it_saw():
    """Each part has a sentence; the skills part names what is missing."""
    match = scorer(candidate("Python")).score(job(), ANALYSER.analyse(job()), 0.4)
    summaries = {p.name: p.summary for p in match.parts}
    assert all(summaries.values())
    assert "missing" in summaries[PartName.SKILLS]
    assert "Django" in summaries[PartName.SKILLS]
    assert "0.40" in summaries[PartName.SIMILARITY]
    assert summaries[PartName.FEEDBACK] == "no feedback applies"


def test_an_excluded_match_still_explains_its_score():
    """Exclusion comes with the reason and the parts are still there."""
    prefs = JobPreferences(remote_modes=(RemoteMode.REMOTE,))
    match = scorer(candidate("Python"), prefs).score(job(), ANALYSER.analyse(job()), None)
    assert match.excluded
    assert match.exclusions[0].reason == "the job is hybrid; you want remote"
    assert match.part(PartName.SKILLS) is not None


def test_a_list_line_of_requirements_is_split_into_items():
    """Reading "iOS, Android, SDK, Technical Writing" lists four requirements."""
    posting = job(
        description="Required Skills\niOS, Android, SDK, Technical Writing, Quiet confidence"
    )
    names = {s.name.casefold() for s in ANALYSER.analyse(posting).skills}
    assert {"quiet confidence"} <= names
    assert len(names) >= 4
