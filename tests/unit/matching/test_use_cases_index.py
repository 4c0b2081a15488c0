"""Embedding jobs (cached by content hash), re-indexing on a model change, search by meaning."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from jobraker_adapters.embedders.hashing import HashingEmbedder
from jobraker_adapters.memory import (
    InMemoryJobEmbeddingRepository,
    InMemoryJobRetriever,
    InMemoryTaskQueue,
    InMemoryUnitOfWorkFactory,
)
from jobraker_core.errors import InvalidInput, UpstreamUnavailable
from jobraker_core.jobs.model import JobDraft, JobPosting, JobQuery
from jobraker_core.matching.embedding import EmbeddingSpec
from jobraker_core.matching.retrieval import TextScope
from jobraker_core.matching.search import SearchByMeaning, SearchJobsByMeaning
from jobraker_core.matching.use_cases_index import (
    EMBED_JOBS_TASK,
    EmbeddingCounts,
    EmbedJobs,
    EmbedPendingJobs,
    QueueEmbedding,
    Reindex,
    ReindexJobs,
)

SEEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@attrs.define
class CountingEmbedder:
    """A hashing embedder that records every text it was asked to embed."""

    inner: HashingEmbedder = attrs.field(factory=lambda: HashingEmbedder(32))
    texts: list[str] = attrs.field(factory=list)
    fail: Exception | None = None

    @property
    def model_id(self) -> str:
        """The wrapped embedder's model id."""
        return self.inner.model_id

    @property
    def dimensions(self) -> int:
        """The wrapped embedder's size."""
        return self.inner.dimensions

    def embed(self, texts):
        """Record the texts, then embed them (or fail if told to)."""
        if self.fail is not None:
            raise self.fail
        self.texts.extend(texts)
        return self.inner.embed(texts)


def job(title: str, description: str = "Build services.", **fields) -> JobPosting:
    """A stored-ready posting."""
    draft = JobDraft(
        source="test", source_id=uuid.uuid4().hex, title=title, description=description
    )
    posting = JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=SEEN)
    return attrs.evolve(posting, key=f"test:{uuid.uuid4().hex}", **fields)


@pytest.fixture
def uow():
    """An empty in-memory unit-of-work factory."""
    return InMemoryUnitOfWorkFactory()


@pytest.fixture
def vectors(uow):
    """The in-memory vector store over ``uow``'s jobs."""
    return InMemoryJobEmbeddingRepository(store=uow.store)


def store(uow, *jobs):
    """Save jobs in one unit."""
    with uow() as unit:
        unit.jobs.save(jobs)
        unit.commit()


def test_every_pending_job_gets_a_vector_in_batches(uow, vectors):
    """All jobs are embedded, batch by batch, with progress after each batch."""
    store(uow, *[job(f"Engineer {n}") for n in range(7)])
    embedder = CountingEmbedder()
    progress: list[EmbeddingCounts] = []
    counts = EmbedJobs(vectors, embedder, batch_size=3)(EmbedPendingJobs(), progress.append)
    assert counts == EmbeddingCounts(checked=7, embedded=7)
    assert [c.checked for c in progress] == [3, 6, 7]
    spec = EmbeddingSpec.of(embedder)
    assert vectors.count(spec) == 7
    assert vectors.pending(spec) == []


def test_unchanged_text_is_never_embedded_again(uow, vectors):
    """A job seen again with the same text is only marked checked; a changed one is re-embedded."""
    same, edited = job("Nurse"), job("Driver")
    store(uow, same, edited)
    embedder = CountingEmbedder()
    embed = EmbedJobs(vectors, embedder)
    embed()
    embedder.texts.clear()
    later = SEEN + timedelta(days=1)
    store(
        uow,
        attrs.evolve(same, last_seen=later),
        attrs.evolve(edited, last_seen=later, description="Now with a van."),
    )
    counts = embed()
    assert counts == EmbeddingCounts(checked=2, embedded=1, unchanged=1)
    assert embedder.texts == ["Driver\nNow with a van."]
    assert embed() == EmbeddingCounts()


def test_the_same_text_is_embedded_once(uow, vectors):
    """Jobs with identical text share one embedding, within a batch and across passes."""
    store(uow, job("Chef"), job("Chef"))
    embedder = CountingEmbedder()
    embed = EmbedJobs(vectors, embedder)
    assert embed() == EmbeddingCounts(checked=2, embedded=1)
    store(uow, job("Chef"))
    assert embed() == EmbeddingCounts(checked=1, reused=1)
    assert embedder.texts == ["Chef\nBuild services."]


