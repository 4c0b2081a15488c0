"""Matching reads its retrieved pool in one go, and saved searches announce new hits.

On the in-memory fakes: recommendations, semantic search and a saved search's matches read jobs
with ``JobRepository.get_many`` (never one ``get`` per job), and refreshing saved searches puts
one ``NEW_MATCH`` event per new hit in the notification outbox, in the refresh's own unit of work.
"""

from __future__ import annotations

import uuid

import attrs
import pytest
from dependency_injector import providers
from matching_builders import job

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory.jobs import InMemoryJobRepository
from jobraker_adapters.memory.uow import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory
from jobraker_core.jobs.model import JobQuery
from jobraker_core.matching.search import SearchByMeaning
from jobraker_core.matching.use_cases import (
    CreateSavedSearchCommand,
    RecommendQuery,
    UploadResumeCommand,
)
from jobraker_core.notifications.events import NotificationKind
from jobraker_core.pagination import PageRequest

ME = uuid.UUID(int=31)
PYTHON = "Requirements:\n- Python and Django\n- PostgreSQL\nNice to have:\n- Kubernetes\n"


@attrs.define
class BulkOnlyJobRepository(InMemoryJobRepository):
    """A job repository that refuses one-by-one reads and records each bulk read's size."""

    reads: list[int] = attrs.field(factory=list)

    def get(self, job_id):
        """Fail: matching must not read its pool one job at a time."""
        raise AssertionError(f"jobs.get({job_id}) called: expected one get_many")

    def get_many(self, job_ids):
        """Record the read, then read as usual."""
        self.reads.append(len(job_ids))
        return super().get_many(job_ids)


class BulkOnlyUnitOfWork(InMemoryUnitOfWork):
    """An in-memory unit of work whose job repository is ``BulkOnlyJobRepository``."""

    def __init__(self, store, reads):
        """Share ``reads`` with every unit of the factory."""
        super().__init__(store)
        self._reads = reads

    def __enter__(self):
        """Enter as usual, then swap in the bulk-only job repository."""
        super().__enter__()
        self.jobs = BulkOnlyJobRepository(self.jobs.jobs, reads=self._reads)
        return self


@attrs.define
class BulkOnlyFactory(InMemoryUnitOfWorkFactory):
    """Makes ``BulkOnlyUnitOfWork`` objects over the container's store."""

    reads: list[int] = attrs.field(factory=list)

    def __call__(self):
        """A bulk-only unit of work."""
        return BulkOnlyUnitOfWork(self.store, self.reads)


@pytest.fixture
def container():
    """A memory container with four Python jobs stored and embedded."""
    built = build_memory_container()
    postings = [
        job(title="Python Developer", company=f"Company {n}", description=PYTHON, number=n)
        for n in range(1, 5)
    ]
    with built.uow()() as uow:
        uow.jobs.save(postings)
        uow.commit()
    built.embed_jobs()()
    return built


def bulk_only(container):
    """Make the container's units of work refuse ``jobs.get``; return the recorded reads."""
    factory = BulkOnlyFactory(store=container.uow().store)
    container.uow.override(providers.Object(factory))
    return factory.reads


def test_get_many_keeps_the_order_asked_and_leaves_unknown_ids_out(container):
    """Ids come back in the order asked, once each; an unknown id is skipped, not an error."""
    with container.uow()() as uow:
        ids = [j.id for j in uow.jobs.search(JobQuery(), PageRequest()).items]
        found = uow.jobs.get_many([ids[2], uuid.uuid4(), ids[0], ids[2]])
    assert [j.id for j in found] == [ids[2], ids[0]]


def test_recommendations_read_the_retrieved_pool_in_one_call(container):
    """Recommending reads every retrieved job with one get_many, never get per job."""
    container.upload_resume()(
        UploadResumeCommand(user_id=ME, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    reads = bulk_only(container)
    page = container.recommend_jobs()(RecommendQuery(user_id=ME))
    assert len(page.items) == 4
    assert reads == [4]


def test_semantic_search_reads_its_hits_in_one_call(container):
    """A free-text search reads its retrieved jobs with one get_many."""
    reads = bulk_only(container)
    hits = container.search_jobs_by_meaning()(SearchByMeaning(text="python django", limit=3))
    assert len(hits) == 3
    assert reads == [3]


def new_python_job(container, number, company="Initrode"):
    """Store a Python job first seen now (after any search saved earlier)."""
    container.clock().advance(hours=1)
    now = container.clock().now()
    posting = attrs.evolve(
        job(title="Python Developer", company=company, description=PYTHON, number=number),
        first_seen=now,
        last_seen=now,
    )
    with container.uow()() as uow:
        uow.jobs.save([posting])
        uow.commit()
    return posting


def pending_events(container):
    """Every event waiting in the notification outbox."""
    with container.uow()() as uow:
        return list(uow.notifications.pending(100))


def test_a_new_saved_search_hit_adds_one_new_match_event(container):
    """Refreshing records the hit and its NEW_MATCH event together, once per (search, job)."""
    search = container.create_saved_search()(
        CreateSavedSearchCommand(ME, "python", JobQuery(text="python"))
    )
    posting = new_python_job(container, 20)
    assert container.refresh_saved_searches()().new_hits == 1
    (event,) = pending_events(container)
    assert event.kind is NotificationKind.NEW_MATCH
    assert event.user_id == ME
    assert event.data["job_id"] == str(posting.id)
    assert event.data["search_id"] == str(search.id)
    assert str(search.id) in event.dedupe_key
    assert str(posting.id) in event.dedupe_key
    assert container.refresh_saved_searches()().new_hits == 0
    assert len(pending_events(container)) == 1


def test_each_new_hit_of_each_search_gets_its_own_event(container):
    """Two searches finding two new jobs make four events; jobs seen before make none."""
    first = container.create_saved_search()(CreateSavedSearchCommand(ME, "a", JobQuery()))
    second = container.create_saved_search()(
        CreateSavedSearchCommand(ME, "b", JobQuery(text="python"))
    )
    jobs = [new_python_job(container, 21, "Initech"), new_python_job(container, 22, "Hooli")]
    assert container.refresh_saved_searches()().new_hits == 4
    pairs = {(e.data["search_id"], e.data["job_id"]) for e in pending_events(container)}
    assert pairs == {(str(s.id), str(j.id)) for s in (first, second) for j in jobs}


def test_a_saved_searchs_matches_are_read_in_one_call(container):
    """Listing a saved search's matches reads their jobs with one get_many."""
    search = container.create_saved_search()(CreateSavedSearchCommand(ME, "all", JobQuery()))
    new_python_job(container, 23)
    container.refresh_saved_searches()()
    reads = bulk_only(container)
    page = container.list_saved_search_matches()(ME, search.id, PageRequest())
    assert [m.job.company for m in page.items] == ["Initrode"]
    assert reads == [1]
