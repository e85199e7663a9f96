"""Ingest throughput against the raw embedding throughput of the model alone, measured in the same run.

    python -m benchmarks.ingest_throughput [--limit N] [--json]

1. Seed corpus: ingest time with the model already loaded, chunks/s.
2. BEIR SciFact (../shared/bench/scifact/corpus.jsonl, 5,183 abstracts, each written as a Markdown file with
   its title as heading): ingest seconds, docs/s and chunks/s; then the same chunk texts embedded by the
   model alone, and the LangChain tutorial pipeline (1000/200 splitter + Chroma) ingesting the same files.
   The goal is ingest >= 80 % of the model's own throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.index.store import IndexStore
from assistant.providers import make_embeddings
from assistant.settings import Settings
from benchmarks.data import peak_rss_mb, write_scifact_files
from ingest.pipeline import run_ingest


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, help="only the first N SciFact abstracts")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    started = time.perf_counter()
    embeddings = make_embeddings(Settings())
    embeddings.embed_query("warm up")
    model_load = time.perf_counter() - started
    figures: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "model_load_s": round(model_load, 2),
    }

    with tempfile.TemporaryDirectory() as tmp:
        seed = Settings(index_dir=Path(tmp) / "seed-index")
        report = run_ingest(seed, embeddings=embeddings)
        figures["seed"] = {
            "documents": report.documents_total,
            "chunks": report.chunks_total,
            "seconds": round(report.seconds, 2),
            "chunks_per_s": round(report.chunks_total / report.seconds, 1),
        }

        corpus = Path(tmp) / "scifact"
        corpus.mkdir()
        docs = write_scifact_files(corpus, args.limit)
        settings = Settings(index_dir=Path(tmp) / "scifact-index", corpus_dir=corpus)
        report = run_ingest(settings, embeddings=embeddings)
        store = IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)
        texts = [chunk.context_text for chunk, _ in store.iter_live_chunks()]

        started = time.perf_counter()
        embeddings.embed_documents(texts)
        raw_seconds = time.perf_counter() - started

        from benchmarks.scifact import build_baseline

        _, baseline = build_baseline(embeddings, corpus, Path(tmp) / "baseline")

        ingest_rate = report.chunks_embedded / report.seconds
        raw_rate = len(texts) / raw_seconds
        figures["scifact"] = {
            "documents": docs,
            "chunks": report.chunks_total,
            "ingest_seconds": round(report.seconds, 1),
            "ingest_docs_per_s": round(docs / report.seconds, 1),
            "ingest_chunks_per_s": round(ingest_rate, 1),
            "embedding_share_of_ingest": round(report.embedding_seconds / report.seconds, 3),
            "raw_embedding_seconds": round(raw_seconds, 1),
            "raw_chunks_per_s": round(raw_rate, 1),
            "ingest_vs_raw": round(ingest_rate / raw_rate, 3),
            "langchain_baseline_seconds": baseline["ingest_s"],
            "langchain_baseline_chunks": baseline["chunks"],
            "langchain_baseline_chunks_per_s": baseline["chunks_per_s"],
        }
    figures["peak_rss_mb"] = round(peak_rss_mb())

    if args.json:
        print(json.dumps(figures))
        return
    seed_figures, sci = figures["seed"], figures["scifact"]
    print(f"{figures['date']}  {figures['machine']}  (model load {model_load:.1f} s, excluded)")
    print(
        f"seed corpus:  {seed_figures['documents']} docs, {seed_figures['chunks']} chunks in "
        f"{seed_figures['seconds']} s = {seed_figures['chunks_per_s']} chunks/s"
    )
    print(
        f"SciFact:      {sci['documents']} docs, {sci['chunks']} chunks in {sci['ingest_seconds']} s = "
        f"{sci['ingest_docs_per_s']} docs/s, {sci['ingest_chunks_per_s']} chunks/s "
        f"(embedding {sci['embedding_share_of_ingest']:.0%} of the time)"
    )
    print(
        f"model alone:  same {sci['chunks']} chunk texts in {sci['raw_embedding_seconds']} s = "
        f"{sci['raw_chunks_per_s']} chunks/s"
    )
    print(
        f"LangChain baseline (1000/200 splitter + Chroma): {sci['langchain_baseline_chunks']} chunks in "
        f"{sci['langchain_baseline_seconds']} s = {sci['langchain_baseline_chunks_per_s']} chunks/s"
    )
    print(f"ingest / raw: {sci['ingest_vs_raw']:.0%} (goal >= 80 %)   peak RSS {figures['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
