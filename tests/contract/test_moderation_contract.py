"""The ``ModerationRepository`` contract, on the in-memory fake and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest

from contract.builders import SEEN, make_job, salary
from jobraker_core.errors import NotFound
from jobraker_core.moderation.model import (
    Decision,
    Finding,
    FlagQuery,
    FlagRule,
    FlagStatus,
    JobFlag,
    Verdict,
)
from jobraker_core.moderation.rules import fingerprint
from jobraker_core.pagination import PageRequest


def _store(uow_factory, *jobs):
    with uow_factory() as uow:
        uow.jobs.save(list(jobs))
        uow.commit()


def _flag(job, rule=FlagRule.TEST_POSTING, at=SEEN, company="acme"):
    return JobFlag.raise_(job.id, company, Finding.of(rule, why="because", n=3), at=at)


def test_fingerprints_round_trip_with_the_full_64_bit_hash(uow_factory):
    """A fingerprint with the top bit set and a salary comes back equal, by job and by title."""
    job = make_job("Backend Engineer", pay=salary(50_000, 60_000))
    _store(uow_factory, job)
    own = attrs.evolve(fingerprint(job), simhash=(1 << 64) - 3, link_checked_at=SEEN)
    with uow_factory() as uow:
        uow.moderation.save_fingerprint(own)
        uow.moderation.save_fingerprint(own)
        uow.commit()
    with uow_factory() as uow:
        assert uow.moderation.fingerprints([job.id, uuid.uuid4()]) == {job.id: own}
        assert list(uow.moderation.fingerprints_titled("backend engineer", 10)) == [own]
        assert uow.moderation.fingerprints_titled("nurse", 10) == []
    assert own.annual_salary == Decimal(55_000)


def test_titled_fingerprints_come_newest_first_and_limited(uow_factory):
    """Fingerprints with one title come most recently first seen first, up to the limit."""
    jobs = [make_job("Chef", first_seen=SEEN + timedelta(days=n)) for n in range(3)]
    _store(uow_factory, *jobs)
    with uow_factory() as uow:
        for job in jobs:
            uow.moderation.save_fingerprint(fingerprint(job))
        uow.commit()
    with uow_factory() as uow:
        found = uow.moderation.fingerprints_titled("chef", 2)
    assert [fp.job_id for fp in found] == [jobs[2].id, jobs[1].id]


def test_job_keys_seen_since_oldest_first(uow_factory):
    """Only jobs last seen at or after the instant, oldest sighting first."""
    old = make_job(first_seen=SEEN - timedelta(days=2))
    new = make_job(first_seen=SEEN + timedelta(hours=2))
    now = make_job(first_seen=SEEN)
    _store(uow_factory, old, new, now)
    with uow_factory() as uow:
        assert list(uow.moderation.job_keys_seen_since(SEEN, 10)) == [now.key, new.key]
        assert list(uow.moderation.job_keys_seen_since(SEEN, 1)) == [now.key]


def test_flags_round_trip_and_keep_one_per_job_and_rule(uow_factory):
    """A saved flag reads back equal; saving it again with a review updates it in place."""
    job = make_job()
    _store(uow_factory, job)
    flag = _flag(job)
    with uow_factory() as uow:
        uow.moderation.save_flag(flag)
        uow.commit()
    reviewed = flag.review(FlagStatus.DISMISSED, at=SEEN + timedelta(hours=1), note="fine")
    with uow_factory() as uow:
        assert uow.moderation.get_flag(flag.id) == flag
        assert uow.moderation.flags_of([job.id, uuid.uuid4()]) == {job.id: [flag]}
        uow.moderation.save_flag(reviewed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.moderation.get_flag(flag.id) == reviewed
        with pytest.raises(NotFound):
            uow.moderation.get_flag(uuid.uuid4())


def test_list_flags_filters_and_pages_newest_first(uow_factory):
    """The queue filters by status, rule and job, newest first, with the total."""
    jobs = [make_job() for _ in range(3)]
    _store(uow_factory, *jobs)
    flags = [
        _flag(jobs[0], FlagRule.DUPLICATE, SEEN),
        _flag(jobs[1], FlagRule.DUPLICATE, SEEN + timedelta(minutes=1)),
        _flag(jobs[2], FlagRule.DEAD_LINK, SEEN + timedelta(minutes=2)),
    ]
    flags[2] = flags[2].review(FlagStatus.CONFIRMED, at=SEEN + timedelta(minutes=3))
    with uow_factory() as uow:
        for flag in flags:
            uow.moderation.save_flag(flag)
        uow.commit()
    with uow_factory() as uow:
        repo = uow.moderation
        first = repo.list_flags(FlagQuery(), PageRequest(1, 1))
        assert (first.total, first.items) == (2, (flags[1],))
        everything = repo.list_flags(FlagQuery(status=None), PageRequest(1, 10))
        assert [f.id for f in everything.items] == [flags[2].id, flags[1].id, flags[0].id]
        dead = repo.list_flags(FlagQuery(status=None, rule=FlagRule.DEAD_LINK), PageRequest())
        assert dead.items == (flags[2],)
        mine = repo.list_flags(FlagQuery(job_id=jobs[0].id), PageRequest())
        assert mine.items == (flags[0],)
        assert list(repo.open_flags_of_company(FlagRule.DUPLICATE, "acme")) in (
            [flags[0], flags[1]],
            [flags[1], flags[0]],
        )
        assert repo.open_flags_of_company(FlagRule.DEAD_LINK, "acme") == []


def test_decisions_replace_per_rule_and_company(uow_factory):
    """One decision per (rule, company); a later one replaces it."""
    allow = Decision(FlagRule.DUPLICATE, "acme", Verdict.ALLOW, SEEN)
    block = Decision(FlagRule.SCAM_PAYMENT, "acme", Verdict.BLOCK, SEEN, uuid.uuid4())
    with uow_factory() as uow:
        uow.moderation.save_decision(allow)
        uow.moderation.save_decision(block)
        uow.moderation.save_decision(attrs.evolve(allow, decided_at=SEEN + timedelta(days=1)))
        uow.commit()
    with uow_factory() as uow:
        found = uow.moderation.decisions_for(["acme", "globex"])
    assert set(found) == {"acme"}
    assert sorted(found["acme"], key=lambda d: d.rule.value) == [
        attrs.evolve(allow, decided_at=SEEN + timedelta(days=1)),
        block,
    ]


def test_nothing_is_stored_without_commit(uow_factory):
    """A flag saved in a unit that does not commit is gone."""
    job = make_job()
    _store(uow_factory, job)
    with uow_factory() as uow:
        uow.moderation.save_flag(_flag(job))
    with uow_factory() as uow:
        assert uow.moderation.flags_of([job.id]) == {}
