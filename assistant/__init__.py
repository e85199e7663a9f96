"""Newsdesk: answers about news articles with cited passages.

from assistant import build_chain, as_retriever, Answer, Citation
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from assistant.answer.chain import NewsdeskChain, build_chain
    from assistant.retrieval.langchain import NewsdeskRetriever
    from assistant.settings import Settings

__all__ = [
    "Answer",
    "Citation",
    "NewsdeskChain",
    "NewsdeskRetriever",
    "Passage",
    "as_retriever",
    "build_chain",
]


def as_retriever(settings: Settings | None = None, **options: Any) -> NewsdeskRetriever:
    """Newsdesk's retrieval as a LangChain retriever over the index the settings name (default: the
    environment's): ``as_retriever(k=3, filters=...)``."""
    from assistant.answer.chain import build_services
    from assistant.retrieval.langchain import NewsdeskRetriever

    return NewsdeskRetriever(retriever=build_services(settings).retriever, **options)


def __getattr__(name: str) -> Any:
    # The chain pulls in LangChain and Chroma: import it only when asked for.
    if name in ("build_chain", "NewsdeskChain"):
        from assistant.answer import chain

        return getattr(chain, name)
    if name == "NewsdeskRetriever":
        from assistant.retrieval.langchain import NewsdeskRetriever

        return NewsdeskRetriever
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
