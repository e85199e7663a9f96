"""Talking to the LLM: the passages and history fenced as data, and a streamed completion held to a hard
time budget. What its answer may claim is checked in assistant.answer.grounding."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from assistant.errors import AssistantError
from assistant.providers import classify_llm_error
from assistant.text.injection import CHAT_TEMPLATE_TOKEN
from assistant.text.question import MARKER
from assistant.types import Passage

log = logging.getLogger(__name__)

_FENCE = re.compile(r"<\s*/?\s*passages?\b[^>]*>", re.IGNORECASE)
_CONTROL_TOKEN = re.compile(CHAT_TEMPLATE_TOKEN + r"|</?s>", re.IGNORECASE)
_TAG_START = re.compile(r"<(?=[/!?|a-zA-Z])")


class LLMFailure(AssistantError):
    """The model did not deliver an answer in time; ``kind`` is a short label safe to show users."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def fence_passages(passages: Sequence[Passage]) -> str:
    """Numbered passages as data. Text that could close or fake the fence, a chat-template control token
    or any other tag is neutralized; so is a quote in a title or file name that could forge an attribute."""
    blocks = []
    for number, passage in enumerate(passages, start=1):
        text = as_data(passage.text)
        title = as_data(_FENCE.sub("", passage.title)).replace('"', "'")
        source = as_data(passage.source).replace('"', "'")
        facts = "".join(
            f' {name}="{_attribute(value)}"'
            for name, value in (("outlet", passage.outlet), ("published", passage.published))
            if value
        )
        blocks.append(f'<passage id="{number}" source="{source}" title="{title}"{facts}>\n{text}\n</passage>')
    return "\n".join(blocks)


def _attribute(value: str) -> str:
    """Metadata as an attribute value: nothing in it can close the attribute or the tag."""
    return re.sub(r'[<>"&]', "'", " ".join(as_data(_FENCE.sub("", value)).split()))[:200]


def as_data(text: str) -> str:
    """Document text that cannot pose as markup: fence tags and control tokens become "[removed tag]", and
    the "<" of anything else tag-like ("<system>", "</s", "<!--") becomes "&lt;"."""
    text = _CONTROL_TOKEN.sub("[removed tag]", _FENCE.sub("[removed tag]", text))
    return _TAG_START.sub("&lt;", text)


def format_history(history: Sequence[Mapping[str, str]], limit: int = 6) -> str:
    """The last turns as the LLM reads them, without citation markers."""
    return "\n".join(f"{m['role']}: {MARKER.sub('', m['content']).strip()}" for m in history[-limit:])


# --- streaming under a budget ---------------------------------------------------------------------------
def stream_completion(
    model: Any, messages: list[Any], *, deadline: float, max_retries: int, config: Any = None
) -> Iterator[str]:
    """Text deltas from ``model.stream(messages)``; raises LLMFailure on any error or when ``deadline``
    (time.monotonic) passes. The model runs in a worker thread so a hung connection cannot hold the
    caller past the deadline; retries happen only before any text arrived."""
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        attempt = 0
        while True:
            produced = False
            try:
                for chunk in model.stream(messages, config=config):
                    if stop.is_set():
                        return
                    text = chunk.content if isinstance(chunk.content, str) else ""
                    if text:
                        produced = True
                        events.put(("text", text))
                events.put(("done", None))
                return
            except Exception as exc:
                error = classify_llm_error(exc, partial=produced)
                wait = error.retry_after or 0.5 * 2**attempt
                if (
                    produced
                    or attempt >= max_retries
                    or not error.retryable
                    or time.monotonic() + wait >= deadline
                ):
                    events.put(("error", LLMFailure(error.kind)))
                    return
                log.info(
                    "LLM attempt %d failed (%s); retrying in %.1f s", attempt + 1, type(exc).__name__, wait
                )
                if stop.wait(wait):
                    return
                attempt += 1

    threading.Thread(target=work, name="llm-stream", daemon=True).start()
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                kind, value = events.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                raise LLMFailure("took longer than the time budget") from None
            if kind == "text":
                yield value
            elif kind == "done":
                return
            else:
                raise value
    finally:
        stop.set()
