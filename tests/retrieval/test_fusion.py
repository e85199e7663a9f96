"""Fusion and de-duplication: pure functions, hand-made rankings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.retrieval.fusion import convex_fusion, near_duplicate, reciprocal_rank_fusion, shingles


def test_rrf_adds_weighted_reciprocal_ranks() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b", "c"]], [1.0, 2.0], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 2 / 61)
    assert list(dict(reciprocal_rank_fusion([["a", "b"], ["b", "c"]], [1.0, 2.0], k=60))) == ["b", "c", "a"]


def test_convex_fusion_keeps_score_gaps_and_floors_missing_items() -> None:
    dense = [("a", 0.8), ("b", 0.4)]
    keyword = [("b", 10.0), ("c", 5.0)]
    fused = dict(convex_fusion([dense, keyword], [1.5, 1.0]))
    # a: dense 1.0, keyword missing -> keyword's lowest (0.5); b: 0.5 and 1.0; c: dense floor 0.5 and 0.5
    assert fused["a"] == pytest.approx((1.5 * 1.0 + 0.5) / 2.5)
    assert fused["b"] == pytest.approx((1.5 * 0.5 + 1.0) / 2.5)
    assert fused["c"] == pytest.approx((1.5 * 0.5 + 0.5) / 2.5)
    assert list(fused) == ["a", "b", "c"]


def test_convex_fusion_of_one_list_keeps_its_order_and_handles_empty_lists() -> None:
    assert [item for item, _ in convex_fusion([[("x", 3.0), ("y", 1.0)], []], [1.0, 1.0])] == ["x", "y"]
    assert convex_fusion([[], []], [1.0, 1.0]) == []


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.floats(0.01, 100)), max_size=8, unique_by=lambda t: t[0]
    ),
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.floats(0.01, 100)), max_size=8, unique_by=lambda t: t[0]
    ),
)
def test_convex_fusion_scores_every_item_once_within_zero_and_one(
    first: list[tuple[str, float]], second: list[tuple[str, float]]
) -> None:
    fused = convex_fusion([first, second], [1.5, 1.0])
    assert sorted(item for item, _ in fused) == sorted({item for item, _ in first + second})
    assert all(0 < score <= 1 + 1e-9 for _, score in fused)
    assert [score for _, score in fused] == sorted((score for _, score in fused), reverse=True)


def test_near_duplicates_share_most_shingles() -> None:
    a = shingles("The truce lasts thirty days and starts on Monday morning")
    b = shingles("the truce lasts thirty days and starts on Monday")
    assert near_duplicate(a, b) and not near_duplicate(a, shingles("Markets fell sharply in Asia today"))


def test_an_empty_keyword_index_finds_nothing_instead_of_failing() -> None:
    from assistant.index.bm25 import KeywordIndex

    assert KeywordIndex.build([], [], state="empty").search("minerals deal", k=5) == []
