"""The jobs use cases on the in-memory fakes: ingest, queue, search and read."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from core_builders import NOW, World, draft
from hypothesis import given
from hypothesis import strategies as st

from jobraker_adapters.memory import (
    InMemoryJobRepository,
    InMemoryStore,
    InMemoryUnitOfWork,
    QueuedTask,
)
from jobraker_core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RateLimited,
    UpstreamRejected,
    UpstreamUnavailable,
)
from jobraker_core.jobs.ingestion import IngestionCounts, IngestionRun, RunStatus, SourceSpec
from jobraker_core.jobs.model import (
    JobDraft,
    JobPosting,
    JobQuery,
    Location,
    RejectedRecord,
    RemoteMode,
    SourceRef,
)
from jobraker_core.jobs.salary import Salary
from jobraker_core.jobs.use_cases import (
    RUN_INGESTION_TASK,
    GetIngestion,
    GetJob,
    IngestJobs,
    ListIngestions,
    RunIngestion,
    SearchJobs,
    SearchJobsQuery,
    StartIngestion,
)
from jobraker_core.pagination import PageRequest

FEED = [
    draft(source_id="1"),
    draft(source_id="2", title="Data Engineer", description="<p>Pipelines</p>"),
    draft(
        source_id="3",
        title="QA Engineer",
        company="Globex GmbH",
        location=Location(city="Paris", country_code="FR"),
    ),
]


@pytest.fixture
def world():
    """Wire the in-memory fakes together, with FEED registered as source ``feed``."""
    made = World()
    made.add_source("feed", *FEED)
    return made


def refs(job: JobPosting) -> set[tuple[str, str]]:
    """Return the (source, source id) pairs a job was seen under."""
    return {(ref.source, ref.source_id) for ref in job.sources}


# ----------------------------------------------------------------------------- IngestJobs


def test_ingesting_a_feed_stores_its_jobs_and_succeeds(world):
    """A first ingestion stores every job as new and finishes succeeded with its counts."""
    run = world.ingest()
    assert run.status is RunStatus.SUCCEEDED
    assert run.counts == IngestionCounts(fetched=3, new=3)
    assert (run.attempts, run.started_at, run.finished_at) == (1, NOW, NOW)
    assert world.run(run.id) == run
    assert sorted(job.title for job in world.jobs()) == [
        "Data Engineer",
        "Python Developer",
        "QA Engineer",
    ]
    assert {job.description for job in world.jobs()} >= {"Pipelines"}


def test_ingesting_the_same_feed_twice_only_counts_duplicates(world):
    """Re-ingesting a feed keeps the same jobs and counts every record as a duplicate."""
    world.ingest()
    before = {job.id: job for job in world.jobs()}
    world.clock.advance(hours=1)
    again = world.ingest()
    assert again.counts == IngestionCounts(fetched=3, duplicate=3)
    after = {job.id: job for job in world.jobs()}
    assert after.keys() == before.keys()
    for job_id, job in after.items():
        assert job == attrs.evolve(before[job_id], last_seen=NOW + timedelta(hours=1))


def test_a_feed_that_repeats_a_job_yields_one_job_and_a_duplicate():
    """Two records of one job (same key, different ids) are one job, seen under both ids."""
    world = World()
    world.add_source("feed", draft(source_id="1"), draft(source_id="2", title="PYTHON developer"))
    run = world.ingest()
    assert run.counts == IngestionCounts(fetched=2, new=1, duplicate=1)
    (job,) = world.jobs()
    assert refs(job) == {("feed", "1"), ("feed", "2")}


def test_a_feed_that_repeats_a_record_yields_one_job():
    """The same record twice in one feed is one job and a duplicate."""
    world = World()
    world.add_source("feed", draft(), draft())
    assert world.ingest().counts == IngestionCounts(fetched=2, new=1, duplicate=1)
    assert len(world.jobs()) == 1


def test_the_same_job_from_two_sources_is_one_job_with_two_refs(world):
    """A job delivered by two sources is stored once, with a SourceRef for each."""
    world.add_source(
        "adzuna",
        draft(
            source="adzuna", source_id="a1", company="ACME, Ltd.", url="https://adzuna.example/a1"
        ),
    )
    world.ingest("feed")
    run = world.ingest("adzuna")
    assert run.counts == IngestionCounts(fetched=1, duplicate=1)
    (job,) = [job for job in world.jobs() if job.title == "Python Developer"]
    assert job.sources == (
        SourceRef("feed", "1", "https://jobs.example.com/1"),
        SourceRef("adzuna", "a1", "https://adzuna.example/a1"),
    )
    assert (job.source, job.source_id) == ("feed", "1")
    assert len(world.jobs()) == 3


def test_a_changed_record_from_the_same_source_is_an_update(world):
    """A record whose content changed at its source updates the job in place."""
    world.ingest()
    (original,) = [job for job in world.jobs() if job.source_id == "1"]
    world.add_source("feed", draft(source_id="1", description="Now with Rust."), *FEED[1:])
    world.clock.advance(days=1)
    run = world.ingest()
    assert run.counts == IngestionCounts(fetched=3, updated=1, duplicate=2)
    updated = world.uow.store.jobs[original.id]
    assert updated.description == "Now with Rust."
    assert (updated.first_seen, updated.last_seen) == (NOW, NOW + timedelta(days=1))
    assert updated.key == original.key


def test_rejected_records_are_counted_and_kept_with_their_refs():
    """Unreadable records and drafts that fail normalisation are counted and kept with refs."""
    world = World()
    world.add_source(
        "feed",
        draft(source_id="1"),
        RejectedRecord("line 2", "not JSON"),
        draft(source_id="3", title="<br>"),
        draft(source_id="4", url="ftp://x.example/4"),
    )
    run = world.ingest()
    assert run.status is RunStatus.SUCCEEDED
    assert run.counts == IngestionCounts(fetched=4, new=1, rejected=3)
    assert run.rejections == (
        RejectedRecord("line 2", "not JSON"),
        RejectedRecord("feed:3", "title is required"),
        RejectedRecord("feed:4", "url 'ftp://x.example/4' is not an http(s) URL"),
    )
    assert len(world.jobs()) == 1


def test_progress_is_committed_batch_by_batch():
    """After each batch, its jobs and the run's counts so far are already committed."""
    world = World()
    world.add_source("feed", *[draft(source_id=str(n), title=f"Role {n}") for n in range(5)])
    run = world.queued_run()
    committed: list[tuple[int, int, int]] = []

    def watch(progress: IngestionRun) -> None:
        stored = world.run(progress.id)
        assert stored == progress
        committed.append((len(world.jobs()), stored.counts.fetched, stored.counts.new))

    IngestJobs(world.uow, world.catalog, world.clock, batch_size=2)(RunIngestion(run.id), watch)
    assert committed == [(2, 2, 2), (4, 4, 4), (5, 5, 5)]


