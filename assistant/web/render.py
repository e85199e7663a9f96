"""What the browser shows of an answer: pure functions from `Answer` to markdown and HTML.

Everything that reaches the page from a document or a model is escaped here, and the HTML is cleaned
again with nh3, so neither can put executable markup or a remote image on the page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.index.stories import Stories
from assistant.retrieval.filtered import IndexFacts
from assistant.text.published import display_date, source_line
from assistant.text.sentences import split_sentences
from assistant.types import Answer, Citation, DocumentRecord, UploadOutcome

CONTEXT_SENTENCES = 1  # sentences of the passage shown around a quote
UNSUPPORTED_FLAG = "⚠️*(not found in the cited passage)*"
MARKER = re.compile(r"\[(\d{1,3})\]")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"(?<!\\)\[([^\]]+)\]\((?!#nd-src-)[^)]*\)")
_REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
# What the chat's markdown would turn into a clickable link by itself (GFM autolinks): web addresses and
# e-mail addresses. Shown as code instead, so an address a document planted is text, not a link.
_BARE_ADDRESS = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>`\[\]()\"']*[^\s<>`\[\]()\"'.,;:!?]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    re.IGNORECASE,
)

# The only markup the source panel uses; nh3 drops everything else (scripts, handlers, images, styles).
_ALLOWED_TAGS = {
    "details", "summary", "div", "span", "p", "b", "mark", "blockquote", "code", "small", "ol", "li",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"*": {"class", "id"}, "details": {"open"}}


def source_anchor(turn: int, number: int) -> str:
    """The element id of source card [number] of a conversation turn."""
    return f"nd-src-{turn}-{number}"


def safe_markdown(text: str) -> str:
    """Text as inert markdown: raw HTML shown as text, images and links reduced to their words, bare web
    and e-mail addresses shown as code (never autolinked)."""
    text = _REFERENCE_DEFINITION.sub("", _LINK.sub(r"\1", _IMAGE.sub(r"\1", text)))
    pieces, last = [], 0
    for address in _BARE_ADDRESS.finditer(text):
        pieces += [html.escape(text[last : address.start()], quote=False), f"`{address.group(0)}`"]
        last = address.end()
    return "".join([*pieces, html.escape(text[last:], quote=False)])


def answer_markdown(answer: Answer, turn: int) -> str:
    """The answer for the chat: safe markdown in which each marker [n] links to its source card, and
    each sentence the support check could not match to its passage is flagged."""
    text = safe_markdown(answer.answer)
    for claim in answer.unsupported:
        shown = safe_markdown(claim).rstrip(".!?")
        if not shown:
            continue
        # The claim is its sentence without markers: a marker inside the sentence may sit between any two
        # of its words ("The US [1] wanted ..." is the claim "The US wanted ...").
        pattern = r"(?:\s*\[\d+\])*\s+".join(re.escape(word) for word in shown.split())
        found = re.search(pattern, text)
        if found:
            text = f"{text[: found.end()]} {UNSUPPORTED_FLAG}{text[found.end() :]}"
    count = len(answer.citations)

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if not 1 <= number <= count:
            return match.group(0)
        return f"[\\[{number}\\]](#{source_anchor(turn, number)})"

    return MARKER.sub(link, text)


def highlighted_passage(citation: Citation, context: int = CONTEXT_SENTENCES) -> str:
    """The quote, marked, with up to ``context`` sentences of its passage on either side."""
    passage = citation.passage
    start = citation.start - citation.passage_start
    end = citation.end - citation.passage_start
    if not passage or start < 0 or end > len(passage) or passage[start:end] != citation.quote:
        return f"<mark>{html.escape(citation.quote)}</mark>"
    spans = split_sentences(passage)
    before = [s for s, e in spans if e <= start][-context:] if context else []
    after = [e for s, e in spans if s >= end][:context] if context else []
    left = before[0] if before else start
    right = after[-1] if after else end
    return (
        ("… " if passage[:left].strip() else "")
        + html.escape(passage[left:start])
        + f"<mark>{html.escape(passage[start:end])}</mark>"
        + html.escape(passage[end:right])
        + (" …" if passage[right:].strip() else "")
    )


def source_card(citation: Citation, turn: int, number: int) -> str:
    title = html.escape(" ".join((citation.title or citation.source).split()))
    return (
        f'<div class="nd-source" id="{source_anchor(turn, number)}">'
        f'<div class="nd-source-head"><span class="nd-number">[{number}]</span> <b>{title}</b></div>'
        f'<div class="nd-source-byline">{html.escape(source_line(citation.outlet, citation.published))}</div>'
        f'<div class="nd-source-meta"><code>{html.escape(citation.source)}</code> '
        f"<small>characters {citation.start:,}–{citation.end:,}</small></div>"
        + (
            f'<div class="nd-source-copies"><small>Also in (the same story): '
            f"{html.escape(', '.join(citation.also_in))}</small></div>"
            if citation.also_in
            else ""
        )
        + f'<blockquote class="nd-passage">{highlighted_passage(citation)}</blockquote>'
        "</div>"
    )


@dataclass(frozen=True, slots=True)
class TurnSources:
    """The source cards of one answered turn, kept by the page for the whole conversation."""

    turn: int
    question: str
    cards: str  # HTML


def turn_sources(answer: Answer, turn: int, question: str) -> TurnSources:
    if answer.abstained or not answer.citations:
        cards = '<p class="nd-no-sources">No sources: the documents don\'t answer this.</p>'
    else:
        cards = timeline_view(answer.citations, turn) + "".join(
            source_card(c, turn, n) for n, c in enumerate(answer.citations, start=1)
        )
    return TurnSources(turn, question, cards)


def timeline_view(citations: Sequence[Citation], turn: int) -> str:
    """The answer's sources by publication date, oldest first, when two or more are dated: a timeline of
    the reporting (each entry links to its card)."""
    dated = sorted(
        ((c.published, number, c) for number, c in enumerate(citations, start=1) if c.published),
        key=lambda item: (item[0], item[1]),
    )
    if len({published for published, _, _ in dated}) < 2:
        return ""
    items = "".join(
        f'<li><span class="nd-number">[{number}]</span> <b>{html.escape(display_date(published))}</b> '
        f"{html.escape(' · '.join(part for part in (c.outlet, ' '.join(c.title.split())) if part))}</li>"
        for published, number, c in dated
    )
    return f'<details class="nd-timeline" open><summary>Timeline</summary><ol>{items}</ol></details>'


def sources_panel(turns: Sequence[TurnSources]) -> str:
    """The sources panel: one collapsible group per turn, headed by its question; the newest first and
    open, earlier ones collapsed (a click on one of their markers opens them)."""
    if not turns:
        return (
            '<p class="nd-empty">The sources of each answer appear here. Click a marker such as [1] '
            "in an answer to bring its passage into view.</p>"
        )
    groups = []
    for position, turn in enumerate(reversed(turns)):
        summary = html.escape(turn.question if len(turn.question) <= 90 else turn.question[:89] + "…")
        groups.append(
            f'<details class="nd-turn" id="nd-turn-{turn.turn}"{"" if position else " open"}>'
            f"<summary>{summary}</summary>{turn.cards}</details>"
        )
    return clean_html("".join(groups))


def clean_html(fragment: str) -> str:
    import nh3

    return nh3.clean(fragment, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES, link_rel=None)


def status_markdown(answer: Answer) -> str:
    """One line saying what answered, and why the LLM's answer was replaced when it was."""
    if answer.is_fallback:
        notice = answer.notice or "The language model did not answer; this is the offline answer."
        line = f"⚠️ **{safe_markdown(notice)}** (offline answerer: sentences quoted from the documents)"
    elif answer.answered_by.startswith("llm:"):
        model = safe_markdown(answer.answered_by.removeprefix("llm:"))
        line = f"Answered by the LLM **{model}** from the retrieved passages."
    else:
        line = "Answered by the **offline answerer**: sentences quoted verbatim from the documents."
    if answer.notice and not answer.is_fallback:
        line += f" {safe_markdown(answer.notice)}"
    if answer.abstained:
        line += " The documents don't answer this question, so there are no sources."
    if answer.unsupported:
        count = len(answer.unsupported)
        line += (
            f" ⚠️ {count} sentence{'s' if count > 1 else ''} of the answer could not be matched to "
            "the passage it cites; look for ⚠️ in the answer."
        )
    return line


