"""Boilerplate: the lines and paragraphs of a page that are not the article (consent and cookie banners,
share widgets, related-content teasers, read-time and author scaffolding, photo credits), recognized by
generic patterns. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ingest.cleaning.markup import URL, Line

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
PROSE_MIN_WORDS = 8


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
    return word_count(text) >= PROSE_MIN_WORDS and text.rstrip("\"'”’)").endswith((".", "!", "?"))


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
    return 0 < word_count(text) <= _MAX_LABEL_VALUE_WORDS and not is_prose(text) and not URL.search(text)


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
