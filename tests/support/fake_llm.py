"""A small, real OpenAI-compatible HTTP server for tests (standard library only).

Start it on 127.0.0.1, point ``openai.OpenAI`` or ``langchain_openai.ChatOpenAI`` at ``server.base_url`` and
script what the "model" does next::

    with FakeLLMServer() as server:
        server.script(Reply(status=429, retry_after=0.1), Reply(text="Hello there"))
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-test")

Endpoints: ``POST /v1/chat/completions`` (plain JSON or, with ``stream: true``, server-sent events in a
chunked response), ``GET /v1/models``; anything else is a 404 with an OpenAI-style JSON error. Every response
carries ``Connection: close``, so no connection outlives its request and ``stop()`` never waits on an idle
client.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

FAKE_MODEL = "fake-model"
WORDS_PER_CHUNK = 3
HANDLER_SOCKET_TIMEOUT = 10.0  # a client that connects and sends nothing cannot hold a thread for longer
STOP_JOIN_TIMEOUT = 5.0

_ERROR_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    502: ("server_error", "bad_gateway"),
    503: ("server_error", "service_unavailable"),
}


@dataclass
class Reply:
    """One scripted behaviour of the fake model for one request."""

    text: str = ""  # the assistant message content to return
    status: int = 200  # an error status (429, 500, 503, ...) sends an OpenAI-style JSON error body instead
    retry_after: float | None = None  # seconds, sent as a Retry-After header with an error status
    delay: float = 0.0  # seconds to wait before sending headers (a large value simulates a hang)
    chunk_delay: float = 0.0  # seconds between SSE chunks when streaming (a slow stream)
    cut_after: int | None = None  # streaming: close the connection after N content chunks, without [DONE]
    echo: bool = False  # reply with the system + user message texts that were sent, concatenated


def split_chunks(text: str, words: int = WORDS_PER_CHUNK) -> list[str]:
    """Split text into pieces of a few words each that concatenate back to exactly ``text``."""
    pieces = [piece for piece in re.split(r"(?<=\s)(?=\S)", text) if piece]
    return ["".join(pieces[i : i + words]) for i in range(0, len(pieces), words)]


def message_text(content: Any) -> str:
    """The plain text of a chat message's content (a string or a list of content parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return "".join(part for part in parts if isinstance(part, str))
    return ""


