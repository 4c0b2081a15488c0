"""A real RQ worker ingests a feed, then embeds the new jobs in the task the ingestion queued."""

from __future__ import annotations

import json

import pytest
from dependency_injector import providers
from rq import SimpleWorker

from jobraker_adapters.redis_queue import RQTaskQueue
from jobraker_core.jobs.ingestion import RunStatus, SourceSpec
from jobraker_core.jobs.model import JobQuery
from jobraker_core.jobs.use_cases import StartIngestion
from jobraker_workers.worker import run_worker

pytestmark = pytest.mark.integration


def test_ingested_jobs_get_embedded_by_the_worker(pg_container, settings, worker_env, tmp_path):
    """After a run stores jobs, the queued embedding task gives each one a vector."""
    pg_container.task_queue.override(
        providers.Singleton(
            RQTaskQueue, redis=pg_container.redis, queue_name=settings.queue_name, retries=0
        )
    )
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "\n".join(
            json.dumps(
                {
                    "source_id": f"s{n}",
                    "title": f"Kotlin engineer {n}",
                    "description": "Android apps.",
                    "company": f"Firm {n}",
                }
            )
            for n in range(4)
        )
        + "\n"
    )
    run = pg_container.queue_ingestion()(StartIngestion(SourceSpec.of("file", {"path": str(feed)})))

    assert run_worker(settings, burst=True, worker_class=SimpleWorker) is True

    assert pg_container.get_ingestion()(run.id).status is RunStatus.SUCCEEDED
    spec = pg_container.embedding_spec()
    embeddings = pg_container.job_embeddings()
    assert embeddings.count(spec) == 4
    assert embeddings.pending(spec) == []
    hits = pg_container.job_retriever().retrieve(
        text="kotlin",
        vector=pg_container.embedder().embed(["Kotlin engineer"])[0],
        filters=JobQuery(),
        limit=4,
    )
    assert all(h.vector_rank is not None and h.text_rank is not None for h in hits)
