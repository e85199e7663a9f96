"""Documents in, a searchable index out: incremental, idempotent and crash-safe.

One run, under a file lock:
1. finish what a crashed run left (pending records -> delete orphan chunks);
2. walk the given paths; a file whose bytes and pipeline are unchanged is not even parsed;
3. changed files are cleaned and chunked, and streamed in batches: mark pending, reuse stored embeddings
   of identical chunk texts, embed the rest and the sentences the answerer may quote, write chunks and
   sentence vectors, commit the documents, delete their old chunks;
4. documents that disappeared from the scanned folders are removed;
5. the keyword index is brought in line with the live chunks."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, ConfigurationError, IndexMismatchError, IndexUnavailableError
from assistant.index.lease import writer_lock
from assistant.index.store import IndexStore, text_hash
from assistant.index.stories import Stories, StoryEntry
from assistant.providers import embedding_dimension, make_embeddings, token_encoding
from assistant.settings import Settings
from assistant.text.sentences import candidate_spans
from assistant.types import Chunk, DocumentRecord, SentenceVectors
from ingest.chunking import build_chunks
from ingest.cleaning import clean_document
from ingest.cleaning.document import CleanedDocument
from ingest.collections import ArticleRecord, CollectionRead, field_names, is_collection, read_collection
from ingest.fetch import Fetched, FetchError, check_url, fetch
from ingest.loaders import (
    LoadedText,
    SkipFile,
    ensure_supported_suffix,
    load_bytes,
    load_html,
    normalize_suffix,
    normalize_text,
    read_bounded,
)
from ingest.stories import cluster as cluster_stories
from ingest.stories import signature as story_signature

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

# Bump when cleaning or chunking changes what a file turns into: every document is then re-chunked.
# 2: hidden HTML, comments and tag characters are stripped; 3: sentence vectors are stored
PIPELINE_VERSION = "4"
SENTENCE_MEMORY = 100_000  # sentence vectors an ingest run keeps for reuse (fp16: about 77 MB at most)


@dataclass
class IngestReport:
    files_added: int = 0
    files_updated: int = 0
    files_unchanged: int = 0
    files_deleted: int = 0
    files_skipped: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    sentences_embedded: int = 0
    stories_shared: int = 0  # stories told by more than one document (copies, re-edits)
    documents_in_shared_stories: int = 0
    stories_seconds: float = 0.0
    chunks_total: int = 0
    documents_total: int = 0
    seconds: float = 0.0
    embedding_seconds: float = 0.0
    skipped: list[dict[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.files_added or self.files_updated or self.files_deleted)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["embedding_seconds"] = round(self.embedding_seconds, 3)
        return data


@dataclass(frozen=True, slots=True)
class SourceFile:
    root: Path
    path: Path
    source: str  # path relative to root, POSIX style: the citation key


@dataclass(frozen=True, slots=True)
class Scope:
    """What a run is authoritative for: a whole folder, or single files in it."""

    root: Path
    only: frozenset[str] | None = None

    def covers(self, record: DocumentRecord) -> bool:
        """Whether the run decides about this record: an article of a collection file ("news.jsonl#id")
        belongs to its file."""
        if record.root != str(self.root):
            return False
        return self.only is None or record.source in self.only or record.source.split("#")[0] in self.only


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    record: DocumentRecord
    text: str
    chunks: list[Chunk]
    replaces_existing: bool
    sentences: list[tuple[int, int]]  # the answerer's candidate sentences, embedded at ingest
    signature: Any = None  # MinHash of the text, for the story it belongs to (ingest.stories)


# (event, amount): "total" files found, then "file" per file done and "chunks" embedded
ProgressCallback = Callable[[str, int], None]


def discover(paths: Sequence[Path]) -> tuple[list[SourceFile], list[Scope]]:
    """Files under the given folders (hidden entries and folder symlinks are not followed) and files."""
    files: list[SourceFile] = []
    scopes: list[Scope] = []
    for given in paths:
        path = Path(os.path.abspath(given.expanduser()))
        if path.is_dir():
            scopes.append(Scope(path))
            files.extend(_walk(path))
        elif path.is_file() or path.is_symlink():
            scopes.append(Scope(path.parent, frozenset({path.name})))
            files.append(SourceFile(path.parent, path, path.name))
        else:
            raise AssistantError(f"No such file or folder: {given}")
    unique = {(f.root, f.source): f for f in files}
    return sorted(unique.values(), key=lambda f: (str(f.root), f.source)), scopes


def _walk(root: Path) -> Iterator[SourceFile]:
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                path = Path(folder) / name
                yield SourceFile(root, path, path.relative_to(root).as_posix())


def pipeline_fingerprint(settings: Settings) -> str:
    parts = [
        PIPELINE_VERSION,
        settings.embedding_model,
        str(settings.chunk_tokens),
        str(settings.chunk_overlap_tokens),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def document_version(content_hash: str, pipeline: str) -> str:
    return hashlib.sha256(f"{content_hash}\x00{pipeline}".encode()).hexdigest()[:16]


def prepare_document(
    file: SourceFile, data: bytes, content_hash: str, version: str, settings: Settings, existing: bool
) -> PreparedDocument:
    """Decode, clean and chunk one file (raises SkipFile)."""
    loaded = load_bytes(data, suffix=file.path.suffix, max_bytes=settings.max_file_bytes)
    cleaned = clean_document(
        loaded.text,
        kind=loaded.kind,
        fallback_title=file.path.stem,
        html_title=loaded.html_title,
        html_meta=loaded.html_meta,
    )
    return _prepared(file.root, file.source, loaded.kind, cleaned, content_hash, version, settings, existing)


WEB_ROOT = "web"  # the root recorded for documents fetched over HTTP: no folder scan ever removes them


def prepare_record(
    container: str,
    root: str,
    record: ArticleRecord,
    content_hash: str,
    version: str,
    settings: Settings,
    existing: bool,
) -> PreparedDocument:
    """Clean and chunk one article of an export or feed (raises SkipFile)."""
    if record.kind == "html":
        loaded = load_html(record.body, "utf-8")
    else:
        loaded = LoadedText(text=normalize_text(record.body), kind="text", encoding="utf-8")
    cleaned = clean_document(
        loaded.text,
        kind=loaded.kind,
        fallback_title=record.title or record.key,
        html_title=record.title or loaded.html_title,
        html_meta=loaded.html_meta,
        fields=record.fields,
        fields_via="record-field",
    )
    source = record_source(container, record.key)
    return _prepared(root, source, loaded.kind, cleaned, content_hash, version, settings, existing)


def prepare_page(
    url: str, fetched: Fetched, content_hash: str, version: str, settings: Settings, existing: bool
) -> PreparedDocument:
    """Decode, clean and chunk an article page fetched from ``url`` (raises SkipFile)."""
    suffix = {"text/plain": ".txt", "application/pdf": ".pdf", "text/markdown": ".md"}.get(
        fetched.content_type, ".html"
    )
    loaded = load_bytes(fetched.data, suffix=suffix, max_bytes=settings.max_file_bytes)
    cleaned = clean_document(
        loaded.text,
        kind=loaded.kind,
        fallback_title=url.rstrip("/").rsplit("/", 1)[-1] or url,
        html_title=loaded.html_title,
        html_meta=loaded.html_meta,
        fields={} if loaded.html_meta.get("url") else {"url": fetched.url},
        fields_via="fetched",
    )
    return _prepared(WEB_ROOT, url, loaded.kind, cleaned, content_hash, version, settings, existing)


def record_source(file_source: str, key: str) -> str:
    """The citation key of an article in a collection file: "exports/news.jsonl#<id>"."""
    return f"{file_source}#{key}"


def record_hash(record: ArticleRecord) -> str:
    payload = json.dumps([record.title, record.body, record.kind, record.fields], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _prepared(
    root: Path | str,
    source: str,
    kind: str,
    cleaned: CleanedDocument,
    content_hash: str,
    version: str,
    settings: Settings,
    existing: bool,
) -> PreparedDocument:
    if not cleaned.text.strip():
        raise SkipFile("no text left after removing boilerplate")
    encoding = token_encoding()
    chunks = build_chunks(
        cleaned.text,
        source=source,
        title=cleaned.title,
        doc_version=version,
        count_tokens=lambda text: len(encoding.encode_ordinary(text)),
        max_tokens=settings.chunk_tokens,
        overlap_tokens=settings.chunk_overlap_tokens,
        outlet=cleaned.facts.outlet,
        published=cleaned.facts.published,
    )
    record = DocumentRecord(
        source=source,
        title=cleaned.title,
        doc_version=version,
        content_hash=content_hash,
        root=str(root),
        chunk_count=len(chunks),
        chars=len(cleaned.text),
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        kind=kind,
        urls=cleaned.urls,
        outlets=cleaned.outlets,
        dates=cleaned.dates,
        **asdict(cleaned.facts),
    )
    signature = story_signature(cleaned.text) if settings.find_stories else None
    return PreparedDocument(record, cleaned.text, chunks, existing, candidate_spans(cleaned.text), signature)


def read_source(file: SourceFile, max_bytes: int) -> bytes:
    """The file's bytes (raises SkipFile for unsupported, oversized or unreadable files)."""
    ensure_supported_suffix(normalize_suffix(file.path.suffix))
    return read_bounded(file.path, max_bytes=max_bytes)


