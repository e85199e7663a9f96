"""Characters: line breaks, spaces and the invisible characters that can hide text (zero-width, bidi,
Unicode tag characters) made plain. Pure functions."""

from __future__ import annotations

import re
import unicodedata

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
