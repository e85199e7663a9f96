"""Evaluation reports: report.md, report.json and a PNG chart, for one configuration or several side by
side. Rendering is pure; only `write_report` touches the disk."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import CaseResult, Metrics

# The rates drawn in the chart and listed first in the tables (all 0..1, higher is better).
RATES = (
    ("hit_at_1", "hit@1"),
    ("hit_at_3", "hit@3"),
    ("mrr", "MRR"),
    ("answer_accuracy", "answer accuracy"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("abstention_accuracy", "abstention accuracy"),
    ("unanswerable_abstained", "unanswerable abstained"),
    ("answerable_answered", "answerable answered"),
    ("support_rate", "support rate"),
    ("filter_compliance", "filter compliance"),
    ("order_accuracy", "timeline order accuracy"),
)
OTHER = (
    ("cited_hit_at_1", "cited hit@1"),
    ("cited_hit_at_3", "cited hit@3"),
    ("cited_mrr", "cited MRR"),
    ("latency_p50_ms", "latency p50 (ms)"),
    ("latency_p95_ms", "latency p95 (ms)"),
    ("errors", "errors"),
)
CHART_NAME = "report.png"


@dataclass(frozen=True)
class Run:
    """One configuration's results."""

    name: str
    config: dict[str, Any]
    metrics: Metrics
    results: list[CaseResult]


def report_json(runs: Sequence[Run], sources: Sequence[str]) -> dict[str, Any]:
    """``metrics`` and ``cases`` are the first configuration's; ``runs`` holds every configuration."""
    first = runs[0]
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "cases_files": list(sources),
        "configuration": first.config,
        "metrics": first.metrics.as_dict(),
        "cases": [vars(r) for r in first.results],
        "runs": [
            {"name": run.name, "configuration": run.config, "metrics": run.metrics.as_dict()} for run in runs
        ],
    }


def report_markdown(runs: Sequence[Run], sources: Sequence[str], chart: str | None = CHART_NAME) -> str:
    lines = [
        "# Evaluation report",
        "",
        f"Cases: {', '.join(f'`{s}`' for s in sources)}; {runs[0].metrics.cases} cases, "
        f"{runs[0].metrics.answerable} answerable. Created {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "Answer, retrieval and citation figures are over the answerable cases; abstention figures over "
        "all cases.",
        "",
        "| metric | " + " | ".join(_cell(run.name) for run in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for key, label in (*RATES, *OTHER):
        values = [_format(run.metrics.as_dict()[key]) for run in runs]
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    for extra in sorted({key for run in runs for key in run.metrics.extra}):
        lines.append(
            f"| {extra} | " + " | ".join(_format(run.metrics.extra.get(extra)) for run in runs) + " |"
        )
    lines.append("")
    if len(runs) > 1 or runs[0].config:
        lines.append("Configurations:")
        lines.extend(f"- **{_cell(run.name)}**: {_config(run.config)}" for run in runs)
        lines.append("")
    if chart:
        lines += [f"![metrics]({chart})", ""]
    for run in runs:
        failed = [r for r in run.results if r.failed]
        heading = f"## Failures: {_cell(run.name)}" if len(runs) > 1 else "## Failures"
        lines += [heading, ""]
        if not failed:
            lines += ["None.", ""]
            continue
        lines += [
            f"{len(failed)} of {len(run.results)} cases are not fully right (a wrong or missing answer, an "
            "answer to an unanswerable case, the expected source not retrieved first, or a citation of an "
            "unexpected source).",
            "",
            "| case | question | expected | got | cited | why |",
            "|---|---|---|---|---|---|",
        ]
        lines.extend(_failure_row(r) for r in failed)
        lines.append("")
    return "\n".join(lines)


def draw_chart(path: Path, runs: Sequence[Run]) -> None:
    """Grouped bars of the rates, one colour per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [label for _, label in RATES]
    width = 0.8 / len(runs)
    figure, axes = plt.subplots(figsize=(11, 4.8), dpi=110)
    for index, run in enumerate(runs):
        values = [run.metrics.as_dict()[key] for key, _ in RATES]
        positions = [i + (index - (len(runs) - 1) / 2) * width for i in range(len(labels))]
        bars = axes.bar(positions, values, width, label=run.name)
        axes.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=1)
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    axes.set_ylim(0, 1.08)
    axes.set_ylabel("share (higher is better)")
    latency = ", ".join(f"{run.name}: p50 {run.metrics.latency_p50_ms:.0f} ms" for run in runs)
    axes.set_title(f"Newsdesk evaluation, {runs[0].metrics.cases} cases ({latency})", fontsize=10)
    axes.legend(loc="lower right", fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_report(directory: Path, runs: Sequence[Run], sources: Sequence[str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.md", directory / "report.json", directory / CHART_NAME]
    draw_chart(paths[2], runs)
    paths[0].write_text(report_markdown(runs, sources), encoding="utf-8")
    paths[1].write_text(
        json.dumps(report_json(runs, sources), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return paths


def summary_table(runs: Sequence[Run]) -> str:
    """The metrics side by side, for the terminal."""
    width = max(12, *(len(run.name) for run in runs))
    lines = [f"{'metric':24}" + "".join(f"{run.name:>{width + 2}}" for run in runs)]
    for key, label in (*RATES, *OTHER):
        lines.append(
            f"{label:24}" + "".join(f"{_format(run.metrics.as_dict()[key]):>{width + 2}}" for run in runs)
        )
    for extra in sorted({key for run in runs for key in run.metrics.extra}):
        lines.append(
            f"{extra:24}" + "".join(f"{_format(run.metrics.extra.get(extra)):>{width + 2}}" for run in runs)
        )
    return "\n".join(lines)


def _failure_row(result: CaseResult) -> str:
    if result.error:
        got, why = "error", result.error
    elif not result.answerable:
        got, why = result.answer, "answered an unanswerable case"
    else:
        got = "abstained" if result.abstained else result.answer
        reasons = []
        if not result.correct:
            reasons.append("abstained" if result.abstained else "expected text missing")
        if result.retrieved_rank != 1:
            reasons.append(f"expected source retrieved at rank {result.retrieved_rank or '-'}")
        if (result.citation_precision or 0) < 1 and not result.abstained:
            reasons.append(f"citation precision {result.citation_precision or 0:.2f}")
        why = "; ".join(reasons)
    expected = (
        " + ".join(" / ".join(group) for group in result.expected_answer_contains)
        if result.answerable
        else "abstention"
    )
    cited = ", ".join(dict.fromkeys(result.cited_sources)) or "-"
    return (
        "| "
        + " | ".join(_cell(text) for text in (result.id, result.question, expected, _clip(got), cited, why))
        + " |"
    )


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _format(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.1f}"
    return str(value)


def _config(config: dict[str, Any]) -> str:
    return ", ".join(f"`{key}={value}`" for key, value in config.items()) or "the defaults"
