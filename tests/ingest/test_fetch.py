"""`python -m ingest URL`: article pages and feeds over HTTP, against a server on 127.0.0.1; every way a
fetch can fail is one clear reason, and what was indexed from a URL is kept when it fails."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from assistant.settings import Settings
from ingest.fetch import FetchError, check_url, fetch
from ingest.pipeline import run_ingest
from tests.conftest import PROJECT, settings_environment
from tests.support.news_server import NewsServer, news_server

ARTICLE = """<!doctype html><html><head><title>Ferry adds early crossing | Harbor Wire</title>
<meta property="og:site_name" content="Harbor Wire">
<meta property="article:published_time" content="2025-02-03T08:00:00Z">
<meta name="author" content="Mira Santos">
</head><body><article><h1>Ferry adds early crossing</h1>
<p>Ferry operator Bluewater Lines said it will add a 6 a.m. crossing to Gull Island from February 17.</p>
<p>The operator said commuters had asked for an earlier boat for years, and that the crossing would run on
weekdays only.</p></article></body></html>"""


def feed(*items: tuple[str, str, str]) -> str:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><description>{text}</description>"
        "<pubDate>Thu, 20 Mar 2025 09:00:00 GMT</pubDate></item>"
        for guid, title, text in items
    )
    channel = f"<channel><title>Coastline Radio</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


CANCELLED = ("cr-3", "Early ferry dropped", "Bluewater Lines cancelled the 6 a.m. Gull Island crossing.")
FLOOD = ("cr-2", "Storm floods market", "Heavy storms on March 11 flooded the waterfront market.")


@pytest.fixture(scope="module")
def server() -> Iterator[NewsServer]:
    with news_server() as running:
        running.serve("/article.html", ARTICLE)
        running.serve("/feed.xml", feed(CANCELLED, FLOOD), "application/rss+xml")
        yield running


def test_an_article_page_becomes_a_document_with_its_metadata(
    server: NewsServer, make_settings, embeddings
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(fetch_timeout_s=2)
    url = server.url + "/article.html"
    report = run_ingest(settings, [], urls=[url], embeddings=embeddings)
    assert (report.files_added, report.skipped) == (1, [])
    from assistant import build_chain

    chain = build_chain(settings, embeddings=embeddings)
    record = chain.services.store.documents()[url]
    assert (record.outlet, record.outlet_via) == ("Harbor Wire", "html-meta")
    assert (record.published, record.published_via, record.author) == (
        "2025-02-03",
        "html-meta",
        "Mira Santos",
    )
    assert (record.url, record.url_via) == (url, "fetched")  # the page names no canonical URL of its own
    answer = chain.invoke({"question": "When will the early ferry crossing to Gull Island start?"})
    assert answer.citations[0].source == url and "February 17" in answer.answer
    assert run_ingest(settings, [], urls=[url], embeddings=embeddings).files_unchanged == 1


def test_a_feed_becomes_one_document_per_item_and_items_that_drop_out_are_kept(
    server: NewsServer, make_settings, embeddings
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(fetch_timeout_s=2)
    url = server.url + "/feed.xml"
    first = run_ingest(settings, [], urls=[url], embeddings=embeddings)
    assert first.files_added == 2
    server.serve(
        "/feed.xml",
        feed(("cr-4", "Market reopens", "The waterfront market reopened on Friday."), CANCELLED),
        "application/rss+xml",
    )
    second = run_ingest(settings, [], urls=[url], embeddings=embeddings)
    assert (second.files_added, second.files_unchanged, second.files_deleted) == (1, 1, 0)  # cr-2 stays
    from assistant import build_chain

    sources = sorted(build_chain(settings, embeddings=embeddings).services.store.documents())
    assert sources == [f"{url}#cr-2", f"{url}#cr-3", f"{url}#cr-4"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "answered 404"),
        ("/redirect/3", None),  # followed: it ends at the article
        ("/redirect/9", "More than 5 redirects"),
        ("/loop", "More than 5 redirects"),
        ("/to-ftp", "Only http and https URLs"),
        ("/huge", "is larger than"),
        ("/slow", "did not answer within"),
    ],
)
def test_every_way_a_fetch_fails_is_one_clear_reason(
    server: NewsServer, path: str, reason: str | None
) -> None:
    if reason is None:
        assert b"Bluewater" in fetch(server.url + path, timeout_s=2, max_bytes=100_000).data
        return
    with pytest.raises(FetchError, match=reason):
        fetch(server.url + path, timeout_s=1, max_bytes=100_000)


def test_offline_and_wrong_schemes_are_clear_errors() -> None:
    with pytest.raises(FetchError, match="this machine may be offline"):
        fetch(f"http://127.0.0.1:{closed_port()}/feed.xml", timeout_s=2, max_bytes=1000)
    for url in ("ftp://example.com/feed.xml", "file:///etc/passwd", "javascript:alert(1)"):
        with pytest.raises(FetchError, match="Only http and https"):
            check_url(url)


def test_a_url_that_fails_after_it_was_indexed_keeps_what_was_indexed(
    server: NewsServer, make_settings, embeddings
) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings(fetch_timeout_s=2)
    url = server.serve("/flaky.xml", feed(CANCELLED), "application/rss+xml")
    assert run_ingest(settings, [], urls=[url], embeddings=embeddings).files_added == 1
    server.serve("/flaky.xml", "upstream broke", "text/plain", status=503)
    report = run_ingest(settings, [], urls=[url], embeddings=embeddings)
    assert report.files_deleted == 0
    assert "answered 503" in report.skipped[0]["reason"] and "are kept" in report.skipped[0]["reason"]


def test_the_cli_ingests_a_feed_url_and_refuses_other_schemes(server: NewsServer, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings()
    env = settings_environment(settings)
    done = subprocess.run(
        [sys.executable, "-m", "ingest", server.url + "/feed.xml"],
        capture_output=True, text=True, timeout=180, cwd=PROJECT, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Files: 2 added" in done.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "ingest", "ftp://example.com/feed.xml"],
        capture_output=True, text=True, timeout=180, cwd=PROJECT, env=env,
    )  # fmt: skip
    assert (
        refused.returncode == 1
        and "Only http and https" in refused.stderr
        and "Traceback" not in refused.stderr
    )
