"""Answer types: the kind of answer a question asks for (classic answer-type detection), and the patterns
of text that hold each kind. A question is typed once (`assistant.text.question`); the offline answerer
checks its sentences against the type."""

from __future__ import annotations

import re

from assistant.text.tokens import keyword_tokens

DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?\s*\d{0,2}|\b(19|20)\d{2}\b|\b(Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|last week|next week|earlier|"
    r"later|this week|summer|winter|spring|autumn)\b",
    re.IGNORECASE,
)
NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|millions?|billions?)\b",
    re.IGNORECASE,
)
NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-z]+|[A-Z](?:\.[A-Z])+\.?|[A-Z]{2,})")
# A run of capitalized words: "Treasury Secretary Scott Bessent" ("JD Vance" is missed).
PERSON = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][a-z]{2,})+")
# Words of a title, which name an office rather than the person holding it.
TITLES = frozenset(
    keyword_tokens(
        "president vice prime minister secretary envoy special foreign defense treasury state chancellor "
        "spokesman spokeswoman spokesperson ambassador general senator former leader official mr mrs ms dr"
    )
)
MONEY_TERMS = frozenset(keyword_tokens("money cost costs price funds funding cash dollars euros"))
CURRENCY = re.compile(r"[$€£]\s?\d|\b(dollars?|euros?|pounds)\b", re.IGNORECASE)

# Without a date, number or name, a sentence cannot answer when / how many / who at all; the other cues
# only make a sentence more likely to answer.
STRICT_TYPES = frozenset({"date", "number", "name", "person"})
# What a sentence holding each kind of answer usually contains.
CUES = {
    "date": DATE,
    "name": NAME,
    "person": PERSON,
    "place": re.compile(
        r"\b(in|at|near|from|to) (the )?[A-Z][a-z]+|\b(region|city|capital|village|border)\b"
    ),
    "reason": re.compile(
        r"\b(because|due to|in order to|so that|aim(s|ed)? to|to (pressure|push|force)|argue|since|"
        r"as a result|intended to)\b"
    ),
    "condition": re.compile(
        r"\b(if|requires?d?|condition|as part of|in exchange|in return|must|provided|commits? to|"
        r"would need)\b",
        re.IGNORECASE,
    ),
}

_PERSON_QUESTION = re.compile(
    r"\bname of\b|^(who|whom|whose)\b.*\b(envoy|secretary|president|minister|official|leader|spokes\w+|"
    r"ambassador|general|senator|person|man|woman)\b"
)
_COUNTED = re.compile(r"\bhow (?:many|much)((?: [a-z-]+){1,3})")
_AUXILIARY = frozenset(
    {"is", "are", "was", "were", "has", "have", "had", "do", "does", "did", "will", "would", "can", "could"}
)


def expected_answer_type(question: str) -> str:
    """The kind of answer a question asks for, from its wording."""
    q = question.strip().lower()
    if re.match(r"^(when|what (date|day|time|year|month))\b", q) or re.search(r"\bwhat (date|day)\b", q):
        return "date"
    if re.match(r"^how (many|much|long|old|far)\b", q) or re.search(r"\b(how many|how much)\b", q):
        return "number"
    if _PERSON_QUESTION.search(q):
        return "person"
    if re.match(r"^(who|whom|whose)\b", q):
        return "name"
    if re.match(r"^where\b", q):
        return "place"
    if re.match(r"^why\b", q):
        return "reason"
    if re.search(r"\b(conditions?|terms|requirements?|demands?|in return|in exchange)\b", q):
        return "condition"
    return "any"


def counted_terms(question: str) -> set[str]:
    """The terms of what a "how many / how much" question counts ("soldiers", "military aid")."""
    found = _COUNTED.search(question.lower())
    if not found:
        return set()
    words = found.group(1).split()
    if words[0] in _AUXILIARY:  # "how much was it worth": nothing named
        return set()
    ends = [i for i, word in enumerate(words) if word in _AUXILIARY]
    return set(keyword_tokens(" ".join(words[: ends[0]] if ends else words[:1])))
