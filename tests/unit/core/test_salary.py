"""Salaries: validation and annualisation."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.salary import (
    MAX_ANNUAL_SALARY,
    Salary,
    SalaryPeriod,
    normalise_currency,
)

FACTORS = {
    SalaryPeriod.HOUR: 2080,
    SalaryPeriod.DAY: 260,
    SalaryPeriod.WEEK: 52,
    SalaryPeriod.MONTH: 12,
    SalaryPeriod.YEAR: 1,
}

periods = st.sampled_from(list(SalaryPeriod))


@st.composite
def plausible_amounts(draw, period: SalaryPeriod) -> Decimal:
    """Draw a non-negative amount, in cents, whose annual figure stays plausible."""
    top = MAX_ANNUAL_SALARY / period.per_year
    return draw(st.decimals(min_value=0, max_value=top, places=2))


@pytest.mark.parametrize(("period", "factor"), FACTORS.items())
def test_each_period_annualises_by_its_working_year(period, factor):
    """Per year: 2080 hours, 260 days, 52 weeks, 12 months, 1 year."""
    salary = Salary(Decimal(10), Decimal(20), "GBP", period)
    assert period.per_year == factor
    assert salary.annual_min == 10 * factor
    assert salary.annual_max == 20 * factor


def test_annual_figures_round_to_whole_units_half_even():
    """Annual figures are whole currency units, rounded half to even."""
    assert Salary(Decimal("10.50"), None, "GBP", SalaryPeriod.MONTH).annual_min == 126
    assert Salary(Decimal("0.125"), None, "GBP", SalaryPeriod.HOUR).annual_min == 260
    assert Salary(Decimal("2.5"), None, "GBP").annual_min == 2
    assert Salary(Decimal("3.5"), None, "GBP").annual_min == 4


@given(st.data(), periods)
def test_annual_min_never_exceeds_annual_max(data, period):
    """Whenever minimum ≤ maximum, the annual minimum ≤ the annual maximum."""
    low, high = sorted(data.draw(st.lists(plausible_amounts(period), min_size=2, max_size=2)))
    salary = Salary(low, high, "EUR", period)
    assert salary.annual_min is not None
    assert salary.annual_max is not None
    assert salary.annual_min <= salary.annual_max
    assert salary.annual_low <= salary.annual_high


@given(st.data(), periods)
def test_annualising_preserves_the_order_of_two_salaries(data, period):
    """Of two salaries paid per the same period, the larger never annualises to less."""
    a, b = data.draw(st.lists(plausible_amounts(period), min_size=2, max_size=2))
    annual_a = Salary(a, None, "USD", period).annual_low
    annual_b = Salary(b, None, "USD", period).annual_low
    if a <= b:
        assert annual_a <= annual_b
    else:
        assert annual_a >= annual_b


@given(st.data(), periods)
def test_annual_figure_is_within_half_a_unit_of_the_exact_product(data, period):
    """The annual figure is the stated amount times the period's factor, rounded to a unit."""
    amount = data.draw(plausible_amounts(period))
    annual = Salary(amount, None, "USD", period).annual_low
    assert annual == annual.to_integral_value()
    assert abs(annual - amount * FACTORS[period]) <= Decimal("0.5")


@given(st.decimals(), st.decimals(), periods)
def test_any_pair_of_numbers_is_a_salary_or_an_invalid_input(low, high, period):
    """Whatever the figures (NaN, infinities, huge exponents), construction never crashes."""
    field: str | None = None
    salary: Salary | None = None
    try:
        salary = Salary(low, high, "USD", period)
    except InvalidInput as error:
        field = error.field
    if salary is None:
        assert field in {"salary_minimum", "salary_maximum", "salary_min", "salary_max"}
    else:
        assert salary.annual_high <= MAX_ANNUAL_SALARY


@pytest.mark.parametrize(
    "bad",
    [
        Decimal(-1),
        Decimal("-0.01"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
)
def test_rejects_negative_and_non_finite_amounts(bad):
    """Negative, NaN and infinite amounts are refused, naming the bound."""
    with pytest.raises(InvalidInput) as minimum:
        Salary(bad, None, "GBP")
    assert minimum.value.field == "salary_minimum"
    with pytest.raises(InvalidInput) as maximum:
        Salary(None, bad, "GBP")
    assert maximum.value.field == "salary_maximum"


def test_rejects_minimum_above_maximum():
    """A minimum above the maximum is refused."""
    with pytest.raises(InvalidInput, match="above the maximum") as caught:
        Salary(Decimal(50_000), Decimal(40_000), "GBP")
    assert caught.value.field == "salary_min"


def test_rejects_a_salary_without_bounds():
    """A salary needs a minimum or a maximum."""
    with pytest.raises(InvalidInput, match="minimum or a maximum"):
        Salary(None, None, "GBP")


@pytest.mark.parametrize("code", ["usd", "Usd", "US", "USDD", "", " USD", "12A", "€"])
def test_salary_rejects_anything_but_an_upper_case_iso_code(code):
    """Salary takes only an upper-case three-letter code: normalising is the adapters' job."""
    with pytest.raises(InvalidInput) as caught:
        Salary(Decimal(1), None, code)
    assert caught.value.field == "salary_currency"


@pytest.mark.parametrize(("raw", "code"), [("usd", "USD"), (" gbp ", "GBP"), ("EUR", "EUR")])
def test_normalise_currency_upper_cases_and_strips(raw, code):
    """normalise_currency turns a sloppy code into the ISO form."""
    assert normalise_currency(raw) == code


@pytest.mark.parametrize("raw", ["us", "usdd", "12a", "", "€", "u s d"])
def test_normalise_currency_rejects_non_codes(raw):
    """normalise_currency refuses what is not three letters."""
    with pytest.raises(InvalidInput) as caught:
        normalise_currency(raw)
    assert caught.value.field == "salary_currency"


@pytest.mark.parametrize(
    ("minimum", "maximum", "period"),
    [
        (None, MAX_ANNUAL_SALARY + 1, SalaryPeriod.YEAR),
        (Decimal(50_000), None, SalaryPeriod.HOUR),
        (Decimal(1), Decimal("1e30"), SalaryPeriod.YEAR),
        (Decimal("1e30"), None, SalaryPeriod.HOUR),
        (None, Decimal("9e999999"), SalaryPeriod.HOUR),
    ],
)
def test_rejects_implausibly_large_salaries(minimum, maximum, period):
    """Annual figures above the plausible maximum are refused as input, never a decimal error."""
    with pytest.raises(InvalidInput, match="implausibly large") as caught:
        Salary(minimum, maximum, "USD", period)
    assert caught.value.field == "salary_max"


def test_accepts_the_plausible_maximum_itself():
    """Exactly the maximum annual salary is still plausible."""
    assert Salary(None, MAX_ANNUAL_SALARY, "USD").annual_max == MAX_ANNUAL_SALARY


def test_one_bound_stands_for_both_ends():
    """With one bound, annual_low and annual_high are that bound's annual figure."""
    only_min = Salary(Decimal(20), None, "GBP", SalaryPeriod.HOUR)
    assert only_min.annual_max is None
    assert only_min.annual_low == only_min.annual_high == 41_600
    only_max = Salary(None, Decimal(3_000), "GBP", SalaryPeriod.MONTH)
    assert only_max.annual_min is None
    assert only_max.annual_low == only_max.annual_high == 36_000


def test_estimated_defaults_to_stated():
    """A salary is the employer's word unless marked estimated."""
    assert Salary(Decimal(1), None, "GBP").estimated is False
    assert Salary(Decimal(1), None, "GBP", estimated=True).estimated is True
