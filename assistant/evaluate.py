"""`python -m assistant.evaluate CASES.jsonl [...]`: run the real chain on test prompts and report.

Prints the metrics and every failing case; exits non-zero when a --min threshold is missed."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.cli import add_request_options, request_overrides
from assistant.errors import AssistantError
from assistant.evaluation import compute_metrics, load_cases, run_cases
from assistant.settings import Settings


def parse_threshold(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected METRIC=VALUE, got {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluate", description=__doc__)
    parser.add_argument("cases", nargs="+", type=Path, help="JSONL files of test prompts")
    add_request_options(parser)
    parser.add_argument("--json", action="store_true", help="print metrics and per-case results as JSON")
    parser.add_argument(
        "--min",
        type=parse_threshold,
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="fail below this",
    )
    args = parser.parse_args(argv)
    overrides = request_overrides(args)
    try:
        from assistant.chain import build_chain

        cases = load_cases(args.cases)
        chain = build_chain(Settings())
        chain.invoke({"question": "warm-up", **overrides})
        results = run_cases(chain, cases, overrides)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    metrics = compute_metrics(results).as_dict()
    if args.json:
        print(json.dumps({"metrics": metrics, "cases": [r.__dict__ for r in results]}, ensure_ascii=False))
    else:
        for name, value in metrics.items():
            if name != "extra":
                print(f"{name:24} {value}")
        for r in results:
            if r.failed:
                got = "abstained" if r.abstained else r.answer[:100].replace("\n", " ")
                print(f"FAIL {r.id}: expected {r.expected_answer_contains or 'abstention'} from "
                      f"{r.expected_sources or '-'}; got {got!r} citing {r.cited_sources}")  # fmt: skip
    missed = [
        f"{name} {metrics.get(name)} < {value}"
        for name, value in args.min
        if (metrics.get(name) or 0) < value
    ]
    for line in missed:
        print(f"threshold missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
