"""Salaries as stated by a posting, and their annualised equivalent."""

from __future__ import annotations

import enum
import re
from decimal import ROUND_HALF_EVEN, Decimal

import attrs

from jobraker_core.errors import InvalidInput

_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_ANNUAL_SALARY = Decimal(100_000_000)


class SalaryPeriod(enum.StrEnum):
    """The period a stated salary figure is paid for."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"

    @property
    def per_year(self) -> Decimal:
        """How many of this period make a working year (2080 h, 260 d, 52 w, 12 m)."""
        return _PER_YEAR[self]


_PER_YEAR = {
    SalaryPeriod.HOUR: Decimal(2080),
    SalaryPeriod.DAY: Decimal(260),
    SalaryPeriod.WEEK: Decimal(52),
    SalaryPeriod.MONTH: Decimal(12),
    SalaryPeriod.YEAR: Decimal(1),
}


def _amount(_: object, attribute: attrs.Attribute[Decimal | None], value: Decimal | None) -> None:
    if value is None:
        return
    if not value.is_finite() or value < 0:
        raise InvalidInput(
            f"salary {attribute.name} must be a non-negative number",
            field=f"salary_{attribute.name}",
        )


def _currency(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not _CURRENCY.match(value):
        raise InvalidInput(
            f"salary currency {value!r} is not an ISO 4217 code such as USD",
            field="salary_currency",
        )


def normalise_currency(code: str) -> str:
    """Return an ISO 4217 code in upper case, or raise ``InvalidInput`` for anything else."""
    cleaned = code.strip().upper()
    if not _CURRENCY.match(cleaned):
        raise InvalidInput(
            f"currency {code!r} is not an ISO 4217 code such as USD", field="salary_currency"
        )
    return cleaned


def _annualise(amount: Decimal, period: SalaryPeriod) -> Decimal:
    return (amount * period.per_year).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


@attrs.frozen
class Salary:
    """A salary range as the posting states it, in one currency, for one period.

    ``estimated`` is true when the figure is a source's estimate rather than the employer's word
    (Adzuna's ``salary_is_predicted``). At least one bound is present; ``minimum <= maximum``.
    """

    minimum: Decimal | None = attrs.field(validator=_amount)
    maximum: Decimal | None = attrs.field(validator=_amount)
    currency: str = attrs.field(validator=_currency)
    period: SalaryPeriod = SalaryPeriod.YEAR
    estimated: bool = False

    def __attrs_post_init__(self) -> None:
        """Check the range as a whole."""
        if self.minimum is None and self.maximum is None:
            raise InvalidInput("a salary needs a minimum or a maximum", field="salary_min")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise InvalidInput(
                f"salary minimum {self.minimum} is above the maximum {self.maximum}",
                field="salary_min",
            )
        top = self.maximum if self.maximum is not None else self.minimum
        # Compare before annualising: rounding a huge figure to whole units would overflow the
        # decimal context and raise ``decimal.InvalidOperation`` instead of a domain error.
        if top is not None and (
            top > MAX_ANNUAL_SALARY or top * self.period.per_year > MAX_ANNUAL_SALARY
        ):
            raise InvalidInput("salary is implausibly large", field="salary_max")

    @property
    def annual_min(self) -> Decimal | None:
        """The lower bound as a yearly figure in whole currency units (None when not stated)."""
        return None if self.minimum is None else _annualise(self.minimum, self.period)

    @property
    def annual_max(self) -> Decimal | None:
        """The upper bound as a yearly figure in whole currency units (None when not stated)."""
        return None if self.maximum is None else _annualise(self.maximum, self.period)

    @property
    def annual_low(self) -> Decimal:
        """The lowest yearly figure the posting implies (the minimum, else the maximum)."""
        low = self.annual_min if self.annual_min is not None else self.annual_max
        assert low is not None  # guaranteed by __attrs_post_init__  # noqa: S101
        return low

    @property
    def annual_high(self) -> Decimal:
        """The highest yearly figure the posting implies (the maximum, else the minimum)."""
        high = self.annual_max if self.annual_max is not None else self.annual_min
        assert high is not None  # guaranteed by __attrs_post_init__  # noqa: S101
        return high