@dataclass
class _Run:
    """One ingest run's state while it walks its sources."""

    known: dict[str, DocumentRecord]  # the index's documents when the run began
    pipeline: str  # the pipeline fingerprint
    report: IngestReport
    seen: set[str] = field(default_factory=set)  # sources still present: the rest may be deleted
    signatures: dict[str, tuple[str, Any]] = field(
        default_factory=dict
    )  # committed: source -> (version, MinHash)

    def keep(self, container: str, why: str) -> None:
        """A collection or URL that can't be read now: skipped with its reason, its indexed articles kept."""
        indexed = [s for s in self.known if s == container or (s.split("#")[0] == container and "#" in s)]
        self.seen.update(indexed)
        kept = f" (its {len(indexed)} indexed article(s) are kept)" if indexed else ""
        self.report.files_skipped += 1
        self.report.skipped.append({"source": container, "reason": f"{why}{kept}"})


@dataclass
class _Vectors:
    """The vectors of one batch of chunks on their way: those the index has already, those being computed
    in the background, and those an earlier batch still in flight computes."""

    hashes: list[str]
    known: dict[str, list[float]]
    missing: list[str]  # hashes computed for this batch
    future: Future[list[list[float]]] | None
    earlier: _Vectors | None  # the batch in flight when this one started
    sentences: list[str] = field(default_factory=list)  # sentence texts computed for this batch
    sentence_future: Future[list[Any]] | None = None
    sentence_vectors: dict[str, Any] = field(default_factory=dict)  # those an earlier batch computed

    def sentence_result(self) -> dict[str, Any]:
        """Sentence text -> vector, for the batch's documents (waits for the computation)."""
        if self.sentence_future is not None:
            found = self.sentence_future.result()
            self.sentence_vectors.update(zip(self.sentences, found, strict=True))
            self.sentence_future = None
        return self.sentence_vectors

    def result(self) -> tuple[list[list[float]], int]:
        """A vector per chunk, and how many had to be computed (waits for the computation)."""
        if self.future is not None:
            self.known.update(zip(self.missing, self.future.result(), strict=True))
            self.future = None
        if self.earlier is not None:  # finished before this one: batches finish in order
            for digest in self.hashes:
                if digest not in self.known:
                    self.known[digest] = self.earlier.known[digest]
            self.earlier = None
        return [self.known[h] for h in self.hashes], len(self.missing)


