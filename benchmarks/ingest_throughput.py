"""Ingest throughput, side by side in one run: the project's ingest with the OpenVINO runtime, the same
ingest with torch fp32 (sentence-transformers, the runtime before OpenVINO), and the LangChain tutorial
pipeline (RecursiveCharacterTextSplitter 1000/200 into Chroma through HuggingFaceEmbeddings, torch).

    python -m benchmarks.ingest_throughput [--corpus bbc,scifact,seed] [--limit N] [--json]

Each configuration runs in a fresh process over a fresh index, so that its time includes loading its
model and its peak RSS is its own. Corpora: the 2,225 BBC News articles (../shared/bench/bbc/corpus, read
in place), the 5,183 BEIR SciFact abstracts (one Markdown file each, under build/bench/), the seed folder.
Besides: the OpenVINO model alone on the same chunk texts (the ceiling the ingest approaches)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT
from benchmarks.data import BENCH_DIR, WORK_DIR, peak_rss_mb, write_figures, write_scifact_files

CONFIGURATIONS = {
    "project, OpenVINO": "openvino",
    "project, torch fp32": "torch",
    "LangChain baseline (torch)": "baseline",
}


def corpus_folder(name: str, limit: int | None) -> tuple[Path, str]:
    """(folder, the glob of its documents)."""
    if name == "bbc":
        return BENCH_DIR / "bbc" / "corpus", "**/*.txt"
    if name == "scifact":
        folder = WORK_DIR / "scifact-corpus"
        write_scifact_files(folder, limit)
        return folder, "*.md"
    return PROJECT_ROOT / "data" / "corpus", "*"


def run_one(kind: str, corpus: Path, pattern: str, index: Path) -> dict[str, Any]:
    """One configuration in this process: its figures."""
    documents = sorted(path for path in corpus.glob(pattern) if path.is_file())
    if kind == "baseline":
        from langchain_huggingface import HuggingFaceEmbeddings

        from assistant.providers import resolve_model_path
        from benchmarks.scifact import build_baseline

        started = time.perf_counter()
        embeddings = HuggingFaceEmbeddings(
            model_name=str(resolve_model_path("all-MiniLM-L6-v2")),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True},
        )
        _, figures = build_baseline(embeddings, corpus, index, pattern=pattern)
        seconds = time.perf_counter() - started
        chunks = figures["chunks"]
        embedded = chunks
    else:
        from assistant.settings import Settings
        from ingest.pipeline import run_ingest

        settings = Settings(index_dir=index, corpus_dir=corpus, embedding_runtime=kind)
        report = run_ingest(settings)
        seconds, chunks, embedded = report.seconds, report.chunks_total, report.chunks_embedded
    return {
        "documents": len(documents),
        "chunks": chunks,
        "chunks_embedded": embedded,
        "seconds": round(seconds, 1),
        "docs_per_s": round(len(documents) / seconds, 1),
        "chunks_per_s": round(embedded / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "torch_imported": "torch" in sys.modules,
    }


def model_alone(index: Path) -> dict[str, Any]:
    """The OpenVINO model alone on the chunk texts the project's ingest embedded (in index)."""
    from assistant.index.store import IndexStore
    from assistant.providers import make_embeddings
    from assistant.settings import Settings

    settings = Settings(index_dir=index)
    texts = [
        chunk.context_text
        for chunk, _ in IndexStore.open(
            settings, model=settings.embedding_model, dimension=None, create=False
        ).iter_live_chunks()
    ]
    embeddings = make_embeddings(settings)
    embeddings.embed_documents(texts[:64])
    started = time.perf_counter()
    embeddings.embed_documents(texts)
    seconds = time.perf_counter() - started
    return {
        "chunks": len(texts),
        "seconds": round(seconds, 1),
        "chunks_per_s": round(len(texts) / seconds, 1),
    }


def in_fresh_process(kind: str, corpus: Path, pattern: str, index: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.ingest_throughput", "--one", kind, "--folder", str(corpus)]
    command += ["--pattern", pattern, "--index", str(index)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT_ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--corpus", default="bbc,scifact", help="comma-separated: bbc, scifact, seed")
    parser.add_argument("--limit", type=int, help="only the first N SciFact abstracts")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--one", choices=[*CONFIGURATIONS.values(), "model"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pattern", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # a child process: one configuration
        result = (
            model_alone(args.index)
            if args.one == "model"
            else run_one(args.one, args.folder, args.pattern, args.index)
        )
        print(json.dumps(result))
        return

    figures: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "corpora": {},
    }
    for name in args.corpus.split(","):
        corpus, pattern = corpus_folder(name, args.limit)
        rows: dict[str, Any] = {}
        with tempfile.TemporaryDirectory() as temporary:
            for label, kind in CONFIGURATIONS.items():
                index = Path(temporary) / kind
                rows[label] = in_fresh_process(kind, corpus, pattern, index)
                if kind == "openvino":
                    rows["OpenVINO model alone, same chunk texts"] = in_fresh_process(
                        "model", corpus, pattern, index
                    )
        figures["corpora"][name] = rows
        print_corpus(name, rows)
    write_figures("ingest_throughput", figures)
    if args.json:
        print(json.dumps(figures))


def print_corpus(name: str, rows: dict[str, Any]) -> None:
    ours = rows["project, OpenVINO"]
    print(f"\n{name}: {ours['documents']} documents")
    header = f"{'configuration':40} {'seconds':>8} {'docs/s':>7} {'chunks/s':>9} {'chunks':>7}"
    print(f"{header} {'peak RSS':>9}  torch")
    for label, row in rows.items():
        docs = f"{row['docs_per_s']:7.1f}" if "docs_per_s" in row else " " * 7
        rss = f"{row['peak_rss_mb']:6.0f} MB" if "peak_rss_mb" in row else " " * 9
        torch = str(row.get("torch_imported", ""))
        line = f"{label:40} {row['seconds']:8.1f} {docs} {row['chunks_per_s']:9.1f} {row['chunks']:7}"
        print(f"{line} {rss}  {torch}")
    for label in ("project, torch fp32", "LangChain baseline (torch)"):
        print(f"OpenVINO ingest vs {label}: {ours['docs_per_s'] / rows[label]['docs_per_s']:.2f}x docs/s")


if __name__ == "__main__":
    main()
