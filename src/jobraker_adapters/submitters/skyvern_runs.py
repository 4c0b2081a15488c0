"""Reading a Skyvern run (API response or webhook payload) into a ``RunReport``.

One reader for both, because the webhook payload is the run response merged with the legacy task
object (integrations.md §2.5): ``run_id`` (or ``task_id``), ``status`` (``RunState``, ``canceled``
with one l), ``output`` (or ``extracted_information``), ``failure_reason``, ``errors``,
``step_count``. Unknown keys are ignored; timestamps are not read.

What we ask Skyvern for is defined here too, so request and reading stay in step:

- ``EXTRACTION_SCHEMA`` shapes ``output``: ``application_submitted`` (bool),
  ``confirmation_number`` and ``confirmation_message`` (what the site showed after submitting);
- ``ERROR_CODES`` is the ``error_code_mapping``: a failed run reports one of them in
  ``output.error`` (or in ``errors[].error_code``).

Evidence: ``confirmation`` is set only when the output carries a confirmation number or message
and does not say ``application_submitted: false``. Block signals for the circuit breaker come from
our error codes first, then from words in ``failure_reason``; any other failed, terminated or timed
out run is a ``site_error``. A question the agent could not answer is not the site's fault: no
signal, and ``failure_reason`` starts with ``question_not_answerable:``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from jobraker_core.applications.submission import BlockSignal, RunReport, RunState

QUESTION_NOT_ANSWERABLE: Final = "question_not_answerable"
ERROR_CODES: Final[Mapping[str, str]] = {
    "captcha": "The site shows a CAPTCHA or another human-verification challenge.",
    "login_wall": "The site requires signing in or creating an account before applying.",
    "rate_limited": "The site says there were too many requests or asks to try again later.",
    QUESTION_NOT_ANSWERABLE: (
        "The form asks a required question whose answer is not in the applicant data."
    ),
}
EXTRACTION_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "object",
    "properties": {
        "application_submitted": {
            "type": "boolean",
            "description": (
                "True only if the application form was submitted and the site confirmed it."
            ),
        },
        "confirmation_number": {
            "type": ["string", "null"],
            "description": "The application or reference number the site showed, if any.",
        },
        "confirmation_message": {
            "type": ["string", "null"],
            "description": "The confirmation text the site showed after submitting, verbatim.",
        },
    },
    "required": ["application_submitted"],
}
_SIGNALS: Final = {
    "captcha": BlockSignal.CAPTCHA,
    "login_wall": BlockSignal.LOGIN_WALL,
    "rate_limited": BlockSignal.RATE_LIMITED,
}
_WORDS: Final = (
    (re.compile(r"captcha|human verification|are you a robot", re.IGNORECASE), BlockSignal.CAPTCHA),
    (
        re.compile(r"\blog ?in\b|sign[ -]?in|create an account|login wall", re.IGNORECASE),
        BlockSignal.LOGIN_WALL,
    ),
    (
        re.compile(r"\b429\b|rate.?limit|too many requests", re.IGNORECASE),
        BlockSignal.RATE_LIMITED,
    ),
)
_FAILED: Final = frozenset({RunState.FAILED, RunState.TERMINATED, RunState.TIMED_OUT})
MAX_TEXT: Final = 2000


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_TEXT]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _output(run: Mapping[str, Any]) -> object:
    output = run.get("output")
    return run.get("extracted_information") if output is None else output


def confirmation_of(output: object) -> str | None:
    """The confirmation an extraction ``output`` shows, or ``None`` when it shows none."""
    if not isinstance(output, Mapping) or output.get("application_submitted") is False:
        return None
    number = _text(output.get("confirmation_number"))
    message = _text(output.get("confirmation_message"))
    if number and message:
        return f"{number}: {message}"[:MAX_TEXT]
    return number or message


def _error_code(run: Mapping[str, Any], output: object) -> str | None:
    if isinstance(output, Mapping):
        code = _text(output.get("error"))
        if code in ERROR_CODES:
            return code
    errors = run.get("errors")
    if isinstance(errors, list):
        for item in errors:
            code = _text(item.get("error_code")) if isinstance(item, Mapping) else None
            if code in ERROR_CODES:
                return code
    return None


def _signal(state: RunState, code: str | None, reason: str | None) -> BlockSignal | None:
    if code in _SIGNALS:
        return _SIGNALS[code]
    if state not in _FAILED or code == QUESTION_NOT_ANSWERABLE:
        return None
    for pattern, signal in _WORDS:
        if reason and pattern.search(reason):
            return signal
    return BlockSignal.SITE_ERROR


def _steps(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None


def report_from_run(run: Mapping[str, Any], *, error: Callable[[str], Exception]) -> RunReport:
    """Read a Skyvern run object; raise ``error(message)`` when it is not one.

    A run needs a non-empty ``run_id`` (or ``task_id``) and a known ``status``.
    """
    run_id = _text(run.get("run_id")) or _text(run.get("task_id"))
    if run_id is None or len(run_id) > 200:  # noqa: PLR2004 - no real run id is that long
        raise error("the Skyvern run has no run_id")
    raw_status = run.get("status")
    try:
        state = RunState(str(raw_status))
    except ValueError:
        raise error(f"the Skyvern run has an unknown status {str(raw_status)[:40]!r}") from None
    output = _output(run)
    code = _error_code(run, output)
    reason = _text(run.get("failure_reason"))
    if code is not None:
        reason = f"{code}: {reason or ERROR_CODES[code]}"[:MAX_TEXT]
    return RunReport(
        run_id=run_id,
        state=state,
        confirmation=confirmation_of(output),
        failure_reason=reason,
        blocked_by=_signal(state, code, reason),
        steps=_steps(run.get("step_count")),
    )
