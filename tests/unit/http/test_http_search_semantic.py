"""``POST /api/v1/jobs/search/``: search by meaning over the in-memory fakes."""

from __future__ import annotations

import pytest

from jobraker_core.matching.use_cases_index import EmbedPendingJobs

URL = "/api/v1/jobs/search/"


@pytest.fixture
def embedded(container, jobs):
    """Store the corpus and embed every job with the container's (local) embedder."""
    container.embed_jobs()(EmbedPendingJobs())
    return jobs


def test_finds_jobs_by_meaning_with_their_ranks(client, embedded):
    """A search returns the filtered jobs best first, each with its retrieval ranks."""
    response = client.post(URL, json={"q": "python developer", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["meta"] == {"count": 3}
    top = body["data"][0]
    assert top["job"]["id"] == str(embedded["python_london"].id)
    assert top["retrieval"]["text_rank"] == 1
    assert top["retrieval"]["vector_rank"] == 1
    assert 0 < top["retrieval"]["vector_similarity"] <= 1
    assert top["retrieval"]["fused_score"] == pytest.approx(2 / 61)
    scores = [hit["retrieval"]["fused_score"] for hit in body["data"]]
    assert scores == sorted(scores, reverse=True)


def test_filters_apply_as_on_the_job_list(client, embedded):
    """The body's filters mean what the job list's query parameters mean."""
    response = client.post(
        URL, json={"q": "python", "country": "gb", "remote": "true", "limit": 10}
    )
    assert response.status_code == 200
    assert [hit["job"]["id"] for hit in response.json()["data"]] == [
        str(embedded["python_remote_gb"].id)
    ]


def test_salary_filters_need_a_currency(client, embedded):
    """A salary bound without a currency is refused (422: the body is unusable)."""
    response = client.post(URL, json={"q": "python", "salary_min": 50000})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "currency"


@pytest.mark.parametrize(
    "body",
    [
        {"q": "   "},
        {"q": ""},
        {"q": "python", "limit": 0},
        {"q": "python", "limit": 101},
        {"q": "python", "surprise": 1},
        {"limit": 3},
    ],
)
def test_bad_bodies_are_refused(client, embedded, body):
    """Blank text, a limit out of 1..100, unknown or missing fields answer 422."""
    assert client.post(URL, json=body).status_code == 422


def test_needs_a_signed_in_user(anonymous_client, embedded):
    """Without a token the search answers 401."""
    assert anonymous_client.post(URL, json={"q": "python"}).status_code == 401


def test_jobs_without_vectors_still_appear(client, jobs):
    """Before embedding, text matches still rank and other filtered jobs fill the list."""
    response = client.post(URL, json={"q": "nurse", "limit": 6})
    hits = response.json()["data"]
    assert len(hits) == 6
    assert hits[0]["job"]["id"] == str(jobs["nurse_leeds"].id)
    assert hits[0]["retrieval"]["vector_rank"] is None
    assert hits[1]["retrieval"] == {
        "text_rank": None,
        "vector_rank": None,
        "vector_similarity": None,
        "fused_score": 0.0,
    }
