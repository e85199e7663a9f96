"""One document cleaned: the steps in order, from decoded text to clean news text plus its metadata.

Boilerplate is removed with generic line and paragraph patterns; every news paragraph is kept verbatim
apart from markdown syntax and whitespace. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ingest.cleaning.article import TITLE_FIELDS, ArticleFacts, Via, article_facts, first_field
from ingest.cleaning.boilerplate import drop_boilerplate_lines, drop_consent_banners
from ingest.cleaning.characters import normalize_characters
from ingest.cleaning.front_matter import split_front_matter
from ingest.cleaning.markup import distinct, parse_lines, strip_hidden_markup
from ingest.cleaning.metadata import choose_title, collect_dates, distinct_outlets
from ingest.cleaning.paragraphs import assemble_paragraphs


@dataclass(frozen=True)
class CleanedDocument:
    text: str
    title: str
    urls: tuple[str, ...]
    outlets: tuple[str, ...]
    dates: tuple[str, ...]
    facts: ArticleFacts = field(default_factory=ArticleFacts)


def clean_document(
    text: str,
    *,
    kind: str,
    fallback_title: str,
    html_title: str | None = None,
    html_meta: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    fields_via: Via = "record-field",
) -> CleanedDocument:
    """Clean `text` (as produced by the loaders for `kind`) and extract its metadata. ``fields`` are the
    article's own fields when it came as a record of an export or feed."""
    markdown = kind in ("text", "markdown")
    text = normalize_characters(text)
    if markdown and not fields:
        fields, text = split_front_matter(text)
        fields_via = "front-matter"
    fields = fields or {}
    lines = parse_lines(strip_hidden_markup(text) if markdown else text, markdown=markdown)
    lines = drop_boilerplate_lines(lines)
    paragraphs = drop_consent_banners(assemble_paragraphs(lines))
    meta = html_meta or {}
    urls = distinct([meta.get("url", ""), *(url for line in lines for url in line.urls)])
    outlets = distinct_outlets([meta.get("sitename", ""), *(name for line in lines for name in line.outlets)])
    texts = [meta.get("date", ""), *(paragraph.text for paragraph in paragraphs)]
    title = first_field(fields, TITLE_FIELDS) or html_title
    return CleanedDocument(
        text="\n\n".join(paragraph.text for paragraph in paragraphs),
        title=choose_title(paragraphs, html_title=title, fallback_title=fallback_title),
        urls=urls,
        outlets=outlets,
        dates=collect_dates(texts, urls),
        facts=article_facts(
            [paragraph.text for paragraph in paragraphs], fields=fields, fields_via=fields_via, html_meta=meta
        ),
    )
