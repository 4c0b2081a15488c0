"""Career insight's salary ranges carry quartiles and the count of estimated salaries."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from litestar.testing import TestClient

from fixtures.resumes.documents import SAMPLE_TEXT
from jobraker_adapters.container import build_memory_container
from jobraker_core.accounts.use_cases import CreateUser, LogIn
from jobraker_core.jobs.model import JobDraft, JobPosting, Location
from jobraker_core.jobs.salary import Salary
from jobraker_http import create_app

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TEXT = "Requirements:\n- Python and Django\n- PostgreSQL\n"


def test_career_insight_salaries_have_quartiles_and_estimates():
    """p25/p75 are the quartiles of the matches' midpoints; old fields are unchanged."""
    container = build_memory_container()
    ranges = [
        (50_000, 60_000, False),
        (60_000, 70_000, False),
        (70_000, 90_000, True),
        (40_000, 40_000, False),
    ]
    jobs = [
        JobPosting.from_draft(
            JobDraft(
                source="t",
                source_id=str(n),
                title=f"Python Developer {n}",
                description=TEXT,
                company=f"Co {n}",
                location=Location(city="London", country_code="GB"),
                salary=Salary(Decimal(lo), Decimal(hi), "GBP", estimated=est),
                posted_at=NOW,
            ),
            job_id=uuid.UUID(int=n + 1),
            seen_at=NOW,
        )
        for n, (lo, hi, est) in enumerate(ranges)
    ]
    with container.uow()() as uow:
        uow.jobs.save(jobs)
        uow.commit()
    container.embed_jobs()()
    container.create_user_account()(
        CreateUser(email="c@example.com", password="a long test passphrase")
    )
    token = container.login()(
        LogIn(email="c@example.com", password="a long test passphrase")
    ).tokens
    auth = {"Authorization": f"Bearer {token.access_token}"}
    with TestClient(create_app(container)) as client:
        assert (
            client.post(
                "/api/v1/users/resumes/", json={"text": SAMPLE_TEXT}, headers=auth
            ).status_code
            == 201
        )
        (gbp,) = client.get("/api/v1/users/career-insight/", headers=auth).json()["data"][
            "salaries"
        ]
    midpoints = sorted((lo + hi) / 2 for lo, hi, _ in ranges)
    quarters = statistics.quantiles(midpoints, n=4, method="inclusive")
    assert (gbp["currency"], gbp["jobs"], gbp["low"], gbp["high"]) == ("GBP", 4, 40_000, 90_000)
    assert gbp["median"] == statistics.median(midpoints)
    assert (gbp["p25"], gbp["p75"]) == (round(quarters[0]), round(quarters[2]))
    assert gbp["estimated_jobs"] == 1
