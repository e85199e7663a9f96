"""`python -m assistant.evaluate CASES.jsonl [...]`: run the real chain on test prompts and report.

    python -m assistant.evaluate tests/eval/seed.jsonl --report artifacts/eval
    python -m assistant.evaluate tests/eval/seed.jsonl --offline --min answer_accuracy=0.85
    python -m assistant.evaluate tests/eval/seed.jsonl --compare dense:retrieval_mode=dense \\
        --compare hybrid:retrieval_mode=hybrid --report artifacts/modes
    python -m assistant.evaluate tests/eval/seed.jsonl --set min_support=0.45 --set top_k=8

The chain runs with the same settings as the app (ASSISTANT_* variables), changed by --set, --mode,
--top-k and --offline. Each --compare NAME:KEY=VALUE[,KEY=VALUE] is one configuration on top of those;
the report puts them side by side. KEY is retrieval_mode, top_k, use_llm or any setting name.
Prints a summary and every failing case, writes report.md, report.json and report.png with --report,
and exits 1 when a --min threshold is missed (checked on the first configuration)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.answer.cli import add_request_options, request_overrides
from assistant.errors import AssistantError, ConfigurationError
from assistant.evaluation.cases import load_cases
from assistant.evaluation.metrics import compute_metrics, run_cases
from assistant.evaluation.report import Run, summary_table, write_report
from assistant.settings import Settings

REQUEST_KEYS = {"retrieval_mode", "top_k", "use_llm"}
ALIASES = {"mode": "retrieval_mode"}


def parse_threshold(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected METRIC=VALUE, got {text!r}") from None


def parse_assignment(text: str) -> tuple[str, Any]:
    """KEY=VALUE with the value read as JSON when it is JSON (8, 0.4, true), else as a string."""
    key, separator, raw = text.partition("=")
    key = ALIASES.get(key.strip(), key.strip())
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if key not in REQUEST_KEYS and key not in Settings.model_fields:
        raise argparse.ArgumentTypeError(f"{key!r} is neither a request option nor a setting")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key, value


def parse_configuration(text: str) -> tuple[str, dict[str, Any]]:
    name, separator, assignments = text.partition(":")
    if not separator or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME:KEY=VALUE[,KEY=VALUE], got {text!r}")
    return name.strip(), dict(parse_assignment(part) for part in assignments.split(",") if part.strip())


class Chains:
    """One chain per distinct set of settings, all sharing the loaded embedding model."""

    def __init__(self) -> None:
        self._chains: dict[str, Any] = {}
        self._embeddings: Any = None

    def get(self, settings_overrides: dict[str, Any]) -> Any:
        from pydantic import ValidationError

        from assistant.answer.chain import build_chain

        key = json.dumps(settings_overrides, sort_keys=True, default=str)
        if key not in self._chains:
            try:
                settings = Settings(**settings_overrides)
            except ValidationError as exc:
                raise ConfigurationError(f"invalid setting: {exc.errors()[0]['msg']}") from None
            chain = build_chain(settings, embeddings=self._embeddings)
            self._embeddings = chain.services.embeddings
            self._chains[key] = chain
        return self._chains[key]


def run_configuration(
    chains: Chains, name: str, config: dict[str, Any], cases: Sequence[Any], judge: bool
) -> Run:
    request = {k: v for k, v in config.items() if k in REQUEST_KEYS}
    chain = chains.get({k: v for k, v in config.items() if k not in REQUEST_KEYS})
    chain.invoke({"question": "warm-up", **request})
    results = run_cases(chain, cases, request)
    metrics = compute_metrics(results)
    if judge:
        from assistant.evaluation.judge import judge_results

        if not chain.llm_available:
            raise ConfigurationError("--judge needs an LLM: set OPENAI_API_KEY or OPENAI_BASE_URL")
        metrics.extra["judge_accuracy"] = judge_results(chain.services.chat_model, cases, results)
    return Run(name, config, metrics, results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.evaluate",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("cases", nargs="+", type=Path, help="JSONL files of test prompts")
    add_request_options(parser)
    parser.add_argument(
        "--set",
        type=parse_assignment,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a setting or request option for every configuration",
    )
    parser.add_argument(
        "--compare",
        type=parse_configuration,
        action="append",
        default=[],
        metavar="NAME:KEY=VALUE[,KEY=VALUE]",
        help="a configuration to put side by side",
    )
    parser.add_argument("--report", type=Path, metavar="DIR", help="write report.md, report.json, report.png")
    parser.add_argument("--judge", action="store_true", help="also grade answers with the configured LLM")
    parser.add_argument("--json", action="store_true", help="print metrics and per-case results as JSON")
    parser.add_argument("--min", type=parse_threshold, action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 1 when the first configuration scores below this")  # fmt: skip
    args = parser.parse_args(argv)
    base = {**request_overrides(args), **dict(args.set)}
    configurations = [(name, {**base, **config}) for name, config in args.compare] or [("default", base)]
    try:
        cases = load_cases(args.cases)
        chains = Chains()
        runs = [run_configuration(chains, name, config, cases, args.judge) for name, config in configurations]
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    sources = [str(path) for path in args.cases]
    if args.json:
        first = runs[0]
        print(json.dumps({"metrics": first.metrics.as_dict(), "cases": [vars(r) for r in first.results]},
                         ensure_ascii=False))  # fmt: skip
    else:
        print(summary_table(runs))
        for run in runs:
            for r in run.results:
                if r.failed:
                    got = "abstained" if r.abstained else r.answer[:100].replace("\n", " ")
                    expected = r.expected_answer_contains or "abstention"
                    print(f"FAIL {run.name}/{r.id}: expected {expected} from {r.expected_sources or '-'}; "
                          f"got {got!r} citing {r.cited_sources}")  # fmt: skip
    if args.report:
        written = write_report(args.report, runs, sources)
        print("report: " + ", ".join(str(path) for path in written), file=sys.stderr)
    metrics = runs[0].metrics.as_dict() | runs[0].metrics.extra
    missed = [
        f"{name} {metrics.get(name)} < {value}"
        for name, value in args.min
        if (metrics.get(name) or 0) < value
    ]
    unknown = [name for name, _ in args.min if name not in metrics]
    for name in unknown:
        print(f"unknown metric in --min: {name}", file=sys.stderr)
    for line in missed:
        print(f"threshold missed: {line}", file=sys.stderr)
    return 1 if missed or unknown else 0


if __name__ == "__main__":
    raise SystemExit(main())
