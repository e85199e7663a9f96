"""`python app.py` as a separate process on a free loopback port, the way `make run` starts it, for the
benchmarks and tests that measure the app from outside."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from assistant.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the app did not answer at {url}")


def process_peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM) from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def app_environment(root: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of an offline app over `root/corpus`, its index and uploads in `root`."""
    return dict(
        os.environ,
        ASSISTANT_CORPUS_DIR=str(root / "corpus"),
        ASSISTANT_INDEX_DIR=str(root / "index"),
        ASSISTANT_UPLOAD_DIR=str(root / "uploads"),
        ASSISTANT_SERVER_PORT=str(port),
        ASSISTANT_USE_LLM="false",
        **extra,
    )


class AppProcess:
    """`with AppProcess(root) as app:` starts app.py over `root/corpus`, waits until the page answers
    (`app.url`), and terminates the process on exit."""

    def __init__(self, root: Path, *, start_timeout_s: float = 300, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.environment = app_environment(root, self.port, **settings)
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def __enter__(self) -> AppProcess:
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "app.py")], env=self.environment, stdout=subprocess.DEVNULL
        )
        try:
            wait_http(self.url, self.started + self.start_timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def cpu_seconds(self) -> float:
        """User and system CPU time the app process has used so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @property
    def peak_rss_mb(self) -> float:
        assert self.process is not None
        return process_peak_rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
