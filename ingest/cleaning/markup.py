"""Markup: hidden HTML (comments, hidden elements, white-on-white) stripped, and markdown parsed into lines
that keep their role (title, heading, list item, plain), their links and the outlets they name. Pure
functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

Role = Literal["title", "heading", "item", "plain"]


@dataclass(frozen=True)
class Line:
    """One source line after markdown parsing; `block` numbers the blank-line separated blocks."""

    text: str
    role: Role
    block: int
    urls: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()


# --- hidden markup -------------------------------------------------------------------------------

# Text a reader never sees (HTML comments, elements hidden by an attribute or inline style) is where
# instructions aimed at a language model hide: it is removed, never indexed or quoted.
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)  # an unclosed comment hides the rest
_OPENING_TAG = re.compile(r"<(?P<tag>[a-z][a-z0-9]*)\b(?P<attributes>[^<>]*)>", re.IGNORECASE)
_HIDDEN_ATTRIBUTE = re.compile(r"(?:^|\s)hidden(?=\s*(?:=|/|$))", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"""(?:^|\s)style\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_ZERO_SIZE = re.compile(r"(?:0+(?:\.0*)?|\.0+)(?:px|pt|em|rem|ex|ch|vw|vh|%)?")
_COLOR_NAMES = {"white": "#ffffff", "black": "#000000"}


def strip_hidden_markup(text: str) -> str:
    """Markdown or text without HTML comments and without inline HTML elements a browser would not show
    (up to their closing tag, or to the end of the paragraph when there is none)."""
    text = _HTML_COMMENT.sub("", text)
    kept: list[str] = []
    position = 0
    for match in _OPENING_TAG.finditer(text):
        if match.start() < position or not attributes_hide_content(match.group("attributes")):
            continue
        closing = re.compile(rf"</{match.group('tag')}\s*>", re.IGNORECASE).search(text, match.end())
        paragraph_end = text.find("\n\n", match.end())
        kept.append(text[position : match.start()])
        position = closing.end() if closing else len(text) if paragraph_end == -1 else paragraph_end
    kept.append(text[position:])
    return "".join(kept)


def attributes_hide_content(attributes: str) -> bool:
    """True for the attributes of an element that is not displayed (``hidden``, or a hiding inline style)."""
    if _HIDDEN_ATTRIBUTE.search(attributes):
        return True
    style = _STYLE_ATTRIBUTE.search(attributes)
    return style is not None and style_hides_text(style.group(1) or style.group(2) or "")


def style_hides_text(style: str) -> bool:
    """An inline style that makes text invisible: display:none, visibility:hidden, zero size or opacity, or
    text in the colour of its own background (white on white)."""
    declarations: dict[str, str] = {}
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        value = "".join(value.lower().replace("!important", "").split())
        declarations[name.strip().lower()] = _COLOR_NAMES.get(value, _long_hex(value))
    color = declarations.get("color")
    background = declarations.get("background-color") or declarations.get("background")
    return (
        declarations.get("display") == "none"
        or declarations.get("visibility") in {"hidden", "collapse"}
        or _ZERO_SIZE.fullmatch(declarations.get("font-size", "1")) is not None
        or _ZERO_SIZE.fullmatch(declarations.get("opacity", "1")) is not None
        or color == "transparent"
        or (color is not None and color == background)
    )


def _long_hex(value: str) -> str:
    """'#fff' -> '#ffffff'; other values unchanged."""
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        return "#" + "".join(2 * digit for digit in value[1:])
    return value


# --- markdown ------------------------------------------------------------------------------------

URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`]+", re.IGNORECASE)
_URL_TRAILING_PUNCTUATION = ".,;:!?'\"’”"
_HEADING = re.compile(r"(#{1,6})\s+(.*?)(?:\s+#+)?")
_BULLET = re.compile(r"[*+\-•◦▪‣·]\s+")
_NUMBERED = re.compile(r"\d{1,3}[.)]\s+")
_QUOTE_MARKER = re.compile(r"(?:>\s?)+")
_RULE = re.compile(r"(?:[-*_]\s*){3,}|=+")
_TABLE_SEPARATOR = re.compile(r"\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*\|?")
_REFERENCE_DEFINITION = re.compile(r"\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+[\"'(].*)?")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
# One pass over "[text](target)", "<https://...>" and bare URLs keeps URLs in order of appearance.
_LINK_OR_URL = re.compile(
    r"\[(?P<text>[^\]]*)\]\(\s*<?(?P<target>[^)\s>]*)>?(?:\s+[\"'][^)]*)?\)"
    r"|<(?P<autolink>https?://[^>\s]+)>"
    rf"|{URL.pattern}",
    re.IGNORECASE,
)
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_BOLD = re.compile(r"(?<![\\\w])(\*\*|__)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_ITALIC = re.compile(r"(?<![\\*\w])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?![*\w])")
_CODE = re.compile(r"`([^`]+)`")
_HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|br|center|div|em|font|hr|i|img|mark|p|small|span|strong|sub|sup|u)\b[^>]*>",
    re.IGNORECASE,
)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
# "**CNN:** [https://...](...)" or "- Reuters - https://..." : a short label right before a URL.
_LABEL_BEFORE_URL = re.compile(
    r"(?:\d{1,3}[.)]\s+)?\s*(?:\*\*|__)?([^\s:*_\[\]()][^:*_\[\]()]{0,59}?)\s*(?:\*\*|__)?\s*[:\-–—]\s*(?:\*\*|__)?\s*"
    r"(?:\[[^\]]*\]\(\s*https?://|<?https?://)",
    re.IGNORECASE,
)


