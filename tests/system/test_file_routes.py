"""File routes and uploads under attack, over real HTTP, against the real app.

The app runs on 127.0.0.1 over a small ingested corpus in a private temporary root, with canaries wherever
an attacker would look: a `.env` holding an API key and a secret file in the server's working directory,
the index (`chroma.sqlite3`, the keyword cache), the corpus, a secret next to everything, the system's
`/etc/passwd` and this process's `/proc/self/environ`. This module proves that:

- no hostile URL (`../` raw, percent- and double-encoded, with backslashes, overlong UTF-8, fullwidth and
  two-dot-leader dots, NUL, `;`; absolute paths, `//`, `/./`, `file://`, `/proc/self/...`; case variants of
  the routes; traversal out of Gradio's own cache; loopback URLs) sent to any file-serving route of the
  installed Gradio returns a canary's bytes, while a file that was really uploaded is served (so the
  detector does see a leak) and the raw client really sends `..` un-normalised;
- uploads with hostile names (`..`, absolute paths, backslashes, NUL, CR/LF, 300 characters, `.env`,
  `chroma.sqlite3`, unicode tricks, RFC 5987 `filename*`) posted to Gradio's upload route and then handed to
  the app's upload handler through the queue exactly as the page does (the handler is private to the API
  clients but, like every page event, callable by fn_index) write nothing outside `<upload_dir>/uploads`
  and Gradio's cache, and every stored file there has a safe name;
- the server's own files put into the upload event in place of an uploaded one are refused;
- a file over the size limit is refused by the upload route with 413 and not one byte is written.

Traversal requests go out through a raw socket, so no client library normalises `..` away.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import secrets
import shutil
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.settings import Settings
from benchmarks.app_process import free_port
from tests.conftest import SEED_CORPUS

TOKEN = secrets.token_hex(6)
MARKER = f"ndcanary{TOKEN}"  # in the last part of every hostile upload name, to find stray copies
ENV_SECRET = f"sk-canary-{TOKEN}-OPENAI"
LIMIT_MB = 0.05  # 52,428 bytes: the upload route's max_file_size comes from this
UP = 14  # enough "../" to climb from any served folder to /
CORPUS_CANARY = "zz_canary.txt"
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class RunningApp:
    port: int
    settings: Settings
    root: Path  # private temporary root holding everything below
    work_dir: Path  # the server's current directory: the canary .env and secret.txt
    gradio_cache: Path  # GRADIO_TEMP_DIR: Gradio keeps uploaded files here and serves them back
    secret_files: dict[str, Path]  # what an attacker wants, by a short name
    canaries: tuple[bytes, ...]  # bytes of those files that no response may contain

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stored_uploads(self) -> Path:
        return self.settings.upload_dir / "uploads"

    def leaks(self, body: bytes) -> list[bytes]:
        return [canary for canary in self.canaries if canary in body]


@pytest.fixture(scope="module")
def running_app(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[RunningApp]:  # type: ignore[no-untyped-def]
    from assistant.answer.chain import NewsdeskChain, build_services
    from assistant.web.documents import IndexedDocuments
    from assistant.web.launch import serve
    from assistant.web.services import AppServices
    from ingest.pipeline import run_ingest
    from ingest.uploads import UploadInbox

    root = tmp_path_factory.mktemp("file-routes")
    work_dir, corpus, gradio_cache = root / "work", root / "corpus", root / "gradio-cache"
    for folder in (work_dir, corpus, gradio_cache):
        folder.mkdir()
    for seed in sorted(SEED_CORPUS.glob("*.txt"))[:2]:
        shutil.copyfile(seed, corpus / seed.name)
    (corpus / CORPUS_CANARY).write_text(
        "Harbour traffic set to double\n\n"  # the title, which the page's documents table shows
        f"The harbour authority said on Monday that corpus-canary-{TOKEN} ships would dock at the new pier. "
        "Officials expect traffic to double by the end of next year, the authority's director told reporters."
    )
    (work_dir / ".env").write_text(f"OPENAI_API_KEY={ENV_SECRET}\n")
    (work_dir / "secret.txt").write_text(f"cwd-canary-{TOKEN}\n")
    (root / "secret.txt").write_text(f"outside-canary-{TOKEN}\n")
    settings = Settings(
        _env_file=None,  # the canary .env is bait for the file routes, not configuration
        corpus_dir=corpus,
        index_dir=root / "index",
        upload_dir=root / "uploads",
        server_port=free_port(),
        max_file_mb=LIMIT_MB,
    )
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("ASSISTANT_") or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
                patch.delenv(name)
        patch.setenv("GRADIO_TEMP_DIR", str(gradio_cache))
        patch.chdir(work_dir)
        run_ingest(settings, embeddings=embeddings)
        secret_files = {
            "env": work_dir / ".env",
            "cwd-secret": work_dir / "secret.txt",
            "outside-secret": root / "secret.txt",
            "chroma": settings.index_dir / "chroma" / "chroma.sqlite3",
            "keyword-cache": settings.index_dir / f"keyword-{settings.collection}.npz",
            "corpus": corpus / CORPUS_CANARY,
            "passwd": Path("/etc/passwd"),
            "environ": Path("/proc/self/environ"),
        }
        assert all(path.is_file() for path in secret_files.values()), secret_files
        assert b"root:" in Path("/etc/passwd").read_bytes()
        canaries = (
            ENV_SECRET.encode(),
            f"cwd-canary-{TOKEN}".encode(),
            f"outside-canary-{TOKEN}".encode(),
            f"corpus-canary-{TOKEN}".encode(),
            b"SQLite format 3",
            secret_files["keyword-cache"].read_bytes()[:64],
            b"root:x:0:0",
            Path("/proc/self/environ").read_bytes()[:48],
            *(seed.read_bytes()[:120] for seed in sorted(corpus.glob("0*.txt"))),
        )
        services = build_services(settings, embeddings=embeddings)
        inbox = UploadInbox(settings, embeddings)
        demo, _ = serve(
            AppServices(settings, NewsdeskChain(services), IndexedDocuments(services.store, inbox.add))
        )
        try:
            yield RunningApp(
                settings.server_port, settings, root, work_dir, gradio_cache, secret_files, canaries
            )
        finally:
            demo.close()


@pytest.fixture(autouse=True)
def _isolated_environment(running_app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replaces conftest's fixture of this name (whose environment clean-up `running_app` does): the server
    shares this process's working directory, which must stay the folder with the canary `.env` rather than
    move to each test's tmp_path."""
    monkeypatch.chdir(running_app.work_dir)


