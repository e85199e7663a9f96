"""Limits that keep one caller from hurting the others: an oversized question or history is cut to the
configured length before it is embedded, a burst beyond the queue is told "busy" at once instead of
waiting in an unbounded line, and the served app runs with the safe launch settings (loopback, no share
link, upload cap, bounded queue, no analytics, sanitized HTML)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from pydantic import SecretStr

from assistant.errors import InvalidRequestError
from assistant.settings import Settings
from benchmarks.app_process import free_port

MEGABYTE_QUESTION = ("What conditions did the US attach to the minerals deal? " * 20_000)[:1_000_000]
BURST = 24
LLM_DELAY_S = 0.6


class RecordingEmbeddings(Embeddings):
    """The real model, recording the length of every query it embeds."""

    def __init__(self, model: Embeddings) -> None:
        self.model = model
        self.query_lengths: list[int] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.query_lengths.append(len(text))
        return self.model.embed_query(text)


@pytest.fixture(scope="module")
def recording_chain(seed_index: Settings, embeddings: Embeddings) -> Any:
    from assistant import build_chain

    return build_chain(seed_index, embeddings=RecordingEmbeddings(embeddings))


def test_a_megabyte_question_is_cut_to_the_limit_before_embedding(recording_chain: Any) -> None:
    recorder = recording_chain.services.embeddings
    recorder.query_lengths.clear()
    answer = recording_chain.invoke({"question": MEGABYTE_QUESTION})
    limit = recording_chain.services.settings.max_question_chars
    assert len(MEGABYTE_QUESTION) == 1_000_000
    assert recorder.query_lengths and max(recorder.query_lengths) <= limit
    assert not answer.abstained and answer.citations  # still answered: the question's start survives


def test_a_megabyte_history_is_cut_too(recording_chain: Any) -> None:
    recorder = recording_chain.services.embeddings
    recorder.query_lengths.clear()
    history = [
        {"role": "user", "content": MEGABYTE_QUESTION},
        {"role": "assistant", "content": "x " * 500_000},
    ] * 50
    answer = recording_chain.invoke({"question": "Who proposed it?", "chat_history": history})
    assert max(recorder.query_lengths) <= recording_chain.services.settings.max_question_chars
    assert answer.question  # answered or abstained; either way within the limit


def test_a_history_that_is_not_a_list_is_a_clear_error(recording_chain: Any) -> None:
    with pytest.raises(InvalidRequestError, match="chat_history must be a list"):
        recording_chain.invoke({"question": "Who proposed it?", "chat_history": 42})


# --- the served app ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def slow_llm() -> Iterator[Any]:
    from tests.support.fake_llm import FakeLLMServer, Reply

    with FakeLLMServer(default=Reply(text="The truce would last 30 days [1].", delay=LLM_DELAY_S)) as server:
        yield server


@pytest.fixture(scope="module")
def small_queue_app(seed_index: Settings, slow_llm: Any, embeddings: Embeddings) -> Iterator[tuple[Any, str]]:
    """The app over the seed index with one worker, a queue of three and a model that takes 0.6 s."""
    from assistant.answer.chain import NewsdeskChain, build_services
    from assistant.web.documents import IndexedDocuments
    from assistant.web.launch import serve
    from assistant.web.services import AppServices

    settings = seed_index.model_copy(
        update={
            "server_port": free_port(),
            "concurrency_limit": 1,
            "queue_size": 3,
            "openai_base_url": slow_llm.base_url,
            "openai_api_key": SecretStr("sk-test-limits"),
            "llm_model": "fake-model",
            "llm_budget_s": 5.0,
        }
    )
    services = build_services(settings, embeddings=embeddings)
    demo, url = serve(AppServices(settings, NewsdeskChain(services), IndexedDocuments(services.store)))
    try:
        yield demo, url
    finally:
        demo.close()


def test_a_megabyte_question_through_the_api_is_answered(small_queue_app: tuple[Any, str]) -> None:
    from gradio_client import Client

    _, url = small_queue_app
    result = Client(url, verbose=False).predict(question=MEGABYTE_QUESTION, api_name="/chat")
    assert result["answered_by"] and len(result["answer"]) < 5_000


def test_a_burst_beyond_the_queue_is_told_busy_at_once(small_queue_app: tuple[Any, str]) -> None:
    from gradio_client import Client

    _, url = small_queue_app
    client = Client(url, verbose=False, max_workers=BURST)
    started = time.monotonic()
    jobs = [client.submit(question="How long is the truce?", api_name="/chat") for _ in range(BURST)]
    answered, busy, other = 0, 0, []
    for job in jobs:
        try:
            job.result(timeout=60)
            answered += 1
        except FutureTimeout:
            other.append("timed out")
        except Exception as exc:
            if "queue is full" in str(exc).lower():
                busy += 1
            else:
                other.append(f"{type(exc).__name__}: {exc}")
    elapsed = time.monotonic() - started
    print(f"\nburst of {BURST} with 1 worker and a queue of 3: {answered} answered, {busy} told busy, "
          f"{len(other)} other outcomes, all ended after {elapsed:.1f} s")  # fmt: skip
    assert other == []
    assert busy >= 1 and answered >= 1 and answered + busy == BURST
    # Only what fits the worker and the queue (plus what they drained meanwhile) waits for the slow model.
    assert answered * LLM_DELAY_S < elapsed < BURST * LLM_DELAY_S
    client.close()


def test_the_page_says_busy_when_the_queue_is_full(small_queue_app: tuple[Any, str]) -> None:
    from gradio_client import Client
    from playwright.sync_api import expect, sync_playwright

    from tests.support.chromium import launch_chromium

    _, url = small_queue_app
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.goto(url)
        page.fill("#nd-question textarea", "How long is the truce?")
        client = Client(url, verbose=False, max_workers=8)
        jobs = [client.submit(question="How long is the truce?", api_name="/chat") for _ in range(8)]
        time.sleep(0.3)  # the worker and the queue are taken for about 2.4 s
        page.click("#nd-ask")
        expect(page.get_by_text("This application is currently busy. Please try again.")).to_be_visible()
        assert page.input_value("#nd-question textarea") == "How long is the truce?"  # nothing lost
        browser.close()
    for job in jobs:
        try:
            job.result(timeout=60)
        except Exception as exc:
            assert "queue is full" in str(exc).lower()
    client.close()


def test_the_served_app_runs_with_the_safe_launch_settings(small_queue_app: tuple[Any, str]) -> None:
    demo, url = small_queue_app
    with urllib.request.urlopen(url + "config", timeout=10) as response:
        config = json.loads(response.read())
    assert url.startswith("http://127.0.0.1:") and demo.server_name == "127.0.0.1"
    assert demo.share is False and demo.share_url is None
    assert demo.max_file_size == Settings().max_file_bytes and config["max_file_size"] == demo.max_file_size
    assert demo._queue.max_size == 3 and demo.analytics_enabled is False
    assert os.environ.get("GRADIO_ANALYTICS_ENABLED") == "False"
    assert config["analytics_enabled"] is False and config["show_error"] is False
    assert demo.enable_monitoring is False and not demo.mcp_server
    rendered = _components(config, ("chatbot", "markdown"))  # gr.HTML gets markup that nh3 has cleaned
    assert len(rendered) >= 3 and all(props["sanitize_html"] is True for props in rendered)
    with pytest.raises(urllib.error.HTTPError):  # no monitoring dashboard
        urllib.request.urlopen(url + "monitoring", timeout=10)


def _components(config: dict[str, Any], kinds: Sequence[str]) -> list[dict[str, Any]]:
    return [c.get("props", {}) for c in config.get("components", []) if c.get("type") in kinds]


def test_a_refused_question_logs_one_line_not_a_traceback(
    small_queue_app: tuple[Any, str], capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from gradio_client import Client

    _, url = small_queue_app
    caplog.set_level("INFO", logger="newsdesk.app")
    with pytest.raises(Exception, match="question is empty"):
        Client(url, verbose=False).predict(question="   ", api_name="/chat")
    assert "Traceback" not in capfd.readouterr().err
    assert any("refused: The question is empty" in record.getMessage() for record in caplog.records)
