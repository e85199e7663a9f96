"""Test prompts whose right answers are known, one JSON case per line:

    {"id", "question", "history", "expected_sources", "expected_answer_contains", "answerable"}

and optionally "filters" (passed with the question, as a caller would: {"published_from",
"published_to", "outlets", "sources"}), "within" (the same keys: where every citation must come
from, for a filter or a period the question names) and "expected_order" (phrases a timeline must hold
in this order). An answer matches when it did not abstain and
every group of expected_answer_contains has at least one alternative in it (case-insensitive)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer.request import parse_filters
from assistant.errors import AssistantError
from assistant.types import Filters

CASE_KEYS = {"id", "question", "history", "expected_sources", "expected_answer_contains", "answerable"}


class InvalidCasesError(AssistantError):
    """A test-prompt file does not follow the format."""


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    history: tuple[dict[str, str], ...]
    expected_sources: tuple[str, ...]
    expected_answer_contains: tuple[tuple[str, ...], ...]
    answerable: bool
    filters: Filters = field(default_factory=Filters)
    within: Filters | None = None  # where every citation must come from
    expected_order: tuple[str, ...] = ()  # phrases the answer must hold in this order (a timeline)


def parse_case(data: Any, where: str) -> Case:
    if not isinstance(data, dict):
        raise InvalidCasesError(f"{where}: a case must be a JSON object")
    missing = CASE_KEYS - data.keys()
    if missing:
        raise InvalidCasesError(f"{where}: missing {', '.join(sorted(missing))}")
    history = data["history"]
    if not isinstance(history, list) or any(
        not isinstance(m, dict)
        or m.get("role") not in ("user", "assistant")
        or not isinstance(m.get("content"), str)
        for m in history
    ):
        raise InvalidCasesError(
            f'{where}: history must be a list of {{"role": "user"|"assistant", "content": str}}'
        )
    groups = data["expected_answer_contains"]
    if not isinstance(groups, list) or any(
        not isinstance(g, list) or not g or any(not isinstance(a, str) for a in g) for g in groups
    ):
        raise InvalidCasesError(
            f"{where}: expected_answer_contains must be a list of non-empty lists of strings"
        )
    if not isinstance(data["question"], str) or not isinstance(data["answerable"], bool):
        raise InvalidCasesError(f"{where}: question must be a string and answerable a boolean")
    return Case(
        id=str(data["id"]),
        question=data["question"],
        history=tuple(history),
        expected_sources=tuple(data["expected_sources"]),
        expected_answer_contains=tuple(tuple(g) for g in groups),
        answerable=data["answerable"],
        filters=_filters(data.get("filters"), f"{where}: filters"),
        within=_filters(data["within"], f"{where}: within") if "within" in data else None,
        expected_order=_phrases(data.get("expected_order", []), f"{where}: expected_order"),
    )


def _phrases(data: Any, where: str) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(item, str) and item for item in data):
        raise InvalidCasesError(f"{where} must be a list of non-empty strings")
    return tuple(data)


def _filters(data: Any, where: str) -> Filters:
    try:
        return parse_filters(data)
    except AssistantError as exc:
        raise InvalidCasesError(f"{where}: {exc}") from None


def load_cases(paths: Iterable[Path]) -> list[Case]:
    cases: list[Case] = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InvalidCasesError(f"Cannot read {path}: {exc.strerror}") from exc
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidCasesError(f"{path}:{number}: not JSON ({exc.msg})") from exc
                cases.append(parse_case(data, f"{path}:{number}"))
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidCasesError(f"duplicate case ids: {', '.join(duplicates)}")
    return cases
