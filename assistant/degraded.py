"""Stand-ins for the chain and the library when the index cannot be opened at start (a damaged file, a
Chroma server that is down): the app still starts, shows the reason, and every request gets it too,
rather than the process exiting or a question getting an invented answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.errors import IndexUnavailableError
from assistant.types import Answer, DocumentRecord


class UnavailableChain:
    llm_available = False

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Answer:
        raise IndexUnavailableError(self.problem)

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Answer]:
        raise IndexUnavailableError(self.problem)
        yield  # a generator, like the chain's stream


class UnavailableLibrary:
    accepts_uploads = False

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def documents(self) -> list[DocumentRecord]:
        return []
