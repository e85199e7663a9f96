"""Small frozen types that flow between stages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a cleaned document; ``text == document_text[start:end]``."""

    id: str
    source: str  # file name relative to the corpus root: the citation key users see
    title: str
    text: str
    start: int
    end: int
    index: int  # position of the chunk within its document
    doc_version: str  # content + pipeline fingerprint of the document version the chunk belongs to

    @property
    def context_text(self) -> str:
        """What is embedded and keyword-indexed: the chunk with its document title as context."""
        return with_title(self.title, self.text)


def with_title(title: str, text: str) -> str:
    if not title or text.startswith(title):
        return text
    return f"{title}\n\n{text}"


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """One indexed document as the catalogue knows it."""

    source: str
    title: str
    doc_version: str
    content_hash: str  # sha256 of the file's bytes
    root: str  # absolute corpus root the document was found under (scopes deletions)
    chunk_count: int
    chars: int
    ingested_at: str  # ISO 8601, UTC
    kind: str = "text"
    urls: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    chunk: Chunk
    score: float
