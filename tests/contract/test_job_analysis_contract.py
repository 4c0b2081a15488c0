"""The ``JobAnalysisRepository`` contract, on the in-memory fake and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs
import pytest

from contract.builders import make_job
from jobraker_adapters.memory import InMemoryUnitOfWorkFactory
from jobraker_adapters.memory.analyses import InMemoryJobAnalysisRepository
from jobraker_adapters.postgres.analyses import PostgresJobAnalysisRepository
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_adapters.taxonomy import load_skill_extractor, load_title_normaliser
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.analysis_store import (
    JobAnalysisRepository,
    StoredAnalysis,
)
from jobraker_core.matching.retrieval import job_content_hash

if TYPE_CHECKING:
    from jobraker_core.jobs.model import JobPosting
    from jobraker_core.ports import UnitOfWorkFactory

V1, V2 = "analysis-v1:test", "analysis-v2:test"
POSTING = """Who we are
A logistics platform moving freight across Europe.

What you bring:
- At least 4 years as a Data Engineer
- SQL, Apache Spark and Airflow
- Calm under pressure during incidents

Bonus points:
- Terraform
"""
ANALYSER = JobAnalyser(load_skill_extractor(), load_title_normaliser())


@attrs.frozen
class Backend:
    """One storage under test: its unit of work and analysis repository."""

    uow: UnitOfWorkFactory
    analyses: JobAnalysisRepository


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Give empty storage: the in-memory fake, or real PostgreSQL."""
    if request.param == "memory":
        uow = InMemoryUnitOfWorkFactory()
        return Backend(uow, InMemoryJobAnalysisRepository(store=uow.store))
    request.getfixturevalue("db")
    pool = request.getfixturevalue("pg_pool")
    return Backend(PostgresUnitOfWorkFactory(pool), PostgresJobAnalysisRepository(pool))


def store(backend: Backend, *jobs: JobPosting) -> None:
    """Save ``jobs`` in one committed unit."""
    with backend.uow() as uow:
        uow.jobs.save(jobs)
        uow.commit()


def stored(job: JobPosting) -> StoredAnalysis:
    """The analysis of ``job``'s current text, as the analysis pass stores it."""
    return StoredAnalysis(job, ANALYSER.analyse(job))


def test_an_analysis_comes_back_exactly_as_it_was_stored(backend):
    """Skills with evidence and terms, experience, occupation and seniority survive the store."""
    job = make_job("Senior Python Developer", description=POSTING)
    store(backend, job)
    item = stored(job)
    assert item.analysis.skills
    assert item.analysis.experience
    assert any(not s.skill_id and s.terms for s in item.analysis.skills)
    backend.analyses.save(V1, [item])
    assert backend.analyses.get_many(V1, [job]) == {job.id: item.analysis}


def test_only_an_analysis_of_the_version_and_text_asked_for_is_given(backend):
    """Another version or another text hash reads as none: it would explain the wrong thing."""
    job, other = make_job("Python Developer", description=POSTING), make_job("Baker")
    store(backend, job, other)
    backend.analyses.save(V1, [stored(job)])
    edited = attrs.evolve(job, description=POSTING + "\n- Rust\n")
    assert backend.analyses.get_many(V2, [job]) == {}
    assert backend.analyses.get_many(V1, [edited]) == {}
    assert backend.analyses.get_many(V1, [other]) == {}
    assert backend.analyses.get_many(V1, []) == {}


