"""The answering chain's shape, declared once: what the page, the API and the evaluation rely on. The real
chain (`NewsdeskChain`) has it, and so does the stand-in that the app serves while the index is away."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from assistant.types import Answer


class AnswerChain(Protocol):
    @property
    def llm_available(self) -> bool:
        """Whether an LLM is configured, so a request may ask for it."""
        ...

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Answer:
        """The finished answer to {"question", "chat_history", ...} or a question string."""
        ...

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Iterator[Answer]:
        """Answers whose text grows; the last one (done=True) carries the citations."""
        ...
