"""Turn decoded document text into clean news text plus metadata (title, URLs, outlets, dates).

Boilerplate (consent banners, share widgets, related-content teasers, page scaffolding, photo credits)
is removed with generic line and paragraph patterns; every news paragraph is kept verbatim apart from
markdown syntax and whitespace. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit


@dataclass(frozen=True)
class CleanedDocument:
    text: str
    title: str
    urls: tuple[str, ...]
    outlets: tuple[str, ...]
    dates: tuple[str, ...]


Role = Literal["title", "heading", "item", "plain"]


@dataclass(frozen=True)
class Line:
    """One source line after markdown parsing; `block` numbers the blank-line separated blocks."""

    text: str
    role: Role
    block: int
    urls: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()


def clean_document(
    text: str,
    *,
    kind: str,
    fallback_title: str,
    html_title: str | None = None,
    html_meta: Mapping[str, str] | None = None,
) -> CleanedDocument:
    """Clean `text` (as produced by the loaders for `kind`) and extract its metadata."""
    markdown = kind in ("text", "markdown")
    text = normalize_characters(text)
    lines = parse_lines(strip_hidden_markup(text) if markdown else text, markdown=markdown)
    lines = drop_boilerplate_lines(lines)
    paragraphs = drop_consent_banners(assemble_paragraphs(lines))
    meta = html_meta or {}
    urls = distinct([meta.get("url", ""), *(url for line in lines for url in line.urls)])
    outlets = distinct_outlets([meta.get("sitename", ""), *(name for line in lines for name in line.outlets)])
    texts = [meta.get("date", ""), *(paragraph.text for paragraph in paragraphs)]
    return CleanedDocument(
        text="\n\n".join(paragraph.text for paragraph in paragraphs),
        title=choose_title(paragraphs, html_title=html_title, fallback_title=fallback_title),
        urls=urls,
        outlets=outlets,
        dates=collect_dates(texts, urls),
    )


# --- characters ----------------------------------------------------------------------------------

# Zero-width, bidi and soft-hyphen characters, and the invisible Unicode "tag" characters (U+E0000-U+E007F)
# that can spell out a whole hidden instruction ("ASCII smuggling").
_INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_LINE_BREAKS = str.maketrans(
    {"\r": "\n", "\v": "\n", "\x85": "\n", "\u2028": "\n", "\f": "\n\n", "\u2029": "\n\n"}
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")


def normalize_characters(text: str) -> str:
    """NFC, \\n line ends, no invisible/control characters, single spaces, stripped lines."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    return "\n".join(_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))


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