def test_pending_lists_postings_without_a_current_analysis_by_id(backend):
    """No analysis, another version's or one checked before the last sighting: pending."""
    jobs = sorted((make_job(f"Job {i}") for i in range(3)), key=lambda j: j.id)
    store(backend, *jobs)
    assert [p.job.id for p in backend.analyses.pending(V1)] == [j.id for j in jobs]
    assert all(p.stored_hash is None for p in backend.analyses.pending(V1))
    backend.analyses.save(V1, [stored(job) for job in jobs])
    assert backend.analyses.pending(V1) == []
    assert [p.job.id for p in backend.analyses.pending(V2)] == [j.id for j in jobs]
    assert all(p.stored_hash is None for p in backend.analyses.pending(V2))
    seen_again = attrs.evolve(jobs[1], last_seen=jobs[1].last_seen + timedelta(hours=1))
    store(backend, seen_again)
    (pending,) = backend.analyses.pending(V1)
    assert pending.job == seen_again
    assert pending.stored_hash == job_content_hash(jobs[1])
    assert [p.job.id for p in backend.analyses.pending(V1, after=jobs[1].id)] == []
    assert len(backend.analyses.pending(V2, limit=2)) == 2
    assert [p.job.id for p in backend.analyses.pending(V2, after=jobs[0].id)] == [
        jobs[1].id,
        jobs[2].id,
    ]


def test_touch_marks_an_analysis_current_for_its_version_only(backend):
    """A touched analysis is current as of the new sighting; touching another version does not."""
    job = make_job("Job")
    store(backend, job)
    backend.analyses.save(V1, [stored(job)])
    later = attrs.evolve(job, last_seen=job.last_seen + timedelta(hours=1))
    store(backend, later)
    backend.analyses.touch(V2, {job.id: later.last_seen})
    assert [p.job.id for p in backend.analyses.pending(V1)] == [job.id]
    backend.analyses.touch(V1, {job.id: later.last_seen})
    assert backend.analyses.pending(V1) == []
    backend.analyses.touch(V1, {})


def test_saving_replaces_and_skips_postings_that_are_not_stored(backend):
    """One analysis per posting (a new version replaces the old); unknown postings are skipped."""
    job = make_job("Job", description=POSTING)
    store(backend, job)
    backend.analyses.save(V1, [stored(job)])
    edited = attrs.evolve(job, description=POSTING + "\n- Rust\n")
    newer = stored(edited)
    backend.analyses.save(V2, [newer])
    assert backend.analyses.get_many(V1, [job]) == {}
    assert backend.analyses.get_many(V2, [job]) == {}
    assert backend.analyses.get_many(V2, [edited]) == {job.id: newer.analysis}
    ghost = make_job("Never stored")
    backend.analyses.save(V1, [stored(ghost)])
    assert backend.analyses.get_many(V1, [ghost]) == {}
    backend.analyses.save(V1, [])


def test_a_posting_that_goes_takes_its_analysis_with_it(backend, request):
    """Deleting a posting (as erasure or a purge would) leaves no analysis behind."""
    job = make_job("Job", description=POSTING)
    store(backend, job)
    backend.analyses.save(V1, [stored(job)])
    if isinstance(backend.analyses, InMemoryJobAnalysisRepository):
        with backend.analyses.store.lock:
            del backend.analyses.store.jobs[job.id]
    else:
        with request.getfixturevalue("pg_pool").connection() as conn:
            conn.execute("DELETE FROM jobs WHERE id = %s", (job.id,))
    assert backend.analyses.get_many(V1, [job]) == {}
    assert backend.analyses.pending(V1) == []


def test_unknown_postings_are_simply_not_found(backend):
    """Postings never stored give nothing, whatever the version."""
    assert backend.analyses.get_many(V1, [make_job("Job", job_id=uuid.uuid4())]) == {}


def test_run_on_postings_come_back_whole(backend):
    """A posting with no line breaks (its one line is every skill's context) survives exactly."""
    text = POSTING.replace("\n", " ")
    job = make_job("Python Developer", description=text)
    store(backend, job)
    item = stored(job)
    assert item.analysis.skills
    assert any(len(s.evidence.context or "") > 100 for s in item.analysis.skills)
    backend.analyses.save(V1, [item])
    assert backend.analyses.get_many(V1, [job]) == {job.id: item.analysis}
