"""The ``JobRepository`` contract, run against the in-memory fake and against PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs
import pytest

from contract.builders import SEEN, make_job, salary
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.jobs.model import (
    EmploymentType,
    JobPosting,
    JobQuery,
    JobSort,
    RemoteMode,
    SourceRef,
)
from jobraker_core.jobs.salary import SalaryPeriod
from jobraker_core.pagination import Page, PageRequest

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


def store(uow_factory: UnitOfWorkFactory, *jobs: JobPosting) -> None:
    """Save ``jobs`` in one committed unit."""
    with uow_factory() as uow:
        uow.jobs.save(jobs)
        uow.commit()


def search(
    uow_factory: UnitOfWorkFactory, query: JobQuery, page: PageRequest | None = None
) -> Page[JobPosting]:
    """One page of a search, in a unit of its own."""
    with uow_factory() as uow:
        return uow.jobs.search(query, page or PageRequest(per_page=100))


def titles(page: Page[JobPosting]) -> list[str]:
    """Return the titles of a page's items, in order."""
    return [job.title for job in page.items]


def day(number: int, month: int = 1, year: int = 2026) -> datetime:
    """Noon UTC of a day."""
    return datetime(year, month, number, 12, tzinfo=UTC)


class TestSaveAndRead:
    """Saving postings and reading them back by id, source id and key."""

    def test_saved_job_reads_back_equal(self, uow_factory: UnitOfWorkFactory) -> None:
        """Every field of a saved posting, its source refs in order included, reads back equal."""
        job = make_job(
            "Backend Engineer (m/f/d)",
            description="Line one.\n\nLine two with ünïcode and 'quotes' and 100% effort.",
            company="Ünicorn GmbH",
            source="adzuna",
            source_id="123",
            display="Berlin, Deutschland",
            city="Berlin",
            region="Berlin",
            country="DE",
            remote=RemoteMode.HYBRID,
            pay=salary("4500.50", "6000", "EUR", SalaryPeriod.MONTH, estimated=True),
            employment_type=EmploymentType.CONTRACT,
            category="IT Jobs",
            posted_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
            url="https://example.com/jobs/123",
            also_seen_at=(
                SourceRef("file", "line-7", None),
                SourceRef("other", "x", "https://other.example/x"),
            ),
        )
        store(uow_factory, job)

        with uow_factory() as uow:
            assert uow.jobs.get(job.id) == job

    def test_minimal_job_reads_back_equal(self, uow_factory: UnitOfWorkFactory) -> None:
        """A posting with every optional field empty reads back equal."""
        job = make_job(company=None)
        store(uow_factory, job)

        with uow_factory() as uow:
            assert uow.jobs.get(job.id) == job

    def test_get_of_unknown_id_raises_not_found(self, uow_factory: UnitOfWorkFactory) -> None:
        """Reading an id that was never saved raises NotFound."""
        with uow_factory() as uow, pytest.raises(NotFound):
            uow.jobs.get(uuid.uuid4())

    def test_save_replaces_by_id(self, uow_factory: UnitOfWorkFactory) -> None:
        """Saving a posting again under its id replaces it, refs included, and adds no posting."""
        job = make_job()
        store(uow_factory, job)
        changed = attrs.evolve(
            job,
            title="Staff Python Developer",
            salary=salary(90_000),
            last_seen=job.last_seen + timedelta(days=1),
            sources=(*job.sources, SourceRef("other", "9", "https://other.example/9")),
        )
        store(uow_factory, changed)

        with uow_factory() as uow:
            assert uow.jobs.get(job.id) == changed
            assert uow.jobs.count() == 1

    def test_count_counts_postings(self, uow_factory: UnitOfWorkFactory) -> None:
        """count() is the number of postings, not of source refs."""
        with uow_factory() as uow:
            assert uow.jobs.count() == 0
        store(uow_factory, make_job(also_seen_at=(SourceRef("b", "1"),)), make_job())

        with uow_factory() as uow:
            assert uow.jobs.count() == 2

    def test_by_source_ids_finds_owners_and_later_sightings(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        """by_source_ids finds postings by owning and by later-seen ids of one source only."""
        owner = make_job("A", source="feed", source_id="1")
        sighted = make_job(
            "B",
            source="adzuna",
            source_id="77",
            also_seen_at=(SourceRef("feed", "2", "https://feed.example/2"),),
        )
        elsewhere = make_job("C", source="adzuna", source_id="3")
        store(uow_factory, owner, sighted, elsewhere)

        with uow_factory() as uow:
            found = uow.jobs.by_source_ids("feed", ["1", "2", "3", "404"])
            assert found == {"1": owner, "2": sighted}
            assert uow.jobs.by_source_ids("feed", []) == {}

    def test_by_keys_finds_postings_by_canonical_key(self, uow_factory: UnitOfWorkFactory) -> None:
        """by_keys maps each known key to its posting and leaves unknown keys out."""
        first, second = make_job("A"), make_job("B")
        store(uow_factory, first, second, make_job("C"))

        with uow_factory() as uow:
            assert uow.jobs.by_keys([first.key, second.key, "nope"]) == {
                first.key: first,
                second.key: second,
            }
            assert uow.jobs.by_keys([]) == {}

    def test_get_many_reads_jobs_in_the_order_asked(self, uow_factory: UnitOfWorkFactory) -> None:
        """get_many gives the postings in the order of the ids, each once, unknown ids left out."""
        first, second, third = make_job("A"), make_job("B"), make_job("C")
        store(uow_factory, first, second, third)

        with uow_factory() as uow:
            asked = [third.id, uuid.uuid4(), first.id, third.id]
            assert uow.jobs.get_many(asked) == [third, first]
            assert uow.jobs.get_many([]) == []
            assert uow.jobs.get_many([uuid.uuid4()]) == []

    def test_get_many_reads_every_field_like_get(self, uow_factory: UnitOfWorkFactory) -> None:
        """A posting read in bulk equals the same posting read alone, source refs included."""
        job = make_job(
            "Data Engineer",
            country="GB",
            pay=salary(50000, 60000, "GBP", SalaryPeriod.YEAR),
            also_seen_at=(SourceRef("adzuna", "9", "https://adzuna.example/9"),),
        )
        others = [make_job(f"Other {n}") for n in range(30)]
        store(uow_factory, job, *others)

        with uow_factory() as uow:
            bulk = uow.jobs.get_many([o.id for o in others] + [job.id])
            assert bulk[-1] == uow.jobs.get(job.id) == job
            assert bulk[:-1] == others


class TestConflicts:
    """A key or a source ref belongs to one posting only."""

    def test_new_job_with_another_jobs_key_conflicts(self, uow_factory: UnitOfWorkFactory) -> None:
        """Saving a new posting whose key another posting has raises Conflict."""
        first = make_job(key="k1")
        store(uow_factory, first)

        with uow_factory() as uow, pytest.raises(Conflict):
            uow.jobs.save([make_job("Other", key="k1")])

    def test_new_job_with_another_jobs_source_ref_conflicts(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        """Saving a posting with another posting's source ref (owned or seen) raises Conflict."""
        first = make_job(source="feed", source_id="1", also_seen_at=(SourceRef("adzuna", "9"),))
        store(uow_factory, first)

        for clash in (
            make_job(source="feed", source_id="1"),
            make_job(source="adzuna", source_id="9"),
        ):
            with uow_factory() as uow, pytest.raises(Conflict):
                uow.jobs.save([clash])

    def test_two_jobs_of_one_save_sharing_a_key_conflict(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        """One save holding two postings with the same key raises Conflict."""
        with uow_factory() as uow, pytest.raises(Conflict):
            uow.jobs.save([make_job("A", key="same"), make_job("B", key="same")])

    def test_conflicting_save_stores_nothing_and_the_unit_goes_on(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        """A save raising Conflict stores none of its postings; the unit can go on and commit."""
        first = make_job("First", key="k1")
        innocent, clash = make_job("Innocent"), make_job("Clash", key="k1")
        later = make_job("Later")
        with uow_factory() as uow:
            uow.jobs.save([first])
            with pytest.raises(Conflict):
                uow.jobs.save([innocent, clash])
            uow.jobs.save([later])
            uow.commit()

        with uow_factory() as uow:
            assert uow.jobs.count() == 2
            assert uow.jobs.by_keys([first.key, later.key, innocent.key]) == {
                first.key: first,
                later.key: later,
            }


# ----------------------------------------------------------------------------- searching


@pytest.fixture
def corpus(uow_factory: UnitOfWorkFactory) -> dict[str, JobPosting]:
    """Six varied postings, stored; by title."""
    jobs = [
        make_job(
            "Senior Python Developer",
            company="Acme",
            city="London",
            region="England",
            display="London, UK",
            country="GB",
            remote=RemoteMode.HYBRID,
            pay=salary(60_000, 80_000),
            employment_type=EmploymentType.FULL_TIME,
            category="IT Jobs",
            posted_at=day(9),
        ),
        make_job(
            "Data Engineer",
            company="Globex",
            description="Keep python pipelines running.",
            city="Manchester",
            country="GB",
            remote=RemoteMode.ON_SITE,
            pay=salary(40, None, "GBP", SalaryPeriod.HOUR),
            employment_type=EmploymentType.CONTRACT,
            category="it jobs",
            posted_at=day(5),
        ),
        make_job(
            "Frontend Developer",
            company="Initech",
            display="Remote (US)",
            country="US",
            remote=RemoteMode.REMOTE,
            pay=salary(120_000, 150_000, "USD"),
            employment_type=EmploymentType.FULL_TIME,
            category="Engineering",
            posted_at=day(8),
        ),
        make_job(
            "Nurse",
            company="St Mary's Hospital",
            city="London",
            region="Greater London",
            country="GB",
            remote=RemoteMode.ON_SITE,
            employment_type=EmploymentType.PART_TIME,
            category="Healthcare",
        ),
        make_job(
            "Python Tutor",
            company="acme",
            display="Newcastle upon Tyne 100%",
            country="GB",
            pay=salary(None, 30_000),
            employment_type=EmploymentType.TEMPORARY,
            posted_at=day(1, 12, 2025),
        ),
        make_job(
            "Warehouse Operative",
            company=None,
            city="Londonderry",
            region="Northern Ireland",
            country="GB",
            pay=salary(25_000, 27_000, estimated=True),
            employment_type=EmploymentType.FULL_TIME,
            category="Logistics",
            posted_at=day(10),
        ),
    ]
    store(uow_factory, *jobs)
    return {job.title: job for job in jobs}


DATE_ORDER = [
    "Warehouse Operative",
    "Senior Python Developer",
    "Frontend Developer",
    "Data Engineer",
    "Python Tutor",
    "Nurse",
]

FILTER_CASES = [
    pytest.param(JobQuery(), DATE_ORDER, id="no-filter"),
    pytest.param(
        JobQuery(text="python"),
        ["Senior Python Developer", "Data Engineer", "Python Tutor"],
        id="text",
    ),
    pytest.param(
        JobQuery(text="PYTHON"),
        ["Senior Python Developer", "Data Engineer", "Python Tutor"],
        id="text-case",
    ),
    pytest.param(
        JobQuery(text="python developer"), ["Senior Python Developer"], id="text-every-word"
    ),
    pytest.param(JobQuery(text="globex"), ["Data Engineer"], id="text-company"),
    pytest.param(JobQuery(text="pipelines"), ["Data Engineer"], id="text-description"),
    pytest.param(JobQuery(text="kubernetes"), [], id="text-no-match"),
    pytest.param(
        JobQuery(location="london"),
        ["Warehouse Operative", "Senior Python Developer", "Nurse"],
        id="location",
    ),
    pytest.param(JobQuery(location="GREATER"), ["Nurse"], id="location-region"),
    pytest.param(JobQuery(location="remote (us)"), ["Frontend Developer"], id="location-display"),
    pytest.param(JobQuery(location="%"), ["Python Tutor"], id="location-percent-is-literal"),
    pytest.param(JobQuery(location="L_ndon"), [], id="location-underscore-is-literal"),
    pytest.param(JobQuery(country="US"), ["Frontend Developer"], id="country"),
    pytest.param(JobQuery(remote=RemoteMode.HYBRID), ["Senior Python Developer"], id="remote"),
    pytest.param(
        JobQuery(employment_type=EmploymentType.CONTRACT), ["Data Engineer"], id="employment-type"
    ),
    pytest.param(
        JobQuery(company="ACME"), ["Senior Python Developer", "Python Tutor"], id="company-any-case"
    ),
    pytest.param(JobQuery(company="Acm"), [], id="company-whole-name"),
    pytest.param(
        JobQuery(category="IT JOBS"),
        ["Senior Python Developer", "Data Engineer"],
        id="category-any-case",
    ),
    pytest.param(
        JobQuery(posted_since=day(8)),
        ["Warehouse Operative", "Senior Python Developer", "Frontend Developer"],
        id="posted-since-inclusive",
    ),
    pytest.param(
        JobQuery(currency="GBP", salary_min=Decimal(70_000)),
        ["Senior Python Developer", "Data Engineer"],
        id="salary-min-annualised",
    ),
    pytest.param(
        JobQuery(currency="GBP", salary_max=Decimal(28_000)),
        ["Warehouse Operative"],
        id="salary-max",
    ),
    pytest.param(
        JobQuery(currency="GBP", salary_min=Decimal(50_000), salary_max=Decimal(65_000)),
        ["Senior Python Developer"],
        id="salary-range-overlaps",
    ),
    pytest.param(
        JobQuery(currency="USD", salary_min=Decimal(0)),
        ["Frontend Developer"],
        id="salary-other-currency",
    ),
    pytest.param(JobQuery(currency="EUR", salary_min=Decimal(0)), [], id="salary-no-conversion"),
    pytest.param(JobQuery(currency="GBP"), DATE_ORDER, id="currency-alone-filters-nothing"),
    pytest.param(
        JobQuery(text="python", country="GB", employment_type=EmploymentType.FULL_TIME),
        ["Senior Python Developer"],
        id="combined-text-country-type",
    ),
    pytest.param(
        JobQuery(location="london", currency="GBP", salary_min=Decimal(20_000)),
        ["Warehouse Operative", "Senior Python Developer"],
        id="combined-location-salary",
    ),
]


class TestSearch:
    """Filters, full text and pagination of ``search``."""

    @pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
    def test_filters(
        self,
        uow_factory: UnitOfWorkFactory,
        corpus: dict[str, JobPosting],
        query: JobQuery,
        expected: list[str],
    ) -> None:
        """Each filter, alone or combined, returns exactly what JobQuery.matches accepts."""
        dated = attrs.evolve(query, sort=JobSort.DATE)
        page = search(uow_factory, dated)

        assert titles(page) == expected
        assert page.total == len(expected)
        assert sorted(expected) == sorted(t for t, j in corpus.items() if dated.matches(j))

    def test_relevance_puts_title_matches_first(self, uow_factory: UnitOfWorkFactory) -> None:
        """By relevance, a match in the title beats a newer match in the description only."""
        in_description = make_job(
            "Backend Engineer", description="Mostly rust and some go.", posted_at=day(10)
        )
        in_title = make_job("Rust Engineer", description="Systems work.", posted_at=day(1))
        store(uow_factory, in_description, in_title)

        page = search(uow_factory, JobQuery(text="rust", sort=JobSort.RELEVANCE))

        assert titles(page) == ["Rust Engineer", "Backend Engineer"]

    @pytest.mark.usefixtures("corpus")
    def test_relevance_without_text_sorts_by_date(self, uow_factory: UnitOfWorkFactory) -> None:
        """Relevance without search text falls back to the date order."""
        page = search(uow_factory, JobQuery(sort=JobSort.RELEVANCE))

        assert titles(page) == DATE_ORDER

    def test_pagination(self, uow_factory: UnitOfWorkFactory) -> None:
        """Pages cut the ordered results; a page past the end is empty but tells the total."""
        jobs = [make_job(f"Job {n}", posted_at=day(n)) for n in range(1, 8)]
        store(uow_factory, *jobs)
        newest_first = [f"Job {n}" for n in range(7, 0, -1)]

        pages = [
            search(uow_factory, JobQuery(), PageRequest(page=n, per_page=3)) for n in (1, 2, 3, 4)
        ]

        assert [titles(p) for p in pages] == [
            newest_first[0:3],
            newest_first[3:6],
            newest_first[6:],
            [],
        ]
        assert {p.total for p in pages} == {7}
        assert {p.total_pages for p in pages} == {3}
        assert pages[3].request == PageRequest(page=4, per_page=3)

    @pytest.mark.usefixtures("corpus")
    def test_pagination_of_filtered_results(self, uow_factory: UnitOfWorkFactory) -> None:
        """The total of a filtered search counts the matches, not the stored postings."""
        page = search(uow_factory, JobQuery(country="GB"), PageRequest(page=2, per_page=2))

        assert titles(page) == ["Data Engineer", "Python Tutor"]
        assert (page.total, page.total_pages) == (5, 3)

    def test_empty_repository_gives_an_empty_page(self, uow_factory: UnitOfWorkFactory) -> None:
        """Searching nothing gives no items, a total of 0 and no pages."""
        page = search(uow_factory, JobQuery(text="python"))

        assert (page.items, page.total, page.total_pages) == ((), 0, 0)


class TestOrder:
    """The date and salary orders are identical in every repository, ties included."""

    def test_date_order_breaks_ties_by_first_seen_then_id(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        """Date order: posted (undated = epoch), then first seen, then id, all descending."""
        low_id = uuid.UUID("00000000-0000-4000-8000-000000000001")
        high_id = uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff")
        jobs = [
            make_job("Undated, seen late", first_seen=SEEN + timedelta(days=3)),
            make_job("Undated, seen early", first_seen=SEEN),
            make_job("Tie, low id", job_id=low_id, posted_at=day(5)),
            make_job("Tie, high id", job_id=high_id, posted_at=day(5)),
            make_job("Tie, seen later", posted_at=day(5), first_seen=SEEN + timedelta(hours=1)),
            make_job("Newest", posted_at=day(6)),
            make_job(
                "At the epoch",
                posted_at=datetime(1970, 1, 1, tzinfo=UTC),
                first_seen=SEEN + timedelta(days=1),
            ),
        ]
        store(uow_factory, *jobs)

        page = search(uow_factory, JobQuery(sort=JobSort.DATE))

        assert titles(page) == [
            "Newest",
            "Tie, seen later",
            "Tie, high id",
            "Tie, low id",
            "Undated, seen late",
            "At the epoch",
            "Undated, seen early",
        ]

    def test_salary_order(self, uow_factory: UnitOfWorkFactory) -> None:
        """Salary order: annual high first, any currency, ties by date, no salary last."""
        jobs = [
            make_job("GBP 80k", pay=salary(60_000, 80_000), posted_at=day(2)),
            make_job("GBP 80k newer", pay=salary(80_000), posted_at=day(3)),
            make_job(
                "Hourly 83.2k", pay=salary(30, 40, "GBP", SalaryPeriod.HOUR), posted_at=day(1)
            ),
            make_job("USD 150k", pay=salary(None, 150_000, "USD"), posted_at=day(1)),
            make_job("No salary, newest", posted_at=day(9)),
            make_job("No salary, older", posted_at=day(4)),
        ]
        store(uow_factory, *jobs)

        page = search(uow_factory, JobQuery(sort=JobSort.SALARY))

        assert titles(page) == [
            "USD 150k",
            "Hourly 83.2k",
            "GBP 80k newer",
            "GBP 80k",
            "No salary, newest",
            "No salary, older",
        ]

    @pytest.mark.usefixtures("corpus")
    def test_salary_order_with_filters_and_pages(self, uow_factory: UnitOfWorkFactory) -> None:
        """The salary order holds within a salary filter and across pages."""
        query = JobQuery(currency="GBP", salary_min=Decimal(1), sort=JobSort.SALARY)

        pages = [search(uow_factory, query, PageRequest(page=n, per_page=2)) for n in (1, 2)]

        assert [titles(p) for p in pages] == [
            ["Data Engineer", "Senior Python Developer"],
            ["Python Tutor", "Warehouse Operative"],
        ]
