"""Moderation of job postings: quality flags with their evidence, reviews, and the policy.

A rule (``jobraker_core.moderation.rules``) raises a ``JobFlag`` on a job with the evidence that
made it fire. An admin reviews a flag: *confirm* (it is right) or *dismiss* (it is wrong). A
dismissal of a rule for a company becomes a ``Decision`` that stops that rule flagging that
company; confirming a scam flag blocks the company, whose jobs are then flagged on sight. The
``Policy`` maps the flags of a job to its ``Visibility`` in recommendations.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from jobraker_core.errors import Conflict, InvalidInput

MAX_EVIDENCE_ITEMS: Final = 20
MAX_EVIDENCE_LENGTH: Final = 500
MAX_NOTE_LENGTH: Final = 1_000


class FlagRule(enum.StrEnum):
    """What a flag says is wrong with a job."""

    DUPLICATE = "duplicate"  # a near-duplicate of an earlier job from another source/company
    REPOST = "repost"  # an old job posted again as new
    MASS_POSTING = "mass_posting"  # one job posted in many cities
    STAFFING_AGENCY = "staffing_agency"  # an agency's copy of an employer's job
    TEST_POSTING = "test_posting"  # an internal test, not a real job
    SCAM_PAYMENT = "scam_payment"  # asks for money or identity documents up front
    SCAM_CONTACT = "scam_contact"  # contact e-mail domain does not belong to the company
    SCAM_SALARY = "scam_salary"  # salary far above what the title pays elsewhere
    DEAD_LINK = "dead_link"  # the apply link is gone
    BLOCKED_COMPANY = "blocked_company"  # the company was confirmed a scam before

    @property
    def is_scam(self) -> bool:
        """Whether confirming this flag blocks the company."""
        return self in {
            FlagRule.SCAM_PAYMENT,
            FlagRule.SCAM_CONTACT,
            FlagRule.SCAM_SALARY,
            FlagRule.BLOCKED_COMPANY,
        }


class FlagStatus(enum.StrEnum):
    """Where a flag is in review: ``open`` until an admin confirms or dismisses it."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class Action(enum.IntEnum):
    """What a flag does to a job in recommendations; a higher value wins."""

    NONE = 0
    DEMOTE = 1
    HIDE = 2


Visibility = Action
"""A job's standing in recommendations: the strongest action of its flags."""


def _evidence(
    _: object, __: attrs.Attribute[tuple[tuple[str, str], ...]], value: tuple[tuple[str, str], ...]
) -> None:
    if len(value) > MAX_EVIDENCE_ITEMS:
        raise InvalidInput(f"at most {MAX_EVIDENCE_ITEMS} evidence items", field="evidence")


