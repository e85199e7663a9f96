"""Metadata of a cleaned document: its title, the outlets and the dates it states. Pure functions."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from assistant.text.days import MONTHS
from ingest.cleaning.boilerplate import PROSE_MIN_WORDS, is_prose, word_count
from ingest.cleaning.markup import URL, Line

# --- title ---------------------------------------------------------------------------------------

_TITLE_MAX_CHARS = 90
_HEADING_MIN_WORDS = 3
_HEADING_MAX_WORDS = 20
_ABBREVIATION = re.compile(
    r"(?:[A-Z]\.)+|(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|St|Jr|Sr|Inc|Corp|Ltd|Co|No|vs|etc"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.",
)


def choose_title(paragraphs: Sequence[Line], *, html_title: str | None, fallback_title: str) -> str:
    """Markdown '# ' heading, else the HTML title, else a leading headline, else the first sentence."""
    for paragraph in paragraphs:
        if paragraph.role == "title":
            return paragraph.text
    if html_title and html_title.split():
        return " ".join(html_title.split())
    return leading_headline(paragraphs) or first_sentence_title(paragraphs) or fallback_title


def is_heading_like(text: str) -> bool:
    words = text.split()
    if not _HEADING_MIN_WORDS <= len(words) <= _HEADING_MAX_WORDS or URL.search(text):
        return False
    if text.endswith((".", ":", ";", ",", "…")):
        return False
    return text[0].isupper() or text[0].isdigit() or text[0] in "\"'“‘"


def leading_headline(paragraphs: Sequence[Line]) -> str | None:
    """The first heading-like paragraph before the news prose starts (later ones are section headings)."""
    for paragraph in paragraphs:
        if paragraph.role != "item" and is_heading_like(paragraph.text):
            return paragraph.text
        if is_prose(paragraph.text):
            return None
    return None


def first_sentence_title(paragraphs: Sequence[Line]) -> str | None:
    for paragraph in paragraphs:
        if paragraph.role != "item" and word_count(paragraph.text) >= PROSE_MIN_WORDS:
            return shorten_title(first_sentence(paragraph.text))
    return None


def first_sentence(text: str) -> str:
    for match in re.finditer(r"[.!?][\"'”’]?(?=\s+[\"'“‘(]?[A-Z0-9])", text):
        word = text[: match.start() + 1].rsplit(" ", 1)[-1]
        if not _ABBREVIATION.fullmatch(word.lstrip("\"'“‘(")):
            return text[: match.end()]
    return text


def shorten_title(sentence: str) -> str:
    sentence = sentence.rstrip()
    if len(sentence) <= _TITLE_MAX_CHARS:
        return sentence.removesuffix(".")
    cut = sentence[: _TITLE_MAX_CHARS + 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


# --- outlets -------------------------------------------------------------------------------------


def outlet_key(name: str) -> str:
    return re.sub(r"^the\s+", "", " ".join(name.casefold().split()))


def distinct_outlets(names: Iterable[str]) -> tuple[str, ...]:
    """First spelling of each outlet; 'The Los Angeles Times' and 'Los Angeles Times' are one outlet."""
    seen: dict[str, str] = {}
    for name in names:
        name = " ".join(name.split())
        if name and outlet_key(name) not in seen:
            seen[outlet_key(name)] = name
    return tuple(seen.values())


# --- dates ---------------------------------------------------------------------------------------

_MONTHS = MONTHS  # "february" / "feb" -> 2
_MONTH = "(" + "|".join(sorted((name.capitalize() for name in _MONTHS), key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"((?:19|20)\d\d)"
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b")
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b")
_ISO_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)")
_URL_NUMERIC_DATE = re.compile(r"/((?:19|20)\d\d)/(\d{1,2})/(\d{1,2})(?=/|$)")
_URL_MONTH_DATE = re.compile(r"/((?:19|20)\d\d)/([a-z]{3,9})/(\d{1,2})(?=/|$)", re.IGNORECASE)


def collect_dates(texts: Iterable[str], urls: Iterable[str]) -> tuple[str, ...]:
    """Distinct ISO dates stated in the texts or encoded in the URLs, sorted."""
    found = {date for text in texts for date in find_dates(text)}
    found |= {date for url in urls for date in find_url_dates(url)}
    return tuple(sorted(found))


def find_dates(text: str) -> list[str]:
    """ISO dates of full dates (with a year) written in prose or ISO form."""
    found = [iso_date(y, _MONTHS[m.casefold()], d) for m, d, y in _MONTH_DAY_YEAR.findall(text)]
    found += [iso_date(y, _MONTHS[m.casefold()], d) for d, m, y in _DAY_MONTH_YEAR.findall(text)]
    found += [iso_date(y, m, d) for y, m, d in _ISO_DATE.findall(text)]
    return [date for date in found if date]


def find_url_dates(url: str) -> list[str]:
    path = urlsplit(url).path
    found = [iso_date(y, m, d) for y, m, d in _URL_NUMERIC_DATE.findall(path)]
    found += [
        iso_date(y, _MONTHS[m.casefold()], d)
        for y, m, d in _URL_MONTH_DATE.findall(path)
        if m.casefold() in _MONTHS
    ]
    found += find_dates(path)
    return [date for date in found if date]


def iso_date(year: str | int, month: str | int, day: str | int) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None
