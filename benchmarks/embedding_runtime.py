"""The embedding runtimes side by side, interleaved in one run: torch fp32 (sentence-transformers, the
reference), OpenVINO fp32 and OpenVINO bf16 (where the CPU has it).

    python -m benchmarks.embedding_runtime [--chunks N] [--rounds R] [--contention] [--scifact]

For each: chunks/s on real news chunks (BBC articles through the project's own cleaning and chunking),
query p50 / p95 (one question at a time, the seed and BBC questions), how close its vectors are to the
reference (cosine mean / min), and, each in a fresh process, the time to a first vector and the peak RSS.
With --contention, query latency again while another process keeps one core busy, for 1 and 2 threads.
With --scifact, each runtime's dense retrieval quality: the 5,183 BEIR SciFact abstracts embedded whole
(title and text, as MTEB does), the 300 test queries by exact cosine, nDCG@10 by pytrec_eval.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.evaluation.cases import load_cases
from assistant.evaluation.metrics import percentile
from assistant.settings import PROJECT_ROOT, Settings
from benchmarks.data import BENCH_DIR, write_figures

VARIANTS = {
    "torch fp32 (sentence-transformers)": {"embedding_runtime": "torch"},
    "OpenVINO fp32": {"embedding_runtime": "openvino", "inference_precision": "f32"},
    "OpenVINO bf16": {"embedding_runtime": "openvino", "inference_precision": "bf16"},
}


def news_chunks(limit: int) -> list[str]:
    """What ingest embeds: BBC articles cleaned and chunked by the project, title prepended."""
    from ingest.pipeline import SourceFile, prepare_document

    settings = Settings()
    texts: list[str] = []
    root = BENCH_DIR / "bbc" / "corpus"
    for path in sorted(root.rglob("*.txt")):
        data = path.read_bytes()
        file = SourceFile(root, path, path.relative_to(root).as_posix())
        document = prepare_document(file, data, "-", "-", settings, existing=False)
        texts += [chunk.context_text for chunk in document.chunks]
        if len(texts) >= limit:
            return texts[:limit]
    return texts


def questions() -> list[str]:
    cases = [PROJECT_ROOT / "tests" / "eval" / "seed.jsonl", BENCH_DIR / "bbc" / "questions-dev.jsonl"]
    return [case.question for case in load_cases(cases)]


def timed_queries(embed: Callable[[str], Any], texts: list[str]) -> list[float]:
    samples = []
    for text in texts:
        started = time.perf_counter()
        embed(text)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def fresh_process(overrides: dict[str, Any]) -> dict[str, float]:
    """Ready time (imports, model load, first vector) and peak RSS of a process that only embeds."""
    code = (
        "import time, json, sys; started = time.perf_counter()\n"
        "from assistant.settings import Settings\nfrom assistant.providers import make_embeddings\n"
        f"e = make_embeddings(Settings(**{overrides!r})); e.embed_query('ready')\n"
        "ready = time.perf_counter() - started\n"
        "from benchmarks.data import peak_rss_mb\n"
        "torch = 'torch' in sys.modules\n"
        "print(json.dumps({'ready_s': ready, 'rss_mb': peak_rss_mb(), 'torch_imported': torch}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--chunks", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--contention", action="store_true")
    parser.add_argument("--scifact", action="store_true")
    args = parser.parse_args()

    from assistant.providers import make_embeddings

    chunks = news_chunks(args.chunks)
    queries = questions()
    models = {name: make_embeddings(Settings(**overrides)) for name, overrides in VARIANTS.items()}
    for model in models.values():  # warm-up: first compilations, lazy imports
        model.embed_documents(chunks[:64])
        timed_queries(model.embed_query, queries[:10])
    reference = np.asarray(models[next(iter(VARIANTS))].embed_documents(chunks), dtype=np.float32)
    rates: dict[str, list[float]] = {name: [] for name in models}
    latency: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.rounds):  # interleaved: every runtime once per round
        for name, model in models.items():
            started = time.perf_counter()
            vectors = model.embed_documents(chunks)
            rates[name].append(len(chunks) / (time.perf_counter() - started))
            latency[name] += timed_queries(model.embed_query, queries)
    tokens = statistics.fmean(len(text.split()) for text in chunks)
    figures: dict[str, Any] = {"chunks": len(chunks), "words_per_chunk": round(tokens, 1), "runtimes": {}}
    print(
        f"{len(chunks)} BBC chunks (~{tokens:.0f} words each), {len(queries)} questions, {args.rounds} rounds"
    )
    print(f"{'runtime':36} {'chunks/s':>9} {'x':>5} {'query p50':>10} {'p95':>7} {'cos mean':>9} {'min':>8}")
    base_rate = statistics.median(rates[next(iter(VARIANTS))])
    for name, model in models.items():
        vectors = np.asarray(model.embed_documents(chunks), dtype=np.float32)
        cosine = (vectors * reference).sum(axis=1)
        rate = statistics.median(rates[name])
        row = {
            "chunks_per_s": round(rate, 1),
            "speedup": round(rate / base_rate, 2),
            "query_p50_ms": percentile(latency[name], 50),
            "query_p95_ms": percentile(latency[name], 95),
            "cosine_mean": round(float(cosine.mean()), 6),
            "cosine_min": round(float(cosine.min()), 6),
            **{
                k: round(v, 2) if isinstance(v, float) else v
                for k, v in fresh_process(VARIANTS[name]).items()
            },
        }
        figures["runtimes"][name] = row
        print(
            f"{name:36} {row['chunks_per_s']:9.1f} {row['speedup']:5.2f} {row['query_p50_ms']:8.2f}ms "
            f"{row['query_p95_ms']:6.2f} {row['cosine_mean']:9.6f} {row['cosine_min']:8.6f}"
            f"   ready {row['ready_s']:.2f} s, RSS {row['rss_mb']:.0f} MB, torch: {row['torch_imported']}"
        )
    if args.scifact:
        figures["scifact_dense_ndcg@10"] = {name: scifact_dense(model) for name, model in models.items()}
        for name, value in figures["scifact_dense_ndcg@10"].items():
            print(f"SciFact nDCG@10, dense over whole abstracts: {name:36} {value:.4f}")
    if args.contention:
        figures["contention"] = contention(queries)
    write_figures("embedding_runtime", figures)


def scifact_dense(model: Any) -> float:
    import pytrec_eval

    from benchmarks.data import scifact_test_queries

    documents = [json.loads(line) for line in (BENCH_DIR / "scifact" / "corpus.jsonl").open(encoding="utf-8")]
    vectors = np.asarray(
        model.embed_documents([f"{d['title']} {d['text']}" for d in documents]), dtype=np.float32
    )
    queries, qrels = scifact_test_queries()
    run = {}
    for qid, text in queries.items():
        similarity = vectors @ np.asarray(model.embed_query(text), dtype=np.float32)
        top = np.argsort(-similarity)[:100]
        run[qid] = {documents[i]["_id"]: float(similarity[i]) for i in top}
    scores = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate(run)
    return round(statistics.fmean(s["ndcg_cut_10"] for s in scores.values()), 4)


def contention(queries: list[str]) -> dict[str, Any]:
    """Query latency with another process spinning on one core, for 1 and 2 inference threads."""
    from assistant.providers import make_embeddings

    found: dict[str, Any] = {}
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        for label, overrides in [
            ("torch fp32, 2 threads", {"embedding_runtime": "torch"}),
            ("OpenVINO bf16, 1 thread", {"inference_threads": 1}),
            ("OpenVINO bf16, 2 threads", {"inference_threads": 2}),
        ]:
            model = make_embeddings(Settings(**overrides))
            timed_queries(model.embed_query, queries[:10])
            samples = [s for _ in range(3) for s in timed_queries(model.embed_query, queries)]
            found[label] = {"p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95)}
            p50, p95 = found[label]["p50_ms"], found[label]["p95_ms"]
            print(f"busy machine: {label:28} query p50 {p50:6.2f} ms, p95 {p95:6.2f} ms")
    finally:
        hog.kill()
    return found


if __name__ == "__main__":
    main()
