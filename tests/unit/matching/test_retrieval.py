"""Reciprocal-rank fusion and the pure helpers of hybrid retrieval."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.matching.retrieval import (
    MAX_RETRIEVAL_LIMIT,
    RRF_K,
    RetrievedJob,
    VectorHit,
    candidate_depth,
    check_request,
    fill,
    fuse,
    job_embedding_text,
    query_terms,
    reciprocal_rank_fusion,
)

IDS = [uuid.UUID(int=n) for n in range(1, 40)]
rankings = st.lists(st.lists(st.sampled_from(IDS), unique=True, max_size=15), max_size=3)


@given(rankings)
def test_fusion_is_deterministic_and_ordered(lists):
    """The same lists give the same result, ordered by score then id."""
    first = reciprocal_rank_fusion(lists)
    assert first == reciprocal_rank_fusion([list(r) for r in lists])
    assert first == sorted(first, key=lambda item: (-item[1], item[0]))


@given(rankings)
def test_fusion_scores_are_sums_of_reciprocal_ranks(lists):
    """Each id scores the sum over lists of 1 / (60 + its rank there)."""
    for job_id, score in reciprocal_rank_fusion(lists):
        expected = sum(1 / (RRF_K + r.index(job_id) + 1) for r in lists if job_id in r)
        assert score == pytest.approx(expected)


@given(rankings, st.data())
def test_a_better_rank_never_lowers_the_score(lists, data):
    """Moving an id up one place in any list never lowers its fused score."""
    lists = [r for r in lists if len(r) >= 2]
    if not lists:
        return
    which = data.draw(st.integers(0, len(lists) - 1))
    ranking = lists[which]
    position = data.draw(st.integers(1, len(ranking) - 1))
    moved = ranking[position]
    better = [*ranking]
    better[position - 1], better[position] = better[position], better[position - 1]
    before = dict(reciprocal_rank_fusion(lists))[moved]
    after = dict(reciprocal_rank_fusion([*lists[:which], better, *lists[which + 1 :]]))[moved]
    assert after >= before


@given(rankings)
def test_appearing_in_another_list_raises_the_score(lists):
    """An id found by one more list scores strictly more."""
    fused = dict(reciprocal_rank_fusion(lists))
    extra = dict(reciprocal_rank_fusion([*lists, IDS]))
    for job_id, score in fused.items():
        assert extra[job_id] > score


def test_equal_scores_go_by_id():
    """Two ids with the same ranks in mirrored lists are ordered by id."""
    a, b = IDS[5], IDS[2]
    assert [job_id for job_id, _ in reciprocal_rank_fusion([[a, b], [b, a]])] == [b, a]


def test_an_id_repeated_in_a_list_counts_once():
    """A duplicate within one list counts at its best rank only."""
    (only,) = reciprocal_rank_fusion([[IDS[0], IDS[0]]])
    assert only == (IDS[0], pytest.approx(1 / 61))


def test_k_must_be_positive():
    """A fusion constant below 1 is refused."""
    with pytest.raises(InvalidInput):
        reciprocal_rank_fusion([[IDS[0]]], k=0)


def test_fuse_reports_each_lists_rank_and_the_similarity():
    """Fused results carry the text rank, vector rank and similarity of each job."""
    text = [IDS[0], IDS[1]]
    vectors = [VectorHit(IDS[1], 0.9), VectorHit(IDS[2], 0.5)]
    found = fuse(text, vectors, limit=5)
    assert found[0] == RetrievedJob(IDS[1], 2, 1, 0.9, pytest.approx(1 / 62 + 1 / 61))
    assert {r.job_id: (r.text_rank, r.vector_rank) for r in found[1:]} == {
        IDS[0]: (1, None),
        IDS[2]: (None, 2),
    }


def test_fuse_cuts_at_the_limit_and_fills_short_lists():
    """At most ``limit`` results; fillers (not already present) top up a short list."""
    found = fuse([IDS[0]], [VectorHit(IDS[1], 0.1)], limit=4, fillers=[IDS[1], IDS[3], IDS[4]])
    assert [r.job_id for r in found] == [IDS[0], IDS[1], IDS[3], IDS[4]]
    assert found[2].fused_score == 0.0
    assert len(fuse(IDS[:10], [], limit=3)) == 3


def test_fill_skips_duplicates_and_stops_at_the_limit():
    """``fill`` appends unranked fillers once each, up to the limit."""
    assert [r.job_id for r in fill([], [IDS[0], IDS[0], IDS[1], IDS[2]], limit=2)] == IDS[:2]


def test_candidate_depth_has_a_floor():
    """Each candidate list holds at least 100 jobs, more for larger limits."""
    assert candidate_depth(10) == 100
    assert candidate_depth(500) == 500


def test_query_terms_are_folded_distinct_words():
    """Query words are folded, de-duplicated in order, and capped."""
    assert query_terms("Café  CAFE, Python!") == ("cafe", "python")
    assert query_terms(None) == ()
    assert len(query_terms(" ".join(f"w{n}" for n in range(50)))) == 32


def test_requests_are_checked():
    """A limit out of range or a vector of the wrong length is ``InvalidInput``."""
    check_request(vector=[0.0, 1.0], limit=MAX_RETRIEVAL_LIMIT, dimensions=2)
    with pytest.raises(InvalidInput):
        check_request(vector=None, limit=0, dimensions=2)
    with pytest.raises(InvalidInput):
        check_request(vector=[1.0], limit=1, dimensions=2)


def test_job_text_joins_title_company_and_description():
    """A job's embedding text is its title, company and description, one per line."""
    assert job_embedding_text("Nurse", None, "Wards.") == "Nurse\nWards."
    assert job_embedding_text("Nurse", "NHS", "Wards.") == "Nurse\nNHS\nWards."
