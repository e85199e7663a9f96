"""Grid-search the offline answerer's scoring weights on a set of test prompts.

    python -m benchmarks.tune_answerer '{"keep_ratio": [0.7, 0.8], "neighbour_ratio": [0.5, 0.8]}'

Keys are fields of ``assistant.answer.offline.OfflineWeights`` or request overrides (``top_k``,
``retrieval_mode``). Prints the ten best combinations by accuracy + citation precision, with the
abstention figures beside them. Figures chosen this way are in-sample for the cases used."""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from assistant.answer.chain import NewsdeskChain, build_chain
from assistant.answer.offline import OfflineWeights
from assistant.evaluation.cases import load_cases
from assistant.evaluation.metrics import compute_metrics, run_cases
from assistant.settings import Settings

WEIGHTS = {field.name for field in fields(OfflineWeights)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("grid", help="JSON object: name -> list of values")
    parser.add_argument("--cases", type=Path, default=Path("tests/eval/seed.jsonl"))
    args = parser.parse_args(argv)
    grid: dict[str, list[Any]] = json.loads(args.grid)
    cases = load_cases([args.cases])
    services = build_chain(Settings(use_llm=False)).services
    rows = []
    for combination in itertools.product(*grid.values()):
        point = dict(zip(grid, combination, strict=True))
        overrides = {name: value for name, value in point.items() if name not in WEIGHTS}
        weights = replace(services.offline_weights, **{k: v for k, v in point.items() if k in WEIGHTS})
        chain = NewsdeskChain(replace(services, offline_weights=weights))
        metrics = compute_metrics(run_cases(chain, cases, overrides or None))
        rows.append((metrics, point))
    rows.sort(key=lambda row: -(row[0].answer_accuracy + row[0].citation_precision))
    print("accuracy  precision  answered  abstained  point")
    for metrics, point in rows[:10]:
        print(
            f"{metrics.answer_accuracy:8.3f}  {metrics.citation_precision:9.3f}  "
            f"{metrics.answerable_answered:8.3f}  {metrics.unanswerable_abstained:9.3f}  {point}"
        )


if __name__ == "__main__":
    main()
