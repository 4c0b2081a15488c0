"""The dry-run submitter: everything but the submission (the default ``ApplicationSubmitter``).

``submit`` checks the request exactly as the Skyvern adapter does (``check_request``), builds the
plain-text record of what would have been typed into the form (``sent_fields``) and returns a
*completed* run with ``dry_run=True`` and **no confirmation**: nothing reached the employer, so
there is no evidence of an application there, and the use case settles the application as
``submitted_unverified``, marked as a dry run for the person. It never claims ``submitted``.

Runs are kept in memory keyed by attempt id, and a run id is derived from its attempt id
(``dry_<attempt id hex>``), so:

- submitting the same attempt twice returns the same run (the first report, unchanged);
- ``find`` is *certain*: a dry run has no effect outside this process, so "not found here" is
  the truth that matters (resubmitting sends nothing anywhere);
- ``status`` of a dry-run id this process has not seen (after a restart, or from another worker)
  still answers: a dry run completes inside ``submit``, so it is ``completed``, just without the
  ``sent`` record (which the use case stored with the application when it submitted).
"""

from __future__ import annotations

import re
import threading
import uuid
from typing import Final

from jobraker_adapters.submitters.packet import refuse_unsubmittable, sent_fields
from jobraker_core.applications.submission import (
    AttemptLookup,
    RunReport,
    RunState,
    SubmissionRequest,
)
from jobraker_core.errors import NotFound

RUN_PREFIX: Final = "dry_"
_RUN_ID: Final = re.compile(r"^dry_([0-9a-f]{32})$")


def dry_run_id(attempt_id: uuid.UUID) -> str:
    """The run id of ``attempt_id``'s dry run (the same in every process)."""
    return RUN_PREFIX + attempt_id.hex


class DryRunSubmitter:
    """An ``ApplicationSubmitter`` that records what it would send and sends nothing."""

    name = "dry_run"

    def __init__(self) -> None:
        """Start with no runs."""
        self._lock = threading.Lock()
        self._runs: dict[uuid.UUID, RunReport] = {}

    def submit(self, request: SubmissionRequest) -> RunReport:
        """Check ``request`` and return its completed dry run (the same one every time).

        Raises ``UpstreamRejected`` (naming the field) when the request could never be submitted.
        """
        refuse_unsubmittable(request, service=self.name)
        with self._lock:
            known = self._runs.get(request.attempt_id)
            if known is not None:
                return known
            report = RunReport(
                run_id=dry_run_id(request.attempt_id),
                state=RunState.COMPLETED,
                dry_run=True,
                confirmation=None,
                steps=0,
                sent=sent_fields(request),
            )
            self._runs[request.attempt_id] = report
            return report

    def status(self, run_id: str) -> RunReport:
        """The run's report; ``NotFound`` when ``run_id`` is not a dry-run id."""
        attempt_id = self._attempt_of(run_id)
        with self._lock:
            known = self._runs.get(attempt_id)
        if known is not None:
            return known
        return RunReport(run_id=run_id, state=RunState.COMPLETED, dry_run=True, steps=0)

    def cancel(self, run_id: str) -> None:
        """Nothing to stop: a dry run has ended by the time ``submit`` returns."""
        self._attempt_of(run_id)

    def find(self, attempt_id: uuid.UUID) -> AttemptLookup:
        """The run this process made for ``attempt_id``, if any; always certain (see module doc)."""
        with self._lock:
            return AttemptLookup(report=self._runs.get(attempt_id), certain=True)

    @staticmethod
    def _attempt_of(run_id: str) -> uuid.UUID:
        match = _RUN_ID.match(run_id)
        if match is None:
            raise NotFound(f"no dry run {run_id[:80]!r}")
        return uuid.UUID(hex=match.group(1))
