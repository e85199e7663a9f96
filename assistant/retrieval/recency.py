"""'The latest on …': newer reports first, among the ones that are about as relevant as the best. Recency
reorders; it never lets a less relevant passage in."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.types import Passage

# Passages (fused score, 0..1) and sentences scoring at least this share of the best one count as
# relevant enough for "the latest" to put the newest of them first.
NEAR_BEST = 0.6


def newest_first(passages: Sequence[Passage], near_best: float = NEAR_BEST) -> list[Passage]:
    """The passages close to the best one, newest publication first (undated ones after the dated, in
    their order), then the others as they were."""
    if not passages:
        return []
    best = passages[0].score
    close = [p for p in passages if p.score >= near_best * best]
    rest = [p for p in passages if p.score < near_best * best]
    close.sort(key=lambda p: p.published or "", reverse=True)  # stable: ties keep relevance order
    return close + rest
