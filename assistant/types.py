"""Small frozen types that flow between stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


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
    outlet: str = ""  # the document's outlet and publication date (see DocumentRecord), "" when unknown
    published: str = ""

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
    """One indexed document, as its record in the index describes it."""

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
    dates: tuple[str, ...] = ()  # every full date the text states
    # When, by whom and where it was published, each with how it was found (record-field, front-matter,
    # html-meta, dateline, url-path, or none): "" is unknown. published is "2025-03-06", "2025-03" or
    # "2025", as precise as its source (published_precision: day, month or year).
    published: str = ""
    published_precision: str = ""
    published_via: str = "none"
    outlet: str = ""
    outlet_via: str = "none"
    author: str = ""
    author_via: str = "none"
    url: str = ""
    url_via: str = "none"


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    chunk: Chunk
    score: float


@dataclass(frozen=True, slots=True)
class SentenceVectors:
    """The vectors of one document version's candidate sentences (their spans in the cleaned text), as
    ingest computed them for the offline answerer."""

    source: str
    doc_version: str
    spans: tuple[tuple[int, int], ...]
    vectors: Any  # numpy array, one row per span

    def by_text(self, document: str) -> dict[str, Any]:
        """Each sentence's text in ``document`` (this version's cleaned text) -> its vector."""
        return {document[start:end]: self.vectors[i] for i, (start, end) in enumerate(self.spans)}


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk, widened to whole sentences of its document, with its fused score."""

    chunk: Chunk
    text: str  # document_text[start:end]
    start: int
    end: int
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None

    @property
    def source(self) -> str:
        return self.chunk.source

    @property
    def title(self) -> str:
        return self.chunk.title

    @property
    def outlet(self) -> str:
        return self.chunk.outlet

    @property
    def published(self) -> str:
        return self.chunk.published


@dataclass(frozen=True, slots=True)
class Filters:
    """Which documents a question may be answered from; every part that is set must hold. A date filter
    keeps only documents whose publication date is known and may fall in the range (a month-precise
    "2025-03" falls in any range that overlaps March); documents of unknown date are left out."""

    published_from: str = ""  # ISO day, inclusive; "" for no lower bound
    published_to: str = ""  # ISO day, inclusive
    outlets: tuple[str, ...] = ()  # any of these outlets (case and a leading "The" ignored)
    sources: tuple[str, ...] = ()  # any of these source path prefixes ("business/")
    # The date range also admits documents of unknown publication date whose text states a full date in
    # it: for a period read from the question ("in March 2025"), not for a filter a caller sets.
    undated_mentions: bool = False

    @property
    def active(self) -> bool:
        return bool(self.published_from or self.published_to or self.outlets or self.sources)

    def parts(self) -> list[tuple[str, Filters]]:
        """Each part that is set, described, as a filter of its own."""
        found: list[tuple[str, Filters]] = []
        if self.published_from or self.published_to:
            if self.published_from and self.published_to:
                span = f"published {self.published_from} to {self.published_to}"
            else:
                span = f"published from {self.published_from}" if self.published_from else ""
                span = span or f"published until {self.published_to}"
            if self.undated_mentions:
                span += " (or undated and stating a day in it)"
            found.append(
                (
                    span,
                    Filters(self.published_from, self.published_to, undated_mentions=self.undated_mentions),
                )
            )
        if self.outlets:
            found.append((f"outlet {' or '.join(self.outlets)}", Filters(outlets=self.outlets)))
        if self.sources:
            found.append((f"source {' or '.join(self.sources)}", Filters(sources=self.sources)))
        return found

    def describe(self) -> str:
        return ", ".join(label for label, _ in self.parts())


@dataclass(frozen=True, slots=True)
class Citation:
    """What marker [n] points at: the exact quoted text and where it stands in the cleaned document."""

    source: str
    title: str
    quote: str  # the cited sentence(s), verbatim from the cleaned document
    start: int
    end: int
    score: float
    passage: str = ""  # the retrieved passage around the quote, for context
    passage_start: int = 0
    passage_end: int = 0
    outlet: str = ""  # who published the document, "" when unknown
    published: str = ""  # when: "2025-03-06", "2025-03", "2025", or "" when unknown
    also_in: tuple[str, ...] = ()  # other documents of the same story (copies, re-edits)


@dataclass(frozen=True, slots=True)
class Answer:
    """The chain's result. ``answer`` carries markers [1], [2] ...; marker [n] is ``citations[n-1]``.

    While streaming, every item is an Answer whose ``answer`` is the text so far; only the last one
    (``done=True``) carries the citations."""

    answer: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    question: str = ""  # the standalone question that was answered (follow-ups resolved)
    answered_by: str = "offline"  # "offline", "llm:<model>", or "offline (fallback)"
    notice: str = ""  # e.g. why the LLM answer was replaced by the offline one
    unsupported: tuple[str, ...] = ()  # answer sentences not supported by their cited passage
    passages: tuple[Passage, ...] = ()  # what retrieval returned, best first
    done: bool = True

    @property
    def is_fallback(self) -> bool:
        return self.answered_by.endswith("(fallback)")


def answer_payload(answer: Answer) -> dict[str, Any]:
    """An answer as plain JSON for API and CLI clients (marker [n] is citations[n-1]); the retrieved
    passages are left out, each citation carries its own."""
    data = asdict(answer)
    data.pop("passages")
    return data


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """What became of one uploaded file."""

    name: str  # the file name as the user gave it
    status: Literal["added", "updated", "unchanged", "rejected"]
    message: str  # one sentence for the user: no absolute path, no traceback
    source: str | None = None  # the citation key of the stored document; None when rejected
