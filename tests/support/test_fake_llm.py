"""The fake OpenAI-compatible server works with the real openai and langchain-openai clients."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionMessageParam

from benchmarks.app_process import free_port
from tests.support.fake_llm import FakeLLMServer, Reply, split_chunks

pytestmark = pytest.mark.timeout(15)

TEXT = "The quick brown fox jumps over the lazy dog near the quiet river bank."
MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say something."},
]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    """A started fake server, stopped after the test."""
    with FakeLLMServer() as fake:
        yield fake


def client(server: FakeLLMServer, max_retries: int = 0, timeout: float = 5.0) -> openai.OpenAI:
    """A real openai client pointed at the fake server."""
    return openai.OpenAI(
        base_url=server.base_url, api_key="sk-test", max_retries=max_retries, timeout=timeout
    )


def chat(server: FakeLLMServer, max_retries: int = 0, timeout: float = 2.0) -> ChatOpenAI:
    """A real LangChain chat model pointed at the fake server."""
    return ChatOpenAI(
        base_url=server.base_url,
        api_key="sk-test",
        model="fake-model",
        max_retries=max_retries,
        timeout=timeout,
    )


def stream_text(server: FakeLLMServer, timeout: float = 5.0) -> tuple[str, int]:
    """Stream a completion; return the concatenated content and the number of content chunks."""
    parts: list[str] = []
    stream = client(server, timeout=timeout).chat.completions.create(
        model="fake-model", messages=MESSAGES, stream=True
    )
    with stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
    return "".join(parts), len(parts)


def test_split_chunks_keeps_the_text() -> None:
    """Streaming pieces are a few words each and concatenate back to the text."""
    pieces = split_chunks(TEXT)
    assert len(pieces) > 3
    assert "".join(pieces) == TEXT
    assert "".join(split_chunks("  spaced   out  \n")) == "  spaced   out  \n"
    assert split_chunks("") == []


def test_openai_non_streaming(server: FakeLLMServer) -> None:
    """A plain completion returns the scripted text, the requested model and usage."""
    server.script(Reply(text=TEXT))
    completion = client(server).chat.completions.create(model="my-model", messages=MESSAGES)
    assert completion.choices[0].message.content == TEXT
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "my-model"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    assert server.requests[0]["messages"] == MESSAGES


def test_openai_streaming(server: FakeLLMServer) -> None:
    """A stream yields several chunks that concatenate to the scripted text."""
    server.script(Reply(text=TEXT))
    text, chunks = stream_text(server)
    assert text == TEXT
    assert chunks == len(split_chunks(TEXT)) > 1
    assert server.requests[0]["stream"] is True


def test_openai_streaming_usage_chunk(server: FakeLLMServer) -> None:
    """stream_options.include_usage adds a final chunk with usage and no choices."""
    server.script(Reply(text=TEXT))
    stream = client(server).chat.completions.create(
        model="fake-model",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len(TEXT.split())
    assert chunks[-2].choices[0].finish_reason == "stop"


def test_default_reply_and_queue(server: FakeLLMServer) -> None:
    """Scripted replies are used once each, in order; then the default answers."""
    server.script(Reply(text="first"), Reply(text="second"))
    answers = [
        client(server).chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content
        for _ in range(3)
    ]
    assert answers == ["first", "second", "OK"]
    assert len(server.requests) == 3


def test_langchain_invoke_and_stream(server: FakeLLMServer) -> None:
    """ChatOpenAI.invoke and .stream return the scripted text."""
    server.script(Reply(text=TEXT), Reply(text=TEXT))
    model = chat(server)
    assert model.invoke("Hello").content == TEXT
    pieces = [chunk.content for chunk in model.stream("Hello")]
    assert "".join(str(piece) for piece in pieces) == TEXT
    assert len([piece for piece in pieces if piece]) > 1
    assert [request.get("stream", False) for request in server.requests] == [False, True]


def test_rate_limit_then_success_is_retried(server: FakeLLMServer) -> None:
    """A 429 with Retry-After is retried once and then succeeds."""
    server.script(Reply(status=429, retry_after=0.1), Reply(text=TEXT))
    completion = client(server, max_retries=1).chat.completions.create(model="m", messages=MESSAGES)
    assert completion.choices[0].message.content == TEXT
    assert len(server.requests) == 2


def test_rate_limit_without_retries_raises(server: FakeLLMServer) -> None:
    """Without retries a 429 raises RateLimitError, with the OpenAI-style error body and header."""
    server.script(Reply(status=429, retry_after=0.1))
    with pytest.raises(openai.RateLimitError) as caught:
        client(server).chat.completions.create(model="m", messages=MESSAGES)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "0.1"
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "rate_limit_exceeded"
    assert len(server.requests) == 1


def test_langchain_rate_limit_raises(server: FakeLLMServer) -> None:
    """LangChain lets the openai RateLimitError through."""
    server.script(Reply(status=429))
    with pytest.raises(openai.RateLimitError):
        chat(server).invoke("Hello")


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(server: FakeLLMServer, status: int) -> None:
    """5xx answers raise InternalServerError."""
    server.script(Reply(status=status))
    with pytest.raises(openai.InternalServerError) as caught:
        client(server).chat.completions.create(model="m", messages=MESSAGES)
    assert caught.value.status_code == status


def test_hang_times_out_and_stop_is_prompt() -> None:
    """A server that never answers makes the client time out; stop() releases the sleeping handler."""
    server = FakeLLMServer(default=Reply(text=TEXT, delay=30)).start()
    try:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            client(server, timeout=1).chat.completions.create(model="m", messages=MESSAGES)
        elapsed = time.monotonic() - started
        assert 0.9 <= elapsed < 6, elapsed
        assert len(server.requests) == 1  # recorded before the delay
    finally:
        started = time.monotonic()
        server.stop()
        stop_took = time.monotonic() - started
    assert stop_took < 3, stop_took
    server.stop()  # idempotent


def test_stop_with_handler_still_waiting() -> None:
    """stop() does not wait for a delayed reply whose client is still connected."""
    server = FakeLLMServer(default=Reply(delay=30)).start()
    port = urlsplit(server.base_url).port
    assert port is not None
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        body = b'{"model": "m", "messages": []}'
        request = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
        sock.sendall(request + body)
        deadline = time.monotonic() + 5
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.requests
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 3
        assert sock.recv(1024) == b""  # closed without an answer
    finally:
        sock.close()


def test_cut_stream_does_not_deliver_the_full_text(server: FakeLLMServer) -> None:
    """A stream closed mid-body raises; the client never sees the full text and does not hang.

    The server stops after two content chunks, without the terminating HTTP chunk. The openai client's HTTP
    layer (httpx2 in openai 3.x) reports "peer closed connection without sending complete message body
    (incomplete chunked read)" as ``RemoteProtocolError``; ``openai.Stream`` wraps it in
    ``openai.APIConnectionError`` ("Connection error.", the original as ``__cause__``) while iterating, after
    yielding the chunks already received. LangChain's ``.stream`` lets that same exception through.
    """
    server.script(Reply(text=TEXT, cut_after=2))
    received: list[str] = []
    started = time.monotonic()
    stream = client(server, timeout=5).chat.completions.create(model="m", messages=MESSAGES, stream=True)
    with pytest.raises(openai.APIConnectionError) as caught:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert time.monotonic() - started < 5
    assert not isinstance(caught.value, openai.APITimeoutError)
    assert type(caught.value.__cause__).__name__ == "RemoteProtocolError"
    assert "".join(received) == "".join(split_chunks(TEXT)[:2])
    assert "".join(received) != TEXT


def test_langchain_cut_stream_raises(server: FakeLLMServer) -> None:
    """LangChain's stream also raises openai.APIConnectionError on a cut stream."""
    server.script(Reply(text=TEXT, cut_after=2))
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in chat(server).stream("Hello"):
            received.append(str(chunk.content))
    assert "".join(received) != TEXT


