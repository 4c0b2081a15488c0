"""Reading a résumé's text into a candidate profile.

Skills with evidence, dated roles, years, education, languages, places; and refusing a text with
nothing to read.
"""

from __future__ import annotations

import uuid

import pytest
from matching_builders import NOW, parser

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_core.errors import InvalidInput
from jobraker_core.matching.candidate import DegreeLevel, EvidenceSource, YearMonth
from jobraker_core.matching.resume import find_date_ranges

AS_OF = YearMonth.of(NOW)


@pytest.fixture(scope="module")
def profile():
    """The sample résumé, parsed."""
    return parser().parse(
        SAMPLE_TEXT, user_id=uuid.UUID(int=7), resume_id=uuid.UUID(int=8), now=NOW
    )


def test_skills_are_canonical_with_the_span_they_came_from(profile):
    """Each skill names its taxonomy id and points at the exact characters of the résumé."""
    by_name = {s.name: s for s in profile.skills}
    assert {"Python", "Django", "PostgreSQL", "Docker", "Kubernetes"} <= set(by_name)
    for skill in profile.skills:
        evidence = skill.evidence
        assert evidence is not None
        assert evidence.source is EvidenceSource.RESUME
        assert SAMPLE_TEXT[evidence.start : evidence.end] == evidence.text
    assert by_name["Kubernetes"].evidence.text == "k8s"


def test_a_skills_line_the_taxonomy_does_not_know_is_kept_as_written(profile):
    """A skills line the taxonomy does not know stays as written, with its evidence."""
    free = [s for s in profile.skills if s.skill_id is None]
    assert [s.name for s in free] == ["Calm under deadline pressure"]


def test_roles_are_read_with_titles_companies_and_dates(profile):
    """Reading "Jan 2019 - Present" and "2015 - 2018" become periods; titles map to occupations."""
    senior, engineer = profile.roles
    assert (senior.title, senior.company) == ("Senior Python Developer", "Acme Ltd")
    assert (str(senior.period.start), senior.period.end) == ("2019-01", None)
    assert (engineer.title, engineer.company) == ("Software Engineer", "Initech")
    assert str(engineer.period.start) == "2015-01"
    assert senior.occupation == "Software Developers"
    assert SAMPLE_TEXT[senior.evidence.start : senior.evidence.end] == senior.evidence.text


def test_years_overall_and_per_skill_come_from_dated_roles(profile):
    """Python is named in the 2019-now role: seven years by January 2026; Java in the older one."""
    by_name = {s.name: s for s in profile.skills}
    assert by_name["Python"].years(AS_OF) == 7.0
    assert by_name["Java"].years(AS_OF) == 3.1
    assert by_name["Docker"].years(AS_OF) is None  # listed under Skills only
    assert profile.years_experience(AS_OF) == 10.1


def test_education_languages_and_places_are_read(profile):
    """A BSc is a bachelor's in Computer Science; English native, French fluent; London."""
    (degree,) = profile.education
    assert (degree.level, degree.field_of_study, degree.year) == (
        DegreeLevel.BACHELOR,
        "Computer Science",
        2014,
    )
    assert [(lang.name, lang.level) for lang in profile.languages] == [
        ("English", "native"),
        ("French", "fluent"),
    ]
    assert profile.locations == ("London, UK",)
    assert profile.summary
    assert "Python services" in profile.summary


def test_the_profile_names_the_resume_version(profile):
    """The profile records which version it was parsed from."""
    assert profile.resume_id == uuid.UUID(int=8)
    assert profile.edited is False


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Engineer, Jan 2019 \u2013 Present", "2019-01", None),
        ("Engineer (2017-2020)", "2017-01", "2020-01"),
        ("worked there between 2013 and 2016", "2013-01", "2016-01"),
        ("March 2018 to Sept 2021", "2018-03", "2021-09"),
        ("03/2018 - 11/2019", "2018-03", "2019-11"),
        ("2019-04 \u2014 current", "2019-04", None),
        ("since 2021", "2021-01", None),
    ],
)
def test_date_ranges_in_the_forms_people_write(text, start, end):
    """Month names, numbers, bare years, "between", "since" and "present" all read."""
    (found,) = find_date_ranges(text)
    assert str(found.period.start) == start
    assert (str(found.period.end) if found.period.end else None) == end


def test_a_range_that_ends_before_it_starts_is_ignored():
    """A typo such as "2020 - 2018" is not turned into a period."""
    assert find_date_ranges("Engineer 2020 - 2018") == ()


def test_blank_text_is_refused():
    """A résumé with no text gives no profile."""
    with pytest.raises(InvalidInput, match="no text"):
        parser().parse("   \n ", user_id=uuid.uuid4(), resume_id=None, now=NOW)


def test_text_with_nothing_to_read_is_refused_not_turned_into_an_empty_profile():
    """A shopping list yields no skill, role, education or language: 422, never an empty one."""
    with pytest.raises(InvalidInput, match="no skills, roles, education or languages"):
        parser().parse("eggs\nmilk\nbread", user_id=uuid.uuid4(), resume_id=None, now=NOW)
