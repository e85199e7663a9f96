"""What the page is handed: the settings, the answering chain and the documents, and the state of an
index that could not be opened. The page builds nothing itself; `app.py` wires the real services, and
`unavailable_services` gives stand-ins that say why and recover by themselves."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.interface import AnswerChain
from assistant.settings import Settings
from assistant.web.degraded import Recovery, Reopen, UnavailableChain, UnavailableDocuments
from assistant.web.documents import DocumentSource


@dataclass(frozen=True)
class AppServices:
    settings: Settings
    chain: AnswerChain
    documents: DocumentSource
    recovery: Recovery | None = None  # set when the index could not be opened at start

    @property
    def problem(self) -> str:
        """Why questions cannot be answered right now ("" when they can)."""
        return self.recovery.current_problem() if self.recovery else ""


def unavailable_services(settings: Settings, problem: str, reopen: Reopen | None = None) -> AppServices:
    """Stand-ins that give every request `problem`; with `reopen`, they retry and recover by themselves."""
    recovery = Recovery(problem, reopen)
    return AppServices(settings, UnavailableChain(recovery), UnavailableDocuments(recovery), recovery)
