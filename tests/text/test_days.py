"""A calendar day in a question matches the same day written differently in an article."""

from __future__ import annotations

import pytest

from assistant.text.days import mentioned_days, states_any
from assistant.text.question import analyse_question
from assistant.text.tokens import keyword_tokens


@pytest.mark.parametrize(
    "text", ["on February 12", "on Feb. 12,", "Feb 12th", "12 February", "the 12th of February", "2025-02-12"]
)
def test_the_forms_of_one_day(text: str) -> None:
    assert {day[:2] for day in mentioned_days(text)} == {(2, 12)}
    assert states_any(text, [(2, 12, 2025)]) and states_any(text, [(2, 12, None)])


def test_a_year_given_on_both_sides_must_agree_and_nonsense_is_no_day() -> None:
    assert not states_any("February 12, 2024", [(2, 12, 2025)])
    assert mentioned_days("February 32") == frozenset()
    assert mentioned_days("Talks went on.") == frozenset()


def test_a_question_carries_its_days_and_keywords_match_across_forms() -> None:
    assert analyse_question("What happened on February 12?").days == ((2, 12, None),)
    assert keyword_tokens("on Feb. 12") == keyword_tokens("on February 12") == ["februari", "12"]
    assert keyword_tokens("12 Sept") == ["12", "septemb"] and keyword_tokens("a mar on it") == ["mar"]
