"""An article's publication date, outlet, author and URL, each with where it was found; never invented."""

from __future__ import annotations

import pytest

from ingest.cleaning import clean_document
from ingest.cleaning.article import ArticleFacts, article_facts, dateline_date, parse_published
from ingest.cleaning.front_matter import split_front_matter


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2025-03-06T10:00:00Z", ("2025-03-06", "day")),
        ("2025-03-06 10:00:00+02:00", ("2025-03-06", "day")),
        ("Thu, 06 Mar 2025 10:00:00 GMT", ("2025-03-06", "day")),  # RSS pubDate
        ("March 6, 2025", ("2025-03-06", "day")),
        ("6 March 2025", ("2025-03-06", "day")),
        ("March 2025", ("2025-03", "month")),
        ("2025-03", ("2025-03", "month")),
        ("2025", ("2025", "year")),
        ("yesterday", None),  # no year: never guessed
        ("March 6", None),
        ("2025-13-40", None),
        ("", None),
    ],
)
def test_a_published_field_is_read_as_precisely_as_it_is_written(value: str, parsed: object) -> None:
    assert parse_published(value) == parsed


def test_front_matter_is_read_and_left_out_of_the_text() -> None:
    text = (
        '---\ntitle: "Minerals deal"\ndate: 2025-03-06\nsource: Bloomberg\ntags: [a, b]\n---\n'
        "The US is pressing Ukraine.\n"
    )
    fields, rest = split_front_matter(text)
    assert fields == {"title": "Minerals deal", "date": "2025-03-06", "source": "Bloomberg"}
    assert rest == "The US is pressing Ukraine.\n"
    assert split_front_matter("No front matter.\n---\nx: y\n---\n") == (
        {},
        "No front matter.\n---\nx: y\n---\n",
    )


def test_a_markdown_file_with_front_matter_gets_its_facts_from_it() -> None:
    text = (
        "---\ndate: 2025-03-06\noutlet: Bloomberg\nauthor: Jane Roe\nurl: https://example.com/a\n---\n"
        "# Minerals deal\n\nThe United States is pressing Ukraine to agree to a ceasefire, officials said.\n"
    )
    cleaned = clean_document(text, kind="markdown", fallback_title="a")
    assert cleaned.facts == ArticleFacts(
        "2025-03-06", "day", "front-matter", "Bloomberg", "front-matter", "Jane Roe", "front-matter",
        "https://example.com/a", "front-matter",
    )  # fmt: skip
    assert "Bloomberg" not in cleaned.text and cleaned.title == "Minerals deal"


def test_record_fields_come_first_then_html_meta() -> None:
    facts = article_facts(
        ["Some text."],
        fields={"pubDate": "Thu, 06 Mar 2025 10:00:00 GMT", "link": "https://news.example/x"},
        html_meta={"date": "2024-01-01", "sitename": "Example News", "author": "A. Writer"},
    )
    assert (facts.published, facts.published_via) == ("2025-03-06", "record-field")
    assert (facts.url, facts.url_via) == ("https://news.example/x", "record-field")
    assert (facts.outlet, facts.outlet_via) == ("Example News", "html-meta")
    assert (facts.author, facts.author_via) == ("A. Writer", "html-meta")


def test_plain_text_dates_come_from_a_dateline_only() -> None:
    assert (
        dateline_date(["As of February 9, 2025, news reports indicate that the US is pushing."])
        == "2025-02-09"
    )
    assert dateline_date(["WASHINGTON, March 6, 2025 (Reuters) - The United States"]) == "2025-03-06"
    assert dateline_date(["6 March 2025 — Talks resumed."]) == "2025-03-06"
    # a date inside a sentence (a caption, a report of an event) is not when the article was published
    assert dateline_date(["Trump answers a question on March 3, 2025, in Washington."]) is None
    facts = article_facts(["WASHINGTON (Reuters) - The United States is pressing Ukraine."])
    assert (facts.outlet, facts.outlet_via, facts.published_via) == ("Reuters", "dateline", "none")


def test_a_date_in_the_articles_own_url() -> None:
    facts = article_facts(["Text."], fields={"url": "https://news.example/2025/03/06/minerals-deal"})
    assert (facts.published, facts.published_precision, facts.published_via) == (
        "2025-03-06",
        "day",
        "url-path",
    )


def test_unknown_stays_unknown() -> None:
    assert article_facts(["The talks went on. Officials met on Feb. 12."]) == ArticleFacts()
    assert article_facts(["Text."], fields={"url": "javascript:alert(1)"}).url == ""
