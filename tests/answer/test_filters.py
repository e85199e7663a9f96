"""Filters and article metadata end to end: a real ingest of a small news folder (front matter, a
dateline, an undated file), the real chain, the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant import build_chain
from assistant.settings import Settings
from assistant.web.render import source_card
from ingest.pipeline import run_ingest
from tests.conftest import PROJECT, settings_environment

ARTICLES = {
    "business/minerals-bloomberg.md": (
        "---\ndate: 2025-03-06\noutlet: Bloomberg\n---\n# US presses Ukraine on minerals deal\n\n"
        "The United States is pressing Ukraine to accept a ceasefire as a condition for the minerals deal, "
        "people familiar with the matter said.\n"
    ),
    "business/minerals-times.md": (
        "---\ndate: 2025-02-20\noutlet: The Financial Times\n---\n# Minerals deal stalls\n\n"
        "Talks on the minerals deal stalled after Ukraine rejected the terms offered by Washington.\n"
    ),
    "world/kursk.txt": (
        "Kursk offensive\n\nWASHINGTON, March 12, 2025 (Reuters) - Russian forces pushed Ukrainian troops "
        "back in the Kursk region, officials said.\n"
    ),
    "world/undated.txt": "Ceasefire hopes\n\nDiplomats said the minerals deal could be signed soon.\n",
}
QUESTION = "What is the latest on the minerals deal?"


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, embeddings, chroma_url):  # type: ignore[no-untyped-def]
    from tests.conftest import index_location

    folder = tmp_path_factory.mktemp("news")
    for name, text in ARTICLES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(
        index_dir=folder.parent / "news-index", corpus_dir=folder, **index_location(chroma_url)
    )  # type: ignore[arg-type]
    run_ingest(settings, embeddings=embeddings)
    return settings, build_chain(settings, embeddings=embeddings)


def test_every_document_records_when_and_by_whom_and_how_that_was_found(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    records = chain.services.store.documents()
    seen = {s: (r.published, r.published_via, r.outlet, r.outlet_via) for s, r in records.items()}
    assert seen == {
        "business/minerals-bloomberg.md": ("2025-03-06", "front-matter", "Bloomberg", "front-matter"),
        "business/minerals-times.md": ("2025-02-20", "front-matter", "The Financial Times", "front-matter"),
        "world/kursk.txt": ("2025-03-12", "dateline", "Reuters", "dateline"),
        "world/undated.txt": ("", "none", "", "none"),
    }


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (
            {"published_from": "2025-03-01", "published_to": "2025-03-31"},
            {"business/minerals-bloomberg.md", "world/kursk.txt"},
        ),
        ({"outlets": ["financial times"]}, {"business/minerals-times.md"}),
        ({"sources": ["world/"]}, {"world/kursk.txt", "world/undated.txt"}),
    ],
)
def test_a_filter_is_a_promise_for_every_passage_and_citation(news, filters, allowed) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    for mode in ("hybrid", "dense", "keyword"):
        answer = chain.invoke({"question": QUESTION, "filters": filters, "retrieval_mode": mode})
        assert {p.source for p in answer.passages} <= allowed, mode
        assert {c.source for c in answer.citations} <= allowed, mode
        assert "Only articles with" in answer.notice


def test_citations_carry_the_outlet_and_date_and_the_card_shows_them(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": QUESTION, "filters": {"outlets": ["Bloomberg"]}})
    citation = answer.citations[0]
    assert (citation.outlet, citation.published) == ("Bloomberg", "2025-03-06")
    assert "Bloomberg · 6 Mar 2025" in source_card(citation, 1, 1)


def test_an_empty_result_says_which_filter_emptied_it(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke(
        {"question": QUESTION, "filters": {"outlets": ["Reuters"], "sources": ["business/"]}}
    )
    assert answer.abstained and not answer.citations
    assert "all at once" in answer.answer  # each alone matches something
    answer = chain.invoke(
        {"question": QUESTION, "filters": {"published_to": "2024-12-31", "sources": ["world/"]}}
    )
    assert answer.abstained and "No indexed article has published until 2024-12-31." in answer.answer


def test_the_cli_takes_filters_and_shows_outlet_and_date(news) -> None:  # type: ignore[no-untyped-def]
    settings, _ = news
    command = [sys.executable, "-m", "assistant", QUESTION, "--outlet", "Bloomberg", "--from", "2025-03-01"]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=PROJECT, env=settings_environment(settings)
    )
    assert result.returncode == 0, result.stderr
    assert "Bloomberg · 6 Mar 2025" in result.stdout
    bad = subprocess.run(
        [*command[:4], "--from", "last week"], capture_output=True, text=True, timeout=120, cwd=PROJECT,
        env=settings_environment(settings),
    )  # fmt: skip
    assert (
        bad.returncode != 0
        and "published_from must be a date" in bad.stderr
        and "Traceback" not in bad.stderr
    )


def test_a_period_in_the_question_becomes_a_filter_and_the_answer_says_so(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": "What happened to the minerals deal in February 2025?"})
    assert {c.source for c in answer.citations} == {"business/minerals-times.md"}
    assert "Looking at reports from 1 Feb 2025 to 28 Feb 2025." in answer.notice
    # counted from the newest publication date in the index (12 Mar 2025): "last month" is February
    assert "from 1 Feb 2025 to 28 Feb 2025" in chain.invoke({"question": "What stalled last month?"}).notice
    nothing = chain.invoke({"question": "What happened to the minerals deal in 2023?"})
    assert "No article is dated from 1 Jan 2023 to 31 Dec 2023, so all were searched." in nothing.notice
    assert nothing.abstained  # and no passage holds 2023 either


def test_a_range_in_the_question_filters_and_its_days_are_not_asked_of_sentences(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": "What happened to the minerals deal between February 15 and March 1?"})
    assert {c.source for c in answer.citations} == {"business/minerals-times.md"}
    assert "Looking at reports from 15 Feb 2025 to 1 Mar 2025." in answer.notice
    assert not answer.abstained  # no sentence says "February 15" or "March 1": the range chose the reports


def test_an_event_in_the_question_is_dated_by_its_reports_and_bounds_the_period(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": "What happened to the minerals deal after the talks stalled?"})
    assert "“the talks stalled” is dated 20 Feb 2025 by business/minerals-times.md." in answer.notice
    assert "Looking at reports since 20 Feb 2025." in answer.notice
    assert answer.citations and all(c.published >= "2025-02-20" for c in answer.citations)
    undated = chain.invoke({"question": "What happened before the Kursk offensive?"})
    assert "No dated report names “the Kursk offensive”, so all were searched." in undated.notice


def test_latest_puts_the_newest_relevant_report_first(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": "What happened most recently with the minerals deal talks?"})
    assert "Newest reports first." in answer.notice
    # the Bloomberg report of 6 March is less similar than the Financial Times one of 20 February, but
    # relevant enough (over NEAR_BEST of the best): it leads; the Reuters one of 12 March is about Kursk
    assert answer.citations[0].source == "business/minerals-bloomberg.md"
    assert "world/kursk.txt" not in {c.source for c in answer.citations}


def test_the_news_of_a_topic_is_its_reports_newest_first(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    latest = chain.invoke({"question": "What is the latest on the minerals deal?"})
    assert [c.source for c in latest.citations] == ["business/minerals-bloomberg.md"]  # the newest only
    assert (
        latest.answer.startswith("The United States is pressing Ukraine")
        and "Newest reports first." in latest.notice
    )
    talks = chain.invoke({"question": "What's the latest on the minerals deal talks?"})
    assert [c.source for c in talks.citations] == ["business/minerals-times.md"]  # the report about the talks
    digest = chain.invoke({"question": "Any news about the minerals deal?"})
    assert [c.source for c in digest.citations][:2] == [
        "business/minerals-bloomberg.md",
        "business/minerals-times.md",
    ]
    assert "from one report" not in digest.notice  # one statement per report is the point of a digest
    kursk = chain.invoke({"question": "Any news about Kursk?"})
    assert [c.source for c in kursk.citations] == ["world/kursk.txt"]
    nothing = chain.invoke({"question": "Any news about the Bank of Japan?"})
    assert nothing.abstained and "Newest reports first" not in nothing.notice  # no order in no answer


def test_an_outlet_the_question_names_becomes_a_filter(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": "What did Bloomberg report about the minerals deal?"})
    assert not answer.abstained  # "Bloomberg" is the outlet's name, not a word the text must hold
    assert {c.source for c in answer.citations} == {"business/minerals-bloomberg.md"}
    assert "Only articles from Bloomberg, as the question asks." in answer.notice


def test_a_question_asking_only_for_the_news_of_a_period_gets_each_storys_lead(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": "What happened in March 2025?"})
    assert not answer.abstained
    assert {c.source for c in answer.citations} == {"business/minerals-bloomberg.md", "world/kursk.txt"}
    assert all(c.published.startswith("2025-03") for c in answer.citations)


def test_a_timeline_lists_the_reports_in_the_order_they_were_published(news) -> None:  # type: ignore[no-untyped-def]
    _, chain = news
    answer = chain.invoke({"question": "Give me a timeline of the minerals deal"})
    lines = answer.answer.splitlines()
    assert [line.split(" — ")[0] for line in lines][:2] == ["- 20 Feb 2025", "- 6 Mar 2025"]
    assert [c.source for c in answer.citations][:2] == [
        "business/minerals-times.md",
        "business/minerals-bloomberg.md",
    ]
