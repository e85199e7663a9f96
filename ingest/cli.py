"""`python -m ingest [PATH ...]`: bring the index in line with a corpus and say what changed."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import AssistantError
from assistant.settings import Settings
from ingest.fetch import is_url
from ingest.pipeline import Ingestor, IngestReport, ProgressCallback


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Clean, chunk and embed documents (.txt .md .html .pdf) into the Newsdesk index. "
        "Re-running is cheap: unchanged files are skipped, edited files replace their chunks, and files "
        "that disappeared from the given folders leave the index.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        help="folders, files, and http(s) URLs of article pages or RSS/Atom feeds (default: "
        "ASSISTANT_CORPUS_DIR)",
    )
    parser.add_argument("--json", action="store_true", help="print one machine-readable summary object")
    parser.add_argument(
        "--prune",
        action="store_true",
        help="also remove indexed documents that are not under the given paths",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="drop the index and build it again from scratch"
    )
    parser.add_argument("--index-dir", type=Path, help="override ASSISTANT_INDEX_DIR")
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="how long to wait for another running ingest (default 600)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    overrides: dict[str, object] = {}
    if args.index_dir is not None:
        overrides["index_dir"] = args.index_dir
    if args.wait is not None:
        overrides["ingest_lock_timeout_s"] = args.wait
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        print(f"error: invalid settings: {exc}", file=sys.stderr)
        return 2
    try:
        with _progress() as progress:
            ingestor = Ingestor(settings, progress=progress, on_wait=lambda m: print(m, file=sys.stderr))
            urls = [given for given in args.paths if is_url(given)]
            paths = [Path(given) for given in args.paths if not is_url(given)]
            report = ingestor.run(paths or None, urls=urls, prune=args.prune, rebuild=args.rebuild)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: the index is consistent; run again to finish", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(format_report(report))
    return 0


def format_report(report: IngestReport) -> str:
    lines = [
        f"Index: {report.documents_total} documents, {report.chunks_total} chunks ({report.seconds:.1f} s).",
        f"Files: {report.files_added} added, {report.files_updated} updated, "
        f"{report.files_unchanged} unchanged, "
        f"{report.files_deleted} deleted, {report.files_skipped} skipped.",
        f"Chunks: {report.chunks_embedded} embedded, {report.chunks_reused} reused from the index.",
    ]
    lines += [f"  skipped {item['source']}: {item['reason']}" for item in report.skipped]
    return "\n".join(lines)


@contextmanager
def _progress() -> Iterator[ProgressCallback | None]:
    """A progress bar on a terminal; nothing otherwise (logs and pipes stay clean)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[chunks]} chunks embedded"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None, chunks=0)
        embedded = 0

        def advance(event: str, amount: int) -> None:
            nonlocal embedded
            if event == "total":
                bar.update(task, total=amount)
            elif event == "file":
                bar.advance(task, amount)
            else:
                embedded += amount
                bar.update(task, chunks=embedded)

        yield advance