class _Embedder:
    """Computes the vectors of a batch in a background thread while the caller stores the one before (the
    model releases the GIL); loads the model only when something has to be embedded, and reuses stored
    vectors of identical texts."""

    def __init__(self, factory: Callable[[], Embeddings]) -> None:
        self._factory = factory
        self._model: Embeddings | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._in_flight: _Vectors | None = None
        self._sentences: OrderedDict[str, Any] = OrderedDict()  # text hash -> fp16 vector, this run
        self._lock = threading.Lock()
        self.seconds = 0.0

    @property
    def model(self) -> Embeddings:
        if self._model is None:
            self._model = self._factory()
            log.info("embedding model ready")
        return self._model

    def start(self, store: IndexStore, chunks: Sequence[Chunk], sentences: Sequence[str] = ()) -> _Vectors:
        """Begin computing the vectors of ``chunks`` and of ``sentences``; collect them with ``result()``
        and ``sentence_result()``."""
        hashes = [text_hash(c.context_text) for c in chunks]
        known = store.existing_embeddings(hashes)
        earlier = self._in_flight if self._in_flight is not None and self._in_flight.future else None
        coming = set(earlier.missing) if earlier is not None else set()
        missing = {h: c.context_text for h, c in zip(hashes, chunks, strict=True) if h not in known}
        missing = {h: text for h, text in missing.items() if h not in coming}
        future = self._submit(self._embed, list(missing.values())) if missing else None
        reused: dict[str, Any] = {}
        with self._lock:
            for text in dict.fromkeys(sentences):
                vector = self._sentences.get(text_hash(text))
                if vector is not None:
                    reused[text] = vector
        texts = [text for text in dict.fromkeys(sentences) if text not in reused]
        sentence_future = self._submit(self._embed_sentences, texts) if texts else None
        self._in_flight = _Vectors(
            hashes, known, list(missing), future, earlier, texts, sentence_future, reused
        )
        return self._in_flight

    def _submit(
        self, work: Callable[[Embeddings, list[str]], list[Any]], texts: list[str]
    ) -> Future[list[Any]]:
        """Run ``work(model, texts)`` on the one background thread (jobs finish in the order given)."""
        model = self.model
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        return self._worker.submit(work, model, texts)

    def _embed_sentences(self, model: Embeddings, texts: list[str]) -> list[Any]:
        """Vectors of sentences, kept (fp16, bounded) for documents later in the run that repeat them:
        re-edited and syndicated stories share most of their sentences."""
        import numpy as np

        vectors = [np.asarray(v, dtype=np.float16) for v in self._embed(model, texts)]
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._sentences[text_hash(text)] = vector
            while len(self._sentences) > SENTENCE_MEMORY:
                self._sentences.popitem(last=False)
        return vectors

    def _embed(self, model: Embeddings, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = model.embed_documents(texts)
        self.seconds += time.perf_counter() - started
        return vectors

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True, cancel_futures=True)
            self._worker = None
        self._in_flight = None
        self._sentences.clear()


