"""Each flag rule fires on what it is about, stays quiet otherwise, and names its evidence."""

from __future__ import annotations

import uuid
from datetime import timedelta

import attrs

from contract.builders import SEEN, make_job, salary
from jobraker_core.jobs.model import RemoteMode
from jobraker_core.moderation.model import (
    Action,
    Decision,
    Finding,
    FlagRule,
    FlagStatus,
    JobFlag,
    Policy,
    Verdict,
)
from jobraker_core.moderation.rules import (
    NEAR_BITS,
    distance,
    duplicate_cluster,
    evaluate,
    fingerprint,
    internal_test_posting,
    mass_posting,
    repost,
    scam_contact,
    scam_payment,
    scam_salary,
    simhash,
    staffing_agency,
)

TEXT = (
    "We are hiring a backend engineer to build payment services in Python and PostgreSQL. "
    "You will design APIs, review code, mentor colleagues and keep our systems reliable. "
    "We offer flexible hours, a learning budget and a friendly team in a growing company."
)


def _evidence(finding: Finding | None) -> dict[str, str]:
    assert finding is not None
    return dict(finding.evidence)


def test_simhash_keeps_near_copies_close_and_different_texts_apart():
    """A one-word edit moves few bits; an unrelated text moves many."""
    edited = TEXT.replace("friendly", "welcoming")
    other = "Registered nurse for night shifts on a busy surgical ward; NMC registration needed."
    assert distance(simhash(TEXT), simhash(edited)) <= NEAR_BITS
    assert distance(simhash(TEXT), simhash(other)) > 2 * NEAR_BITS


def test_duplicate_cluster_flags_the_later_copy_from_another_source_only():
    """The copy seen later on another source is flagged, naming the first as canonical."""
    first = make_job("Backend Engineer", description=TEXT, source="adzuna", first_seen=SEEN)
    later = make_job(
        "Backend Engineer",
        description=TEXT + " Apply now.",
        source="greenhouse",
        company="Acme Inc",
        first_seen=SEEN + timedelta(days=1),
    )
    own_first, own_later = fingerprint(first), fingerprint(later)
    assert duplicate_cluster(own_first, [own_later]) is None
    evidence = _evidence(duplicate_cluster(own_later, [own_first]))
    assert evidence["canonical_job"] == str(first.id)
    assert evidence["sources"] == "adzuna,greenhouse"
    assert evidence["members"] == "2"


def test_same_source_same_company_copy_is_not_a_cross_source_duplicate():
    """Near-duplicates within one source and company are not a duplicate cluster."""
    one = make_job("Backend Engineer", description=TEXT, city="Leeds")
    two = make_job(
        "Backend Engineer", description=TEXT, city="York", first_seen=SEEN + timedelta(hours=1)
    )
    assert duplicate_cluster(fingerprint(two), [fingerprint(one)]) is None


def test_repost_by_redating_and_by_copying_an_old_job():
    """A job re-dated 40 days after first seen, or a copy of a 60-day-old job, is a repost."""
    redated = make_job(posted_at=SEEN + timedelta(days=40))
    assert _evidence(repost(fingerprint(redated), []))["days_between"] == "40"
    old = make_job("Backend Engineer", description=TEXT, first_seen=SEEN - timedelta(days=60))
    new = make_job("Backend Engineer", description=TEXT)
    evidence = _evidence(repost(fingerprint(new), [fingerprint(old)]))
    assert evidence["original_job"] == str(old.id)
    assert repost(fingerprint(make_job()), []) is None


def test_mass_posting_needs_five_places_of_one_company():
    """One job in five cities is mass posting; in four it is not."""
    cities = ["Leeds", "York", "Hull", "Bath", "Ely"]
    jobs = [make_job("Backend Engineer", description=TEXT, city=c) for c in cities]
    prints = [fingerprint(j) for j in jobs]
    evidence = _evidence(mass_posting(prints[0], prints[1:]))
    assert evidence["places"] == "5"
    assert "leeds" in evidence["sample_places"]
    assert mass_posting(prints[0], prints[1:4]) is None


def test_staffing_agency_copy_of_an_employer_job():
    """An agency's near-copy of another company's job is flagged with the original's id."""
    original = make_job("Backend Engineer", description=TEXT, company="Acme")
    copy = make_job("Backend Engineer", description=TEXT, company="Best Recruitment Ltd")
    evidence = _evidence(staffing_agency(copy, fingerprint(copy), [fingerprint(original)]))
    assert evidence["company_wording"] == "Recruitment"
    assert evidence["original_jobs"] == str(original.id)
    client = make_job(description="On behalf of our client, a leading bank, we seek a tester.")
    assert "phrase" in _evidence(staffing_agency(client, fingerprint(client), []))
    assert staffing_agency(original, fingerprint(original), []) is None


