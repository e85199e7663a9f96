"""Timelines offline: dated, relevant sentences in the order they happened, each cited."""

from __future__ import annotations

from assistant.answer.offline import candidates
from assistant.answer.timeline import event_of, timeline_answer
from assistant.evaluation.cases import parse_case
from assistant.evaluation.metrics import order_rate
from assistant.text.question import analyse_question
from assistant.types import Chunk, Citation, Passage
from assistant.web.render import timeline_view


def passage(source: str, text: str, published: str = "") -> Passage:
    chunk = Chunk(f"id-{source}", source, source, text, 0, len(text), 0, "v1", "", published)
    return Passage(chunk, text, 0, len(text), 1.0)


def timeline(question: str, passages: list[Passage], year: int | None = 2025) -> str | None:
    asked = analyse_question(question)
    ranked = candidates(asked, passages, asked.term_weights(lambda term: 1.0))
    answer = timeline_answer(asked.text, passages, ranked, year)
    return answer.answer if answer else None


def test_events_are_ordered_by_their_reports_dates_else_by_the_days_they_state() -> None:
    passages = [
        passage("b.md", "The council approved the bridge repair budget on Monday.", "2025-03-18"),
        passage("a.md", "The council proposed a bridge repair budget of $4.2 million.", "2025-02-20"),
        passage("c.txt", "The bridge repair budget was first discussed by the council on Jan. 9."),
        passage("d.txt", "The bridge repair budget is popular with the council."),  # undated, states no day
    ]
    text = timeline("Give me a timeline of the bridge repair budget", passages)
    assert text is not None
    lines = text.splitlines()
    assert [line.split(" — ")[0] for line in lines] == ["- 9 Jan", "- 20 Feb 2025", "- 18 Mar 2025"]
    assert lines[1].endswith("$4.2 million. [2]") and "popular" not in text


def test_one_dated_event_is_no_timeline() -> None:
    passages = [passage("a.md", "The council proposed a bridge repair budget.", "2025-02-20")]
    assert timeline("Give me a timeline of the bridge repair budget", passages) is None


def test_a_day_without_a_year_takes_the_passages_year_or_none_is_shown() -> None:
    undated = passage("c.txt", "Talks began on Feb. 12 in Riyadh.")
    assert event_of(candidates(analyse_question("talks"), [undated], {"talk": 1.0})[0], undated, None) is None
    event = event_of(candidates(analyse_question("talks"), [undated], {"talk": 1.0})[0], undated, 2025)
    assert event is not None and (event.when, event.label) == ((2025, 2, 12), "12 Feb")


def test_timeline_questions_are_recognised() -> None:
    for question in (
        "Give me a timeline of the minerals deal",
        "How did the ceasefire talks develop?",
        "In what order did the calls and the meeting happen?",
        "What is the chronology of the talks?",
    ):
        assert analyse_question(question).timeline, question
    assert not analyse_question("Which company is to develop the oilfield?").timeline
    assert dict(analyse_question("Give me a timeline of the minerals deal").terms) == {
        "miner": 1.0,
        "deal": 1.0,
    }


def test_order_accuracy_counts_pairs_in_order() -> None:
    case = parse_case(
        {
            "id": "t", "question": "q", "history": [], "expected_sources": [], "answerable": True,
            "expected_answer_contains": [["a"]], "expected_order": ["Feb. 12", "Feb. 14", "March 6"],
        },
        "line 1",
    )  # fmt: skip
    assert order_rate(case, "Feb. 12 ... Feb. 14 ... March 6") == 1.0
    assert order_rate(case, "Feb. 14 ... Feb. 12 ... March 6") == 2 / 3
    assert order_rate(case, "Feb. 12 only") == 0.0


def test_the_sources_panel_shows_the_reports_in_date_order() -> None:
    cited = [
        Citation("b.md", "Budget approved", "q", 0, 1, 1.0, outlet="Harbor Wire", published="2025-03-18"),
        Citation("a.md", "Budget proposed", "q", 0, 1, 1.0, published="2025-02-20"),
    ]
    view = timeline_view(cited, 1)
    assert view.index("20 Feb 2025") < view.index("18 Mar 2025")
    assert "Harbor Wire · Budget approved" in view
    assert timeline_view(cited[:1], 1) == ""  # one dated source is no timeline