@pytest.mark.parametrize(
    ("error", "retries_left", "status"),
    [
        (UpstreamUnavailable("Adzuna answered 503", service="adzuna"), 1, RunStatus.RETRYING),
        (RateLimited("slow down", service="adzuna", retry_after=30), 2, RunStatus.RETRYING),
        (UpstreamUnavailable("Adzuna answered 503", service="adzuna"), 0, RunStatus.FAILED),
        (UpstreamRejected("Adzuna answered 400", service="adzuna"), 3, RunStatus.FAILED),
        (InvalidInput("the feed file is gone"), 3, RunStatus.FAILED),
    ],
)
def test_a_source_failing_midway_keeps_what_was_stored(error, retries_left, status):
    """Records read before the failure stay stored; the run is retrying only if a retry follows."""
    world = World()
    records = [draft(source_id=str(n), title=f"Role {n}") for n in range(3)]
    world.add_source("feed", *records, error=error)
    run = world.queued_run()
    ingest = IngestJobs(world.uow, world.catalog, world.clock, batch_size=2)
    with pytest.raises(type(error)) as raised:
        ingest(RunIngestion(run.id, retries_left=retries_left))
    assert raised.value is error
    stored = world.run(run.id)
    assert (stored.status, stored.error) == (status, error.message)
    assert stored.counts == IngestionCounts(fetched=3, new=3)
    assert len(world.jobs()) == 3


def test_a_retried_run_redoes_its_work_idempotently():
    """After a transient failure, the next attempt finishes the feed without duplicating jobs."""
    world = World()
    records = [draft(source_id=str(n), title=f"Role {n}") for n in range(4)]
    world.add_source("feed", *records[:2], error=UpstreamUnavailable("reset", service="adzuna"))
    run = world.queued_run()
    ingest = IngestJobs(world.uow, world.catalog, world.clock, batch_size=2)
    with pytest.raises(UpstreamUnavailable):
        ingest(RunIngestion(run.id, retries_left=1))
    world.add_source("feed", *records)
    done = ingest(RunIngestion(run.id, retries_left=0))
    assert (done.status, done.attempts, done.error) == (RunStatus.SUCCEEDED, 2, None)
    assert done.counts == IngestionCounts(fetched=4, new=2, duplicate=2)
    assert len(world.jobs()) == 4


