import uuid
from collections import Counter
from datetime import UTC, datetime

from jobraker_adapters.sources.catalog import DEMO_SOURCE, demo_feed
from jobraker_adapters.sources.feed_file import FeedFormat, FileJobSource
from jobraker_core.jobs.model import (
    EmploymentType,
    JobDraft,
    JobPosting,
    RejectedRecord,
    RemoteMode,
)
from jobraker_core.jobs.salary import SalaryPeriod

SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def demo_items() -> list[JobDraft | RejectedRecord]:
    """Read the shipped demo feed."""
    return list(FileJobSource(demo_feed(), DEMO_SOURCE, FeedFormat.JSONL).fetch())


def test_the_demo_feed_ships_inside_the_package():
    """The demo corpus is a packaged resource, not a file outside the package."""
    assert demo_feed().is_file()


def test_all_500_demo_postings_parse_without_rejections():
    """Every one of the 500 shipped LinkedIn postings becomes a draft (0 rejections)."""
    items = demo_items()
    rejected = [item for item in items if isinstance(item, RejectedRecord)]
    assert rejected == []
    assert len(items) == 500
    assert len({item.source_id for item in items if isinstance(item, JobDraft)}) == 500


def test_every_demo_posting_passes_domain_validation():
    """Each demo draft normalises into a JobPosting (titles, URLs, salaries all valid)."""
    drafts = [item for item in demo_items() if isinstance(item, JobDraft)]
    postings = [JobPosting.from_draft(d, job_id=uuid.uuid4(), seen_at=SEEN) for d in drafts]
    # One LinkedIn posting is a re-post of another (same title, company and city), so 499 keys.
    assert len({p.key for p in postings}) == 499


def test_the_demo_corpus_is_realistic():
    """The corpus has long descriptions, year/hour/month salaries, remote jobs and US places."""
    drafts = [item for item in demo_items() if isinstance(item, JobDraft)]
    periods = Counter(d.salary.period for d in drafts if d.salary)
    assert periods == {SalaryPeriod.YEAR: 136, SalaryPeriod.HOUR: 68, SalaryPeriod.MONTH: 8}
    assert {d.salary.currency for d in drafts if d.salary} == {"USD"}
    assert sum(d.location.remote is RemoteMode.REMOTE for d in drafts) == 105
    assert {d.location.country_code for d in drafts} == {"US"}
    assert sum(d.location.city is not None for d in drafts) >= 350
    assert max(len(d.description) for d in drafts) > 10_000
    assert all(d.posted_at is not None and d.url for d in drafts)
    assert set(EmploymentType) <= {d.employment_type for d in drafts}
