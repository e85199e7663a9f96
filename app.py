"""Newsdesk in the browser: `make run` refreshes the index, then serves the chat on http://127.0.0.1:7860.

The shell that wires the pieces: settings, the ingest that refreshes the index, the answering chain, the
documents with their upload inbox, and the page (assistant/web/) that is handed them."""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.settings import Settings
from assistant.web.degraded import Reopen
from assistant.web.page import EXAMPLES
from assistant.web.services import AppServices, unavailable_services

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger("newsdesk.app")

UPLOAD_LOCK_WAIT_S = 10.0


def build_app_services(settings: Settings, embeddings: Embeddings | None = None) -> AppServices:
    from assistant.answer.chain import NewsdeskChain, build_services
    from assistant.web.documents import IndexedDocuments
    from ingest.uploads import UploadInbox

    services = build_services(settings, embeddings=embeddings)
    # An upload waits briefly for a command-line ingest, then tells the user to retry, rather than
    # holding the page for the ingest lock's full timeout.
    upload_settings = settings.model_copy(update={"ingest_lock_timeout_s": UPLOAD_LOCK_WAIT_S})
    inbox = UploadInbox(upload_settings, services.embeddings)
    return AppServices(settings, NewsdeskChain(services), IndexedDocuments(services.store, inbox.add))


def reopener(settings: Settings) -> Reopen:
    """How a degraded app retries: open the index again, loading the embedding model only once."""
    from assistant.providers import make_embeddings

    model = functools.cache(lambda: make_embeddings(settings))

    def reopen() -> tuple[Any, Any]:
        services = build_app_services(settings, model())
        return services.chain, services.documents

    return reopen


def warm_up(services: AppServices) -> None:
    """Answer one question offline before serving, so the first user does not wait for cold caches
    (model kernels, the keyword index, sentence vectors): about 1 s on the first question otherwise."""
    if services.recovery is not None:
        return
    try:
        services.chain.invoke({"question": EXAMPLES[0], "use_llm": False})
    except AssistantError as exc:
        log.warning("warm-up question failed: %s", exc)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from pydantic import ValidationError

    from assistant.web.launch import launch_options, serve
    from ingest.cli import format_report
    from ingest.pipeline import run_ingest

    try:
        settings = Settings()
        launch_options(settings)  # refuse a bad bind or auth setting before the slow start
    except ValidationError as exc:
        print(f"error: invalid settings: {exc}", file=sys.stderr)
        return 2
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        print(format_report(run_ingest(settings)), flush=True)
        services = build_app_services(settings)
    except AssistantError as exc:  # start anyway: the page says what is wrong, until the index reopens
        print(f"error: {exc}\nStarting anyway; the chat shows this message.", file=sys.stderr, flush=True)
        services = unavailable_services(settings, str(exc), reopener(settings))
    warm_up(services)
    demo, url = serve(services)
    print(f"Newsdesk is ready: {url}", flush=True)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