_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`]+", re.IGNORECASE)
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
    rf"|{_URL.pattern}",
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
    urls = tuple(clean_url(url) for url in _URL.findall(raw))
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
        if _URL.fullmatch(label):
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
    return [clean_url(url) for url in candidates if _URL.fullmatch(clean_url(url))]


def host_of(url: str) -> str:
    return urlsplit(clean_url(url)).hostname or url


# --- boilerplate lines ---------------------------------------------------------------------------


def _short_line_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


_DECORATION = re.compile(r"^[\s«‹←↑•·|]+|[\s:»›→↓•·|.…\-–—]+$")
_CONSENT_UI = _short_line_pattern(r"""
    (?:customi[sz]e|manage|save|update|change|edit|review|set)(?:\s+(?:my|your|cookie|consent|privacy))*
        \s+(?:preferences|settings|choices|options|consent)
    | (?:accept|reject|allow|deny|decline|refuse|agree\s+to)
        (?:\s+(?:all|selected|selection|necessary|optional|essential|non-essential))?(?:\s+cookies)?
        (?:\s+and\s+(?:close|continue))?
    | (?:only\s+)?(?:necessary|essential|required)\s+cookies(?:\s+only)?
    | always\s+active | (?:show|hide)\s+(?:details|purposes|vendors|partners)
    | (?:cookie|privacy|consent)\s+(?:settings|preferences|policy|notice|overview|banner|choices|declaration)
    | we\s+value\s+your\s+privacy | your\s+privacy(?:\s+(?:choices|settings|matters))?
    | do\s+not\s+sell(?:\s+or\s+share)?\s+my\s+personal\s+information
""")
_SHARE_TOKEN = r"""(?:
    share(?:\s+(?:this|the))?(?:\s+(?:post|article|story|page|link))?(?:\s+(?:on|via|to)\s+\w+)?
    | tweet(?:\s+this)? | copy(?:\s+the)?\s+link | link\s+copied | e-?mail(?:\s+this(?:\s+article)?)?
    | print(?:\s+this)?(?:\s+(?:article|page|story))?
    | facebook | twitter | x | linkedin | whatsapp | reddit | telegram | pinterest | flipboard | threads
    | bluesky | messenger | comments?
)"""
_SHARE_WIDGET = _short_line_pattern(rf"{_SHARE_TOKEN}(?:\s*[|·•,/]?\s*{_SHARE_TOKEN})*")
_RELATED_HEADING = _short_line_pattern(r"""
    related(?:\s+(?:posts?|articles?|stories|news|content|coverage|reading|topics|links|videos))?
    | read\s+(?:more|next|also) | also\s+read | further\s+reading | up\s+next | what\s+to\s+read\s+next
    | (?:more|top)\s+(?:stories|news|articles|headlines|videos)
    | you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy|be\s+interested\s+in)
    | recommended(?:\s+(?:for\s+you|stories|articles|reading|videos))?
    | trending(?:\s+(?:now|stories|news|articles))?
    | (?:most\s+)?popular(?:\s+(?:now|stories|articles|posts))?
    | most\s+(?:read|viewed|shared) | (?:don'?t|do\s+not)\s+miss | more\s+on\s+this\s+(?:story|topic)
""")
_MORE_LINK = _short_line_pattern(r"""
    (?:see|view|show)\s+(?:all|more|less) | load\s+more | continue\s+reading | back\s+to\s+top
    | read\s+(?:the\s+)?full\s+(?:story|article) | skip\s+to\s+(?:main\s+)?content
""")
_READ_TIME = _short_line_pattern(r"""
    (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s*-?\s*(?:min|mins|minute|minutes)\.?
        \s+(?:read|listen)(?:ing)?(?:\s+time)?
    | (?:reading|read)\s+time\s*:?\s*\d+\s*(?:min|mins|minute|minutes)
""")
_LABEL = _short_line_pattern(
    r"categor(?:y|ies) | tags? | topics? | sections? | filed\s+under | posted\s+in"
    r" | authors? | by | written\s+by | byline"
)
_TAXONOMY_LABEL = r"(?:categor(?:y|ies)|tags?|topics?|sections?|filed\s+under|posted\s+in)"
_LABEL_WITH_VALUE_LINE = _short_line_pattern(_TAXONOMY_LABEL)
_LABEL_AND_VALUE = _short_line_pattern(rf"{_TAXONOMY_LABEL}\s*:\s*[^.!?]{{1,80}}")
_ADVERTISEMENT = _short_line_pattern(r"""
    advertisements? | advertising | ad | sponsored(?:\s+content)? | paid\s+content | promoted(?:\s+content)?
    | partner\s+content | skip\s+advertisement
    | (?:story\s+continues\s+)?(?:below|after)\s+(?:this\s+)?(?:advertisement|ad)
    | advertisement\s*[-–—:]?\s*(?:scroll\s+to\s+continue|continue\s+reading\s+below)(?:\s+reading)?
""")
_SUBSCRIBE = _short_line_pattern(r"""
    subscribe\b.* | sign\s+up\b.*\bnewsletters?\b.* | (?:get|join)\b.*\bnewsletters?\b.* | newsletters?
    | follow\s+(?:us|\w+)\s+on\s+\w+(?:\s+and\s+\w+)*
""")

_MAX_WIDGET_WORDS = 8
_MAX_SUBSCRIBE_WORDS = 12
_MAX_LABEL_VALUE_WORDS = 4
_MAX_LABEL_LINE_WORDS = 12
_HEADLINE_REPEAT_WINDOW = 10
_PROSE_MIN_WORDS = 8


def drop_boilerplate_lines(lines: Sequence[Line]) -> list[Line]:
    kept = truncate_at_related_content(lines)
    kept = drop_label_lines(kept)
    kept = [line for line in kept if not is_widget_line(line.text)]
    kept = [line for line in map(strip_line_photo_credit, kept) if line is not None]
    return drop_repeated_headline(kept)


def bare_line(text: str) -> str:
    """Line text without decoration such as arrows, bullets or a trailing colon."""
    return _DECORATION.sub("", text)


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))


def matches_short_line(pattern: re.Pattern[str], text: str, max_words: int = _MAX_WIDGET_WORDS) -> bool:
    return word_count(text) <= max_words and pattern.fullmatch(bare_line(text)) is not None


def is_consent_ui_line(text: str) -> bool:
    return matches_short_line(_CONSENT_UI, text)


def is_share_widget_line(text: str) -> bool:
    return matches_short_line(_SHARE_WIDGET, text)


def is_related_content_heading(text: str) -> bool:
    return matches_short_line(_RELATED_HEADING, text)


def is_more_link_line(text: str) -> bool:
    return matches_short_line(_MORE_LINK, text)


def is_read_time_line(text: str) -> bool:
    return matches_short_line(_READ_TIME, text)


def is_advertisement_line(text: str) -> bool:
    return matches_short_line(_ADVERTISEMENT, text)


def is_subscribe_line(text: str) -> bool:
    return matches_short_line(_SUBSCRIBE, text, _MAX_SUBSCRIBE_WORDS)


def is_label_line(text: str) -> bool:
    is_bare_label = matches_short_line(_LABEL, text)
    return is_bare_label or matches_short_line(_LABEL_AND_VALUE, text, _MAX_LABEL_LINE_WORDS)


def is_widget_line(text: str) -> bool:
    checks = (
        is_consent_ui_line,
        is_share_widget_line,
        is_more_link_line,
        is_read_time_line,
        is_advertisement_line,
        is_subscribe_line,
    )
    return any(check(text) for check in checks)


def is_prose(text: str) -> bool:
    return word_count(text) >= _PROSE_MIN_WORDS and text.rstrip("\"'”’)").endswith((".", "!", "?"))


def is_news_prose(text: str) -> bool:
    return is_prose(text) and not is_cookie_banner_paragraph(text)


def truncate_at_related_content(lines: Sequence[Line]) -> list[Line]:
    """Drop a related-content heading and, once news prose came before it, everything after it."""
    kept: list[Line] = []
    for line in lines:
        if is_related_content_heading(line.text):
            if any(is_news_prose(previous.text) for previous in kept):
                break
            continue
        kept.append(line)
    return kept


def drop_label_lines(lines: Sequence[Line]) -> list[Line]:
    """Drop 'Category' / 'Authors' / 'By' label lines; after Category/Tags also their short value line."""
    kept: list[Line] = []
    skip_value_in_block: int | None = None
    for line in lines:
        if skip_value_in_block == line.block and is_label_value(line.text):
            skip_value_in_block = None
            continue
        skip_value_in_block = None
        if is_label_line(line.text):
            if matches_short_line(_LABEL_WITH_VALUE_LINE, line.text):
                skip_value_in_block = line.block
            continue
        kept.append(line)
    return kept


def is_label_value(text: str) -> bool:
    return 0 < word_count(text) <= _MAX_LABEL_VALUE_WORDS and not is_prose(text) and not _URL.search(text)


def drop_repeated_headline(lines: Sequence[Line]) -> list[Line]:
    """Drop a line that repeats an earlier one near the top (pages often print the headline twice)."""
    seen: set[str] = set()
    kept: list[Line] = []
    for index, line in enumerate(lines):
        key = " ".join(line.text.casefold().split())
        if index < _HEADLINE_REPEAT_WINDOW and key:
            if key in seen:
                continue
            seen.add(key)
        kept.append(line)
    return kept


# --- photo credits -------------------------------------------------------------------------------

_CREDIT_WORD = r"(?:photo(?:graph)?s?|images?|pictures?|pics?|illustrations?|video|credits?|pictured|footage)"
_AFTER_SENTENCE = r"(?:^|(?<=[.!?\"”’)])\s+)"
_PHOTO_AGENCY = (
    r"(?:Getty\s+Images|AFP|AP|Reuters|EPA(?:-EFE)?|Bloomberg|Shutterstock|Alamy|Sipa(?:\s+USA)?|Anadolu"
    r"|NurPhoto|Pool|Xinhua|TASS|Sputnik|Handout|iStock|Unsplash|Pexels|Wikimedia(?:\s+Commons)?)"
)
_PARENTHESIZED_CREDIT = re.compile(
    rf"\s*[(\[](?:{_CREDIT_WORD}(?:\s+(?:credit|source))?|(?:image|photo)\s+courtesy)\s*(?::|by|of)\s*[^()\[\]]{{1,80}}[)\]]",
    re.IGNORECASE,
)
_PARENTHESIZED_SOURCE_AT_END = re.compile(
    rf"\s*[(\[]sources?\s*:\s*[^()\[\]]{{0,40}}?\b(?:Images?|Photos?|{_PHOTO_AGENCY})\b[^()\[\]]{{0,40}}[)\]]$",
    re.IGNORECASE,
)
# Credited names are capitalized ("Chip Somodevilla/Getty Images", "AP Photo/Evan Vucci", "Reuters").
_CREDIT_NAME = r"[A-Z0-9][\w.'’&-]*(?:(?:\s*/\s*|\s+(?:via\s+|for\s+|and\s+|of\s+)?)[A-Z0-9][\w.'’&-]*){0,7}"
_TRAILING_CREDIT = re.compile(
    rf"{_AFTER_SENTENCE}(?i:{_CREDIT_WORD}(?:\s+(?:credit|source))?\s*(?::|by|courtesy(?:\s+of)?))\s+{_CREDIT_NAME}$"
)
_TRAILING_AGENCY_CREDIT = re.compile(
    rf"{_AFTER_SENTENCE}(?:{_CREDIT_NAME}\s*/\s*{_PHOTO_AGENCY}(?:\s+via\s+Getty\s+Images)?"
    rf"|{_PHOTO_AGENCY}(?:\s+Photo)?\s*/\s*{_CREDIT_NAME})$"
)
_MIN_CAPTION_WORDS = 3


def strip_photo_credit(text: str) -> str:
    """Remove photo/image credits such as '(Source: Getty Images)' or 'Photo by X/Getty Images'."""
    text = _PARENTHESIZED_CREDIT.sub("", text)
    text = _PARENTHESIZED_SOURCE_AT_END.sub("", text)
    text = _TRAILING_CREDIT.sub("", text)
    return _TRAILING_AGENCY_CREDIT.sub("", text).strip()


def strip_line_photo_credit(line: Line) -> Line | None:
    """The line without its credit; None when only the credit (or a stub) was there."""
    stripped = strip_photo_credit(line.text)
    if stripped == line.text:
        return line
    return replace(line, text=stripped) if word_count(stripped) >= _MIN_CAPTION_WORDS else None


# --- paragraphs ----------------------------------------------------------------------------------

_TERMINAL_PUNCTUATION = (".", "!", "?", ":", ";", "…", '"', "”", "’", ")", "]")
_WRAPPED_MAX_WIDTH = 120
_WRAPPED_MIN_LINES = 5
_WRAPPED_FULL_SHARE = 0.6
_WRAPPED_OPEN_SHARE = 0.5


def assemble_paragraphs(lines: Sequence[Line]) -> list[Line]:
    """Each heading, list item and line becomes a paragraph, except wrapped continuation lines."""
    wrap_width = hard_wrap_width(lines)
    paragraphs: list[Line] = []
    for line in lines:
        previous = paragraphs[-1] if paragraphs else None
        if previous is not None and continues_previous_line(previous, line, wrap_width):
            paragraphs[-1] = merge_lines(previous, line)
        else:
            paragraphs.append(line)
    return [paragraph for paragraph in paragraphs if paragraph.text]


def hard_wrap_width(lines: Sequence[Line]) -> int | None:
    """Typical width of a hard-wrapped document (e.g. PDF or email text), None if lines are not wrapped."""
    texts = [line.text for line in lines if line.role == "plain" and line.text]
    if len(texts) < _WRAPPED_MIN_LINES:
        return None
    lengths = sorted(len(text) for text in texts)
    width = lengths[int(len(lengths) * 0.9) - 1]
    full_lines = sum(1 for length in lengths if length >= width * 0.75)
    # Wrapped lines mostly end mid-sentence; one-paragraph-per-line text mostly ends with punctuation.
    open_lines = sum(1 for text in texts if not text.endswith(_TERMINAL_PUNCTUATION))
    if width > _WRAPPED_MAX_WIDTH or full_lines < len(texts) * _WRAPPED_FULL_SHARE:
        return None
    return width if open_lines >= len(texts) * _WRAPPED_OPEN_SHARE else None


def continues_previous_line(previous: Line, line: Line, wrap_width: int | None) -> bool:
    if previous.block != line.block or line.role != "plain" or previous.role not in ("plain", "item"):
        return False
    if not previous.text or not line.text or previous.text.endswith(_TERMINAL_PUNCTUATION):
        return False
    if line.text[0].islower() or line.text[0] in ",;)" or previous.text.endswith(("-", ",", "–", "—")):
        return True
    return wrap_width is not None and len(previous.text) >= wrap_width * 0.75


def merge_lines(previous: Line, line: Line) -> Line:
    head, tail = previous.text, line.text
    if head.endswith("-") and head[-2:-1].isalpha() and tail[0].islower():
        text = head[:-1] + tail  # word hyphenated across a line break
    elif head.endswith("-"):
        text = head + tail
    else:
        text = f"{head} {tail}"
    return replace(
        previous, text=text, urls=(*previous.urls, *line.urls), outlets=(*previous.outlets, *line.outlets)
    )


# --- consent banners -----------------------------------------------------------------------------

_COOKIE = re.compile(r"\bcookies?\b", re.IGNORECASE)
_ADDRESSES_VISITOR = re.compile(r"\b(?:we|our|us|you|your)\b|\bthis\s+(?:site|website|page)\b", re.IGNORECASE)
_COOKIE_CATEGORY_DEFINITION = re.compile(
    r"\b(?:strictly\s+)?(?:necessary|essential|functional|functionality|analytic(?:s|al)?|performance"
    r"|statistic(?:s|al)?|advertis(?:ement|ing)|marketing|targeting|preference|uncategori[sz]ed)\s+cookies"
    r"\s+(?:are|is|help|allow|enable|collect|store|do|may|will|track|used)\b",
    re.IGNORECASE,
)
_CONSENT_VOCABULARY = re.compile(
    r"\b(?:consent|necessary|functional\w*|analytic\w*|performance|advertis\w*|browser|websites?|site"
    r"|visitors?|preferences|third-party|personal\s+data|privacy|tracking|navigate|log-in|essential)\b",
    re.IGNORECASE,
)
# Banners never report; news paragraphs about cookies nearly always do (a year after "©" is no cue).
_NEWS_CUE = re.compile(
    r"\b(?:said|says|told|according\s+to|reported|announced|ruled|fined|warned|proposed|voted|legislation"
    r"|regulators?|lawmakers|court|parliament|congress)\b|(?<![©\d])(?<!© )\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_CONSENT_CATEGORY_NAMES = frozenset(
    {
        *("necessary", "essential", "strictly", "functional", "analytics", "analytical", "performance"),
        *("advertisement", "advertising", "marketing", "targeting", "statistics", "preferences", "others"),
        *("uncategorized", "uncategorised"),
    }
)


def is_cookie_banner_paragraph(text: str) -> bool:
    """A cookie notice addressed to the site's visitors (not a news paragraph that mentions cookies)."""
    if not _COOKIE.search(text) or _NEWS_CUE.search(text):
        return False
    addresses_visitor = _ADDRESSES_VISITOR.search(text) is not None
    defines_category = _COOKIE_CATEGORY_DEFINITION.search(text) is not None
    return (addresses_visitor or defines_category) and _CONSENT_VOCABULARY.search(text) is not None


def is_consent_category_label(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.casefold())
    return 0 < len(words) <= 3 and all(word in _CONSENT_CATEGORY_NAMES for word in words)


def drop_consent_banners(paragraphs: Sequence[Line]) -> list[Line]:
    """Drop cookie-banner paragraphs and the bare category toggles ('Necessary', 'Analytics') next to them."""
    banner = [is_cookie_banner_paragraph(p.text) for p in paragraphs]
    for order in (range(len(paragraphs)), reversed(range(len(paragraphs)))):
        for index in order:
            neighbours = banner[max(index - 1, 0) : index + 2]
            if not banner[index] and any(neighbours) and is_consent_category_label(paragraphs[index].text):
                banner[index] = True
    return [paragraph for paragraph, is_banner in zip(paragraphs, banner, strict=True) if not is_banner]


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
    if not _HEADING_MIN_WORDS <= len(words) <= _HEADING_MAX_WORDS or _URL.search(text):
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
        if paragraph.role != "item" and word_count(paragraph.text) >= _PROSE_MIN_WORDS:
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
    if not 0 < len(words) <= _MAX_OUTLET_WORDS or _URL.search(text) or "www." in text.casefold():
        return False
    if text.rstrip().endswith((".", "!", "?", ",")) or all(w.casefold() in _NOT_OUTLETS for w in words):
        return False
    return words[0][0].isupper() and all(
        word[0].isupper() or word[0].isdigit() or word.casefold() in _OUTLET_CONNECTORS for word in words
    )


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


def distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


# --- dates ---------------------------------------------------------------------------------------

_MONTHS = {
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
