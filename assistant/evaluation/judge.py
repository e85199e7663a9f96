"""An optional LLM-as-judge for evaluations: does the answer state the expected facts? Only used when an
LLM is configured; the substring match of the harness stays the primary figure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.answer.prompts import load_prompt
from assistant.evaluation.cases import Case
from assistant.evaluation.metrics import CaseResult

_VERDICT = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


def parse_verdict(text: str) -> bool | None:
    found = _VERDICT.search(text)
    return None if found is None else found.group(1).lower() == "yes"


def judge_results(chat_model: Any, cases: Sequence[Case], results: Sequence[CaseResult]) -> float:
    """Share of answerable cases the judge accepts (an abstention or an unreadable verdict counts as no)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    prompt = load_prompt("judge")
    accepted = graded = 0
    for case, result in zip(cases, results, strict=True):
        if not case.answerable:
            continue
        graded += 1
        if result.abstained or result.error:
            continue
        system, user = prompt.render(
            question=case.question,
            expected=" and ".join(" or ".join(group) for group in case.expected_answer_contains) or "-",
            answer=result.answer,
        )
        try:
            reply = chat_model.invoke([SystemMessage(system), HumanMessage(user)])
        except Exception:  # a judge that fails does not fail the evaluation; the case counts as no
            continue
        accepted += bool(parse_verdict(str(reply.content)))
    return round(accepted / graded, 4) if graded else 0.0
