"""Concurrent chat sessions against a running app: throughput, latency, errors, the app's CPU per answer,
and whether any answer or history leaks from one session into another.

    python -m benchmarks.load [--sessions 20] [--duration 60] [--runtimes openvino,torch] [--client http]

Sessions talk to the /chat API through Gradio's plain HTTP API (--client http, the default) or through
gradio_client (--client gradio): on two cores gradio_client's own CPU (about 1.3 cores for 20 sessions)
starves the app, so its figures are the client's as much as the app's.

Starts app.py (offline, a separate process, a temporary corpus: the seed articles plus one marker article
per session about an invented harbour town) and runs one client per session in its own thread until the
time is up. Each session asks about its own town, then a follow-up that only its own history resolves
("How much will it cost?"), again and again. Any other session's town, project code or figure in an answer
or its citations is a leak; a request that fails or takes longer than the timeout is an error."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import percentile
from assistant.settings import PROJECT_ROOT
from benchmarks.app_process import AppProcess
from benchmarks.data import write_figures

TOWNS = (
    "Brannoch", "Cellwick", "Dunmarrow", "Eskerby", "Falloway", "Gristhorpe", "Harrowmere", "Ilverston",
    "Kelbridge", "Lowenna", "Marrowby", "Nettlecombe", "Orrinsby", "Pellcastle", "Quarrendon", "Rookhaven",
    "Tarnholme", "Ulverby", "Vexford", "Wrenfield", "Yarrowden", "Zennorwick", "Ashcombe", "Brindlemoor",
)  # fmt: skip
REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Marker:
    """One session's own article: a town, a project code and a cost no other marker shares."""

    number: int

    @property
    def town(self) -> str:
        return TOWNS[self.number]

    @property
    def code(self) -> str:
        return f"TIDE-{self.number:02d}{7919 * (self.number + 3) % 9000 + 1000}"

    @property
    def cost(self) -> str:
        return f"{101 + 37 * self.number} million euros"

    @property
    def source(self) -> str:
        return f"markers/marker-{self.number:02d}.md"  # as cited: the path inside the corpus folder

    @property
    def text(self) -> str:
        return (
            f"# {self.town} harbour council approves a tidal barrier\n\n"
            f"The harbour council of {self.town} voted on Tuesday to build a tidal barrier under the project "
            f"name {self.code}.\n\n"
            f"The {self.town} barrier will cost {self.cost}, the council leader told reporters after the "
            "vote.\n\n"
            f"Fishing boats will keep their moorings in {self.town} while the barrier is built, the council "
            "said.\n"
        )

    @property
    def question(self) -> str:
        return f"What did the {self.town} harbour council vote to build?"

    follow_up = "How much will it cost?"

    @property
    def tells(self) -> tuple[str, ...]:
        """Strings that only this marker's article contains."""
        return (self.town, self.code, self.cost.split()[0] + " million")


def markers(count: int) -> list[Marker]:
    if not 1 <= count <= len(TOWNS):
        raise ValueError(f"between 1 and {len(TOWNS)} sessions")
    return [Marker(number) for number in range(count)]


def write_markers(corpus: Path, chosen: Sequence[Marker]) -> None:
    for marker in chosen:
        (corpus / marker.source).parent.mkdir(parents=True, exist_ok=True)
        (corpus / marker.source).write_text(marker.text, encoding="utf-8")


@dataclass
class LoadReport:
    sessions: int
    wall_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)  # an answer that did not use its own article
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return len(self.latencies_s) + len(self.errors)

    def figures(self) -> dict[str, Any]:
        latencies_ms = sorted(1000 * value for value in self.latencies_s)
        return {
            "sessions": self.sessions,
            "seconds": round(self.wall_s, 1),
            "requests": self.requests,
            "answers_per_s": round(len(self.latencies_s) / self.wall_s, 1) if self.wall_s else 0.0,
            **{f"p{p}_ms": round(percentile(latencies_ms, p)) for p in (50, 95, 99)},
            "max_ms": round(max(latencies_ms, default=0)),
            "errors": len(self.errors),
            "leaks": len(self.leaks),
            "misses": len(self.misses),
        }

    def summary(self) -> str:
        f = self.figures()
        return (
            f"{self.sessions} sessions for {self.wall_s:.0f} s: {f['requests']} requests, "
            f"{f['answers_per_s']:.1f} answers/s; latency p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, "
            f"p99 {f['p99_ms']} ms, max {f['max_ms']} ms; errors {f['errors']}, leaks {f['leaks']}, "
            f"answers without their own article {f['misses']}"
        )


def _answer_text(payload: dict[str, Any]) -> str:
    citations = payload.get("citations") or []
    parts = [str(payload.get("answer", ""))]
    parts += [f"{c.get('source', '')} {c.get('title', '')} {c.get('quote', '')}" for c in citations]
    return "\n".join(parts)


def _check(
    payload: dict[str, Any], marker: Marker, others: Sequence[Marker], expected: str
) -> tuple[list[str], list[str]]:
    """(leaks: another session's article in the answer, misses: the answer did not come from its own)."""
    text = _answer_text(payload)
    leaks = [
        f"leak: session {marker.number} saw {tell!r} of session {other.number}"
        for other in others
        for tell in other.tells
        if tell in text
    ]
    sources = {c.get("source") for c in payload.get("citations") or []}
    answer = payload.get("answer", "")
    missed = marker.source not in sources or expected not in answer
    return leaks, [f"miss: session {marker.number} got {answer[:120]!r}"] if missed else []


