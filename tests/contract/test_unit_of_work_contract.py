"""The ``UnitOfWork`` contract: commit makes work durable, leaving without it undoes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from contract.builders import make_job, make_run
from jobraker_core.pagination import PageRequest

if TYPE_CHECKING:
    from jobraker_core.ports import UnitOfWorkFactory


class BoomError(Exception):
    """An error raised inside a unit of work."""


def stored(uow_factory: UnitOfWorkFactory) -> tuple[int, int]:
    """How many jobs and runs are committed."""
    with uow_factory() as uow:
        return uow.jobs.count(), uow.ingestions.list(PageRequest()).total


class TestUnitOfWork:
    """Transactions over both repositories."""

    def test_commit_stores_jobs_and_runs(self, uow_factory: UnitOfWorkFactory) -> None:
        """What a committed unit saved is visible to the next unit."""
        job, run = make_job(), make_run()
        with uow_factory() as uow:
            uow.jobs.save([job])
            uow.ingestions.add(run)
            uow.commit()

        with uow_factory() as uow:
            assert uow.jobs.get(job.id) == job
            assert uow.ingestions.get(run.id) == run

    def test_leaving_without_commit_stores_nothing(self, uow_factory: UnitOfWorkFactory) -> None:
        """A unit left without commit stores neither its jobs nor its runs."""
        with uow_factory() as uow:
            uow.jobs.save([make_job()])
            uow.ingestions.add(make_run())

        assert stored(uow_factory) == (0, 0)

    def test_an_error_rolls_everything_back(self, uow_factory: UnitOfWorkFactory) -> None:
        """An exception leaving the unit undoes all it did, and propagates unchanged."""

        def fail_midway() -> None:
            with uow_factory() as uow:
                uow.jobs.save([make_job()])
                uow.ingestions.add(make_run())
                raise BoomError

        with pytest.raises(BoomError):
            fail_midway()

        assert stored(uow_factory) == (0, 0)

    def test_work_after_commit_needs_another_commit(self, uow_factory: UnitOfWorkFactory) -> None:
        """Work done after a commit is undone unless committed again."""
        kept, dropped = make_job("Kept"), make_job("Dropped")
        with uow_factory() as uow:
            uow.jobs.save([kept])
            uow.commit()
            uow.jobs.save([dropped])

        with uow_factory() as uow:
            assert uow.jobs.by_keys([kept.key, dropped.key]) == {kept.key: kept}

    def test_a_unit_sees_its_own_uncommitted_work(self, uow_factory: UnitOfWorkFactory) -> None:
        """Inside a unit, reads see the unit's own writes before commit; other units do not."""
        job = make_job()
        with uow_factory() as uow:
            uow.jobs.save([job])
            assert uow.jobs.get(job.id) == job
            assert stored(uow_factory) == (0, 0)

    def test_units_can_follow_each_other(self, uow_factory: UnitOfWorkFactory) -> None:
        """Many units in a row each get a working transaction (connections are given back)."""
        for number in range(12):
            with uow_factory() as uow:
                uow.jobs.save([make_job(f"Job {number}")])
                uow.commit()

        assert stored(uow_factory) == (12, 0)
