"""Ingestion runs: one fetch of one source, with its counts, its rejections and its outcome."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Final

import attrs

from jobraker_core.errors import Conflict, InvalidInput
from jobraker_core.jobs.model import Change, RejectedRecord

MAX_REJECTIONS_KEPT: Final = 200
MAX_PARAMS: Final = 20
MAX_PARAM_LENGTH: Final = 500
MAX_ERROR_LENGTH: Final = 2_000


class RunStatus(enum.StrEnum):
    """Where an ingestion run is: ``retrying`` means it failed and another attempt is scheduled.

    ``queued`` → ``running`` → ``succeeded`` | ``failed`` | ``retrying`` → ``running`` → ...;
    ``queued`` may also go straight to ``failed`` (it could not be queued). A final status is
    never left.
    """

    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Whether the run will change no more."""
        return self in {RunStatus.SUCCEEDED, RunStatus.FAILED}


def _params(
    _: object, __: attrs.Attribute[tuple[tuple[str, str], ...]], value: tuple[tuple[str, str], ...]
) -> None:
    if len(value) > MAX_PARAMS:
        raise InvalidInput(f"at most {MAX_PARAMS} source parameters", field="params")
    for name, text in value:
        if len(name) > MAX_PARAM_LENGTH or len(text) > MAX_PARAM_LENGTH:
            raise InvalidInput(f"source parameter {name[:40]!r} is too long", field="params")


@attrs.frozen
class SourceSpec:
    """Which source to ingest from (``kind``: ``file``, ``adzuna``, ...) and its parameters."""

    kind: str
    params: tuple[tuple[str, str], ...] = attrs.field(default=(), validator=_params)

    @classmethod
    def of(cls, kind: str, params: Mapping[str, str | None]) -> SourceSpec:
        """Build a spec from a mapping, dropping empty values and sorting the names."""
        cleaned = tuple(sorted((k, v) for k, v in params.items() if v not in (None, "")))
        return cls(kind, cleaned)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of one parameter, or ``default``."""
        return dict(self.params).get(name, default)


@attrs.frozen
class IngestionCounts:
    """How many records a run fetched, and what became of them."""

    fetched: int = 0
    new: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0

    def add(self, change: Change) -> IngestionCounts:
        """Count one fetched record that was stored with the given outcome."""
        if change is Change.NEW:
            return attrs.evolve(self, fetched=self.fetched + 1, new=self.new + 1)
        if change is Change.UPDATED:
            return attrs.evolve(self, fetched=self.fetched + 1, updated=self.updated + 1)
        return attrs.evolve(self, fetched=self.fetched + 1, duplicate=self.duplicate + 1)

    def reject(self) -> IngestionCounts:
        """Count one fetched record that was rejected."""
        return attrs.evolve(self, fetched=self.fetched + 1, rejected=self.rejected + 1)


@attrs.frozen
class IngestionRun:
    """One ingestion of one source. Each attempt starts the counts afresh (ingestion is idempotent).

    ``schedule_key`` is set on scheduled runs, one per schedule and time slot, so that several
    schedulers never start the same slot twice. ``rejections`` keeps the first
    ``MAX_REJECTIONS_KEPT`` rejections; ``counts.rejected`` counts them all.
    """

    id: uuid.UUID
    source: SourceSpec
    status: RunStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: IngestionCounts = IngestionCounts()
    rejections: tuple[RejectedRecord, ...] = ()
    error: str | None = None
    attempts: int = 0
    schedule_key: str | None = None

    @classmethod
    def queue(
        cls, source: SourceSpec, *, run_id: uuid.UUID, at: datetime, schedule_key: str | None = None
    ) -> IngestionRun:
        """A new run waiting for a worker."""
        return cls(
            id=run_id,
            source=source,
            status=RunStatus.QUEUED,
            created_at=at,
            schedule_key=schedule_key,
        )

    def start(self, at: datetime) -> IngestionRun:
        """Begin an attempt with fresh counts; raise ``Conflict`` if the run is already finished.

        A run found ``running`` may be started again: its worker died mid-attempt and the queue
        redelivered it (ingestion is idempotent, so redoing the attempt is safe).
        """
        self._check_open("start")
        return attrs.evolve(
            self,
            status=RunStatus.RUNNING,
            started_at=at,
            finished_at=None,
            counts=IngestionCounts(),
            rejections=(),
            attempts=self.attempts + 1,
        )

    def progress(
        self, counts: IngestionCounts, rejections: tuple[RejectedRecord, ...]
    ) -> IngestionRun:
        """Record the counts so far and the rejections seen so far (capped); only while running."""
        self._check_running("record progress on")
        return attrs.evolve(self, counts=counts, rejections=rejections[:MAX_REJECTIONS_KEPT])

    def succeed(self, at: datetime) -> IngestionRun:
        """Finish the running attempt successfully; the run is then final."""
        self._check_running("finish")
        return attrs.evolve(self, status=RunStatus.SUCCEEDED, finished_at=at, error=None)

    def fail(self, at: datetime, error: str, *, will_retry: bool) -> IngestionRun:
        """Record a failed attempt, or a run that could not even be queued.

        The run stays open (``retrying``) if another attempt follows, else it is final (``failed``).
        """
        self._check_open("fail")
        status = RunStatus.RETRYING if will_retry else RunStatus.FAILED
        return attrs.evolve(self, status=status, finished_at=at, error=error[:MAX_ERROR_LENGTH])

    def _check_open(self, action: str) -> None:
        if self.status.is_final:
            raise Conflict(
                f"cannot {action} ingestion run {self.id}: it has already {self.status.value}"
            )

    def _check_running(self, action: str) -> None:
        if self.status is not RunStatus.RUNNING:
            raise Conflict(
                f"cannot {action} ingestion run {self.id}: it is {self.status.value}, not running"
            )
