"""Fixtures of the answer tests: a real llama.cpp server with a real tiny model, started once."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.llama_server import LlamaServer, missing_reason

# Generated tokens per request, at most (the server's cap: the chain sends no max_tokens). Enough for the
# two to four sentences the prompt asks for; it bounds the time a rambling 135M model takes.
N_PREDICT = 96


def require_llama() -> None:
    """Skip when xllamacpp or the model is not installed; fail instead where they must be
    (NEWSDESK_REQUIRE_LLAMA=1, as `make test` sets)."""
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("NEWSDESK_REQUIRE_LLAMA") == "1":
        pytest.fail(f"a real LLM is required here: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """SmolLM2-135M-Instruct on llama.cpp's OpenAI-compatible server (127.0.0.1, a free port, 2 threads),
    loaded once per session and stopped by PID at the end."""
    require_llama()
    with LlamaServer(n_predict=N_PREDICT) as server:
        print(f"llama.cpp server {server.pid} ready in {server.load_seconds:.2f} s at {server.base_url}")
        yield server
