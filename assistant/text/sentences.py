"""Sentence boundaries with exact character spans (pure). Shared by chunking and answer selection."""

from __future__ import annotations

import re
from collections.abc import Iterator

ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "gen",
        "gov",
        "sen",
        "rep",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "pres",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
        "i.e",
        "e.g",
        "d.c",
        "approx",
        "est",
        "fig",
        "al",
    ]
)
# A sentence end: terminal punctuation, optional closing quotes/brackets, then white space.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"[^\n]+")
_SENTENCE_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of sentences; every line is at least one sentence, white space is left out of the spans."""
    spans: list[tuple[int, int]] = []
    for line in _PARAGRAPH.finditer(text):
        start = line.start()
        for end in _sentence_ends(line.group()):
            spans.append(trimmed(text, start, line.start() + end))
            start = line.start() + end
        spans.append(trimmed(text, start, line.end()))
    return [span for span in spans if span[0] < span[1]]


def _sentence_ends(line: str) -> Iterator[int]:
    for match in _END.finditer(line):
        if not _SENTENCE_START.match(line, match.end()):
            continue
        if match.group()[0] == "." and _is_abbreviation(line, match.start()):
            continue
        yield match.end()


def _is_abbreviation(line: str, period: int) -> bool:
    word_start = line.rfind(" ", 0, period) + 1
    word = line[word_start:period].lstrip("\"'“‘([").lower()
    return (len(word) == 1 and word.isalpha()) or word in ABBREVIATIONS


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraph_bounds(text: str, position: int) -> tuple[int, int]:
    """The line of the cleaned text (a paragraph, heading or list item) that contains ``position``."""
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end < 0 else end


def widen_to_sentences(text: str, start: int, end: int, extra_sentences: int = 0) -> tuple[int, int]:
    """Extend a span to the whole sentences it touches, plus up to ``extra_sentences`` neighbouring
    sentences on each side: a chunk boundary often cuts a thought that runs on into the next paragraph."""
    region_start = paragraph_bounds(text, max(0, start - 1500))[0]
    region_end = paragraph_bounds(text, min(len(text), end + 1500) - 1)[1] if text else 0
    spans = [(s + region_start, e + region_start) for s, e in split_sentences(text[region_start:region_end])]
    touched = [i for i, (s, e) in enumerate(spans) if s < end and e > start]
    if not touched:
        return start, end
    first = max(touched[0] - extra_sentences, 0)
    last = min(touched[-1] + extra_sentences, len(spans) - 1)
    return min(spans[first][0], start), max(spans[last][1], end)


MIN_CANDIDATE_CHARS = 20  # shorter "sentences" (datelines, bylines, captions) never answer a question


def candidate_spans(text: str) -> list[tuple[int, int]]:
    """The sentences the offline answerer may quote: ingest embeds exactly these, so that a question
    finds their vectors in the index instead of computing them."""
    return [(start, end) for start, end in split_sentences(text) if end - start >= MIN_CANDIDATE_CHARS]
