from __future__ import annotations

import time
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.providers import token_encoding
from ingest.chunking import build_chunks, chunk_id, chunk_spans, split_sentences


def count(text: str) -> int:
    return len(token_encoding().encode_ordinary(text))


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_sentences_respect_abbreviations_and_quotes() -> None:
    text = (
        "U.S. President Donald Trump met Mr. Zelenskyy on Feb. 12 in Washington. “I want peace,” he said. "
        "Is it over? Not yet!\nA heading line\nNext paragraph starts here."
    )
    assert sentences(text) == [
        "U.S. President Donald Trump met Mr. Zelenskyy on Feb. 12 in Washington.",
        "“I want peace,” he said.",
        "Is it over?",
        "Not yet!",
        "A heading line",
        "Next paragraph starts here.",
    ]


def test_lowercase_after_period_is_not_a_boundary() -> None:
    assert sentences("The deal is worth approx. $500 billion. It was signed.") == [
        "The deal is worth approx. $500 billion.",
        "It was signed.",
    ]


def test_chunks_are_exact_slices_within_budget_with_overlap() -> None:
    text = "\n\n".join(
        f"Paragraph {p} sentence {s} talks about minerals, ceasefire terms and the security guarantees."
        for p in range(12)
        for s in range(3)
    )
    spans = chunk_spans(text, count, max_tokens=60, overlap_tokens=20)
    assert len(spans) > 5
    for start, end in spans:
        assert count(text[start:end]) <= 60 + 4  # separators between sentences are not budgeted
        assert text[start:end] == text[start:end].strip()
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(b[0] < a[1] for a, b in pairwise(spans)), "consecutive chunks overlap"
    covered = set()
    for start, end in spans:
        covered.update(range(start, end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_heading_starts_the_next_chunk_instead_of_ending_one() -> None:
    body = "This sentence is about sanctions and their effects on the talks. " * 3
    text = f"{body.strip()}\n\nSanctions and Elections\n\n{body.strip()}"
    spans = chunk_spans(text, count, max_tokens=45, overlap_tokens=10)
    assert any(text[s:e].startswith("Sanctions and Elections") for s, e in spans)
    assert not any(text[s:e].endswith("Sanctions and Elections") for s, e in spans)


def test_ten_megabyte_single_line_is_cut_quickly_into_bounded_chunks() -> None:
    line = ("ceasefire minerals negotiation " * 350_000)[: 10 * 1024 * 1024]
    started = time.perf_counter()
    spans = chunk_spans(line, count, max_tokens=160, overlap_tokens=32)
    elapsed = time.perf_counter() - started
    assert elapsed < 60  # generous: guards against quadratic behaviour, not a benchmark
    assert all(count(line[s:e]) <= 160 for s, e in spans[:50])
    assert spans[-1][1] == len(line.rstrip())


def test_unbroken_text_without_spaces_is_still_cut() -> None:
    text = "x" * 20_000
    spans = chunk_spans(text, count, max_tokens=100, overlap_tokens=0)
    assert "".join(text[s:e] for s, e in spans) == text
    assert all(count(text[s:e]) <= 100 for s, e in spans)


def test_chunk_ids_are_deterministic_and_distinct() -> None:
    text = "One sentence here. Another one there.\n\nA third in a new paragraph."
    make = lambda version: build_chunks(  # noqa: E731
        text,
        source="a.txt",
        title="T",
        doc_version=version,
        count_tokens=count,
        max_tokens=8,
        overlap_tokens=0,
    )
    first, again, other = make("v1"), make("v1"), make("v2")
    assert [c.id for c in first] == [c.id for c in again]
    assert not {c.id for c in first} & {c.id for c in other}
    assert first[0].id == chunk_id("a.txt", "v1", 0)
    assert all(c.text == text[c.start : c.end] for c in first)
    assert first[0].context_text.startswith("T\n\n")


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("abc de.F?!\n\n“”")), min_size=1, max_size=600), st.integers(8, 40)
)
def test_chunking_properties(text: str, max_tokens: int) -> None:
    spans = chunk_spans(text, count, max_tokens=max_tokens, overlap_tokens=max_tokens // 4)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip()
    covered = set()
    for start, end in spans:
        covered.update(range(start, end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_empty_text_has_no_chunks(text: str) -> None:
    assert chunk_spans(text, count, 50, 10) == []
