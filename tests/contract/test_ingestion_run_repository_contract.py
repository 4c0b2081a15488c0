"""The ``IngestionRunRepository`` contract, run against the in-memory fake and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from contract.builders import SEEN, make_run
from jobraker_core.errors import Conflict, NotFound
from jobraker_core.jobs.ingestion import IngestionCounts, IngestionRun, RunStatus
from jobraker_core.jobs.model import RejectedRecord
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


def add(uow_factory: UnitOfWorkFactory, *runs: IngestionRun) -> None:
    """Add ``runs`` in one committed unit."""
    with uow_factory() as uow:
        for run in runs:
            uow.ingestions.add(run)
        uow.commit()


def finished_run() -> IngestionRun:
    """Make a run that went through a failed attempt, with every field set."""
    run = make_run(
        kind="adzuna",
        params=(("country", "gb"), ("what", "python developer")),
        schedule_key="adzuna-gb:2026-01-10T09:00",
    )
    run = run.start(SEEN + timedelta(seconds=1))
    run = run.progress(
        IngestionCounts(fetched=7, new=3, updated=1, duplicate=1, rejected=2),
        (
            RejectedRecord("line 4", "title is required"),
            RejectedRecord("line 9", "salary currency 'pounds' is not an ISO 4217 code"),
        ),
    )
    return run.fail(SEEN + timedelta(minutes=2), "Adzuna answered 503", will_retry=True)


class TestIngestionRuns:
    """Adding, reading, updating and listing ingestion runs."""

    def test_added_run_reads_back_equal(self, uow_factory: UnitOfWorkFactory) -> None:
        """A queued run reads back equal."""
        run = make_run()
        add(uow_factory, run)

        with uow_factory() as uow:
            assert uow.ingestions.get(run.id) == run

    def test_update_replaces_every_field(self, uow_factory: UnitOfWorkFactory) -> None:
        """After update, every field of the run (counts, rejections, times) reads back as given."""
        run = finished_run()
        queued = IngestionRun.queue(
            run.source, run_id=run.id, at=run.created_at, schedule_key=run.schedule_key
        )
        add(uow_factory, queued)
        with uow_factory() as uow:
            uow.ingestions.update(run)
            uow.commit()

        with uow_factory() as uow:
            stored = uow.ingestions.get(run.id)
        assert stored == run
        assert stored.status is RunStatus.RETRYING

    def test_get_of_unknown_run_raises_not_found(self, uow_factory: UnitOfWorkFactory) -> None:
        """Reading a run that was never added raises NotFound."""
        with uow_factory() as uow, pytest.raises(NotFound):
            uow.ingestions.get(uuid.uuid4())

    def test_update_of_unknown_run_raises_not_found(self, uow_factory: UnitOfWorkFactory) -> None:
        """Updating a run that was never added raises NotFound and stores nothing."""
        with uow_factory() as uow:
            with pytest.raises(NotFound):
                uow.ingestions.update(make_run())
            assert uow.ingestions.list(PageRequest()).total == 0

    def test_same_id_twice_conflicts(self, uow_factory: UnitOfWorkFactory) -> None:
        """Adding a run whose id is already stored raises Conflict."""
        run = make_run()
        add(uow_factory, run)

        with uow_factory() as uow, pytest.raises(Conflict):
            uow.ingestions.add(make_run(run_id=run.id))

    def test_schedule_key_is_taken_once(self, uow_factory: UnitOfWorkFactory) -> None:
        """A second run for a schedule slot raises Conflict; runs without a slot never collide."""
        add(uow_factory, make_run(schedule_key="slot-1"), make_run(), make_run())

        with uow_factory() as uow:
            with pytest.raises(Conflict):
                uow.ingestions.add(make_run(schedule_key="slot-1"))
            uow.ingestions.add(make_run(schedule_key="slot-2"))
            uow.commit()

        with uow_factory() as uow:
            assert uow.ingestions.list(PageRequest()).total == 4

    def test_list_is_newest_first_and_paginated(self, uow_factory: UnitOfWorkFactory) -> None:
        """Runs list newest first (then by descending id), a page at a time, with the total."""
        low = make_run(created_at=SEEN, run_id=uuid.UUID(int=1))
        high = make_run(created_at=SEEN, run_id=uuid.UUID(int=2**127))
        newer = make_run(created_at=SEEN + timedelta(minutes=1))
        oldest = make_run(created_at=SEEN - timedelta(days=1))
        add(uow_factory, low, oldest, newer, high)

        with uow_factory() as uow:
            first = uow.ingestions.list(PageRequest(page=1, per_page=3))
            second = uow.ingestions.list(PageRequest(page=2, per_page=3))
            beyond = uow.ingestions.list(PageRequest(page=3, per_page=3))

        assert [r.id for r in first.items] == [newer.id, high.id, low.id]
        assert [r.id for r in second.items] == [oldest.id]
        assert beyond.items == ()
        assert {first.total, second.total, beyond.total} == {4}
        assert first.total_pages == 2
