"""Filters on the BBC News folder (../shared/bench/bbc): a filter is a promise, and it must not make
questions slower.

    python -m benchmarks.filters [--rounds N]

The 60 dev questions are asked without a filter and with ``sources: ["business/"]``, alternating, warm,
``--rounds`` times each (the index is the one benchmarks.bbc builds). Printed: latency p50/p95 of both,
the ratio, the share of citations outside business/ (must be 0), and how long the first filtered
question spends reading the live chunks' vectors (once per index state)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from benchmarks.bbc import CORPUS, DEV_CASES
from benchmarks.data import bench_settings, write_figures

SECTION = "business/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.filters")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from assistant.answer.chain import build_chain
    from assistant.evaluation.metrics import percentile
    from ingest.pipeline import run_ingest

    settings = bench_settings("bbc", CORPUS)
    run_ingest(settings)  # a no-op when benchmarks.bbc built it already
    chain = build_chain(settings)
    cases = [json.loads(line) for line in DEV_CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    requests = [{"question": c["question"], "chat_history": c.get("history", [])} for c in cases]
    chain.invoke(requests[0])  # open the caches that both runs share
    started = time.perf_counter()
    chain.services.retriever.filter_table()
    table_s = time.perf_counter() - started
    latencies: dict[str, list[float]] = {"none": [], "section": []}
    cited = outside = 0
    for _ in range(args.rounds):
        for name, filters in (("none", None), ("section", {"sources": [SECTION]})):
            for request in requests:
                request = {**request, "filters": filters} if filters else request
                started = time.perf_counter()
                answer = chain.invoke(request)
                latencies[name].append((time.perf_counter() - started) * 1000)
                if filters:
                    cited += len(answer.citations)
                    outside += sum(not c.source.startswith(SECTION) for c in answer.citations)
    figures = {
        "questions": len(requests) * args.rounds,
        "unfiltered_p50_ms": round(percentile(latencies["none"], 50), 1),
        "unfiltered_p95_ms": round(percentile(latencies["none"], 95), 1),
        "filtered_p50_ms": round(percentile(latencies["section"], 50), 1),
        "filtered_p95_ms": round(percentile(latencies["section"], 95), 1),
        "filtered_citations": cited,
        "citations_outside_filter": outside,
        "filter_table_s": round(table_s, 2),
    }
    figures["p50_ratio"] = round(figures["filtered_p50_ms"] / figures["unfiltered_p50_ms"], 2)
    write_figures("filters", figures)
    for key, value in figures.items():
        print(f"{key:28} {value}")
    return 0 if outside == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
