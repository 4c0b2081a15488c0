"""The submission port: how an approved application packet reaches an employer's site.

An ``ApplicationSubmitter`` starts a *run* for one *attempt* (our id for one try at submitting one
application) and reports on it. Two adapters implement it: the dry run (the default: it does
everything but send, and records what would have been sent) and Skyvern (a browser agent driven
over its HTTP API). The use cases never learn which one is plugged in, except through
``RunReport.dry_run``, which marks an application as a dry run for the person.

A run report is *evidence*, not a verdict: the use case decides ``submitted`` (a completed run
whose output shows a confirmation) versus ``submitted_unverified`` (completed, no confirmation)
versus ``failed`` / ``needs_review``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol

import attrs

from jobraker_core.errors import UpstreamUnavailable


class RunState(StrEnum):
    """Where a run is, in Skyvern's vocabulary (``canceled`` with one l)."""

    CREATED = "created"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    TIMED_OUT = "timed_out"
    FAILED = "failed"
    TERMINATED = "terminated"
    COMPLETED = "completed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        """Whether the run has ended; a terminal state never changes again."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        RunState.TIMED_OUT,
        RunState.FAILED,
        RunState.TERMINATED,
        RunState.COMPLETED,
        RunState.CANCELED,
    }
)


class BlockSignal(StrEnum):
    """Why a site refused the agent: a signal for the per-site circuit breaker."""

    CAPTCHA = "captcha"
    LOGIN_WALL = "login_wall"
    RATE_LIMITED = "rate_limited"
    SITE_ERROR = "site_error"


@attrs.frozen
class Applicant:
    """The person as the application form should see them (all from their profile)."""

    full_name: str
    email: str
    phone: str | None = None
    location: str | None = None


@attrs.frozen
class ScreeningAnswer:
    """One answer to a screening question, exactly as it will be typed into the form."""

    question: str
    answer: str


@attrs.frozen
class SubmissionRequest:
    """Everything a submitter needs to fill one application form, and nothing more.

    ``attempt_id`` identifies this try; submitting the same attempt twice must not create a
    second run where the adapter can tell (the dry run can; Skyvern cannot, see ``find``).
    ``packet_hash`` is the hash the person approved. ``webhook_url`` is where the vendor
    reports the end of the run, when it does.
    """

    attempt_id: uuid.UUID
    application_id: uuid.UUID
    apply_url: str
    job_title: str
    company: str
    applicant: Applicant
    resume_text: str
    resume_filename: str
    cover_letter: str
    answers: tuple[ScreeningAnswer, ...]
    packet_hash: str
    webhook_url: str | None = None
    max_steps: int = 40


@attrs.frozen
class RunReport:
    """What a submitter knows about a run at one moment.

    ``confirmation`` is the confirmation the site showed (an id or message), when the run
    extracted one; ``None`` means there is no evidence the application arrived. ``blocked_by``
    names a failure signal for the circuit breaker. ``sent`` is what was (or, for a dry run,
    would have been) sent, as plain strings, for the person to read. ``steps`` counts automation
    steps (billed per step by Skyvern) for the cost ledger.
    """

    run_id: str
    state: RunState
    dry_run: bool = False
    confirmation: str | None = None
    failure_reason: str | None = None
    blocked_by: BlockSignal | None = None
    steps: int | None = None
    sent: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class AttemptLookup:
    """The answer to "did this attempt already start a run?".

    ``certain`` is False when the submitter has no way to tell (Skyvern has no search by our
    attempt id): the use case then parks the application as ``needs_review`` rather than guess.
    """

    report: RunReport | None
    certain: bool


class SubmissionNotStarted(UpstreamUnavailable):
    """Raised by ``submit`` when the request provably never reached the vendor (no run started).

    Only for failures before anything was sent (connection refused, a name that does not
    resolve, a connect timeout); a read timeout, a 5xx or an unreadable answer may hide a
    started run and stay a plain ``UpstreamUnavailable`` ("outcome unknown").
    """


class ApplicationSubmitter(Protocol):
    """Starts, follows and cancels application runs on employers' sites.

    Errors: ``UpstreamUnavailable`` / ``RateLimited`` when the vendor cannot be reached or says
    slow down (retry later), ``UpstreamRejected`` when it refuses the request (do not retry),
    ``NotFound`` when ``status`` or ``cancel`` names a run it does not know. From ``submit``,
    ``RateLimited`` and ``SubmissionNotStarted`` promise that no run started (the application
    goes back to the queue); any other ``UpstreamUnavailable`` means the outcome is unknown.
    """

    name: str

    def submit(self, request: SubmissionRequest) -> RunReport:
        """Start a run for ``request`` and return its first report (the dry run: its last)."""
        ...

    def status(self, run_id: str) -> RunReport:
        """The run's current report."""
        ...

    def cancel(self, run_id: str) -> None:
        """Ask the vendor to stop the run; a run that has ended already is left as it is."""
        ...

    def find(self, attempt_id: uuid.UUID) -> AttemptLookup:
        """Look up the run an earlier try of ``attempt_id`` started, if any."""
        ...


class RunWebhook(Protocol):
    """Reads a vendor's run callback: checks its signature and returns the report it carries.

    Raises ``Unauthenticated`` when the signature is missing or wrong (under every accepted key),
    ``InvalidInput`` when the signed body is not a run report.
    """

    def read(self, body: bytes, headers: Mapping[str, str]) -> RunReport:
        """Verify ``body`` (the raw request bytes) against ``headers`` and parse it."""
        ...
