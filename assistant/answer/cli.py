"""`python -m assistant "question"`: answer from the index and list the cited passages."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from assistant.errors import AssistantError
from assistant.retrieval.retriever import MODES
from assistant.settings import Settings
from assistant.text.published import source_line
from assistant.types import Answer, answer_payload


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="Answer a question about the indexed news, with cited passages.",
    )
    parser.add_argument("question", nargs="+", help="the question")
    parser.add_argument("--json", action="store_true", help="print the answer and citations as JSON")
    add_request_options(parser)
    add_filter_options(parser)
    return parser


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters (only articles that match every one given)")
    group.add_argument(
        "--from", dest="published_from", metavar="DATE", help="published on or after (2025-03-01)"
    )
    group.add_argument(
        "--to", dest="published_to", metavar="DATE", help="published on or before (2025-03-31)"
    )
    group.add_argument("--outlet", action="append", default=[], help="published by this outlet (repeatable)")
    group.add_argument(
        "--source", action="append", default=[], help="source path prefix, e.g. business/ (repeatable)"
    )


def filter_request(args: argparse.Namespace) -> dict[str, object]:
    filters = {
        "published_from": args.published_from,
        "published_to": args.published_to,
        "outlets": args.outlet,
        "sources": args.source,
    }
    filters = {key: value for key, value in filters.items() if value}
    return {"filters": filters} if filters else {}


def add_request_options(parser: argparse.ArgumentParser) -> None:
    """Per-request overrides shared by the commands that run the chain."""
    parser.add_argument("--mode", choices=MODES, help="retrieval mode (default: ASSISTANT_RETRIEVAL_MODE)")
    parser.add_argument("--top-k", type=int, help="passages handed to the answerer")
    parser.add_argument(
        "--offline", action="store_true", help="use the offline answerer even if an LLM is set"
    )


def request_overrides(args: argparse.Namespace) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if args.mode:
        overrides["retrieval_mode"] = args.mode
    if args.top_k:
        overrides["top_k"] = args.top_k
    if args.offline:
        overrides["use_llm"] = False
    return overrides


def format_answer(answer: Answer) -> str:
    lines = [answer.answer, ""]
    if answer.notice:
        lines += [f"Note: {answer.notice}", ""]
    if answer.citations:
        lines.append("Sources:")
        for number, citation in enumerate(answer.citations, start=1):
            lines.append(
                f"[{number}] {citation.title} — {source_line(citation.outlet, citation.published)} "
                f"({citation.source}, characters {citation.start}-{citation.end})"
            )
            lines.append(f"    “{citation.quote}”")
            if citation.also_in:
                lines.append(f"    also in (the same story): {', '.join(citation.also_in)}")
    lines.append(f"(answered by: {answer.answered_by})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"error: invalid settings: {exc}", file=sys.stderr)
        return 2
    request = {"question": " ".join(args.question), **request_overrides(args), **filter_request(args)}
    try:
        from assistant.answer.chain import build_chain

        answer = build_chain(settings).invoke(request)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(answer_payload(answer), ensure_ascii=False))
    else:
        print(format_answer(answer))
    return 0