class Ingestor:
    """One ingest run against one index."""

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: Embeddings | Callable[[], Embeddings] | None = None,
        progress: ProgressCallback | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        if embeddings is None:
            factory: Callable[[], Embeddings] = lambda: make_embeddings(settings)  # noqa: E731
        elif callable(embeddings) and not hasattr(embeddings, "embed_documents"):
            factory = embeddings
        else:
            factory = lambda: embeddings  # type: ignore[assignment,return-value]  # noqa: E731
        self._embedder = _Embedder(factory)
        self._progress = progress or (lambda event, amount: None)
        self._on_wait = on_wait or (lambda message: log.warning(message))
        try:
            self._record_names = field_names(settings.record_fields)
        except ValueError as exc:
            raise ConfigurationError(f"ASSISTANT_RECORD_FIELDS: {exc}") from None

    def run(
        self,
        paths: Sequence[Path] | None = None,
        *,
        urls: Sequence[str] = (),
        prune: bool = False,
        rebuild: bool = False,
    ) -> IngestReport:
        """Bring the index in line with ``paths`` (default: the corpus folder, unless only ``urls`` are
        given) and the article pages and feeds at ``urls``."""
        started = time.perf_counter()
        urls = [check_url(url) for url in urls]
        files, scopes = discover(paths or ([] if urls else [self.settings.corpus_dir]))
        self._progress("total", len(files) + len(urls))
        self.settings.index_dir.mkdir(parents=True, exist_ok=True)
        with writer_lock(self.settings, self._on_wait):
            if rebuild:
                self._drop_index()
            store = self._open_store()
            report = self._sync(store, files, scopes, prune, urls)
            store.keyword_index()  # rebuilt only when the live chunks changed
            report.chunks_total = store.chunk_count()
            report.documents_total = len(store.live_versions())
        report.embedding_seconds = self._embedder.seconds
        report.seconds = time.perf_counter() - started
        return report

    def _drop_index(self) -> None:
        if self.settings.chroma_url:
            IndexStore.drop_collections(self.settings)
        else:
            shutil.rmtree(self.settings.index_dir / "chroma", ignore_errors=True)
        for cached in [
            *self.settings.index_dir.glob("keyword-*.npz"),
            *self.settings.index_dir.glob("stories-*.npz"),
        ]:
            cached.unlink(missing_ok=True)
        for folder in self.settings.index_dir.glob("sentences-*"):
            shutil.rmtree(folder, ignore_errors=True)

    def _open_store(self) -> IndexStore:
        try:
            return IndexStore.open(
                self.settings, model=self.settings.embedding_model, dimension=None, create=False
            )
        except IndexMismatchError:
            raise
        except IndexUnavailableError:
            pass  # a new index
        return IndexStore.open(
            self.settings,
            model=self.settings.embedding_model,
            dimension=embedding_dimension(self._embedder.model),
            create=True,
        )

    def _sync(
        self,
        store: IndexStore,
        files: list[SourceFile],
        scopes: list[Scope],
        prune: bool,
        urls: Sequence[str],
    ) -> IngestReport:
        report = IngestReport()
        self._recover(store)
        known = store.documents()
        run = _Run(known, pipeline_fingerprint(self.settings), report)
        batch: list[PreparedDocument] = []
        writing: tuple[list[PreparedDocument], _Vectors] | None = None  # embedding in the background
        try:
            for prepared in self._documents(files, urls, run):
                run.signatures[prepared.record.source] = (prepared.record.doc_version, prepared.signature)
                batch.append(prepared)
                if sum(len(d.chunks) for d in batch) >= self.settings.ingest_batch_chunks:
                    writing = self._step(store, batch, writing, report)
                    batch = []
            writing = self._step(store, batch, writing, report)
            if writing is not None:
                self._write(store, *writing, report)
        finally:
            self._embedder.close()
        gone = [
            source
            for source, record in known.items()
            if source not in run.seen and (prune or any(scope.covers(record) for scope in scopes))
        ]
        self._delete(store, gone)
        report.files_deleted = len(gone)
        self._update_stories(store, run)
        return report

    def _update_stories(self, store: IndexStore, run: _Run) -> None:
        """Bring the stories file in line with the live documents: keep the signatures of unchanged ones,
        take the new ones from this run, compute missing ones from the stored text, cluster again."""
        if not self.settings.find_stories:
            store.story_file.path.unlink(missing_ok=True)  # every document its own story
            return
        started = time.perf_counter()
        live = store.live_versions()
        entries = {s: e for s, e in store.story_file.read().items() if live.get(s) == e.version}
        if not run.signatures and entries.keys() == live.keys():  # nothing changed: the file stands
            story = {source: entry.story for source, entry in entries.items()}
        else:
            signatures = {s: e.signature for s, e in entries.items()}
            signatures.update(
                (s, sig) for s, (version, sig) in run.signatures.items() if live.get(s) == version
            )
            for source in live.keys() - signatures.keys():  # an index from before stories, or a lost file
                text = store.document_text(source)
                if text is not None:
                    signatures[source] = story_signature(text)
            story = cluster_stories(signatures)
            store.story_file.write(
                {
                    source: StoryEntry(live[source], signature, story[source])
                    for source, signature in signatures.items()
                }
            )
            run.report.stories_seconds = round(time.perf_counter() - started, 3)
        shared = Stories.of(story)
        run.report.stories_shared = shared.shared
        run.report.documents_in_shared_stories = shared.documents_shared

    def _recover(self, store: IndexStore) -> None:
        pending = store.pending_sources()
        if pending:
            log.info("finishing an interrupted ingest: %d document(s)", len(pending))
            store.delete_stale_chunks(pending)
            store.clear_pending(pending)

    def _documents(
        self,
        files: list[SourceFile],
        urls: Sequence[str],
        run: _Run,
    ) -> Iterator[PreparedDocument]:
        """The changed documents of the files and URLs, in order; ``run.seen`` collects every source
        still present."""
        for url in urls:
            yield from self._web(url, run)
            self._progress("file", 1)
        for file in files:
            if is_collection(file.path.suffix):
                yield from self._collection(file, run)
            else:
                run.seen.add(file.source)
                prepared = self._prepare(file, run.known.get(file.source), run.pipeline, run.report)
                if prepared is not None:
                    yield prepared
            self._progress("file", 1)

    def _collection(self, file: SourceFile, run: _Run) -> Iterator[PreparedDocument]:
        """The changed articles of an export or feed. When the file cannot be read at all, its indexed
        articles are kept; an article that cannot be read now keeps its indexed version too, and while a
        row that can't be identified (not JSON, no id) is in the file, no indexed article of it is removed."""
        try:
            data = read_bounded(file.path, max_bytes=self.settings.max_collection_bytes)
            read = read_collection(
                data, file.path.suffix, names=self._record_names, max_body_chars=self.settings.max_file_bytes
            )
        except SkipFile as skip:
            run.keep(file.source, str(skip))
            return
        yield from self._articles(file.source, str(file.root), read, run)

    def _articles(
        self, container: str, root: str, read: CollectionRead, run: _Run
    ) -> Iterator[PreparedDocument]:
        """The changed articles of one read export or feed."""
        known, report, seen = run.known, run.report, run.seen
        indexed = [source for source in known if source.split("#")[0] == container and "#" in source]
        if any(not key for _, _, key in read.skipped):
            seen.update(indexed)  # a row that can't be told apart may be any indexed article: keep them
        for where, why, key in read.skipped:
            source = record_source(container, key) if key else ""
            kept = source in known
            if kept:
                seen.add(source)
            report.files_skipped += 1
            said_kept = why.endswith("is kept)")  # a repeated record: the first one is the indexed one
            reason = why + (" (the indexed version is kept)" if kept and not said_kept else "")
            report.skipped.append({"source": f"{container} ({where})", "reason": reason})
        for record in read.records:
            source = record_source(container, record.key)
            seen.add(source)
            existing = known.get(source)
            content_hash = record_hash(record)
            version = document_version(content_hash, run.pipeline)
            if existing is not None and existing.doc_version == version and existing.root == root:
                report.files_unchanged += 1
                continue
            try:
                yield prepare_record(
                    container, root, record, content_hash, version, self.settings, existing is not None
                )
            except SkipFile as skip:
                if existing is not None:
                    seen.add(source)
                report.files_skipped += 1
                reason = str(skip) + (" (the indexed version is kept)" if existing is not None else "")
                report.skipped.append({"source": source, "reason": reason})

    def _web(self, url: str, run: _Run) -> Iterator[PreparedDocument]:
        """An article page or a feed fetched over HTTP. A feed's items are kept when they drop out of it
        (a feed shows only the newest); a URL that can't be fetched keeps what was indexed from it."""
        settings = self.settings
        try:
            fetched = fetch(url, timeout_s=settings.fetch_timeout_s, max_bytes=settings.max_collection_bytes)
            if fetched.is_feed:
                read = read_collection(
                    fetched.data, ".xml", names=self._record_names, max_body_chars=settings.max_file_bytes
                )
        except (FetchError, SkipFile) as exc:
            run.keep(url, str(exc))
            return
        if fetched.is_feed:
            yield from self._articles(url, WEB_ROOT, read, run)
            return
        run.seen.add(url)
        existing = run.known.get(url)
        content_hash = hashlib.sha256(fetched.data).hexdigest()
        version = document_version(content_hash, run.pipeline)
        if existing is not None and existing.doc_version == version:
            run.report.files_unchanged += 1
            return
        try:
            yield prepare_page(url, fetched, content_hash, version, settings, existing is not None)
        except SkipFile as skip:
            run.keep(url, str(skip))

    def _prepare(
        self, file: SourceFile, existing: DocumentRecord | None, pipeline: str, report: IngestReport
    ) -> PreparedDocument | None:
        try:
            data = read_source(file, self.settings.max_file_bytes)
            content_hash = hashlib.sha256(data).hexdigest()
            version = document_version(content_hash, pipeline)
            if existing is not None and existing.doc_version == version and existing.root == str(file.root):
                report.files_unchanged += 1
                return None
            return prepare_document(file, data, content_hash, version, self.settings, existing is not None)
        except SkipFile as skip:
            report.files_skipped += 1
            reason = str(skip) + (" (the indexed version is kept)" if existing is not None else "")
            report.skipped.append({"source": file.source, "reason": reason})
            return None

    def _step(
        self,
        store: IndexStore,
        batch: list[PreparedDocument],
        writing: tuple[list[PreparedDocument], _Vectors] | None,
        report: IngestReport,
    ) -> tuple[list[PreparedDocument], _Vectors] | None:
        """Start embedding ``batch``, then store the batch before it while that runs; the new batch is
        the one in flight now."""
        chunks = [c for d in batch for c in d.chunks]
        sentences = [d.text[start:end] for d in batch for start, end in d.sentences]
        started = (batch, self._embedder.start(store, chunks, sentences)) if batch else None
        if writing is not None:
            self._write(store, *writing, report)
        return started or None

    def _write(
        self, store: IndexStore, batch: list[PreparedDocument], vectors: _Vectors, report: IngestReport
    ) -> None:
        """Commit one batch: pending marks, chunks with their vectors, the documents, old chunks gone."""
        sources = [d.record.source for d in batch]
        store.mark_pending({d.record.source: d.record.doc_version for d in batch})
        chunks = [chunk for d in batch for chunk in d.chunks]
        embedded, computed = vectors.result()
        store.write_chunks(chunks, embedded)
        by_text = vectors.sentence_result()
        store.write_sentences([_sentence_vectors(d, by_text) for d in batch])
        store.commit_documents([(d.record, d.text) for d in batch])
        store.delete_stale_chunks([d.record.source for d in batch if d.replaces_existing])
        store.clear_pending(sources)
        log.info("committed %d document(s), %d chunk(s), %d embedded", len(batch), len(chunks), computed)
        report.chunks_embedded += computed
        report.chunks_reused += len(chunks) - computed
        report.sentences_embedded += len(vectors.sentences)
        report.files_updated += sum(d.replaces_existing for d in batch)
        report.files_added += sum(not d.replaces_existing for d in batch)
        self._progress("chunks", computed)

    def _delete(self, store: IndexStore, sources: list[str]) -> None:
        if sources:
            store.mark_pending(dict.fromkeys(sources))
            store.remove_documents(sources)
            store.delete_stale_chunks(sources)
            store.clear_pending(sources)


def _sentence_vectors(document: PreparedDocument, by_text: dict[str, Any]) -> SentenceVectors:
    import numpy as np

    spans = tuple(document.sentences)
    vectors = np.asarray([by_text[document.text[start:end]] for start, end in spans], dtype=np.float32)
    return SentenceVectors(document.record.source, document.record.doc_version, spans, vectors)


def run_ingest(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    embeddings: Embeddings | Callable[[], Embeddings] | None = None,
    prune: bool = False,
    rebuild: bool = False,
    urls: Sequence[str] = (),
) -> IngestReport:
    """Bring the index in line with ``paths`` (default: the corpus folder) and ``urls``."""
    return Ingestor(settings, embeddings=embeddings).run(paths, urls=urls, prune=prune, rebuild=rebuild)
