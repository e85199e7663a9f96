"""What an LLM's answer may claim: its markers renumbered into citations, and every sentence checked
against the passages it cites (words, and every number, code and link verbatim)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.text.injection import is_instruction
from assistant.text.sentences import split_sentences
from assistant.text.tokens import keyword_tokens
from assistant.types import Answer, Citation, Passage

_MARKER = re.compile(
    r"\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*[,;]\s*(?:passages?\s*)?\d{1,3})*)\s*\]", re.IGNORECASE
)
_MARKER_RUN = re.compile(r"\[\d+\](?:[ \t]*\[\d+\])+")
_MARKERS_AFTER_STOP = re.compile(r"([.!?])([\"'”’)]*)((?:\s*\[\d+\])+)")
_ABSTAIN = re.compile(
    r"^\W*the documents? (don'?t|do not) (say|answer|mention|contain)|\bpassages do not (answer|say|contain)",
    re.IGNORECASE,
)
SUPPORT_THRESHOLD = 0.5
ABSTAIN_TEXT = "The documents don't say."


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s)\]>\"']+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_CODE = re.compile(r"\b[A-Za-z]+-?\d[\w-]*")  # "PWNED-12", "COVID-19", "F-16", "MH17"


def specifics_backed(claim: str, evidence: str) -> bool:
    """Every number, code, link and e-mail address of the claim is in the evidence: a mostly supported
    sentence cannot carry a made-up figure, nor a canary code, phone number or link a document asked for."""
    numbers = {n.replace(",", "") for n in _NUMBER.findall(evidence)}
    if any(n.replace(",", "") not in numbers for n in _NUMBER.findall(claim)):
        return False
    lowered = evidence.lower()
    verbatim = [*_ADDRESS.findall(claim), *_CODE.findall(claim)]
    return all(item.lower().rstrip(".,;:!?-") in lowered for item in verbatim)


def evidence_text(passage_text: str) -> str:
    """The passage without its instruction sentences: what an answer may be supported by."""
    spans = split_sentences(passage_text)
    return " ".join(passage_text[s:e] for s, e in spans if not is_instruction(passage_text[s:e]))


def renumber(raw: str, passage_count: int) -> tuple[str, list[int]]:
    """Markers rewritten to [1], [2] ... in order of first use; markers naming no passage are dropped.

    Returns the text and the passage index (0-based) behind each new number."""
    order: list[int] = []

    def replace(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        out = []
        for number in numbers:
            if 1 <= number <= passage_count:
                if number - 1 not in order:
                    order.append(number - 1)
                out.append(f"[{order.index(number - 1) + 1}]")
        return "".join(dict.fromkeys(out))

    text = _MARKER.sub(replace, raw)
    # "[2][2]" or "[1] [2][1]", as a small model writes them: each passage once per run of markers
    text = _MARKER_RUN.sub(lambda m: "".join(dict.fromkeys(re.findall(r"\[\d+\]", m.group(0)))), text)
    # "Claim. [1]" -> "Claim [1]."  and  'said.” [1]' -> 'said [1].”'
    text = _MARKERS_AFTER_STOP.sub(lambda m: f" {m.group(3).strip()}{m.group(1)}{m.group(2)}", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"([^\s\]])(\[\d+\])", r"\1 \2", text)
    text = re.sub(r"([.!?])\1+", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return text.strip(), order


def display_partial(raw: str, passage_count: int) -> str:
    """What to show while streaming: hold back a marker that has not closed yet."""
    opening = raw.rfind("[")
    if opening != -1 and "]" not in raw[opening:] and len(raw) - opening < 24:
        raw = raw[:opening]
    return renumber(raw, passage_count)[0]


def support(claim: str, passage_text: str) -> float:
    terms = set(keyword_tokens(claim))
    if not terms:
        return 1.0
    return len(terms & set(keyword_tokens(passage_text))) / len(terms)


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]
    supported_sentences: int
    abstained: bool


def check_answer(raw: str, passages: Sequence[Passage]) -> CheckedAnswer:
    """Parse markers into citations and check every sentence against the passages it cites."""
    text, order = renumber(raw, len(passages))
    plain = re.sub(r"\[\d+\]", "", text).strip()
    if not order and _ABSTAIN.search(plain):
        return CheckedAnswer(ABSTAIN_TEXT, (), (), 0, True)
    claims_by_number: dict[int, list[str]] = {}
    unsupported: list[str] = []
    supported = 0
    for claim, numbers in _claims(text):
        cited = [passages[order[n - 1]] for n in numbers]
        # Support comes from what the passages report, never from what they instruct the model to say.
        evidence = [evidence_text(p.text) for p in cited]
        if any(support(claim, e) >= SUPPORT_THRESHOLD and specifics_backed(claim, e) for e in evidence):
            supported += 1
        else:
            unsupported.append(claim)
        for n in numbers:
            claims_by_number.setdefault(n, []).append(claim)
    citations = tuple(
        _citation(passages[index], claims_by_number.get(number, []))
        for number, index in enumerate(order, start=1)
    )
    return CheckedAnswer(text, citations, tuple(unsupported), supported, False)


def _claims(text: str) -> list[tuple[str, list[int]]]:
    """Each sentence with the markers that back it. A sentence without markers is backed by the markers
    of the next sentence of its paragraph ("A. B [1]." cites [1] for both), as writers often do."""
    found: list[tuple[str, list[int], int]] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        claim = re.sub(r"\s*\[\d+\]", "", sentence).strip()
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        if keyword_tokens(claim):
            found.append((claim, numbers, text.count("\n", 0, start)))
        elif numbers and found:  # markers left on their own belong to the sentence before
            found[-1] = (found[-1][0], found[-1][1] + numbers, found[-1][2])
    for i in range(len(found) - 2, -1, -1):
        claim, numbers, line = found[i]
        if not numbers and found[i + 1][2] == line:
            found[i] = (claim, found[i + 1][1], line)
    return [(claim, numbers) for claim, numbers, _ in found]


def _citation(passage: Passage, claims: Sequence[str]) -> Citation:
    """The passage sentence that best supports the claims citing it is the quote."""
    best = (0, len(passage.text))
    best_score = -1.0
    for start, end in split_sentences(passage.text):
        score = max((support(claim, passage.text[start:end]) for claim in claims), default=0.0)
        if score > best_score:
            best, best_score = (start, end), score
    start, end = best
    return Citation(
        source=passage.source,
        title=passage.title,
        quote=passage.text[start:end],
        start=passage.start + start,
        end=passage.start + end,
        score=round(passage.score, 4),
        passage=passage.text,
        passage_start=passage.start,
        passage_end=passage.end,
        outlet=passage.outlet,
        published=passage.published,
    )


def as_answer(checked: CheckedAnswer, question: str, passages: Sequence[Passage], model: str) -> Answer:
    return Answer(
        answer=checked.text,
        citations=checked.citations,
        abstained=checked.abstained,
        question=question,
        answered_by=f"llm:{model}",
        unsupported=checked.unsupported,
        passages=tuple(passages),
    )
