"""One story, one passage: when copies or re-edits of one report are retrieved, the same paragraph is
kept once, from the best-ranked copy, so that the top k hold k different pieces of information."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.index.stories import Stories
from assistant.types import Chunk

SAME_CONTENT = 0.5  # 3-word shingle overlap above which two chunks of one story say the same thing
_WORD = re.compile(r"\w+")


def one_per_story(chunks: Sequence[Chunk], stories: Stories) -> list[Chunk]:
    """The chunks, best first, without those that repeat a better-ranked chunk of another document of
    the same story. A re-edit's new paragraphs stay: only repeated content goes."""
    kept: list[Chunk] = []
    shingles: dict[str, frozenset[str]] = {}  # chunk id -> its shingles, for chunks of shared stories

    def of(chunk: Chunk) -> frozenset[str]:
        if chunk.id not in shingles:
            shingles[chunk.id] = _shingles(chunk.text)
        return shingles[chunk.id]

    for chunk in chunks:
        story = stories.of_source(chunk.source)
        repeats = stories.others(chunk.source) and any(
            other.source != chunk.source
            and stories.of_source(other.source) == story
            and _overlap(of(chunk), of(other)) >= SAME_CONTENT
            for other in kept
        )
        if not repeats:
            kept.append(chunk)
    return kept


def _shingles(text: str) -> frozenset[str]:
    words = _WORD.findall(text.lower())
    return frozenset(" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2)))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))
