"""Turn file bytes into decoded text (plain text, markdown, HTML or PDF) without ever crashing.

Anything that cannot be ingested raises `SkipFile` with a short, path-free reason.
"""

from __future__ import annotations

import codecs
import errno
import io
import math
import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import charset_normalizer
import trafilatura
from bs4 import BeautifulSoup, NavigableString, Tag
from pypdf import PdfReader

from ingest.cleaning.markup import style_hides_text

Kind = Literal["text", "markdown", "html", "pdf"]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf"})

_SUFFIX_KINDS: dict[str, Kind] = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_WIDE_CODECS = frozenset({"utf-16", "utf-32"})
_HTML_DOCUMENT_START = re.compile(
    r"(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL
)
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_BINARY_SHARE = 0.01
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_WESTERN_SAMPLE_CHARS = 100_000

_HTML_DROPPED_TAGS = ("script", "style", "nav", "footer", "noscript", "template", "iframe", "svg", "head")
_HTML_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section"),
        *("table", "tbody", "td", "th", "thead", "tr", "ul"),
    }
)
_HTML_META_FIELDS = ("url", "date", "sitename", "author")

_MEGABYTE = 1024 * 1024


class SkipFile(Exception):
    """A file that cannot be ingested; str(exc) is a short human reason, e.g. 'empty file'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileTooLarge(SkipFile):
    """A file over the size limit; ``size`` is its size in bytes (None when it grew while being read)."""

    def __init__(self, size: int | None, max_bytes: int) -> None:
        super().__init__(f"larger than the {format_megabytes(max_bytes)} MB limit")
        self.size = size


@dataclass(frozen=True)
class LoadedText:
    """Decoded text (\n newlines, NFC) plus what the file format told us about it."""

    text: str
    kind: Kind
    encoding: str | None
    html_title: str | None = None
    html_meta: Mapping[str, str] = field(default_factory=dict)


def load_file(path: Path, *, max_bytes: int) -> LoadedText:
    """Load one file from disk; raises SkipFile."""
    suffix = normalize_suffix(path.suffix)
    ensure_supported_suffix(suffix)
    return load_bytes(read_bounded(path, max_bytes=max_bytes), suffix=suffix, max_bytes=max_bytes)


def read_bounded(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``: the one way documents are read from disk.

    A folder, device, pipe or socket is refused before it is opened (reading a pipe would block), the
    size is checked before reading, and reading stops one byte past the limit in case the file grew since.
    Raises SkipFile; FileTooLarge says by how much."""
    try:
        info = path.stat()
    except OSError as exc:
        raise unreadable(exc) from None
    ensure_regular_file(info.st_mode)
    ensure_within_limit(info.st_size, max_bytes)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise unreadable(exc) from None
    if len(data) > max_bytes:  # it grew since stat()
        raise FileTooLarge(None, max_bytes)
    return data


def load_bytes(data: bytes, *, suffix: str, max_bytes: int) -> LoadedText:
    """Decode in-memory file content named with `suffix`; raises SkipFile."""
    suffix = normalize_suffix(suffix)
    ensure_supported_suffix(suffix)
    ensure_within_limit(len(data), max_bytes)
    if not data.strip():
        raise SkipFile("empty file")
    kind = sniff_kind(data, suffix)
    if suffix == ".pdf" and kind != "pdf":
        raise SkipFile("not a PDF (content does not match .pdf)")
    if kind == "pdf":
        text = ensure_not_empty(normalize_text(extract_pdf_text(data)))
        return LoadedText(text=text, kind="pdf", encoding=None)
    text, encoding = decode_text(data)
    text = ensure_not_empty(normalize_text(text))
    if kind == "html":
        return load_html(text, encoding)
    return LoadedText(text=text, kind=kind or "text", encoding=encoding)


