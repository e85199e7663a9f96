"""The index: Chroma behind one small seam, plus the keyword side derived from it.

Two Chroma collections make up an index:
- ``<name>`` holds the chunks (text, embedding, source, offsets, ``doc_version``);
- ``<name>-documents`` holds the documents: one record per document (metadata and cleaned text) naming
  the live ``doc_version``, plus "pending" records written before a document's chunks change.
Beside them, in the index folder: the keyword index and the answerer's sentence vectors (one file per
document version, see assistant.index.sentences), both derived data.

A document version becomes visible only when its document record is written, a single-record write that
happens after all of its chunks are stored. Readers only see chunks whose ``doc_version`` is the live one,
so a crash at any moment leaves either the old or the new version of each document, never a mix; the
next ingest removes what a crash left behind, guided by the pending records."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from assistant.errors import AssistantError, IndexMismatchError, IndexUnavailableError
from assistant.index.bm25 import KeywordIndex, fingerprint
from assistant.index.sentences import SentenceStore
from assistant.index.stories import Stories, StoryStore
from assistant.settings import Settings
from assistant.types import Chunk, DocumentRecord, ScoredChunk, SentenceVectors

log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA_VERSION = 1
_PAGE = 5000
_DOC = "document"
_PENDING = "pending"
_GENERATION = "meta:generation"  # changes with every commit, so readers in other processes notice
_TUPLE_FIELDS = ("urls", "outlets", "dates")


def _reads(method: Callable[..., T]) -> Callable[..., T]:
    """A failed read of the index (a Chroma server gone, a broken file) becomes one clear error, so the
    chat says what is wrong and works again once the index is back."""

    @functools.wraps(method)
    def wrapper(self: IndexStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except AssistantError:
            raise
        except Exception as exc:
            log.warning("index read failed: %s: %s", type(exc).__name__, exc)
            raise IndexUnavailableError(
                f"The index at {self._settings.index_location} cannot be read right now "
                f"({type(exc).__name__}). Try again in a moment; if it persists, check the index."
            ) from None

    return wrapper


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _record_vector(key: str) -> list[float]:
    # Chroma stores a vector with every record; document records get a tiny distinct one (identical
    # vectors make HNSW inserts degenerate).
    digest = hashlib.sha256(key.encode()).digest()
    return [digest[0] / 255 + 0.001, digest[1] / 255 + 0.001]


class IndexStore:
    """Reads and writes one index. Writers must hold the ingest lock (see ingest.pipeline)."""

    def __init__(self, client: Any, settings: Settings, chunks: Any, records: Any) -> None:
        self._client = client
        self._settings = settings
        self._chunks = chunks
        self._records = records
        self._live: dict[str, str] | None = None
        self._keyword: KeywordIndex | None = None
        self._generation: str | None = None
        self._sentences = SentenceStore(settings.index_dir / f"sentences-{settings.collection}")
        self.story_file = StoryStore(settings.index_dir / f"stories-{settings.collection}.npz")

    # --- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, *, model: str, dimension: int | None, create: bool) -> IndexStore:
        """Open (or with ``create``, create) the index, checking it was built with ``model`` and vectors
        interchangeable with those the configured runtime makes."""
        from assistant.providers import configured_variant, make_chroma_client

        if not create and not settings.chroma_url and not (settings.index_dir / "chroma").is_dir():
            raise IndexUnavailableError(
                f"No index at {settings.index_dir}. Build it first: python -m ingest [PATH ...]"
            )
        client = make_chroma_client(settings)
        try:
            names = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
        except Exception as exc:
            raise IndexUnavailableError(f"Cannot read the index: {type(exc).__name__}: {exc}") from None
        records_name = f"{settings.collection}-documents"
        if not create and not {settings.collection, records_name} <= names:
            # Readers never create anything; an ingest killed before its first commit leaves this state.
            raise IndexUnavailableError(
                f"The index at {settings.index_location} is empty or incomplete. "
                "Build it first: python -m ingest [PATH ...]"
            )
        if settings.collection in names:
            chunks = client.get_collection(settings.collection, embedding_function=None)
            _check_model(chunks.metadata or {}, model, dimension, configured_variant(settings), settings)
        else:
            if dimension is None:
                raise ValueError("creating an index needs the embedding dimension")
            chunks = client.create_collection(
                settings.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={
                    "embedding_model": model,
                    "embedding_dim": dimension,
                    "embedding_variant": configured_variant(settings),
                    "schema": SCHEMA_VERSION,
                },
            )
        records = client.get_or_create_collection(records_name, embedding_function=None)
        return cls(client, settings, chunks, records)

    @staticmethod
    def drop_collections(settings: Settings) -> None:
        """Delete the index's collections (for a rebuild on a Chroma server)."""
        from assistant.providers import make_chroma_client

        client = make_chroma_client(settings)
        names = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
        for name in (settings.collection, f"{settings.collection}-documents"):
            if name in names:
                client.delete_collection(name)

    # --- the documents --------------------------------------------------------------------------------
    @_reads
    def documents(self) -> dict[str, DocumentRecord]:
        """Every live document by source."""
        found = self._records.get(where={"type": _DOC}, include=["metadatas"])
        records = {}
        for metadata in found["metadatas"] or []:
            record = _record_from_metadata(metadata)
            records[record.source] = record
        live = {source: record.doc_version for source, record in records.items()}
        if live != self._live:
            self._live = live
            self._keyword = None
        return records

    @_reads
    def sync(self) -> None:
        """Pick up what other processes committed since this one last looked: one small read.

        Each commit writes a new generation token; when it differs from the one seen, the live versions
        are re-read (and with them the keyword index is checked against its fingerprint)."""
        found = self._records.get(ids=[_GENERATION], include=["metadatas"])
        token = str(found["metadatas"][0].get("token")) if found["metadatas"] else ""
        if token != self._generation:
            self._generation = token
            self.documents()

    def _bump_generation(self) -> None:
        token = uuid.uuid4().hex
        self._records.upsert(
            ids=[_GENERATION],
            embeddings=[_record_vector(_GENERATION)],
            documents=[""],
            metadatas=[{"type": "meta", "token": token}],
        )
        self._generation = token

    @_reads
    def document_text(self, source: str) -> str | None:
        found = self._records.get(ids=[_doc_key(source)], include=["documents"])
        return found["documents"][0] if found["documents"] else None

    def live_versions(self) -> dict[str, str]:
        if self._live is None:
            self.documents()
        assert self._live is not None
        return self._live

    # --- writing (ingest, under the lock) -------------------------------------------------------------
    def mark_pending(self, changes: Mapping[str, str | None]) -> None:
        """Record that these sources' chunks are about to change (source -> new version, None to delete)."""
        if not changes:
            return
        keys = [_pending_key(source) for source in changes]
        self._records.upsert(
            ids=keys,
            embeddings=[_record_vector(key) for key in keys],
            metadatas=[{"type": _PENDING, "source": s, "target": v or ""} for s, v in changes.items()],
        )

    def pending_sources(self) -> list[str]:
        found = self._records.get(where={"type": _PENDING}, include=["metadatas"])
        return [metadata["source"] for metadata in found["metadatas"] or []]

    def existing_embeddings(self, hashes: Iterable[str]) -> dict[str, list[float]]:
        """Embeddings already stored for chunks whose embedded text has one of these hashes."""
        wanted = sorted(set(hashes))
        reuse: dict[str, list[float]] = {}
        for i in range(0, len(wanted), 500):
            found = self._chunks.get(
                where={"text_hash": {"$in": wanted[i : i + 500]}}, include=["embeddings", "metadatas"]
            )
            for metadata, embedding in zip(found["metadatas"] or [], found["embeddings"], strict=True):
                reuse[metadata["text_hash"]] = [float(x) for x in embedding]
        return reuse

    def write_chunks(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        for i in range(0, len(chunks), _PAGE):
            part = chunks[i : i + _PAGE]
            self._chunks.upsert(
                ids=[c.id for c in part],
                embeddings=[list(e) for e in embeddings[i : i + _PAGE]],
                documents=[c.text for c in part],
                metadatas=[_chunk_metadata(c) for c in part],
            )

    def write_sentences(self, entries: Sequence[SentenceVectors]) -> None:
        """Store documents' sentence vectors (before the versions they belong to are committed)."""
        self._sentences.write(entries)

    def sentence_vectors(self, source: str, doc_version: str) -> SentenceVectors | None:
        """The stored sentence vectors of this version of a document (None when there are none)."""
        return self._sentences.read(source, doc_version)

    def commit_documents(self, documents: Sequence[tuple[DocumentRecord, str]]) -> None:
        """Make these document versions live (their chunks must be written already)."""
        if not documents:
            return
        keys = [_doc_key(record.source) for record, _ in documents]
        self._records.upsert(
            ids=keys,
            embeddings=[_record_vector(key) for key in keys],
            documents=[text for _, text in documents],
            metadatas=[_record_metadata(record) for record, _ in documents],
        )
        if self._live is not None:
            self._live.update({record.source: record.doc_version for record, _ in documents})
        self._keyword = None
        self._bump_generation()

    def remove_documents(self, sources: Iterable[str]) -> None:
        """Take documents out of the index (they disappear for readers at once)."""
        sources = list(sources)
        if sources:
            self._records.delete(ids=[_doc_key(source) for source in sources])
            if self._live is not None:
                for source in sources:
                    self._live.pop(source, None)
            self._keyword = None
            self._bump_generation()

    def delete_stale_chunks(self, sources: Iterable[str]) -> None:
        """Delete the chunks of these sources that do not belong to their live version."""
        live = self.live_versions()
        for source in sources:
            version = live.get(source)
            self._sentences.keep_only(source, version)
            if version is None:
                self._chunks.delete(where={"source": source})
            else:
                self._chunks.delete(where={"$and": [{"source": source}, {"doc_version": {"$ne": version}}]})

    def clear_pending(self, sources: Iterable[str]) -> None:
        keys = [_pending_key(source) for source in sources]
        if keys:
            self._records.delete(ids=keys)

    # --- reading ----------------------------------------------------------------------------------------
    @_reads
    def chunk_count(self) -> int:
        """Chunks stored, live or not (equal to the live count whenever no ingest is under way)."""
        return int(self._chunks.count())

    def iter_live_chunks(
        self, include_embeddings: bool = False
    ) -> Iterator[tuple[Chunk, list[float] | None]]:
        live = self.live_versions()
        include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
        offset = 0
        while True:
            page = self._chunks.get(include=include, limit=_PAGE, offset=offset)
            if not page["ids"]:
                return
            embeddings = page["embeddings"] if include_embeddings else [None] * len(page["ids"])
            for chunk_id, text, metadata, embedding in zip(
                page["ids"], page["documents"], page["metadatas"], embeddings, strict=True
            ):
                chunk = _chunk_from_record(chunk_id, text, metadata)
                if live.get(chunk.source) == chunk.doc_version:
                    yield chunk, None if embedding is None else [float(x) for x in embedding]
            offset += len(page["ids"])

    @_reads
    def dense_search(self, embedding: Sequence[float], k: int) -> list[ScoredChunk]:
        """Live chunks nearest to ``embedding`` (cosine similarity), best first."""
        total = self.chunk_count()
        if total == 0 or k <= 0:
            return []
        live = self.live_versions()
        found = self._chunks.query(
            query_embeddings=[list(embedding)],
            n_results=min(total, k + 8),  # a few spare for chunks a crashed ingest left behind
            include=["documents", "metadatas", "distances"],
        )
        results = []
        for chunk_id, text, metadata, distance in zip(
            found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        ):
            chunk = _chunk_from_record(chunk_id, text, metadata)
            if live.get(chunk.source) == chunk.doc_version:
                results.append(ScoredChunk(chunk, 1.0 - float(distance)))
        return results[:k]

    @_reads
    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        found = self._chunks.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            chunk_id: _chunk_from_record(chunk_id, text, metadata)
            for chunk_id, text, metadata in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        }
        return [by_id[i] for i in ids if i in by_id]

    # --- the keyword side ------------------------------------------------------------------------------
    @property
    def _keyword_path(self) -> Path:
        return self._settings.index_dir / f"keyword-{self._settings.collection}.npz"

    def stories(self) -> Stories:
        """Which live documents tell one story (each its own when the stories file is missing)."""
        return self.story_file.stories(self.live_versions())

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index of exactly the live chunks: cached on disk, rebuilt when the index changed."""
        if self._keyword is not None:  # dropped whenever the live versions change
            return self._keyword
        state = fingerprint(self.live_versions().items())
        cached = KeywordIndex.load(self._keyword_path)
        if cached is None or cached.state != state:
            cached = self.rebuild_keyword_index(state)
        self._keyword = cached
        return cached

    def rebuild_keyword_index(self, state: str | None = None) -> KeywordIndex:
        state = state or fingerprint(self.live_versions().items())
        chunks = [chunk for chunk, _ in self.iter_live_chunks()]
        index = KeywordIndex.build([c.id for c in chunks], [c.context_text for c in chunks], state)
        try:
            index.save(self._keyword_path)
        except OSError as exc:  # a read-only index still answers; it just rebuilds next time
            log.warning("could not cache the keyword index: %s", exc)
        self._keyword = index
        return index


def _check_model(
    metadata: Mapping[str, Any], model: str, dimension: int | None, variant: str, settings: Settings
) -> None:
    from assistant.providers import TORCH_VARIANT, vectors_interchangeable

    built_with = metadata.get("embedding_model")
    built_dim = metadata.get("embedding_dim")
    if metadata.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"The index at {settings.index_location} uses schema {metadata.get('schema')}, this version "
            f"needs {SCHEMA_VERSION}. Rebuild it: python -m ingest --rebuild"
        )
    if built_with != model or (dimension is not None and built_dim != dimension):
        raise IndexMismatchError(
            f"The index at {settings.index_location} was built with the embedding model {built_with!r} "
            f"({built_dim} dimensions), but {model!r}"
            + (f" ({dimension} dimensions)" if dimension else "")
            + f" is configured. Set ASSISTANT_EMBEDDING_MODEL={built_with} to use this index, or rebuild it "
            "with the new model: python -m ingest --rebuild"
        )
    built_variant = str(metadata.get("embedding_variant", TORCH_VARIANT))  # indexes before variants: torch
    if not vectors_interchangeable(built_variant, variant):
        raise IndexMismatchError(
            f"The index at {settings.index_location} holds {built_variant} vectors, which {variant} vectors "
            "cannot be searched against. Set ASSISTANT_EMBEDDING_RUNTIME / ASSISTANT_INFERENCE_PRECISION "
            "to what built it, or rebuild it: python -m ingest --rebuild"
        )


def _doc_key(source: str) -> str:
    return f"doc:{source}"


def _pending_key(source: str) -> str:
    return f"pending:{source}"


def _chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    return {
        "source": chunk.source,
        "title": chunk.title,
        "start": chunk.start,
        "end": chunk.end,
        "index": chunk.index,
        "doc_version": chunk.doc_version,
        "text_hash": text_hash(chunk.context_text),
        "outlet": chunk.outlet,
        "published": chunk.published,
    }


def _chunk_from_record(chunk_id: str, text: str, metadata: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        source=str(metadata["source"]),
        title=str(metadata.get("title", "")),
        text=text,
        start=int(metadata["start"]),
        end=int(metadata["end"]),
        index=int(metadata["index"]),
        doc_version=str(metadata["doc_version"]),
        outlet=str(metadata.get("outlet", "")),
        published=str(metadata.get("published", "")),
    )


def _record_metadata(record: DocumentRecord) -> dict[str, Any]:
    fields = asdict(record)
    for name in _TUPLE_FIELDS:
        fields[name] = json.dumps(list(fields[name]))
    return {"type": _DOC, **fields}


def _record_from_metadata(metadata: Mapping[str, Any]) -> DocumentRecord:
    fields = {k: v for k, v in metadata.items() if k in DocumentRecord.__dataclass_fields__}
    for name in _TUPLE_FIELDS:
        fields[name] = tuple(json.loads(fields.get(name) or "[]"))
    return DocumentRecord(**fields)
