"""Time in a question: a period it asks about ("in March 2025", "last week", "since March 1", "in 2024",
"between March 1 and March 10")
becomes a range of publication days, resolved against a reference day (the newest publication date in
the index unless set); "latest" / "most recent" asks for newer reports first. Pure functions: the
question path stays free of a date library's import (dateparser reads the looser dates of records and
feeds at ingest)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.text.days import MONTH_NAME, MONTHS

_MONTH_WORD = rf"(?:{MONTH_NAME})\.?"
_LATEST = re.compile(r"\b(latest|most recent|newest|most up[- ]to[- ]date|recent(?:ly)?)\b", re.IGNORECASE)
_RELATIVE = re.compile(
    r"\b(?P<which>last|past|this|previous)\s+(?:(?P<n>\d{1,3}|two|three|four|five|six|seven)\s+)?"
    r"(?P<unit>days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_YESTERDAY = re.compile(r"\b(yesterday|today)\b", re.IGNORECASE)
_DAY_NUMBER = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
# "March 1", "March 1, 2025", "1 March 2025", "February 2025", "2024"
_DATE = (
    rf"{_MONTH_WORD}(?:\s+{_DAY_NUMBER})?(?:,?\s+{_YEAR})?"
    rf"|{_DAY_NUMBER}\s+{_MONTH_WORD}(?:,?\s+{_YEAR})?"
    rf"|{_YEAR}"
)
_SINCE = re.compile(rf"\b(?P<word>since|after|before|until|till)\s+(?P<date>{_DATE})\b", re.IGNORECASE)
# "between March 1 and March 10", "from 3 to 9 March 2025", "between February and March", "from March 3
# to 9": the second end may be a bare day of the first's month, and a year written once counts for both.
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+(?P<first>{_DATE}|{_DAY_NUMBER})\s+(?:and|to|until|till|through|thru|[-–])\s+"
    rf"(?P<last>{_DATE}|{_DAY_NUMBER}(?:,?\s+{_YEAR})?)\b",
    re.IGNORECASE,
)
# "since the storm", "after the council vote", "before the Oval Office meeting": a period bounded by an
# event, dated later from the reports about it. Only a phrase led by a definite determiner ("after meeting
# Putin" is no event the index could date, "after a ceasefire" may be none that happened), ending at
# punctuation or the question's next clause.
_EVENT = re.compile(
    r"\b(?P<word>since|after|before|until|till)\s+(?P<event>(?:the|his|her|their|its)\s+[^?.!,;]{3,80}?)"
    r"(?=\s*(?:[?.!,;]|$)|\s+(?:what|who|how|which|when|where|did|does|do|has|have|had|was|were|is|are)\b)",
    re.IGNORECASE,
)
_NOT_AN_EVENT = re.compile(
    rf"\b(?:{MONTH_NAME}|(?:19|20)\d\d|start|end|beginning|middle|week|month|year|day|morning|evening|time)\b",
    re.IGNORECASE,
)
_IN_MONTH = re.compile(
    rf"\b(?:in|during|throughout|from)\s+(?:early\s+|late\s+|mid-?)?(?P<month>{_MONTH_WORD})(?:\s+(?P<year>(?:19|20)\d\d))?\b"
    r"(?!\s+\d)",
    re.IGNORECASE,
)
_IN_YEAR = re.compile(r"\b(?:in|during|throughout)\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE)
_WORD_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


@dataclass(frozen=True, slots=True)
class TimeScope:
    """What a question says about time: a range of publication days and/or a wish for the latest."""

    published_from: str = ""  # ISO day, inclusive; "" for open
    published_to: str = ""
    latest: bool = False
    said: str = ""  # the words of the question it comes from ("last week")
    event: str = ""  # an event bounding the period, to be dated from the reports ("the storm")
    relation: str = ""  # how: "since", "after", "before" or "until"

    @property
    def has_range(self) -> bool:
        return bool(self.published_from or self.published_to)

    def span(self) -> str:
        """'from 1 Mar 2025 to 31 Mar 2025', 'since 1 Mar 2025', 'until 28 Feb 2025', 'on 11 Mar 2025'."""
        start, end = _shown(self.published_from), _shown(self.published_to)
        if start and end:
            return f"on {start}" if start == end else f"from {start} to {end}"
        if start or end:
            return f"since {start}" if start else f"until {end}"
        return ""

    def describe(self) -> str:
        """'reports from 1 Mar 2025 to 31 Mar 2025', 'reports since 1 Mar 2025', 'the newest reports
        first'."""
        span = f"reports {self.span()}" if self.has_range else ""
        latest = "the newest reports first" if self.latest else ""
        return ", ".join(part for part in (span, latest) if part)


