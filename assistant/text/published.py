"""A document's publication date as stored ("2025-03-06", "2025-03", "2025" or "" when unknown): the days
it may mean, and how a reader sees it. Pure functions."""

from __future__ import annotations

import datetime as dt


def published_bounds(published: str) -> tuple[int, int] | None:
    """The first and last day a published date may mean, as yyyymmdd numbers ("2025-03" is 20250301 to
    20250331); None when unknown."""
    parts = [int(part) for part in published.split("-")] if published else []
    if not parts:
        return None
    year = parts[0]
    if len(parts) == 1:
        return year * 10000 + 101, year * 10000 + 1231
    month = parts[1]
    if len(parts) == 2:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        last = (following - dt.timedelta(days=1)).day
        return year * 10000 + month * 100 + 1, year * 10000 + month * 100 + last
    day = year * 10000 + month * 100 + parts[2]
    return day, day


def day_of_number(number: int) -> dt.date:
    """The date of a yyyymmdd number, as published_bounds gives them."""
    return dt.date(number // 10000, number // 100 % 100, number % 100)


def display_date(published: str) -> str:
    """'6 Mar 2025', 'Mar 2025', '2025', or 'date unknown'."""
    parts = published.split("-") if published else []
    if not parts:
        return "date unknown"
    if len(parts) == 1:
        return parts[0]
    month = dt.date(2000, int(parts[1]), 1).strftime("%b")
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month} {parts[0]}"


def source_line(outlet: str, published: str) -> str:
    """What a source card shows first: 'Bloomberg · 6 Mar 2025', 'Bloomberg · date unknown', '6 Mar 2025'."""
    return " · ".join(part for part in (outlet, display_date(published)) if part)
