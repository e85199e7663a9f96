"""Warm in-process latency of chain.invoke (offline answerer, seed corpus) next to its floor: embedding
the query plus the vector search alone, over the same questions.

    python -m benchmarks.chain_latency [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assistant.answer.chain import build_chain
from assistant.evaluation.cases import load_cases
from assistant.evaluation.metrics import percentile
from assistant.providers import make_embeddings
from assistant.settings import PROJECT_ROOT, Settings
from ingest.pipeline import run_ingest

CASES = PROJECT_ROOT / "tests" / "eval" / "seed.jsonl"


def timed(action, questions: list[str], rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            action(question)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    questions = [case.question for case in load_cases([CASES])]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", use_llm=False)
        embeddings = make_embeddings(settings)
        run_ingest(settings, embeddings=embeddings)
        chain = build_chain(settings, embeddings=embeddings)
        store = chain.services.store
        for question in questions:  # warm-up: caches, lazy imports, first forward passes
            chain.invoke({"question": question})
        floor = timed(
            lambda q: store.dense_search(embeddings.embed_query(q), settings.top_k), questions, args.rounds
        )
        full = timed(lambda q: chain.invoke({"question": q}), questions, args.rounds)
    print(f"{len(questions)} questions x {args.rounds} rounds, warm, offline answerer, seed corpus")
    for name, samples in (("floor: embed query + vector search", floor), ("chain.invoke", full)):
        print(
            f"{name:36} p50 {percentile(samples, 50):6.1f} ms   p95 {percentile(samples, 95):6.1f} ms   "
            f"mean {statistics.fmean(samples):6.1f} ms"
        )


if __name__ == "__main__":
    main()
