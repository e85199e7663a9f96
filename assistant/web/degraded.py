"""Stand-ins for the chain and the documents when the index cannot be opened at start (a damaged file, a
Chroma server that is down): the app still starts, shows the reason, and every request gets it too,
rather than the process exiting or a question getting an invented answer. Given a way to reopen the
index, they try again (at most every few seconds) and hand over to the real chain and documents as soon
as it opens, so fixing the index needs no restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.answer.interface import AnswerChain
from assistant.errors import AssistantError, IndexUnavailableError
from assistant.index.stories import Stories
from assistant.types import Answer, DocumentRecord, UploadOutcome
from assistant.web.documents import DocumentSource

RETRY_INTERVAL_S = 5.0

Reopen = Callable[[], tuple[AnswerChain, DocumentSource]]


class Recovery:
    """The index's state while it is unavailable: the latest reason, and the reopened chain and documents
    once a retry succeeds. Retries happen on demand (a question, a page load), one at a time."""

    def __init__(self, problem: str, reopen: Reopen | None = None, interval_s: float | None = None) -> None:
        self.problem = problem
        self._reopen = reopen
        self._interval_s = RETRY_INTERVAL_S if interval_s is None else interval_s
        self._last_try = time.monotonic()
        self._opened: tuple[AnswerChain, DocumentSource] | None = None
        self._lock = threading.Lock()

    @property
    def can_recover(self) -> bool:
        return self._reopen is not None

    def opened(self) -> tuple[AnswerChain, DocumentSource] | None:
        """The real chain and documents, reopening the index if it is time to try again; None meanwhile."""
        if self._opened is not None or self._reopen is None:
            return self._opened
        with self._lock:
            if self._opened is None and time.monotonic() - self._last_try >= self._interval_s:
                self._last_try = time.monotonic()
                try:
                    self._opened = self._reopen()
                except AssistantError as exc:
                    self.problem = str(exc)
        return self._opened

    def current_problem(self) -> str:
        """Why questions cannot be answered right now; "" once the index has been reopened."""
        return "" if self.opened() is not None else self.problem


class _StandIn:
    def __init__(self, problem: str | Recovery) -> None:
        self.recovery = problem if isinstance(problem, Recovery) else Recovery(problem)

    @property
    def problem(self) -> str:
        return self.recovery.problem


class UnavailableChain(_StandIn):
    @property
    def llm_available(self) -> bool:
        opened = self.recovery.opened()
        return opened is not None and opened[0].llm_available

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Answer:
        if (opened := self.recovery.opened()) is not None:
            return opened[0].invoke(input, config, **kwargs)
        raise IndexUnavailableError(self.recovery.problem)

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Answer]:
        if (opened := self.recovery.opened()) is not None:
            yield from opened[0].stream(input, config, **kwargs)
            return
        raise IndexUnavailableError(self.recovery.problem)


class UnavailableDocuments(_StandIn):
    @property
    def accepts_uploads(self) -> bool:
        """Offer uploads when the index may come back: an upload meanwhile gets the reason."""
        return self.recovery.can_recover

    def documents(self) -> list[DocumentRecord]:
        opened = self.recovery.opened()
        return opened[1].documents() if opened is not None else []

    def stories(self) -> Stories:
        opened = self.recovery.opened()
        return opened[1].stories() if opened is not None else Stories()

    def upload(self, files: Sequence[tuple[str, Path]]) -> list[UploadOutcome]:
        if (opened := self.recovery.opened()) is not None and opened[1].accepts_uploads:
            return opened[1].upload(files)
        raise IndexUnavailableError(self.recovery.problem)
