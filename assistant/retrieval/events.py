"""The day of an event a question names ("since the storm", "before the council vote"), read from the
reports about it: the earliest day among the retrieved reports that name it, each report dated by the day
its sentence states (a missing year taken from the report), else by its publication date. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.text.days import mentioned_days
from assistant.text.published import day_of_number, published_bounds
from assistant.text.sentences import candidate_spans
from assistant.text.tokens import keyword_tokens
from assistant.types import Passage


@dataclass(frozen=True, slots=True)
class EventDay:
    day: dt.date
    source: str  # the report that dates it
    sentence: str  # the sentence naming the event there


def event_day(terms: Iterable[str], passages: Sequence[Passage]) -> EventDay | None:
    """The earliest dated mention of the event among ``passages`` (a sentence holding every event term);
    None when no dated report names it."""
    wanted = frozenset(terms)
    if not wanted:
        return None
    found: list[EventDay] = []
    for passage in passages:
        bounds = published_bounds(passage.published)
        for start, end in candidate_spans(passage.text):
            sentence = passage.text[start:end]
            if not wanted <= frozenset(keyword_tokens(sentence)):
                continue
            day = _stated_day(sentence, bounds) or (day_of_number(bounds[0]) if bounds else None)
            if day is not None:
                found.append(EventDay(day, passage.source, " ".join(sentence.split())))
                break
    return min(found, key=lambda event: event.day) if found else None


def _stated_day(sentence: str, bounds: tuple[int, int] | None) -> dt.date | None:
    """The first full day the sentence states, its year from the report when the sentence leaves it out
    (and the day is not after the report: "on March 11" in a report of 12 March 2025 is 11 March 2025)."""
    for month, day, year in mentioned_days(sentence):
        if year is None and bounds is None:
            continue
        try:
            stated = dt.date(year or bounds[1] // 10000, month, day)  # type: ignore[index]
            if year is None and stated > day_of_number(bounds[1]):  # type: ignore[index]
                stated = stated.replace(year=stated.year - 1)
        except ValueError:  # 31 February, or 29 February moved to a year without it
            continue
        return stated
    return None