def parse_lines(text: str, *, markdown: bool) -> list[Line]:
    """Split into lines with their role; markdown syntax is resolved when `markdown` is true."""
    lines: list[Line] = []
    block = 0
    for raw in text.split("\n"):
        if not raw or _RULE.fullmatch(raw) or (markdown and _TABLE_SEPARATOR.fullmatch(raw)):
            if markdown and raw.startswith("=") and lines and lines[-1].block == block:
                lines[-1] = replace(lines[-1], role="title")  # setext level-1 heading underline
            block += 1
            continue
        line = parse_markdown_line(raw, block) if markdown else parse_plain_line(raw, block)
        lines.append(line)
    return lines


def parse_plain_line(raw: str, block: int) -> Line:
    role: Role = "plain"
    if bullet := _BULLET.match(raw):
        raw, role = raw[bullet.end() :], "item"
    elif _NUMBERED.match(raw):
        role = "item"
    urls = tuple(clean_url(url) for url in URL.findall(raw))
    return Line(text=raw, role=role, block=block, urls=urls)


def parse_markdown_line(raw: str, block: int) -> Line:
    raw = _QUOTE_MARKER.sub("", raw, count=1) if raw.startswith(">") else raw
    if definition := _REFERENCE_DEFINITION.fullmatch(raw):
        return Line(text="", role="plain", block=block, urls=tuple(http_urls([definition.group(1)])))
    role: Role = "plain"
    if heading := _HEADING.fullmatch(raw):
        raw, role = heading.group(2), "title" if len(heading.group(1)) == 1 else "heading"
    elif bullet := _BULLET.match(raw):
        raw, role = raw[bullet.end() :], "item"
    elif _NUMBERED.match(raw):
        role = "item"
    text, urls, link_texts = resolve_inline_markdown(raw)
    label = _LABEL_BEFORE_URL.match(raw)
    outlets = [label.group(1)] if label and is_outlet_name(label.group(1)) else []
    outlets += [link_text for link_text in link_texts if is_outlet_name(link_text)]
    return Line(text=text, role=role, block=block, urls=tuple(distinct(urls)), outlets=tuple(outlets))


def resolve_inline_markdown(raw: str) -> tuple[str, list[str], list[str]]:
    """(plain text, URLs, link texts) of one markdown line."""
    urls: list[str] = []
    link_texts: list[str] = []

    def link_to_text(match: re.Match[str]) -> str:
        if match.group("autolink"):
            urls.extend(http_urls([match.group("autolink")]))
            return host_of(match.group("autolink"))
        if match.group("target") is None:  # a bare URL stays as written
            urls.extend(http_urls([match.group()]))
            return match.group()
        label = match.group("text").strip()
        urls.extend(http_urls([label, match.group("target")]))
        if URL.fullmatch(label):
            return host_of(label)
        link_texts.append(strip_emphasis(label))
        return label

    text = _LINK_OR_URL.sub(link_to_text, _IMAGE.sub("", raw))
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", _HTML_TAG.sub("", text))
    text = _ESCAPE.sub(r"\1", strip_emphasis(text))
    return " ".join(text.split()), urls, link_texts


def strip_emphasis(text: str) -> str:
    previous = None
    while previous != text:  # nested emphasis such as ***x***
        previous = text
        text = _ITALIC.sub(r"\1", _BOLD.sub(r"\2", text))
    return text


def clean_url(url: str) -> str:
    return url.rstrip(_URL_TRAILING_PUNCTUATION)


def http_urls(candidates: Iterable[str]) -> list[str]:
    return [clean_url(url) for url in candidates if URL.fullmatch(clean_url(url))]


def host_of(url: str) -> str:
    return urlsplit(clean_url(url)).hostname or url


# --- outlets named by links ------------------------------------------------------------------------

_OUTLET_CONNECTORS = frozenset({"of", "the", "and", "for", "on", "in", "de", "la", "le", "el", "&", "-"})
_NOT_OUTLETS = frozenset(
    {
        *("source", "sources", "link", "links", "url", "website", "web", "site", "via", "here", "read"),
        *("more", "see", "also", "reference", "references", "original", "article", "report", "story"),
        *("click", "this"),
    }
)
_MAX_OUTLET_WORDS = 6


def is_outlet_name(text: str) -> bool:
    """Short, capitalized name such as 'CNN' or 'The Guardian' (not 'click here' or a URL)."""
    words = text.strip().split()
    if not 0 < len(words) <= _MAX_OUTLET_WORDS or URL.search(text) or "www." in text.casefold():
        return False
    if text.rstrip().endswith((".", "!", "?", ",")) or all(w.casefold() in _NOT_OUTLETS for w in words):
        return False
    return words[0][0].isupper() and all(
        word[0].isupper() or word[0].isdigit() or word.casefold() in _OUTLET_CONNECTORS for word in words
    )


def distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))