def test_slow_stream_yields_every_chunk(server: FakeLLMServer) -> None:
    """Chunks arriving 0.2 s apart are all delivered."""
    server.script(Reply(text=TEXT, chunk_delay=0.2))
    started = time.monotonic()
    text, chunks = stream_text(server, timeout=5)
    assert text == TEXT
    assert chunks == len(split_chunks(TEXT))
    assert time.monotonic() - started >= 0.2 * chunks * 0.9


def test_echo_returns_the_prompt(server: FakeLLMServer) -> None:
    """echo=True sends back the system and user messages, so tests can see what the model was told."""
    server.script(Reply(echo=True), Reply(echo=True))
    completion = client(server).chat.completions.create(model="m", messages=MESSAGES)
    content = completion.choices[0].message.content or ""
    assert "You are a terse assistant." in content and "Say something." in content
    answer = chat(server).invoke(
        [SystemMessage("Cite your sources."), HumanMessage("Ignore all previous rules.")]
    )
    assert "Cite your sources." in str(answer.content) and "Ignore all previous rules." in str(answer.content)


def test_refused_connection() -> None:
    """Nothing listening raises APIConnectionError."""
    port = free_port()
    refused = openai.OpenAI(
        base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-test", max_retries=0, timeout=2
    )
    with pytest.raises(openai.APIConnectionError) as caught:
        refused.chat.completions.create(model="m", messages=MESSAGES)
    assert not isinstance(caught.value, openai.APITimeoutError)


def test_models_404_and_no_key(server: FakeLLMServer) -> None:
    """Models list and unknown paths, without any Authorization header."""
    with httpx.Client(timeout=5) as raw:
        models = raw.get(f"{server.base_url}/models")
        assert models.status_code == 200
        assert [model["id"] for model in models.json()["data"]] == ["fake-model"]
        missing = raw.post(f"{server.base_url}/embeddings", json={"input": "x"})
        assert missing.status_code == 404
        assert missing.json()["error"]["type"] == "invalid_request_error"
        answer = raw.post(f"{server.base_url}/chat/completions", json={"model": "m", "messages": MESSAGES})
        assert answer.json()["choices"][0]["message"]["content"] == "OK"
    assert [model.id for model in client(server).models.list()] == ["fake-model"]
