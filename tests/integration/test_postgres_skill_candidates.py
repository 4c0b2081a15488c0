"""Skill candidates on PostgreSQL: the generated skill column and the planner's statistics."""

from __future__ import annotations

import pytest

from contract.builders import make_job
from contract.test_retrieval_contract import SPEC, asking
from jobraker_adapters.postgres.analyses import PostgresJobAnalysisRepository
from jobraker_adapters.postgres.retrieval import PostgresJobRetriever, SkillShares
from jobraker_adapters.postgres.uow import PostgresUnitOfWorkFactory
from jobraker_adapters.taxonomy import load_skill_extractor, load_title_normaliser
from jobraker_core.jobs.model import JobQuery
from jobraker_core.matching.analysis import JobAnalyser
from jobraker_core.matching.analysis_store import StoredAnalysis

pytestmark = pytest.mark.integration


def test_the_skill_column_is_generated_from_the_stored_document(db, pg_pool):
    """``skill_ids`` holds an analysis's distinct canonical skills, sorted, and follows a save."""
    posting = make_job(
        "Data Engineer",
        description="Requirements:\n- SQL and Apache Spark\n- Airflow\nNice to have:\n- SQL",
    )
    with PostgresUnitOfWorkFactory(pg_pool)() as uow:
        uow.jobs.save([posting])
        uow.commit()
    analyses = PostgresJobAnalysisRepository(pg_pool)
    analysis = JobAnalyser(load_skill_extractor(), load_title_normaliser()).analyse(posting)
    analyses.save("v1", [StoredAnalysis(posting, analysis)])
    with pg_pool.connection() as conn:
        (skill_ids,) = conn.execute(
            "SELECT skill_ids FROM job_analyses WHERE job_id = %s", (posting.id,)
        ).fetchone()
    expected = sorted({s.skill_id for s in analysis.skills if s.skill_id})
    assert len(expected) >= 3
    assert skill_ids == expected

    analyses.save("v2", [asking(posting, "kubernetes")])
    with pg_pool.connection() as conn:
        row = conn.execute(
            "SELECT skill_ids FROM job_analyses WHERE job_id = %s", (posting.id,)
        ).fetchone()
    assert row == (["kubernetes"],)


def test_skill_shares_come_from_the_planners_statistics(db, pg_pool):
    """After ANALYZE a skill every posting asks for has share 1, a rarer one about its share."""
    jobs = [make_job(f"Job {n}") for n in range(200)]
    with PostgresUnitOfWorkFactory(pg_pool)() as uow:
        uow.jobs.save(jobs)
        uow.commit()
    PostgresJobAnalysisRepository(pg_pool).save(
        "v1",
        [
            asking(job, "everyone", *(["tenth"] if n % 10 == 0 else []))
            for n, job in enumerate(jobs)
        ],
    )
    retriever = PostgresJobRetriever(pg_pool, SPEC)
    with pg_pool.connection() as conn:
        before = retriever.skill_shares(conn)
        conn.execute("ANALYZE job_analyses")
        cached = retriever.skill_shares(conn)
    assert before == cached  # read once a minute
    assert "tenth" not in before.shares  # statistics from before this test's ANALYZE

    fresh = PostgresJobRetriever(pg_pool, SPEC, skill_budget=100)
    with pg_pool.connection() as conn:
        shares = fresh.skill_shares(conn)
    assert shares.postings == 200
    assert shares.shares["everyone"] == pytest.approx(1.0)
    assert shares.shares["tenth"] == pytest.approx(0.1)
    assert shares.unlisted == pytest.approx(0.05)
    found = fresh.retrieve(
        text=None, vector=None, filters=JobQuery(), limit=30, skills={"tenth", "everyone"}
    )
    # 20 postings ask for "tenth", 200 for "everyone": within a budget of 100 only "tenth" is
    # looked for, and the postings asking for it alone are candidates.
    assert sum(r.skill_rank is not None for r in found) == 20


def test_statistics_rows_are_read_as_the_planner_keeps_them():
    """Listed skills and frequencies, then the least, most and empty shares; none: nothing."""
    row = (["a", "b"], [0.5, 0.25, 0.25, 0.5, 0.0], 1000.0)
    assert SkillShares.of_row(row) == SkillShares({"a": 0.5, "b": 0.25}, 1000.0, 0.125)
    assert SkillShares.of_row((None, None, 50.0)) == SkillShares({}, 50.0, 0.0)
    assert SkillShares.of_row(None) == SkillShares({}, 0.0, 0.0)
