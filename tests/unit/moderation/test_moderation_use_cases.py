"""Moderation use cases on the in-memory fakes: flagging, link checks, the review queue, health."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contract.builders import SEEN, make_job, make_run
from jobraker_adapters.memory import FixedClock, InMemoryTaskQueue, InMemoryUnitOfWorkFactory
from jobraker_adapters.memory.accounts import InMemoryPseudonymizer
from jobraker_adapters.memory.moderation import (
    InMemoryLinkChecker,
    InMemoryPlatformStatistics,
    InMemoryQueueMonitor,
)
from jobraker_core.accounts.audit import AppendAuditEvent
from jobraker_core.accounts.identity import Principal, Role
from jobraker_core.accounts.model import AuditKind, AuditQuery
from jobraker_core.errors import Conflict, Forbidden, NotFound
from jobraker_core.moderation.health import GetPlatformMetrics, GetSourceHealth
from jobraker_core.moderation.model import Action, FlagQuery, FlagRule, FlagStatus, Policy
from jobraker_core.moderation.use_cases import (
    CheckApplyLinks,
    CheckLinks,
    ListFlags,
    ModerateJobs,
    ModerateSince,
    ReviewChoice,
    ReviewFlag,
    ReviewFlagCommand,
    visibility_of,
)
from jobraker_core.pagination import PageRequest

ADMIN = Principal(user_id=uuid.uuid4(), role=Role.ADMIN, token_id="t-admin")
USER = Principal(user_id=uuid.uuid4(), role=Role.USER, token_id="t-user")
TEXT = (
    "We are hiring a backend engineer to build payment services in Python and PostgreSQL. "
    "You will design APIs, review code, mentor colleagues and keep our systems reliable."
)


@pytest.fixture
def uow():
    """An empty in-memory store."""
    return InMemoryUnitOfWorkFactory()


@pytest.fixture
def clock():
    """A clock just after the jobs were seen."""
    return FixedClock(SEEN + timedelta(hours=1))


def _store(uow, *jobs):
    with uow() as unit:
        unit.jobs.save(list(jobs))
        unit.commit()


def _flags(uow, **filters):
    with uow() as unit:
        return unit.moderation.list_flags(FlagQuery(**filters), PageRequest(1, 100)).items


def _review(uow, clock):
    return ReviewFlag(uow, clock, AppendAuditEvent(clock, InMemoryPseudonymizer()))


def test_moderation_flags_recent_jobs_with_evidence(uow, clock):
    """A scam and a test posting seen since the run started get open flags with evidence."""
    scam = make_job(description="Pay a small fee of 50 USD for the training kit.", company="Zap")
    test = make_job("Test posting - do not apply", company="Acme")
    fine = make_job("Gardener", company="Greenery")
    _store(uow, scam, test, fine)

    report = ModerateJobs(uow, clock)(ModerateSince(SEEN))

    assert report.scanned == 3
    assert dict(report.raised) == {"scam_payment": 1, "test_posting": 1}
    flags = {f.job_id: f for f in _flags(uow)}
    assert flags[scam.id].rule is FlagRule.SCAM_PAYMENT
    assert dict(flags[scam.id].evidence)["phrase"].lower() == "pay a small fee"
    assert flags[test.id].status is FlagStatus.OPEN
    assert fine.id not in flags
    again = ModerateJobs(uow, clock)(ModerateSince(SEEN))
    assert again.flagged == 0
    assert len(_flags(uow)) == 2


def test_mass_posting_flags_every_member_in_one_pass(uow, clock):
    """When the fifth city arrives, the four earlier postings are flagged too."""
    early = [make_job("Backend Engineer", description=TEXT, city=c) for c in ("A1", "B2", "C3")]
    _store(uow, *early)
    ModerateJobs(uow, clock)(ModerateSince(SEEN))
    assert _flags(uow, rule=FlagRule.MASS_POSTING) == ()
    later = [
        make_job("Backend Engineer", description=TEXT, city=c, first_seen=SEEN + timedelta(hours=1))
        for c in ("D4", "E5")
    ]
    _store(uow, *later)

    ModerateJobs(uow, clock)(ModerateSince(SEEN + timedelta(minutes=30)))

    flagged = {f.job_id for f in _flags(uow, rule=FlagRule.MASS_POSTING)}
    assert flagged == {job.id for job in early + later}


def test_dead_apply_links_are_flagged_and_not_rechecked_soon(uow, clock):
    """A 404 apply link gets a dead-link flag; a second pass within a week checks nothing."""
    gone = make_job(url="https://jobs.example.com/gone")
    alive = make_job(url="https://jobs.example.com/here")
    _store(uow, gone, alive)
    checker = InMemoryLinkChecker(dead={"https://jobs.example.com/gone": 404})

    assert CheckApplyLinks(uow, checker, clock)(CheckLinks(SEEN)) == 1
    assert sorted(checker.checked) == sorted([gone.url, alive.url])
    (flag,) = _flags(uow, rule=FlagRule.DEAD_LINK)
    assert flag.job_id == gone.id
    assert dict(flag.evidence)["status_code"] == "404"
    CheckApplyLinks(uow, checker, clock)(CheckLinks(SEEN))
    assert len(checker.checked) == 2


def test_dismissing_a_flag_stops_the_rule_for_that_company_and_is_audited(uow, clock):
    """A dismissed rule/company pair dismisses its twins and is not raised again."""
    one = make_job("Test posting - do not apply", company="Acme")
    two = make_job("Please ignore this test posting", company="Acme")
    _store(uow, one, two)
    ModerateJobs(uow, clock)(ModerateSince(SEEN))
    first = next(f for f in _flags(uow) if f.job_id == one.id)

    reviewed = _review(uow, clock)(
        ADMIN, ReviewFlagCommand(first.id, ReviewChoice.DISMISS, note="their QA board")
    )

    assert reviewed.status is FlagStatus.DISMISSED
    assert reviewed.note == "their QA board"
    assert _flags(uow) == ()
    third = make_job("Test posting - ignore", company="Acme Inc")
    _store(uow, third)
    ModerateJobs(uow, clock)(ModerateSince(SEEN))
    assert _flags(uow) == ()
    with uow() as unit:
        events = unit.audit.list(AuditQuery(kind=AuditKind.JOB_FLAG_DISMISSED), PageRequest())
    (event,) = events.items
    assert event.actor_id == ADMIN.user_id
    assert dict(event.details)["rule"] == "test_posting"
    assert dict(event.details)["decision"] == "allow"


def test_confirming_a_scam_blocks_the_company_on_sight(uow, clock):
    """After a confirmed scam, a harmless-looking job of that company is hidden at once."""
    scam = make_job(description="Send a copy of your passport to get started.", company="Shady")
    _store(uow, scam)
    ModerateJobs(uow, clock)(ModerateSince(SEEN))
    (flag,) = _flags(uow)
    _review(uow, clock)(ADMIN, ReviewFlagCommand(flag.id, ReviewChoice.CONFIRM))
    innocent = make_job("Office Manager", company="Shady Ltd")
    _store(uow, innocent)

    ModerateJobs(uow, clock)(ModerateSince(SEEN))

    (blocked,) = _flags(uow, rule=FlagRule.BLOCKED_COMPANY, status=None)
    assert blocked.job_id == innocent.id
    assert blocked.status is FlagStatus.CONFIRMED
    with uow() as unit:
        seen = visibility_of(unit.moderation, [scam.id, innocent.id], Policy())
    assert seen == {scam.id: Action.HIDE, innocent.id: Action.HIDE}


def test_review_needs_an_admin_a_known_flag_and_no_reversal(uow, clock):
    """Users are refused, unknown flags are 404, and a confirmed flag cannot be dismissed."""
    _store(uow, make_job("Test posting - do not apply"))
    ModerateJobs(uow, clock)(ModerateSince(SEEN))
    (flag,) = _flags(uow)
    review = _review(uow, clock)
    with pytest.raises(Forbidden):
        review(USER, ReviewFlagCommand(flag.id, ReviewChoice.CONFIRM))
    with pytest.raises(NotFound):
        review(ADMIN, ReviewFlagCommand(uuid.uuid4(), ReviewChoice.CONFIRM))
    review(ADMIN, ReviewFlagCommand(flag.id, ReviewChoice.CONFIRM))
    with pytest.raises(Conflict):
        review(ADMIN, ReviewFlagCommand(flag.id, ReviewChoice.DISMISS))


def test_queue_lists_flags_with_their_jobs_for_admins_only(uow, clock):
    """The queue pages open flags newest first with the job; users are refused."""
    job = make_job("Test posting - do not apply")
    _store(uow, job)
    ModerateJobs(uow, clock)(ModerateSince(SEEN))
    page = ListFlags(uow)(ADMIN, FlagQuery(), PageRequest(1, 10))
    assert page.total == 1
    assert page.items[0].job == job
    with pytest.raises(Forbidden):
        ListFlags(uow)(USER, FlagQuery(), PageRequest())


def test_source_health_and_platform_metrics(uow, clock):
    """Runs give per-source yield, errors and last failure; metrics add users, jobs, queues."""
    ok = make_run(kind="greenhouse", created_at=SEEN)
    ok = ok.start(SEEN)
    from jobraker_core.jobs.ingestion import IngestionCounts  # noqa: PLC0415

    ok = ok.progress(IngestionCounts(fetched=10, new=6, updated=2), ()).succeed(SEEN)
    bad = make_run(kind="greenhouse", created_at=SEEN + timedelta(minutes=5)).start(SEEN)
    bad = bad.fail(SEEN + timedelta(minutes=6), "Greenhouse failed with HTTP 502", will_retry=False)
    with uow() as unit:
        unit.ingestions.add(ok)
        unit.ingestions.add(bad)
        unit.jobs.save([make_job(source="greenhouse"), make_job(source="lever")])
        unit.commit()

    (health,) = GetSourceHealth(uow, clock)(ADMIN)
    assert (health.source, health.succeeded, health.failed) == ("greenhouse", 1, 1)
    assert health.yield_per_run == 8.0
    assert health.error_rate == 0.5
    assert health.last_failure_reason == "Greenhouse failed with HTTP 502"
    assert health.last_success_at == SEEN

    queue = InMemoryTaskQueue()
    queue.enqueue("x.y", job_id="one")
    metrics = GetPlatformMetrics(
        uow, InMemoryPlatformStatistics(uow.store), InMemoryQueueMonitor(queue), clock
    )(ADMIN)
    assert metrics.counts.jobs_by_source == {"greenhouse": 1, "lever": 1}
    assert metrics.queues[0].queued == 1
    assert metrics.ingestion_failure_rate == 0.5
    with pytest.raises(Forbidden):
        GetSourceHealth(uow, clock)(USER)
