"""Job-title normalisation to O*NET occupations, and the seniority a title states."""

from __future__ import annotations

import pytest

from jobraker_adapters.taxonomy import load_title_normaliser
from jobraker_core.matching.skills import Seniority, TitleNormaliser, seniority_of

OCCUPATIONS = {
    "15-1252.00": "Software Developers",
    "29-1141.00": "Registered Nurses",
    "35-1011.00": "Chefs and Head Cooks",
    "25-2021.00": "Elementary School Teachers, Except Special Education",
    "25-2031.00": "Secondary School Teachers, Except Special and Career/Technical Education",
    "11-9032.00": "Education Administrators, Kindergarten through Secondary",
}
ALTERNATES = [
    ("15-1252.00", "Software Engineer"),
    ("15-1252.00", "Python Developer"),
    ("15-1252.00", "Application Developer"),
    ("29-1141.00", "Staff Nurse"),
    ("29-1141.00", "RN"),
    ("29-1141.00", "ICU Nurse"),
    ("35-1011.00", "Sous Chef"),
    ("35-1011.00", "Head Chef"),
    ("25-2021.00", "Teacher"),
    ("25-2021.00", "Elementary School Teacher"),
    ("25-2031.00", "Teacher"),
    ("25-2031.00", "High School Teacher"),
    ("25-2031.00", "Math Teacher"),
    ("11-9032.00", "Principal"),
    ("99-9999.00", "Title Of An Unknown Occupation"),
]
NORMALISER = TitleNormaliser(OCCUPATIONS, ALTERNATES)


@pytest.mark.parametrize(
    ("title", "occupation", "matched", "seniority"),
    [
        ("Senior Software Engineer (m/w/d)", "Software Developers", "Software Engineer",
         Seniority.SENIOR),
        ("Jr. Python Developer - Payments Team | Berlin", "Software Developers",
         "Python Developer", Seniority.JUNIOR),
        ("Software Engineer (all genders), Remote", "Software Developers", "Software Engineer",
         None),
        ("Staff Software Engineer", "Software Developers", "Software Engineer", Seniority.LEAD),
        ("Software Engineer III", "Software Developers", "Software Engineer", Seniority.SENIOR),
        ("Staff Nurse", "Registered Nurses", "Staff Nurse", None),
        ("RN", "Registered Nurses", "RN", None),
        ("Registered Nurse", "Registered Nurses", "Registered Nurses", None),
        ("ICU Nurses", "Registered Nurses", "ICU Nurse", None),
        ("Head Chef", "Chefs and Head Cooks", "Head Chef", Seniority.EXECUTIVE),
        ("Sous-Chef (h/f)", "Chefs and Head Cooks", "Sous Chef", None),
    ],
)  # fmt: skip
def test_titles_map_to_their_occupation_through_alternate_titles(
    title, occupation, matched, seniority
):
    """Gender tags, seniority, employment words and trailing qualifiers fold away exactly."""
    result = NORMALISER.normalise(title)
    assert result is not None
    assert (result.title, result.matched, result.score, result.seniority) == (
        occupation,
        matched,
        1.0,
        seniority,
    )


def test_a_title_with_extra_words_matches_by_its_informative_words():
    """A title that is no alternate title ("Lead ICU Registered Nurse") matches by its words."""
    result = NORMALISER.normalise("Lead ICU Registered Nurse, night shifts")
    assert result is not None
    assert result.code == "29-1141.00"
    assert 0.75 <= result.score < 1.0
    assert result.seniority is Seniority.LEAD


def test_a_title_no_occupation_resembles_is_not_forced_onto_one():
    """Unknown titles and words shared only by chance give None."""
    assert NORMALISER.normalise("Quantum Basket Weaver") is None
    assert NORMALISER.normalise("Softwareentwickler (m/w/d)") is None
    assert NORMALISER.normalise("Nurse Injector Trainer") is None
    assert NORMALISER.normalise("") is None


def test_a_title_several_occupations_share_resolves_the_same_way_every_time():
    """A shared title ("Teacher") goes to the occupation using its words most, in any order."""
    reversed_order = TitleNormaliser(OCCUPATIONS, list(reversed(ALTERNATES)))
    first, second = NORMALISER.normalise("Teacher"), reversed_order.normalise("Teacher")
    assert first is not None
    assert first == second
    assert first.code == "25-2031.00"


def test_alternates_of_unknown_occupations_are_ignored():
    """An alternate title whose occupation code is unknown maps to nothing."""
    assert NORMALISER.normalise("Title of an Unknown Occupation") is None


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("Senior Data Engineer", Seniority.SENIOR),
        ("Sr. Accountant", Seniority.SENIOR),
        ("Junior Developer", Seniority.JUNIOR),
        ("Jr Analyst", Seniority.JUNIOR),
        ("Entry-Level Analyst", Seniority.JUNIOR),
        ("Software Engineering Intern", Seniority.INTERN),
        ("Werkstudent Marketing (m/w/d)", Seniority.INTERN),
        ("Mid-Level Designer", Seniority.MID),
        ("Engineer II", Seniority.MID),
        ("Engineer III", Seniority.SENIOR),
        ("Lead Engineer", Seniority.LEAD),
        ("Principal Engineer", Seniority.LEAD),
        ("Staff Engineer", Seniority.LEAD),
        ("Senior Lead Engineer", Seniority.LEAD),
        ("Head of Data", Seniority.EXECUTIVE),
        ("VP Engineering", Seniority.EXECUTIVE),
        ("Staff Nurse", None),
        ("Nurse", None),
        ("Teacher (all genders)", None),
        ("Seniorenbetreuer", None),
    ],
)
def test_seniority_of_reads_the_level_a_title_states(title, level):
    """seniority_of finds the stated level, the highest one when several are named."""
    assert seniority_of(title) is level


@pytest.mark.parametrize(
    ("title", "occupation"),
    [
        ("Senior Software Engineer (m/w/d)", "Software Developers"),
        ("Registered Nurse - ICU", "Registered Nurses"),
        ("Staff Nurse", "Registered Nurses"),
        ("Jr. Data Scientist", "Data Scientists"),
        ("Truck Driver - CDL A", "Heavy and Tractor-Trailer Truck Drivers"),
        ("Customer Service Representative (Remote)", "Customer Service Representatives"),
        ("Barista", "Baristas"),
        ("Dental Hygienist", "Dental Hygienists"),
        ("Mechanical Engineer III", "Mechanical Engineers"),
    ],
)
def test_the_shipped_o_net_titles_normalise_everyday_titles(title, occupation):
    """The shipped alternate titles cover common job titles across occupations."""
    result = load_title_normaliser().normalise(title)
    assert result is not None
    assert result.title == occupation


def test_the_shipped_normaliser_is_loaded_once():
    """load_title_normaliser caches its result for the process."""
    assert load_title_normaliser() is load_title_normaliser()
