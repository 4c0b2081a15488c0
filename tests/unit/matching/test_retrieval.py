"""Reciprocal-rank fusion and the pure helpers of hybrid retrieval."""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.matching.retrieval import (
    MAX_PROFILE_SKILLS,
    MAX_RETRIEVAL_LIMIT,
    RRF_K,
    RetrievedJob,
    SkillQuery,
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


# ----------------------------------------------------------------------------- skill query

SHARES = {"excel": 0.30, "python": 0.10, "kubernetes": 0.02, "terraform": 0.01}


def test_the_rarest_skills_are_looked_for_within_the_budget():
    """Rarest first, while the postings asking for them stay within the budget."""
    query = SkillQuery.of(SHARES, SHARES, postings=100_000, unlisted=0.0, budget=5000)
    assert query is not None
    # terraform 1,000 postings + kubernetes 2,000 = 3,000; python would make 13,000.
    assert query.rarest == ("terraform", "kubernetes")
    assert [skill for skill, _ in query.weights] == ["terraform", "kubernetes", "python", "excel"]


def test_the_rarest_skill_is_looked_for_even_past_the_budget():
    """A person with only common skills still gets their rarest one looked for."""
    query = SkillQuery.of({"excel", "python"}, SHARES, postings=100_000, unlisted=0.0, budget=10)
    assert query is not None
    assert query.rarest == ("python",)


def test_weights_are_inverse_document_frequencies():
    """A skill weighs log(1 + 1 / share); an unlisted skill takes the unlisted share."""
    query = SkillQuery.of({"python", "haskell"}, SHARES, postings=1000, unlisted=0.004)
    assert query is not None
    assert dict(query.weights) == {
        "haskell": pytest.approx(math.log1p(1 / 0.004)),
        "python": pytest.approx(math.log1p(1 / 0.10)),
    }
    assert query.rarest[0] == "haskell"


def test_a_share_is_never_below_one_posting():
    """Without statistics (share 0) a skill counts as asked for by one posting of all."""
    query = SkillQuery.of({"haskell"}, {}, postings=0, unlisted=0.0)
    assert query is not None
    assert dict(query.weights) == {"haskell": pytest.approx(math.log(2))}


def test_no_skills_make_no_query():
    """A person without canonical skills has no skill list."""
    assert SkillQuery.of(set(), SHARES, postings=10, unlisted=0.0) is None


def test_at_most_so_many_skills_are_weighed():
    """Beyond ``MAX_PROFILE_SKILLS`` (rarest first) skills are ignored."""
    skills = {f"skill-{n:03d}": (n + 1) / 1000 for n in range(MAX_PROFILE_SKILLS + 5)}
    query = SkillQuery.of(skills, skills, postings=1000, unlisted=0.0)
    assert query is not None
    assert len(query.weights) == MAX_PROFILE_SKILLS
    assert query.weights[-1][0] == f"skill-{MAX_PROFILE_SKILLS - 1:03d}"


def test_a_posting_weighs_its_shared_skills_over_the_root_of_what_it_asks():
    """Shared weights summed, divided by the square root of the skills it asks for."""
    query = SkillQuery.of({"python", "kubernetes"}, SHARES, postings=1000, unlisted=0.0)
    assert query is not None
    weights = dict(query.weights)
    asked = {"python", "kubernetes", "excel", "go"}
    assert query.weigh(asked) == pytest.approx((weights["python"] + weights["kubernetes"]) / 2)
    assert query.weigh(set()) == 0.0
    assert query.weigh({"excel"}) == 0.0


def test_the_ranking_holds_jobs_asking_for_a_rarest_skill_heaviest_first():
    """Jobs asking for none of ``rarest`` are left out; ties go to the smaller id."""
    query = SkillQuery.of(
        {"python", "kubernetes"}, SHARES, postings=100_000, unlisted=0.0, budget=1000
    )
    assert query is not None
    assert query.rarest == ("kubernetes",)
    asked = {
        IDS[0]: {"python"},  # shares a skill, but not a rarest one
        IDS[1]: {"kubernetes", "excel"},
        IDS[2]: {"kubernetes", "python"},
        IDS[3]: {"kubernetes", "excel"},
    }
    assert query.ranking(asked) == [IDS[2], IDS[1], IDS[3]]


def test_fusion_counts_the_skill_list():
    """A job in the text and skill lists scores both ranks and reports its skill rank."""
    found = fuse([IDS[0]], [], limit=3, skill_ranking=[IDS[1], IDS[0]])
    assert found[0] == RetrievedJob(IDS[0], 1, None, None, pytest.approx(1 / 61 + 1 / 62), 2)
    assert found[1].skill_rank == 1
    assert found[1].text_rank is None
