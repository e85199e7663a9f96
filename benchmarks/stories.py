"""Stories on the BBC News folder: how well copies and re-edits are found, what it costs at ingest, and
what it changes in answers.

    python -m benchmarks.stories

1. Pairs of documents that share at least a fifth of their 5-word shingles (exact Jaccard), by band,
   and which of them ingest put in one story; the 98 byte-identical pairs must all be.
2. The stories step of a no-change ingest and of the ingest benchmarks.bbc ran (seconds).
3. The 60 BBC dev cases and the 70 seed prompts answered with stories and without (every document its
   own story, as before): answer accuracy, citations of one story cited twice in an answer, distinct
   stories in the top 5 passages."""

from __future__ import annotations

import collections
import hashlib
import json
import re
import sys
from typing import Any

from assistant.evaluation.cases import load_cases
from assistant.evaluation.metrics import answer_matches
from assistant.index.stories import Stories
from benchmarks.bbc import CORPUS, DEV_CASES
from benchmarks.data import PROJECT_ROOT, bench_settings, write_figures

SEED_CASES = PROJECT_ROOT / "tests" / "eval" / "seed.jsonl"
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


def pair_table(store: Any, stories: Stories) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    texts = {source: store.document_text(source) or "" for source in store.live_versions()}
    sets = {source: shingles(text) for source, text in texts.items()}
    lsh = MinHashLSH(threshold=0.2, num_perm=128)
    hashes = {}
    for source, found in sets.items():
        minhash = MinHash(num_perm=128)
        minhash.update_batch([s.encode() for s in found])
        hashes[source] = minhash
        lsh.insert(source, minhash)
    pairs = {tuple(sorted((a, b))) for a, m in hashes.items() for b in lsh.query(m) if a != b}
    by_hash = collections.defaultdict(list)
    for source, text in texts.items():
        by_hash[hashlib.sha256(text.encode()).digest()].append(source)
    exact = {tuple(sorted((a, b))) for group in by_hash.values() for a in group for b in group if a < b}
    bands: dict[str, list[int]] = {}
    for a, b in pairs | exact:
        jaccard = len(sets[a] & sets[b]) / max(1, len(sets[a] | sets[b]))
        if jaccard < 0.2:
            continue
        band = "1.0 (identical text)" if (a, b) in exact else f"{min(int(jaccard * 10), 9) / 10:.1f}"
        found = bands.setdefault(band, [0, 0])
        found[0] += 1
        found[1] += stories.of_source(a) == stories.of_source(b)
    return {
        "exact_pairs": len(exact),
        "exact_pairs_in_one_story": sum(stories.of_source(a) == stories.of_source(b) for a, b in exact),
        "pairs_by_jaccard_band": {
            band: {"pairs": n, "in_one_story": same} for band, (n, same) in sorted(bands.items())
        },
    }


def answer_figures(chain: Any, cases: list[Any], stories: Stories) -> dict[str, float]:
    correct = answered = duplicates = 0
    distinct: list[int] = []
    for case in cases:
        answer = chain.invoke({"question": case.question, "chat_history": list(case.history)})
        if case.answerable:
            answered += 1
            correct += not answer.abstained and answer_matches(answer.answer, case.expected_answer_contains)
        cited = [stories.of_source(c.source) for c in answer.citations]
        sources = {}
        for citation, story in zip(answer.citations, cited, strict=True):
            sources.setdefault(story, set()).add(citation.source)
        duplicates += sum(len(s) > 1 for s in sources.values())
        distinct.append(len({stories.of_source(p.source) for p in answer.passages[:5]}))
    return {
        "answer_accuracy": round(correct / max(1, answered), 4),
        "answers_citing_one_story_twice": duplicates,
        "distinct_stories_in_top5_mean": round(sum(distinct) / max(1, len(distinct)), 3),
    }


def main() -> int:
    from assistant.answer.chain import build_chain
    from ingest.pipeline import run_ingest

    figures: dict[str, Any] = {}
    for name, corpus, cases_path in (
        ("bbc", CORPUS, DEV_CASES),
        ("seed", PROJECT_ROOT / "data" / "corpus", SEED_CASES),
    ):
        settings = bench_settings(name if name == "bbc" else "seed-stories", corpus)
        report = run_ingest(settings)
        chain = build_chain(settings)
        stories = chain.services.retriever.stories()
        cases = load_cases([cases_path])
        row: dict[str, Any] = {
            "documents": report.documents_total,
            "stories_shared": stories.shared,
            "documents_in_shared_stories": stories.documents_shared,
            "stories_step_s_no_change_ingest": report.stories_seconds,
        }
        if name == "bbc":
            row |= pair_table(chain.services.store, stories)
        row["with_stories"] = answer_figures(chain, cases, stories)
        chain.services.retriever.stories = lambda: Stories()  # type: ignore[method-assign]
        row["without_stories"] = answer_figures(chain, cases, stories)
        figures[name] = row
    write_figures("stories", figures)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