def evidence_of(items: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Evidence as sorted (name, text) pairs, each text clipped."""
    return tuple(sorted((k, str(v)[:MAX_EVIDENCE_LENGTH]) for k, v in items.items()))[
        :MAX_EVIDENCE_ITEMS
    ]


@attrs.frozen
class Finding:
    """A rule firing on a job: which rule, and the evidence (name, value pairs) it saw."""

    rule: FlagRule
    evidence: tuple[tuple[str, str], ...] = attrs.field(validator=_evidence)

    @classmethod
    def of(cls, rule: FlagRule, **evidence: object) -> Finding:
        """A finding with this evidence."""
        return cls(rule, evidence_of(evidence))


@attrs.frozen
class JobFlag:
    """One flag on one job (at most one per job and rule), with its evidence and its review.

    ``company_key`` is the job's normalised company (``company_words``), which decisions use.
    """

    id: uuid.UUID
    job_id: uuid.UUID
    rule: FlagRule
    evidence: tuple[tuple[str, str], ...] = attrs.field(validator=_evidence)
    company_key: str
    status: FlagStatus
    raised_at: datetime
    updated_at: datetime
    reviewed_at: datetime | None = None
    note: str | None = None

    @classmethod
    def raise_(
        cls, job_id: uuid.UUID, company_key: str, finding: Finding, *, at: datetime
    ) -> JobFlag:
        """A new open flag from a finding."""
        return cls(
            id=uuid.uuid4(),
            job_id=job_id,
            rule=finding.rule,
            evidence=finding.evidence,
            company_key=company_key,
            status=FlagStatus.OPEN,
            raised_at=at,
            updated_at=at,
        )

    def refresh(self, finding: Finding, *, at: datetime) -> JobFlag:
        """The flag with fresher evidence; a reviewed flag keeps its review."""
        if finding.evidence == self.evidence:
            return self
        return attrs.evolve(self, evidence=finding.evidence, updated_at=at)

    def review(self, status: FlagStatus, *, at: datetime, note: str | None = None) -> JobFlag:
        """Confirm or dismiss the flag; ``Conflict`` if it was reviewed already the other way."""
        if status is FlagStatus.OPEN:
            raise InvalidInput("a review confirms or dismisses", field="decision")
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            raise InvalidInput(f"note is longer than {MAX_NOTE_LENGTH} characters", field="note")
        if self.status is not FlagStatus.OPEN and self.status is not status:
            raise Conflict(f"flag {self.id} was already {self.status.value}")
        return attrs.evolve(self, status=status, reviewed_at=at, updated_at=at, note=note)


class Verdict(enum.StrEnum):
    """What an admin decided about a rule for a company."""

    ALLOW = "allow"  # this rule is wrong for this company: stop raising it
    BLOCK = "block"  # the company is a confirmed scam: flag its jobs on sight


@attrs.frozen
class Decision:
    """A review outcome that feeds back into the rules for one company."""

    rule: FlagRule
    company_key: str
    verdict: Verdict
    decided_at: datetime
    flag_id: uuid.UUID | None = None


DEFAULT_ACTIONS: Final = {
    FlagRule.DUPLICATE: Action.DEMOTE,
    FlagRule.REPOST: Action.DEMOTE,
    FlagRule.MASS_POSTING: Action.DEMOTE,
    FlagRule.STAFFING_AGENCY: Action.DEMOTE,
    FlagRule.SCAM_CONTACT: Action.DEMOTE,
    FlagRule.SCAM_SALARY: Action.DEMOTE,
    FlagRule.TEST_POSTING: Action.HIDE,
    FlagRule.SCAM_PAYMENT: Action.HIDE,
    FlagRule.DEAD_LINK: Action.HIDE,
    FlagRule.BLOCKED_COMPANY: Action.HIDE,
}


@attrs.frozen
class Policy:
    """Which flags demote and which hide a job from recommendations.

    Open flags act per ``actions``; a confirmed flag hides the job; a dismissed one does nothing.
    """

    actions: Mapping[FlagRule, Action] = attrs.field(
        factory=lambda: dict(DEFAULT_ACTIONS), converter=dict
    )

    def action(self, flag: JobFlag) -> Action:
        """What this flag does to its job."""
        if flag.status is FlagStatus.DISMISSED:
            return Action.NONE
        if flag.status is FlagStatus.CONFIRMED:
            return Action.HIDE
        return self.actions.get(flag.rule, Action.NONE)

    def visibility(self, flags: Iterable[JobFlag]) -> Visibility:
        """The job's standing: the strongest action among its flags."""
        return max((self.action(flag) for flag in flags), default=Action.NONE)


DEFAULT_POLICY: Final = Policy()
"""The policy recommendations apply (``DEFAULT_ACTIONS``)."""


@attrs.frozen
class Fingerprint:
    """What the rules compare between jobs, kept per job.

    ``title_key`` is the folded title; ``simhash`` a 64-bit SimHash of the description's word
    shingles (near-duplicates differ in few bits); ``place`` the folded city (or ``remote``);
    ``annual_salary`` the midpoint of a stated (not estimated) salary, per year.
    """

    job_id: uuid.UUID
    title_key: str
    company_key: str
    simhash: int
    place: str
    source: str
    first_seen: datetime
    posted_at: datetime | None = None
    annual_salary: Decimal | None = None
    currency: str | None = None
    link_checked_at: datetime | None = None


@attrs.frozen
class FlagQuery:
    """Filters of the moderation queue (both optional)."""

    status: FlagStatus | None = FlagStatus.OPEN
    rule: FlagRule | None = None
    job_id: uuid.UUID | None = None

    def matches(self, flag: JobFlag) -> bool:
        """Whether ``flag`` passes every filter (the reference semantics)."""
        return (
            (self.status is None or flag.status is self.status)
            and (self.rule is None or flag.rule is self.rule)
            and (self.job_id is None or flag.job_id == self.job_id)
        )


@attrs.frozen
class LinkStatus:
    """What checking a link found: ``dead`` only when the answer proves the page is gone.

    ``refused`` is set when the check was not made (the target is not a public address).
    """

    url: str
    dead: bool
    status_code: int | None = None
    reason: str | None = None
    refused: bool = False
