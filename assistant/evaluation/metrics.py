"""Scoring the chain on test prompts: each case's answer, retrieval and citations against what is known
to be right, and the figures over a run. Answer, retrieval and citation figures are over the answerable
cases; abstention figures over all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.errors import AssistantError
from assistant.evaluation.cases import Case
from assistant.retrieval.filtered import admits
from assistant.types import Answer


def answer_matches(answer: str, groups: Sequence[Sequence[str]]) -> bool:
    text = answer.lower()
    return all(any(alternative.lower() in text for alternative in group) for group in groups)


def first_rank(sources: Sequence[str], expected: Sequence[str]) -> int | None:
    for rank, source in enumerate(sources, start=1):
        if source in expected:
            return rank
    return None


@dataclass
class CaseResult:
    id: str
    question: str
    answerable: bool
    abstained: bool
    answer: str
    answered_by: str
    expected_sources: list[str]
    expected_answer_contains: list[list[str]]
    retrieved_sources: list[str]
    cited_sources: list[str]
    correct: bool
    retrieved_rank: int | None
    cited_rank: int | None
    citation_precision: float | None
    citation_recall: float | None
    support_rate: float | None
    latency_ms: float
    notice: str = ""
    error: str = ""
    within_rate: float | None = None  # share of the citations inside the case's "within"
    order_rate: float | None = None  # share of the case's expected_order pairs the answer keeps in order

    @property
    def failed(self) -> bool:
        if self.error:
            return True
        if not self.answerable:
            return not self.abstained
        return not self.correct or self.retrieved_rank != 1 or (self.citation_precision or 0) < 1


def score_case(case: Case, answer: Answer, latency_ms: float) -> CaseResult:
    retrieved: list[str] = list(dict.fromkeys(p.source for p in answer.passages))
    cited = [c.source for c in answer.citations]
    expected = list(case.expected_sources)
    precision = recall = support = None
    if case.answerable and cited:
        precision = sum(source in expected for source in cited) / len(cited)
    if case.answerable and expected:
        recall = len(set(cited) & set(expected)) / len(set(expected))
    sentences = (
        len(answer.citations) + len(answer.unsupported) if answer.answered_by.startswith("llm") else None
    )
    if not answer.abstained:
        support = 1.0 if sentences is None else (1 - len(answer.unsupported) / max(1, sentences))
    return CaseResult(
        id=case.id,
        question=case.question,
        answerable=case.answerable,
        abstained=answer.abstained,
        answer=answer.answer,
        answered_by=answer.answered_by,
        expected_sources=expected,
        expected_answer_contains=[list(g) for g in case.expected_answer_contains],
        retrieved_sources=retrieved,
        cited_sources=cited,
        correct=case.answerable
        and not answer.abstained
        and answer_matches(answer.answer, case.expected_answer_contains),
        retrieved_rank=first_rank(retrieved, expected) if case.answerable else None,
        cited_rank=first_rank(list(dict.fromkeys(cited)), expected) if case.answerable else None,
        citation_precision=precision,
        citation_recall=recall,
        support_rate=support,
        latency_ms=round(latency_ms, 2),
        notice=answer.notice,
        within_rate=within_rate(case, answer),
        order_rate=order_rate(case, answer.answer),
    )


def order_rate(case: Case, answer: str) -> float | None:
    """For a timeline case: the share of pairs of expected phrases that the answer holds in the expected
    order (a missing phrase breaks its pairs); None for other cases."""
    phrases = case.expected_order
    if len(phrases) < 2:
        return None
    text = answer.lower()
    positions = [text.find(phrase.lower()) for phrase in phrases]
    pairs = [(a, b) for i, a in enumerate(positions) for b in positions[i + 1 :]]
    return sum(0 <= a < b for a, b in pairs) / len(pairs)


def within_rate(case: Case, answer: Answer) -> float | None:
    """The share of the answer's citations inside the case's "within" (None when the case sets none or
    nothing is cited): a filter is a promise, so anything under 1 is a broken one."""
    if case.within is None or not answer.citations:
        return None
    inside = [admits(case.within, c.source, c.outlet, c.published) for c in answer.citations]
    return sum(inside) / len(inside)


def run_cases(chain: Any, cases: Sequence[Case], overrides: dict[str, Any] | None = None) -> list[CaseResult]:
    results = []
    for case in cases:
        request = {"question": case.question, "chat_history": list(case.history), **(overrides or {})}
        if case.filters.active:
            request["filters"] = case.filters
        started = time.perf_counter()
        try:
            answer = chain.invoke(request)
        except AssistantError as exc:
            results.append(_error_result(case, str(exc), (time.perf_counter() - started) * 1000))
            continue
        results.append(score_case(case, answer, (time.perf_counter() - started) * 1000))
    return results


def _error_result(case: Case, message: str, latency_ms: float) -> CaseResult:
    return CaseResult(
        case.id, case.question, case.answerable, False, "", "", list(case.expected_sources),
        [list(g) for g in case.expected_answer_contains], [], [], False, None, None, None, None, None,
        round(latency_ms, 2), error=message,
    )  # fmt: skip


def _mean(values: Iterable[float | None]) -> float:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 2)


@dataclass
class Metrics:
    cases: int
    answerable: int
    hit_at_1: float
    hit_at_3: float
    mrr: float
    cited_hit_at_1: float
    cited_hit_at_3: float
    cited_mrr: float
    answer_accuracy: float
    citation_precision: float
    citation_recall: float
    abstention_accuracy: float
    unanswerable_abstained: float
    answerable_answered: float
    support_rate: float
    filter_compliance: float  # share of citations inside the filter, over the cases that set "within"
    order_accuracy: float  # timelines: share of expected pairs in order, over the cases that set one
    latency_p50_ms: float
    latency_p95_ms: float
    errors: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_metrics(results: Sequence[CaseResult]) -> Metrics:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]

    def hit(rank: int | None, k: int) -> float:
        return 1.0 if rank is not None and rank <= k else 0.0

    def reciprocal(rank: int | None) -> float:
        return 1.0 / rank if rank else 0.0

    return Metrics(
        cases=len(results),
        answerable=len(answerable),
        hit_at_1=_mean(hit(r.retrieved_rank, 1) for r in answerable),
        hit_at_3=_mean(hit(r.retrieved_rank, 3) for r in answerable),
        mrr=_mean(reciprocal(r.retrieved_rank) for r in answerable),
        cited_hit_at_1=_mean(hit(r.cited_rank, 1) for r in answerable),
        cited_hit_at_3=_mean(hit(r.cited_rank, 3) for r in answerable),
        cited_mrr=_mean(reciprocal(r.cited_rank) for r in answerable),
        answer_accuracy=_mean(float(r.correct) for r in answerable),
        citation_precision=_mean(r.citation_precision for r in answerable),
        citation_recall=_mean(r.citation_recall for r in answerable),
        abstention_accuracy=_mean(float(r.abstained != r.answerable) for r in results),
        unanswerable_abstained=_mean(float(r.abstained) for r in unanswerable),
        answerable_answered=_mean(float(not r.abstained) for r in answerable),
        support_rate=_mean(r.support_rate for r in results),
        filter_compliance=_mean(r.within_rate for r in results)
        if any(r.within_rate is not None for r in results)
        else 1.0,
        order_accuracy=_mean(r.order_rate for r in results)
        if any(r.order_rate is not None for r in results)
        else 1.0,
        latency_p50_ms=percentile([r.latency_ms for r in results], 50),
        latency_p95_ms=percentile([r.latency_ms for r in results], 95),
        errors=sum(bool(r.error) for r in results),
    )
