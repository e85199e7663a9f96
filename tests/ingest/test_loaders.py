"""ingest.loaders: bytes of any supported file become decoded text, or SkipFile with a short reason."""

from __future__ import annotations

import errno
import io
import os
import time
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ingest.loaders import SUPPORTED_SUFFIXES, LoadedText, SkipFile, load_bytes, load_file, sniff_kind

MB = 1024 * 1024
LIMIT = 5 * MB

NEWS_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Ceasefire talks resume | Example News</title>
  <meta property="og:title" content="Ceasefire talks resume in Geneva">
  <meta property="og:url" content="https://news.example.com/2025/03/11/ceasefire-talks">
  <meta property="og:site_name" content="Example News">
  <meta property="article:published_time" content="2025-03-11T08:00:00Z">
  <script>var tracker = "<script>alert('x')</script>"; document.write("tracking");</script>
  <style>p { color: red; }</style>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
  <article>
    <h1>Ceasefire talks resume in Geneva</h1>
    <p>Negotiators from both countries met in Geneva on Tuesday to resume ceasefire talks, officials said.</p>
    <p>The talks focused on prisoner exchanges and the <a href="/x">withdrawal of heavy weapons</a>
       from the front line.</p>
    <p>A spokesperson said the sides would meet again next week.</p>
  </article>
  <script>trackPageView();</script>
  <footer><p>We use cookies to improve your experience on our website.</p><button>Accept all</button></footer>
