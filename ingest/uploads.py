"""Documents uploaded in the browser chat: checked, stored under safe names, indexed by the ingest pipeline.

An upload is untrusted twice over: its name may be hostile ("../../etc/passwd", "CON", "<script>.md") and
its content may not be what its extension says. So the name only ever contributes a sanitized basename,
the kind is decided by the loaders from the content (and the stored extension follows that kind, so the
pipeline reads the file the same way), and every file is written atomically inside
``<upload_dir>/uploads``.

Indexing goes through the ordinary pipeline run over ``upload_dir``: that makes every upload's citation
key ``uploads/<safe name>``, a prefix that keeps uploads apart from the corpus's files (a name another root
already uses under it is never taken), and it lets the pipeline keep the index in line with the folder (an
upload removed by hand disappears from the index on the next upload).

Users re-upload the same file; that must be cheap and must not duplicate anything, so content already
stored and indexed is recognised by its sha256 and answered with "unchanged". Whatever goes wrong, the
folder is left as it was: new files are removed again and replaced files get their old bytes back.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.errors import AssistantError, IndexBusyError, IndexUnavailableError
from assistant.files import atomic_write
from assistant.index.store import IndexStore
from assistant.settings import Settings
from assistant.types import UploadOutcome  # shared with the app's rendering; re-exported here
from ingest.loaders import SUPPORTED_SUFFIXES, FileTooLarge, Kind, SkipFile, load_bytes, read_bounded
from ingest.pipeline import Ingestor

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

__all__ = ["UploadInbox", "UploadOutcome", "numbered_name", "safe_name"]

Status = Literal["added", "updated", "unchanged", "rejected"]

UPLOADS = "uploads"  # the sub-folder of upload_dir, and so the first part of every upload's source
MAX_NAME_CHARS = 80
# Some file systems limit a name to 255 bytes; 80 characters of a non-Latin script can exceed that.
MAX_NAME_BYTES = 200
FALLBACK_STEM = "document"

KIND_SUFFIXES: dict[Kind, str] = {"text": ".txt", "markdown": ".md", "html": ".html", "pdf": ".pdf"}

_SEPARATORS = re.compile(r"[/\\]")
_DASH_RUNS = re.compile(r"-{2,}")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)

_MEBIBYTE = 1024 * 1024
_BUSY = "was not added: the index is busy with another ingest; try again in a minute."
_UNAVAILABLE = "was not added: the index could not be updated right now; please try again later."
_NOT_STORED = "could not be stored on the server; please try again later."

_SKIP_REASONS: dict[str, str] = {
    "empty file": "is empty.",
    "binary content": "is not a text, Markdown, HTML or PDF document (it looks binary).",
    "not a PDF (content does not match .pdf)": "ends in .pdf but is not a PDF document.",
    "encrypted PDF": "is a password-protected PDF; remove the password and upload it again.",
    "no extractable text (scanned PDF?)": "is a PDF without extractable text (is it a scanned image?).",
    "no text left after removing boilerplate": (
        "has no article text left once boilerplate such as cookie notices and share buttons is removed."
    ),
}

# One lock per upload folder, shared by every inbox of this process that writes to it.
_FOLDER_LOCKS: dict[Path, threading.Lock] = {}
_FOLDER_LOCKS_GUARD = threading.Lock()


def safe_name(name: str, suffix: str) -> str:
    """A harmless file name for ``name`` ending in ``suffix`` (e.g. ".txt").

    Only the basename counts (after NFKC, so a fullwidth solidus is a separator too); a supported
    extension the user gave is replaced by ``suffix``. Letters, digits, marks and ``._-`` survive, every
    other run of characters becomes one "-". No leading dot or dash, never empty, no Windows device name,
    at most MAX_NAME_CHARS characters and MAX_NAME_BYTES UTF-8 bytes."""
    if not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"not a file suffix: {suffix!r}")
    base = _SEPARATORS.split(unicodedata.normalize("NFKC", name))[-1]
    head, dot, extension = base.rpartition(".")
    stem = head if dot and f".{extension.lower()}" in SUPPORTED_SUFFIXES else base
    stem = _DASH_RUNS.sub("-", "".join(char if _allowed(char) else "-" for char in stem)).strip(".-")
    stem = _fit(stem, suffix).rstrip(".-") or FALLBACK_STEM
    if stem.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        stem = _fit(f"_{stem}", suffix).rstrip(".-")
    return stem + suffix


def numbered_name(name: str, number: int) -> str:
    """``notes.txt`` -> ``notes-2.txt``, still within the length limits."""
    stem, dot, extension = name.rpartition(".")
    tail = f"-{number}{dot}{extension}"
    return _fit(stem, tail).rstrip(".-") + tail


def _allowed(char: str) -> bool:
    # Marks are kept so that names in scripts such as Devanagari or Thai stay readable.
    return char.isalnum() or char in "._-" or unicodedata.category(char).startswith("M")


def _fit(stem: str, tail: str) -> str:
    stem = stem[: max(0, MAX_NAME_CHARS - len(tail))]
    while stem and len((stem + tail).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem


def _basename(name: str) -> str:
    return _SEPARATORS.split(name)[-1]


def _megabytes(n_bytes: int, *, differ_from: str = "") -> str:
    """'12.3' for 12.3 MiB; more decimals where one would make a file over the limit read as the limit."""
    value = n_bytes / _MEBIBYTE
    decimals = 1 if value >= 1 else 2
    text = f"{value:.{decimals}f}"
    while decimals < 6 and (float(text) == 0 or text.rstrip("0").rstrip(".") == differ_from):
        decimals += 1
        text = f"{value:.{decimals}f}"
    return text


class _Rejected(Exception):
    """An upload refused before anything was stored; ``predicate`` completes the sentence '<name> ...'."""

    def __init__(self, predicate: str) -> None:
        super().__init__(predicate)
        self.predicate = predicate


@dataclass(slots=True)
class _Accepted:
    """An upload that passed the checks and will be indexed."""

    stored: str  # the safe file name in the uploads folder
    data: bytes | None  # None: these bytes are stored already and only need indexing
    previous: bytes | None  # the bytes this upload replaces, restored if anything fails
    status: Status = "added"
    predicate: str = ""

    @property
    def source(self) -> str:
        return f"{UPLOADS}/{self.stored}"


class UploadInbox:
    """Stores and indexes documents uploaded in the chat. Safe to call from several threads."""

    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        self._settings = settings
        self._embeddings = embeddings
        self._root = Path(os.path.abspath(settings.upload_dir))  # as the pipeline records the root
        self._folder = self._root / UPLOADS
        with _FOLDER_LOCKS_GUARD:
            self._lock = _FOLDER_LOCKS.setdefault(self._folder, threading.Lock())
        self._hash_cache: dict[str, tuple[tuple[int, int], str]] = {}  # name -> ((size, mtime), sha256)

    def add(self, files: Sequence[tuple[str, Path]]) -> list[UploadOutcome]:
        """files: (name the user gave, path of the temporary file Gradio saved). One outcome per file,
        in order. Accepted files are stored as ``upload_dir/uploads/<safe name>`` and indexed in one
        ingest run, so their citation source is ``uploads/<safe name>``."""
        if not files:
            return []
        with self._lock:
            return self._add(files)

    # --- one call, under the lock ---------------------------------------------------------------------
    def _add(self, files: Sequence[tuple[str, Path]]) -> list[UploadOutcome]:
        labels = [_basename(name) for name, _ in files]
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            indexed, foreign = self._indexed_uploads()
            stored = self._stored_hashes()
        except (OSError, AssistantError):
            log.exception("uploads: cannot prepare %s", self._folder)
            return [_rejected(label, _NOT_STORED) for label in labels]

        # Each position holds its final outcome, or the accepted upload whose fate the ingest run decides
        # (with False for a later copy of the same bytes in this call).
        slots: list[UploadOutcome | tuple[_Accepted, bool]] = []
        accepted: dict[str, _Accepted] = {}  # sha256 -> upload, for duplicates within this call
        claimed: set[str] = set()  # casefolded stored names taken in this call
        for (_, path), label in zip(files, labels, strict=True):
            try:
                data = self._read(Path(path))
                digest = hashlib.sha256(data).hexdigest()
                if digest in accepted:
                    slots.append((accepted[digest], False))
                    continue
                existing = stored.get(digest)
                if existing is not None and indexed.get(f"{UPLOADS}/{existing}") == digest:
                    slots.append(_unchanged(label, f"{UPLOADS}/{existing}"))
                    continue
                kind = _check_content(data, label, self._settings.max_file_bytes)
            except _Rejected as rejection:
                slots.append(_rejected(label, rejection.predicate))
                continue
            if existing is not None:  # stored by an earlier call whose indexing did not finish
                upload = _Accepted(existing, data=None, previous=None)
            else:
                name = self._free_name(safe_name(label, KIND_SUFFIXES[kind]), claimed, foreign)
                upload = _Accepted(name, data=data, previous=self._current_bytes(name))
            claimed.add(upload.stored.casefold())
            accepted[digest] = upload
            slots.append((upload, True))

        uploads = list(accepted.values())
        written = [upload for upload in uploads if self._store(upload)]
        if written:
            self._index(written)
        return [
            slot if isinstance(slot, UploadOutcome) else _outcome(label, *slot)
            for slot, label in zip(slots, labels, strict=True)
        ]

    def _read(self, path: Path) -> bytes:
        """The upload's bytes: a regular file within the size limit, never read past it."""
        try:
            return read_bounded(path, max_bytes=self._settings.max_file_bytes)
        except FileTooLarge as too_large:
            if too_large.size is None:  # it grew while it was read
                raise _Rejected(f"is larger than the limit of {self._settings.max_file_mb:g} MB.") from None
            raise _Rejected(self._too_large(too_large.size)) from None
        except SkipFile:
            raise _Rejected("could not be read; please upload it again.") from None

    def _too_large(self, size: int) -> str:
        limit = f"{self._settings.max_file_mb:g}"
        return f"is {_megabytes(size, differ_from=limit)} MB; the limit is {limit} MB."

    def _indexed_uploads(self) -> tuple[dict[str, str], set[str]]:
        """(content hash of every indexed upload by source, "uploads/..." sources owned by another root)."""
        try:
            store = IndexStore.open(
                self._settings, model=self._settings.embedding_model, dimension=None, create=False
            )
        except IndexUnavailableError:  # no index yet; a mismatched one fails the ingest run instead
            return {}, set()
        indexed: dict[str, str] = {}
        foreign: set[str] = set()
        for source, record in store.documents().items():
            if record.root == str(self._root):
                indexed[source] = record.content_hash
            elif source.startswith(f"{UPLOADS}/"):
                foreign.add(source)
        return indexed, foreign

    def _stored_hashes(self) -> dict[str, str]:
        """sha256 -> name of every stored upload (hashes cached while size and mtime stay the same)."""
        hashes: dict[str, str] = {}
        cache: dict[str, tuple[tuple[int, int], str]] = {}
        with os.scandir(self._folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                    key = (info.st_size, info.st_mtime_ns)
                    known = self._hash_cache.get(entry.name)
                    if known is None or known[0] != key:
                        known = (key, hashlib.sha256(Path(entry.path).read_bytes()).hexdigest())
                except OSError:
                    continue
                cache[entry.name] = known
                hashes.setdefault(known[1], entry.name)
        self._hash_cache = cache
        return hashes

    def _free_name(self, name: str, claimed: set[str], foreign: set[str]) -> str:
        """``name``, or ``name-2``, ``name-3``... when this call or another root already uses it.

        The plain name may replace an earlier upload of that name (an update); a numbered one never
        overwrites an existing file."""
        candidate, number = name, 1
        while (
            candidate.casefold() in claimed
            or f"{UPLOADS}/{candidate}" in foreign
            or (number > 1 and os.path.lexists(self._folder / candidate))
            or not self._replaceable(candidate)
        ):
            number += 1
            candidate = numbered_name(name, number)
        return candidate

    def _replaceable(self, name: str) -> bool:
        """Nothing is there, or a plain file (not a folder or a link someone put there)."""
        path = self._folder / name
        return not os.path.lexists(path) or (path.is_file() and not path.is_symlink())

    def _current_bytes(self, name: str) -> bytes | None:
        path = self._folder / name
        try:
            return path.read_bytes() if path.is_file() and not path.is_symlink() else None
        except OSError:
            return None

    # --- the folder -----------------------------------------------------------------------------------
    def _store(self, upload: _Accepted) -> bool:
        """Write the upload's bytes under its stored name; on failure mark it rejected."""
        if upload.data is None:
            return True
        try:
            self._write(upload.stored, upload.data)
        except OSError:
            log.exception("uploads: cannot store %s", upload.stored)
            upload.status, upload.predicate = "rejected", _NOT_STORED
            return False
        return True

    def _write(self, name: str, data: bytes) -> None:
        """Atomically put ``data`` at uploads/<name>: a temporary file in the same folder, then os.replace."""
        target = self._folder / name
        if target.resolve().parent != self._folder.resolve():
            raise OSError(f"refusing to write outside the uploads folder: {name!r}")
        atomic_write(target, data)

    def _undo(self, upload: _Accepted) -> None:
        """Put the folder back as it was before this upload (a no-op for bytes that were stored already)."""
        if upload.data is None:
            return
        try:
            if upload.previous is None:
                (self._folder / upload.stored).unlink(missing_ok=True)
            else:
                self._write(upload.stored, upload.previous)
        except OSError:
            log.exception("uploads: cannot undo %s", upload.stored)

    # --- the index ------------------------------------------------------------------------------------
    def _index(self, uploads: list[_Accepted]) -> None:
        try:
            report = Ingestor(self._settings, embeddings=self._embeddings).run([self._settings.upload_dir])
        except AssistantError as error:
            # The error's own text names server paths; the user gets a plain sentence, the log the rest.
            log.warning("uploads: ingest failed: %s", error)
            predicate = _BUSY if isinstance(error, IndexBusyError) else _UNAVAILABLE
            for upload in uploads:
                self._undo(upload)
                upload.status, upload.predicate = "rejected", predicate
            return
        except BaseException:
            for upload in uploads:
                self._undo(upload)
            raise
        skipped = {entry["source"]: entry["reason"] for entry in report.skipped}
        for upload in uploads:
            reason = skipped.get(upload.source)
            if reason is not None:
                # For a replaced file the pipeline kept the indexed version; the folder must match it.
                self._undo(upload)
                upload.status, upload.predicate = "rejected", _skip_predicate(reason)
            elif upload.previous is not None:
                upload.status, upload.predicate = "updated", f"replaced the earlier {upload.source}."
            else:
                upload.status, upload.predicate = "added", f"was added as {upload.source}."


def _check_content(data: bytes, label: str, max_bytes: int) -> Kind:
    """The document kind the loaders find in ``data`` (content first); raises _Rejected."""
    # A supported extension keeps its meaning (a .pdf must be a PDF, .md is Markdown); anything else is
    # judged on content alone, as plain text unless it is a PDF or an HTML document.
    suffix = Path(label).suffix.lower()
    suffix = suffix if suffix in SUPPORTED_SUFFIXES else ".txt"
    try:
        loaded = load_bytes(data, suffix=suffix, max_bytes=max_bytes)
    except SkipFile as skip:
        raise _Rejected(_skip_predicate(skip.reason)) from None
    return loaded.kind


def _skip_predicate(reason: str) -> str:
    reason = reason.removesuffix(" (the indexed version is kept)")
    if reason in _SKIP_REASONS:
        return _SKIP_REASONS[reason]
    if reason.startswith("unreadable PDF"):
        return "is a damaged PDF that could not be read."
    if reason.startswith("unsupported file type"):
        return "is not a text, Markdown, HTML or PDF document."
    if reason.startswith("unreadable"):
        return "could not be read; please upload it again."
    if reason.startswith("larger than"):
        return f"is {reason}."
    return f"could not be indexed ({reason})."


def _subject(label: str) -> str:
    return label or "The unnamed file"


def _rejected(label: str, predicate: str) -> UploadOutcome:
    return UploadOutcome(label, "rejected", f"{_subject(label)} {predicate}", None)


def _unchanged(label: str, source: str) -> UploadOutcome:
    return UploadOutcome(label, "unchanged", f"{_subject(label)} is already indexed as {source}.", source)


def _outcome(label: str, upload: _Accepted, first: bool) -> UploadOutcome:
    if upload.status == "rejected":
        return _rejected(label, upload.predicate)
    if not first:
        return _unchanged(label, upload.source)
    return UploadOutcome(label, upload.status, f"{_subject(label)} {upload.predicate}", upload.source)
