"""Calendar days written in text, in any of the forms news uses — "February 12", "Feb. 12", "12 February",
"Feb 12th, 2025", "2025-02-12" — so that a day in a question matches the same day written differently in
an article. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
MONTH_NAME = "|".join(sorted(MONTHS, key=len, reverse=True))  # longest first: "june" before "jun"
_MONTH = rf"({MONTH_NAME})\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+((?:19|20)\d\d)\b)?"
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b{_YEAR}", re.IGNORECASE)
_ISO = re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)")

Day = tuple[int, int, int | None]  # month, day, year (None when the text leaves it out)


def mentioned_days(text: str) -> frozenset[Day]:
    """Every calendar day the text writes, with its year when it gives one."""
    found: set[Day] = set()
    for month, day, year in _MONTH_DAY.findall(text):
        _add(found, MONTHS[month.lower()], day, year)
    for day, month, year in _DAY_MONTH.findall(text):
        _add(found, MONTHS[month.lower()], day, year)
    for year, month, day in _ISO.findall(text):
        _add(found, int(month), day, year)
    return frozenset(found)


def _add(found: set[Day], month: int, day: str, year: str) -> None:
    if 1 <= month <= 12 and 1 <= int(day) <= 31:
        found.add((month, int(day), int(year) if year else None))


def same_day(a: Day, b: Day) -> bool:
    """The same day, a missing year matching any year ("Feb. 12" is "February 12, 2025")."""
    return a[:2] == b[:2] and (a[2] is None or b[2] is None or a[2] == b[2])


def states_any(text: str, days: Iterable[Day]) -> bool:
    """Whether the text writes one of ``days``, in any form."""
    wanted = tuple(days)
    return bool(wanted) and any(same_day(found, day) for found in mentioned_days(text) for day in wanted)
