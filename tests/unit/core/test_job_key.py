"""The canonical job key: what counts as the same job, whatever the source."""

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jobraker_core.jobs.model import (
    _LEGAL_SUFFIXES,
    Location,
    RemoteMode,
    canonical_job_key,
)
from jobraker_core.jobs.text import fold

LONDON = Location(city="London", country_code="GB")
ACCENTS = {"a": "àáâäå", "e": "éèêë", "i": "íìîï", "o": "óòôöõ", "u": "úùûü", "c": "ç", "n": "ñ"}
SEPARATORS = [" ", "  ", "\t", " - ", ", ", " / ", " · ", "_", ". "]

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
company_words = words.filter(lambda w: w not in _LEGAL_SUFFIXES)
titles = st.lists(words, min_size=1, max_size=4)
companies = st.lists(company_words, min_size=1, max_size=3)
cities = st.lists(words, min_size=1, max_size=2)


def key(title="Python Developer", company="Acme", location=LONDON, description="Build APIs."):
    """Key a posting that differs from a reference one only where told."""
    return canonical_job_key(
        title=title, company=company, location=location, description=description
    )


@st.composite
def spelled(draw, parts: list[str]) -> str:
    """``parts`` as a sloppy source might write them: case, accents, spacing and punctuation."""
    out = draw(st.sampled_from(["", " ", "  ", "* "]))
    for index, part in enumerate(parts):
        if index:
            out += draw(st.sampled_from(SEPARATORS))
        for char in part:
            variants = [char, char.upper(), *ACCENTS.get(char, "")]
            out += draw(st.sampled_from(variants))
    return out + draw(st.sampled_from(["", " ", "!", " .", "\n"]))


@given(titles, companies, cities, st.data())
def test_key_ignores_case_accents_spacing_and_punctuation(title, company, city, data):
    """Spelling the same title, company and city differently gives the same key."""
    plain = key(" ".join(title), " ".join(company), Location(city=" ".join(city)))
    sloppy = key(
        data.draw(spelled(title)),
        data.draw(spelled(company)),
        Location(city=data.draw(spelled(city))),
    )
    assert sloppy == plain


@given(titles, companies, st.sampled_from(sorted(_LEGAL_SUFFIXES)), st.data())
def test_key_ignores_legal_suffixes(title, company, suffix, data):
    """``Acme``, ``Acme Inc.`` and ``ACME, GmbH`` are the same employer."""
    bare = key(" ".join(title), " ".join(company))
    suffixed = " ".join(company) + data.draw(st.sampled_from([" ", ", ", " - "])) + suffix
    assert key(" ".join(title), data.draw(spelled([suffixed]))) == bare


@pytest.mark.parametrize(
    "company",
    [
        "Acme Inc",
        "ACME, Inc.",
        "Acme Ltd.",
        "Acme Limited",
        "Acme GmbH",
        "Acme LLC",
        "Acme L.L.C.",
        "The Acme Company",
        "Acme Corp.",
        "Acme S.A.",
        "Acme GmbH & Co. KG",
        "Acme A/S",
        "Acme AB",
        "Acme plc",
    ],
)
def test_common_legal_forms_fold_away(company):
    """Common legal forms, dotted or not, do not tell employers apart."""
    assert key(company=company) == key(company="Acme")


def test_initials_match_however_they_are_written():
    """``H&M``, ``H & M`` and ``HM`` name one employer; so do ``J. P. Morgan`` and ``JP Morgan``."""
    assert key(company="H&M") == key(company="H & M") == key(company="HM")
    assert key(company="J. P. Morgan") == key(company="JP Morgan")


@pytest.mark.parametrize(
    "tag",
    [
        "(m/f/d)",
        "(M/F/D)",
        "(m/w/d)",
        "(f/m/x)",
        "(w/m/d)",
        "(H/F)",
        "(f/h)",
        "m/w/d",
        "(mwd)",
        "(all genders)",
        "(m / f / d)",
    ],
)
def test_key_ignores_gender_tags(tag):
    """Gender tags such as ``(m/f/d)`` are not part of the title."""
    assert key(title=f"Python Developer {tag}") == key(title="Python Developer")