</body>
</html>
"""

MAIN_PARAGRAPHS = (
    "Negotiators from both countries met in Geneva on Tuesday to resume ceasefire talks, officials said.",
    "The talks focused on prisoner exchanges and the withdrawal of heavy weapons from the front line.",
    "A spokesperson said the sides would meet again next week.",
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def skip_reason(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(SkipFile) as caught:
        load_file(path, max_bytes=max_bytes)
    assert caught.value.reason == str(caught.value)
    return caught.value.reason


def tiny_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF whose content stream draws `lines` in Helvetica."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- text decoding -------------------------------------------------------------------------------


def test_utf8_text(tmp_path: Path) -> None:
    text = "Zelensky met Macron in Kyiv — “talks”.\n"
    loaded = load_file(write(tmp_path, "a.txt", text.encode()), max_bytes=LIMIT)
    assert loaded == LoadedText(text=text, kind="text", encoding="utf-8")


def test_utf8_bom_is_consumed(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "a.txt", "\ufeffcafé".encode()), max_bytes=LIMIT)
    assert loaded.text == "café"
    assert loaded.encoding == "utf-8-sig"


def test_latin1_is_decoded_correctly(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "a.txt", "Zelensky café déjà vu".encode("latin-1")), max_bytes=LIMIT)
    assert loaded.text == "Zelensky café déjà vu"
    assert loaded.encoding == "cp1252"


def test_cp1252_smart_quotes(tmp_path: Path) -> None:
    text = "Russia’s war – “peace” talks in Genève."
    assert load_file(write(tmp_path, "a.txt", text.encode("cp1252")), max_bytes=LIMIT).text == text


def test_cyrillic_single_byte_text_is_not_read_as_western(tmp_path: Path) -> None:
    text = "Переговоры о прекращении огня продолжатся в Женеве на следующей неделе."
    loaded = load_file(write(tmp_path, "a.txt", text.encode("cp1251")), max_bytes=LIMIT)
    assert loaded.text == text


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(tmp_path: Path, codec: str) -> None:
    text = "Ceasefire talks in Genève\nsecond line"
    bom = {"utf-16-be": b"\xfe\xff"}.get(codec, b"")
    loaded = load_file(write(tmp_path, "a.txt", bom + text.encode(codec)), max_bytes=LIMIT)
    assert loaded.text == text
    assert loaded.encoding == ("utf-32" if codec == "utf-32" else "utf-16")


def test_newlines_are_normalized_and_text_is_nfc(tmp_path: Path) -> None:
    data = "one\r\ntwo\rthree\ncafe\u0301".encode()
    assert load_file(write(tmp_path, "a.md", data), max_bytes=LIMIT).text == "one\ntwo\nthree\ncafé"


@pytest.mark.parametrize("size", [64, 512, 4096, 65536])
def test_random_bytes_are_binary(tmp_path: Path, size: int) -> None:
    assert skip_reason(write(tmp_path, "noise.txt", os.urandom(size))) == "binary content"


def test_nul_byte_without_bom_is_binary(tmp_path: Path) -> None:
    assert skip_reason(write(tmp_path, "a.txt", b"plain text\x00with a nul")) == "binary content"


def test_many_control_characters_are_binary(tmp_path: Path) -> None:
    data = ("mostly text \x01\x02\x03\x04 " * 50).encode()
    assert skip_reason(write(tmp_path, "a.txt", data)) == "binary content"


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", "\ufeff  \n".encode(), " \n ".encode("utf-16")])
def test_empty_and_whitespace_only_files(tmp_path: Path, data: bytes) -> None:
    assert skip_reason(write(tmp_path, "a.txt", data)) == "empty file"


# --- file system ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.xyz", "a.docx", "README", "a.txt.bak"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    suffix = Path(name).suffix or "(no extension)"
    assert skip_reason(write(tmp_path, name, b"hello")) == f"unsupported file type {suffix}"


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "NOTES.TXT", b"hello"), max_bytes=LIMIT).kind == "text"
    assert load_file(write(tmp_path, "notes.MarkDown", b"# hi"), max_bytes=LIMIT).kind == "markdown"
    assert {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf"} == SUPPORTED_SUFFIXES


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"a" * (10 * MB))
    started = time.perf_counter()
    assert skip_reason(path, max_bytes=5 * MB) == "larger than the 5 MB limit"
    assert time.perf_counter() - started < 0.5


def test_large_single_line_within_limit_loads_fast(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"a" * (10 * MB))
    started = time.perf_counter()
    loaded = load_file(path, max_bytes=20 * MB)
    assert len(loaded.text) == 10 * MB
    assert time.perf_counter() - started < 3


def test_limit_message_formats_fractional_megabytes(tmp_path: Path) -> None:
    assert skip_reason(write(tmp_path, "a.txt", b"x" * 3 * MB), max_bytes=MB * 5 // 2) == (
        "larger than the 2.5 MB limit"
    )


def test_load_bytes_enforces_the_same_rules() -> None:
    with pytest.raises(SkipFile, match="larger than the 1 MB limit"):
        load_bytes(b"a" * (MB + 1), suffix=".txt", max_bytes=MB)
    with pytest.raises(SkipFile, match=r"unsupported file type \.exe"):
        load_bytes(b"MZ", suffix=".EXE", max_bytes=MB)
    assert load_bytes(b"hello", suffix="md", max_bytes=MB).kind == "markdown"


def test_symlink_loop_is_unreadable(tmp_path: Path) -> None:
    loop = tmp_path / "loop.txt"
    os.symlink(loop, loop)
    reason = skip_reason(loop)
    assert reason.startswith("unreadable: ")
    assert str(tmp_path) not in reason


def test_broken_symlink_is_unreadable(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    os.symlink(tmp_path / "missing.txt", link)
    reason = skip_reason(link)
    assert reason.startswith("unreadable: ")
    assert "missing" not in reason and str(tmp_path) not in reason


def test_directory_is_unreadable(tmp_path: Path) -> None:
    directory = tmp_path / "folder.txt"
    directory.mkdir()
    assert skip_reason(directory) == "unreadable: Is a directory"


def test_permission_denied_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.txt", b"hello")

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    # chmod 0 is no obstacle when the tests run as root, so simulate the refusal.
    monkeypatch.setattr(Path, "open", deny)
    assert skip_reason(path) == "unreadable: Permission denied"


def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.txt"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    assert skip_reason(fifo) == "unreadable: not a regular file"


def test_a_named_pipe_in_a_news_folder_is_skipped_by_the_ingest(tmp_path: Path) -> None:
    from assistant.settings import Settings
    from ingest.pipeline import discover, read_source

    os.mkfifo(tmp_path / "feed.txt")
    files, _ = discover([tmp_path])
    with pytest.raises(SkipFile, match="not a regular file"):
        read_source(files[0], Settings().max_file_bytes)


# --- kinds ---------------------------------------------------------------------------------------


def test_sniff_kind_prefers_content_over_suffix() -> None:
    assert sniff_kind(b"%PDF-1.7 ...", ".txt") == "pdf"
    assert sniff_kind(b"\n  <!DOCTYPE HTML><html></html>", ".txt") == "html"
    assert sniff_kind(b"\xef\xbb\xbf<html lang='en'>", ".md") == "html"
    assert sniff_kind("<!doctype html>".encode("utf-16"), ".txt") == "html"
    assert sniff_kind(b"# Title", ".md") == "markdown"
    assert sniff_kind(b"<p>fragment</p>", ".htm") == "html"
    assert sniff_kind(b"<p>fragment</p>", ".txt") == "text"
    assert sniff_kind(b"<htmlfoo>", ".txt") == "text"
    assert sniff_kind(b"plain", ".pdf") is None
    assert sniff_kind(b"plain", ".xyz") is None


def test_html_page_keeps_main_paragraphs_only(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "page.html", NEWS_PAGE), max_bytes=LIMIT)
    assert loaded.kind == "html"
    assert loaded.encoding == "utf-8"
    lines = loaded.text.split("\n")
    for paragraph in MAIN_PARAGRAPHS:
        assert paragraph in lines
    for markup_or_script in ("<script", "<p", "alert(", "trackPageView", "color: red", "Sport"):
        assert markup_or_script not in loaded.text
    assert loaded.html_title == "Ceasefire talks resume in Geneva"
    assert loaded.html_meta == {
        "url": "https://news.example.com/2025/03/11/ceasefire-talks",
        "date": "2025-03-11",
        "sitename": "Example News",
    }


def test_txt_containing_an_html_document_is_html(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "saved-page.txt", NEWS_PAGE), max_bytes=LIMIT)
    assert loaded.kind == "html"
    assert MAIN_PARAGRAPHS[0] in loaded.text
    assert "<" not in loaded.text


def test_html_fragment_without_article_falls_back_to_body_text(tmp_path: Path) -> None:
    page = b"<div><script>evil()</script><p>Only <b>one</b> line.</p></div>"
    loaded = load_file(write(tmp_path, "fragment.htm", page), max_bytes=LIMIT)
    assert loaded.kind == "html"
    assert "Only" in loaded.text and "evil" not in loaded.text and "<" not in loaded.text


def test_html_without_text_is_empty(tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><head><title>T</title></head><body><script>x()</script></body></html>"
    assert skip_reason(write(tmp_path, "blank.html", page)) == "empty file"


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    pdf = tiny_pdf(["Ceasefire talks resume in Geneva", "Officials met on Tuesday."])
    loaded = load_file(write(tmp_path, "report.pdf", pdf), max_bytes=LIMIT)
    assert loaded.kind == "pdf"
    assert loaded.encoding is None
    assert "Ceasefire talks resume in Geneva" in loaded.text
    assert "Officials met on Tuesday." in loaded.text


def test_pdf_is_recognized_by_content_whatever_the_suffix(tmp_path: Path) -> None:
    loaded = load_file(write(tmp_path, "report.txt", tiny_pdf(["Hello Newsdesk"])), max_bytes=LIMIT)
    assert loaded.kind == "pdf"
    assert loaded.text == "Hello Newsdesk"


def test_pdf_encrypted_with_empty_user_password_opens(tmp_path: Path) -> None:
    pdf = encrypted(tiny_pdf(["Hello Newsdesk"]), user_password="")
    assert load_file(write(tmp_path, "open.pdf", pdf), max_bytes=LIMIT).text == "Hello Newsdesk"


def test_password_protected_pdf_is_skipped(tmp_path: Path) -> None:
    pdf = encrypted(tiny_pdf(["Hello Newsdesk"]), user_password="secret")
    assert skip_reason(write(tmp_path, "locked.pdf", pdf)) == "encrypted PDF"


def test_pdf_without_text_is_skipped(tmp_path: Path) -> None:
    assert skip_reason(write(tmp_path, "scan.pdf", tiny_pdf([]))) == "no extractable text (scanned PDF?)"


@pytest.mark.parametrize("data", [b"%PDF-1.4\ngarbage\n", b"%PDF-", b"%PDF-1.7\n" + bytes(range(256)) * 4])
def test_garbage_pdf_is_skipped(tmp_path: Path, data: bytes) -> None:
    reason = skip_reason(write(tmp_path, "broken.pdf", data))
    assert reason.startswith("unreadable PDF: ") or reason == "no extractable text (scanned PDF?)"
    assert len(reason) < 120


def test_pdf_suffix_with_other_content_is_skipped(tmp_path: Path) -> None:
    not_a_pdf = "not a PDF (content does not match .pdf)"
    assert skip_reason(write(tmp_path, "fake.pdf", b"just some text")) == not_a_pdf
    assert skip_reason(write(tmp_path, "page.pdf", NEWS_PAGE)) == not_a_pdf
