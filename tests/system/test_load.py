"""Twenty chat sessions at once through gradio_client against the real app (a separate process, offline)
for a bounded time: every request answered, none failed, and no session ever sees another session's
article or history. `python -m benchmarks.load` is the same run with its figures; this test keeps the
correctness claims."""

from __future__ import annotations

from pathlib import Path

from benchmarks.app_process import AppProcess
from benchmarks.load import markers, prepare_corpus, run_load

SESSIONS = 20
SECONDS = 60.0


def test_twenty_concurrent_sessions_get_their_own_answers_without_errors(tmp_path: Path) -> None:
    chosen = markers(SESSIONS)
    prepare_corpus(tmp_path, chosen)
    with AppProcess(tmp_path) as app:
        report = run_load(app.url, chosen, SECONDS)
    print("\n" + report.summary())
    assert report.errors == []
    assert report.leaks == []
    assert report.misses == []
    assert len(report.latencies_s) >= 2 * SESSIONS  # every session finished at least one full exchange
