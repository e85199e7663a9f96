"""The evaluation harness: case validation, metrics, and the quality floor of the offline chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation.cases import InvalidCasesError, load_cases
from assistant.evaluation.metrics import answer_matches, compute_metrics, run_cases
from tests.conftest import PROJECT, settings_environment

SEED_CASES = PROJECT / "tests" / "eval" / "seed.jsonl"


def test_seed_cases_are_valid_and_varied() -> None:
    cases = load_cases([SEED_CASES])
    assert len(cases) >= 40
    kinds = {case.id.split("-")[0] for case in cases}
    assert {"fact", "list", "multi", "para", "follow", "unans"} <= kinds
    assert any(case.history for case in cases) and any(not case.answerable for case in cases)


def test_matching_is_case_insensitive_and_needs_every_group() -> None:
    groups = [["30-day", "thirty days"], ["truce"]]
    assert answer_matches("A 30-DAY Truce was agreed", groups)
    assert not answer_matches("A 30-day ceasefire", groups)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"id": "x"}', "missing"),
        (
            '{"id": "x", "question": "q", "history": [{"role": "system", "content": "c"}], '
            '"expected_sources": [], "expected_answer_contains": [], "answerable": false}',
            "history",
        ),
    ],
)
def test_bad_case_files_get_a_clear_error(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(InvalidCasesError, match=message):
        load_cases([path])


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    line = json.dumps(json.loads(SEED_CASES.read_text().splitlines()[0]))
    path = tmp_path / "dup.jsonl"
    path.write_text(f"{line}\n{line}\n")
    with pytest.raises(InvalidCasesError, match="duplicate"):
        load_cases([path])


def test_offline_chain_keeps_its_measured_quality_on_the_seed_cases(seed_chain) -> None:
    """The answering chain's bar (issue 3), on the figures measured when the answerer was tuned."""
    metrics = compute_metrics(run_cases(seed_chain, load_cases([SEED_CASES])))
    assert metrics.errors == 0
    assert metrics.hit_at_3 >= 0.95
    assert metrics.answer_accuracy >= 0.85
    assert metrics.citation_precision >= 0.90
    assert metrics.answerable_answered == 1.0
    assert metrics.unanswerable_abstained == 1.0


def small_cases(tmp_path: Path, ids: set[str]) -> Path:
    lines = [line for line in SEED_CASES.read_text().splitlines() if json.loads(line)["id"] in ids]
    path = tmp_path / "small.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_compares_configurations_writes_a_report_and_gates(
    tmp_path: Path, seed_index, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.evaluation.cli import main

    for name, value in settings_environment(seed_index).items():
        monkeypatch.setenv(name, value)
    cases = small_cases(tmp_path, {"fact-01", "fact-02", "para-02", "unans-01", "unans-14"})
    report = tmp_path / "report"
    compare = ["--compare", "dense:mode=dense", "--compare", "hybrid:retrieval_mode=hybrid"]
    options = ["--set", "min_support=0.4", "--report", str(report), "--min", "answer_accuracy=1.01"]
    status = main([str(cases), "--offline", *compare, *options])
    assert status == 1  # the impossible threshold is missed
    assert "threshold missed: answer_accuracy" in capsys.readouterr().err
    data = json.loads((report / "report.json").read_text())
    required = {"hit_at_1", "hit_at_3", "mrr", "answer_accuracy", "citation_precision", "citation_recall",
                "abstention_accuracy", "support_rate", "latency_p50_ms", "latency_p95_ms"}  # fmt: skip
    assert required <= data["metrics"].keys()
    assert len(data["cases"]) == 5 and [run["name"] for run in data["runs"]] == ["dense", "hybrid"]
    assert data["runs"][1]["configuration"] == {
        "use_llm": False,
        "min_support": 0.4,
        "retrieval_mode": "hybrid",
    }
    markdown = (report / "report.md").read_text()
    assert "| metric | dense | hybrid |" in markdown and "![metrics](report.png)" in markdown
    assert (report / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main([str(cases), "--offline", "--min", "unanswerable_abstained=1"]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--set", "no_such_setting=1"], "neither a request option nor a setting"),
        (["--compare", "missing-colon"], "NAME:KEY=VALUE"),
    ],
)
def test_cli_rejects_unknown_options_clearly(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.evaluation.cli import main

    with pytest.raises(SystemExit):
        main(["cases.jsonl", *arguments])
    assert message in capsys.readouterr().err


def test_llm_judge_grades_answers_when_an_llm_is_configured(
    tmp_path: Path, seed_index, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.evaluation.cli import main
    from tests.support.fake_llm import FakeLLMServer, Reply

    for name, value in settings_environment(seed_index).items():
        monkeypatch.setenv(name, value)
    cases = small_cases(tmp_path, {"fact-02", "para-02", "unans-01"})
    with FakeLLMServer(default=Reply(text="yes")) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        server.script(Reply(text="No, it does not."))
        assert main([str(cases), "--offline", "--judge", "--report", str(tmp_path / "r")]) == 0
        judged = [r for r in server.requests if "Grade (yes or no)" in json.dumps(r)]
    assert len(judged) == 2  # the answerable cases only
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["metrics"]["extra"]["judge_accuracy"] == 0.5


def test_cli_without_an_llm_refuses_to_judge(tmp_path: Path, seed_index, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from assistant.evaluation.cli import main

    for name, value in settings_environment(seed_index).items():
        monkeypatch.setenv(name, value)
    assert main([str(small_cases(tmp_path, {"fact-02"})), "--judge"]) == 1


def test_a_case_may_carry_filters_and_where_its_citations_must_come_from() -> None:
    from assistant.evaluation.cases import parse_case
    from assistant.evaluation.metrics import within_rate
    from assistant.types import Answer, Citation, Filters

    case = parse_case(
        {
            "id": "outlet-1", "question": "What did Harbor Wire report?", "history": [],
            "expected_sources": ["w.jsonl#1"], "expected_answer_contains": [["x"]], "answerable": True,
            "filters": {"outlets": ["Harbor Wire"]},
            "within": {"outlets": ["Harbor Wire"], "published_from": "2025-03-01"},
        },
        "line 1",
    )  # fmt: skip
    assert case.filters == Filters(outlets=("Harbor Wire",))
    inside = Citation("w.jsonl#1", "", "x", 0, 1, 1.0, outlet="Harbor Wire", published="2025-03-05")
    outside = Citation("w.jsonl#2", "", "y", 0, 1, 1.0, outlet="Harbor Wire", published="2025-02-05")
    assert within_rate(case, Answer("x [1] y [2]", (inside, outside))) == 0.5
    with pytest.raises(Exception, match="within: published_from must be a date"):
        parse_case({**{k: getattr(case, k) for k in ()}, "id": "b", "question": "q", "history": [],
                    "expected_sources": [], "expected_answer_contains": [], "answerable": False,
                    "within": {"published_from": "soon"}}, "line 2")  # fmt: skip
