"""Career insight.

What the person's best matches ask for that the profile does not show, and what those jobs pay.

Salaries are summarised per currency and never converted: a person whose matches pay in GBP and
in EUR sees two ranges.
"""

from __future__ import annotations

from decimal import Decimal
from statistics import median
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.market.model import midpoint, percentile, whole

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobraker_core.matching.explain import Match

BEST_MATCHES: Final = 20
"""How many of the best (not excluded) matches the insight looks at."""


@attrs.frozen
class SkillGap:
    """A skill missing from the profile, and how many of the best matches ask for it."""

    name: str
    skill_id: str | None
    jobs: int
    required_by: int
    """Of ``jobs``, how many say it is required."""


@attrs.frozen
class SalaryRange:
    """What the best matches paid in one currency, as yearly figures."""

    currency: str
    jobs: int
    low: Decimal
    high: Decimal
    median: Decimal
    """The median of each job's midpoint ((lowest + highest) / 2)."""
    p25: Decimal | None = None
    """The lower quartile of the midpoints (``percentile_cont``, as market insight)."""
    p75: Decimal | None = None
    """The upper quartile of the midpoints."""
    estimated: int = 0
    """Of ``jobs``, how many give an estimated salary rather than the employer's."""


@attrs.frozen
class CareerInsight:
    """The skills most often missing from the best matches, and the pay of those matches."""

    matches: int
    skills: tuple[SkillGap, ...]
    salaries: tuple[SalaryRange, ...]


def career_insight(best: Sequence[Match], *, limit: int = 20) -> CareerInsight:
    """Summarise ``best`` (the person's best matches): missing skills, most asked first."""
    counts: dict[str, list[int]] = {}
    names: dict[str, tuple[str, str | None]] = {}
    for match in best:
        for skill in match.missing_skills:
            key = skill.skill_id or f"text:{skill.name.casefold()}"
            entry = counts.setdefault(key, [0, 0])
            entry[0] += 1
            entry[1] += skill.required is True
            names.setdefault(key, (skill.name, skill.skill_id))
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    gaps = tuple(
        SkillGap(names[key][0], names[key][1], jobs, required)
        for key, (jobs, required) in ordered[:limit]
    )
    by_currency: dict[str, list[tuple[Decimal, Decimal]]] = {}
    estimated: dict[str, int] = {}
    for match in best:
        salary = match.job.salary
        if salary is not None:
            by_currency.setdefault(salary.currency, []).append(
                (salary.annual_low, salary.annual_high)
            )
            estimated[salary.currency] = estimated.get(salary.currency, 0) + salary.estimated
    salaries = tuple(
        SalaryRange(
            currency=currency,
            jobs=len(ranges),
            low=min(low for low, _ in ranges),
            high=max(high for _, high in ranges),
            median=Decimal(median((low + high) / 2 for low, high in ranges)).quantize(Decimal(1)),
            p25=whole(percentile(sorted(midpoint(lo, hi) for lo, hi in ranges), 0.25)),
            p75=whole(percentile(sorted(midpoint(lo, hi) for lo, hi in ranges), 0.75)),
            estimated=estimated.get(currency, 0),
        )
        for currency, ranges in sorted(by_currency.items(), key=lambda i: (-len(i[1]), i[0]))
    )
    return CareerInsight(matches=len(best), skills=gaps, salaries=salaries)
