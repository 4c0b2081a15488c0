"""Pagination of the job list: pages tile the result set exactly, whatever the page size."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest
from auth_helpers import bearer_headers
from http_corpus import posting, store_jobs
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from jobraker_adapters.container import build_memory_container
from jobraker_core.jobs.model import Location
from jobraker_http import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

TOTAL = 37


@pytest.fixture(scope="module")
def paged_client() -> Iterator[TestClient]:  # type: ignore[type-arg]
    """Serve 37 jobs, a third of them in Paris, to the whole module (read-only)."""
    container = build_memory_container()
    store_jobs(
        container,
        [
            posting(
                container,
                days_ago=i % 9 or None,
                title=f"Job number {i}",
                location=Location(city="Paris" if i % 3 == 0 else "Lyon"),
            )
            for i in range(TOTAL)
        ],
    )
    with TestClient(create_app(container)) as client:
        client.headers.update(bearer_headers(container))
        yield client


def all_pages(client: TestClient, query: str, per_page: int) -> list[list[str]]:  # type: ignore[type-arg]
    """Fetch every page of a listing as lists of ids, checking each page's meta."""
    pages: list[list[str]] = []
    page = 1
    while True:
        body = client.get(f"/api/v1/jobs/?{query}&page={page}&per_page={per_page}").json()
        meta = body["meta"]["pagination"]
        assert meta["page"] == page
        assert meta["per_page"] == per_page
        assert meta["total_pages"] == math.ceil(meta["total"] / per_page)
        ids = [job["id"] for job in body["data"]]
        if page > meta["total_pages"]:
            assert ids == []
            return pages
        assert len(ids) == (
            per_page if page < meta["total_pages"] else meta["total"] - per_page * (page - 1)
        )
        pages.append(ids)
        page += 1


@settings(max_examples=40, deadline=None)
@given(
    per_page=st.integers(min_value=1, max_value=45),
    query=st.sampled_from(
        ["sort=date", "location=paris&sort=date", "sort=salary", "q=number&sort=relevance"]
    ),
)
def test_pages_tile_the_result_set(paged_client, per_page, query):
    """The pages of any size, joined in order, are the whole result once, with no overlap."""
    full = paged_client.get(f"/api/v1/jobs/?{query}&per_page=100").json()
    expected = [job["id"] for job in full["data"]]
    assert len(expected) == full["meta"]["pagination"]["total"]
    pages = all_pages(paged_client, query, per_page)
    joined = [job_id for page in pages for job_id in page]
    assert joined == expected
    assert len(set(joined)) == len(joined)


def test_total_counts_every_match(paged_client):
    """``total`` counts all matches, not just the page."""
    body = paged_client.get("/api/v1/jobs/?location=paris&per_page=2").json()
    assert body["meta"]["pagination"] == {"page": 1, "per_page": 2, "total": 13, "total_pages": 7}
