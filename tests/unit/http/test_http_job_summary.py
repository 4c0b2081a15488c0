"""Lists show a job's summary; the job's own page shows its full description."""

from __future__ import annotations


def test_list_items_carry_a_summary_and_no_full_description(client, jobs):
    """GET /api/v1/jobs/ returns each job's summary but not its full description."""
    items = client.get("/api/v1/jobs/").json()["data"]
    assert items
    for item in items:
        assert "description" not in item
        assert item["summary"]


def test_the_job_detail_carries_the_full_description_and_the_summary(client, jobs):
    """GET /api/v1/jobs/{id}/ returns the full description alongside the summary."""
    job = jobs["python_london"]
    data = client.get(f"/api/v1/jobs/{job.id}/").json()["data"]
    assert data["description"] == job.description
    assert data["summary"] == job.summary()
