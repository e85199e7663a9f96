"""Runs of the chain reach LangChain callbacks like any chain's: one chain run with its input and answer,
a child retriever run, child chat-model runs when the LLM answers; errors reach on_chain_error."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from assistant.errors import InvalidRequestError
from tests.answer.test_llm_chain import MINERALS, grounded_reply, llm_chain, server  # noqa: F401


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, UUID, UUID | None]] = []
        self.chain_outputs: list[Any] = []
        self.documents: list[Any] = []

    def on_chain_start(
        self, serialized: Any, inputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self.events.append(("chain_start", run_id, parent_run_id))

    def on_chain_end(
        self, outputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self.events.append(("chain_end", run_id, parent_run_id))
        self.chain_outputs.append(outputs)

    def on_chain_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self.events.append(("chain_error", run_id, parent_run_id))

    def on_retriever_start(
        self, serialized: Any, query: str, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self.events.append(("retriever_start", run_id, parent_run_id))

    def on_retriever_end(
        self, documents: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self.events.append(("retriever_end", run_id, parent_run_id))
        self.documents.append(documents)

    def on_chat_model_start(
        self,
        serialized: Any,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self.events.append(("chat_model_start", run_id, parent_run_id))

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.events]

    def root(self) -> UUID:
        return next(run for kind, run, parent in self.events if kind == "chain_start" and parent is None)


def assert_one_traced_turn(recorder: Recorder) -> None:
    assert recorder.kinds()[:1] == ["chain_start"] and recorder.kinds()[-1] == "chain_end"
    root = recorder.root()
    assert (
        "retriever_start",
        next(r for k, r, _ in recorder.events if k == "retriever_start"),
        root,
    ) in recorder.events
    assert recorder.documents and recorder.documents[0][0].metadata["source"]
    assert recorder.chain_outputs[-1]["answer"] and "citations" in recorder.chain_outputs[-1]


@pytest.mark.parametrize("how", ["invoke", "stream", "batch", "ainvoke"])
def test_every_way_of_running_the_chain_is_traced(seed_chain, how: str) -> None:
    recorder = Recorder()
    config = {"callbacks": [recorder]}
    if how == "invoke":
        seed_chain.invoke({"question": MINERALS}, config=config)
    elif how == "stream":
        list(seed_chain.stream({"question": MINERALS}, config=config))
    elif how == "batch":
        seed_chain.batch([{"question": MINERALS}], config=config)
    else:
        asyncio.run(seed_chain.ainvoke({"question": MINERALS}, config=config))
    assert_one_traced_turn(recorder)


def test_a_failure_inside_the_chain_reaches_on_chain_error(seed_chain) -> None:
    recorder = Recorder()
    with pytest.raises(InvalidRequestError):
        seed_chain.invoke({"question": "  "}, config={"callbacks": [recorder]})
    assert recorder.kinds() == ["chain_start", "chain_error"]


def test_the_llm_call_is_a_child_run(seed_index, embeddings, server) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    chain = llm_chain(seed_index, embeddings, server.base_url)
    from tests.support.fake_llm import Reply

    server.script(Reply(text=grounded_reply(chain, MINERALS)))
    recorder = Recorder()
    answer = chain.invoke({"question": MINERALS}, config={"callbacks": [recorder]})
    assert answer.answered_by.startswith("llm:")
    root = recorder.root()
    assert any(kind == "chat_model_start" and parent == root for kind, _, parent in recorder.events)
