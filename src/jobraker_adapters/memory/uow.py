"""An in-memory unit of work with real commit/rollback semantics."""

from __future__ import annotations

import copy
import uuid
from types import TracebackType
from typing import Self

import attrs

from jobraker_adapters.memory.jobs import InMemoryIngestionRunRepository, InMemoryJobRepository
from jobraker_core.jobs.ingestion import IngestionRun
from jobraker_core.jobs.model import JobPosting


@attrs.define
class InMemoryStore:
    """The committed state every in-memory unit of work starts from."""

    jobs: dict[uuid.UUID, JobPosting] = attrs.field(factory=dict)
    ingestions: dict[uuid.UUID, IngestionRun] = attrs.field(factory=dict)
    commits: int = 0


class InMemoryUnitOfWork:
    """A ``UnitOfWork`` that works on a copy of the store and writes it back only on ``commit``."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.jobs = InMemoryJobRepository()
        self.ingestions = InMemoryIngestionRunRepository()

    def __enter__(self) -> Self:
        self.jobs = InMemoryJobRepository(copy.copy(self._store.jobs))
        self.ingestions = InMemoryIngestionRunRepository(copy.copy(self._store.ingestions))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.jobs = InMemoryJobRepository()
        self.ingestions = InMemoryIngestionRunRepository()

    def commit(self) -> None:
        """Publish this unit's changes to the store."""
        self._store.jobs = copy.copy(self.jobs.jobs)
        self._store.ingestions = copy.copy(self.ingestions.runs)
        self._store.commits += 1


@attrs.define
class InMemoryUnitOfWorkFactory:
    """Makes ``InMemoryUnitOfWork`` objects over one shared ``store``."""

    store: InMemoryStore = attrs.field(factory=InMemoryStore)

    def __call__(self) -> InMemoryUnitOfWork:
        """A new unit of work over the shared store."""
        return InMemoryUnitOfWork(self.store)
