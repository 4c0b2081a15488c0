"""Data engineer postings with known salaries, and the figures computed independently of Jobraker.

``ANALYSED`` are stored before ``AnalyseMarket`` runs; ``LATE`` is stored after, so it is not
analysed yet. ``expected_percentiles`` recomputes p10 to p90 with the standard library
(``statistics.quantiles``, inclusive method: linear interpolation like ``percentile_cont``).
"""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_EVEN, Decimal

from jobraker_core.jobs.salary import Salary
from unit.assistant.chat_world import posting

QUESTION = "what does a data engineer earn in London?"


def _gbp(low: int, high: int, *, estimated: bool = False) -> Salary:
    return Salary(Decimal(low), Decimal(high), "GBP", estimated=estimated)


STATED = [(50_000, 60_000), (55_000, 65_000), (60_000, 70_000), (70_000, 90_000), (80_000, 100_000)]
ESTIMATED = [(45_000, 55_000), (52_000, 58_000)]

ANALYSED = (
    *(
        posting(100 + n, "Data Engineer", f"Firm {n}", "Requirements:\n- SQL", salary=_gbp(*pay))
        for n, pay in enumerate(STATED)
    ),
    *(
        posting(
            110 + n,
            "Senior Data Engineer",
            f"Board {n}",
            "Requirements:\n- SQL",
            salary=_gbp(*pay, estimated=True),
        )
        for n, pay in enumerate(ESTIMATED)
    ),
    posting(
        120,
        "Data Engineer",
        "Elsewhere",
        "Requirements:\n- SQL",
        city="Manchester",
        salary=_gbp(200_000, 220_000),
    ),
    posting(121, "Java Developer", "Other", "Requirements:\n- Java", salary=_gbp(1_000, 2_000)),
)
LATE = posting(130, "Data Engineer", "Newco", "Requirements:\n- SQL", salary=_gbp(40_000, 44_000))


def money(amount: Decimal) -> str:
    """``GBP 57,000``."""
    return f"GBP {amount:,.0f}"


def expected_percentiles(pays: list[tuple[int, int]]) -> tuple[str, ...]:
    """p10, p25, median, p75, p90 of the midpoints of ``pays``, as the answer writes them."""
    middles = [(low + high) / 2 for low, high in pays]
    deciles = statistics.quantiles(middles, n=10, method="inclusive")
    quartiles = statistics.quantiles(middles, n=4, method="inclusive")
    figures = (deciles[0], quartiles[0], statistics.median(middles), quartiles[2], deciles[8])
    return tuple(
        money(Decimal(repr(f)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)) for f in figures
    )


def expected_lines() -> tuple[str, str]:
    """The two percentile lines the local assistant must write."""
    stated = expected_percentiles(STATED)
    estimated = expected_percentiles(ESTIMATED)
    return (
        (
            f"GBP, stated by the employer ({len(STATED)} job(s)): 10th percentile {stated[0]}, "
            f"25th {stated[1]}, median {stated[2]}, 75th {stated[3]}, 90th {stated[4]} a year"
        ),
        (
            f"GBP, estimated by the job board ({len(ESTIMATED)} job(s)): 10th percentile "
            f"{estimated[0]}, 25th {estimated[1]}, median {estimated[2]}, 75th {estimated[3]}, "
            f"90th {estimated[4]} a year"
        ),
    )
