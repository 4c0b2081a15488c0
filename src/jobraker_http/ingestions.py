"""``/api/v1/ingestions/``: start ingestions (they run on the worker) and follow them."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, post
from litestar.di import NamedDependency  # noqa: TC002 - Litestar reads it at runtime
from litestar.params import JSONBody, Parameter

from jobraker_core.errors import Conflict, InvalidInput
from jobraker_core.jobs.ingestion import SourceSpec
from jobraker_core.jobs.use_cases import (
    GetIngestion,
    ListIngestions,
    QueueIngestion,
    StartIngestion,
)
from jobraker_core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE
from jobraker_http.docs import problem_responses
from jobraker_http.envelope import ItemMeta, list_meta
from jobraker_http.guards import requires_admin
from jobraker_http.jobs import MAX_PAGE, clamp_page, parse_id
from jobraker_http.schemas import (
    API_SOURCES,
    IngestionEnvelope,
    IngestionListEnvelope,
    ParamValue,
    StartIngestionIn,
    ingestion_to_wire,
)


def _param(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def source_spec(body: StartIngestionIn) -> SourceSpec:
    """Return the source a request asks for, refusing kinds the API may not start.

    ``file`` is refused: it would let a caller make the server read any path it can. Feed files
    are ingested through ``feed``, which reads only the server's feeds folder.
    """
    kind = body.source.strip()
    if kind == "file":
        raise InvalidInput(
            "the API does not read files by server path; put the file in the server's feeds "
            "folder and use source 'feed' with its name",
            field="source",
        )
    if kind not in API_SOURCES:
        raise InvalidInput(
            f"unknown source {kind[:50]!r}; the API can start: {', '.join(API_SOURCES)}",
            field="source",
        )
    params = {name: _param(value) for name, value in body.params.items()}
    if any("\x00" in text for pair in params.items() for text in pair):
        raise InvalidInput("params must not contain NUL characters", field="params")
    return SourceSpec.of(kind, params)


@post(
    "/",
    sync_to_thread=True,
    status_code=202,
    summary="Start an ingestion",
    description="Queues a run for the worker and answers at once with the queued run; follow it "
    "at `GET /api/v1/ingestions/{run_id}/`. A source this server has not configured (Adzuna "
    "without keys) answers 422.",
    responses=problem_responses(400, 413, 422, 503),
)
def ingestion_create(
    data: JSONBody[StartIngestionIn],
    queue_ingestion: NamedDependency[QueueIngestion],
) -> Response[IngestionEnvelope]:
    """Queue an ingestion of the source in the body."""
    try:
        run = queue_ingestion(StartIngestion(source=source_spec(data)))
    except InvalidInput as error:
        if error.field in {None, "source", "params"}:
            raise
        # The catalog names a source parameter; in the body it lives under ``params``.
        raise InvalidInput(error.message, field=f"params.{error.field}") from None
    if run is None:  # only scheduled runs can collide, and the API starts none
        raise Conflict("this ingestion was already started")
    return Response(
        IngestionEnvelope(success=True, data=ingestion_to_wire(run), meta=ItemMeta()),
        status_code=202,
        headers={"Location": f"/api/v1/ingestions/{run.id}/"},
    )


@get(
    "/",
    sync_to_thread=True,
    summary="List ingestion runs",
    description="Newest first.",
    responses=problem_responses(400, 503),
)
def ingestions_index(
    list_ingestions: NamedDependency[ListIngestions],
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="1-based page number.")] = 1,
    per_page: Annotated[
        int,
        Parameter(
            ge=1,
            description=f"Runs per page; values above {MAX_PER_PAGE} are capped to it.",
        ),
    ] = DEFAULT_PER_PAGE,
) -> IngestionListEnvelope:
    """One page of ingestion runs."""
    found = list_ingestions(clamp_page(page, per_page))
    return IngestionListEnvelope(
        success=True, data=[ingestion_to_wire(run) for run in found.items], meta=list_meta(found)
    )


@get(
    "/{run_id:str}",
    sync_to_thread=True,
    summary="Read one ingestion run",
    description="Its status, counts and the reasons records were rejected. A malformed id "
    "answers 404, like an id no run has.",
    responses=problem_responses(400, 404, 503),
)
def ingestion_detail(
    run_id: Annotated[str, Parameter(description="The run's id (a UUID).")],
    get_ingestion: NamedDependency[GetIngestion],
) -> IngestionEnvelope:
    """Return the ingestion run with this id."""
    run = get_ingestion(parse_id(run_id, "ingestion run"))
    return IngestionEnvelope(success=True, data=ingestion_to_wire(run), meta=ItemMeta())


def ingestions_router() -> Router:
    """Group the routes under ``/api/v1/ingestions``."""
    return Router(
        path="/ingestions",
        route_handlers=[ingestions_index, ingestion_create, ingestion_detail],
        tags=["ingestions"],
        guards=[requires_admin],
    )
