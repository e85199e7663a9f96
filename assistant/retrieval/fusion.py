"""How hybrid retrieval merges its two rankings, and how the merged list is thinned to the passages read:
score fusion (convex or reciprocal rank), near-duplicate text, and a cap per document. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.types import Chunk

_WORDS = re.compile(r"\w+")


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int
) -> list[tuple[str, float]]:
    """Weighted RRF: each list adds ``weight / (k + rank)`` for its items (rank from 1); best first."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def convex_fusion(
    results: Sequence[Sequence[tuple[str, float]]], weights: Sequence[float]
) -> list[tuple[str, float]]:
    """Weighted mean of scores, each list divided by its best score; an item a list did not return counts
    as that list's lowest score. Keeps how far apart the scores are, which rank fusion throws away."""
    total = sum(weights) or 1.0
    normalized: list[tuple[dict[str, float], float, float]] = []
    for result, weight in zip(results, weights, strict=True):
        if not result:
            continue
        best = max(score for _, score in result) or 1.0
        scores = {item: score / best for item, score in result}
        normalized.append((scores, min(scores.values()), weight))
    items = {item for scores, _, _ in normalized for item in scores}
    fused = {
        item: sum(weight * scores.get(item, floor) for scores, floor, weight in normalized) / total
        for item in items
    }
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def shingles(text: str, size: int = 4) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def near_duplicate(a: set[tuple[str, ...]], b: set[tuple[str, ...]], threshold: float = 0.6) -> bool:
    """True when most of the smaller text's 4-word shingles also occur in the other text."""
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= threshold


def select_chunks(ranked: Sequence[Chunk], k: int, max_per_document: int) -> list[Chunk]:
    """Top ``k`` chunks without near-duplicates (overlapping spans of one document, or repeated text
    across documents) and with at most ``max_per_document`` chunks from any one document."""
    chosen: list[Chunk] = []
    chosen_shingles: list[set[tuple[str, ...]]] = []
    per_document: dict[str, int] = {}
    for chunk in ranked:
        if per_document.get(chunk.source, 0) >= max_per_document:
            continue
        grams = shingles(chunk.text)
        if any(near_duplicate(grams, other) for other in chosen_shingles):
            continue
        chosen.append(chunk)
        chosen_shingles.append(grams)
        per_document[chunk.source] = per_document.get(chunk.source, 0) + 1
        if len(chosen) == k:
            break
    return chosen
