"""Dating an event a question names from the reports about it, on hand-made passages."""

from __future__ import annotations

import datetime as dt

from assistant.retrieval.events import event_day
from assistant.text.tokens import keyword_tokens
from assistant.types import Chunk, Passage


def report(source: str, text: str, published: str = "") -> Passage:
    chunk = Chunk(f"id-{source}", source, source, text, 0, len(text), 0, "v1", published=published)
    return Passage(chunk, text, 0, len(text), 1.0)


def terms(event: str) -> frozenset[str]:
    return frozenset(keyword_tokens(event))


def test_the_earliest_report_naming_the_event_dates_it_by_the_day_its_sentence_states() -> None:
    passages = [
        report(
            "later.txt", "The market reopened. Since the storm flooded the market, trade fell.", "2025-04-02"
        ),
        report("first.txt", "Heavy storms on March 11 flooded the waterfront market.", "2025-03-12"),
        report("undated.txt", "The storm flooded the market on March 3.", ""),  # no year to read it by
    ]
    found = event_day(terms("the storm flooded the market"), passages)
    assert found is not None and (found.day, found.source) == (dt.date(2025, 3, 11), "first.txt")


def test_without_a_stated_day_the_publication_date_dates_it() -> None:
    found = event_day(
        terms("the council vote"), [report("v.txt", "The council vote was close.", "2025-03-18")]
    )
    assert found is not None and found.day == dt.date(2025, 3, 18)


def test_a_stated_day_after_its_report_is_of_the_year_before() -> None:
    passages = [report("r.txt", "The summit on December 20 ended without a deal.", "2025-01-05")]
    found = event_day(terms("the summit"), passages)
    assert found is not None and found.day == dt.date(2024, 12, 20)


def test_an_event_no_dated_report_names_is_not_dated() -> None:
    passages = [
        report("a.txt", "The storm flooded the market.", ""),
        report("b.txt", "Talks resumed.", "2025-03-01"),
    ]
    assert event_day(terms("the storm"), passages) is None
    assert event_day(frozenset(), passages) is None
