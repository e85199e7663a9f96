"""The chat end to end: the real app on 127.0.0.1, driven in Debian's Chromium by Playwright, and called
through gradio_client. Screenshots are kept in artifacts/screenshots/."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pydantic import SecretStr

from assistant.settings import Settings
from benchmarks.app_process import free_port
from tests.conftest import PROJECT, SEED_CORPUS
from tests.support.chromium import launch_chromium

SCREENSHOTS = PROJECT / "artifacts" / "screenshots"
MINERALS = "What conditions did the US attach to the minerals deal?"
WAIT_MS = 60_000
FAKE_KEY = "sk-test-Zq81NEWSDESKnotARealKey0000"


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("app")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    return Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        upload_dir=root / "uploads",
        server_port=free_port(),
    )


@pytest.fixture(scope="module")
def app_url(app_settings: Settings, embeddings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from assistant.answer.chain import NewsdeskChain, build_services
    from assistant.web.documents import IndexedDocuments
    from assistant.web.launch import serve
    from assistant.web.services import AppServices
    from ingest.pipeline import run_ingest
    from ingest.uploads import UploadInbox

    run_ingest(app_settings, embeddings=embeddings)
    services = build_services(app_settings, embeddings=embeddings)
    inbox = UploadInbox(app_settings, embeddings)
    demo, url = serve(
        AppServices(app_settings, NewsdeskChain(services), IndexedDocuments(services.store, inbox.add))
    )
    try:
        yield url
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.goto(app_url)
    opened.wait_for_selector("#nd-question textarea", timeout=WAIT_MS)
    yield opened
    context.close()


def ask(page: Any, question: str) -> None:
    """Ask and wait for the status line that ends every answer."""
    page.fill("#nd-question textarea", question)
    page.click("#nd-ask")
    page.wait_for_function(
        "() => /Answered|offline answer/.test(document.querySelector('#nd-status')?.innerText || '')",
        timeout=WAIT_MS,
    )


def bot_messages(page: Any) -> list[str]:
    return page.locator("#nd-chat .bot-row, #nd-chat [data-testid='bot']").all_inner_texts()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_example_question_streams_a_cited_answer_and_markers_bring_sources_into_view(page: Any) -> None:
    page.get_by_text(MINERALS, exact=True).first.click()  # the example fills the question box
    expect(page.locator("#nd-question textarea")).to_have_value(MINERALS, timeout=WAIT_MS)
    # Record every text the answer takes while it streams in, and when the first one appeared.
    page.evaluate(
        """() => {
          window.ndTexts = []; window.ndFirstText = null;
          const chat = document.querySelector('#nd-chat');
          new MutationObserver(() => {
            const bots = chat.querySelectorAll("[data-testid='bot']");
            const last = bots.length ? bots[bots.length - 1].innerText.trim() : '';
            if (last && window.ndTexts[window.ndTexts.length - 1] !== last) {
              if (window.ndFirstText === null) window.ndFirstText = performance.now();
              window.ndTexts.push(last);
            }
          }).observe(chat, {subtree: true, childList: true, characterData: true});
          window.ndAsked = performance.now();
        }"""
    )
    page.click("#nd-ask")
    page.wait_for_function(
        "() => document.querySelector('#nd-status')?.innerText.includes('Answered')", timeout=WAIT_MS
    )
    texts = page.evaluate("window.ndTexts")
    first_ms = page.evaluate("window.ndFirstText - window.ndAsked")
    print(f"\ntime to first streamed text in the browser: {first_ms:.0f} ms; {len(texts)} steps")
    assert len(texts) >= 2 and texts[-1].startswith(texts[0][:20])  # it grew in place

    markers = page.locator("#nd-chat a[href^='#nd-src-1-']")
    assert markers.count() >= 1
    cards = page.locator("#nd-sources .nd-source")
    assert cards.count() == markers.count()
    first_card = cards.first.inner_text()
    assert "003_06470abda2abc466.txt" in first_card  # the Bloomberg report on the conditions
    quoted = cards.first.locator("mark").inner_text()
    assert " ".join(quoted.split())[:60] in " ".join(texts[-1].split())
    assert "offline answerer" in page.inner_text("#nd-status")

    last = markers.nth(markers.count() - 1)
    target = last.get_attribute("href").removeprefix("#")
    last.click()
    page.wait_for_selector(f"#{target}.nd-flash", timeout=5_000)
    assert page.locator(f"#{target}").is_visible()
    assert len(page.context.pages) == 1  # the marker did not open a tab
    screenshot(page, "chat-minerals")


def test_an_abstention_shows_no_sources(page: Any) -> None:
    ask(page, "What's the weather like in Paris today?")
    assert "don't say" in bot_messages(page)[-1]
    assert "No sources" in page.inner_text("#nd-sources")
    assert page.locator("#nd-chat a[href^='#nd-src-']").count() == 0


def test_a_follow_up_uses_the_conversation_and_new_chat_clears_it(page: Any) -> None:
    ask(page, "How long is the truce Ukraine agreed to?")
    assert "30-day" in bot_messages(page)[-1]
    page.fill("#nd-question textarea", "Who proposed it?")
    page.click("#nd-ask")
    page.wait_for_function(
        "() => document.querySelectorAll(\"#nd-chat [data-testid='bot']\").length === 2 && "
        "document.querySelector('#nd-status')?.innerText.includes('Answered')",
        timeout=WAIT_MS,
    )
    assert "proposed by the U.S." in bot_messages(page)[-1]
    assert page.locator("#nd-sources details").count() == 2  # both turns keep their sources
    screenshot(page, "chat-follow-up")
    page.click("#nd-new-chat")
    page.wait_for_function(
        "() => document.querySelectorAll(\"#nd-chat [data-testid='bot']\").length === 0", timeout=WAIT_MS
    )
    assert page.locator("#nd-sources details").count() == 0


def test_an_empty_question_gets_a_friendly_message(page: Any) -> None:
    page.click("#nd-ask")
    toast = page.get_by_text("Type a question")
    toast.first.wait_for(timeout=WAIT_MS)
    body = page.inner_text("body")
    assert "Traceback" not in body and "/tmp" not in body


def test_settings_filter_the_sources_and_say_so_and_a_bad_date_is_a_friendly_message(page: Any) -> None:
    page.click("#nd-settings")
    page.fill("#nd-sources-filter textarea, #nd-sources-filter input", "003")
    ask(page, MINERALS)
    assert "Only articles with source 003." in page.inner_text("#nd-status")
    cards = page.locator("#nd-sources code").all_inner_texts()
    assert cards and all(card.startswith("003_") for card in cards)
    assert "date unknown" in page.inner_text("#nd-sources")  # the seed files state no publication date
    screenshot(page, "chat-filters")
    page.fill("#nd-from textarea, #nd-from input", "March 1")
    page.fill("#nd-question textarea", MINERALS)
    page.click("#nd-ask")
    page.get_by_text("published_from must be a date like 2025-03-06").first.wait_for(timeout=WAIT_MS)
    assert "Traceback" not in page.inner_text("body")


def test_upload_a_document_then_ask_about_it(page: Any, tmp_path: Path) -> None:
    page.click("#nd-documents")
    expect(page.locator("#nd-table")).to_contain_text("003_06470abda2abc466.txt", timeout=WAIT_MS)
    note = tmp_path / "Zorblat treaty.txt"
    note.write_text(
        "Zorblat Treaty Signed\n\nThe Zorblat treaty on river shipping was signed in Reykjavik on 3 April "
        "2025 by the ministers of both countries. It takes effect next spring.\n",
        encoding="utf-8",
    )
    junk = tmp_path / "notes.txt"
    junk.write_bytes(bytes(range(256)) * 8)
    page.set_input_files("#nd-upload input[type=file]", [str(note), str(junk)])
    status = page.locator("#nd-upload-status")
    status.get_by_text("notes.txt").wait_for(timeout=WAIT_MS)
    report = status.inner_text()
    assert "✅" in report and "❌" in report, report
    expect(page.locator("#nd-table")).to_contain_text("uploads/Zorblat-treaty.txt", timeout=WAIT_MS)

    ask(page, "Where was the Zorblat treaty signed?")
    assert "Reykjavik" in bot_messages(page)[-1]
    assert "uploads/Zorblat-treaty.txt" in page.inner_text("#nd-sources")
    screenshot(page, "upload-and-ask")


def test_gradio_client_gets_the_answer_and_its_citations(app_url: str) -> None:
    from gradio_client import Client

    started = time.perf_counter()
    client = Client(app_url, verbose=False)
    result = client.predict(question=MINERALS, api_name="/chat")
    print(f"\ngradio_client round trip: {time.perf_counter() - started:.2f} s")
    assert not result["abstained"] and "[1]" in result["answer"]
    assert result["citations"][0]["source"].endswith(".txt") and result["citations"][0]["quote"]
    assert result["answered_by"] == "offline"
    with pytest.raises(Exception, match="empty"):
        client.predict(question="  ", api_name="/chat")


# --- with an LLM: the OpenAI-compatible test server on 127.0.0.1 ----------------------------------------
@pytest.fixture(scope="module")
def llm_server() -> Iterator[Any]:
    from tests.support.fake_llm import FakeLLMServer

    with FakeLLMServer() as server:
        yield server


@pytest.fixture(scope="module")
def llm_app_url(app_settings: Settings, app_url: str, llm_server: Any, embeddings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A second app on the same index, answering with the test LLM (one retry, a 3 s budget)."""
    from assistant.answer.chain import NewsdeskChain, build_services
    from assistant.web.documents import IndexedDocuments
    from assistant.web.launch import serve
    from assistant.web.services import AppServices

    settings = app_settings.model_copy(
        update={
            "server_port": free_port(),
            "openai_base_url": llm_server.base_url,
            "openai_api_key": SecretStr(FAKE_KEY),
            "llm_model": "fake-model",
            "llm_timeout_s": 2.0,
            "llm_budget_s": 3.0,
        }
    )
    services = build_services(settings, embeddings=embeddings)
    demo, url = serve(AppServices(settings, NewsdeskChain(services), IndexedDocuments(services.store)))
    try:
        yield url
    finally:
        demo.close()


