"""Hybrid retrieval: dense (Chroma) and keyword (BM25) candidates, fused, de-duplicated, capped per
document, and widened to whole sentences of the cleaned document."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from assistant.index.stories import Stories
from assistant.retrieval.filtered import FilterTable, IndexFacts
from assistant.retrieval.fusion import convex_fusion, reciprocal_rank_fusion, select_chunks
from assistant.retrieval.stories import one_per_story
from assistant.text.question import Question
from assistant.text.sentences import widen_to_sentences
from assistant.types import Chunk, Filters, Passage, ScoredChunk

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.index.store import IndexStore
    from assistant.settings import Settings

DOCUMENT_CACHE_SIZE = 512  # cleaned documents kept in memory to widen passages
Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")


@dataclass(frozen=True, slots=True)
class _Fused:
    hits: list[ScoredChunk]  # best first
    scores: dict[str, float]  # by chunk id
    dense_ranks: dict[str, int]
    keyword_ranks: dict[str, int]


class Retriever:
    """Finds the passages that best match a question."""

    def __init__(self, store: IndexStore, embeddings: Embeddings, settings: Settings) -> None:
        self._store = store
        self._embeddings = embeddings
        self._settings = settings
        # Bounded and thread-safe; keyed by document version, so nothing stale is ever served.
        self.document_text = functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(self._read_document)
        self._sentence_table = functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(self._read_sentences)
        self._table: FilterTable | None = None
        self._facts: tuple[str, IndexFacts] | None = None
        self._stories: tuple[str, Stories] | None = None
        self._table_lock = threading.Lock()

    @property
    def store(self) -> IndexStore:
        return self._store

    def search(
        self,
        query: Question | str,
        *,
        k: int | None = None,
        mode: Mode | None = None,
        embedding: Sequence[float] | None = None,
        filters: Filters | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages for an analysed question (its query) or a plain query text;
        ``embedding`` is the query's vector when the caller has it; only chunks ``filters`` admits."""
        settings = self._settings
        k = k or settings.top_k
        fused = self._fused(query, mode, max(settings.candidate_k, k), embedding, filters)
        chunks = one_per_story([hit.chunk for hit in fused.hits], self.stories())
        selected = select_chunks(chunks, k, settings.max_chunks_per_document)
        return [
            self._passage(
                chunk,
                fused.scores[chunk.id],
                fused.dense_ranks.get(chunk.id),
                fused.keyword_ranks.get(chunk.id),
            )
            for chunk in selected
        ]

    def rank_documents(
        self,
        query: Question | str,
        *,
        k: int = 100,
        mode: Mode | None = None,
        candidates: int | None = None,
        embedding: Sequence[float] | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` best documents (source, score): each scored by its best chunk in the fused ranking.
        For document-level evaluation (BEIR); ``candidates`` chunks are taken from each retriever."""
        fused = self._fused(query, mode, candidates or max(self._settings.candidate_k, 3 * k), embedding)
        best: dict[str, float] = {}
        for hit in fused.hits:
            if hit.chunk.source not in best:
                best[hit.chunk.source] = hit.score
                if len(best) == k:
                    break
        return list(best.items())

    def _fused(
        self,
        query: Question | str,
        mode: Mode | None,
        candidates: int,
        embedding: Sequence[float] | None,
        filters: Filters | None = None,
    ) -> _Fused:
        """Dense and/or keyword candidates of live chunks (those ``filters`` admits), fused."""
        settings = self._settings
        text, tokens = (query.query, query.query_tokens) if isinstance(query, Question) else (query, None)
        self._store.sync()
        mode = mode or settings.retrieval_mode
        table = self.filter_table() if filters is not None and filters.active else None
        rankings: list[list[tuple[str, float]]] = []
        weights: list[float] = []
        chunks: dict[str, Chunk] = {}
        dense_ranks: dict[str, int] = {}
        keyword_ranks: dict[str, int] = {}
        if mode in ("hybrid", "dense"):
            vector = embedding if embedding is not None else self._embeddings.embed_query(text)
            found = (
                table.dense_search(vector, candidates, filters)  # type: ignore[arg-type]
                if table is not None
                else self._store.dense_search(vector, candidates)
            )
            chunks.update((hit.chunk.id, hit.chunk) for hit in found)
            rankings.append([(hit.chunk.id, hit.score) for hit in found])
            weights.append(settings.dense_weight)
            dense_ranks = {hit.chunk.id: rank for rank, hit in enumerate(found, start=1)}
        if mode in ("hybrid", "keyword"):
            live = self._store.live_versions()
            mask = table.keyword_mask(filters) if table is not None else None  # type: ignore[arg-type]
            hits = self._store.keyword_index().search(text, candidates, tokens=tokens, mask=mask)
            missing = [chunk_id for chunk_id, _ in hits if chunk_id not in chunks]
            chunks.update(
                (c.id, c) for c in self._store.get_chunks(missing) if live.get(c.source) == c.doc_version
            )
            ranking = [(chunk_id, score) for chunk_id, score in hits if chunk_id in chunks]
            rankings.append(ranking)
            weights.append(settings.keyword_weight)
            keyword_ranks = {chunk_id: rank for rank, (chunk_id, _) in enumerate(ranking, start=1)}
        if settings.fusion == "convex":
            fused = convex_fusion(rankings, weights)
        else:
            fused = reciprocal_rank_fusion([[i for i, _ in r] for r in rankings], weights, settings.rrf_k)
        return _Fused(
            [ScoredChunk(chunks[i], score) for i, score in fused], dict(fused), dense_ranks, keyword_ranks
        )

    def filter_table(self) -> FilterTable:
        """The live chunks as filters see them, read once per index state."""
        keywords = self._store.keyword_index()
        with self._table_lock:
            table = self._table
            if table is None or table.state != keywords.state:
                rows = self._store.iter_live_chunks(include_embeddings=True)
                stated = {source: record.dates for source, record in self._store.documents().items()}
                table = self._table = FilterTable(keywords.state, rows, keywords.ids, stated)
        return table

    def facts(self) -> IndexFacts:
        """The outlets and the newest publication day of the indexed documents, from their records (read
        once per index state; no vectors needed)."""
        state = self._store.keyword_index().state
        with self._table_lock:
            if self._facts is None or self._facts[0] != state:
                self._facts = (state, IndexFacts.of(self._store.documents().values()))
            return self._facts[1]

    def stories(self) -> Stories:
        """Which documents tell one story (read once per index state)."""
        state = self._store.keyword_index().state
        with self._table_lock:
            if self._stories is None or self._stories[0] != state:
                self._stories = (state, self._store.stories())
            return self._stories[1]

    def outlets(self) -> tuple[str, ...]:
        return self.facts().outlets

    def filtered_documents(self, filters: Filters) -> int:
        """How many indexed documents ``filters`` admits."""
        return self.filter_table().documents(filters)

    def _read_document(self, source: str, version: str) -> str:
        """The cleaned text of a document (``document_text``, cached per version)."""
        return self._store.document_text(source) or ""

    def sentence_vectors(self, passages: Sequence[Passage]) -> dict[str, Any]:
        """The vectors ingest stored for the candidate sentences of the passages' documents, by sentence
        text (none for a document whose index holds none)."""
        found: dict[str, Any] = {}
        for source, version in dict.fromkeys((p.chunk.source, p.chunk.doc_version) for p in passages):
            found.update(self._sentence_table(source, version))
        return found

    def _read_sentences(self, source: str, version: str) -> dict[str, Any]:
        stored = self._store.sentence_vectors(source, version)
        return stored.by_text(self.document_text(source, version)) if stored is not None else {}

    def _passage(
        self, chunk: Chunk, score: float, dense_rank: int | None, keyword_rank: int | None
    ) -> Passage:
        document = self.document_text(chunk.source, chunk.doc_version)
        if document[chunk.start : chunk.end] != chunk.text:  # the document changed under us: use the chunk
            return Passage(chunk, chunk.text, chunk.start, chunk.end, score, dense_rank, keyword_rank)
        start, end = widen_to_sentences(document, chunk.start, chunk.end, self._settings.context_sentences)
        return Passage(chunk, document[start:end], start, end, score, dense_rank, keyword_rank)
