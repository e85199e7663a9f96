"""The stand-ins a degraded app runs on: the reason on every request, retries at most every interval,
and a clean hand-over to the real chain and library once the index opens."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.errors import IndexUnavailableError
from assistant.web.degraded import Recovery, UnavailableChain, UnavailableDocuments


class FakeChain:
    llm_available = True

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> str:
        return f"answer to {input}"

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        yield f"streamed {input}"


class FakeLibrary:
    accepts_uploads = True

    def documents(self) -> list[str]:
        return ["a.txt"]


def test_without_a_way_to_reopen_every_request_gets_the_reason() -> None:
    chain, library = UnavailableChain("the index is damaged"), UnavailableDocuments("the index is damaged")
    with pytest.raises(IndexUnavailableError, match="damaged"):
        chain.invoke("q")
    with pytest.raises(IndexUnavailableError, match="damaged"):
        list(chain.stream("q"))
    with pytest.raises(IndexUnavailableError, match="damaged"):
        library.upload([])
    assert library.documents() == [] and not library.accepts_uploads and not chain.llm_available


def test_retries_wait_for_the_interval_keep_the_latest_reason_and_then_hand_over() -> None:
    attempts: list[int] = []

    def reopen() -> tuple[Any, Any]:
        attempts.append(1)
        if len(attempts) == 1:
            raise IndexUnavailableError("the server is still down")
        return FakeChain(), FakeLibrary()

    recovery = Recovery("the index is damaged", reopen, interval_s=0.0)
    chain, library = UnavailableChain(recovery), UnavailableDocuments(recovery)
    assert library.accepts_uploads  # offered, since the index may come back
    with pytest.raises(IndexUnavailableError, match="still down"):
        chain.invoke("q")
    assert chain.invoke("q") == "answer to q" and list(chain.stream("q")) == ["streamed q"]
    assert library.documents() == ["a.txt"] and chain.llm_available and recovery.current_problem() == ""
    assert len(attempts) == 2  # no retry once open

    waiting = Recovery("the index is damaged", reopen, interval_s=3600)
    assert waiting.opened() is None and len(attempts) == 2  # the start just failed: no retry yet


def test_a_degraded_page_still_offers_the_configured_llm(tmp_path: Any) -> None:
    from assistant.settings import Settings
    from assistant.web.page import create_demo
    from assistant.web.services import unavailable_services

    settings = Settings(index_dir=tmp_path / "index", openai_base_url="http://127.0.0.1:9/v1")
    services = unavailable_services(settings, "the index is damaged", lambda: (FakeChain(), FakeLibrary()))
    demo = create_demo(services)
    boxes = [c["props"] for c in demo.config["components"] if c.get("type") == "checkbox"]
    assert boxes and boxes[0]["value"] is True and boxes[0]["interactive"] is True
