"""SQuAD v1.1 dev through the project's ingest, retriever and offline answerer.

    python -m benchmarks.squad [--limit N] [--json]

The 2,067 paragraphs become documents (build/bench/squad-index, kept between runs). The sample is the
first question of every paragraph (2,067 questions, fixed). For each: does the gold paragraph come first
(hit@1) or in the top five (hit@5) in each retrieval mode, and does the offline answer contain a gold
answer text (case-insensitive)? The answerer quotes whole sentences, so "contains" is the fair test for it;
exact match is not."""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.data import WORK_DIR, bench_settings, peak_rss_mb, write_figures, write_squad_files
from benchmarks.scifact import percentiles


def main(argv: list[str] | None = None) -> None:
    from assistant.answer.chain import build_chain
    from assistant.providers import make_embeddings
    from assistant.settings import Settings
    from ingest.pipeline import run_ingest

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    embeddings = make_embeddings(Settings())
    corpus = WORK_DIR / "squad-corpus"
    questions = write_squad_files(corpus)[: args.limit]
    settings = bench_settings("squad", corpus)
    report = run_ingest(settings, embeddings=embeddings)
    chain = build_chain(settings, embeddings=embeddings)
    retriever = chain.services.retriever
    figures: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions": len(questions),
        "paragraphs": report.documents_total,
        "chunks": report.chunks_total,
    }
    vectors = {q.id: embeddings.embed_query(q.question) for q in questions}
    for mode in ("dense", "keyword", "hybrid"):
        ranks = []
        for q in questions:
            ranked = [
                source
                for source, _ in retriever.rank_documents(q.question, k=5, mode=mode, embedding=vectors[q.id])
            ]
            ranks.append(ranked.index(q.source) + 1 if q.source in ranked else None)
        figures[mode] = {
            "hit@1": round(sum(rank == 1 for rank in ranks) / len(ranks), 4),
            "hit@5": round(sum(rank is not None for rank in ranks) / len(ranks), 4),
        }
    contains = abstained = 0
    timings = []
    for q in questions:
        started = time.perf_counter()
        answer = chain.invoke({"question": q.question, "use_llm": False})
        timings.append((time.perf_counter() - started) * 1000)
        abstained += answer.abstained
        text = answer.answer.lower()
        contains += not answer.abstained and any(gold.lower() in text for gold in q.answers)
    figures["offline_answer"] = {
        "contains_gold": round(contains / len(questions), 4),
        "abstained": round(abstained / len(questions), 4),
        "latency": percentiles(timings),
    }
    figures["peak_rss_mb"] = round(peak_rss_mb())
    write_figures("squad", figures)
    if args.json:
        print(json.dumps(figures))
        return
    size = f"{figures['paragraphs']} paragraphs ({figures['chunks']} chunks)"
    print(f"SQuAD v1.1 dev: {size}, {len(questions)} questions")
    for mode in ("dense", "keyword", "hybrid"):
        hits = figures[mode]
        print(f"  {mode:8} gold paragraph hit@1 {hits['hit@1']:.3f}  hit@5 {hits['hit@5']:.3f}")
    offline = figures["offline_answer"]
    print(f"  offline answer contains a gold answer: {offline['contains_gold']:.3f} "
          f"(abstained {offline['abstained']:.3f}); chain.invoke {offline['latency']}")  # fmt: skip


if __name__ == "__main__":
    main()