def test_internal_test_posting_by_title():
    """``Test job - do not apply`` is a test posting; ``QA Test Engineer`` is not."""
    assert _evidence(internal_test_posting(make_job("Test job - do not apply")))["title_wording"]
    assert internal_test_posting(make_job("QA Test Engineer")) is None


def test_scam_payment_quotes_the_phrase_and_its_context():
    """Asking for a training fee is flagged, quoting the words around it."""
    job = make_job(description="Great pay! Before you start, pay a small fee of 50 USD. Thanks.")
    evidence = _evidence(scam_payment(job))
    assert evidence["phrase"].lower() == "pay a small fee"
    assert "Before you start" in evidence["context"]
    assert scam_payment(make_job(description="We pay a competitive salary.")) is None


def test_contact_domain_mismatch_and_free_mail():
    """Free-mail contacts and unrelated domains are flagged; the company's own domain is not."""
    free = make_job(company="Acme", description="Send your CV to acme.hr@gmail.com today.")
    assert _evidence(scam_contact(free))["why"] == "free e-mail provider"
    other = make_job(company="Acme", description="Write to jobs@quick-cash-now.biz to apply.")
    assert _evidence(scam_contact(other))["email_domain"] == "quick-cash-now.biz"
    own = make_job(company="Acme Widgets", description="Write to careers@acme.com to apply.")
    assert scam_contact(own) is None
    initials = make_job(company="Fidelity National Financial", description="Mail hr@fnf.com.")
    assert scam_contact(initials) is None
    site = make_job(
        company="Initech",
        description="Questions: talent@hire-portal.io",
        url="https://jobs.hire-portal.io/initech/1",
    )
    assert scam_contact(site) is None


def test_salary_too_good_for_the_title():
    """Three times the title's median salary over eight samples is flagged; twice is not."""
    peers = [
        fingerprint(make_job("Data Entry Clerk", pay=salary(20_000 + n * 500, currency="GBP")))
        for n in range(8)
    ]
    rich = make_job("Data Entry Clerk", pay=salary(70_000, 80_000, currency="GBP"))
    evidence = _evidence(scam_salary(fingerprint(rich), peers))
    assert evidence["samples"] == "8"
    assert float(evidence["ratio"]) >= 2.5
    fair = make_job("Data Entry Clerk", pay=salary(40_000, currency="GBP"))
    assert scam_salary(fingerprint(fair), peers) is None
    assert scam_salary(fingerprint(rich), peers[:7]) is None


def test_decisions_allow_a_rule_and_block_a_company():
    """An allowed rule stops firing for the company; a blocked company is flagged on sight."""
    job = make_job("Test job - do not apply", company="Acme")
    own = fingerprint(job)
    allow = Decision(FlagRule.TEST_POSTING, "acme", Verdict.ALLOW, SEEN)
    assert [f.rule for f in evaluate(job, own, [])] == [FlagRule.TEST_POSTING]
    assert evaluate(job, own, [], [allow]) == []
    block = Decision(FlagRule.SCAM_PAYMENT, "acme", Verdict.BLOCK, SEEN, uuid.uuid4())
    rules = [f.rule for f in evaluate(make_job(company="Acme"), own, [], [block])]
    assert rules == [FlagRule.BLOCKED_COMPANY]


def test_policy_demotes_hides_and_ignores_dismissed_flags():
    """Open duplicates demote, open scams hide, confirmed anything hides, dismissed nothing."""
    policy = Policy()

    def flag(rule: FlagRule, status: FlagStatus = FlagStatus.OPEN) -> JobFlag:
        raised = JobFlag.raise_(uuid.uuid4(), "acme", Finding.of(rule, why="x"), at=SEEN)
        return attrs.evolve(raised, status=status)

    assert policy.visibility([]) is Action.NONE
    assert policy.visibility([flag(FlagRule.DUPLICATE)]) is Action.DEMOTE
    assert policy.visibility([flag(FlagRule.DUPLICATE), flag(FlagRule.SCAM_PAYMENT)]) is Action.HIDE
    assert policy.visibility([flag(FlagRule.REPOST, FlagStatus.CONFIRMED)]) is Action.HIDE
    assert policy.visibility([flag(FlagRule.DEAD_LINK, FlagStatus.DISMISSED)]) is Action.NONE


def test_remote_jobs_share_one_place():
    """Remote postings count as one place, whatever city text they carry."""
    job = make_job(city="Leeds", remote=RemoteMode.REMOTE)
    assert fingerprint(job).place == "remote"