# --- HTTP ---------------------------------------------------------------------------------------------
def raw_get(port: int, target: str, extra_headers: str = "") -> tuple[int, bytes]:
    """GET with the request target sent byte for byte (UTF-8), as no client library would; (status, body),
    status 0 when the server dropped the connection without an answer."""
    request = (
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra_headers}\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as connection:
        connection.sendall(request)
        response = http.client.HTTPResponse(connection, method="GET")
        try:
            response.begin()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            return 0, b""


def multipart(disposition: bytes, content: bytes, boundary: bytes) -> tuple[bytes, bytes]:
    """(head, tail) of a one-file multipart body whose Content-Disposition parameters are given raw."""
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; ' + disposition + b"\r\n"
        b"Content-Type: text/plain\r\n\r\n"
    )
    return head, content + b"\r\n--" + boundary + b"--\r\n"


def post_upload(
    app: RunningApp, disposition: bytes, content: bytes, *, chunked: bool = False
) -> httpx.Response:
    """One file to Gradio's upload route, as the page's file picker sends it (but with any name)."""
    boundary = f"nd-{uuid.uuid4().hex}".encode()
    head, tail = multipart(disposition, content, boundary)
    body: Any = head + tail
    if chunked:  # no Content-Length: the server only learns the size by reading

        def pieces() -> Iterator[bytes]:
            yield head
            for start in range(0, len(content), 8192):
                yield content[start : start + 8192]
            yield tail[len(content) :]

        body = pieces()
    return httpx.post(
        f"{app.url}/gradio_api/upload",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"},
        timeout=TIMEOUT_S,
    )


def file_data(path: str) -> dict[str, Any]:
    return {"path": path, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def upload_event(app: RunningApp) -> tuple[int, int]:
    """(fn_index, component id) of the page's upload event, read from the page's config."""
    config = httpx.get(f"{app.url}/config", timeout=TIMEOUT_S).json()
    upload = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "nd-upload")
    for dependency in config["dependencies"]:
        if [upload, "upload"] in dependency["targets"]:
            return int(dependency["id"]), upload
    raise AssertionError("the page has no upload event")


