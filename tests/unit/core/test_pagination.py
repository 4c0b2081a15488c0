"""Pages: bounds of a page request, page counts, and walking every page of a result set."""

import math
import uuid
from datetime import timedelta

import pytest
from core_builders import NOW, posting
from hypothesis import given
from hypothesis import strategies as st

from jobraker_adapters.memory import InMemoryIngestionRunRepository, InMemoryJobRepository
from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import JobQuery, JobSort
from jobraker_core.pagination import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    Page,
    PageRequest,
)

per_pages = st.integers(min_value=1, max_value=MAX_PER_PAGE)


def test_defaults_to_the_first_page_of_twenty():
    """Without arguments a request asks for page 1 of DEFAULT_PER_PAGE items."""
    assert PageRequest() == PageRequest(1, DEFAULT_PER_PAGE)
    assert PageRequest().offset == 0


@pytest.mark.parametrize("page", [0, -1, MAX_PAGE + 1])
def test_page_must_be_in_range(page):
    """Pages count from 1, up to MAX_PAGE."""
    with pytest.raises(InvalidInput) as caught:
        PageRequest(page=page)
    assert caught.value.field == "page"


@pytest.mark.parametrize("per_page", [0, -5, MAX_PER_PAGE + 1])
def test_per_page_must_be_between_one_and_the_maximum(per_page):
    """A page holds between 1 and MAX_PER_PAGE items."""
    with pytest.raises(InvalidInput) as caught:
        PageRequest(per_page=per_page)
    assert caught.value.field == "per_page"


def test_the_limits_themselves_are_allowed():
    """Page MAX_PAGE and per_page 1 and MAX_PER_PAGE are valid."""
    assert PageRequest(MAX_PAGE, MAX_PER_PAGE).offset == (MAX_PAGE - 1) * MAX_PER_PAGE
    assert PageRequest(per_page=1).per_page == 1


@given(st.integers(1, MAX_PAGE), per_pages)
def test_offset_skips_the_earlier_pages(page, per_page):
    """The offset is the number of items on the pages before this one."""
    assert PageRequest(page, per_page).offset == (page - 1) * per_page


@given(st.integers(min_value=0), per_pages)
def test_total_pages_is_the_ceiling_of_total_over_per_page(total, per_page):
    """total_pages == ceil(total / per_page), exactly, for any total however large."""
    pages = Page(items=(), total=total, request=PageRequest(per_page=per_page)).total_pages
    assert pages == (total + per_page - 1) // per_page
    assert (pages - 1) * per_page < total <= pages * per_page or total == pages == 0
    if total < 2**52:
        assert pages == math.ceil(total / per_page)


@given(
    st.integers(min_value=0, max_value=60),
    per_pages.filter(lambda n: n <= 25),
    st.sampled_from(list(JobSort)),
)
def test_walking_every_page_returns_every_job_exactly_once(count, per_page, sort):
    """Pages of a search over the memory repository cover the result set, with no repeats."""
    jobs = {}
    for n in range(count):
        # Few distinct dates and timestamps, so the order must break ties to stay stable.
        job = posting(
            seen_at=NOW - timedelta(minutes=n % 3),
            source_id=str(n),
            title=f"Python role {n}",
            posted_at=NOW - timedelta(days=n % 4),
        )
        jobs[job.id] = job
    repository = InMemoryJobRepository(jobs)
    query = JobQuery(sort=sort, text="python" if sort is JobSort.RELEVANCE else None)
    first = repository.search(query, PageRequest(1, per_page))
    seen: list[uuid.UUID] = []
    for number in range(1, first.total_pages + 1):
        page = repository.search(query, PageRequest(number, per_page))
        assert page.total == count
        assert len(page.items) == (per_page if number < first.total_pages else count - len(seen))
        seen.extend(job.id for job in page.items)
    assert sorted(seen) == sorted(jobs)
    assert first.total_pages == -(-count // per_page)
    assert repository.search(query, PageRequest(first.total_pages + 1, per_page)).items == ()


@given(st.integers(min_value=0, max_value=30), per_pages.filter(lambda n: n <= 10))
def test_walking_every_page_of_runs_returns_each_run_once_newest_first(count, per_page):
    """Pages of ingestion runs cover every run once, newest first."""
    runs = {}
    for n in range(count):
        run = IngestionRun.queue(
            SourceSpec("file"), run_id=uuid.uuid4(), at=NOW + timedelta(seconds=n // 2)
        )
        runs[run.id] = run
    repository = InMemoryIngestionRunRepository(runs)
    listed: list[IngestionRun] = []
    page = repository.list(PageRequest(1, per_page))
    for number in range(1, page.total_pages + 1):
        listed.extend(repository.list(PageRequest(number, per_page)).items)
    assert sorted(run.id for run in listed) == sorted(runs)
    created = [run.created_at for run in listed]
    assert created == sorted(created, reverse=True)
