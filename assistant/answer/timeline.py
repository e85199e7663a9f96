"""A timeline, offline: the relevant sentences that state when something happened, in the order it
happened, each quoted verbatim with its citation and led by its date ("12 Feb 2025 — ... [1]").

An event's date is its report's publication date; in an undated report, the day (or month) the
sentence states, a day written without its year ("Feb. 12") taking a year the passage states, else the
reference year (the newest publication year in the index), and shown without a year. A sentence of an
undated report that states no date is left out: a timeline of guesses is worse than none."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.offline import Candidate, compose_lines
from assistant.text.days import MONTH_NAME, MONTHS, mentioned_days
from assistant.text.published import display_date
from assistant.types import Answer, Passage

MIN_EVENTS = 2  # fewer dated sentences than this make no timeline: the ordinary answer is given
MAX_EVENTS = 6
RELEVANT_SHARE = 0.6  # a dated sentence must score at least this share of the best candidate, and hold
# one of the question's topic terms or be this similar to it
ON_TOPIC_SIMILARITY = 0.4
_MONTH_YEAR = re.compile(rf"\b({MONTH_NAME})\.?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass(frozen=True, slots=True)
class Event:
    when: tuple[int, int, int]  # year, month, day (day 0: the month as a whole)
    label: str  # "12 Feb 2025", "12 Feb", "Mar 2025"
    candidate: Candidate


def event_of(candidate: Candidate, passage: Passage, reference_year: int | None) -> Event | None:
    """The event a sentence reports, dated: by its report's publication date when the report has one
    (a date the sentence states may be one the event looks ahead to: "the toll rises from March 1"),
    else by the day or month the sentence states; None when neither is known."""
    if passage.published:
        parts = [int(part) for part in passage.published.split("-")] + [0, 0]
        return Event((parts[0], parts[1], parts[2]), display_date(passage.published), candidate)
    days = sorted(mentioned_days(candidate.text), key=lambda d: (d[2] or 0, d[0], d[1]))
    if days:
        month, day, year = days[0]
        shown = year or _year_of(passage, reference_year)
        if shown is None:
            return None
        label = f"{day} {_month(month)}" + (f" {year}" if year else "")
        return Event((shown, month, day), label, candidate)
    match = _MONTH_YEAR.search(candidate.text)
    if match:
        month, year = MONTHS[match.group(1).lower()], int(match.group(2))
        return Event((year, month, 0), f"{_month(month)} {year}", candidate)
    return None


def timeline_answer(
    question: str,
    passages: Sequence[Passage],
    ranked: Sequence[Candidate],
    reference_year: int | None = None,
) -> Answer | None:
    """The timeline of the ranked candidate sentences, or None when fewer than MIN_EVENTS are dated."""
    if not ranked:
        return None
    floor = RELEVANT_SHARE * ranked[0].score
    events: list[Event] = []
    for candidate in ranked:
        if candidate.score < floor or len(events) >= MAX_EVENTS:
            break
        if candidate.coverage == 0 and candidate.similarity < ON_TOPIC_SIMILARITY:
            continue
        event = event_of(candidate, passages[candidate.passage], reference_year)
        if event is None or any(_same_event(event, other) for other in events):
            continue
        events.append(event)
    if len(events) < MIN_EVENTS:
        return None
    events.sort(key=lambda e: e.when)  # stable: one day's sentences keep their relevance order
    text, citations = compose_lines([(f"{e.label} — ", e.candidate) for e in events], passages)
    return Answer(text, citations, question=question, passages=tuple(passages))


def _same_event(a: Event, b: Event) -> bool:
    """Two sentences of one day saying much the same (copies of one report)."""
    if a.when != b.when:
        return False
    shared = len(a.candidate.terms & b.candidate.terms)
    return shared > 0.6 * max(1, min(len(a.candidate.terms), len(b.candidate.terms)))


def _year_of(passage: Passage, reference_year: int | None) -> int | None:
    if passage.published:
        return int(passage.published[:4])
    years = _YEAR.findall(passage.text)
    return int(years[0]) if years else reference_year


def _month(month: int) -> str:
    return dt.date(2000, month, 1).strftime("%b")
