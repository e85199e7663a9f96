"""The answerer's sentence vectors, one small file per document version beside the index.

A file is named by its document's source and version, written whole (to a temporary name, then renamed)
before that version is committed, and deleted once another version is live. So a reader that asks for
the live version gets exactly that version's vectors or none: a crash at any moment leaves at worst an
unused file, which the next ingest removes. Like the keyword index, the files are derived data: when
one is missing (an index built before they were stored, a Chroma server shared by machines that don't
share this folder), the answerer computes the vectors it needs instead.

Kept out of Chroma on purpose: Chroma indexes every metadata string, so vectors stored there as text
doubled the index on disk and slowed every read of the documents' records."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from assistant.types import SentenceVectors

log = logging.getLogger(__name__)


class SentenceStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, entries: Iterable[SentenceVectors]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            spans = np.asarray(entry.spans, dtype="<i4").reshape(-1, 2)
            vectors = np.asarray(entry.vectors, dtype="<f2")
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".npz")
            try:
                with os.fdopen(handle, "wb") as file:
                    np.savez(file, spans=spans, vectors=vectors)
                os.replace(temporary, self._path(entry.source, entry.doc_version))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise

    def read(self, source: str, doc_version: str) -> SentenceVectors | None:
        path = self._path(source, doc_version)
        try:
            with np.load(path, allow_pickle=False) as data:
                spans, vectors = data["spans"], data["vectors"]
            if spans.ndim != 2 or len(spans) != len(vectors):
                raise ValueError("spans and vectors differ in length")
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged file: the answerer computes the vectors instead
            log.warning("sentence vectors %s unreadable (%s); computing them instead", path.name, exc)
            return None
        return SentenceVectors(
            source, doc_version, tuple((int(a), int(b)) for a, b in spans), vectors.astype(np.float32)
        )

    def keep_only(self, source: str, doc_version: str | None) -> None:
        """Delete the files of ``source`` except the one of ``doc_version`` (all of them for None)."""
        keep = self._path(source, doc_version).name if doc_version else None
        for path in self.folder.glob(f"{_source_key(source)}-*.npz"):
            if path.name != keep:
                path.unlink(missing_ok=True)

    def _path(self, source: str, doc_version: str) -> Path:
        safe_version = "".join(ch for ch in doc_version if ch.isalnum())[:64]
        return self.folder / f"{_source_key(source)}-{safe_version}.npz"


def _source_key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:24]
