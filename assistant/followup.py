"""Follow-up questions: decide when a question leans on the conversation, and what context to add."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.errors import InvalidRequestError
from assistant.keyword import keyword_tokens

_REFERENCE = re.compile(
    r"\b(he|she|they|them|their|theirs|him|his|her|it|its|this|that|these|those|there|then|such|the same|"
    r"the (deal|meeting|talks|plan|agreement|truce|proposal|call|conference|report|trip|visit))\b",
    re.IGNORECASE,
)
_MARKER = re.compile(r"\[\d+\]")

Message = Mapping[str, str]
MAX_HISTORY_MESSAGES = 20  # the chain reads at most the last six; older turns are never used


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


def needs_context(question: str, history: Sequence[Message]) -> bool:
    """A question that refers back ("What did they say after that meeting?") or is too short to stand
    alone."""
    if not any(m["role"] == "user" for m in history):
        return False
    return bool(_REFERENCE.search(question)) or len(keyword_tokens(question)) <= 2


def conversation_context(history: Sequence[Message], turns: int = 1) -> str:
    """The last user question(s) and the start of the last answer, without citation markers."""
    users = [m["content"] for m in history if m["role"] == "user"][-turns:]
    answers = [m["content"] for m in history if m["role"] == "assistant"][-1:]
    text = " ".join(users + [a[:300] for a in answers])
    return _MARKER.sub("", text).strip()


def format_history(history: Sequence[Message], limit: int = 6) -> str:
    return "\n".join(f"{m['role']}: {_MARKER.sub('', m['content']).strip()}" for m in history[-limit:])
