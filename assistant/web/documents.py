"""The documents side of the app: what is indexed, and adding uploads. The page goes through this, never
to the index itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from assistant.index.store import IndexStore
from assistant.index.stories import Stories
from assistant.types import DocumentRecord, UploadOutcome

AddFiles = Callable[[Sequence[tuple[str, Path]]], Sequence[UploadOutcome]]


class DocumentSource(Protocol):
    """What the page needs of the documents: the list, and a way to add files."""

    @property
    def accepts_uploads(self) -> bool: ...

    def documents(self) -> list[DocumentRecord]: ...

    def stories(self) -> Stories: ...

    def upload(self, files: Sequence[tuple[str, Path]]) -> list[UploadOutcome]: ...


class IndexedDocuments:
    """The index's documents; uploads go through ``add_files`` (the ingest's upload inbox)."""

    def __init__(self, store: IndexStore, add_files: AddFiles | None = None) -> None:
        self._store = store
        self._add_files = add_files

    @property
    def accepts_uploads(self) -> bool:
        return self._add_files is not None

    def documents(self) -> list[DocumentRecord]:
        """The live documents, by source. Reading them also lets the chain see documents that another
        ingest added meanwhile."""
        return sorted(self._store.documents().values(), key=lambda record: record.source)

    def stories(self) -> Stories:
        """Which documents tell one story (copies and re-edits)."""
        return self._store.stories()

    def upload(self, files: Sequence[tuple[str, Path]]) -> list[UploadOutcome]:
        """Store and index uploaded files: (name the user gave, path of the received file)."""
        if self._add_files is None:
            raise RuntimeError("these documents were opened without an upload handler")
        outcomes = list(self._add_files(files))
        self._store.documents()  # the chain's store picks up the new live versions
        return outcomes
