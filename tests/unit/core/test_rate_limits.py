"""Rates and the GCRA step: bursts up to the limit, then one request per interval."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.errors import InvalidInput
from jobraker_core.rate_limits import Rate, RateDecision, gcra_step, tightest


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/minute", Rate(10, 60)),
        ("600/MINUTE", Rate(600, 60)),
        ("5/hour", Rate(5, 3600)),
        ("1/second", Rate(1, 1)),
        ("2/day", Rate(2, 86_400)),
        ("100/3600s", Rate(100, 3600)),
        (" 3/90s ", Rate(3, 90)),
    ],
)
def test_rates_parse_from_settings_text(text, rate):
    """'N/unit' and 'N/Ss' both read as a rate."""
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "ten/minute", "10", "10/fortnight", "0/minute", "5/0s"])
def test_malformed_rates_are_refused(text):
    """Anything that is not a positive count per a known unit is InvalidInput."""
    with pytest.raises((InvalidInput, ValueError)):
        Rate.parse(text)


def test_a_rate_names_its_policy():
    """The RateLimit-Policy value is 'limit;w=window'."""
    assert Rate(10, 60).policy == "10;w=60"


def burst(rate: Rate, count: int, now: float = 1000.0) -> list[RateDecision]:
    """``count`` requests at the same instant on a fresh bucket."""
    tat: float | None = None
    decisions = []
    for _ in range(count):
        decision, tat = gcra_step(tat, now, rate)
        decisions.append(decision)
    return decisions


def test_a_burst_gets_exactly_the_limit():
    """From a fresh bucket, the first `limit` requests pass and count down; the next is refused."""
    decisions = burst(Rate(5, 60), 7)
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0, 0]


def test_a_refusal_says_how_long_to_wait_and_that_wait_is_enough():
    """A refused request may retry after `retry_after`, and not before."""
    rate = Rate(3, 60)
    tat = None
    for _ in range(3):
        _, tat = gcra_step(tat, 0.0, rate)
    refused, same_tat = gcra_step(tat, 0.0, rate)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(20.0)
    assert same_tat == tat
    assert not gcra_step(tat, refused.retry_after - 0.5, rate)[0].allowed
    assert gcra_step(tat, refused.retry_after, rate)[0].allowed


def test_the_bucket_refills_one_request_per_interval():
    """After a full burst, one more request passes every window/limit seconds."""
    rate = Rate(4, 60)  # interval 15 s
    tat = None
    for _ in range(4):
        _, tat = gcra_step(tat, 0.0, rate)
    decision, tat = gcra_step(tat, 15.0, rate)
    assert decision.allowed
    assert decision.remaining == 0
    assert not gcra_step(tat, 15.0, rate)[0].allowed


def test_a_quiet_bucket_is_full_again_after_reset_after():
    """reset_after is when the bucket holds the whole limit again."""
    rate = Rate(4, 60)
    decision, tat = gcra_step(None, 0.0, rate)
    assert decision.reset_after == pytest.approx(15.0)
    again, _ = gcra_step(tat, decision.reset_after, rate)
    assert again.remaining == rate.limit - 1


@given(
    limit=st.integers(min_value=1, max_value=20),
    window=st.integers(min_value=1, max_value=120),
    gaps=st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=80),
)
def test_never_more_than_the_burst_plus_the_refill(limit, window, gaps):
    """Over any run of requests, what passed by time t is at most limit + t / interval."""
    rate = Rate(limit, window)
    tat = None
    now = 0.0
    allowed = 0
    for gap in gaps:
        now += gap
        decision, tat = gcra_step(tat, now, rate)
        allowed += decision.allowed
        assert allowed <= limit + math.floor(now / rate.interval + 1e-6)
        assert 0 <= decision.remaining <= limit - 1 or not decision.allowed
        assert decision.retry_after >= 0


def test_the_tightest_decision_is_the_refusal_with_the_longest_wait():
    """Of several buckets, a refusal wins over passes, the longest wait over shorter ones."""
    ok = RateDecision(allowed=True, rate=Rate(10, 60), remaining=3, reset_after=5)
    low = RateDecision(allowed=True, rate=Rate(10, 60), remaining=1, reset_after=5)
    short = RateDecision(allowed=False, rate=Rate(5, 60), remaining=0, reset_after=9, retry_after=2)
    long_ = RateDecision(allowed=False, rate=Rate(5, 60), remaining=0, reset_after=9, retry_after=7)
    assert tightest([ok, low]) is low
    assert tightest([ok, short, long_]) is long_
