"""The LangChain retriever: LangChain's standard retriever suite (langchain-tests) on the real seed index,
and what its documents carry."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.retrieval.langchain import NewsdeskRetriever
from assistant.settings import Settings

MINERALS = "What conditions did the US attach to the minerals deal?"


@pytest.fixture(scope="module")
def seed_retriever(seed_index: Settings, embeddings) -> Any:  # type: ignore[no-untyped-def]
    from assistant.answer.chain import build_services

    return build_services(seed_index, embeddings=embeddings).retriever


class TestNewsdeskRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _use_the_seed_index(self, seed_retriever: Any) -> None:
        type(self).seed = seed_retriever

    @property
    def retriever_constructor(self) -> type[NewsdeskRetriever]:
        return NewsdeskRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self.seed, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return MINERALS


def test_documents_say_where_they_stand_and_the_chain_offers_the_same_retriever(
    seed_index: Settings, embeddings
) -> None:  # type: ignore[no-untyped-def]
    from assistant import build_chain

    chain = build_chain(seed_index, embeddings=embeddings)
    documents = chain.as_retriever(k=2).invoke(MINERALS)
    assert len(documents) == 2 and documents[0].metadata["source"] == "003_06470abda2abc466.txt"
    meta = documents[0].metadata
    text = chain.services.store.document_text(meta["source"])
    assert text is not None and text[meta["start"] : meta["end"]] == documents[0].page_content
    assert {"title", "chunk_id", "score", "outlet", "published"} <= meta.keys()
    keyword = chain.as_retriever(k=1, mode="keyword").invoke(MINERALS)
    assert len(keyword) == 1
