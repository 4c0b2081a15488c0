"""/api/v1/ingestions/: start runs (queued for the worker), list and read them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from dependency_injector import providers

from jobraker_adapters.memory import InMemoryJobSource, InMemoryTaskQueue
from jobraker_core.errors import ConfigurationError, InvalidInput
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.model import JobDraft, RejectedRecord
from jobraker_core.jobs.use_cases import RUN_INGESTION_TASK, IngestJobs, RunIngestion

if TYPE_CHECKING:
    from jobraker_core.jobs.ports import JobSource

INGESTIONS = "/api/v1/ingestions/"


@pytest.fixture
def sources(container):
    """Register demo, feed and adzuna sources in the in-memory catalog."""
    catalog = container.job_sources()
    catalog.sources = {
        "demo": InMemoryJobSource(
            records=[
                JobDraft(
                    source="demo",
                    source_id="1",
                    title="Python Developer",
                    description="Write Python.",
                ),
                RejectedRecord(ref="line 2", reason="title is required"),
            ]
        ),
        "feed": InMemoryJobSource(),
        "adzuna": InMemoryJobSource(),
    }
    return catalog


@pytest.mark.parametrize("path", ["/api/v1/ingestions", "/api/v1/ingestions/"])
def test_post_queues_a_run_and_answers_202(client, container, sources, path):
    """POST answers 202 with the queued run, and hands its id to the worker queue."""
    response = client.post(path, json={"source": "demo", "params": {"pages": 2}})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["success"] is True
    run = body["data"]
    assert run["status"] == "queued"
    assert run["source"] == {"kind": "demo", "params": {"pages": "2"}}
    assert run["attempts"] == 0
    assert run["counts"] == {"fetched": 0, "new": 0, "updated": 0, "duplicate": 0, "rejected": 0}
    assert run["rejections"] == []
    assert run["created_at"] == "2026-01-15T12:00:00Z"
    assert run["started_at"] is None
    assert run["finished_at"] is None
    assert run["error"] is None
    assert response.headers["location"] == f"/api/v1/ingestions/{run['id']}/"
    tasks = container.task_queue().tasks
    assert [(t.task, t.args) for t in tasks] == [(RUN_INGESTION_TASK, (run["id"],))]
    assert sources.opened == [SourceSpec("demo", (("pages", "2"),))]


def test_param_values_are_sent_as_strings(client, sources):
    """Numbers and booleans in params are passed on as strings; empty values are dropped."""
    response = client.post(
        INGESTIONS,
        json={
            "source": "adzuna",
            "params": {"country": "gb", "pages": 3, "salary": 1.5, "full_time": True, "where": ""},
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["data"]["source"]["params"] == {
        "country": "gb",
        "full_time": "true",
        "pages": "3",
        "salary": "1.5",
    }


def test_run_is_listed_and_readable_after_the_worker_ran_it(client, container, sources):
    """A run started through the API shows the worker's counts and rejections when read."""
    run_id = client.post(INGESTIONS, json={"source": "demo"}).json()["data"]["id"]
    container.ingest_jobs()(RunIngestion(uuid.UUID(run_id)))
    detail = client.get(f"{INGESTIONS}{run_id}/")
    assert detail.status_code == 200
    run = detail.json()["data"]
    assert run["status"] == "succeeded"
    assert run["attempts"] == 1
    assert run["counts"] == {"fetched": 2, "new": 1, "updated": 0, "duplicate": 0, "rejected": 1}
    assert run["rejections"] == [{"ref": "line 2", "reason": "title is required"}]
    assert run["started_at"] == run["finished_at"] == "2026-01-15T12:00:00Z"
    listing = client.get(INGESTIONS).json()
    assert [r["id"] for r in listing["data"]] == [run_id]
    assert listing["meta"]["pagination"]["total"] == 1
    assert client.get(f"/api/v1/ingestions/{run_id}").status_code == 200


def test_ingestion_list_is_newest_first_and_paginated(client, container, sources):
    """Runs are listed newest first, a page at a time."""
    ids = []
    for _ in range(3):
        ids.append(client.post(INGESTIONS, json={"source": "feed"}).json()["data"]["id"])
        container.clock().advance(minutes=1)
    first = client.get(f"{INGESTIONS}?per_page=2").json()
    second = client.get(f"{INGESTIONS}?per_page=2&page=2").json()
    assert [r["id"] for r in first["data"] + second["data"]] == ids[::-1]
    assert first["meta"]["pagination"] == {"page": 1, "per_page": 2, "total": 3, "total_pages": 2}


def test_file_source_is_refused_with_422(client, container, sources):
    """The ``file`` source is refused (422): the API may not read arbitrary server paths."""
    response = client.post(INGESTIONS, json={"source": "file", "params": {"path": "/etc/passwd"}})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "source"
    assert "feed" in body["detail"]
    assert container.task_queue().tasks == []
    assert container.uow().store.ingestions == {}


