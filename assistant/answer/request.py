"""What a caller may ask the chain: a question string or {"question", "chat_history", "retrieval_mode",
"top_k", "use_llm", "filters"}, checked and bounded before anything runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import InvalidRequestError
from assistant.retrieval.retriever import MODES
from assistant.settings import Settings
from assistant.types import Filters

MAX_HISTORY_MESSAGES = 20  # the chain reads at most the last six; older turns are never used


@dataclass(frozen=True)
class Request:
    question: str
    history: list[dict[str, str]]
    mode: str
    top_k: int
    use_llm: bool
    filters: Filters = field(default_factory=Filters)

    @classmethod
    def parse(cls, data: Any, settings: Settings) -> Request:
        if isinstance(data, str):
            data = {"question": data}
        if not isinstance(data, Mapping):
            raise InvalidRequestError('Pass {"question": "...", "chat_history": [...]} or a question string.')
        question = data.get("question")
        if not isinstance(question, str) or not question.strip():
            raise InvalidRequestError("The question is empty. Ask something about the news articles.")
        mode = data.get("retrieval_mode") or settings.retrieval_mode
        if mode not in MODES:
            raise InvalidRequestError(f"retrieval_mode must be one of {', '.join(MODES)}")
        try:
            top_k = int(data.get("top_k") or settings.top_k)
        except (TypeError, ValueError):
            raise InvalidRequestError("top_k must be a whole number") from None
        if not 1 <= top_k <= 50:
            raise InvalidRequestError("top_k must be between 1 and 50")
        return cls(
            question=" ".join(question.split())[: settings.max_question_chars],
            history=normalize_history(
                data.get("chat_history") or data.get("history") or [], settings.max_question_chars
            ),
            mode=mode,
            top_k=top_k,
            use_llm=bool(data.get("use_llm", True)),
            filters=parse_filters(data.get("filters")),
        )


FILTER_KEYS = ("published_from", "published_to", "outlets", "sources")
MAX_FILTER_VALUES = 100


def parse_filters(data: object) -> Filters:
    """``{"published_from": "2025-03-01", "published_to": "2025-03-31", "outlets": ["Bloomberg"],
    "sources": ["business/"]}``, every key optional; a wrong key or value is a clear error."""
    if data is None or isinstance(data, Filters):
        return data or Filters()
    if not isinstance(data, Mapping):
        raise InvalidRequestError(f"filters must be an object with any of {', '.join(FILTER_KEYS)}.")
    unknown = sorted(str(key) for key in data if key not in FILTER_KEYS)
    if unknown:
        raise InvalidRequestError(f"Unknown filter {', '.join(unknown)}: use {', '.join(FILTER_KEYS)}.")
    published_from = _iso_day(data.get("published_from"), "published_from")
    published_to = _iso_day(data.get("published_to"), "published_to")
    if published_from and published_to and published_from > published_to:
        raise InvalidRequestError(
            f"published_from ({published_from}) is after published_to ({published_to})."
        )
    return Filters(
        published_from,
        published_to,
        _names(data.get("outlets"), "outlets"),
        _names(data.get("sources"), "sources"),
    )


def _iso_day(value: object, name: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise InvalidRequestError(
            f"{name} must be a date like 2025-03-06, not {str(value)[:40]!r}."
        ) from None


def _names(value: object, name: str) -> tuple[str, ...]:
    if value in (None, "", [], ()):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise InvalidRequestError(f"{name} must be a list of names.")
    if len(value) > MAX_FILTER_VALUES:
        raise InvalidRequestError(f"{name} may list at most {MAX_FILTER_VALUES} values.")
    return tuple(dict.fromkeys(" ".join(item.split())[:200] for item in value if item.strip()))


def normalize_history(history: object, max_chars: int = 2000) -> list[dict[str, str]]:
    """Role/content dicts from what callers pass (dicts, LangChain messages or (user, assistant) pairs):
    the last `MAX_HISTORY_MESSAGES`, each cut to `max_chars`, so a caller cannot slip an unbounded text
    past the question's own limit."""
    if not isinstance(history, list | tuple):
        raise InvalidRequestError("chat_history must be a list of {'role': ..., 'content': ...} messages.")
    messages: list[dict[str, str]] = []
    for item in history[-MAX_HISTORY_MESSAGES:]:
        if isinstance(item, Mapping):
            role, content = str(item.get("role", "")), item.get("content", "")
        elif isinstance(item, tuple | list) and len(item) == 2:
            messages += [
                {"role": "user", "content": str(item[0])},
                {"role": "assistant", "content": str(item[1])},
            ]
            continue
        else:
            role = {"human": "user", "ai": "assistant"}.get(getattr(item, "type", ""), "")
            content = getattr(item, "content", "")
        if role in ("user", "assistant") and isinstance(content, str) and content.strip():
            messages.append({"role": role, "content": content})
    return [
        {"role": m["role"], "content": m["content"][:max_chars]} for m in messages[-MAX_HISTORY_MESSAGES:]
    ]
