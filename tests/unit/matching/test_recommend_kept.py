"""Kept rankings (``RankedPools``): a cheap next page that never shows what a fresh one would not.

On the in-memory container (a fixed clock): a second request of the same person for the same
thing is answered from the kept order with only its page scored again, and it equals what a
fresh ranking gives; a changed person, a deleted posting, a posting that now breaks a hard
constraint and the lifetime each take effect.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from matching_builders import job, prefer

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_adapters.container import build_memory_container
from jobraker_core.accounts.profile import JobPreferences, SalaryFloor
from jobraker_core.jobs.model import JobQuery, Location
from jobraker_core.jobs.salary import Salary
from jobraker_core.matching.explain import Match
from jobraker_core.matching.ranked_pools import RankedEntry, RankedPools
from jobraker_core.matching.scoring import Seeker
from jobraker_core.matching.use_cases import Recommend, RecommendQuery, UploadResumeCommand
from jobraker_core.pagination import PageRequest

ME = uuid.UUID(int=31)
BACKEND = """Requirements:
- Python and Django
- PostgreSQL
- 3+ years of experience as a Python Developer
"""


@pytest.fixture
def container():
    """A memory container with eight stored, embedded, analysed postings and my résumé."""
    built = build_memory_container()
    postings = [
        job(
            title=title,
            description=BACKEND + extra,
            number=n,
            company=f"Firm {n}",
            salary=Salary(Decimal(60000 + 1000 * n), Decimal(90000), "GBP"),
        )
        for n, (title, extra) in enumerate(
            [
                ("Senior Python Developer", ""),
                ("Python Developer", "- Kubernetes\n"),
                ("Backend Engineer", "- Go\n"),
                ("Python Engineer", "- Terraform\n"),
                ("Data Engineer", "- Apache Spark\n"),
                ("Django Developer", ""),
                ("Software Engineer", "- Java\n"),
                ("Platform Engineer", "- Kubernetes\n- Terraform\n"),
            ],
            start=1,
        )
    ]
    with built.uow()() as uow:
        uow.jobs.save(postings)
        uow.commit()
    built.embed_jobs()()
    built.analyse_jobs()()
    built.upload_resume()(
        UploadResumeCommand(user_id=ME, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    return built


def ask(container, **query):
    """My recommendations through the container's use case (rankings kept)."""
    return container.recommend_jobs()(RecommendQuery(user_id=ME, **query))


def fresh(container, **query):
    """My recommendations ranked afresh (no kept rankings)."""
    recommend = Recommend(container.uow(), container.match_engine())
    return recommend(RecommendQuery(user_id=ME, **query))


def retrievals(container) -> int:
    """How many retrievals the container's retriever has run."""
    return len(container.job_retriever().calls)


def test_a_kept_ranking_answers_every_page_as_a_fresh_ranking_does(container):
    """Pages 1-3 of three come from the kept order, each equal to a fresh ranking's page."""
    first = ask(container, page=PageRequest(page=1, per_page=3))
    runs = retrievals(container)
    for number in (1, 2, 3):
        page = PageRequest(page=number, per_page=3)
        kept = ask(container, page=page)
        assert kept == fresh(container, page=page)
        assert kept.items
    assert retrievals(container) == runs + 3  # only the three fresh rankings retrieved
    assert first.total == 8


def test_a_posted_within_filter_names_the_same_ranking_for_a_minute(container):
    """``posted_within_days`` moves with the clock; within the same minute it is one ranking."""
    since = container.clock().now() - timedelta(days=30)
    first = ask(container, filters=JobQuery(posted_since=since.replace(second=5)))
    runs = retrievals(container)
    again = ask(container, filters=JobQuery(posted_since=since.replace(second=50)))
    assert retrievals(container) == runs
    assert again == first
    ask(container, filters=JobQuery(posted_since=since + timedelta(minutes=1)))
    assert retrievals(container) == runs + 1


def test_near_duplicates_keep_their_place_and_their_original(container):
    """A posting the ranking moved down as a copy still names what it repeats from a kept page."""
    best = ask(container).items[0].job
    copy = job(
        title=best.title,
        description=best.description,
        number=60,
        company=best.company,
        salary=best.salary,
        location=Location(city="Leeds", country_code="GB"),
    )
    with container.uow()() as uow:
        uow.jobs.save([copy])
        uow.commit()
    container.embed_jobs()()
    container.clock().advance(seconds=61)  # the ranking made before the copy expires
    ranked = ask(container)
    kept = ask(container)
    assert kept == ranked
    assert any(m.duplicate_of is not None for m in kept.items)


def test_a_changed_person_is_ranked_afresh_at_once(container):
    """A new preference (an excluded company) takes effect on the very next request."""
    before = ask(container)
    top = before.items[0].job
    prefer(container, ME, JobPreferences(excluded_companies=(top.company,)))
    after = ask(container)
    assert top.id not in {m.job.id for m in after.items}
    assert after.total == before.total - 1
    assert after == fresh(container)


