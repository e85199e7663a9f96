"""How query cost grows with the index: warm latency at 5 documents, a few thousand chunks, SciFact's ~14k
chunks, and more than 50k chunks; and the peak memory of an ingest.

    python -m benchmarks.scale [--rounds 2]

Indexes are built by the project's own ingest in build/bench/ and kept between runs (run
benchmarks.scifact and benchmarks.squad first, or this builds their indexes too). The largest index holds
SciFact, SQuAD and the seed corpus chunked at 48 tokens (ASSISTANT_CHUNK_TOKENS=48), which gives more than
50k real chunks from the data available here. Each ingest runs in a child process so its peak RSS is its
own. Latency: the 70 seed questions, warm, in-process: retrieval alone and the whole offline chain."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT
from benchmarks.data import WORK_DIR, write_figures, write_scifact_files, write_squad_files
from benchmarks.scifact import percentiles

SEED = PROJECT_ROOT / "data" / "corpus"
CASES = PROJECT_ROOT / "tests" / "eval" / "seed.jsonl"


def indexes() -> dict[str, tuple[list[Path], dict[str, str]]]:
    scifact, squad = WORK_DIR / "scifact-corpus", WORK_DIR / "squad-corpus"
    return {
        "seed": ([SEED], {}),
        "squad": ([squad], {}),
        "scifact": ([scifact], {}),
        "scale": (
            [scifact, squad, SEED],
            {"ASSISTANT_CHUNK_TOKENS": "48", "ASSISTANT_CHUNK_OVERLAP_TOKENS": "8"},
        ),
    }


def ingest(name: str, paths: list[Path], env: dict[str, str]) -> dict[str, Any]:
    """Bring the index up to date in a child process; its report and its own peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    command = [sys.executable, "-m", "ingest", "--json", "--prune", *map(str, paths)]
    environment = dict(os.environ, ASSISTANT_INDEX_DIR=str(WORK_DIR / f"{name}-index"), **env)
    started = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "chunks": report["chunks_total"],
        "documents": report["documents_total"],
        "chunks_embedded": report["chunks_embedded"],
        "ingest_s": round(time.perf_counter() - started, 1),
        # RUSAGE_CHILDREN keeps the largest child so far: only a new maximum is this child's own.
        "ingest_peak_rss_mb": round(peak / 1024) if peak > before else None,
    }


def latency(
    name: str, env: dict[str, str], questions: list[str], rounds: int, embeddings: Any
) -> dict[str, Any]:
    from assistant.answer.chain import build_chain
    from assistant.settings import Settings

    overrides = {key.removeprefix("ASSISTANT_").lower(): value for key, value in env.items()}
    settings = Settings(index_dir=WORK_DIR / f"{name}-index", use_llm=False, **overrides)
    chain = build_chain(settings, embeddings=embeddings)
    retriever = chain.services.retriever
    for question in questions:  # warm: model kernels, keyword index, sentence vectors
        chain.invoke(question)
    search, invoke = [], []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            retriever.search(question)
            search.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            chain.invoke(question)
            invoke.append((time.perf_counter() - started) * 1000)
    return {"search": percentiles(search), "chain_invoke": percentiles(invoke)}


def main(argv: list[str] | None = None) -> None:
    from assistant.evaluation.cases import load_cases
    from assistant.providers import make_embeddings
    from assistant.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", action="append", help="only these indexes (seed, squad, scifact, scale)")
    args = parser.parse_args(argv)
    write_scifact_files(WORK_DIR / "scifact-corpus")
    write_squad_files(WORK_DIR / "squad-corpus")
    questions = [case.question for case in load_cases([CASES])]
    embeddings = make_embeddings(Settings())
    figures: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds")}
    for name, (paths, env) in indexes().items():
        if args.only and name not in args.only:
            continue
        figures[name] = ingest(name, paths, env)
        figures[name].update(latency(name, env, questions, args.rounds, embeddings))
        row = figures[name]
        search, invoke = row["search"], row["chain_invoke"]
        print(
            f"{name:8} {row['documents']:>6} docs {row['chunks']:>7} chunks  "
            f"search p50 {search['p50_ms']:6.1f} ms p95 {search['p95_ms']:6.1f} ms  "
            f"chain.invoke p50 {invoke['p50_ms']:6.1f} ms p95 {invoke['p95_ms']:6.1f} ms  "
            f"ingest {row['ingest_s']} s ({row['chunks_embedded']} embedded), "
            f"peak RSS {row['ingest_peak_rss_mb']} MB",
            flush=True,
        )
    write_figures("scale", figures)


if __name__ == "__main__":
    main()
