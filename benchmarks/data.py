"""The public benchmark data in ../shared/bench, read in place and written out as corpus folders the
project's own ingest reads; and indexes built from them, kept in build/bench/ between runs (a second
run is an incremental no-op)."""

from __future__ import annotations

import json
import os
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT, Settings

BENCH_DIR = Path(os.environ.get("NEWSDESK_BENCH_DIR", PROJECT_ROOT.parent / "shared" / "bench"))
WORK_DIR = PROJECT_ROOT / "build" / "bench"


def write_scifact_files(target: Path, limit: int | None = None) -> int:
    """Each abstract as ``<_id>.md`` with its title as heading; returns how many."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    with (BENCH_DIR / "scifact" / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if limit is not None and count >= limit:
                break
            doc = json.loads(line)
            path = target / f"{doc['_id']}.md"
            text = f"# {doc['title']}\n\n{doc['text']}\n"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            count += 1
    return count


def scifact_test_queries() -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """(query text by id, qrels: query id -> {doc id: relevance}) for the 300 test queries."""
    qrels: dict[str, dict[str, int]] = {}
    lines = (BENCH_DIR / "scifact" / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        query_id, doc_id, score = line.strip().split("\t")
        qrels.setdefault(query_id, {})[doc_id] = int(score)
    queries = {}
    with (BENCH_DIR / "scifact" / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            query = json.loads(line)
            if query["_id"] in qrels:
                queries[query["_id"]] = query["text"]
    return queries, qrels


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    source: str  # the gold paragraph's file
    answers: tuple[str, ...]


def write_squad_files(target: Path) -> list[SquadQuestion]:
    """Each of the 2,067 dev paragraphs as ``<article>-<paragraph>.md`` headed by its article title; returns
    the first question of every paragraph (a fixed sample of 2,067 questions)."""
    target.mkdir(parents=True, exist_ok=True)
    data = json.loads((BENCH_DIR / "squad-v1.1" / "dev-v1.1.json").read_text(encoding="utf-8"))
    questions = []
    for a, article in enumerate(data["data"]):
        title = article["title"].replace("_", " ")
        for p, paragraph in enumerate(article["paragraphs"]):
            name = f"{a:02d}-{p:03d}.md"
            path = target / name
            text = f"# {title}\n\n{paragraph['context']}\n"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            first = paragraph["qas"][0]
            answers = tuple(dict.fromkeys(answer["text"] for answer in first["answers"]))
            questions.append(SquadQuestion(first["id"], first["question"], name, answers))
    return questions


def bench_settings(name: str, corpus: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "corpus_dir": corpus,
        "index_dir": WORK_DIR / f"{name}-index",
        "use_llm": False,
    }
    values.update(overrides)
    return Settings(**values)


def write_figures(name: str, figures: dict[str, Any]) -> None:
    """Keep a benchmark's figures in build/bench/<name>.json."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    (WORK_DIR / f"{name}.json").write_text(json.dumps(figures, indent=2))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far: VmHWM, which (unlike ru_maxrss) does not carry the
    parent's peak over an exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
