"""A small HTTP server on 127.0.0.1 for ingest's fetching tests: routes with fixed bodies, a redirect
chain and loop, a slow answer and a large one. Started per test module, stopped after it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class NewsServer:
    url: str
    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)  # path -> status, type, body
    requests: list[str] = field(default_factory=list)

    def serve(self, path: str, body: bytes | str, content_type: str = "text/html", status: int = 200) -> str:
        self.routes[path] = (status, content_type, body.encode() if isinstance(body, str) else body)
        return self.url + path


@contextmanager
def news_server() -> Iterator[NewsServer]:
    state = NewsServer("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.path.startswith("/redirect/"):
                hops = int(self.path.rsplit("/", 1)[1])
                target = "/article.html" if hops <= 1 else f"/redirect/{hops - 1}"
                return self._answer(302, "text/plain", b"", location=target)
            if self.path == "/loop":
                return self._answer(302, "text/plain", b"", location="/loop")
            if self.path == "/to-ftp":
                return self._answer(302, "text/plain", b"", location="ftp://127.0.0.1/file")
            if self.path == "/slow":
                time.sleep(3)
                return self._answer(200, "text/html", b"<p>late</p>")
            if self.path == "/huge":
                return self._answer(200, "text/html", b"<p>" + b"x" * 200_000 + b"</p>")
            status, content_type, body = state.routes.get(self.path, (404, "text/plain", b"not found"))
            self._answer(status, content_type, body)

        def _answer(self, status: int, content_type: str, body: bytes, location: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a limit)
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