def test_an_unexpected_exception_fails_the_run_and_is_raised():
    """A bug in a source fails the run, naming only the exception type, and propagates."""
    world = World()
    world.add_source("feed", draft(), error=KeyError("api_key=secret"))
    run = world.queued_run()
    with pytest.raises(KeyError):
        IngestJobs(world.uow, world.catalog, world.clock)(RunIngestion(run.id, retries_left=2))
    stored = world.run(run.id)
    assert (stored.status, stored.error) == (RunStatus.FAILED, "internal error (KeyError)")


def test_a_source_unknown_at_run_time_fails_the_run():
    """A run whose source cannot be opened any more fails with the reason."""
    world = World()
    run = world.queued_run("gone")
    with pytest.raises(InvalidInput):
        IngestJobs(world.uow, world.catalog, world.clock)(RunIngestion(run.id))
    assert world.run(run.id).status is RunStatus.FAILED
    assert world.run(run.id).error == "unknown job source 'gone'"


def test_an_unknown_run_is_not_found(world):
    """Running a run that does not exist raises NotFound."""
    with pytest.raises(NotFound):
        IngestJobs(world.uow, world.catalog, world.clock)(RunIngestion(uuid.uuid4()))


def test_a_finished_run_is_not_run_again(world):
    """A finished run delivered again raises Conflict and is left as it was."""
    done = world.ingest()
    with pytest.raises(Conflict):
        IngestJobs(world.uow, world.catalog, world.clock)(RunIngestion(done.id))
    assert world.run(done.id) == done
    assert len(world.jobs()) == 3


# --------------------------------------------------------- concurrent ingestions (Conflict)


@attrs.define
class RacingJobRepository(InMemoryJobRepository):
    """A job repository after whose key lookup another ingestion commits (once per race)."""

    races: list[Callable[[], None]] = attrs.field(factory=list)

    def by_keys(self, keys):
        """Let the next rival commit, then look up as usual (from the now stale snapshot)."""
        if self.races:
            self.races.pop(0)()
        return super().by_keys(keys)


class RacingUnitOfWork(InMemoryUnitOfWork):
    """An in-memory unit of work whose job repository races rival ingestions."""

    def __init__(self, store: InMemoryStore, races: list[Callable[[], None]]) -> None:
        """Share ``races`` with every unit of the factory."""
        super().__init__(store)
        self._races = races

    def __enter__(self):
        """Enter as usual, then race on key lookups."""
        super().__enter__()
        self.jobs = RacingJobRepository(self.jobs.jobs, races=self._races)
        return self


def rival(store: InMemoryStore, record: JobDraft) -> Callable[[], None]:
    """Make a race in which another ingestion commits ``record`` as a new job."""

    def commit() -> None:
        with InMemoryUnitOfWork(store) as unit:
            unit.jobs.save([JobPosting.from_draft(record, job_id=uuid.uuid4(), seen_at=NOW)])
            unit.commit()

    return commit


def test_a_batch_that_collides_with_another_ingestion_is_retried():
    """When a rival stores the same job first, the batch is re-read and merges into it."""
    world = World()
    world.add_source("feed", draft())
    races = [rival(world.uow.store, draft(source="adzuna", source_id="a1"))]
    run = world.queued_run()
    factory = lambda: RacingUnitOfWork(world.uow.store, races)  # noqa: E731 - a one-line factory
    done = IngestJobs(factory, world.catalog, world.clock)(RunIngestion(run.id))
    assert done.status is RunStatus.SUCCEEDED
    assert done.counts == IngestionCounts(fetched=1, duplicate=1)
    (job,) = world.jobs()
    assert (job.source, job.source_id) == ("adzuna", "a1")
    assert refs(job) == {("adzuna", "a1"), ("feed", "1")}


def test_a_batch_that_keeps_colliding_gives_up_with_conflict():
    """After three collisions in a row the run fails and Conflict is raised."""
    world = World()
    titles = ["Python Developer", "Data Engineer", "QA Engineer"]
    world.add_source("feed", *[draft(source_id=str(n), title=t) for n, t in enumerate(titles)])
    races = [rival(world.uow.store, draft(source="adzuna", source_id=t, title=t)) for t in titles]
    run = world.queued_run()
    factory = lambda: RacingUnitOfWork(world.uow.store, races)  # noqa: E731 - a one-line factory
    with pytest.raises(Conflict):
        IngestJobs(factory, world.catalog, world.clock)(RunIngestion(run.id, retries_left=3))
    assert world.run(run.id).status is RunStatus.FAILED
    assert {job.source for job in world.jobs()} == {"adzuna"}


