"""The ``JobEmbeddingRepository`` and ``JobRetriever`` contracts, on the fakes and on PostgreSQL."""

from __future__ import annotations

import itertools
import math
import random
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

import attrs
import pytest

from contract.builders import SEEN, make_job
from jobraker_adapters.memory import (
    InMemoryJobAnalysisRepository,
    InMemoryJobEmbeddingRepository,
    InMemoryJobRetriever,
    InMemoryUnitOfWorkFactory,
)
from jobraker_adapters.postgres.analyses import PostgresJobAnalysisRepository
from jobraker_adapters.postgres.embeddings import PostgresJobEmbeddingRepository
from jobraker_adapters.postgres.retrieval import PostgresJobRetriever
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_core.errors import Conflict, InvalidInput, NotFound
from jobraker_core.jobs.model import JobPosting, JobQuery, RemoteMode
from jobraker_core.matching.analysis import JobAnalysis, JobSkill
from jobraker_core.matching.analysis_store import JobAnalysisRepository, StoredAnalysis
from jobraker_core.matching.candidate import Evidence, EvidenceSource
from jobraker_core.matching.embedding import EmbeddingSpec, content_hash
from jobraker_core.matching.retrieval import (
    JobEmbedding,
    JobEmbeddingRepository,
    JobRetriever,
    TextScope,
    job_embedding_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from jobraker_core.ports import UnitOfWorkFactory

SPEC = EmbeddingSpec(model_id="test-model:4", dimensions=4)
OTHER = EmbeddingSpec(model_id="test-other:3", dimensions=3)


@attrs.frozen
class Backend:
    """One storage under test: its unit of work, vector repository and retriever maker."""

    uow: UnitOfWorkFactory
    embeddings: JobEmbeddingRepository
    retriever: Callable[[EmbeddingSpec], JobRetriever]
    analyses: JobAnalysisRepository
    refresh_statistics: Callable[[], None]
    """Bring the storage's statistics up to date (PostgreSQL's autovacuum does it in service)."""


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Give empty storage: the in-memory fakes, or real PostgreSQL with pgvector."""
    if request.param == "memory":
        uow = InMemoryUnitOfWorkFactory()
        memory = InMemoryJobEmbeddingRepository(store=uow.store)
        analyses = InMemoryJobAnalysisRepository(store=uow.store)
        return Backend(
            uow,
            memory,
            lambda spec: InMemoryJobRetriever(memory, spec, analyses),
            analyses,
            lambda: None,
        )
    request.getfixturevalue("db")
    pool = request.getfixturevalue("pg_pool")

    def analyse_tables() -> None:
        with pool.connection() as conn:
            conn.execute("ANALYZE job_analyses")

    return Backend(
        PostgresUnitOfWorkFactory(pool),
        PostgresJobEmbeddingRepository(pool),
        lambda spec: PostgresJobRetriever(pool, spec),
        PostgresJobAnalysisRepository(pool),
        analyse_tables,
    )


def store(backend: Backend, *jobs: JobPosting) -> None:
    """Save ``jobs`` in one committed unit."""
    with backend.uow() as uow:
        uow.jobs.save(jobs)
        uow.commit()


def embedding(job: JobPosting, vector: Sequence[float]) -> JobEmbedding:
    """The vector of ``job``'s current text."""
    text = job_embedding_text(job.title, job.company, job.description)
    return JobEmbedding(job.id, content_hash(text), tuple(vector), job.last_seen)


def unit(vector: Sequence[float]) -> tuple[float, ...]:
    """``vector`` scaled to length 1."""
    norm = math.sqrt(sum(x * x for x in vector))
    return tuple(x / norm for x in vector)


def cos(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity, the reference the adapters must agree with."""
    return sum(x * y for x, y in zip(unit(a), unit(b), strict=True))


def separated_vectors(
    rng: random.Random, query: Sequence[float], count: int
) -> list[tuple[float, ...]]:
    """Random small-integer vectors whose similarities to ``query`` are at least 1e-3 apart."""
    while True:
        vectors = [tuple(float(rng.randint(-3, 3)) for _ in range(4)) for _ in range(count)]
        if any(not any(v) for v in vectors):
            continue
        sims = sorted(cos(v, query) for v in vectors)
        if all(b - a > 1e-3 for a, b in itertools.pairwise(sims)):
            return vectors


def seed_corpus(backend: Backend, count: int, rng: random.Random) -> list[JobPosting]:
    """Store ``count`` jobs (a third of them remote) with vectors of ``SPEC``."""
    jobs = [
        make_job(
            f"Job {i}",
            remote=RemoteMode.REMOTE if i % 3 == 0 else RemoteMode.ON_SITE,
            posted_at=SEEN - timedelta(days=i % 7),
        )
        for i in range(count)
    ]
    store(backend, *jobs)
    backend.embeddings.register_model(SPEC)
    vectors = separated_vectors(rng, QUERY, count)
    backend.embeddings.upsert(
        SPEC, [embedding(job, vector) for job, vector in zip(jobs, vectors, strict=True)]
    )
    return jobs


QUERY = (1.0, 2.0, -1.0, 0.5)


# ----------------------------------------------------------------------------- embeddings


class TestJobEmbeddingRepository:
    """Vectors per job and model, with content hashes and a record of the active model."""

    def test_missing_vectors_are_pending_in_id_order(self, backend):
        """Jobs without a vector of the model are pending, ascending by id, after a cursor."""
        jobs = [make_job(f"Job {i}") for i in range(5)]
        store(backend, *jobs)
        backend.embeddings.register_model(SPEC)
        pending = backend.embeddings.pending(SPEC)
        ids = sorted(job.id for job in jobs)
        assert [p.job_id for p in pending] == ids
        assert all(p.stored_hash is None for p in pending)
        assert [p.job_id for p in backend.embeddings.pending(SPEC, after=ids[1], limit=2)] == ids[
            2:4
        ]

    def test_pending_carries_the_text_to_embed(self, backend):
        """A pending job comes with its title, company, description and last sighting."""
        job = make_job("Data Engineer", company="Globex", description="Pipelines.")
        store(backend, job)
        (pending,) = backend.embeddings.pending(SPEC)
        assert pending.text == "Data Engineer\nGlobex\nPipelines."
        assert pending.last_seen == job.last_seen

    def test_stored_vectors_are_not_pending_until_the_job_is_seen_again(self, backend):
        """A job is pending again once it is seen after its vector was checked, with its hash."""
        job = make_job("Job")
        store(backend, job)
        backend.embeddings.register_model(SPEC)
        backend.embeddings.upsert(SPEC, [embedding(job, (1, 0, 0, 0))])
        assert backend.embeddings.pending(SPEC) == []
        later = attrs.evolve(job, last_seen=job.last_seen + timedelta(hours=1))
        store(backend, later)
        (pending,) = backend.embeddings.pending(SPEC)
        assert pending.stored_hash == embedding(job, (1, 0, 0, 0)).content_hash
        backend.embeddings.touch(SPEC, {job.id: later.last_seen})
        assert backend.embeddings.pending(SPEC) == []

    def test_vectors_of_another_model_do_not_count(self, backend):
        """A vector of one model leaves the job pending for another, and counts per model."""
        job = make_job("Job")
        store(backend, job)
        backend.embeddings.register_model(SPEC)
        backend.embeddings.register_model(OTHER)
        backend.embeddings.upsert(OTHER, [embedding(job, (1, 0, 0))])
        assert [p.job_id for p in backend.embeddings.pending(SPEC)] == [job.id]
        assert backend.embeddings.count(OTHER) == 1
        assert backend.embeddings.count(SPEC) == 0

    def test_vectors_are_found_by_content_hash(self, backend):
        """The cache returns a stored vector for a hash of the same model only."""
        job = make_job("Job")
        store(backend, job)
        backend.embeddings.register_model(SPEC)
        item = embedding(job, (0.5, 0.5, 0.5, 0.5))
        backend.embeddings.upsert(SPEC, [item])
        found = backend.embeddings.vectors_by_hash(SPEC, [item.content_hash, "0" * 64])
        assert found == {item.content_hash: (0.5, 0.5, 0.5, 0.5)}
        assert backend.embeddings.vectors_by_hash(OTHER, [item.content_hash]) == {}

    def test_similarities_are_computed_by_content_hash(self, backend):
        """The store gives the cosine of a query and each found hash's vector, of one model only."""
        first, second = make_job("First"), make_job("Second")
        store(backend, first)
        store(backend, second)
        backend.embeddings.register_model(SPEC)
        a = embedding(first, (1, 0, 0, 0))
        b = embedding(second, (0.6, 0.8, 0, 0))
        backend.embeddings.upsert(SPEC, [a, b])
        query = (0.8, 0.6, 0.0, 0.0)
        found = backend.embeddings.similarities_by_hash(
            SPEC, query, [a.content_hash, b.content_hash, "0" * 64]
        )
        assert set(found) == {a.content_hash, b.content_hash}
        assert found[a.content_hash] == pytest.approx(0.8, abs=1e-6)
        assert found[b.content_hash] == pytest.approx(0.96, abs=1e-6)
        opposite = backend.embeddings.similarities_by_hash(SPEC, (-1, 0, 0, 0), [a.content_hash])
        assert opposite[a.content_hash] == pytest.approx(-1.0, abs=1e-6)
        assert backend.embeddings.similarities_by_hash(SPEC, query, []) == {}
        assert backend.embeddings.similarities_by_hash(OTHER, (1, 0, 0), [a.content_hash]) == {}

    def test_similarities_refuse_a_vector_of_another_size(self, backend):
        """A query vector of the wrong length is refused, even when no hash is found."""
        backend.embeddings.register_model(SPEC)
        with pytest.raises(InvalidInput, match="dimensions"):
            backend.embeddings.similarities_by_hash(SPEC, (1.0, 0.0, 0.0), ["0" * 64])

    def test_upsert_replaces_a_jobs_vector(self, backend):
        """Writing a job's vector again replaces it."""
        job = make_job("Job")
        store(backend, job)
        backend.embeddings.register_model(SPEC)
        backend.embeddings.upsert(SPEC, [embedding(job, (1, 0, 0, 0))])
        newer = attrs.evolve(embedding(job, (0, 1, 0, 0)), content_hash="a" * 64)
        backend.embeddings.upsert(SPEC, [newer])
        assert backend.embeddings.count(SPEC) == 1
        assert backend.embeddings.vectors_by_hash(SPEC, ["a" * 64]) == {"a" * 64: (0, 1, 0, 0)}

    def test_a_vector_of_the_wrong_length_is_refused(self, backend):
        """A vector whose length is not the model's dimension is ``InvalidInput``."""
        job = make_job("Job")
        store(backend, job)
        backend.embeddings.register_model(SPEC)
        with pytest.raises(InvalidInput):
            backend.embeddings.upsert(SPEC, [embedding(job, (1, 0, 0))])

    def test_vectors_of_an_unregistered_model_are_refused(self, backend):
        """Writing vectors of a model never registered is ``NotFound``."""
        job = make_job("Job")
        store(backend, job)
        with pytest.raises(NotFound):
            backend.embeddings.upsert(SPEC, [embedding(job, (1, 0, 0, 0))])

    def test_vectors_of_a_job_not_stored_are_refused(self, backend):
        """Writing the vector of a job that is not stored is ``Conflict``."""
        backend.embeddings.register_model(SPEC)
        with pytest.raises(Conflict):
            backend.embeddings.upsert(SPEC, [embedding(make_job("Ghost"), (1, 0, 0, 0))])

    def test_a_model_id_keeps_its_dimension(self, backend):
        """Registering a known model id with another dimension is ``Conflict``."""
        backend.embeddings.register_model(SPEC)
        backend.embeddings.register_model(SPEC)
        with pytest.raises(Conflict):
            backend.embeddings.register_model(EmbeddingSpec(SPEC.model_id, 8))

    def test_one_model_is_active(self, backend):
        """Activating a model records it as the only active one."""
        assert backend.embeddings.active_model() is None
        backend.embeddings.activate_model(SPEC)
        assert backend.embeddings.active_model() == SPEC
        backend.embeddings.activate_model(OTHER)
        assert backend.embeddings.active_model() == OTHER

    def test_deleting_a_model_deletes_its_vectors(self, backend):
        """``delete_model`` removes the model's vectors (returning how many) and its record."""
        jobs = [make_job(f"Job {i}") for i in range(3)]
        store(backend, *jobs)
        backend.embeddings.activate_model(SPEC)
        backend.embeddings.upsert(SPEC, [embedding(job, (1, 1, 0, 0)) for job in jobs])
        assert backend.embeddings.delete_model(SPEC.model_id) == 3
        assert backend.embeddings.count(SPEC) == 0
        assert backend.embeddings.active_model() is None
        assert backend.embeddings.delete_model(SPEC.model_id) == 0


# ----------------------------------------------------------------------------- retrieval


class TestJobRetriever:
    """Hard filters, then full-text and vector candidates fused by RRF."""

    @pytest.mark.parametrize("exact", [True, False])
    def test_vector_ranking_is_exact_cosine_order(self, backend, exact):
        """Vector candidates come most similar first, with their cosine similarity."""
        jobs = seed_corpus(backend, 30, random.Random(7))
        found = backend.retriever(SPEC).retrieve(
            text=None, vector=QUERY, filters=JobQuery(), limit=10, exact=exact
        )
        vectors = {
            job.id: v
            for job, v in zip(jobs, separated_vectors(random.Random(7), QUERY, 30), strict=True)
        }
        expected = sorted(vectors, key=lambda job_id: -cos(vectors[job_id], QUERY))[:10]
        assert [r.job_id for r in found] == expected
        assert [r.vector_rank for r in found] == list(range(1, 11))
        for result in found:
            assert result.vector_similarity == pytest.approx(
                cos(vectors[result.job_id], QUERY), abs=1e-5
            )
            assert result.text_rank is None
            assert result.fused_score == pytest.approx(1 / (60 + result.vector_rank))

    @pytest.mark.parametrize("exact", [True, False])
    def test_filters_apply_before_ranking_and_never_cut_the_list(self, backend, exact):
        """Only filtered jobs are returned, and ``limit`` of them when enough pass."""
        jobs = seed_corpus(backend, 30, random.Random(3))
        remote = {job.id for job in jobs if job.location.remote is RemoteMode.REMOTE}
        found = backend.retriever(SPEC).retrieve(
            text=None,
            vector=QUERY,
            filters=JobQuery(remote=RemoteMode.REMOTE),
            limit=8,
            exact=exact,
        )
        assert len(found) == 8
        assert {r.job_id for r in found} <= remote
        assert all(r.vector_rank is not None for r in found)

    def test_a_short_list_is_filled_with_the_newest_filtered_jobs(self, backend):
        """Jobs without vectors fill a short result, newest first, unranked, score 0."""
        old = make_job("Old", posted_at=SEEN - timedelta(days=9))
        new = make_job("New", posted_at=SEEN - timedelta(days=1))
        embedded = make_job("Embedded", posted_at=SEEN - timedelta(days=5))
        store(backend, old, new, embedded)
        backend.embeddings.register_model(SPEC)
        backend.embeddings.upsert(SPEC, [embedding(embedded, (1, 0, 0, 0))])
        found = backend.retriever(SPEC).retrieve(
            text=None, vector=QUERY, filters=JobQuery(), limit=5
        )
        assert [r.job_id for r in found] == [embedded.id, new.id, old.id]
        assert found[1].vector_rank is None
        assert found[1].fused_score == 0.0

    def test_without_a_query_the_filtered_jobs_come_newest_first(self, backend):
        """With neither text nor vector, retrieval lists the filtered jobs by date."""
        jobs = [make_job(f"Job {i}", posted_at=SEEN - timedelta(days=i)) for i in range(4)]
        store(backend, *jobs)
        found = backend.retriever(SPEC).retrieve(
            text=None, vector=None, filters=JobQuery(), limit=3
        )
        assert [r.job_id for r in found] == [job.id for job in jobs[:3]]

    def test_text_candidates_match_any_query_word(self, backend):
        """Full-text candidates are the filtered jobs containing any word of the text."""
        python = make_job("Python Developer", description="Services.")
        kotlin = make_job("Mobile Engineer", description="Kotlin apps.")
        nurse = make_job("Nurse", description="Wards.")
        store(backend, python, kotlin, nurse)
        found = backend.retriever(SPEC).retrieve(
            text="python kotlin", vector=None, filters=JobQuery(), limit=2
        )
        assert {r.job_id for r in found} == {python.id, kotlin.id}
        assert sorted(r.text_rank for r in found if r.text_rank) == [1, 2]

    def test_title_scope_looks_for_the_words_in_titles_only(self, backend):
        """``TextScope.TITLES`` ranks by title words; a word only in a description is not used."""
        titled = make_job("Kubernetes Engineer", description="Run clusters.")
        described = make_job("Platform Engineer", description="Kubernetes and Terraform.")
        both = make_job("Kubernetes Terraform Lead", description="Terraform modules.")
        store(backend, titled, described, both)
        retriever = backend.retriever(SPEC)

        def text_ranks(scope: TextScope) -> dict[uuid.UUID, int | None]:
            found = retriever.retrieve(
                text="kubernetes terraform",
                vector=None,
                filters=JobQuery(),
                limit=3,
                text_scope=scope,
            )
            return {r.job_id: r.text_rank for r in found}

        assert text_ranks(TextScope.TITLES) == {both.id: 1, titled.id: 2, described.id: None}
        everywhere = text_ranks(TextScope.EVERYWHERE)
        assert everywhere[described.id] is not None
        assert everywhere[both.id] == 1

    def test_title_scope_follows_a_changed_title(self, backend):
        """A job seen again under a new title is found by the new title's words, not the old."""
        job = make_job("Barista", description="Coffee.")
        other = make_job("Nurse", description="Wards.")
        store(backend, job, other)
        store(backend, attrs.evolve(job, title="Kotlin Developer"))
        retriever = backend.retriever(SPEC)

        def found(text: str) -> list[tuple[uuid.UUID, int | None]]:
            hits = retriever.retrieve(
                text=text, vector=None, filters=JobQuery(), limit=2, text_scope=TextScope.TITLES
            )
            return [(r.job_id, r.text_rank) for r in hits]

        assert found("kotlin")[0] == (job.id, 1)
        assert all(rank is None for _, rank in found("barista"))

    def test_hard_text_filter_and_free_text_combine(self, backend):
        """``filters.text`` must match; the free text only ranks within what passes."""
        both = make_job("Python Kotlin Developer")
        python = make_job("Python Developer")
        store(backend, both, python)
        found = backend.retriever(SPEC).retrieve(
            text="python", vector=None, filters=JobQuery(text="kotlin"), limit=5
        )
        assert [r.job_id for r in found] == [both.id]

    def test_hybrid_results_are_ordered_by_fused_score_then_id(self, backend):
        """A job in both lists outranks one in a single list; equal scores go by job id."""
        jobs = seed_corpus(backend, 12, random.Random(11))
        titled = jobs[0]
        store(backend, attrs.evolve(titled, title="Platform Engineer"))
        found = backend.retriever(SPEC).retrieve(
            text="platform", vector=QUERY, filters=JobQuery(), limit=12
        )
        scores = [(-r.fused_score, r.job_id) for r in found]
        assert scores == sorted(scores)
        top = next(r for r in found if r.job_id == titled.id)
        assert top.text_rank == 1
        assert top.fused_score == pytest.approx(1 / 61 + 1 / (60 + top.vector_rank))
        assert found[0].job_id in {titled.id, *[r.job_id for r in found if r.vector_rank == 1]}

    def test_retrieval_is_deterministic(self, backend):
        """The same data and query give the same list."""
        seed_corpus(backend, 20, random.Random(5))
        retriever = backend.retriever(SPEC)

        def ask() -> list[object]:
            return retriever.retrieve(text="job", vector=QUERY, filters=JobQuery(), limit=15)

        assert ask() == ask()

    def test_limit_out_of_range_is_refused(self, backend):
        """A limit below 1 or above the maximum is ``InvalidInput``."""
        retriever = backend.retriever(SPEC)
        for limit in (0, 1001):
            with pytest.raises(InvalidInput):
                retriever.retrieve(text=None, vector=None, filters=JobQuery(), limit=limit)

    def test_a_vector_of_another_model_is_refused(self, backend):
        """A query vector whose length is not the model's is ``InvalidInput``."""
        with pytest.raises(InvalidInput):
            backend.retriever(SPEC).retrieve(
                text=None, vector=(1.0, 0.0), filters=JobQuery(), limit=3
            )

    def test_only_the_retrievers_model_is_searched(self, backend):
        """Vectors of another model are ignored (the job is only a filler)."""
        job = make_job("Job")
        store(backend, job)
        backend.embeddings.register_model(OTHER)
        backend.embeddings.upsert(OTHER, [embedding(job, (1, 0, 0))])
        (found,) = backend.retriever(SPEC).retrieve(
            text=None, vector=QUERY, filters=JobQuery(), limit=3
        )
        assert found.job_id == job.id
        assert found.vector_rank is None


# ----------------------------------------------------------------------------- skills


def asking(job: JobPosting, *skill_ids: str) -> StoredAnalysis:
    """A stored analysis of ``job`` that asks for these canonical skills, all required."""
    skills = tuple(
        JobSkill(
            name=skill_id.title(),
            skill_id=skill_id,
            required=True,
            evidence=Evidence(text=skill_id, source=EvidenceSource.JOB),
        )
        for skill_id in skill_ids
    )
    analysis = JobAnalysis(
        job_id=job.id,
        skills=skills,
        experience=(),
        occupation_code=None,
        occupation=None,
        seniority=None,
        family=job.title,
    )
    return StoredAnalysis(job, analysis)


def analysed(
    backend: Backend, asks: dict[str, tuple[str, ...]], **job: object
) -> dict[str, JobPosting]:
    """Store a job per entry of ``asks`` (titled by its key), its analysis asking for its skills.

    Every job also asks for ``common``, which the person never has, so the statistics see a
    skill that every posting asks for next to the rare ones.
    """
    jobs = {title: make_job(title, **job) for title in asks}  # type: ignore[arg-type]
    store(backend, *jobs.values())
    backend.analyses.save(
        "analysis-v1:test",
        [asking(jobs[title], "common", *skills) for title, skills in asks.items()],
    )
    backend.refresh_statistics()
    return jobs


class TestSkillCandidates:
    """The third list: jobs whose stored analysis asks for the person's skills."""

    ASKS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Both": ("kubernetes", "terraform"),
        "One": ("kubernetes",),
        "One of many": ("kubernetes", "cobol", "fortran", "pascal", "ada"),
        "None": ("cobol",),
        "Unanalysed": (),
    }

    def test_jobs_asking_for_more_of_the_persons_skills_rank_first(self, backend):
        """Two shared skills beat one; one among many asked for comes after one alone."""
        jobs = analysed(backend, self.ASKS)
        found = backend.retriever(SPEC).retrieve(
            text=None,
            vector=None,
            filters=JobQuery(),
            limit=3,
            skills={"kubernetes", "terraform", "python"},
        )
        assert [r.job_id for r in found] == [
            jobs["Both"].id,
            jobs["One"].id,
            jobs["One of many"].id,
        ]
        assert [r.skill_rank for r in found] == [1, 2, 3]
        assert found[0].fused_score == pytest.approx(1 / 61)
        assert all(r.text_rank is None and r.vector_rank is None for r in found)

    def test_jobs_asking_for_none_of_them_are_only_fillers(self, backend):
        """A job asking for none of the skills, or never analysed, has no skill rank."""
        jobs = analysed(backend, self.ASKS)
        found = backend.retriever(SPEC).retrieve(
            text=None, vector=None, filters=JobQuery(), limit=5, skills={"kubernetes"}
        )
        ranks = {r.job_id: r.skill_rank for r in found}
        assert ranks[jobs["None"].id] is None
        assert ranks[jobs["Unanalysed"].id] is None
        assert {ranks[jobs[t].id] for t in ("Both", "One", "One of many")} == {1, 2, 3}

    def test_filters_apply_to_skill_candidates(self, backend):
        """Only jobs passing the hard filters are skill candidates."""
        remote = analysed(backend, {"Remote": ("kubernetes",)}, remote=RemoteMode.REMOTE)
        analysed(backend, {"Office": ("kubernetes", "terraform")}, remote=RemoteMode.ON_SITE)
        found = backend.retriever(SPEC).retrieve(
            text=None,
            vector=None,
            filters=JobQuery(remote=RemoteMode.REMOTE),
            limit=5,
            skills={"kubernetes", "terraform"},
        )
        assert [(r.job_id, r.skill_rank) for r in found] == [(remote["Remote"].id, 1)]

    def test_skills_nobody_asks_for_find_nothing(self, backend):
        """A person whose skills no posting asks for gets no skill candidates (only fillers)."""
        analysed(backend, self.ASKS)
        found = backend.retriever(SPEC).retrieve(
            text=None, vector=None, filters=JobQuery(), limit=5, skills={"haskell"}
        )
        assert all(r.skill_rank is None for r in found)

    def test_skill_candidates_fuse_with_the_other_lists(self, backend):
        """A job in the vector and skill lists outranks jobs in one; its vector rank is exact."""
        jobs = seed_corpus(backend, 12, random.Random(13))
        backend.analyses.save("analysis-v1:test", [asking(jobs[5], "kubernetes")])
        backend.refresh_statistics()
        found = backend.retriever(SPEC).retrieve(
            text=None, vector=QUERY, filters=JobQuery(), limit=12, skills={"kubernetes"}
        )
        both = next(r for r in found if r.job_id == jobs[5].id)
        assert both.skill_rank == 1
        assert both.vector_rank is not None
        assert both.fused_score == pytest.approx(1 / 61 + 1 / (60 + both.vector_rank))
        assert found[0].job_id == jobs[5].id or found[0].vector_rank == 1


def test_jobs_are_distinct_ids() -> None:
    """The builders give every job its own id (the tie-break relies on it)."""
    assert len({make_job("x").id for _ in range(10)}) == 10
    assert uuid.UUID(int=1) < uuid.UUID(int=2)
