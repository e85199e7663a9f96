"""Markdown front matter: the ``key: value`` block between two ``---`` lines that opens a Markdown file
(Jekyll, Hugo, Obsidian, most scrapers' Markdown exports). Pure functions."""

from __future__ import annotations

import re

_BLOCK = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
MAX_FRONT_MATTER_CHARS = 8_000


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """The front matter's scalar fields (lower-case keys, quotes removed; lists and nested values are
    left out) and the text after it. Text without front matter comes back unchanged with no fields."""
    match = _BLOCK.match(text[: MAX_FRONT_MATTER_CHARS + 16])
    if match is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        field = _FIELD.match(line)
        if field is None:
            continue
        key, value = field.group(1).lower(), _unquote(field.group(2))
        if value and value[0] not in "[{|>&*" and key not in fields:
            fields[key] = value
    return fields, text[match.end() :]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value.split(" #", 1)[0].strip()  # a trailing YAML comment