def echo_text(body: dict[str, Any]) -> str:
    """The system (or developer) and user message texts of a request, joined by blank lines."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    texts = [
        message_text(message.get("content"))
        for message in messages
        if isinstance(message, dict) and message.get("role") in {"system", "developer", "user"}
    ]
    return "\n\n".join(texts)


def count_tokens(text: str) -> int:
    """A rough token count (whitespace-separated words), good enough for a usage block."""
    return len(text.split())


class _Server(ThreadingHTTPServer):
    """The HTTP server, holding a reference to its FakeLLMServer."""

    daemon_threads = True
    block_on_close = False  # stop() releases and joins the handler threads itself, with a bound
    fake: FakeLLMServer


class _Handler(BaseHTTPRequestHandler):
    """Serves one request per connection."""

    protocol_version = "HTTP/1.1"  # needed for chunked streaming; every response still closes the connection
    server: _Server
    timeout = HANDLER_SOCKET_TIMEOUT

    def setup(self) -> None:
        """Register the connection so that stop() can release it."""
        super().setup()
        self.server.fake._register(self.connection)

    def finish(self) -> None:
        """Forget the connection."""
        try:
            super().finish()
        finally:
            self.server.fake._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    # ----------------------------------------------------------------- routing

    def do_GET(self) -> None:
        """Serve the model list."""
        self.close_connection = True
        if self._path() == "/v1/models":
            model = {"id": FAKE_MODEL, "object": "model", "created": 0, "owned_by": "fake-llm"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_error(404, f"Unknown path: {self.path}")

    def do_POST(self) -> None:
        """Serve chat completions."""
        self.close_connection = True
        fake = self.server.fake
        try:
            raw = self._read_body()
        except (OSError, ValueError):
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._send_error(400, "The request body is not valid JSON.")
            return
        if not isinstance(body, dict):
            self._send_error(400, "The request body must be a JSON object.")
            return
        fake._record(body)
        if self._path() != "/v1/chat/completions":
            self._send_error(404, f"Unknown path: {self.path}")
            return
        self._chat(body, fake._next_reply())

    def do_PUT(self) -> None:
        """Unsupported."""
        self.close_connection = True
        self._send_error(404, f"Unknown path: {self.path}")

    do_DELETE = do_PUT
    do_PATCH = do_PUT

    # ----------------------------------------------------------- chat completions

    def _chat(self, body: dict[str, Any], reply: Reply) -> None:
        """Answer one chat completion request as the reply says."""
        fake = self.server.fake
        if reply.delay > 0 and fake._wait(reply.delay):
            return  # the server is stopping: leave without writing
        if reply.status >= 400:
            self._send_error(reply.status, f"Scripted error {reply.status}", reply.retry_after)
            return
        model = str(body.get("model") or FAKE_MODEL)
        text = echo_text(body) if reply.echo else reply.text
        usage = {
            "prompt_tokens": count_tokens(echo_text(body)),
            "completion_tokens": count_tokens(text),
            "total_tokens": count_tokens(echo_text(body)) + count_tokens(text),
        }
        ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.get("stream"):
            completion = {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
            self._send_json(reply.status, completion)
            return
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        self._stream(reply, text, usage if include_usage else None, ident, created, model)

    def _stream(
        self, reply: Reply, text: str, usage: dict[str, int] | None, ident: str, created: int, model: str
    ) -> None:
        """Send the reply as server-sent events in a chunked response."""
        fake = self.server.fake

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            event: dict[str, Any] = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [choice],
            }
            if usage is not None:
                event["usage"] = None
            return event

        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            self._write_event(chunk({"role": "assistant", "content": ""}))
            for number, piece in enumerate(split_chunks(text)):
                if reply.cut_after is not None and number >= reply.cut_after:
                    self._cut()
                    return
                if reply.chunk_delay > 0 and fake._wait(reply.chunk_delay):
                    return
                self._write_event(chunk({"content": piece}))
            if reply.cut_after is not None:
                self._cut()  # fewer content chunks than cut_after: still never finish the stream
                return
            self._write_event(chunk({}, "stop"))
            if usage is not None:
                self._write_event({**chunk({}), "choices": [], "usage": usage})
            self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")  # the last chunk of the chunked body
        except OSError:
            return  # the client went away (timed out, closed the stream early)

    def _write_event(self, event: dict[str, Any]) -> None:
        """Send one SSE ``data:`` event."""
        self._write_chunk(b"data: " + json.dumps(event).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        """Send one HTTP chunk (an empty one ends the body)."""
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        """Close the connection mid-body: no finishing chunk, no [DONE], no terminating HTTP chunk."""
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------------ helpers

    def _path(self) -> str:
        """The request path without query string or trailing slash."""
        return self.path.split("?", 1)[0].rstrip("/")

    def _read_body(self) -> bytes:
        """Read the request body (Content-Length or chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, payload: dict[str, Any], retry_after: float | None = None) -> None:
        """Send a JSON response with a Content-Length."""
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            if retry_after is not None:
                value = int(retry_after) if float(retry_after).is_integer() else retry_after
                self.send_header("Retry-After", str(value))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass  # the client went away

    def _send_error(self, status: int, message: str, retry_after: float | None = None) -> None:
        """Send an OpenAI-style JSON error."""
        kind, code = _ERROR_TYPES.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None)
        )
        error = {"message": message, "type": kind, "param": None, "code": code}
        self._send_json(status, {"error": error}, retry_after)


class FakeLLMServer:
    """An OpenAI-compatible chat completions server on 127.0.0.1, in a background thread."""

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default if default is not None else Reply(text="OK")
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[dict[str, Any]] = []
        self._stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ public

    def start(self) -> FakeLLMServer:
        """Bind a free port on 127.0.0.1 and serve in a background thread."""
        if self._httpd is not None or self._stopping.is_set():
            raise RuntimeError("FakeLLMServer can be started once")
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down: release waiting handlers, close every socket, join the threads. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()  # wakes handlers waiting out a delay; they leave without writing
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        httpd.server_close()
        thread.join(STOP_JOIN_TIMEOUT)
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)  # unblocks a handler still reading a request
        deadline = time.monotonic() + STOP_JOIN_TIMEOUT
        for handler in connections.values():
            handler.join(max(0.0, deadline - time.monotonic()))

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:PORT/v1``."""
        if self._port is None:
            raise RuntimeError("FakeLLMServer is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A snapshot of every JSON request body received, in order."""
        with self._lock:
            return list(self._requests)

    def script(self, *replies: Reply) -> None:
        """Queue replies, consumed one per chat completion request; then ``default`` answers."""
        with self._lock:
            self._queue.extend(replies)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------- used by the handler

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(body)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True when it is stopping."""
        return self._stopping.wait(seconds)

    def _register(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections[connection] = threading.current_thread()

    def _unregister(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)
