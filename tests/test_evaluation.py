"""The evaluation harness: case validation, metrics, and the quality floor of the offline chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation import InvalidCasesError, answer_matches, compute_metrics, load_cases, run_cases
from tests.conftest import PROJECT

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
    """A regression floor a little under the figures measured when the answerer was tuned."""
    metrics = compute_metrics(run_cases(seed_chain, load_cases([SEED_CASES])))
    assert metrics.errors == 0
    assert metrics.hit_at_3 >= 0.95
    assert metrics.answer_accuracy >= 0.83
    assert metrics.citation_precision >= 0.87
    assert metrics.answerable_answered == 1.0
    assert metrics.unanswerable_abstained == 1.0
