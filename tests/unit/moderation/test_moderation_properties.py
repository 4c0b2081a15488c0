"""Properties of the moderation building blocks: SimHash distance and the policy's ordering."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.moderation.model import Action
from jobraker_core.moderation.rules import distance, simhash
from jobraker_core.moderation.use_cases import apply_policy

words = st.lists(st.sampled_from(["python", "sql", "team", "pay", "remote", "data", "we"]))


@given(words, words)
def test_distance_is_a_symmetric_64_bit_measure(a, b):
    """Distance is symmetric, zero on equal texts, and at most 64."""
    left, right = simhash(" ".join(a)), simhash(" ".join(b))
    assert distance(left, right) == distance(right, left)
    assert distance(left, left) == 0
    assert 0 <= distance(left, right) <= 64
    assert 0 <= left < 2**64


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_policy_drops_hidden_and_keeps_order_within_each_group(actions):
    """Hidden items go, shown ones keep their order first, demoted ones keep theirs after."""
    ids = [uuid.uuid4() for _ in actions]
    standing = {i: a for i, a in zip(ids, actions, strict=True) if a is not Action.NONE}
    result = apply_policy(ids, standing, key=lambda i: i)
    shown = [i for i, a in zip(ids, actions, strict=True) if a is Action.NONE]
    demoted = [i for i, a in zip(ids, actions, strict=True) if a is Action.DEMOTE]
    assert result == shown + demoted
