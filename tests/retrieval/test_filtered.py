"""The filter predicate over live chunks: the same rows for dense and keyword search."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.request import parse_filters
from assistant.errors import InvalidRequestError
from assistant.retrieval.filtered import FilterTable
from assistant.text.published import display_date, published_bounds, source_line
from assistant.types import Chunk, Filters


def chunk(source: str, outlet: str = "", published: str = "") -> Chunk:
    return Chunk(f"id-{source}", source, source, "text", 0, 4, 0, "v1", outlet, published)


ROWS = [
    chunk("business/a.txt", "Bloomberg", "2025-03-06"),
    chunk("business/b.txt", "The Financial Times", "2025-03"),
    chunk("sport/c.txt", "Reuters", "2025"),
    chunk("sport/d.txt"),  # no outlet, no date
]
TABLE = FilterTable(
    "state",
    [(c, np.eye(4)[i].tolist()) for i, c in enumerate(ROWS)],
    keyword_ids=["id-sport/d.txt", "gone", "id-business/a.txt"],
)


def admitted(filters: Filters) -> list[str]:
    return [c.source for c, keep in zip(TABLE.chunks, TABLE.mask(filters), strict=True) if keep]


def test_a_date_range_keeps_documents_that_may_fall_in_it_and_none_of_unknown_date() -> None:
    assert admitted(Filters("2025-03-01", "2025-03-31")) == [
        "business/a.txt",
        "business/b.txt",
        "sport/c.txt",
    ]
    assert admitted(Filters("2025-03-07", "2025-03-20")) == ["business/b.txt", "sport/c.txt"]
    assert admitted(Filters("2025-04-01")) == ["sport/c.txt"]
    assert admitted(Filters(published_to="2024-12-31")) == []


def test_outlets_ignore_case_and_a_leading_the_and_sources_are_path_prefixes() -> None:
    assert admitted(Filters(outlets=("financial times", "BLOOMBERG"))) == ["business/a.txt", "business/b.txt"]
    assert admitted(Filters(sources=("./sport/",))) == ["sport/c.txt", "sport/d.txt"]
    assert admitted(Filters(outlets=("Reuters",), sources=("business/",))) == []
    assert TABLE.documents(Filters(sources=("business",))) == 2


def test_dense_and_keyword_search_see_the_same_rows() -> None:
    filters = Filters(sources=("business/",))
    hits = TABLE.dense_search([1.0, 0.5, 0.9, 1.0], 10, filters)
    assert [h.chunk.source for h in hits] == [
        "business/a.txt",
        "business/b.txt",
    ]  # best first, sport/ left out
    assert TABLE.keyword_mask(filters).tolist() == [False, False, True]  # in the keyword index's order


def test_filters_are_checked_at_the_edge() -> None:
    assert parse_filters({"published_from": "2025-03-01", "outlets": "Bloomberg"}) == Filters(
        "2025-03-01", outlets=("Bloomberg",)
    )
    assert parse_filters(None) == Filters() and not Filters().active
    for bad, message in [
        ({"published_from": "last week"}, "must be a date"),
        ({"published_from": "2025-03-02", "published_to": "2025-03-01"}, "is after"),
        ({"outlet": ["x"]}, "Unknown filter outlet"),
        ({"sources": [1]}, "list of names"),
        ("business/", "must be an object"),
    ]:
        with pytest.raises(InvalidRequestError, match=message):
            parse_filters(bad)


def test_how_a_publication_date_is_shown_and_what_days_it_covers() -> None:
    assert published_bounds("2025-02") == (20250201, 20250228) and published_bounds("") is None
    assert published_bounds("2024") == (20240101, 20241231)
    assert [display_date(d) for d in ("2025-03-06", "2025-03", "2025", "")] == [
        "6 Mar 2025", "Mar 2025", "2025", "date unknown",
    ]  # fmt: skip
    assert source_line("Bloomberg", "2025-03-06") == "Bloomberg · 6 Mar 2025"
    assert source_line("", "") == "date unknown"


def test_a_question_names_an_outlet_only_as_written() -> None:
    from assistant.retrieval.filtered import outlets_named

    outlets = ["The Times", "Harbor Wire", "Reuters"]
    assert outlets_named("What did Harbor Wire report about the bridge?", outlets) == ("Harbor Wire",)
    assert outlets_named("What did The Times and Reuters say?", outlets) == ("The Times", "Reuters")
    assert outlets_named("How many times did they meet?", outlets) == ()  # a word, not the outlet
    assert outlets_named("what did harbor wire say", outlets) == ("Harbor Wire",)  # lower case, two words
    assert outlets_named("what did reuters say", outlets) == ()  # one lower-case word could be anything
