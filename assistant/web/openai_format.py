"""Newsdesk as an OpenAI-compatible "model": a chat-completions request read into the chain's request, and
the chain's answers written as OpenAI's `ChatCompletion` and `ChatCompletionChunk` (the `openai` package's
own types). Pure functions, kept apart from the HTTP routes so they are tested directly.

The answer's text carries the markers [n]; by default it ends with a "Sources" list so that a plain chat
client shows a cited answer. The citations themselves travel in an extra field: ``citations`` on the
message (on the last chunk's delta when streaming), marker [n] being ``citations[n-1]``; a ``newsdesk``
object beside ``choices`` says whether the documents answered, what answered and any notice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import InvalidRequestError
from assistant.text.published import source_line
from assistant.types import Answer, answer_payload

MODEL_ID = "newsdesk"
SOURCES_HEADING = "**Sources**"
_FOOTER = f"\n\n{SOURCES_HEADING}\n"
MAX_MESSAGES = 200


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ApiMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart | dict[str, Any]] | None = None

    def text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        if any(not isinstance(part, TextPart) for part in self.content):
            raise InvalidRequestError("Only text message content is supported (no images, audio or files).")
        return "\n".join(part.text for part in self.content if isinstance(part, TextPart))


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ApiRequest(BaseModel):
    """The fields of a chat-completions request Newsdesk reads. OpenAI's sampling parameters
    (temperature, max_tokens, ...) are accepted and ignored: the answer is retrieved and cited, not
    sampled. The Newsdesk extensions (``filters``, ``top_k``, ``retrieval_mode``, ``use_llm``,
    ``sources_in_content``) go in the body beside them (``extra_body`` in the openai client)."""

    model_config = ConfigDict(extra="ignore")

    model: str = MODEL_ID
    messages: list[ApiMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = 1
    filters: dict[str, Any] | None = None
    top_k: int | None = None
    retrieval_mode: str | None = None
    use_llm: bool | None = None
    sources_in_content: bool = True

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


def parse_request(body: object) -> ApiRequest:
    """The request's JSON body, checked; an InvalidRequestError names the first problem."""
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object with 'model' and 'messages'.")
    try:
        request = ApiRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidRequestError(f"Invalid '{where}': {first['msg']}.") from None
    if request.n != 1:
        raise InvalidRequestError("Only n=1 is supported: Newsdesk gives one answer per question.")
    return request


def chain_request(request: ApiRequest) -> dict[str, Any]:
    """The chain's request: the last message (a user's) is the question, the user and assistant messages
    before it the history; system messages are not read (the answer's rules are Newsdesk's own)."""
    last = request.messages[-1]
    if last.role != "user":
        raise InvalidRequestError("The last message must be the user's question (role 'user').")
    question = last.text()
    if not question.strip():
        raise InvalidRequestError("The question is empty. Ask something about the news articles.")
    history = [
        {"role": message.role, "content": _without_sources(message.text())}
        for message in request.messages[:-1]
        if message.role in ("user", "assistant")
    ]
    chain_input: dict[str, Any] = {"question": question, "chat_history": history}
    for name in ("filters", "top_k", "retrieval_mode", "use_llm"):
        value = getattr(request, name)
        if value is not None:
            chain_input[name] = value
    return chain_input


def _without_sources(content: str) -> str:
    """An earlier answer as the chain should read it: without the Sources list this module appended."""
    return content.split(_FOOTER, 1)[0]


def answer_content(answer: Answer, *, with_sources: bool = True) -> str:
    """The answer as a plain client shows it: the text with its markers, the notice, the sources."""
    parts = [answer.answer]
    if answer.unsupported:
        claims = "; ".join(f"“{claim}”" for claim in answer.unsupported)
        parts.append(f"⚠️ Not matched to the passage it cites: {claims}")
    if answer.notice:
        parts.append(f"_{answer.notice}_")
    text = "\n\n".join(parts)
    if with_sources and answer.citations:
        lines = [
            f"[{number}] {c.title} — {source_line(c.outlet, c.published)} ({c.source})"
            for number, c in enumerate(answer.citations, 1)
        ]
        text += _FOOTER + "\n".join(lines)
    return text


def citations_field(answer: Answer) -> list[dict[str, Any]]:
    """Marker [n] is element n-1: source, title, quote, start, end, score, outlet, published, also_in."""
    return answer_payload(answer)["citations"]


