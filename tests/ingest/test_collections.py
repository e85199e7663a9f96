"""News exports and feeds: each record or item one article, with its own key; hostile input skipped with
a reason. Reading is tested directly; the incremental ingest with the real index and model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.settings import Settings
from ingest.collections import field_names, read_collection
from ingest.loaders import SkipFile
from ingest.pipeline import run_ingest

ARTICLE = {
    "id": "a1",
    "headline": "US presses Ukraine on minerals deal",
    "content": "The United States is pressing Ukraine to accept a ceasefire as a condition for the deal.",
    "publishedAt": "2025-03-06T10:00:00Z",
    "source": {"id": "bloomberg", "name": "Bloomberg"},  # as news APIs write it
    "link": "https://news.example/2025/03/06/minerals",
    "authors": ["Jane Roe", "John Doe"],
}


def test_a_json_lines_export_maps_the_common_field_names() -> None:
    read = read_collection(json.dumps(ARTICLE).encode(), ".jsonl")
    (record,) = read.records
    assert (record.key, record.title, record.kind) == ("a1", "US presses Ukraine on minerals deal", "text")
    assert record.fields == {
        "published": "2025-03-06T10:00:00Z",
        "outlet": "Bloomberg",
        "author": "Jane Roe, John Doe",
        "url": "https://news.example/2025/03/06/minerals",
    }


@pytest.mark.parametrize(
    ("data", "suffix"),
    [
        (json.dumps([ARTICLE]), ".json"),
        (json.dumps({"articles": [ARTICLE]}), ".json"),
        ("id;headline;content\na1;US presses Ukraine;The United States is pressing Ukraine.\n", ".csv"),
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Example News</title>'
            "<item><guid>a1</guid>"
            "<title>US presses Ukraine</title><description>&lt;p&gt;The United States is pressing Ukraine."
            "&lt;/p&gt;</description><pubDate>Thu, 06 Mar 2025 10:00:00 GMT</pubDate></item></channel></rss>",
            ".rss",
        ),
        (
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Times</title><entry><id>a1</id>'
            "<title>US presses Ukraine</title><updated>2025-03-06T00:00:00Z</updated>"
            "<content>The United States is pressing Ukraine.</content></entry></feed>",
            ".atom",
        ),
    ],
)
def test_json_csv_rss_and_atom_collections(data: str, suffix: str) -> None:
    (record,) = read_collection(data.encode(), suffix).records
    assert record.key == "a1" and record.title.startswith("US presses Ukraine")
    assert "The United States is pressing Ukraine" in record.body


def test_a_feed_item_takes_its_outlet_from_the_feed_and_html_bodies_are_marked() -> None:
    feed = (
        '<rss version="2.0"><channel><title>Example News</title><item><link>https://e.x/1</link>'
        "<title>T</title><description>&lt;p&gt;Body &lt;b&gt;text&lt;/b&gt;.&lt;/p&gt;</description></item>"
        "</channel></rss>"
    )
    (record,) = read_collection(feed.encode(), ".xml").records
    assert record.key == "https://e.x/1" and record.kind == "html"
    assert record.fields["outlet"] == "Example News"


def test_hostile_records_are_skipped_one_by_one_with_a_reason() -> None:
    lines = [
        json.dumps(ARTICLE),
        json.dumps({**ARTICLE, "headline": "the same id again"}),
        json.dumps({"id": "b", "headline": "no body"}),
        json.dumps({"id": "c", "content": {"nested": True}}),
        json.dumps({"id": "d", "content": "x" * 2000}),
        "{broken",
        "[1, 2]",
        json.dumps({"id": 7, "content": "A numeric id is fine.", "publishedAt": 2025}),
    ]
    read = read_collection("\n".join(lines).encode(), ".jsonl", max_body_chars=1000)
    assert [r.key for r in read.records] == ["a1", "7"]
    reasons = {where: why for where, why, _ in read.skipped}
    assert reasons["line 2"].startswith("duplicated id 'a1'")
    assert reasons["line 3"].startswith("no article text") and reasons["line 4"].startswith("no article text")
    assert "longer than 1,000 characters" in reasons["line 5"]
    assert reasons["line 6"].startswith("not JSON") and reasons["line 7"] == "not a JSON object"


@pytest.mark.parametrize(
    ("data", "suffix", "message"),
    [
        (
            '<rss version="2.0"><channel><item><title>a</item></channel>',
            ".xml",
            "not a readable RSS or Atom feed",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            '<rss version="2.0"><channel><title>&b;</title></channel></rss>',
            ".rss",
            "declares XML entities",
        ),  # billion laughs
        ("<sitemap><url>x</url></sitemap>", ".xml", "not an RSS or Atom feed"),
        ('{"articles": ', ".json", "not valid JSON"),
        ('{"count": 3}', ".json", "without a list of articles"),
    ],
)
def test_a_file_that_cannot_be_read_is_skipped_whole(data: str, suffix: str, message: str) -> None:
    with pytest.raises(SkipFile, match=message):
        read_collection(data.encode(), suffix)


def test_field_names_are_configurable() -> None:
    names = field_names({"body": ["story_text"]})
    (record,) = read_collection(
        json.dumps({"id": "z", "story_text": "Text."}).encode(), ".jsonl", names=names
    ).records
    assert record.body == "Text."
    with pytest.raises(ValueError, match="unknown record part"):
        field_names({"bdoy": ["x"]})


def write_export(path: Path, articles: list[dict[str, str]]) -> None:
    path.write_text("\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8")


def articles(n: int) -> list[dict[str, str]]:
    return [
        {
            "id": f"r{i}",
            "title": f"Report {i}",
            "body": f"Officials in city number {i} said the ceasefire talks would resume next week.",
            "published": f"2025-03-{i + 1:02d}",
            "outlet": "Reuters" if i % 2 else "Bloomberg",
        }
        for i in range(n)
    ]


def test_an_export_is_ingested_incrementally_record_by_record(
    tmp_path: Path, make_settings, embeddings
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    export = folder / "news.jsonl"
    items = articles(4)
    write_export(export, items)
    settings: Settings = make_settings(corpus_dir=folder)
    first = run_ingest(settings, embeddings=embeddings)
    assert (first.files_added, first.files_skipped) == (4, 0)

    items[1]["body"] += " A sentence was added."
    del items[3]
    write_export(export, items)
    second = run_ingest(settings, embeddings=embeddings)
    assert (second.files_updated, second.files_unchanged, second.files_deleted) == (1, 2, 1)
    assert second.chunks_embedded == 1  # only the edited record

    again = run_ingest(settings, [export], embeddings=embeddings)  # the file given on its own
    assert not again.changed and again.files_unchanged == 3

    lines = export.read_text(encoding="utf-8").splitlines()
    export.write_text("\n".join(['{"id": "r0", "body": broken', *lines[1:]]) + "\n", encoding="utf-8")
    broken = run_ingest(settings, embeddings=embeddings)
    assert broken.files_deleted == 0  # the broken line may be any article: none is removed
    assert broken.skipped == [{"source": "news.jsonl (line 1)", "reason": "not JSON (Expecting value)"}]

    export.write_bytes(b"\x00\x01garbage\x00" * 100)  # not text at all: the whole file is kept as indexed
    garbage = run_ingest(settings, embeddings=embeddings)
    assert garbage.files_deleted == 0 and "indexed article(s) are kept" in garbage.skipped[0]["reason"]

    write_export(export, items[1:2])  # a clean file again: what it no longer holds goes
    assert run_ingest(settings, embeddings=embeddings).files_deleted == 2
    from assistant import build_chain

    assert list(build_chain(settings, embeddings=embeddings).services.store.documents()) == ["news.jsonl#r1"]


def test_records_without_id_or_url_keep_their_keys_when_another_is_inserted(
    tmp_path: Path, make_settings, embeddings
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    export = folder / "news.jsonl"
    items = [{k: v for k, v in item.items() if k != "id"} for item in articles(3)]
    write_export(export, items)
    settings: Settings = make_settings(corpus_dir=folder)
    assert run_ingest(settings, embeddings=embeddings).files_added == 3
    from assistant import build_chain

    before = set(build_chain(settings, embeddings=embeddings).services.store.documents())
    inserted = {"title": "Breaking", "body": "A new report was inserted at the top of the export today."}
    write_export(export, [inserted, *items, items[0]])  # and a copy of the first one at the end
    after = run_ingest(settings, embeddings=embeddings)
    assert (after.files_added, after.files_updated, after.files_unchanged, after.files_deleted) == (
        1,
        0,
        3,
        0,
    )
    assert after.skipped == [
        {"source": "news.jsonl (line 5)", "reason": "the same article again (the first one is kept)"}
    ]
    keys = set(build_chain(settings, embeddings=embeddings).services.store.documents())
    assert before < keys and all(key.startswith("news.jsonl#text-") for key in keys)
