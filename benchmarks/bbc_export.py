"""The BBC News folder as one JSON Lines export: the same articles, ingested as 2,225 records instead of
2,225 files, must give the same chunks and the same answers.

    python -m benchmarks.bbc_export [--noise]

Writes build/bench/bbc-export/bbc.jsonl (one record per file: id = the file's path, body = its text as
the loader decodes it, headline line included; no title field, so the cleaner picks the title as it
does for the files: with the headline as a title field, 4 of the 2,225 documents get their real
headline where the files' rule takes the first sentence, e.g. "$1m payoff for former Shell boss"),
ingests it into build/bench/bbc-export-index, and compares with the folder's index (build/bench/
bbc-index, as benchmarks.bbc builds it): chunk texts, then the 60 dev questions' answers and quoted
passages. The folder holds about 98 exact copies of other files: where two copies tie, either may be
cited, so a citation of another copy of the same text is counted apart. With --noise, the folder is
also ingested a second time into build/bench/bbc-again-index and compared the same way: two builds of
the same files differ too (bf16 vectors vary slightly with the batch a text is embedded in, and
Chroma's HNSW graph is approximate), which is the floor to read the export's differences against.
Prints the figures; exits 1 when the chunks differ."""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from typing import Any

from benchmarks.bbc import CORPUS, DEV_CASES
from benchmarks.data import WORK_DIR, bench_settings, peak_rss_mb, write_figures

EXPORT = WORK_DIR / "bbc-export" / "bbc.jsonl"


def write_export() -> int:
    from ingest.loaders import decode_text, normalize_text

    EXPORT.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for path in sorted(CORPUS.rglob("*.txt")):
        text = normalize_text(decode_text(path.read_bytes())[0])
        lines.append(json.dumps({"id": path.relative_to(CORPUS).as_posix(), "body": text}))
    EXPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def unmarked(answer: str) -> str:
    """The answer without its citation markers (a quote another copy also states carries one more)."""
    return " ".join(re.sub(r"\[\d+\]", " ", answer).split())


def chunk_texts(chain: Any) -> collections.Counter[str]:
    return collections.Counter(chunk.context_text for chunk, _ in chain.services.store.iter_live_chunks())


def compare(
    by_file: Any, other: Any, cases: list[dict[str, Any]], prefix: str = ""
) -> tuple[list[str], list[str]]:
    """Cases answered differently, and cases answered alike but from another copy of the same text."""
    different, other_copy = [], []
    for case in cases:
        request = {"question": case["question"], "chat_history": case.get("history", [])}
        a, b = by_file.invoke(request), other.invoke(request)
        if unmarked(a.answer) != unmarked(b.answer) or [c.quote for c in a.citations] != [
            c.quote for c in b.citations
        ]:
            different.append(case["id"])
        elif [c.source for c in a.citations] != [c.source.removeprefix(prefix) for c in b.citations]:
            other_copy.append(case["id"])
    return different, other_copy


def main(argv: list[str] | None = None) -> int:
    from assistant.answer.chain import build_chain
    from ingest.pipeline import run_ingest

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bbc_export")
    parser.add_argument("--noise", action="store_true", help="also compare two builds of the folder")
    args = parser.parse_args(argv)
    records = write_export()
    files = bench_settings("bbc", CORPUS)
    run_ingest(files)  # a no-op when benchmarks.bbc built it already
    export = bench_settings("bbc-export", EXPORT.parent)
    started = time.perf_counter()
    report = run_ingest(export, [EXPORT], rebuild=True)
    seconds = time.perf_counter() - started
    by_file, by_record = build_chain(files), build_chain(export)
    same_chunks = chunk_texts(by_file) == chunk_texts(by_record)
    cases = [json.loads(line) for line in DEV_CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    different, other_copy = compare(by_file, by_record, cases, f"{EXPORT.name}#")
    figures: dict[str, Any] = {
        "records": records,
        "documents_indexed": report.documents_total,
        "chunks_files": by_file.services.store.chunk_count(),
        "chunks_export": report.chunks_total,
        "same_chunk_texts": same_chunks,
        "export_ingest_s": round(seconds, 1),
        "export_docs_per_s": round(report.documents_total / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "questions": len(cases),
        "different_answers": different,
        "same_answer_from_another_copy": other_copy,
    }
    if args.noise:
        again = bench_settings("bbc-again", CORPUS)
        run_ingest(again, rebuild=True)
        noise_different, noise_copy = compare(by_file, build_chain(again), cases)
        figures |= {"rebuild_different_answers": noise_different, "rebuild_another_copy": noise_copy}
    write_figures("bbc_export", figures)
    for key, value in figures.items():
        print(f"{key:30} {value}")
    return 0 if same_chunks else 1


if __name__ == "__main__":
    sys.exit(main())
