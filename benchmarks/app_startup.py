"""Cold start of `python app.py` to a usable page, and time to first streamed text in the browser.

    python -m benchmarks.app_startup [--questions 10]

Starts app.py as `make run` does (a separate process on a free loopback port, against an index in a
temporary folder), opens the page in Debian's Chromium, then asks questions and records, per question,
the time from the click to the first answer text on the page and to the finished answer. Run it on a
quiet machine: the figures are wall-clock times."""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from assistant.settings import PROJECT_ROOT
from benchmarks.app_process import AppProcess

QUESTIONS = [
    "What conditions did the US attach to the minerals deal?",
    "How long is the truce Ukraine agreed to?",
    "Who did Trump send to Kyiv?",
    "What did Putin demand of the Ukrainian troops in Kursk?",
    "Where might Trump's proposed peace plan be revealed?",
]
OBSERVE = """() => {
  window.ndFirst = null; window.ndAsked = performance.now();
  const chat = document.querySelector('#nd-chat');
  const before = chat.querySelectorAll("[data-testid='bot']").length;
  new MutationObserver((_, observer) => {
    const bots = chat.querySelectorAll("[data-testid='bot']");
    if (bots.length > before && bots[bots.length - 1].innerText.trim()) {
      window.ndFirst = performance.now(); observer.disconnect();
    }
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from tests.support.chromium import launch_chromium

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--questions", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary, sync_playwright() as playwright:
        root = Path(temporary)
        shutil.copytree(PROJECT_ROOT / "data" / "corpus", root / "corpus")
        browser = launch_chromium(playwright)
        for label in ("first start (builds the index)", "start with the index built"):
            with AppProcess(root) as app:
                served = time.monotonic() - app.started
                page = browser.new_page()
                page.goto(app.url)
                page.wait_for_selector("#nd-question textarea", timeout=120_000)
                usable = time.monotonic() - app.started
                print(
                    f"{label}: page served after {served:.1f} s, usable in the browser after {usable:.1f} s"
                )
                if label.startswith("start with"):
                    measure_answers(page, args.questions)
                    print(f"app peak RSS after {args.questions} questions: {app.peak_rss_mb:.0f} MB")
                page.close()
        browser.close()


def measure_answers(page: object, count: int) -> None:
    first: list[float] = []
    done: list[float] = []
    for number in range(count):
        question = QUESTIONS[number % len(QUESTIONS)]
        page.fill("#nd-question textarea", question)  # type: ignore[attr-defined]
        page.evaluate(OBSERVE)  # type: ignore[attr-defined]
        page.click("#nd-ask")  # type: ignore[attr-defined]
        page.wait_for_function("() => window.ndFirst !== null", timeout=60_000)  # type: ignore[attr-defined]
        first.append(page.evaluate("window.ndFirst - window.ndAsked"))  # type: ignore[attr-defined]
        page.wait_for_function(  # type: ignore[attr-defined]
            "() => document.querySelector('#nd-status')?.innerText.includes('Answered')", timeout=60_000
        )
        done.append(page.evaluate("performance.now() - window.ndAsked"))  # type: ignore[attr-defined]
        page.click("#nd-new-chat")  # type: ignore[attr-defined]
        page.wait_for_function("() => !document.querySelector(\"#nd-chat [data-testid='bot']\")")  # type: ignore[attr-defined]
    print(
        f"first streamed text, offline ({count} questions): first question {first[0]:.0f} ms, "
        f"median of the rest {statistics.median(first[1:] or first):.0f} ms, max {max(first):.0f} ms"
    )
    print(f"finished answer with sources: median {statistics.median(done):.0f} ms, max {max(done):.0f} ms")


if __name__ == "__main__":
    main()