def may_name_time(text: str) -> bool:
    """A cheap first look: whether the question holds any time expression this module reads."""
    return any(
        pattern.search(text)
        for pattern in (_LATEST, _RELATIVE, _YESTERDAY, _BETWEEN, _SINCE, _EVENT, _IN_MONTH, _IN_YEAR)
    )


def time_scope(text: str, reference: dt.date | Callable[[], dt.date]) -> TimeScope | None:
    """The time the question asks about, or None when it names no period and doesn't ask for the
    latest. A day ("on February 12") is not a period: it is matched in the articles' text instead.
    ``reference`` may be a function: it is called only when the period is relative ("last week")."""
    latest = bool(_LATEST.search(text))
    found = _period(text, _Reference(reference))
    if found is None and (event := _event(text)) is not None:
        return TimeScope(
            latest=latest, said=event.group(0), event=event.group("event"), relation=_relation(event)
        )
    if found is None:
        return TimeScope(latest=True, said=_LATEST.search(text).group(0)) if latest else None  # type: ignore[union-attr]
    start, end, said = found
    return TimeScope(start.isoformat() if start else "", end.isoformat() if end else "", latest, said)


def bounded_by(scope: TimeScope, day: dt.date) -> TimeScope:
    """The period of an event-bounded scope once its event is dated: "since / after the storm" from the
    storm's day, "before / until" up to it, that day included either way (its own reports often say what
    came just before or after it)."""
    start, end = (day.isoformat(), "") if scope.relation in ("since", "after") else ("", day.isoformat())
    return TimeScope(start, end, scope.latest, scope.said, scope.event, scope.relation)


def _event(text: str) -> re.Match[str] | None:
    match = _EVENT.search(text)
    if match is None or _NOT_AN_EVENT.search(match.group("event")):
        return None
    return match


def _relation(match: re.Match[str]) -> str:
    word = match.group("word").lower()
    return {"till": "until"}.get(word, word)


class _Reference:
    """The reference day, asked for only when it is needed."""

    def __init__(self, day: dt.date | Callable[[], dt.date]) -> None:
        self._day = day

    @functools.cached_property
    def date(self) -> dt.date:
        return self._day() if callable(self._day) else self._day


def _period(text: str, ref: _Reference) -> tuple[dt.date | None, dt.date | None, str] | None:
    if match := _RELATIVE.search(text):
        return (*_relative(match, ref.date), match.group(0))
    if match := _YESTERDAY.search(text):
        day = ref.date - dt.timedelta(days=1) if match.group(1).lower() == "yesterday" else ref.date
        return day, day, match.group(0)
    if (match := _BETWEEN.search(text)) and (
        span := _between(match.group("first"), match.group("last"), ref)
    ):
        return (*span, match.group(0))
    if match := _SINCE.search(text):
        first, last = _span_of(match.group("date"), ref)
        word = match.group("word").lower()
        if word in ("since", "after"):
            return (first if word == "since" else last + dt.timedelta(days=1)), None, match.group(0)
        return None, (first - dt.timedelta(days=1) if word == "before" else last), match.group(0)
    if match := _IN_MONTH.search(text):
        month = MONTHS[match.group("month").lower().rstrip(".")]
        year = int(match.group("year")) if match.group("year") else _latest_year_of(month, ref.date)
        return (*_month_span(year, month), match.group(0))
    if match := _IN_YEAR.search(text):
        year = int(match.group("year"))
        return dt.date(year, 1, 1), dt.date(year, 12, 31), match.group(0)
    return None


