"""PostgreSQL search agrees with the in-memory fake, result for result, on a random corpus."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
import pytest

from contract.builders import SEEN, make_job, salary
from jobraker_adapters.memory import InMemoryUnitOfWorkFactory
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_core.jobs.model import EmploymentType, JobPosting, JobQuery, JobSort, RemoteMode
from jobraker_core.jobs.salary import SalaryPeriod
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_adapters.postgres.pool import Pool
    from jobraker_core.ports import UnitOfWorkFactory

pytestmark = pytest.mark.integration

# Words whose English stems are all different, none a stop word: for them PostgreSQL's stemmed
# matching and the fake's exact word matching must select the same postings.
WORDS = [
    "python",
    "java",
    "rust",
    "kotlin",
    "data",
    "cloud",
    "nurse",
    "teacher",
    "driver",
    "warehouse",
    "finance",
    "sales",
    "design",
    "security",
    "mobile",
    "platform",
]
CITIES = ["London", "Londonderry", "Manchester", "Leeds", "Bristol", "Zürich", "Paris"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", None]
CATEGORIES = ["IT Jobs", "Healthcare", "Logistics", None]


def random_job(rng: random.Random) -> JobPosting:
    """Make a posting with every field drawn at random."""
    pay = None
    if rng.random() < 0.7:
        low = rng.randint(10, 90) * 1000
        pay = rng.choice(
            [
                salary(low, low + rng.choice([0, 5000, 20000]), rng.choice(["GBP", "USD"])),
                salary(None, low, "GBP"),
                salary(rng.randint(10, 60), None, "GBP", SalaryPeriod.HOUR),
            ]
        )
    return make_job(
        " ".join(rng.sample(WORDS, 2)).title(),
        description=" ".join(rng.choices(WORDS, k=12)) + ".",
        company=rng.choice(COMPANIES),
        city=rng.choice([*CITIES, None]),
        region=rng.choice(["England", "Scotland", None]),
        country=rng.choice(["GB", "US", None]),
        remote=rng.choice([*RemoteMode, None]),
        pay=pay,
        employment_type=rng.choice([*EmploymentType, None]),
        category=rng.choice(CATEGORIES),
        # Few distinct dates and first-seen times, so the order's tie-breaks are exercised.
        posted_at=rng.choice([None, SEEN - timedelta(days=rng.randint(0, 6))]),
        first_seen=SEEN + timedelta(hours=rng.randint(0, 3)),
    )


def random_query(rng: random.Random) -> JobQuery:  # noqa: C901 - one draw per filter
    """Make a query with a random subset of filters and a random order."""
    fields: dict[str, object] = {"sort": rng.choice(list(JobSort))}
    if rng.random() < 0.4:
        fields["text"] = " ".join(rng.sample(WORDS, rng.randint(1, 2)))
    if rng.random() < 0.25:
        city = rng.choice(CITIES)
        start = rng.randint(0, len(city) - 3)
        fields["location"] = city[start : start + 3].upper()
    if rng.random() < 0.2:
        fields["country"] = rng.choice(["GB", "US"])
    if rng.random() < 0.2:
        fields["remote"] = rng.choice(list(RemoteMode))
    if rng.random() < 0.2:
        fields["employment_type"] = rng.choice(list(EmploymentType))
    if rng.random() < 0.15:
        fields["company"] = str(rng.choice(COMPANIES[:-1])).lower()
    if rng.random() < 0.15:
        fields["category"] = str(rng.choice(CATEGORIES[:-1])).upper()
    if rng.random() < 0.2:
        fields["posted_since"] = SEEN - timedelta(days=rng.randint(0, 6))
    if rng.random() < 0.3:
        fields["currency"] = rng.choice(["GBP", "USD"])
        low = Decimal(rng.randint(0, 80) * 1000)
        if rng.random() < 0.7:
            fields["salary_min"] = low
        if rng.random() < 0.5:
            fields["salary_max"] = low + Decimal(rng.randint(0, 60) * 1000)
    return JobQuery(**fields)  # type: ignore[arg-type]


def page_ids(
    uow_factory: UnitOfWorkFactory, query: JobQuery, page: PageRequest
) -> tuple[int, list[str]]:
    """Search one page; return the total and the ids in order."""
    with uow_factory() as uow:
        found = uow.jobs.search(query, page)
    return found.total, [str(job.id) for job in found.items]


def test_postgresql_search_matches_the_fake(db: str, pg_pool: Pool) -> None:
    """On 400 random postings and 150 random queries, PostgreSQL returns what the fake returns."""
    rng = random.Random(20260115)
    corpus = [random_job(rng) for _ in range(400)]
    postgres, memory = PostgresUnitOfWorkFactory(pg_pool), InMemoryUnitOfWorkFactory()
    for factory in (postgres, memory):
        with factory() as uow:
            uow.jobs.save(corpus)
            uow.commit()

    for _ in range(150):
        query = random_query(rng)
        if query.effective_sort is JobSort.RELEVANCE:
            # The two rank differently by design; what matches, and its date order, may not.
            query = attrs.evolve(query, sort=JobSort.DATE)
        page = PageRequest(page=rng.randint(1, 3), per_page=rng.choice([5, 20, 100]))

        assert page_ids(postgres, query, page) == page_ids(memory, query, page), query