# ----------------------------------------------------------------------------- properties

SOURCES = ["feed", "adzuna"]
IDS = ["1", "2", "3", "4"]
contents = st.fixed_dictionaries(
    {
        "title": st.sampled_from(["Python Developer", "python developer (m/f/d)", "Data Engineer"]),
        "company": st.sampled_from(["Acme Ltd", "ACME", "Globex GmbH", None]),
        "location": st.sampled_from(
            [
                Location(city="London", country_code="GB"),
                Location(display="london", country_code="GB"),
                Location(city="Paris", country_code="FR"),
                Location(city="Berlin", remote=RemoteMode.REMOTE),
                Location(city="Paris", remote=RemoteMode.REMOTE),
            ]
        ),
        "description": st.sampled_from(["Build APIs.", "build  APIs!", "Run data pipelines."]),
        "salary": st.sampled_from([None, Salary(Decimal(50_000), None, "GBP")]),
        "category": st.sampled_from([None, "IT", "Data"]),
    }
)
batch_sizes = st.sampled_from([1, 2, 3, 250])


def make(source: str, source_id: str, content: dict) -> JobDraft:
    """Build a draft from the pool."""
    return draft(source=source, source_id=source_id, url=None, **content)


@st.composite
def consistent_feeds(draw) -> list[JobDraft]:
    """Draw records in which each (source, source id) always says the same thing."""
    said = {(s, i): draw(contents) for s in SOURCES for i in IDS}
    origins = draw(st.lists(st.sampled_from(sorted(said)), min_size=1, max_size=20))
    return [make(s, i, said[(s, i)]) for s, i in origins]


any_feeds = st.lists(
    st.builds(make, st.sampled_from(SOURCES), st.sampled_from(IDS), contents),
    min_size=1,
    max_size=20,
)


def ingest_all(world: World, records: list[JobDraft], batch_size: int) -> IngestionRun:
    """Ingest ``records``, split by source, one run per source (as separate feeds would be)."""
    counts = IngestionCounts()
    for source in SOURCES:
        world.add_source(source, *[r for r in records if r.source == source])
        run = world.ingest(source, batch_size=batch_size)
        assert run.status is RunStatus.SUCCEEDED
        counts = IngestionCounts(
            *(a + b for a, b in zip(attrs.astuple(counts), attrs.astuple(run.counts), strict=True))
        )
    return attrs.evolve(run, counts=counts)


def key_of(record: JobDraft) -> str:
    """Return the canonical key the record normalises to."""
    return JobPosting.from_draft(record, job_id=uuid.uuid4(), seen_at=NOW).key


@given(consistent_feeds(), batch_sizes)
def test_one_job_per_canonical_key_and_re_ingesting_changes_nothing(records, batch_size):
    """Records that agree per source id give one job per distinct key; a second pass is a no-op.

    The property needs each (source, source id) to always say the same thing: lookups by source
    id come first, so an id that changes its content updates its job in place rather than
    creating the job its new content would key to.
    """
    world = World()
    first = ingest_all(world, records, batch_size)
    jobs = {job.id: job for job in world.jobs()}
    assert len(jobs) == len({key_of(r) for r in records})
    assert first.counts.new == len(jobs)
    assert first.counts.fetched == first.counts.new + first.counts.updated + first.counts.duplicate
    world.clock.advance(hours=1)
    second = ingest_all(world, records, batch_size)
    assert second.counts == IngestionCounts(fetched=len(records), duplicate=len(records))
    again = {job.id: job for job in world.jobs()}
    assert {i: attrs.evolve(j, last_seen=NOW) for i, j in again.items()} == {
        i: attrs.evolve(j, last_seen=NOW) for i, j in jobs.items()
    }


@given(any_feeds, batch_sizes)
def test_re_ingesting_never_adds_jobs_and_every_id_has_one_job(records, batch_size):
    """For any records, a second pass creates nothing, and each source id belongs to one job."""
    world = World()
    ingest_all(world, records, batch_size)
    count = len(world.jobs())
    assert 1 <= count <= len({key_of(r) for r in records})
    second = ingest_all(world, records, batch_size)
    assert second.counts.new == 0
    assert len(world.jobs()) == count
    owners = [pair for job in world.jobs() for pair in refs(job)]
    assert sorted(owners) == sorted({(r.source, r.source_id) for r in records})


# ----------------------------------------------------------------------------- QueueIngestion


