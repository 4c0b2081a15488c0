"""The candidate profile: months and periods, years of experience, seniority, validation."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.matching.candidate import (
    EXCERPT_CHARS,
    CandidateProfile,
    CandidateSkill,
    Evidence,
    Period,
    Role,
    YearMonth,
    union_years,
)
from jobraker_core.matching.skills import Seniority

AS_OF = YearMonth(2026, 1)


def test_a_closed_period_counts_its_months_inclusively():
    """January to December of one year is twelve months."""
    assert Period(YearMonth(2020, 1), YearMonth(2020, 12)).months(AS_OF) == 12


def test_an_open_period_runs_to_the_day_it_is_asked():
    """A role "to the present" keeps counting: the years grow with ``as_of``."""
    role = Role(title="Engineer", period=Period(YearMonth(2020, 1)))
    assert role.years(YearMonth(2022, 1)) == 2.0
    assert role.years(YearMonth(2025, 1)) == 5.0


def test_a_period_that_ends_before_it_starts_is_refused():
    """An end before the start is an input error, not a negative length."""
    with pytest.raises(InvalidInput):
        Period(YearMonth(2020, 5), YearMonth(2019, 1))


def test_overlapping_roles_count_once():
    """Two overlapping periods cover their union, not their sum."""
    periods = [
        Period(YearMonth(2015, 1), YearMonth(2018, 12)),
        Period(YearMonth(2017, 1), YearMonth(2019, 12)),
    ]
    assert union_years(periods, AS_OF) == 5.0


@given(st.lists(st.tuples(st.integers(1990, 2025), st.integers(0, 60)), max_size=6))
def test_union_years_is_at_most_the_sum_and_at_least_the_longest(spans):
    """However periods overlap, the union lies between the longest and the sum."""
    periods = []
    for year, months in spans:
        start = YearMonth(year, 1)
        end_index = min(start.index + months, AS_OF.index)
        periods.append(Period(start, YearMonth(end_index // 12, end_index % 12 + 1)))
    total = union_years(periods, AS_OF)
    lengths = [p.months(AS_OF) / 12 for p in periods]
    assert total <= round(sum(lengths), 1) + 0.1
    assert total >= round(max(lengths, default=0.0), 1) - 0.1


def test_months_parse_from_year_month_text():
    """``YYYY-MM`` and ``YYYY`` both read; anything else is refused."""
    assert YearMonth.parse("2021-03") == YearMonth(2021, 3)
    assert YearMonth.parse("2021") == YearMonth(2021, 1)
    with pytest.raises(InvalidInput):
        YearMonth.parse("March 2021")


def test_seniority_comes_from_the_latest_title_else_from_years():
    """A title that says "Lead" wins; otherwise the years decide."""
    lead = Role(title="Lead Engineer", period=Period(YearMonth(2024, 1)), seniority=Seniority.LEAD)
    early = Role(title="Engineer", period=Period(YearMonth(2016, 1), YearMonth(2023, 12)))
    user = uuid.uuid4()
    assert CandidateProfile(user, None, roles=(early, lead)).seniority(AS_OF) is Seniority.LEAD
    assert CandidateProfile(user, None, roles=(early,)).seniority(AS_OF) is Seniority.SENIOR
    assert CandidateProfile(user, None).seniority(AS_OF) is None


def test_the_same_skill_is_kept_once():
    """Two entries of one canonical skill (or one written name) collapse to the first."""
    profile = CandidateProfile(
        uuid.uuid4(),
        None,
        skills=(
            CandidateSkill("Python", "onet:python"),
            CandidateSkill("python3", "onet:python"),
            CandidateSkill("Team work"),
            CandidateSkill("team  WORK"),
        ),
    )
    assert [s.name for s in profile.skills] == ["Python", "Team work"]


def test_blank_skill_names_are_refused():
    """A skill needs a name."""
    with pytest.raises(InvalidInput):
        CandidateSkill("   ")


# ----------------------------------------------------------------------------- excerpts

WORDS = st.lists(
    st.text(alphabet="abcdefghij", min_size=1, max_size=12), min_size=1, max_size=120
).map(" ".join)


@given(before=WORDS, needle=st.text(alphabet="XYZ", min_size=1, max_size=30), after=WORDS)
def test_an_excerpt_keeps_the_evidence_and_stays_short(before, needle, after):
    """The evidence's text is in its excerpt, which is at most the limit plus the cut marks."""
    context = f"{before} {needle} {after}"
    excerpt = Evidence(text=needle, context=context).excerpt()
    assert excerpt is not None
    assert needle in excerpt
    assert len(excerpt) <= EXCERPT_CHARS + 2
    assert excerpt.strip("…") in context
    assert excerpt.startswith("…") == (not context.startswith(excerpt.strip("…")))
    assert excerpt.endswith("…") == (not context.endswith(excerpt.strip("…")))


def test_a_short_context_is_shown_whole_and_none_stays_none():
    """Nothing to cut: the context as it is."""
    assert Evidence(text="Go", context="Go and Rust").excerpt() == "Go and Rust"
    assert Evidence(text="Go").excerpt() is None


def test_a_long_line_is_cut_around_the_evidence_at_word_boundaries():
    """A paragraph-long line becomes the words around the evidence, marked where cut."""
    context = " ".join(["filler"] * 60 + ["Kubernetes"] + ["tail"] * 60)
    excerpt = Evidence(text="kubernetes", context=context).excerpt(limit=60)
    assert excerpt is not None
    assert excerpt.startswith("…filler")
    assert excerpt.endswith("tail…")
    assert "Kubernetes" in excerpt
    assert "fil…" not in excerpt
    assert "…ler" not in excerpt


def test_evidence_not_found_in_its_context_shows_the_start():
    """When the text is not in the line (a normalised name), the line's start is shown."""
    context = "word " * 100
    excerpt = Evidence(text="PostgreSQL", context=context).excerpt(limit=50)
    assert excerpt is not None
    assert excerpt.startswith("word")
    assert excerpt.endswith("…")
