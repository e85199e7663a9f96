"""The chat page: a Gradio Blocks built from the services it is handed. What it shows is computed by the
pure modules beside it (conversation, render); this file only lays out components and maps events."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.types import answer_payload
from assistant.web.conversation import ChatOptions, Conversation, page_filters, respond
from assistant.web.render import (
    UNEXPECTED,
    documents_rows,
    outlet_names,
    public_message,
    safe_markdown,
    sources_panel,
    upload_report,
)
from assistant.web.services import AppServices

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger("newsdesk.app")

EXAMPLES = [
    "What conditions did the US attach to the minerals deal?",
    "How long is the truce Ukraine agreed to?",
    "Who did Trump send to Kyiv?",
    "What did Putin demand of the Ukrainian troops in Kursk?",
]
DOCUMENT_HEADERS = ["Title", "Source", "Outlet · date", "Same story as", "Chunks", "Ingested"]
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf"]


def create_demo(services: AppServices) -> gr.Blocks:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    settings, chain, indexed = services.settings, services.chain, services.documents
    # A degraded app offers the configured LLM too: it is there once the index reopens.
    llm_ready = chain.llm_available or (services.recovery is not None and settings.llm_configured)

    def refusal(exc: AssistantError) -> gr.Error:
        """The user's sentence for an expected refusal; one log line instead of Gradio's traceback."""
        log.info("refused: %s", exc)
        return gr.Error(public_message(str(exc)), print_exception=False)

    def ask(
        message: str,
        conversation: Conversation,
        top_k: float,
        mode: str,
        use_llm: bool,
        published_from: str,
        published_to: str,
        outlets: list[str] | None,
        sources: str,
    ) -> Iterator[Any]:
        filters = page_filters(published_from, published_to, outlets, sources)
        options = ChatOptions(int(top_k), mode, bool(use_llm and llm_ready), filters)
        try:
            for view in respond(chain, conversation, message, options):
                yield "", view.messages, view.sources_html, view.status, view.conversation
        except AssistantError as exc:
            yield message, list(conversation.messages), gr.skip(), gr.skip(), conversation
            raise refusal(exc) from None
        except Exception:
            log.exception("answering failed")
            yield message, list(conversation.messages), gr.skip(), gr.skip(), conversation
            raise gr.Error(UNEXPECTED, print_exception=False) from None  # logged above

    def new_chat() -> tuple[Any, ...]:
        return Conversation(), [], sources_panel(()), "", ""

    def documents() -> list[list[Any]]:
        try:
            return documents_rows(indexed.documents(), indexed.stories())
        except AssistantError as exc:
            raise refusal(exc) from None

    def outlet_choices() -> Any:
        try:
            return gr.Dropdown(choices=outlet_names(indexed.documents()))
        except AssistantError:
            return gr.skip()  # a degraded app has no index to read them from yet

    def add_files(paths: list[str] | None) -> tuple[Any, ...]:
        if not paths:
            return gr.skip(), gr.skip(), None
        try:
            outcomes = indexed.upload([(Path(path).name, Path(path)) for path in paths])
        except AssistantError as exc:
            raise refusal(exc) from None
        except Exception:
            log.exception("upload failed")
            raise gr.Error(UNEXPECTED, print_exception=False) from None  # logged above
        return upload_report(outcomes), documents_rows(indexed.documents(), indexed.stories()), None

    def chat(
        question: str,
        chat_history: list[dict[str, str]] | None = None,
        top_k: int | None = None,
        retrieval_mode: str | None = None,
        filters: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Answer a question about the news articles. Returns the answer (markdown with markers [n]),
        its citations (marker [n] is citations[n-1]: source, title, quote, start, end, score, outlet,
        published), whether the documents did not answer (abstained), and what answered. ``filters``
        keeps only some articles: {"published_from": "2025-03-01", "published_to": "2025-03-31",
        "outlets": ["Bloomberg"], "sources": ["business/"]}, every key optional."""
        request = ChatOptions(top_k, retrieval_mode).request(question, tuple(chat_history or ()))
        if filters:
            request["filters"] = filters
        try:
            return answer_payload(chain.invoke(request))
        except AssistantError as exc:
            raise refusal(exc) from None
        except Exception:
            log.exception("answering failed")
            raise gr.Error(UNEXPECTED, print_exception=False) from None  # logged above

    def problem_banner() -> str:
        problem = services.problem
        if not problem:
            return ""
        return (
            f"⚠️ **The index is not available:** {safe_markdown(public_message(problem))} Until it is fixed, "
            "questions cannot be answered; Newsdesk reopens it by itself, no restart needed."
        )

    # Uploads stay in Gradio's cache after they are indexed; clear what is older than an hour, hourly.
    with gr.Blocks(
        title="Newsdesk", analytics_enabled=False, fill_width=True, delete_cache=(3600, 3600)
    ) as demo:
        conversation = gr.State(Conversation())
        if services.recovery is not None:
            gr.Markdown(problem_banner, elem_id="nd-problem")  # re-evaluated on every page load
        gr.Markdown(
            "## Newsdesk\nAsk about the news articles. Every claim in an answer carries a marker like "
            "**[1]**: click it to see the exact passage it came from."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="nd-chat",
                    height=520,
                    buttons=["copy"],
                    feedback_options=None,
                    placeholder="Ask a question below, or pick an example.",
                )
                status = gr.Markdown(elem_id="nd-status")
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask about the news articles…",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        max_length=settings.max_question_chars,
                        scale=6,
                        elem_id="nd-question",
                        autofocus=True,
                    )
                    ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="nd-ask")
                new_chat_button = gr.Button("New chat", size="sm", elem_id="nd-new-chat")
                gr.Examples(EXAMPLES, inputs=question, label="Examples")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(sources_panel(()), elem_id="nd-sources")
        with gr.Accordion("Settings", open=False, elem_id="nd-settings"):
            with gr.Row():
                top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages to read (top-k)")
                mode = gr.Radio(
                    ["hybrid", "dense", "keyword"],
                    value=settings.retrieval_mode,
                    label="Retrieval",
                    info="hybrid: meaning and keywords; dense: meaning only; keyword: BM25 only",
                )
                use_llm = gr.Checkbox(
                    value=llm_ready,
                    interactive=llm_ready,
                    label=f"Answer with the LLM ({settings.llm_model})"
                    if llm_ready
                    else "Answer with an LLM",
                    info=None
                    if llm_ready
                    else "No LLM is configured: set OPENAI_API_KEY or OPENAI_BASE_URL to use one.",
                )
            with gr.Row():
                published_from = gr.Textbox(
                    label="Published from", placeholder="2025-03-01", max_length=10, elem_id="nd-from"
                )
                published_to = gr.Textbox(
                    label="Published to", placeholder="2025-03-31", max_length=10, elem_id="nd-to"
                )
                outlets = gr.Dropdown(
                    [],
                    multiselect=True,
                    label="Outlets",
                    info="Only articles from these outlets (as the index knows them).",
                    elem_id="nd-outlets",
                )
                sources_filter = gr.Textbox(
                    label="Sources",
                    placeholder="business/, exports/news.jsonl",
                    info="Only documents whose source starts with one of these.",
                    max_length=500,
                    elem_id="nd-sources-filter",
                )
        with gr.Accordion("Documents", open=False, elem_id="nd-documents"):
            table = gr.Dataframe(headers=DOCUMENT_HEADERS, interactive=False, wrap=True, elem_id="nd-table")
            if indexed.accepts_uploads:
                upload = gr.File(
                    label=f"Add documents (.txt, .md, .html, .pdf; up to {settings.max_file_mb:g} MB each)",
                    file_count="multiple",
                    file_types=UPLOAD_TYPES,
                    elem_id="nd-upload",
                )
                upload_status = gr.Markdown(elem_id="nd-upload-status")
                upload.upload(add_files, upload, [upload_status, table, upload], api_visibility="private")

        filter_inputs = [published_from, published_to, outlets, sources_filter]
        chat_inputs = [question, conversation, top_k, mode, use_llm, *filter_inputs]
        chat_outputs = [question, chatbot, sources, status, conversation]
        question.submit(ask, chat_inputs, chat_outputs, api_visibility="private")
        ask_button.click(ask, chat_inputs, chat_outputs, api_visibility="private")
        new_chat_button.click(
            new_chat, None, [conversation, chatbot, sources, status, question], api_visibility="private"
        )
        demo.load(documents, None, table, api_visibility="private")
        demo.load(outlet_choices, None, outlets, api_visibility="private")
        gr.api(chat, api_name="chat")
    return demo