def test_queueing_stores_a_queued_run_and_enqueues_it(world):
    """A valid spec gives a stored queued run and one task on the queue, keyed by the run."""
    run = world.queue_ingestion()(StartIngestion(SourceSpec("feed")))
    assert run is not None
    assert run.status is RunStatus.QUEUED
    assert (run.created_at, run.attempts) == (NOW, 0)
    assert world.run(run.id) == run
    assert world.queue.tasks == [
        QueuedTask(RUN_INGESTION_TASK, (str(run.id),), f"ingestion-{run.id}", 0)
    ]
    assert world.catalog.opened == [SourceSpec("feed")]


def test_queueing_an_unknown_source_stores_and_queues_nothing(world):
    """A bad spec is refused before anything is stored or queued."""
    with pytest.raises(InvalidInput) as caught:
        world.queue_ingestion()(StartIngestion(SourceSpec("nope")))
    assert caught.value.field == "source"
    assert world.uow.store.ingestions == {}
    assert world.queue.tasks == []


def test_a_schedule_slot_is_queued_once(world):
    """With a schedule key, the second request for the same slot returns None and queues nothing."""
    queue = world.queue_ingestion()
    first = queue(StartIngestion(SourceSpec("feed"), schedule_key="nightly@2026-01-15"))
    second = queue(StartIngestion(SourceSpec("feed"), schedule_key="nightly@2026-01-15"))
    assert first is not None
    assert second is None
    assert len(world.uow.store.ingestions) == len(world.queue.tasks) == 1
    assert queue(StartIngestion(SourceSpec("feed"), schedule_key="nightly@2026-01-16"))


def test_runs_without_a_schedule_key_are_all_queued(world):
    """Manual requests are never merged: each gets its own run."""
    queue = world.queue_ingestion()
    queue(StartIngestion(SourceSpec("feed")))
    queue(StartIngestion(SourceSpec("feed")))
    assert len(world.uow.store.ingestions) == len(world.queue.tasks) == 2


def test_a_queue_that_is_down_fails_the_run_and_raises(world):
    """If the queue cannot take the task, the run is stored failed and the error raised."""
    world.queue.down = True
    with pytest.raises(UpstreamUnavailable):
        world.queue_ingestion()(StartIngestion(SourceSpec("feed")))
    (run,) = world.uow.store.ingestions.values()
    assert run.status is RunStatus.FAILED
    assert run.error == "could not queue: the task queue is unreachable"
    assert world.queue.tasks == []


def test_a_queued_run_is_carried_out_by_the_task_it_enqueued(world):
    """The task's argument is the id IngestJobs needs to carry the run out."""
    run = world.queue_ingestion()(StartIngestion(SourceSpec("feed")))
    assert run is not None
    (task,) = world.queue.take()
    done = IngestJobs(world.uow, world.catalog, world.clock)(RunIngestion(uuid.UUID(task.args[0])))
    assert (done.id, done.status, done.counts.new) == (run.id, RunStatus.SUCCEEDED, 3)


# ----------------------------------------------------------------------------- reading


def test_search_returns_matching_jobs_one_page_at_a_time(world):
    """SearchJobs filters and pages through the repository."""
    world.ingest()
    search = SearchJobs(world.uow)
    page = search(SearchJobsQuery(JobQuery(text="engineer"), PageRequest(1, 1)))
    assert (page.total, page.total_pages, len(page.items)) == (2, 2, 1)
    rest = search(SearchJobsQuery(JobQuery(text="engineer"), PageRequest(2, 1)))
    assert {page.items[0].title, rest.items[0].title} == {"Data Engineer", "QA Engineer"}
    assert search(SearchJobsQuery(JobQuery(country="FR"))).items[0].title == "QA Engineer"
    assert search(SearchJobsQuery(JobQuery(text="cobol"))).total == 0


def test_get_job_returns_it_or_raises_not_found(world):
    """GetJob reads one job by id, and an unknown id is NotFound."""
    world.ingest()
    job = world.jobs()[0]
    assert GetJob(world.uow)(job.id) == job
    with pytest.raises(NotFound):
        GetJob(world.uow)(uuid.uuid4())


def test_ingestions_are_listed_newest_first_and_read_by_id(world):
    """ListIngestions pages runs newest first; GetIngestion reads one or raises NotFound."""
    first = world.ingest()
    world.clock.advance(minutes=1)
    second = world.ingest()
    page = ListIngestions(world.uow)(PageRequest())
    assert [run.id for run in page.items] == [second.id, first.id]
    assert page.total == 2
    assert GetIngestion(world.uow)(first.id) == first
    with pytest.raises(NotFound):
        GetIngestion(world.uow)(uuid.uuid4())
