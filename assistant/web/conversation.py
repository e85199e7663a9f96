"""One chat conversation as the browser holds it, and a turn of it streamed through the chain.

Kept apart from Gradio so it is tested directly: the app only maps a `ChatView` onto its components."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.answer.interface import AnswerChain
from assistant.errors import AssistantError, InvalidRequestError
from assistant.types import Answer
from assistant.web.render import (
    TurnSources,
    answer_markdown,
    safe_markdown,
    sources_panel,
    status_markdown,
    turn_sources,
)

Message = dict[str, str]


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """What the settings accordion chooses for the next question."""

    top_k: int | None = None
    retrieval_mode: str | None = None
    use_llm: bool = True
    filters: dict[str, Any] | None = None  # as the chain takes them; checked there

    def request(self, question: str, history: tuple[Message, ...]) -> dict[str, Any]:
        request: dict[str, Any] = {"question": question, "chat_history": list(history)}
        request["use_llm"] = self.use_llm
        if self.top_k:
            request["top_k"] = int(self.top_k)
        if self.retrieval_mode:
            request["retrieval_mode"] = self.retrieval_mode
        if self.filters:
            request["filters"] = self.filters
        return request


def page_filters(
    published_from: str, published_to: str, outlets: list[str] | None, sources: str
) -> dict[str, Any]:
    """The filters the settings panel sets: dates as typed, the outlets picked, source prefixes separated
    by commas; empty fields are no filter."""
    filters: dict[str, Any] = {
        "published_from": (published_from or "").strip(),
        "published_to": (published_to or "").strip(),
        "outlets": list(outlets or []),
        "sources": [part.strip() for part in (sources or "").split(",") if part.strip()],
    }
    return {key: value for key, value in filters.items() if value}


@dataclass(frozen=True, slots=True)
class Conversation:
    """What the page keeps between turns. ``history`` is what the chain sees (answers with plain [n]
    markers); ``messages`` is what the chat shows (rendered, markers linked to their source cards)."""

    history: tuple[Message, ...] = ()
    messages: tuple[Message, ...] = ()
    sources: tuple[TurnSources, ...] = ()

    @property
    def turns(self) -> int:
        return len(self.sources)


@dataclass(frozen=True, slots=True)
class ChatView:
    """Everything the page shows after one step of a turn."""

    conversation: Conversation
    status: str
    done: bool
    answer: Answer | None = field(default=None, compare=False)

    @property
    def messages(self) -> list[Message]:
        return [dict(m) for m in self.conversation.messages]

    @property
    def sources_html(self) -> str:
        return sources_panel(self.conversation.sources)


def respond(
    chain: AnswerChain, conversation: Conversation, question: str, options: ChatOptions
) -> Iterator[ChatView]:
    """Stream one turn: the user's message at once, then the growing answer, then the answer with its
    linked markers, its source cards and the note of what answered.

    Raises AssistantError when the chain refuses the request (an empty question, a missing index); the
    caller then keeps the conversation it had."""
    question = " ".join(question.split())
    if not question:
        raise InvalidRequestError("Type a question about the news articles first.")
    turn = conversation.turns + 1
    asked = (*conversation.messages, {"role": "user", "content": safe_markdown(question)})
    yield ChatView(replace(conversation, messages=asked), "Answering…", done=False)
    answer: Answer | None = None
    for answer in chain.stream(options.request(question, conversation.history)):
        if answer.done:
            break
        shown = (*asked, {"role": "assistant", "content": answer_markdown(answer, turn)})
        yield ChatView(replace(conversation, messages=shown), "Answering…", done=False, answer=answer)
    if answer is None:
        raise AssistantError("The assistant returned no answer.")
    final = Conversation(
        history=(
            *conversation.history,
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer.answer},
        ),
        messages=(*asked, {"role": "assistant", "content": answer_markdown(answer, turn)}),
        sources=(*conversation.sources, turn_sources(answer, turn, question)),
    )
    yield ChatView(final, status_markdown(answer), done=True, answer=answer)