def sniff_kind(data: bytes, suffix: str) -> Kind | None:
    """Decide the kind by content first (PDF magic, HTML document), then by suffix; None if unsupported."""
    suffix = normalize_suffix(suffix)
    if data.startswith(b"%PDF-"):
        return "pdf"
    if looks_like_html_document(data):
        return "html"
    if suffix not in SUPPORTED_SUFFIXES or suffix == ".pdf":
        return None
    return _SUFFIX_KINDS.get(suffix, "text")


def normalize_suffix(suffix: str) -> str:
    suffix = suffix.strip().lower()
    return suffix if not suffix or suffix.startswith(".") else f".{suffix}"


def ensure_supported_suffix(suffix: str) -> None:
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"unsupported file type {suffix or '(no extension)'}")


def ensure_regular_file(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise SkipFile(f"unreadable: {os.strerror(errno.EISDIR)}")
    if not stat.S_ISREG(mode):
        raise SkipFile("unreadable: not a regular file")


def ensure_within_limit(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileTooLarge(size, max_bytes)


def ensure_not_empty(text: str) -> str:
    if not text.strip():
        raise SkipFile("empty file")
    return text


def unreadable(exc: OSError) -> SkipFile:
    # strerror never contains the path (str(exc) does).
    return SkipFile(f"unreadable: {exc.strerror or type(exc).__name__}")


def format_megabytes(n_bytes: int) -> str:
    """'5' for 5 MiB, '2.5' for 2.5 MiB, '0.00098' for 1 KiB; decimal MB when that is the rounder unit."""
    base = 1_000_000 if n_bytes % _MEGABYTE and not n_bytes % 1_000_000 else _MEGABYTE
    megabytes = n_bytes / base
    if megabytes <= 0:
        return "0"
    decimals = 1 if megabytes >= 1 else 1 - math.floor(math.log10(megabytes))
    return f"{megabytes:.{decimals}f}".rstrip("0").rstrip(".")


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


# --- text decoding -------------------------------------------------------------------------------


def looks_like_html_document(data: bytes) -> bool:
    head = data[:2048]
    codec = bom_codec(head)
    start = head.decode(codec, errors="ignore") if codec else head.decode("latin-1")
    return _HTML_DOCUMENT_START.match(start) is not None


def bom_codec(data: bytes) -> str | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name); raises SkipFile('binary content')."""
    codec = bom_codec(data)
    if codec not in _WIDE_CODECS and b"\x00" in data:
        raise SkipFile("binary content")
    if codec is None:
        text, encoding = decode_without_bom(data)
    else:
        # A few damaged sequences become U+FFFD; too many of them count as binary below.
        text, encoding = data.decode(codec, errors="replace"), codec
    if has_too_many_binary_characters(text):
        raise SkipFile("binary content")
    return text, encoding


def decode_without_bom(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Checked before charset-normalizer, which is slow on large files and often guesses
    # cp1250/cp1257 for short Western text (turning "déjà" into "déjŕ").
    western = decode_as_western(data)
    if western is not None:
        return western, "cp1252"
    match = charset_normalizer.from_bytes(data).best()
    if match is None:
        raise SkipFile("binary content")
    return str(match), canonical_encoding_name(match.encoding)


def decode_as_western(data: bytes) -> str | None:
    """cp1252 text if it reads as a Latin-script language: accented letters sit inside ASCII words.

    Cyrillic or Greek bytes decoded as cp1252 give words made only of accented letters ("Ïðèâåò").
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    sample_words = _LETTER_RUN.findall(text, 0, _WESTERN_SAMPLE_CHARS)
    accented_words = [word for word in sample_words if not word.isascii()]
    if not accented_words:
        return text
    mixed = sum(1 for word in accented_words if any(char.isascii() for char in word))
    return text if mixed * 2 >= len(accented_words) else None


def canonical_encoding_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def has_too_many_binary_characters(text: str) -> bool:
    if not text:
        return False
    binary = sum(1 for _ in _BINARY_CHARACTERS.finditer(text))
    return binary > len(text) * _MAX_BINARY_SHARE


# --- HTML ----------------------------------------------------------------------------------------


def load_html(html: str, encoding: str) -> LoadedText:
    html = drop_hidden_elements(html)
    text, title, meta = extract_with_trafilatura(html)
    if title is None or not text.strip():
        soup = parse_html(html)
        title = title or soup_title(soup)
        if not text.strip():
            text = soup_body_text(soup)  # after the title: this strips tags out of the tree
    text = ensure_not_empty(normalize_text(text))
    return LoadedText(text=text, kind="html", encoding=encoding, html_title=title, html_meta=meta)


_MAY_HIDE = re.compile(r"\shidden\b|\sstyle\s*=", re.IGNORECASE)


def drop_hidden_elements(html: str) -> str:
    """The page without the elements a browser does not show (the ``hidden`` attribute, or an inline style
    such as display:none or white on white): a reader never sees their text, so it must not become a
    passage (hidden text is where instructions aimed at a language model are put). Unchanged when there
    are none."""
    if not _MAY_HIDE.search(html):
        return html
    soup = parse_html(html)
    hidden = [tag for tag in soup.find_all(True) if is_hidden_element(tag)]
    if not hidden:
        return html
    for tag in hidden:
        if not tag.decomposed:  # not already gone with a hidden parent
            tag.decompose()
    return str(soup)


def is_hidden_element(tag: Tag) -> bool:
    style = tag.get("style")
    return tag.has_attr("hidden") or (isinstance(style, str) and style_hides_text(style))


def extract_with_trafilatura(html: str) -> tuple[str, str | None, dict[str, str]]:
    """Main text, title and metadata; ('', None, {}) when trafilatura finds nothing."""
    try:
        # bare_extraction(output_format="python").text is exactly extract(output_format="txt"),
        # so one parse gives both the text and the metadata.
        document = trafilatura.bare_extraction(
            html,
            output_format="python",
            include_comments=False,
            include_tables=True,
            favor_recall=True,
            with_metadata=True,
        )
    except Exception:  # a parser failure on hostile HTML must fall back, not crash
        return "", None, {}
    if document is None:
        return "", None, {}
    meta = {name: clean_meta_value(getattr(document, name, None)) for name in _HTML_META_FIELDS}
    title = clean_meta_value(getattr(document, "title", None)) or None
    text = getattr(document, "text", None) or ""
    return text, title, {name: value for name, value in meta.items() if value}


def clean_meta_value(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def parse_html(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def soup_title(soup: BeautifulSoup) -> str | None:
    og_title = soup.find("meta", attrs={"property": "og:title"})
    candidates = [
        og_title.get("content") if isinstance(og_title, Tag) else None,
        soup.title.get_text() if soup.title else None,
        soup.h1.get_text() if soup.h1 else None,
    ]
    for candidate in candidates:
        title = clean_meta_value(candidate)
        if title:
            return title
    return None


def soup_body_text(soup: BeautifulSoup) -> str:
    """Visible body text, one block element per line."""
    root = soup.body or soup
    for tag in root.find_all(_HTML_DROPPED_TAGS):
        tag.decompose()
    for string in list(root.find_all(string=True)):
        if isinstance(string, NavigableString) and string.find_parent("pre") is None:
            string.replace_with(re.sub(r"\s+", " ", str(string)))
    for tag in root.find_all(_HTML_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (" ".join(line.split()) for line in root.get_text().split("\n"))
    return "\n".join(line for line in lines if line)


# --- PDF -----------------------------------------------------------------------------------------


def extract_pdf_text(data: bytes) -> str:
    # pypdf raises many exception types (and plain ValueError/KeyError) on malformed files.
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:
        raise SkipFile(f"unreadable PDF: {short_error(exc)}") from None
    if encrypted and not opens_with_empty_password(reader):
        raise SkipFile("encrypted PDF")
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise SkipFile(f"unreadable PDF: {short_error(exc)}") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise SkipFile("no extractable text (scanned PDF?)")
    return text


def opens_with_empty_password(reader: PdfReader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without a crypto backend: still just "encrypted"
        return False


def short_error(exc: Exception, limit: int = 80) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message if len(message) <= limit else message[: limit - 1].rstrip() + "…"
