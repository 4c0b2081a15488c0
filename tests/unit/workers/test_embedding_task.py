"""The embedding task on the in-memory container: queued after an ingestion, embeds what is new."""

import uuid

from jobraker_adapters.container import build_memory_container
from jobraker_adapters.memory import InMemoryJobSource
from jobraker_core.errors import UpstreamUnavailable
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec
from jobraker_core.jobs.model import JobDraft
from jobraker_core.matching.use_cases_index import EMBED_JOBS_TASK
from jobraker_workers.tasks import execute_embedding, execute_ingestion


def _container(drafts):
    container = build_memory_container()
    container.job_sources().sources = {"demo": InMemoryJobSource(drafts)}
    run = IngestionRun.queue(SourceSpec("demo"), run_id=uuid.uuid4(), at=container.clock().now())
    with container.uow()() as uow:
        uow.ingestions.add(run)
        uow.commit()
    return container, run


def _drafts(count):
    return [
        JobDraft(source="demo", source_id=f"j{n}", title=f"Welder {n}", description="Steel.")
        for n in range(count)
    ]


def test_an_ingestion_that_stored_jobs_queues_their_embedding():
    """A run with new jobs queues ``embed_jobs`` under ``embed-<run id>``."""
    container, run = _container(_drafts(2))
    execute_ingestion(container, str(run.id))
    queued = [t for t in container.task_queue().tasks if t.task == EMBED_JOBS_TASK]
    assert [(t.args, t.job_id) for t in queued] == [((str(run.id),), f"embed-{run.id}")]


def test_an_ingestion_that_stored_nothing_queues_nothing():
    """A run that stored no new or updated job queues no embedding."""
    container, run = _container([])
    execute_ingestion(container, str(run.id))
    assert not [t for t in container.task_queue().tasks if t.task == EMBED_JOBS_TASK]


def test_a_queue_failure_does_not_fail_the_ingestion():
    """If the embedding cannot be queued, the run still succeeds (a later pass catches up)."""
    container, run = _container(_drafts(1))

    class DownQueue:
        tasks = ()

        def enqueue(self, *_args, **_kwargs):
            raise UpstreamUnavailable("redis down", service="redis")

    container.task_queue.override(DownQueue())
    assert execute_ingestion(container, str(run.id))["status"] == "succeeded"


def test_the_embedding_task_embeds_the_stored_jobs():
    """``execute_embedding`` gives every stored job a vector and returns plain JSON counts."""
    container, run = _container(_drafts(3))
    execute_ingestion(container, str(run.id))
    result = execute_embedding(container, str(run.id))
    assert result == {"key": str(run.id), "checked": 3, "embedded": 3, "reused": 0, "unchanged": 0}
    assert container.job_embeddings().count(container.embedding_spec()) == 3
    assert execute_embedding(container, "again")["checked"] == 0
