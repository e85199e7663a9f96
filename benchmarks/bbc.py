"""BBC News (2,225 real articles, ../shared/bench/bbc): the whole chain on a real news folder, beside the
LangChain tutorial retriever.

    python -m benchmarks.bbc [--cases FILE.jsonl] [--min METRIC=VALUE ...] [--json]

1. The folder is ingested into build/bench/bbc-index (kept between runs: a second run is a no-op; the
   ingest's own figures are in benchmarks.ingest_throughput).
2. The cases (default: the 60 public dev cases) run through the evaluation harness twice: cold (a
   chain just opened, so the first question pays for cold caches) and warm.
3. Retrieval alone, for the answerable cases: is a right document first / in the top 3, and does the
   first passage / one of the top 3 hold the answer? For the project's retriever (top 5 passages) and for
   the LangChain tutorial pipeline (RecursiveCharacterTextSplitter 1000/200, Chroma, top 4) with the same
   MiniLM model.
--min gates on the warm pass (exit 1 when a figure is below), as `make bench` does."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from assistant.evaluation.cases import Case, load_cases
from assistant.evaluation.metrics import answer_matches, compute_metrics, percentile, run_cases
from benchmarks.data import BENCH_DIR, WORK_DIR, bench_settings, peak_rss_mb, write_figures

CORPUS = BENCH_DIR / "bbc" / "corpus"
DEV_CASES = BENCH_DIR / "bbc" / "questions-dev.jsonl"
SHOWN = (
    "answer_accuracy", "answerable_answered", "unanswerable_abstained", "hit_at_1", "hit_at_3",
    "citation_precision", "citation_recall", "latency_p50_ms", "latency_p95_ms",
)  # fmt: skip


def retrieval_figures(passages_of: Any, cases: list[Case]) -> dict[str, float]:
    """Right document first / top 3, and a passage holding the answer first / top 3."""
    answerable = [case for case in cases if case.answerable]
    doc1 = doc3 = held1 = held3 = 0
    for case in answerable:
        ranked = passages_of(case)  # [(source, text)], best first
        sources = [source for source, _ in ranked]
        holds = [answer_matches(text, case.expected_answer_contains) for _, text in ranked]
        doc1 += bool(sources[:1]) and sources[0] in case.expected_sources
        doc3 += any(source in case.expected_sources for source in sources[:3])
        held1 += bool(holds[:1]) and holds[0]
        held3 += any(holds[:3])
    n = len(answerable)
    return {
        "right_document_first": round(doc1 / n, 4),
        "right_document_top3": round(doc3 / n, 4),
        "answer_passage_first": round(held1 / n, 4),
        "answer_passage_top3": round(held3 / n, 4),
    }


def query_text(case: Case) -> str:
    """The retriever-only query: the question, with the last user turn for a follow-up."""
    users = [m["content"] for m in case.history if m["role"] == "user"]
    return f"{case.question} {users[-1]}" if users else case.question


def main(argv: list[str] | None = None) -> int:
    from assistant.answer.chain import build_chain
    from assistant.evaluation.cli import parse_threshold
    from benchmarks.scifact import build_baseline
    from ingest.pipeline import run_ingest

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--cases", type=Path, default=DEV_CASES)
    parser.add_argument("--min", type=parse_threshold, action="append", default=[], metavar="METRIC=VALUE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cases = load_cases([args.cases])
    settings = bench_settings("bbc", CORPUS)
    started = time.perf_counter()
    report = run_ingest(settings)
    figures: dict[str, Any] = {
        "cases": str(args.cases),
        "ingest": {**report.to_json(), "wall_s": round(time.perf_counter() - started, 1)},
    }
    chain = build_chain(settings)
    for name in ("cold", "warm"):
        results = run_cases(chain, cases, {"use_llm": False})
        metrics = compute_metrics(results)
        figures[name] = metrics.as_dict()
        figures[f"{name}_first_question_ms"] = results[0].latency_ms
        if name == "warm":
            failures = [r for r in results if r.failed]
    retriever = chain.services.retriever

    def project_passages(case: Case) -> list[tuple[str, str]]:
        return [(p.source, p.text) for p in retriever.search(query_text(case), k=5)]

    timings = []
    for case in cases:
        began = time.perf_counter()
        retriever.search(query_text(case), k=5)
        timings.append((time.perf_counter() - began) * 1000)
    figures["retrieval"] = {"project": retrieval_figures(project_passages, cases)}
    figures["retrieval"]["project"]["latency_p50_ms"] = percentile(timings, 50)
    store, _ = build_baseline(
        chain.services.embeddings, CORPUS, WORK_DIR / "baseline-bbc", pattern="**/*.txt"
    )

    def baseline_passages(case: Case) -> list[tuple[str, str]]:
        found = store.similarity_search(query_text(case), k=4)
        return [(f"{d.metadata['doc']}.txt", d.page_content) for d in found]

    figures["retrieval"]["langchain_baseline"] = retrieval_figures(baseline_passages, cases)
    figures["peak_rss_mb"] = round(peak_rss_mb())
    write_figures("bbc", figures)
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"BBC News: {report.documents_total} documents, {report.chunks_total} chunks; {len(cases)} cases"
        )
        for name in ("cold", "warm"):
            row = figures[name]
            shown = ", ".join(f"{key} {row[key]}" for key in SHOWN)
            print(f"{name}: {shown}; first question {figures[f'{name}_first_question_ms']} ms")
        for name, row in figures["retrieval"].items():
            print(f"retrieval, {name}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
        for result in failures:
            got = "abstained" if result.abstained else result.answer[:110].replace("\n", " ")
            print(
                f"FAIL {result.id}: expected {result.expected_answer_contains or 'abstention'}; got {got!r}"
            )
    warm = figures["warm"]
    missed = [
        f"{name} {warm.get(name)} < {value}" for name, value in args.min if (warm.get(name) or 0) < value
    ]
    for line in missed:
        print(f"threshold missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