def outlet_names(records: Iterable[DocumentRecord]) -> list[str]:
    """The outlets of the indexed documents for the outlet picker, one spelling each, sorted."""
    return list(IndexFacts.of(records).outlets)


def documents_rows(
    records: Iterable[DocumentRecord], stories: Stories | None = None
) -> list[list[str | int]]:
    """The documents panel, by source: title, source, outlet and date, the other documents of its story
    (copies and re-edits), chunks, and when it was ingested."""
    stories = stories or Stories()
    rows: list[list[str | int]] = []
    for record in sorted(records, key=lambda r: r.source):
        others = stories.others(record.source)
        rows.append(
            [
                record.title or record.source,
                record.source,
                source_line(record.outlet, record.published),
                ", ".join(others[:3]) + (f" (+{len(others) - 3})" if len(others) > 3 else ""),
                record.chunk_count,
                _when(record.ingested_at),
            ]
        )
    return rows


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


_UPLOAD_ICONS = {"added": "✅", "updated": "🔄", "unchanged": "➖", "rejected": "❌"}


def upload_report(outcomes: Sequence[UploadOutcome]) -> str:
    """One line per uploaded file: what became of it."""
    return "\n".join(f"- {_UPLOAD_ICONS[o.status]} {safe_markdown(o.message)}" for o in outcomes)


_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.])/(?:[\w.@+-]+/)+([\w.@+-]+)")


# The sentence for an unexpected failure, on the page and in the API; the details go to the log.
UNEXPECTED = "Something went wrong on our side; the details are in the server log. Please try again."


def public_message(text: str) -> str:
    """An error message fit for the page: absolute paths of the server reduced to their last part."""
    return _ABSOLUTE_PATH.sub(r"\1", text)
