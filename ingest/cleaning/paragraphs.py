"""Paragraphs: lines joined back into the paragraphs they were, including text hard-wrapped at a fixed
width. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ingest.cleaning.markup import Line

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
