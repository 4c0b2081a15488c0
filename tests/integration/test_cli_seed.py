"""The first-start seeding of ``jobraker up`` on real services takes the worker's steps."""

from __future__ import annotations

import pytest

from jobraker_cli.main import seed_demo
from jobraker_core.accounts.identity import Principal, Role
from jobraker_core.market.use_cases import SalaryQuestion
from jobraker_core.moderation.model import FlagQuery
from jobraker_core.pagination import PageRequest

pytestmark = pytest.mark.integration


def test_seeding_moderates_analyses_and_embeds_the_demo_jobs(pg_container, capsys):
    """After seeding, market facts, moderation flags and vectors exist for the demo jobs."""
    run = seed_demo(pg_container)
    out = capsys.readouterr().out
    assert run is not None
    assert run.counts.new > 400
    report = pg_container.salary_insight()(SalaryQuestion(title="Software Engineer"))
    assert report.unanalysed == 0
    assert report.stats, "salary insight answers from the seeded jobs"
    admin = Principal(user_id=run.id, role=Role.ADMIN, token_id="t")
    flags = pg_container.list_flags()(admin, FlagQuery(), PageRequest(1, 100))
    assert flags.total > 0
    assert all(item.job is not None for item in flags.items)
    assert pg_container.embed_jobs()().checked == 0, "every seeded job already has its vector"
    assert f"Market: {run.counts.new} job(s) analysed" in out
    assert f"Moderation: {flags.total} job(s) flagged" in out
