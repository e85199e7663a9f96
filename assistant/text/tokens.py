"""Keyword tokens: lower-cased words without stop words, Snowball-stemmed, with the few joins news text
needs ("U.S." is "US", "sent" is "send"). What BM25 indexes, and how questions and sentences are compared
word by word."""

from __future__ import annotations

import re
from functools import lru_cache

# Bump when tokenization changes: cached indexes built with another version are rebuilt.
TOKENIZER_VERSION = "words-lower-stop-irregular-snowball-en-months-4"

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "after",
        "also",
        "any",
        "before",
        "being",
        "both",
        "between",
        "during",
        "each",
        "few",
        "more",
        "most",
        "other",
        "over",
        "only",
        "own",
        "same",
        "some",
        "such",
        "too",
        "under",
        "until",
        "up",
        "very",
        "just",
        "s",
        "t",
        "don",
    ]
)


# Past forms of common irregular verbs, which a Snowball stemmer leaves apart from their base form
# ("sent" would never match "send").
IRREGULAR_VERBS = {
    past: base
    for base, forms in {
        "send": "sent", "say": "said", "meet": "met", "tell": "told", "give": "gave given",
        "take": "took taken", "make": "made", "go": "went gone", "win": "won", "hold": "held",
        "leave": "left", "bring": "brought",
        "begin": "began begun", "buy": "bought", "seek": "sought", "think": "thought", "fight": "fought",
        "speak": "spoke spoken", "write": "wrote written", "know": "knew known", "see": "saw seen",
        "come": "came", "find": "found", "keep": "kept", "lose": "lost", "pay": "paid", "sell": "sold",
        "lead": "led", "run": "ran", "stand": "stood", "draw": "drew drawn", "rise": "rose risen",
        "fall": "fell fallen", "break": "broke broken", "choose": "chose chosen", "drive": "drove driven",
        "get": "got gotten", "hear": "heard", "feel": "felt", "build": "built", "spend": "spent",
        "strike": "struck", "withdraw": "withdrew withdrawn", "undertake": "undertook undertaken",
    }.items()
    for past in forms.split()
}  # fmt: skip


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


_DOTTED_ACRONYM = re.compile(r"\b((?:[A-Z]\.){2,})")
_UNITED_STATES = re.compile(r"\bUnited States\b")
# A month abbreviated before or after a day ("Feb. 12", "12 Sept") is the month's name ("February").
_MONTH_NAMES = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "jun": "June", "jul": "July",
    "aug": "August", "sep": "September", "sept": "September", "oct": "October", "nov": "November",
    "dec": "December",
}  # fmt: skip
_ABBREVIATED_MONTH = re.compile(
    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?(?=\s+\d{1,2}\b)|(?<=\d\s)(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?",
    re.IGNORECASE,
)


def keyword_tokens(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, Snowball-stemmed ("talks" and "talk" match).

    Dotted acronyms are joined ("U.S." and "US" match), "United States" also counts as "US", and a month
    abbreviated next to a day is its name ("Feb. 12" and "February 12" match)."""
    text = _DOTTED_ACRONYM.sub(lambda m: m.group(1).replace(".", "") + " ", text)
    text = _UNITED_STATES.sub("United States US", text)
    text = _ABBREVIATED_MONTH.sub(lambda m: _MONTH_NAMES[(m.group(1) or m.group(2)).lower()], text)
    words = [IRREGULAR_VERBS.get(word, word).replace("’", "'") for word in _WORD.findall(text.lower())]
    return _stemmer().stemWords([word for word in words if word not in STOPWORDS])
