"""The in-memory unit of work the core's tests run on: commit, rollback and collisions."""

import threading
import uuid

import attrs
import pytest
from core_builders import NOW, posting

from jobraker_adapters.memory import InMemoryUnitOfWorkFactory
from jobraker_core.errors import Conflict
from jobraker_core.jobs.ingestion import IngestionRun, SourceSpec


def run(schedule_key: str | None = None) -> IngestionRun:
    """Queue a run, for a schedule slot if given."""
    return IngestionRun.queue(
        SourceSpec("file"), run_id=uuid.uuid4(), at=NOW, schedule_key=schedule_key
    )


def test_nothing_is_stored_without_commit():
    """Leaving a unit without committing rolls its writes back."""
    factory = InMemoryUnitOfWorkFactory()
    with factory() as unit:
        unit.jobs.save([posting()])
        unit.ingestions.add(run())
    assert factory.store.jobs == {}
    assert factory.store.ingestions == {}
    assert factory.store.commits == 0


def test_an_error_inside_the_unit_rolls_back():
    """An exception in the block leaves the store as it was."""
    factory = InMemoryUnitOfWorkFactory()

    def save_then_fail() -> None:
        with factory() as unit:
            unit.jobs.save([posting()])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        save_then_fail()
    assert factory.store.jobs == {}


def test_interleaved_units_do_not_lose_each_others_writes():
    """Two units open at once each publish their own writes, not their stale snapshots."""
    factory = InMemoryUnitOfWorkFactory()
    first, second = run(), run()
    with factory() as a, factory() as b:
        a.ingestions.add(first)
        b.ingestions.add(second)
        a.jobs.save([posting(source_id="1", title="One")])
        a.commit()
        b.commit()
    assert set(factory.store.ingestions) == {first.id, second.id}
    assert len(factory.store.jobs) == 1
    assert factory.store.commits == 2


def test_the_last_update_of_a_row_wins():
    """Two units updating one run: the later commit's version is stored, as in PostgreSQL."""
    factory = InMemoryUnitOfWorkFactory()
    queued = run()
    with factory() as unit:
        unit.ingestions.add(queued)
        unit.commit()
    with factory() as a, factory() as b:
        a.ingestions.update(queued.start(NOW))
        b.ingestions.update(queued.fail(NOW, "could not queue", will_retry=False))
        a.commit()
        b.commit()
    assert factory.store.ingestions[queued.id].error == "could not queue"


def test_a_job_key_stored_meanwhile_is_a_conflict_at_commit():
    """A job whose key another unit committed first is a Conflict; nothing gets published."""
    factory = InMemoryUnitOfWorkFactory()
    mine, theirs = posting(), posting(source="adzuna")
    with factory() as a, factory() as b:
        b.jobs.save([theirs])
        b.commit()
        a.jobs.save([mine])
        a.ingestions.add(run())
        with pytest.raises(Conflict, match="key"):
            a.commit()
    assert list(factory.store.jobs.values()) == [theirs]
    assert factory.store.ingestions == {}


def test_a_source_ref_stored_meanwhile_is_a_conflict_at_commit():
    """Inserting a job seen under a ref another unit committed first raises Conflict."""
    factory = InMemoryUnitOfWorkFactory()
    with factory() as a, factory() as b:
        b.jobs.save([posting(title="Old title")])
        b.commit()
        a.jobs.save([posting(title="New title")])
        with pytest.raises(Conflict, match="source ref"):
            a.commit()


def test_a_schedule_slot_taken_meanwhile_is_a_conflict_at_commit():
    """Adding a run for a schedule slot another unit took first raises Conflict."""
    factory = InMemoryUnitOfWorkFactory()
    with factory() as a, factory() as b:
        b.ingestions.add(run("nightly@1"))
        b.commit()
        a.ingestions.add(run("nightly@1"))
        with pytest.raises(Conflict, match="schedule"):
            a.commit()


def test_saving_a_key_or_ref_of_another_job_is_a_conflict():
    """Within a unit, save refuses a second job with a taken key or source ref."""
    factory = InMemoryUnitOfWorkFactory()
    with factory() as unit:
        unit.jobs.save([posting()])
        with pytest.raises(Conflict, match="key"):
            unit.jobs.save([posting(source="adzuna")])
        with pytest.raises(Conflict, match="source ref"):
            unit.jobs.save([posting(title="Another job")])
        with pytest.raises(Conflict):
            unit.jobs.save([posting(source="x", source_id="7"), posting(source="y")])


def test_re_saving_a_job_replaces_it():
    """Saving a job again under its id replaces it."""
    factory = InMemoryUnitOfWorkFactory()
    job = posting()
    with factory() as unit:
        unit.jobs.save([job])
        unit.jobs.save([attrs.evolve(job, description="Changed.")])
        unit.commit()
    assert factory.store.jobs[job.id].description == "Changed."


def test_units_on_many_threads_lose_nothing():
    """Units committing from several threads at once all land in the store."""
    factory = InMemoryUnitOfWorkFactory()
    runs = [run() for _ in range(40)]

    def add(item: IngestionRun) -> None:
        with factory() as unit:
            unit.ingestions.add(item)
            unit.commit()

    threads = [threading.Thread(target=add, args=(item,)) for item in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(factory.store.ingestions) == {item.id for item in runs}
    assert factory.store.commits == len(runs)