def test_unknown_source_is_refused_with_422(client, container, sources):
    """A source the API does not know answers 422 naming ``source``; nothing is queued."""
    response = client.post(INGESTIONS, json={"source": "monster"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "source",
            "message": "unknown source 'monster'; the API can start: "
            "demo, feed, adzuna, greenhouse, lever",
        }
    ]
    assert container.task_queue().tasks == []


def test_source_the_catalog_does_not_know_is_422(client, container):
    """A permitted kind that the server's catalog cannot open answers 422 naming ``source``."""
    response = client.post(INGESTIONS, json={"source": "adzuna"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "source"


class UnconfiguredCatalog:
    """A catalog for which every source lacks its credentials."""

    def open(self, spec: SourceSpec) -> JobSource:
        """Refuse: this server has not configured the source."""
        raise ConfigurationError(f"{spec.kind} is not configured: set its API keys")


def test_unconfigured_source_is_422(client, container):
    """A source this server has not configured answers 422 with the reason."""
    container.job_sources.override(providers.Object(UnconfiguredCatalog()))
    response = client.post(INGESTIONS, json={"source": "adzuna"})
    assert response.status_code == 422
    body = response.json()
    assert body["type"].endswith("/not-configured")
    assert body["detail"] == "adzuna is not configured: set its API keys"


def test_queue_down_is_503_and_the_run_is_marked_failed(client, container, sources):
    """With the queue unreachable, POST answers 503 + Retry-After and records a failed run."""
    container.task_queue.override(providers.Object(InMemoryTaskQueue(down=True)))
    response = client.post(INGESTIONS, json={"source": "demo"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    [run] = container.uow().store.ingestions.values()
    assert run.status.value == "failed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "source"),
        ({"params": {}}, "source"),
        ({"source": 5}, "source"),
        ({"source": ""}, "source"),
        ({"source": "demo", "params": []}, "params"),
        ({"source": "demo", "params": {"a": {"nested": 1}}}, "params"),
        ({"source": "demo", "params": {"a": None}}, "params"),
        ({"source": "demo", "params": {f"p{i}": "x" for i in range(21)}}, "params"),
        ({"source": "demo", "params": {"what": "x" * 501}}, "params"),
        ({"source": "demo", "params": {"what": "a\u0000b"}}, "params"),
        ({"source": "demo", "params": {"a\u0000": "b"}}, "params"),
        ({"source": "de\u0000mo"}, "source"),
        ({"source": "demo", "user_id": 1}, "user_id"),
        ({"source": "demo", "status": "succeeded"}, "status"),
    ],
)
def test_body_validation_errors_are_422_naming_the_field(client, container, sources, body, field):
    """A body that does not fit the schema answers 422 naming the field; nothing is queued."""
    response = client.post(INGESTIONS, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["success"] is False
    assert field in [error["field"] for error in problem["errors"]]
    assert field in problem["detail"]
    assert container.task_queue().tasks == []


def test_malformed_json_is_400(client, sources):
    """A body that is not JSON answers 400 naming the body."""
    response = client.post(
        INGESTIONS, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_oversized_body_is_413(client, container, sources):
    """A body over 1 MiB answers 413 and queues nothing."""
    big = {"source": "demo", "params": {"what": "x" * (1024 * 1024 + 1)}}
    response = client.post(INGESTIONS, json=big)
    assert response.status_code == 413
    body = response.json()
    assert body["type"].endswith("/request-too-large")
    assert body["success"] is False
    assert container.task_queue().tasks == []


def test_unknown_run_and_malformed_id_are_404(client):
    """Reading a run that does not exist, or by a malformed id, answers 404."""
    assert client.get(f"{INGESTIONS}{uuid.uuid4()}/").status_code == 404
    assert client.get(f"{INGESTIONS}123/").status_code == 404


def test_ingest_jobs_use_case_is_resolvable(container):
    """The container hands out the ingest use case the worker runs (sanity for the fixture)."""
    assert isinstance(container.ingest_jobs(), IngestJobs)


class PickyCatalog:
    """A catalog that refuses the ``name`` parameter of every source."""

    def open(self, spec: SourceSpec) -> JobSource:
        """Refuse the spec's ``name`` parameter."""
        raise InvalidInput(f"no feed called {spec.get('name')!r}", field="name")


def test_refused_source_parameter_is_named_under_params(client, container):
    """A source parameter the catalog refuses is reported as ``params.<name>``, with 422."""
    container.job_sources.override(providers.Object(PickyCatalog()))
    response = client.post(INGESTIONS, json={"source": "feed", "params": {"name": "x.csv"}})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "params.name", "message": "no feed called 'x.csv'"}
    ]
