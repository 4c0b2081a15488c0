"""An in-memory unit of work with real commit/rollback semantics."""

from __future__ import annotations

import threading
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

import attrs

from jobraker_adapters.memory.jobs import InMemoryIngestionRunRepository, InMemoryJobRepository
from jobraker_core.errors import Conflict
from jobraker_core.jobs.ingestion import IngestionRun
from jobraker_core.jobs.model import JobPosting

if TYPE_CHECKING:
    from collections.abc import Mapping


@attrs.define
class InMemoryStore:
    """The committed state every in-memory unit of work starts from.

    ``lock`` serialises the units' reads of and commits to it, so units may run on several threads.
    """

    jobs: dict[uuid.UUID, JobPosting] = attrs.field(factory=dict)
    ingestions: dict[uuid.UUID, IngestionRun] = attrs.field(factory=dict)
    commits: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False, eq=False)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _changed(now: Mapping[_K, _V], before: Mapping[_K, _V]) -> dict[_K, _V]:
    return {k: v for k, v in now.items() if before.get(k) is not v}


class InMemoryUnitOfWork:
    """A ``UnitOfWork`` that works on a snapshot of the store and publishes only what it wrote.

    ``commit`` applies this unit's inserts and updates to the store as it is *now*, so concurrent
    units do not lose each other's writes (the last update of one row wins, as in PostgreSQL), and
    it raises ``Conflict`` when a job key, a source ref, a run id or a schedule key it inserts was
    committed meanwhile by another unit, like PostgreSQL's unique constraints.
    """

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.jobs = InMemoryJobRepository()
        self.ingestions = InMemoryIngestionRunRepository()
        self._jobs_before: dict[uuid.UUID, JobPosting] = {}
        self._runs_before: dict[uuid.UUID, IngestionRun] = {}

    def __enter__(self) -> Self:
        with self._store.lock:
            self._jobs_before = dict(self._store.jobs)
            self._runs_before = dict(self._store.ingestions)
        self.jobs = InMemoryJobRepository(dict(self._jobs_before))
        self.ingestions = InMemoryIngestionRunRepository(dict(self._runs_before))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.jobs = InMemoryJobRepository()
        self.ingestions = InMemoryIngestionRunRepository()
        self._jobs_before = {}
        self._runs_before = {}

    def commit(self) -> None:
        """Publish this unit's writes to the store, or raise ``Conflict`` and publish nothing."""
        jobs = _changed(self.jobs.jobs, self._jobs_before)
        runs = _changed(self.ingestions.runs, self._runs_before)
        with self._store.lock:
            self._check_jobs(jobs)
            self._check_runs(runs)
            self._store.jobs.update(jobs)
            self._store.ingestions.update(runs)
            self._store.commits += 1
        self._jobs_before = dict(self.jobs.jobs)
        self._runs_before = dict(self.ingestions.runs)

    def _check_jobs(self, written: Mapping[uuid.UUID, JobPosting]) -> None:
        if not written:
            return
        key_owner: dict[str, uuid.UUID] = {}
        ref_owner: dict[tuple[str, str], uuid.UUID] = {}
        for job in {**self._store.jobs, **written}.values():
            if key_owner.setdefault(job.key, job.id) != job.id and (
                job.id in written or key_owner[job.key] in written
            ):
                raise Conflict(f"job key {job.key} was stored meanwhile by another job")
            for ref in job.sources:
                owner = ref_owner.setdefault((ref.source, ref.source_id), job.id)
                if owner != job.id and (job.id in written or owner in written):
                    raise Conflict(f"source ref {ref.source}:{ref.source_id} was stored "
                                   "meanwhile by another job")

    def _check_runs(self, written: Mapping[uuid.UUID, IngestionRun]) -> None:
        for run in written.values():
            if run.id in self._runs_before:
                continue  # an update: the last writer wins
            if run.id in self._store.ingestions:
                raise Conflict(f"ingestion run {run.id} was stored meanwhile")
            if run.schedule_key is not None and any(
                other.schedule_key == run.schedule_key for other in self._store.ingestions.values()
            ):
                raise Conflict(f"schedule slot {run.schedule_key} was taken meanwhile")


@attrs.define
class InMemoryUnitOfWorkFactory:
    """Makes ``InMemoryUnitOfWork`` objects over one shared ``store``."""

    store: InMemoryStore = attrs.field(factory=InMemoryStore)

    def __call__(self) -> InMemoryUnitOfWork:
        """A new unit of work over the shared store."""
        return InMemoryUnitOfWork(self.store)
