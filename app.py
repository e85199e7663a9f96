"""Newsdesk entry point for `make run`.

Until the browser chat exists, this refreshes the index from the corpus (a no-op when nothing changed)
and prints what the index holds."""

from __future__ import annotations

import sys

from assistant.errors import AssistantError
from assistant.settings import Settings


def main() -> int:
    from ingest.cli import format_report
    from ingest.pipeline import run_ingest
    from ingest.status import format_documents

    settings = Settings()
    try:
        report = run_ingest(settings)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(format_report(report))
    print()
    print(format_documents(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