def test_a_deleted_posting_is_left_out_of_a_kept_page(container):
    """A posting gone since the ranking is not shown (the rest of the page is)."""
    before = ask(container, page=PageRequest(per_page=3))
    gone = before.items[1].job.id
    del container.uow().store.jobs[gone]
    after = ask(container, page=PageRequest(per_page=3))
    assert [m.job.id for m in after.items] == [m.job.id for m in before.items if m.job.id != gone]


def test_a_posting_that_now_breaks_a_hard_constraint_is_left_out(container):
    """Re-ingested below my salary floor since the ranking: not shown from the kept order."""
    prefer(container, ME, JobPreferences(salary_floor=SalaryFloor(Decimal(55000), "GBP")))
    before = ask(container)
    target = before.items[0].job
    cheaper = attrs.evolve(target, salary=Salary(Decimal(30000), Decimal(40000), "GBP"))
    with container.uow()() as uow:
        uow.jobs.save([cheaper])
        uow.commit()
    after = ask(container)
    assert target.id not in {m.job.id for m in after.items}


def test_new_postings_arrive_when_the_kept_ranking_expires(container):
    """Within the lifetime the kept order stands; after it a new best posting comes first."""
    ask(container)
    best = job(
        title="Senior Python Developer",
        description=BACKEND + "- Kubernetes\n- Terraform\n- Go\n",
        number=50,
        company="Newcomer",
        salary=Salary(Decimal(90000), Decimal(120000), "GBP"),
    )
    with container.uow()() as uow:
        uow.jobs.save([best])
        uow.commit()
    container.embed_jobs()()
    assert best.id not in {m.job.id for m in ask(container).items}
    container.clock().advance(seconds=61)
    assert best.id in {m.job.id for m in ask(container).items}


# ----------------------------------------------------------------------------- RankedPools


class _Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def _ranked(*numbers: int) -> list[Match]:
    """Stand-ins for ranked matches: only ``job.id`` and ``duplicate_of`` are kept."""

    @attrs.frozen
    class _Job:
        id: uuid.UUID

    @attrs.frozen
    class _Match:
        job: _Job
        duplicate_of: uuid.UUID | None = None

    return [_Match(_Job(uuid.UUID(int=n))) for n in numbers]  # type: ignore[misc]


SEEKER = Seeker(None, JobPreferences(titles=("Python Developer",)))
OTHER_SEEKER = Seeker(None, JobPreferences(titles=("Nurse",)))


def test_a_ranking_is_kept_for_its_seeker_and_query_until_it_expires():
    """Same user, seeker, filters and minimum: kept; anything else or later: not."""
    clock = _Clock()
    pools = RankedPools(clock, ttl=timedelta(seconds=60))  # type: ignore[arg-type]
    pools.put(ME, SEEKER, JobQuery(), 0.0, _ranked(1, 2))
    assert pools.get(ME, SEEKER, JobQuery(), 0.0) == (
        RankedEntry(uuid.UUID(int=1)),
        RankedEntry(uuid.UUID(int=2)),
    )
    assert pools.get(ME, SEEKER, JobQuery(text="go"), 0.0) is None
    assert pools.get(ME, SEEKER, JobQuery(), 50.0) is None
    assert pools.get(uuid.UUID(int=5), SEEKER, JobQuery(), 0.0) is None
    clock.at += timedelta(seconds=60)
    assert pools.get(ME, SEEKER, JobQuery(), 0.0) is None
    assert len(pools) == 0


def test_a_ranking_for_another_seeker_is_dropped():
    """The person changed since: the kept ranking is not used, and is let go."""
    pools = RankedPools(_Clock())  # type: ignore[arg-type]
    pools.put(ME, SEEKER, JobQuery(), 0.0, _ranked(1))
    assert pools.get(ME, OTHER_SEEKER, JobQuery(), 0.0) is None
    assert len(pools) == 0


def test_the_least_recently_used_ranking_goes_first_and_expired_ones_go_on_put():
    """Bounded by size (LRU); adding one drops every expired ranking."""
    clock = _Clock()
    pools = RankedPools(clock, ttl=timedelta(seconds=60), size=2)  # type: ignore[arg-type]
    a, b, c = (uuid.UUID(int=n) for n in (101, 102, 103))
    pools.put(a, SEEKER, JobQuery(), 0.0, _ranked(1))
    pools.put(b, SEEKER, JobQuery(), 0.0, _ranked(2))
    assert pools.get(a, SEEKER, JobQuery(), 0.0) is not None  # a is now the most recent
    pools.put(c, SEEKER, JobQuery(), 0.0, _ranked(3))
    assert pools.get(b, SEEKER, JobQuery(), 0.0) is None
    assert pools.get(a, SEEKER, JobQuery(), 0.0) is not None
    clock.at += timedelta(seconds=61)
    pools.put(b, SEEKER, JobQuery(), 0.0, _ranked(2))
    assert len(pools) == 1


def test_a_zero_lifetime_keeps_nothing():
    """``JOBRAKER_RECOMMENDATION_CACHE_SECONDS=0``: every request ranks afresh."""
    pools = RankedPools(_Clock(), ttl=timedelta(0))  # type: ignore[arg-type]
    assert not pools.enabled
    pools.put(ME, SEEKER, JobQuery(), 0.0, _ranked(1))
    assert pools.get(ME, SEEKER, JobQuery(), 0.0) is None