def test_max_jobs_bounds_one_pass(uow, vectors):
    """``max_jobs`` stops a pass after that many jobs; the next pass carries on."""
    store(uow, *[job(f"Job {n}") for n in range(5)])
    embed = EmbedJobs(vectors, CountingEmbedder(), batch_size=2)
    assert embed(EmbedPendingJobs(max_jobs=3)).checked == 3
    assert embed().checked == 2


def test_an_embedder_failure_keeps_the_batches_before_it(uow, vectors):
    """A failing embedder raises; batches stored before the failure stay stored."""
    store(uow, *[job(f"Job {n}") for n in range(4)])
    embedder = CountingEmbedder()
    embed = EmbedJobs(vectors, embedder, batch_size=2)

    def fail_after_first(counts: EmbeddingCounts) -> None:
        embedder.fail = UpstreamUnavailable("down", service="openai")

    with pytest.raises(UpstreamUnavailable):
        embed(EmbedPendingJobs(), fail_after_first)
    assert vectors.count(EmbeddingSpec.of(embedder)) == 2


def test_reindex_after_a_model_change_replaces_the_vectors(uow, vectors):
    """A new model embeds every job, becomes active, and the old model's vectors go."""
    store(uow, *[job(f"Job {n}") for n in range(3)])
    old = CountingEmbedder(HashingEmbedder(16))
    first = ReindexJobs(uow, vectors, old)()
    assert first.previous is None
    assert first.changed
    new = CountingEmbedder(HashingEmbedder(24))
    progress: list[tuple[int, int]] = []
    result = ReindexJobs(uow, vectors, new)(Reindex(), lambda c, t: progress.append((c.checked, t)))
    assert result.previous == EmbeddingSpec.of(old)
    assert result.current == EmbeddingSpec.of(new)
    assert result.counts.embedded == 3
    assert result.removed == 3
    assert progress == [(3, 3)]
    assert vectors.active_model() == EmbeddingSpec.of(new)
    assert vectors.count(EmbeddingSpec.of(old)) == 0


def test_reindex_with_the_same_model_embeds_only_what_is_missing(uow, vectors):
    """An unchanged model keeps its vectors; ``full`` embeds everything again."""
    store(uow, job("A"), job("B"))
    embedder = CountingEmbedder()
    ReindexJobs(uow, vectors, embedder)()
    store(uow, job("C"))
    again = ReindexJobs(uow, vectors, embedder)()
    assert not again.changed
    assert again.counts == EmbeddingCounts(checked=1, embedded=1)
    assert again.removed == 0
    full = ReindexJobs(uow, vectors, embedder)(Reindex(full=True))
    assert full.counts.embedded == 3


def test_queue_embedding_is_idempotent_per_key():
    """The embedding task is queued under ``embed-<key>``."""
    queue = InMemoryTaskQueue()
    QueueEmbedding(queue)("run-1")
    QueueEmbedding(queue)("run-1")
    assert [(t.task, t.args, t.job_id) for t in queue.tasks] == [
        (EMBED_JOBS_TASK, ("run-1",), "embed-run-1")
    ]


def test_search_by_meaning_embeds_the_text_and_reads_the_jobs(uow, vectors):
    """The query is embedded once and the hits come back with their jobs, best first."""
    python, nurse = job("Python Developer"), job("Staff Nurse", "Wards and patients.")
    store(uow, python, nurse)
    embedder = CountingEmbedder()
    EmbedJobs(vectors, embedder)()
    embedder.texts.clear()
    retriever = InMemoryJobRetriever(vectors, EmbeddingSpec.of(embedder))
    search = SearchJobsByMeaning(uow, retriever, embedder)
    hits = search(SearchByMeaning("python developer", JobQuery(), limit=1))
    assert [hit.job for hit in hits] == [python]
    assert hits[0].retrieval.text_rank == 1
    assert embedder.texts == ["python developer"]
    assert retriever.calls[0]["limit"] == 1
    assert retriever.calls[0]["text_scope"] is TextScope.EVERYWHERE


@pytest.mark.parametrize(("text", "limit"), [("  ", 5), ("python", 0), ("python", 101)])
def test_search_queries_are_checked(text, limit):
    """Blank text or a limit outside 1..100 is ``InvalidInput``."""
    with pytest.raises(InvalidInput):
        SearchByMeaning(text, limit=limit)