@dataclass
class Clock:
    """When the run ends: set once every client has connected (the barrier's action)."""

    duration_s: float
    began: float = 0.0
    deadline: float = 0.0

    def start(self) -> None:
        self.began = time.monotonic()
        self.deadline = self.began + self.duration_s


class GradioChat:
    """A session through gradio_client, the official client (heavy: ~95 ms of its own CPU a request)."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self._client = Client(url, verbose=False)

    def ask(self, question: str, history: list[dict[str, str]]) -> dict[str, Any]:
        job = self._client.submit(question=question, chat_history=history, api_name="/chat")
        return job.result(timeout=REQUEST_TIMEOUT_S)  # type: ignore[no-any-return]

    def close(self) -> None:
        self._client.close()


class HttpChat:
    """A session through Gradio's plain HTTP API (POST /gradio_api/call/chat, then read the event
    stream): what gradio_client does, without its own CPU cost, so the figures are the app's."""

    def __init__(self, url: str) -> None:
        import httpx

        self._client = httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S)

    def ask(self, question: str, history: list[dict[str, str]]) -> dict[str, Any]:
        import json

        posted = self._client.post("/gradio_api/call/chat", json={"data": [question, history, None, None]})
        posted.raise_for_status()
        event = ""
        with self._client.stream("GET", f"/gradio_api/call/chat/{posted.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.removeprefix("event:").strip()
                elif line.startswith("data:") and event == "complete":
                    return json.loads(line.removeprefix("data:"))[0]  # type: ignore[no-any-return]
                elif line.startswith("data:") and event == "error":
                    raise RuntimeError(f"the app answered with an error: {line}")
        raise RuntimeError("the event stream ended without an answer")

    def close(self) -> None:
        self._client.close()


CLIENTS = {"gradio": GradioChat, "http": HttpChat}


def run_session(
    url: str,
    marker: Marker,
    others: Sequence[Marker],
    start: threading.Barrier,
    clock: Clock,
    report: LoadReport,
    client_kind: str = "gradio",
) -> None:
    try:
        client = CLIENTS[client_kind](url)
        start.wait(timeout=120)
    except Exception as exc:  # every failure is a figure
        with report.lock:
            report.errors.append(f"session {marker.number} could not start: {type(exc).__name__}: {exc}")
        start.abort()
        return
    while time.monotonic() < clock.deadline:
        history: list[dict[str, str]] = []
        for question, expected in ((marker.question, marker.code), (marker.follow_up, marker.cost)):
            began = time.monotonic()
            try:
                payload = client.ask(question, history)
            except Exception as exc:
                with report.lock:
                    report.errors.append(f"session {marker.number}: {type(exc).__name__}: {exc}")
                break
            elapsed = time.monotonic() - began
            leaks, misses = _check(payload, marker, others, expected)
            with report.lock:
                report.latencies_s.append(elapsed)
                report.leaks += leaks
                report.misses += misses
            history += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": payload["answer"]},
            ]
    client.close()


def run_load(url: str, chosen: Sequence[Marker], duration_s: float, client: str = "gradio") -> LoadReport:
    """One client per marker, each in its own thread; the clock starts when all have connected, and each
    session stops by itself after its last request past `duration_s`."""
    report = LoadReport(sessions=len(chosen))
    clock = Clock(duration_s)
    start = threading.Barrier(len(chosen), action=clock.start)
    threads = [
        threading.Thread(
            target=run_session,
            args=(
                url,
                marker,
                [other for other in chosen if other is not marker],
                start,
                clock,
                report,
                client,
            ),
            daemon=True,
        )
        for marker in chosen
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120 + duration_s + 2 * REQUEST_TIMEOUT_S)
    report.wall_s = time.monotonic() - clock.began if clock.began else 0.0
    if any(thread.is_alive() for thread in threads):
        report.errors.append("a session did not stop by itself")
    return report


def prepare_corpus(root: Path, chosen: Sequence[Marker]) -> None:
    shutil.copytree(PROJECT_ROOT / "data" / "corpus", root / "corpus")
    write_markers(root / "corpus", chosen)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument(
        "--runtimes", default="openvino", help="embedding runtimes, run one after the other: openvino,torch"
    )
    parser.add_argument(
        "--client", choices=sorted(CLIENTS), default="http", help="how sessions talk to the app"
    )
    parser.add_argument("--env", action="append", default=[], metavar="ASSISTANT_X=VALUE", help="app setting")
    args = parser.parse_args(argv)
    chosen = markers(args.sessions)
    extra = dict(item.split("=", 1) for item in args.env)
    runs: dict[str, dict[str, Any]] = {}
    for runtime in args.runtimes.split(","):
        with tempfile.TemporaryDirectory() as temporary:
            root = Path(temporary)
            prepare_corpus(root, chosen)
            with AppProcess(root, ASSISTANT_EMBEDDING_RUNTIME=runtime, **extra) as app:
                used = app.cpu_seconds
                report = run_load(app.url, chosen, args.duration, args.client)
                per_answer = 1000 * (app.cpu_seconds - used) / max(1, len(report.latencies_s))
                print(f"embedding runtime {runtime}, {args.client} client: {report.summary()}")
                print(f"app CPU per answer {per_answer:.0f} ms, app peak RSS {app.peak_rss_mb:.0f} MB")
                runs[f"{runtime}, {args.client} client"] = report.figures() | {
                    "app_cpu_ms_per_answer": round(per_answer),
                    "app_peak_rss_mb": round(app.peak_rss_mb),
                }
            for problem in (report.errors + report.leaks + report.misses)[:10]:
                print("  ", problem)
    write_figures("load", {"env": extra, "runs": runs})


if __name__ == "__main__":
    main()
