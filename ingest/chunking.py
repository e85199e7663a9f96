"""Sentence-aware, token-sized chunking with exact character offsets (pure functions)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.text.sentences import split_sentences, trimmed
from assistant.types import Chunk

TokenCounter = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    tokens: int
    is_heading: bool = False


def chunk_spans(
    text: str, count_tokens: TokenCounter, max_tokens: int, overlap_tokens: int
) -> list[tuple[int, int]]:
    """Pack whole sentences into chunks of at most ``max_tokens``; sentences longer than that are cut.

    Up to ``overlap_tokens`` of trailing whole sentences are repeated at the start of the next chunk, and a
    heading never ends a chunk (it moves to the next one, where its section starts)."""
    pieces = list(_pieces(text, count_tokens, max_tokens))
    chunks: list[tuple[int, int]] = []
    current: list[_Piece] = []
    current_tokens = 0
    for piece in pieces:
        if current and current_tokens + piece.tokens > max_tokens:
            carried = [current.pop()] if len(current) > 1 and current[-1].is_heading else []
            chunks.append((current[0].start, current[-1].end))
            if not carried:
                carried = _overlap(current, overlap_tokens, max_tokens - piece.tokens)
            current, current_tokens = carried, sum(p.tokens for p in carried)
        current.append(piece)
        current_tokens += piece.tokens
    if current:
        chunks.append((current[0].start, current[-1].end))
    return chunks


def _overlap(previous: list[_Piece], overlap_tokens: int, room: int) -> list[_Piece]:
    carried: list[_Piece] = []
    budget = min(overlap_tokens, room)
    for piece in reversed(previous[1:]):  # never carry a whole chunk over
        if piece.tokens > budget:
            break
        carried.insert(0, piece)
        budget -= piece.tokens
    return carried


def _pieces(text: str, count_tokens: TokenCounter, max_tokens: int) -> Iterator[_Piece]:
    for start, end in split_sentences(text):
        sentence = text[start:end]
        tokens = count_tokens(sentence)
        if tokens <= max_tokens:
            yield _Piece(start, end, tokens, is_heading=_looks_like_heading(text, start, end))
        else:
            yield from _cut_long(text, start, end, count_tokens, max_tokens)


def _looks_like_heading(text: str, start: int, end: int) -> bool:
    whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    return whole_line and text[end - 1] not in ".!?…:;,\"'”’" and len(text[start:end].split()) <= 15


def _cut_long(
    text: str, start: int, end: int, count_tokens: TokenCounter, max_tokens: int
) -> Iterator[_Piece]:
    """Cut an over-long sentence into windows of at most ``max_tokens``, preferring white space.

    Windows are sized by estimate and corrected by counting, so a 10 MB line costs a few passes over it
    rather than one huge (quadratic) BPE call."""
    position = start
    chars_per_token = 4.0
    while position < end:
        length = min(end - position, max(1, int(max_tokens * chars_per_token)))
        tokens = count_tokens(text[position : position + length])
        while tokens > max_tokens and length > 1:
            length = max(1, int(length * max_tokens / tokens * 0.95))
            tokens = count_tokens(text[position : position + length])
        if position + length < end:
            space = text.rfind(" ", position + length // 2, position + length)
            if space > position:
                length = space - position
                tokens = count_tokens(text[position : position + length])
        chars_per_token = max(1.0, length / max(tokens, 1))
        piece_start, piece_end = trimmed(text, position, position + length)
        if piece_start < piece_end:
            yield _Piece(piece_start, piece_end, tokens)
        position += length


def chunk_id(source: str, doc_version: str, index: int) -> str:
    """Deterministic: the same document version always yields the same ids."""
    return hashlib.sha256(f"{source}\x00{doc_version}\x00{index}".encode()).hexdigest()[:32]


def build_chunks(
    text: str,
    *,
    source: str,
    title: str,
    doc_version: str,
    count_tokens: TokenCounter,
    max_tokens: int,
    overlap_tokens: int,
    outlet: str = "",
    published: str = "",
) -> list[Chunk]:
    return [
        Chunk(
            id=chunk_id(source, doc_version, index),
            source=source,
            title=title,
            text=text[start:end],
            start=start,
            end=end,
            index=index,
            doc_version=doc_version,
            outlet=outlet,
            published=published,
        )
        for index, (start, end) in enumerate(chunk_spans(text, count_tokens, max_tokens, overlap_tokens))
    ]
