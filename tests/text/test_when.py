"""Periods and 'latest' read from a question, counted from a reference day."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.text.when import may_name_time, time_scope

REFERENCE = dt.date(2025, 3, 12)  # a Wednesday


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What happened in March 2025?", "2025-03-01", "2025-03-31"),
        ("What happened in February?", "2025-02-01", "2025-02-28"),  # the latest February
        ("What happened in April?", "2024-04-01", "2024-04-30"),  # April 2025 is after the reference
        ("What happened in 2024?", "2024-01-01", "2024-12-31"),
        ("What happened last week?", "2025-03-03", "2025-03-09"),  # the calendar week before
        ("What happened this week?", "2025-03-10", "2025-03-12"),
        ("news of the past 3 days", "2025-03-10", "2025-03-12"),
        ("What did Trump say last month?", "2025-02-01", "2025-02-28"),
        ("What happened yesterday?", "2025-03-11", "2025-03-11"),
        ("What has happened since March 1?", "2025-03-01", ""),
        ("What happened after March 6, 2025?", "2025-03-07", ""),
        ("What was said before March 2025?", "", "2025-02-28"),
        ("What was agreed until 12 February?", "", "2025-02-12"),
        ("What happened between March 1 and March 10?", "2025-03-01", "2025-03-10"),
        ("What happened between 1 and 10 March?", "2025-03-01", "2025-03-10"),
        ("news from March 3 to 9", "2025-03-03", "2025-03-09"),
        ("What was said from Feb. 12 through March 6, 2025?", "2025-02-12", "2025-03-06"),
        ("What happened between February and March?", "2025-02-01", "2025-03-31"),
        ("What changed between December and February?", "2024-12-01", "2025-02-28"),
        ("What happened between 2023 and 2024?", "2023-01-01", "2024-12-31"),
        ("Reports between 28 February 2025 and 3 March 2025", "2025-02-28", "2025-03-03"),
    ],
)
def test_a_period_becomes_a_range_of_publication_days(question: str, start: str, end: str) -> None:
    scope = time_scope(question, REFERENCE)
    assert scope is not None and (scope.published_from, scope.published_to) == (start, end)
    assert may_name_time(question)


def test_latest_asks_for_newer_reports_and_says_so() -> None:
    scope = time_scope("What's the latest on the minerals deal?", REFERENCE)
    assert scope is not None and scope.latest and not scope.has_range
    assert scope.describe() == "the newest reports first"
    both = time_scope("most recent news in March 2025", REFERENCE)
    assert (
        both is not None
        and both.describe() == "reports from 1 Mar 2025 to 31 Mar 2025, the newest reports first"
    )


@pytest.mark.parametrize(
    "question",
    ["How did prices move from 3 to 9 percent?", "Who was between 20 and 30 years old?", "from 2 to 4 pm"],
)
def test_numbers_that_are_no_dates_are_no_range(question: str) -> None:
    assert time_scope(question, REFERENCE) is None


def test_a_range_says_what_it_covers() -> None:
    scope = time_scope("What happened between March 1 and March 10?", REFERENCE)
    assert scope is not None and scope.said == "between March 1 and March 10"
    assert scope.describe() == "reports from 1 Mar 2025 to 10 Mar 2025"


def test_a_day_is_no_period_and_the_reference_is_asked_for_only_when_needed() -> None:
    assert time_scope("What happened on February 12?", REFERENCE) is None
    assert time_scope("What did Trump say about Putin?", lambda: 1 / 0) is None  # type: ignore[arg-type,return-value]
    absolute = time_scope("What happened in March 2025?", lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    assert absolute is not None and absolute.span() == "from 1 Mar 2025 to 31 Mar 2025"


@pytest.mark.parametrize(
    ("question", "event", "relation"),
    [
        ("What did the council approve after the storm?", "the storm", "after"),
        ("Since the Oval Office meeting, what has Zelensky said?", "the Oval Office meeting", "since"),
        ("What did the council say before the vote?", "the vote", "before"),
        ("What was agreed until their summit in Riyadh?", "their summit in Riyadh", "until"),
    ],
)
def test_a_period_bounded_by_an_event_names_the_event(question: str, event: str, relation: str) -> None:
    scope = time_scope(question, lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    assert scope is not None and (scope.event, scope.relation) == (event, relation) and not scope.has_range
    assert may_name_time(question)


@pytest.mark.parametrize(
    "question",
    [
        "What did Trump say after meeting Putin?",  # no event phrase
        "What does the US want Ukraine to do after a ceasefire?",  # may never have happened
        "What happened since the start of March?",  # a time, not an event
        "What changed after the first week?",
    ],
)
def test_other_phrases_are_no_event(question: str) -> None:
    scope = time_scope(question, REFERENCE)
    assert scope is None or not scope.event


def test_a_dated_event_bounds_the_period_with_its_day_included() -> None:
    from assistant.text.when import bounded_by

    after = time_scope("What did the council approve after the storm?", REFERENCE)
    before = time_scope("What did the council say before the vote?", REFERENCE)
    assert after is not None and before is not None
    day = dt.date(2025, 3, 11)
    assert (bounded_by(after, day).published_from, bounded_by(after, day).published_to) == ("2025-03-11", "")
    assert (bounded_by(before, day).published_from, bounded_by(before, day).published_to) == (
        "",
        "2025-03-11",
    )