@given(titles, st.sampled_from(["(m/f/d)", "(m/w/d)", "(f/m/x)", "(H/F)", "m/w/d"]))
def test_key_ignores_gender_tags_in_any_title(title, tag):
    """A gender tag before or after any title leaves its key alone."""
    bare = key(" ".join(title))
    assert key(f"{' '.join(title)} {tag}") == bare
    assert key(f"{tag} {' '.join(title)}") == bare


@given(titles, titles)
def test_different_titles_give_different_keys(first, second):
    """Two titles that differ in their words are two jobs."""
    assume(first != second)
    assert key(" ".join(first)) != key(" ".join(second))


@given(companies, companies)
def test_different_companies_give_different_keys(first, second):
    """The same title at two employers is two jobs."""
    assume(first != second)
    assert key(company=" ".join(first)) != key(company=" ".join(second))


@given(cities, cities)
def test_different_cities_give_different_keys(first, second):
    """The same title at one employer in two cities is two jobs."""
    assume(first != second)
    assert key(location=Location(city=" ".join(first))) != key(
        location=Location(city=" ".join(second))
    )


def test_country_tells_same_named_cities_apart():
    """London, GB and London, CA are different places."""
    assert key(location=Location(city="London", country_code="GB")) != key(
        location=Location(city="London", country_code="CA")
    )


def test_display_text_stands_in_for_a_missing_city():
    """Without a parsed city, the display text keys the place."""
    assert key(location=Location(display="London", country_code="GB")) == key(location=LONDON)


def test_non_latin_titles_are_told_apart():
    """Titles in other scripts key on their own words instead of folding to nothing."""
    assert key(title="Программист") != key(title="Тестировщик")
    assert key(title="ソフトウェアエンジニア") != key(title="データサイエンティスト")
    assert key(title="Программист") == key(title="ПРОГРАММИСТ")


@given(cities, cities)
def test_remote_jobs_key_on_remote_whatever_the_city(first, second):
    """A remote job is the same job whichever city a source files it under."""
    assert key(location=Location(city=" ".join(first), remote=RemoteMode.REMOTE)) == key(
        location=Location(city=" ".join(second), remote=RemoteMode.REMOTE)
    )


def test_remote_and_on_site_are_different_jobs():
    """The remote version of a job and its London office version differ."""
    assert key(location=Location(city="London", remote=RemoteMode.REMOTE)) != key(
        location=Location(city="London", remote=RemoteMode.ON_SITE)
    )


@given(st.text(min_size=1), st.text(min_size=1))
def test_anonymous_postings_with_different_descriptions_differ(first, second):
    """Without a company, the description's opening keeps two same-titled postings apart."""
    assume(fold(first)[:500] != fold(second)[:500])  # the opening of the description is keyed
    assert key(company=None, description=first) != key(company=None, description=second)


def test_anonymous_postings_with_the_same_description_match():
    """Without a company, the same title, place and description are one job."""
    assert key(company=None, description="Build APIs.") == key(company="", description="build apis")


def test_with_a_company_the_description_does_not_count():
    """With a company, a reworded description is still the same job."""
    assert key(description="Build APIs.") == key(description="Something else entirely.")


def test_a_company_of_only_legal_words_counts_as_anonymous():
    """A company named only ``The Company`` is no employer: the description is keyed instead."""
    assert key(company="The Company", description="a") != key(
        company="The Company", description="b"
    )


@given(st.text(), st.one_of(st.none(), st.text()), st.text(), st.text())
def test_key_format_is_stable(title, company, city, description):
    """Every key is ``v1:`` and 40 hex digits, whatever the input."""
    made = canonical_job_key(
        title=title, company=company, location=Location(city=city), description=description
    )
    assert re.fullmatch(r"v1:[0-9a-f]{40}", made)


def test_key_is_a_pure_function_of_its_inputs():
    """The same inputs always give the same key (it is stored and compared across processes)."""
    assert key() == key() == "v1:" + key()[3:]
    assert key() == canonical_job_key(
        title="Python Developer", company="Acme", location=LONDON, description="Build APIs."
    )
