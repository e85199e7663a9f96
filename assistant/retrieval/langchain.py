"""Newsdesk's hybrid retrieval as a LangChain retriever, for a user's own chains and agent tools: the same
search the chain runs (dense and keyword, fused, one passage per story, widened to whole sentences),
each passage a `Document`.

    from assistant import as_retriever
    docs = as_retriever(k=3).invoke("What conditions did the US attach to the minerals deal?")
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.text.question import analyse_question
from assistant.types import Filters, Passage


class NewsdeskRetriever(BaseRetriever):
    """The k best passages for a query; ``k``, ``mode`` and ``filters`` may also be given per call
    (``retriever.invoke(query, k=2)``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any = Field(description="The project's Retriever (assistant.retrieval.retriever)")
    k: int = Field(default=5, ge=1, le=50, description="How many passages a query returns.")
    mode: str | None = Field(default=None, description="hybrid, dense or keyword (default: the settings')")
    filters: Filters | None = Field(default=None, description="Which documents may be returned.")

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        mode: str | None = None,
        filters: Filters | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        passages = self.retriever.search(
            analyse_question(query),
            k=k or self.k,
            mode=mode or self.mode,
            filters=filters or self.filters,
        )
        return [as_document(passage) for passage in passages]

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        **kwargs: Any,
    ) -> list[Document]:
        import asyncio

        return await asyncio.to_thread(
            self._get_relevant_documents, query, run_manager=run_manager.get_sync(), **kwargs
        )


def as_document(passage: Passage) -> Document:
    """A retrieved passage as a LangChain Document; its metadata say where it stands and where from."""
    chunk = passage.chunk
    metadata = {
        "source": passage.source,
        "title": passage.title,
        "chunk_id": chunk.id,
        "start": passage.start,
        "end": passage.end,
        "score": round(passage.score, 6),
        "outlet": passage.outlet,
        "published": passage.published,
    }
    return Document(page_content=passage.text, metadata=metadata, id=chunk.id)
