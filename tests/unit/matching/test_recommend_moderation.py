"""Recommendations follow the moderation policy: hidden flags drop a job, demoting ones move it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from matching_builders import job

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_adapters.container import build_memory_container
from jobraker_core.matching.use_cases import RecommendQuery, UploadResumeCommand
from jobraker_core.moderation.model import Finding, FlagRule, FlagStatus, JobFlag

ME = uuid.UUID(int=21)
BACKEND = """Requirements:
- Python and Django
- PostgreSQL
- 3+ years of experience as a Python Developer
"""
AT = datetime(2026, 1, 15, tzinfo=UTC)


def _flag(container, job_id, rule, status=FlagStatus.OPEN):
    flag = JobFlag.raise_(job_id, "acme", Finding.of(rule, why="test"), at=AT)
    with container.uow()() as uow:
        uow.moderation.save_flag(
            flag.review(status, at=AT) if status is not FlagStatus.OPEN else flag
        )
        uow.commit()


def test_hidden_jobs_drop_out_and_demoted_ones_come_last():
    """A scam is hidden, a duplicate moves below the rest, a dismissed flag changes nothing."""
    container = build_memory_container()
    postings = [
        job(title="Senior Python Developer", description=BACKEND, number=n, company=f"Firm {n}")
        for n in range(1, 5)
    ]
    with container.uow()() as uow:
        uow.jobs.save(postings)
        uow.commit()
    container.embed_jobs()()
    container.upload_resume()(
        UploadResumeCommand(user_id=ME, content=SAMPLE_TEXT.encode(), filename="cv.txt")
    )
    before = [m.job.id for m in container.recommend_jobs()(RecommendQuery(user_id=ME)).items]
    assert set(before) == {p.id for p in postings}
    scam, duplicate, dismissed = before[1], before[0], before[2]
    _flag(container, scam, FlagRule.SCAM_PAYMENT)
    _flag(container, duplicate, FlagRule.DUPLICATE)
    _flag(container, dismissed, FlagRule.TEST_POSTING, FlagStatus.DISMISSED)

    after = [m.job.id for m in container.recommend_jobs()(RecommendQuery(user_id=ME)).items]

    assert scam not in after
    assert after[-1] == duplicate
    assert after[:-1] == [i for i in before if i not in {scam, duplicate}]
