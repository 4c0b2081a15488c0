"""``jobraker reindex`` on the in-memory container: progress, model change, exit code."""

import uuid

from dependency_injector import providers

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.embedders.hashing import HashingEmbedder
from jobraker_cli.main import main
from jobraker_core.jobs.model import JobDraft, JobPosting
from jobraker_core.matching.embedding import EmbeddingSpec


def _container(jobs):
    container = build_memory_container()
    container.migrate.override(providers.Callable(list))
    container.embedder.override(providers.Singleton(HashingEmbedder, 16))
    now = container.clock().now()
    with container.uow()() as uow:
        uow.jobs.save(
            [
                JobPosting.from_draft(
                    JobDraft(
                        source="t", source_id=str(n), title=f"Roofer {n}", description="Roofs."
                    ),
                    job_id=uuid.uuid4(),
                    seen_at=now,
                )
                for n in range(jobs)
            ]
        )
        uow.commit()
    return container


def test_reindex_embeds_every_job_and_records_the_model(capsys, tmp_path):
    """The first re-index embeds every job, prints progress and the active model, exits 0."""
    container = _container(3)
    code = main(["reindex", "--data-dir", str(tmp_path)], build=lambda _settings: container)
    out = capsys.readouterr().out
    assert code == 0
    assert "Embedding model: local-hash-v1:16 (16 dimensions)" in out
    assert "No model was recorded yet" in out
    assert "3 checked: 3 embedded, 0 reused, 0 unchanged (of 3 jobs" in out
    assert "Active model: local-hash-v1:16." in out
    assert container.job_embeddings().active_model() == EmbeddingSpec("local-hash-v1:16", 16)
    assert f"Analyses: {container.job_analyser().version}" in out
    assert "Analyses: 3 checked: 3 analysed and stored, 0 unchanged." in out
    assert len(container.job_analyses().saved) == 3


def test_reindex_stores_only_the_analyses_that_are_missing(capsys, tmp_path):
    """A second run finds every analysis current and stores none."""
    container = _container(2)
    main(["reindex", "--data-dir", str(tmp_path)], build=lambda _settings: container)
    capsys.readouterr()
    main(["reindex", "--data-dir", str(tmp_path)], build=lambda _settings: container)
    assert "Analyses: 0 checked: 0 analysed and stored, 0 unchanged." in capsys.readouterr().out
    assert len(container.job_analyses().saved) == 2


def test_reindex_after_a_dimension_change_replaces_the_vectors(capsys, tmp_path):
    """A new dimension re-embeds everything and removes the previous model's vectors."""
    container = _container(2)
    main(["reindex", "--data-dir", str(tmp_path)], build=lambda _settings: container)
    container.embedder.override(providers.Singleton(HashingEmbedder, 24))
    container.embedding_spec.reset()
    capsys.readouterr()
    main(["reindex", "--data-dir", str(tmp_path)], build=lambda _settings: container)
    out = capsys.readouterr().out
    assert "The active model was local-hash-v1:16 (16 dimensions)" in out
    assert "Removed 2 vectors of local-hash-v1:16." in out
    assert container.job_embeddings().count(EmbeddingSpec("local-hash-v1:16", 16)) == 0
