"""Newsdesk: answers about news articles with cited passages.

from assistant import build_chain, Answer, Citation
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from assistant.answer.chain import NewsdeskChain, build_chain

__all__ = ["Answer", "Citation", "NewsdeskChain", "Passage", "build_chain"]


def __getattr__(name: str) -> Any:
    # The chain pulls in LangChain and Chroma: import it only when asked for.
    if name in ("build_chain", "NewsdeskChain"):
        from assistant.answer import chain

        return getattr(chain, name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