def run_upload_handler(app: RunningApp, files: list[dict[str, Any]]) -> dict[str, Any]:
    """Trigger the upload handler as the page does (queue/join, then the event stream); the final message."""
    fn_index, trigger = upload_event(app)
    session = uuid.uuid4().hex
    joined = httpx.post(
        f"{app.url}/gradio_api/queue/join",
        json={
            "data": [files],
            "event_data": None,
            "fn_index": fn_index,
            "trigger_id": trigger,
            "session_hash": session,
        },
        timeout=TIMEOUT_S,
    )
    assert joined.status_code == 200, joined.text
    event_id = joined.json()["event_id"]
    with httpx.stream(
        "GET", f"{app.url}/gradio_api/queue/data", params={"session_hash": session}, timeout=TIMEOUT_S
    ) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line.removeprefix("data:"))
            if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                return dict(message)
    raise AssertionError("the upload event never completed")


# --- the file system ----------------------------------------------------------------------------------
def snapshot(folder: Path, *, leave_out: tuple[Path, ...] = ()) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder`` (links not followed), but for ``leave_out``."""
    files: dict[str, str] = {}
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if Path(directory, d) not in leave_out]
        for name in names:
            path = Path(directory, name)
            digest = "link" if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
            files[str(path.relative_to(folder))] = digest
    return files


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after.keys() | before.keys() if before.get(name) != after.get(name))


def marked_files_outside(app: RunningApp) -> list[Path]:
    """Files named with MARKER outside the upload folder and Gradio's cache: anywhere in the private root,
    and in every folder a naive join of a hostile name could reach (the ancestors of the folders that
    uploads pass through or the server works in, /tmp and /)."""
    allowed = (app.stored_uploads, app.gradio_cache)
    found = [
        path
        for path in app.root.rglob(f"*{MARKER}*")
        if not any(path.is_relative_to(folder) for folder in allowed)
    ]
    folders = {Path("/tmp"), Path("/"), Path.home()}
    for start in (app.stored_uploads, app.gradio_cache, app.work_dir, app.settings.index_dir):
        folders.update(start.parents)
    for folder in folders:
        found += [folder / name for name in os.listdir(folder) if MARKER in name]
    return sorted(set(found))


# --- 1. hostile URLs ----------------------------------------------------------------------------------
DOT_DOT_SLASH = {  # ways to spell "../"
    "plain": "../",
    "encoded": "%2e%2e%2f",
    "encoded dots": "%2e%2e/",
    "encoded slash": "..%2f",
    "upper-case encoding": "%2E%2E%2F",
    "double-encoded": "%252e%252e%252f",
    "backslash": "..\\",
    "encoded backslash": "..%5c",
    "doubled": "....//",
    "semicolon": "..;/",
    "overlong UTF-8": "%c0%ae%c0%ae%c0%af",
    "fullwidth": "%ef%bc%8e%ef%bc%8e%ef%bc%8f",
    "fullwidth raw": "．．／",
    "two-dot leader": "%e2%80%a5/",
    "NUL": "..%00/",
}
FOLDER_ROUTES = ["/static/", "/assets/", "/svelte/"]  # serve a folder of Gradio's own
FILE_ROUTES = ["/gradio_api/file=", "/gradio_api/file/", "/file=", "/file/"]  # serve any allowed path
CASE_VARIANTS = ["/GRADIO_API/FILE=", "/Gradio_Api/file=", "/gradio_api/FILE=", "/gradio_api/File="]


def percent_encoded(path: str) -> str:
    return "".join(f"%{byte:02x}" for byte in path.encode())


def hostile_urls(app: RunningApp) -> list[tuple[str, str, str]]:
    """(what it tries, request target, extra headers)."""
    urls: list[tuple[str, str, str]] = []
    for route in FOLDER_ROUTES + FILE_ROUTES:
        for spelling, step in DOT_DOT_SLASH.items():
            urls.append((f"{route} {spelling} to /etc/passwd", f"{route}{step * UP}etc/passwd", ""))
    # Relative to the server's working directory (where file= resolves a relative path).
    relative = {
        "env": ".env",
        "env via ./": "./.env",
        "cwd secret": "secret.txt",
        "outside secret": "../secret.txt",
        "chroma": "../index/chroma/chroma.sqlite3",
        "keyword cache": f"../index/keyword-{app.settings.collection}.npz",
        "corpus": f"../corpus/{CORPUS_CANARY}",
    }
    for route in FILE_ROUTES:
        for what, path in relative.items():
            urls.append((f"{route} {what}", f"{route}{path}", ""))
            urls.append((f"{route} {what}, encoded", f"{route}{percent_encoded(path)}", ""))
    cache = app.gradio_cache.as_posix()
    for what, secret in app.secret_files.items():
        path = secret.as_posix()
        inside_root = secret.is_relative_to(app.root)
        from_cache = (
            f"{cache}/{'../' * len(app.gradio_cache.relative_to(app.root).parts)}"
            f"{secret.relative_to(app.root).as_posix()}"
            if inside_root
            else f"{cache}/{'../' * UP}{path.lstrip('/')}"
        )
        variants = {
            "absolute": path,
            "double slash": f"/{path}",
            "dot segment": path.replace("/", "/./", 1),
            "doubled slashes": path.replace("/", "//"),
            "encoded": percent_encoded(path),
            "double-encoded": percent_encoded(path).replace("%", "%25"),
            "NUL and an image suffix": f"{path}%00.png",
            "upper case": path.upper(),
            "file:// URL": f"file://{path}",
            "through /proc/self/root": f"/proc/self/root{path}",
            "out of Gradio's cache": from_cache,
            "out of Gradio's cache, encoded dots": from_cache.replace("..", "%2e%2e"),
        }
        for route in FILE_ROUTES:
            for variant, target in variants.items():
                urls.append((f"{route} {what} {variant}", f"{route}{target}", ""))
        for route in CASE_VARIANTS:
            urls.append((f"{route} {what}", f"{route}{path}", ""))
        urls.append((f"/gradio_api/file= {what} ranged", f"/gradio_api/file={path}", "Range: bytes=0-99\r\n"))
    # Through /proc/self/cwd: a link to the working directory, lexically outside every allowed folder.
    urls.append(("file= .env through /proc/self/cwd", "/gradio_api/file=/proc/self/cwd/.env", ""))
    # The server fetching from itself (loopback: must be refused, not streamed back).
    loop = f"http://127.0.0.1:{app.port}"
    for what, secret in app.secret_files.items():
        urls.append(
            (f"file= loopback URL to {what}", f"/gradio_api/file={loop}/gradio_api/file={secret}", "")
        )
    urls += [
        ("proxy= loopback", f"/gradio_api/proxy={loop}/gradio_api/file=/etc/passwd", ""),
        ("proxy= file://", "/gradio_api/proxy=file:///etc/passwd", ""),
        ("deep link traversal on the page", f"/?deep_link={'../' * UP}etc/passwd", ""),
        ("deep link traversal on the config", f"/config?deep_link={'%2e%2e%2f' * UP}etc/passwd", ""),
        ("deep link save with a traversal session", f"/gradio_api/deep_link?session_hash={'../' * 4}", ""),
        (
            "run history asset traversal",
            f"/gradio_api/run-history/records/{'..%2f' * 6}/x/assets/{'..%2f' * UP}etc%2fpasswd",
            "",
        ),
        ("custom component traversal", f"/gradio_api/custom_component/x/client/{'..%2f' * UP}/passwd", ""),
        ("stream file traversal", f"/gradio_api/stream/{'..%2f' * UP}/0/1/playlist-file", ""),
        ("pwa icon", "/pwa_icon", ""),
        ("pwa icon with size", "/pwa_icon/192", ""),
        ("manifest", "/manifest.json", ""),
        ("theme", "/theme.css", ""),
        ("gradio_api theme", "/gradio_api/theme.css", ""),
        ("robots", "/robots.txt", ""),
        ("favicon", "/favicon.ico", ""),
        ("monitoring", "/monitoring", ""),
        ("empty file=", "/gradio_api/file=", ""),
        ("svelte absolute", "/svelte//etc/passwd", ""),
        ("static absolute", "/static//etc/passwd", ""),
        ("assets absolute", "/assets//etc/passwd", ""),
    ]
    return urls


def test_no_hostile_url_serves_a_canary(running_app: RunningApp) -> None:
    app = running_app
    urls = hostile_urls(app)
    through: list[str] = []
    answered: list[str] = []  # 2xx without a canary: pages and Gradio's own files
    statuses: Counter[int] = Counter()
    for what, target, headers in urls:
        status, body = raw_get(app.port, target, headers)
        statuses[status] += 1
        if 200 <= status < 300:
            (through if app.leaks(body) else answered).append(f"{what} ({target[:60]}) -> {status}")
    print(f"\nfile routes: tried {len(urls)} hostile URLs, got through {len(through)}")
    print(f"statuses: {dict(statuses)}")
    print("answered 2xx without a canary:", "; ".join(answered))
    assert len(urls) >= 40
    assert through == []

    # The client is raw: "/assets/../favicon.ico" reaches the server as such (a normalising client would
    # have asked for /favicon.ico, which is served).
    assert raw_get(app.port, "/favicon.ico")[0] == 200
    assert raw_get(app.port, "/assets/../favicon.ico")[0] in {403, 404}
    # The detector sees a leak: the same bytes as the .env, really uploaded, are served back by file=.
    uploaded = post_upload(app, f'filename="{MARKER}-control.txt"'.encode(), ENV_SECRET.encode())
    assert uploaded.status_code == 200, uploaded.text
    status, body = raw_get(app.port, f"/gradio_api/file={uploaded.json()[0]}")
    assert status == 200 and app.leaks(body) == [ENV_SECRET.encode()]


# --- 2. hostile upload names --------------------------------------------------------------------------
def hostile_names(app: RunningApp) -> dict[str, bytes]:
    """What each tries -> the raw Content-Disposition parameters naming the file."""
    names = {
        "parent folders": f"../../{MARKER}-dotdot.txt",
        "up to /tmp": f"{'../' * UP}tmp/{MARKER}-tmp.txt",
        "absolute in /tmp": f"/tmp/{MARKER}-abs.txt",
        "absolute in the private root": f"{app.root}/{MARKER}-root.txt",
        "absolute onto the server's .env": f"{app.work_dir}/.env",
        "backslashes": f"..\\..\\{MARKER}-win.txt",
        "drive letter": f"C:\\Windows\\{MARKER}-drive.txt",
        "NUL": f"{MARKER}-a\x00b.txt",
        "300 characters": f"{MARKER}-".ljust(296, "x") + ".txt",
        ".env": ".env",
        "chroma.sqlite3": "chroma.sqlite3",
        "into the index": f"../index/chroma/{MARKER}-chroma.sqlite3",
        "..": "..",
        ".": ".",
        "fullwidth separators": f"..／..／{MARKER}-fullwidth.txt",
        "two-dot leaders": f"‥/‥/{MARKER}-leader.txt",
        "percent-encoded": f"%2e%2e%2f%2e%2e%2f{MARKER}-pct.txt",
        "right-to-left override": f"{MARKER}-rtl\u202etxt.exe",
        "markup": f"<img src=x onerror=alert(1)>{MARKER}.md",
        "home folder": f"~/{MARKER}-home.txt",
        "through /proc/self/cwd": f"/proc/self/cwd/{MARKER}-proc.txt",
        "Windows device": "CON.txt",
    }
    raw = {what: b'filename="' + name.encode() + b'"' for what, name in names.items()}
    raw["CR LF in the name"] = f'filename="{MARKER}-crlf\r\nX-Injected: 1\r\n.txt"'.encode()
    raw["RFC 5987 filename*"] = (
        f"filename=\"{MARKER}-plain.txt\"; filename*=UTF-8''..%2F..%2F{MARKER}-star.txt".encode()
    )
    return raw


def test_hostile_upload_names_write_nothing_outside_the_upload_folder(running_app: RunningApp) -> None:
    from assistant.web.page import UPLOAD_TYPES
    from ingest.uploads import MAX_NAME_CHARS, safe_name

    app = running_app
    around = (app.settings.upload_dir, app.gradio_cache, app.settings.index_dir)
    before = snapshot(app.root, leave_out=around)
    index_before = set(snapshot(app.settings.index_dir))
    refused: list[str] = []
    accepted: list[str] = []
    payloads: list[bytes] = []
    for number, (what, disposition) in enumerate(hostile_names(app).items()):
        content = f"News item {number} {MARKER}: the city council met on Tuesday and approved the budget."
        response = post_upload(app, disposition, content.encode())
        if response.status_code != 200:
            refused.append(f"{what}: {response.status_code}")
            continue
        (path,) = response.json()
        assert Path(path).resolve().is_relative_to(app.gradio_cache.resolve()), (what, path)
        accepted.append(path)
        payloads.append(content.encode())
    # The page's file component refuses a whole event when one file's type is not in UPLOAD_TYPES; those
    # go one by one (and must be refused), all the others together to the app's handler.
    wrong_type = [path for path in accepted if Path(path).suffix.lower() not in UPLOAD_TYPES]
    for path in wrong_type:
        completed = run_upload_handler(app, [file_data(path)])
        assert not completed["success"] and "Invalid file type" in completed["output"]["error"], completed
        refused.append(f"{Path(path).name!r}: file type")
    handled = [path for path in accepted if path not in wrong_type]
    assert len(handled) >= 15  # the handler really gets the hostile names

    completed = run_upload_handler(app, [file_data(path) for path in handled])
    assert completed["success"], completed
    report = completed["output"]["data"][0]
    assert report.count("\n") + 1 == len(handled)
    assert not app.leaks(json.dumps(completed).encode())

    stored = [path for path in app.settings.upload_dir.rglob("*") if path.is_file()]
    unsafe = [
        path
        for path in stored
        if path.parent != app.stored_uploads
        or path.name.startswith((".", "-"))
        or len(path.name) > MAX_NAME_CHARS
        or safe_name(path.name, path.suffix) != path.name
    ]
    assert len(stored) == report.count("was added as") > 0
    written_outside = changed(before, snapshot(app.root, leave_out=around)) + [
        str(path) for path in marked_files_outside(app)
    ]
    index_files = snapshot(app.settings.index_dir)
    overwritten_index = [
        name
        for name in index_files
        if MARKER in name
        or (name not in index_before and (app.settings.index_dir / name).read_bytes() in payloads)
    ]
    chroma = app.secret_files["chroma"]
    # The detectors see a stray file: one written by hand next to the .env is caught by both.
    probe = app.work_dir / f"{MARKER}-probe.txt"
    probe.write_text("stray")
    try:
        assert probe in marked_files_outside(app)
        assert changed(before, snapshot(app.root, leave_out=around)) == [f"work/{probe.name}"]
    finally:
        probe.unlink()
    outside = len(written_outside) + len(overwritten_index)
    print(
        f"\nuploads: tried {len(hostile_names(app))} hostile names, {len(refused)} refused by the upload "
        f"route or the page's file-type check, {len(stored)} stored, {len(unsafe)} with an unsafe name or "
        f"place, written outside the upload folder and Gradio's cache {outside}"
    )
    print("refused:", "; ".join(refused))
    print("stored as:", sorted(path.name for path in stored))
    assert unsafe == []
    assert written_outside == []
    assert overwritten_index == []
    assert chroma.read_bytes().startswith(b"SQLite format 3")
    assert (app.work_dir / ".env").read_text() == f"OPENAI_API_KEY={ENV_SECRET}\n"


# --- 3. server files smuggled into the upload event ---------------------------------------------------
def test_server_files_put_into_the_upload_event_are_refused(running_app: RunningApp) -> None:
    app = running_app
    cache = app.gradio_cache.as_posix()
    smuggled = [str(path) for path in app.secret_files.values()] + [
        f"{cache}/../secret.txt",
        f"{cache}/../work/.env",
        "../secret.txt",
        ".env",
        "/proc/self/cwd/.env",
        f"file://{app.work_dir}/.env",
        f"http://127.0.0.1:{app.port}/gradio_api/file={app.work_dir}/.env",
    ]
    before = snapshot(app.settings.upload_dir)
    got_through = []
    for path in smuggled:
        completed = run_upload_handler(app, [file_data(path)])
        if completed.get("success") or app.leaks(json.dumps(completed).encode()):
            got_through.append((path, completed))
    after = snapshot(app.settings.upload_dir)
    print(
        f"\nupload event: tried {len(smuggled)} server paths in place of an upload, got through "
        f"{len(got_through)}, stored {len(changed(before, after))}"
    )
    assert got_through == []
    assert changed(before, after) == []


# --- 4. the size limit --------------------------------------------------------------------------------
def test_a_file_over_the_size_limit_is_refused_and_nothing_is_written(running_app: RunningApp) -> None:
    app = running_app
    limit = app.settings.max_file_bytes
    assert limit == int(LIMIT_MB * 1024 * 1024)
    before = snapshot(app.root)
    attempts = {
        "twice the limit": post_upload(app, f'filename="{MARKER}-big.txt"'.encode(), b"a" * (2 * limit)),
        "one byte over": post_upload(app, f'filename="{MARKER}-over.txt"'.encode(), b"b" * (limit + 1)),
        "twice the limit, chunked": post_upload(
            app, f'filename="{MARKER}-chunked.txt"'.encode(), b"c" * (2 * limit), chunked=True
        ),
    }
    after = snapshot(app.root)
    statuses = {what: response.status_code for what, response in attempts.items()}
    served = [what for what, response in attempts.items() if response.status_code < 300]
    print(
        f"\nsize limit ({limit} bytes): tried {len(attempts)} oversized uploads, got through {len(served)}, "
        f"files written {len(changed(before, after))}; statuses {statuses}"
    )
    assert set(statuses.values()) == {413}
    assert changed(before, after) == []
    assert marked_files_outside(app) == []
