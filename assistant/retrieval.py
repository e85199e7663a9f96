"""Hybrid retrieval: dense (Chroma) and keyword (BM25) candidates, fused, de-duplicated, capped per
document, and widened to whole sentences of the cleaned document."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from assistant.sentences import widen_to_sentences
from assistant.types import Chunk, Passage

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.settings import Settings
    from assistant.store import IndexStore

DOCUMENT_CACHE_SIZE = 512  # cleaned documents kept in memory to widen passages
Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
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


class Retriever:
    """Finds the passages that best match a question."""

    def __init__(self, store: IndexStore, embeddings: Embeddings, settings: Settings) -> None:
        self._store = store
        self._embeddings = embeddings
        self._settings = settings
        self._documents: OrderedDict[tuple[str, str], str] = OrderedDict()  # a bounded LRU

    @property
    def store(self) -> IndexStore:
        return self._store

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        mode: Mode | None = None,
        embedding: Sequence[float] | None = None,
    ) -> list[Passage]:
        settings = self._settings
        k = k or settings.top_k
        mode = mode or settings.retrieval_mode
        candidates = max(settings.candidate_k, k)
        rankings: list[list[str]] = []
        weights: list[float] = []
        chunks: dict[str, Chunk] = {}
        dense_ranks: dict[str, int] = {}
        keyword_ranks: dict[str, int] = {}
        if mode in ("hybrid", "dense"):
            vector = embedding if embedding is not None else self._embeddings.embed_query(query)
            found = self._store.dense_search(vector, candidates)
            chunks.update((hit.chunk.id, hit.chunk) for hit in found)
            rankings.append([hit.chunk.id for hit in found])
            weights.append(settings.dense_weight)
            dense_ranks = {hit.chunk.id: rank for rank, hit in enumerate(found, start=1)}
        if mode in ("hybrid", "keyword"):
            live = self._store.live_versions()
            hits = self._store.keyword_index().search(query, candidates)
            missing = [chunk_id for chunk_id, _ in hits if chunk_id not in chunks]
            chunks.update(
                (c.id, c) for c in self._store.get_chunks(missing) if live.get(c.source) == c.doc_version
            )
            ranking = [chunk_id for chunk_id, _ in hits if chunk_id in chunks]
            rankings.append(ranking)
            weights.append(settings.keyword_weight)
            keyword_ranks = {chunk_id: rank for rank, chunk_id in enumerate(ranking, start=1)}
        fused = reciprocal_rank_fusion(rankings, weights, settings.rrf_k)
        scores = dict(fused)
        selected = select_chunks([chunks[i] for i, _ in fused], k, settings.max_chunks_per_document)
        return [
            self._passage(chunk, scores[chunk.id], dense_ranks.get(chunk.id), keyword_ranks.get(chunk.id))
            for chunk in selected
        ]

    def document_text(self, source: str, version: str) -> str:
        key = (source, version)
        if key in self._documents:
            self._documents.move_to_end(key)
        else:
            self._documents[key] = self._store.document_text(source) or ""
            if len(self._documents) > DOCUMENT_CACHE_SIZE:
                self._documents.popitem(last=False)
        return self._documents[key]

    def _passage(
        self, chunk: Chunk, score: float, dense_rank: int | None, keyword_rank: int | None
    ) -> Passage:
        document = self.document_text(chunk.source, chunk.doc_version)
        if document[chunk.start : chunk.end] != chunk.text:  # the document changed under us: use the chunk
            return Passage(chunk, chunk.text, chunk.start, chunk.end, score, dense_rank, keyword_rank)
        start, end = widen_to_sentences(document, chunk.start, chunk.end, self._settings.context_sentences)
        return Passage(chunk, document[start:end], start, end, score, dense_rank, keyword_rank)
