"""What a reader judges a news article by: when it was published, by which outlet, by whom, and where it
lives, each with how it was found. Nothing is invented: a fact no source states stays unknown.

Sources, most trusted first: the record's own fields (an export or feed) or Markdown front matter, the
HTML page's meta tags, a dateline at the start of the text ("As of February 9, 2025", "WASHINGTON,
March 6, 2025 (Reuters) -"), a date in the article's own URL. Pure functions."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ingest.cleaning.metadata import find_dates, find_url_dates

# fetched: the URL a page was fetched from, when the page names none of its own.
Via = Literal["record-field", "front-matter", "html-meta", "dateline", "url-path", "fetched", "none"]
Precision = Literal["day", "month", "year", ""]

# Field names that exports, feeds and front matter use for each fact, in order of preference.
PUBLISHED_FIELDS = ("published", "published_at", "publishedat", "pubdate", "date", "datetime", "created_at")
OUTLET_FIELDS = ("outlet", "source", "site", "site_name", "sitename", "publisher", "publication")
AUTHOR_FIELDS = ("author", "authors", "byline", "creator")
URL_FIELDS = ("url", "link", "canonical_url", "canonical", "permalink")
TITLE_FIELDS = ("title", "headline")

_YEAR_ONLY = re.compile(r"^\s*((?:19|20)\d\d)\s*$")
_YEAR_MONTH = re.compile(r"^\s*((?:19|20)\d\d)-(\d\d)\s*$")
_ISO_DAY = re.compile(r"^\s*((?:19|20)\d\d)-(\d\d)-(\d\d)(?:[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?\s*$")
_HAS_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# A dateline: the date opens the paragraph, perhaps after "As of", "Published", a place in capitals.
_DATELINE_LEAD = re.compile(
    r"^\s*(?:(?:as of|published|updated|posted|last updated|dateline)\b[:\s]*|[A-Z][A-Z .'-]{2,40},\s*)?",
    re.IGNORECASE,
)
_WIRE = re.compile(
    r"^[A-Z][A-Z .'-]{2,40}(?:,[^()\n]{0,40})?\s*\((Reuters|AP|AFP|Bloomberg|UPI|dpa)\)\s*[-–—]"
)
_DATE_START = re.compile(r"(?:\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s)")
_DATELINE_PARAGRAPHS = 3


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    published: str = ""  # ISO: "2025-03-06", "2025-03" or "2025" (see precision); "" when unknown
    published_precision: Precision = ""
    published_via: Via = "none"
    outlet: str = ""
    outlet_via: Via = "none"
    author: str = ""
    author_via: Via = "none"
    url: str = ""
    url_via: Via = "none"


def article_facts(
    paragraphs: Sequence[str],
    *,
    fields: Mapping[str, str] | None = None,
    fields_via: Via = "record-field",
    html_meta: Mapping[str, str] | None = None,
) -> ArticleFacts:
    """The facts of one article: ``fields`` are its record's or front matter's own fields (lower-case
    keys), ``html_meta`` what the page's meta tags say, ``paragraphs`` its cleaned text."""
    fields = {key.lower(): value for key, value in (fields or {}).items() if isinstance(value, str)}
    meta = html_meta or {}
    found: dict[str, tuple[str, Via]] = {}
    for fact, names in (("outlet", OUTLET_FIELDS), ("author", AUTHOR_FIELDS), ("url", URL_FIELDS)):
        value = first_field(fields, names)
        if value:
            found[fact] = (value, fields_via)
        elif meta.get({"outlet": "sitename"}.get(fact, fact)):
            found[fact] = (" ".join(meta[{"outlet": "sitename"}.get(fact, fact)].split()), "html-meta")
    published = _published(fields, fields_via, meta, paragraphs, found.get("url", ("", "none"))[0])
    wire = _wire_outlet(paragraphs)
    if "outlet" not in found and wire:
        found["outlet"] = (wire, "dateline")
    outlet, outlet_via = found.get("outlet", ("", "none"))
    author, author_via = found.get("author", ("", "none"))
    url, url_via = found.get("url", ("", "none"))
    if url and not url.lower().startswith(("http://", "https://")):
        url, url_via = "", "none"
    return ArticleFacts(
        *published,
        outlet=outlet[:200],
        outlet_via=outlet_via,
        author=author[:200],
        author_via=author_via,
        url=url[:2000],
        url_via=url_via,
    )


def first_field(fields: Mapping[str, str], names: Sequence[str]) -> str:
    for name in names:
        value = " ".join(str(fields.get(name, "")).split())
        if value:
            return value
    return ""


def _published(
    fields: Mapping[str, str], fields_via: Via, meta: Mapping[str, str], paragraphs: Sequence[str], url: str
) -> tuple[str, Precision, Via]:
    for value, via in (
        (first_field(fields, PUBLISHED_FIELDS), fields_via),
        (meta.get("date", ""), "html-meta"),
    ):
        parsed = parse_published(value) if value else None
        if parsed:
            return (*parsed, via)  # type: ignore[return-value]
    dateline = dateline_date(paragraphs)
    if dateline:
        return dateline, "day", "dateline"
    dates = find_url_dates(url) if url else []
    if dates:
        return dates[0], "day", "url-path"
    return "", "", "none"


def parse_published(value: str) -> tuple[str, Precision] | None:
    """An ISO date and its precision from a field's value ("2025-03-06T10:00:00Z", "Thu, 06 Mar 2025
    10:00:00 GMT", "March 2025", "2025"); None when it names no year (a year is never guessed)."""
    value = " ".join(value.split())[:100]
    if not _HAS_YEAR.search(value):
        return None
    if match := _YEAR_ONLY.match(value):
        return match.group(1), "year"
    if match := _YEAR_MONTH.match(value):
        return (f"{match.group(1)}-{match.group(2)}", "month") if 1 <= int(match.group(2)) <= 12 else None
    if match := _ISO_DAY.match(value):
        try:
            return dt.date(*(int(part) for part in match.groups())).isoformat(), "day"
        except ValueError:
            return None
    return _parse_with_dateparser(value)


def _parse_with_dateparser(value: str) -> tuple[str, Precision] | None:
    data = _parser().get_date_data(value)
    if data.date_obj is None:
        return None
    day = data.date_obj.date()
    if data.period == "year":
        return f"{day.year:04d}", "year"
    if data.period == "month":
        return f"{day.year:04d}-{day.month:02d}", "month"
    return day.isoformat(), "day"


@functools.cache
def _parser() -> Any:
    from dateparser.date import DateDataParser  # imported on first use: it takes a second to load

    return DateDataParser(languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first"})


def dateline_date(paragraphs: Sequence[str]) -> str | None:
    """The date a paragraph near the start opens with: "As of February 9, 2025, ...", "March 6, 2025 -",
    "WASHINGTON, March 6, 2025 (Reuters) -". A date inside a sentence (a caption, a quote) is no
    dateline."""
    for paragraph in paragraphs[:_DATELINE_PARAGRAPHS]:
        lead = _DATELINE_LEAD.match(paragraph)
        rest = paragraph[lead.end() if lead else 0 :][:40]
        dates = find_dates(rest) if _DATE_START.match(rest) else []
        if dates:
            return dates[0]
    return None


def _wire_outlet(paragraphs: Sequence[str]) -> str:
    for paragraph in paragraphs[:_DATELINE_PARAGRAPHS]:
        match = _WIRE.match(paragraph)
        if match:
            return match.group(1)
    return ""