def newsdesk_field(answer: Answer) -> dict[str, Any]:
    return {
        "abstained": answer.abstained,
        "answered_by": answer.answered_by,
        "question": answer.question,
        "notice": answer.notice,
        "unsupported": list(answer.unsupported),
    }


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def chat_completion(answer: Answer, request: ApiRequest, usage: Usage) -> Any:
    """The whole answer as OpenAI's ChatCompletion."""
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion, ChatCompletionMessage
    from openai.types.chat.chat_completion import Choice

    content = answer_content(answer, with_sources=request.sources_in_content)
    message = ChatCompletionMessage(role="assistant", content=content, citations=citations_field(answer))
    return ChatCompletion(
        id=completion_id(),
        object="chat.completion",
        created=int(time.time()),
        model=request.model,
        choices=[Choice(index=0, message=message, finish_reason="stop", logprobs=None)],
        usage=CompletionUsage(**usage.counts(content)),
        newsdesk=newsdesk_field(answer),
    )


@dataclass(frozen=True)
class Usage:
    """Token counts in OpenAI's sense: the messages read and the content written (cl100k_base)."""

    count: Callable[[str], int]
    prompt_tokens: int

    @classmethod
    def of(cls, request: ApiRequest, count: Callable[[str], int]) -> Usage:
        return cls(count, sum(count(message.text()) for message in request.messages if message.content))

    def counts(self, content: str) -> dict[str, int]:
        completion = self.count(content)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }


@dataclass
class ChunkWriter:
    """Turns the chain's growing answers into OpenAI stream chunks whose deltas only ever append.

    A streamed answer's text grows; the final answer normally extends what was sent. When it does not
    (the LLM's draft was replaced by the offline answer, or turned into an abstention), the last chunk
    says so and appends the final answer in full; ``newsdesk.replaces_streamed_text`` tells smart
    clients to show only the final answer."""

    request: ApiRequest
    usage: Usage
    id: str = field(default_factory=completion_id)
    created: int = field(default_factory=lambda: int(time.time()))
    sent: str = ""

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> Any:
        from openai.types.chat import ChatCompletionChunk
        from openai.types.chat.chat_completion_chunk import Choice, ChoiceDelta

        return ChatCompletionChunk(
            id=self.id,
            object="chat.completion.chunk",
            created=self.created,
            model=self.request.model,
            choices=[Choice(index=0, delta=ChoiceDelta(**delta), finish_reason=finish_reason)],
            **extra,
        )

    def opening(self) -> Any:
        return self._chunk({"role": "assistant", "content": ""})

    def partial(self, answer: Answer) -> Any | None:
        """The text the growing answer added since the last chunk; None when it added nothing."""
        text = answer.answer
        if not text.startswith(self.sent) or len(text) == len(self.sent):
            return None
        delta, self.sent = text[len(self.sent) :], text
        return self._chunk({"content": delta})

    def final(self, answer: Answer) -> list[Any]:
        """The last chunk (the rest of the text, the sources, the citations, finish_reason "stop"), and
        the usage chunk when the request asked for it."""
        content = answer_content(answer, with_sources=self.request.sources_in_content)
        replaced = not content.startswith(self.sent)
        rest = (
            f"\n\n---\n**Final answer:**\n\n{content}"
            if replaced and self.sent
            else content[len(self.sent) :]
        )
        extra = newsdesk_field(answer) | {"replaces_streamed_text": replaced and bool(self.sent)}
        chunks = [
            self._chunk({"content": rest, "citations": citations_field(answer)}, "stop", newsdesk=extra)
        ]
        self.sent += rest
        if self.request.include_usage:
            from openai.types import CompletionUsage

            chunk = self._chunk({}, None, usage=CompletionUsage(**self.usage.counts(self.sent)))
            chunk.choices = []
            chunks.append(chunk)
        return chunks


@dataclass(frozen=True)
class ApiError:
    """An OpenAI-style error: ``{"error": {"message", "type", "param", "code"}}`` with its HTTP status."""

    status: int
    message: str
    code: str
    type: str = "invalid_request_error"
    param: str | None = None

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "invalid_request")


def unknown_model(model: str) -> ApiError:
    shown = model[:80]
    return ApiError(
        404,
        f"The model '{shown}' does not exist; this server answers as '{MODEL_ID}'.",
        "model_not_found",
        param="model",
    )