def _relative(match: re.Match[str], reference: dt.date) -> tuple[dt.date, dt.date]:
    which, unit = match.group("which").lower(), match.group("unit").lower().rstrip("s")
    count = match.group("n")
    n = int(count) if count and count.isdigit() else _WORD_NUMBERS.get((count or "").lower(), 1)
    if which == "this":
        if unit == "week":
            return reference - dt.timedelta(days=reference.weekday()), reference
        if unit == "month":
            return reference.replace(day=1), reference
        if unit == "year":
            return reference.replace(month=1, day=1), reference
        return reference, reference
    if count or which == "past" or unit == "day":  # "the past 3 weeks", "last 10 days": a rolling span
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
        return reference - dt.timedelta(days=days - 1), reference
    if unit == "week":  # "last week": the calendar week before this one
        monday = reference - dt.timedelta(days=reference.weekday() + 7)
        return monday, monday + dt.timedelta(days=6)
    if unit == "month":
        last = reference.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    return dt.date(reference.year - 1, 1, 1), dt.date(reference.year - 1, 12, 31)


def _between(first: str, last: str, ref: _Reference) -> tuple[dt.date, dt.date] | None:
    """The days from the start of ``first`` to the end of ``last``; None when the two ends don't make a
    range ("from 3 to 9" names no month)."""
    month_of = re.compile(_MONTH_WORD, re.IGNORECASE)
    year_of = re.compile(rf"\b{_YEAR}\b")
    first_month, last_month = month_of.search(first), month_of.search(last)
    if first_month is None and last_month is None and not (year_of.search(first) and year_of.search(last)):
        return None
    if first_month is None and not year_of.search(first):  # "from 3 to 9 March 2025"
        first = f"{first} {last_month.group(0)}"  # type: ignore[union-attr]
    if last_month is None and not year_of.fullmatch(last.strip()):  # "from March 3 to 9"
        last = f"{first_month.group(0)} {last}"  # type: ignore[union-attr]
    written = year_of.search(last) or year_of.search(first)
    if written and not year_of.search(first):
        first = f"{first} {written.group(0)}"
    start, _ = _span_of(first, ref)
    if not year_of.search(last):  # the end without a year: the first one on or after the start
        last = f"{last} {start.year}"
        _, end = _span_of(last, ref)
        if end < start:
            _, end = _span_of(last.replace(str(start.year), str(start.year + 1)), ref)
    else:
        _, end = _span_of(last, ref)
    return (start, end) if start <= end else None


def _span_of(words: str, ref: _Reference) -> tuple[dt.date, dt.date]:
    """The days a date expression covers: "March 1" one day, "February 2025" a month, "2024" a year. A
    day or month without a year is the latest one on or before the reference day."""
    words = " ".join(words.replace(",", " ").split()).lower()
    year_match = re.search(r"\b((?:19|20)\d\d)\b", words)
    year = int(year_match.group(1)) if year_match else None
    month_match = re.search(_MONTH_WORD, words)
    if month_match is None:
        assert year is not None  # the pattern allows a bare year or a month
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = MONTHS[month_match.group(0).rstrip(".")]
    day_match = re.search(
        r"\b(\d{1,2})(?:st|nd|rd|th)?\b", words.replace(year_match.group(1), "") if year_match else words
    )
    if day_match is None:
        return _month_span(year or _latest_year_of(month, ref.date), month)
    day = int(day_match.group(1))
    year = year or (ref.date.year if (month, day) <= (ref.date.month, ref.date.day) else ref.date.year - 1)
    try:
        first = dt.date(year, month, day)
    except ValueError:
        return _month_span(year, month)
    return first, first


def _latest_year_of(month: int, reference: dt.date) -> int:
    return reference.year if month <= reference.month else reference.year - 1


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, 1), following - dt.timedelta(days=1)


def _shown(iso: str) -> str:
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day.strftime('%b')} {day.year}"
