"""Article collections: exports and feeds that hold many articles in one file. JSON Lines, JSON (a list of
records, or an object holding one under "articles", "items", "data", "results", "records" or
"entries"), CSV, and RSS 2.0 / Atom feeds. Each record becomes one article with a key that is stable
within its file (its id, else its URL, else a fingerprint of its title and text: inserting a record
moves no other one), so it is cited and updated on its own.

A problem with the whole file (not JSON, broken XML, a feed that declares entities) raises SkipFile; a
problem with one record (no body, wrong types, a duplicated id) skips that record with a reason."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ingest.cleaning.article import AUTHOR_FIELDS, OUTLET_FIELDS, PUBLISHED_FIELDS, TITLE_FIELDS, URL_FIELDS
from ingest.loaders import SkipFile, decode_text

COLLECTION_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json", ".csv", ".xml", ".rss", ".atom"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
BODY_FIELDS = (
    "body",
    "text",
    "content",
    "article",
    "full_text",
    "fulltext",
    "story",
    "description",
    "summary",
)
TEXT_KEY_PREFIX = "text-"
ID_FIELDS = ("id", "guid", "_id", "uuid", "article_id", "doc_id")
# Which record field holds each part of an article, in order of preference (ASSISTANT_RECORD_FIELDS
# puts its own names first).
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ID_FIELDS,
    "title": TITLE_FIELDS,
    "body": BODY_FIELDS,
    "published": PUBLISHED_FIELDS,
    "outlet": OUTLET_FIELDS,
    "author": AUTHOR_FIELDS,
    "url": URL_FIELDS,
}
_LIST_KEYS = ("articles", "items", "data", "results", "records", "entries", "documents", "posts")
_MAX_FIELD_CHARS = 2_000
_MAX_KEY_CHARS = 200
_UNSAFE_XML = re.compile(rb"<!\s*(ENTITY|DOCTYPE[^>]*\b(SYSTEM|PUBLIC)\b)", re.IGNORECASE)
_HTML_BODY = re.compile(r"<\s*(p|div|br|a|span|img|h[1-6]|ul|li|em|strong|b|i|blockquote)\b", re.IGNORECASE)
_KEY_UNSAFE = re.compile(r"[\x00-\x1f\x7f#]+")


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    key: str  # stable within the file: the citation key is "<file>#<key>"
    title: str
    body: str
    kind: Literal["text", "html"]
    fields: dict[str, str] = field(default_factory=dict)  # published, outlet, author, url (as written)


@dataclass(frozen=True, slots=True)
class CollectionRead:
    records: list[ArticleRecord]
    skipped: list[tuple[str, str, str]]  # (where: "line 3" / "row 3" / "item 3", why, its key or "")


def is_collection(suffix: str) -> bool:
    return suffix.lower() in COLLECTION_SUFFIXES


def field_names(configured: Mapping[str, Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """The default field names with the configured ones first."""
    names = dict(DEFAULT_FIELDS)
    for part, extra in (configured or {}).items():
        if part not in names:
            raise ValueError(f"unknown record part {part!r}: use {', '.join(names)}")
        names[part] = tuple(dict.fromkeys([*(n.lower() for n in extra), *names[part]]))
    return names


def read_collection(
    data: bytes,
    suffix: str,
    *,
    names: Mapping[str, Sequence[str]] | None = None,
    max_body_chars: int = 5_000_000,
) -> CollectionRead:
    """The articles of one export or feed file."""
    names = names or DEFAULT_FIELDS
    suffix = suffix.lower()
    if suffix in FEED_SUFFIXES:
        rows, where = _feed_items(data), "item"
    else:
        text, _ = decode_text(data)
        if suffix == ".csv":
            rows, where = _csv_rows(text), "row"
        elif suffix == ".json":
            rows, where = _json_records(text), "record"
        else:
            rows, where = _json_lines(text), "line"
    records: list[ArticleRecord] = []
    skipped: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for position, row in rows:
        place = f"{where} {position}"
        if isinstance(row, SkipFile):
            skipped.append((place, str(row), ""))
            continue
        try:
            record = _article(row, names, max_body_chars)
        except SkipFile as skip:
            skipped.append((place, str(skip), _key(row, names)))
            continue
        if record.key in seen:
            why = (
                "the same article again (the first one is kept)"
                if record.key.startswith(TEXT_KEY_PREFIX)
                else f"duplicated id {record.key!r} (the first one is kept)"
            )
            skipped.append((place, why, record.key))
            continue
        seen.add(record.key)
        records.append(record)
    return CollectionRead(records, skipped)


# --- the formats -----------------------------------------------------------------------------------
Row = tuple[int, "Mapping[str, Any] | SkipFile"]


def _json_lines(text: str) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            rows.append((number, SkipFile(f"not JSON ({exc.msg})")))
            continue
        rows.append((number, value if isinstance(value, Mapping) else SkipFile("not a JSON object")))
    return rows


def _json_records(text: str) -> list[Row]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise SkipFile(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None  # type: ignore[attr-defined]
    if isinstance(value, Mapping):
        lists = [value[key] for key in _LIST_KEYS if isinstance(value.get(key), list)]
        if not lists:
            raise SkipFile(f"a JSON object without a list of articles (under {', '.join(_LIST_KEYS[:3])}, …)")
        value = lists[0]
    if not isinstance(value, list):
        raise SkipFile("JSON that is neither a list of articles nor an object holding one")
    return [
        (number, item if isinstance(item, Mapping) else SkipFile("not a JSON object"))
        for number, item in enumerate(value, start=1)
    ]


def _csv_rows(text: str) -> list[Row]:
    csv.field_size_limit(64 * 1024 * 1024)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    rows: list[Row] = []
    try:
        for number, row in enumerate(reader, start=2):  # line 1 is the header
            rows.append((number, {str(k): v for k, v in row.items() if k is not None}))
    except csv.Error as exc:
        raise SkipFile(f"not a readable CSV file ({exc})") from None
    if reader.fieldnames is None:
        raise SkipFile("an empty CSV file")
    return rows


def _feed_items(data: bytes) -> list[Row]:
    if _UNSAFE_XML.search(data[:65536]):
        raise SkipFile("the feed declares XML entities or an external DTD; refused as unsafe")
    import feedparser

    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    problem = parsed.get("bozo_exception")
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if problem is not None and not isinstance(problem, harmless):
        raise SkipFile(f"not a readable RSS or Atom feed ({str(problem)[:100]})")
    if not parsed.get("version"):
        raise SkipFile("not an RSS or Atom feed")
    outlet = " ".join(str(parsed.feed.get("title", "")).split())
    rows: list[Row] = []
    for number, entry in enumerate(parsed.entries, start=1):
        content = entry.get("content") or []
        body = next((c.get("value") for c in content if c.get("value")), None) or entry.get("summary", "")
        item = {
            "id": entry.get("id", ""),
            "title": entry.get("title", ""),
            "body": body,
            "published": entry.get("published") or entry.get("updated") or "",
            "author": entry.get("author", ""),
            "url": entry.get("link", ""),
            "outlet": (entry.get("source") or {}).get("title") or outlet,
        }
        rows.append((number, item))
    return rows


# --- one record ------------------------------------------------------------------------------------
def _article(
    row: Mapping[str, Any], names: Mapping[str, Sequence[str]], max_body_chars: int
) -> ArticleRecord:
    fields = {str(key).lower(): value for key, value in row.items()}
    body = _text(_first(fields, names["body"]), "\n\n")
    if not body.strip():
        raise SkipFile("no article text (none of the fields " + ", ".join(names["body"][:4]) + ", …)")
    if len(body) > max_body_chars:
        raise SkipFile(f"the article text is longer than {max_body_chars:,} characters")
    values = {part: _text(_first(fields, names[part]))[:_MAX_FIELD_CHARS] for part in names if part != "body"}
    key = _key(fields, names)
    del values["id"]
    title = " ".join(values.pop("title").split())[:500]
    kind: Literal["text", "html"] = "html" if _HTML_BODY.search(body[:5000]) else "text"
    return ArticleRecord(
        key=key or text_key(title, body),
        title=title,
        body=body,
        kind=kind,
        fields={part: value for part, value in values.items() if value},
    )


def text_key(title: str, body: str) -> str:
    """The key of a record with neither id nor URL: a fingerprint of what it says, which no other
    record's insertion, removal or move changes (an edit makes it another record)."""
    digest = hashlib.sha256(f"{title}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{TEXT_KEY_PREFIX}{digest[:12]}"


def _key(row: Mapping[str, Any], names: Mapping[str, Sequence[str]]) -> str:
    """The record's id, else its URL; "" when it has neither (its text is then its key)."""
    fields = {str(key).lower(): value for key, value in row.items()}
    found = _text(_first(fields, names["id"])) or _text(_first(fields, names["url"]))
    return _KEY_UNSAFE.sub(" ", found).strip()[:_MAX_KEY_CHARS]


def _first(fields: Mapping[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        value = fields.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _text(value: Any, separator: str = ", ") -> str:
    """A field's text: strings as they are, numbers written out, a list of strings joined, and an
    object by its name ("source": {"name": "Reuters"}, as news APIs write it); anything else is none."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return separator.join(item for item in value if item.strip())
    if isinstance(value, Mapping):
        return _text(value.get("name") or value.get("title") or value.get("value"))
    return ""
