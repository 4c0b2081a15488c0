"""The short summary a job list shows instead of the full description."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.jobs.model import SUMMARY_LENGTH, JobDraft, JobPosting

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _job(description: str) -> JobPosting:
    draft = JobDraft(source="t", source_id="1", title="Engineer", description=description)
    return JobPosting.from_draft(draft, job_id=uuid.uuid4(), seen_at=NOW)


def test_a_short_description_is_its_own_summary_on_one_line():
    """A description shorter than the limit is returned whole, its lines joined by spaces."""
    assert _job("Build APIs.\n\nShip often.").summary() == "Build APIs. Ship often."


def test_a_long_description_is_cut_at_a_word_and_marked():
    """A long description is cut at a word boundary and ends with an ellipsis."""
    summary = _job("word " * 200).summary()
    assert summary.endswith("…")
    assert len(summary) <= SUMMARY_LENGTH
    assert summary[:-1].split(" ") == ["word"] * len(summary[:-1].split(" "))


@given(st.text(min_size=1, max_size=2000).filter(lambda t: t.strip()))
def test_a_summary_never_exceeds_the_limit_and_is_a_prefix_of_the_text(text):
    """Any summary fits the limit and, without its ellipsis, starts the one-line description."""
    try:
        job = _job(text)
    except Exception:  # noqa: BLE001 - texts the domain rejects (e.g. only markup) are not jobs
        return
    summary = job.summary()
    flat = " ".join(job.description.split())
    assert len(summary) <= SUMMARY_LENGTH
    assert flat.startswith(summary.removesuffix("…"))
