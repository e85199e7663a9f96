"""Stories: documents that are copies or light re-edits of one report (a wire story reprinted, an update
under a new headline) share a story id. Ingest computes them (ingest.stories); they are kept in one file
beside the index, ``stories-<collection>.npz``: each live document's version, its MinHash signature (so
that a new or edited document joins or leaves a story without re-reading the others) and its story.

Like the keyword index they are derived data: a missing or damaged file means every document is its own
story until the next ingest computes them again."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stories:
    """Which documents tell one story. ``story`` maps a source to its story id (the source of its first
    member); documents not in it are stories of their own."""

    story: Mapping[str, str] = field(default_factory=dict)
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # story id -> its sources, sorted

    @classmethod
    def of(cls, story: Mapping[str, str]) -> Stories:
        grouped: dict[str, list[str]] = {}
        for source, story_id in story.items():
            grouped.setdefault(story_id, []).append(source)
        return cls(dict(story), {story_id: tuple(sorted(sources)) for story_id, sources in grouped.items()})

    def of_source(self, source: str) -> str:
        return self.story.get(source, source)

    def others(self, source: str) -> tuple[str, ...]:
        """The other documents of the source's story."""
        return tuple(s for s in self.members.get(self.of_source(source), ()) if s != source)

    @property
    def shared(self) -> int:
        """Stories told by more than one document."""
        return sum(len(sources) > 1 for sources in self.members.values())

    @property
    def documents_shared(self) -> int:
        """Documents whose story another document tells too."""
        return sum(len(sources) for sources in self.members.values() if len(sources) > 1)


@dataclass(frozen=True)
class StoryEntry:
    version: str
    signature: np.ndarray  # uint64 MinHash values
    story: str


class StoryStore:
    """The stories file of one index: read whole, written whole and atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, StoryEntry]:
        """The entries by source; {} when the file is missing or damaged (logged)."""
        try:
            with np.load(self.path, allow_pickle=False) as data:
                header = json.loads(bytes(data["header"]).decode())
                signatures = data["signatures"]
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError) as exc:
            log.warning("the stories file %s is unreadable (%s); it is computed again", self.path, exc)
            return {}
        return {
            source: StoryEntry(version, signatures[i], story)
            for i, (source, version, story) in enumerate(header["entries"])
        }

    def write(self, entries: Mapping[str, StoryEntry]) -> None:
        ordered = sorted(entries.items())
        header = {"entries": [[source, entry.version, entry.story] for source, entry in ordered]}
        width = len(ordered[0][1].signature) if ordered else 0
        signatures = np.array([entry.signature for _, entry in ordered], dtype=np.uint64).reshape(-1, width)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".stories-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as file:
                np.savez(
                    file,
                    header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
                    signatures=signatures,
                )
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def stories(self, live: Mapping[str, str]) -> Stories:
        """The stories of the live documents (source -> version): an entry for another version is stale
        and its document is a story of its own until the next ingest."""
        entries = self.read()
        return Stories.of(
            {source: entry.story for source, entry in entries.items() if live.get(source) == entry.version}
        )