@pytest.fixture
def llm_page(browser: Any, llm_app_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    remote: list[str] = []
    opened.on("request", lambda r: remote.append(r.url) if not r.url.startswith(llm_app_url) else None)
    opened.goto(llm_app_url)
    opened.wait_for_selector("#nd-question textarea", timeout=WAIT_MS)
    opened.remote_requests = remote
    yield opened
    context.close()


def test_an_llm_answer_is_labelled_and_cannot_put_images_or_scripts_on_the_page(
    llm_page: Any, llm_server: Any
) -> None:
    from tests.support.fake_llm import Reply

    hostile = (
        "Ukraine has already agreed to a 30-day truce proposed by the U.S. [1]\n\n"
        '<img src="http://203.0.113.9/track.png" onerror="window.ndOwned=1">'
        "![pixel](http://203.0.113.9/pixel.png) <script>window.ndOwned=1</script> Nothing else [2]. "
        "Log in at http://203.0.113.9/login or www.example.invalid [2]."
    )
    llm_server.script(Reply(text=hostile))
    ask(llm_page, "How long is the truce Ukraine agreed to?")
    status = llm_page.inner_text("#nd-status")
    assert "fake-model" in status and "could not be matched" in status
    assert llm_page.locator("#nd-chat a[href='#nd-src-1-1']").count() == 1
    assert llm_page.locator("#nd-chat img, #nd-chat script").count() == 0
    assert llm_page.locator("#nd-chat a:not([href^='#'])").count() == 0  # bare addresses are not autolinked
    assert llm_page.evaluate("window.ndOwned") is None
    assert not llm_page.remote_requests, llm_page.remote_requests
    screenshot(llm_page, "chat-llm")


def test_a_failing_llm_gives_the_offline_answer_with_a_visible_notice(llm_page: Any, llm_server: Any) -> None:
    from tests.support.fake_llm import Reply

    llm_server.script(Reply(status=500), Reply(status=500))
    ask(llm_page, "How long is the truce Ukraine agreed to?")
    status = llm_page.inner_text("#nd-status")
    assert "⚠️" in status and "server error" in status and "offline" in status
    assert "30-day" in bot_messages(llm_page)[-1]
    screenshot(llm_page, "chat-llm-fallback")


def test_the_llm_can_be_switched_off_in_settings(llm_page: Any, llm_server: Any) -> None:
    before = len(llm_server.requests)
    llm_page.click("#nd-settings")
    llm_page.get_by_label("Answer with the LLM (fake-model)").uncheck()
    ask(llm_page, "How long is the truce Ukraine agreed to?")
    assert "offline answerer" in llm_page.inner_text("#nd-status")
    assert len(llm_server.requests) == before


def test_the_api_key_never_reaches_the_page_the_api_the_config_or_the_logs(
    llm_page: Any, llm_app_url: str, llm_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import urllib.request

    from gradio_client import Client

    from tests.support.fake_llm import Reply

    caplog.set_level(logging.DEBUG)
    llm_server.script(Reply(status=401))  # an authentication failure must not echo the key either

    ask(llm_page, "How long is the truce Ukraine agreed to?")
    assert FAKE_KEY not in llm_page.content()
    for path in ("config", "gradio_api/info"):
        with urllib.request.urlopen(llm_app_url + path, timeout=10) as response:
            assert FAKE_KEY not in response.read().decode()
    result = Client(llm_app_url, verbose=False).predict(
        question="Who did Trump send to Kyiv?", api_name="/chat"
    )
    assert FAKE_KEY not in str(result)
    assert "fake-model" in caplog.text or caplog.records  # the logs were captured
    assert FAKE_KEY not in caplog.text


def test_a_foreign_origin_gets_no_cors_allowance(app_url: str) -> None:
    import urllib.request

    request = urllib.request.Request(app_url + "config", headers={"Origin": "http://evil.example"})
    with urllib.request.urlopen(request, timeout=10) as response:
        allowed = response.headers.get("Access-Control-Allow-Origin")
    assert allowed in (None, app_url.rstrip("/")), allowed
