"""BEIR SciFact through the project's own ingest and retriever, next to a plain LangChain baseline.

    python -m benchmarks.scifact [--json]

The 5,183 abstracts are ingested by the project's pipeline into build/bench/scifact-index (kept between
runs; a second run embeds nothing). The 300 test queries are run through the retriever in each mode
(dense, keyword, hybrid), ranking documents by their best chunk; nDCG@10 and Recall@100 come from
pytrec_eval, the metric code BEIR uses. The baseline is the LangChain tutorial pipeline:
RecursiveCharacterTextSplitter(1000, 200) and Chroma similarity search with the same MiniLM model."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import percentile
from benchmarks.data import (
    WORK_DIR,
    bench_settings,
    peak_rss_mb,
    scifact_test_queries,
    write_figures,
    write_scifact_files,
)

PUBLISHED = {
    "BM25 (BEIR paper)": 0.665,
    "BM25 (Anserini flat)": 0.679,
    "all-MiniLM-L6-v2 dense (MTEB)": 0.645,
    "BM25 + cross-encoder (BEIR)": 0.688,
    "bge-large-en-v1.5 (MTEB)": 0.746,
}
MEASURES = {"ndcg_cut.10", "recall.100"}


def evaluate(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    import pytrec_eval

    scores = pytrec_eval.RelevanceEvaluator(qrels, MEASURES).evaluate(run)
    return {
        "ndcg@10": statistics.fmean(s["ndcg_cut_10"] for s in scores.values()),
        "recall@100": statistics.fmean(s["recall_100"] for s in scores.values()),
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(samples, 50), "p95_ms": percentile(samples, 95)}


def project_retriever(embeddings: Any, queries: dict[str, str], qrels: Any) -> dict[str, Any]:
    from assistant.answer.chain import build_services
    from ingest.pipeline import run_ingest

    corpus = WORK_DIR / "scifact-corpus"
    write_scifact_files(corpus)
    settings = bench_settings("scifact", corpus)
    report = run_ingest(settings, embeddings=embeddings)
    retriever = build_services(settings, embeddings=embeddings).retriever
    vectors = {qid: embeddings.embed_query(text) for qid, text in queries.items()}
    results: dict[str, Any] = {
        "chunks": report.chunks_total,
        "ingest_s": round(report.seconds, 1),
        "chunks_embedded": report.chunks_embedded,
    }
    for mode in ("dense", "keyword", "hybrid"):
        run = {
            qid: {
                Path(source).stem: score
                for source, score in retriever.rank_documents(text, k=100, mode=mode, embedding=vectors[qid])
            }
            for qid, text in queries.items()
        }
        results[mode] = evaluate(qrels, run)
    timings = []
    for text in queries.values():  # the app's own query: embed, search, fuse, widen the top 5
        started = time.perf_counter()
        retriever.search(text)
        timings.append((time.perf_counter() - started) * 1000)
    results["search_latency"] = percentiles(timings)
    return results


def build_baseline(
    embeddings: Any, corpus: Path, folder: Path, pattern: str = "*.md"
) -> tuple[Any, dict[str, Any]]:
    """The LangChain tutorial pipeline over the files of ``corpus`` matching ``pattern``:
    RecursiveCharacterTextSplitter(1000, 200) into a Chroma collection in ``folder``; built only when the
    collection is empty. Each piece's "doc" is its file's path without the suffix. (store, figures)."""
    import chromadb
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    client = chromadb.PersistentClient(
        path=str(folder), settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    store = Chroma(collection_name="baseline", embedding_function=embeddings, client=client)
    figures: dict[str, Any] = {}
    if store._collection.count() == 0:
        started = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts: list[str] = []
        metadatas: list[dict[str, str]] = []
        for path in sorted(corpus.glob(pattern)):
            document = path.relative_to(corpus).with_suffix("").as_posix()
            for piece in splitter.split_text(path.read_text(encoding="utf-8", errors="replace")):
                texts.append(piece)
                metadatas.append({"doc": document})
        for start in range(0, len(texts), 512):
            store.add_texts(texts[start : start + 512], metadatas=metadatas[start : start + 512])
        seconds = time.perf_counter() - started
        figures.update(ingest_s=round(seconds, 1), chunks_per_s=round(len(texts) / seconds, 1))
    figures["chunks"] = store._collection.count()
    return store, figures


def langchain_baseline(embeddings: Any, queries: dict[str, str], qrels: Any) -> dict[str, Any]:
    store, results = build_baseline(embeddings, WORK_DIR / "scifact-corpus", WORK_DIR / "baseline-scifact")
    run = {}
    for qid, text in queries.items():
        ranked: dict[str, float] = {}
        for document, distance in store.similarity_search_with_score(text, k=300):
            ranked.setdefault(document.metadata["doc"], -distance)
            if len(ranked) == 100:
                break
        run[qid] = ranked
    results["dense"] = evaluate(qrels, run)
    timings = []
    for text in queries.values():  # the tutorial's query: top-4 chunks
        started = time.perf_counter()
        store.similarity_search(text, k=4)
        timings.append((time.perf_counter() - started) * 1000)
    results["search_latency"] = percentiles(timings)
    return results


def main(argv: list[str] | None = None) -> None:
    from assistant.providers import make_embeddings
    from assistant.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    embeddings = make_embeddings(Settings())
    queries, qrels = scifact_test_queries()
    figures: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "queries": len(queries),
    }
    figures["project"] = project_retriever(embeddings, queries, qrels)
    figures["langchain_baseline"] = langchain_baseline(embeddings, queries, qrels)
    figures["peak_rss_mb"] = round(peak_rss_mb())
    write_figures("scifact", figures)
    if args.json:
        print(json.dumps(figures))
        return
    project, baseline = figures["project"], figures["langchain_baseline"]
    print(f"BEIR SciFact, {len(queries)} test queries ({project['chunks']} chunks in the project's index)")
    print(f"{'retriever':42} {'nDCG@10':>8} {'R@100':>8}")
    for mode in ("dense", "keyword", "hybrid"):
        row = project[mode]
        print(f"{'project ' + mode:42} {row['ndcg@10']:8.3f} {row['recall@100']:8.3f}")
    row = baseline["dense"]
    print(f"{'LangChain baseline (1000/200, Chroma)':42} {row['ndcg@10']:8.3f} {row['recall@100']:8.3f}")
    for name, value in PUBLISHED.items():
        print(f"{'published: ' + name:42} {value:8.3f}")
    print(f"search latency: project hybrid top-5 {project['search_latency']}")
    print(f"search latency: baseline top-4 {baseline['search_latency']}")


if __name__ == "__main__":
    main()
