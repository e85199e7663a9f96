"""Ingest against real Chroma and the real embedding model, in temporary folders."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.errors import IndexMismatchError
from assistant.index.lease import LOCK_NAME
from assistant.index.store import IndexStore
from assistant.settings import Settings
from ingest.pipeline import run_ingest
from tests.conftest import SEED_CORPUS

SEED_SOURCES = sorted(p.name for p in SEED_CORPUS.iterdir())


def open_store(settings: Settings) -> IndexStore:
    return IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)


def live_chunks(settings: Settings) -> dict[str, list]:
    by_source: dict[str, list] = {}
    for chunk, _ in open_store(settings).iter_live_chunks():
        by_source.setdefault(chunk.source, []).append(chunk)
    return by_source


def index_files_digest(index_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(index_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(index_dir.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def test_seed_corpus_is_indexed_with_exact_offsets_and_metadata(seed_index: Settings) -> None:
    store = open_store(seed_index)
    documents = store.documents()
    assert sorted(documents) == SEED_SOURCES
    chunks = live_chunks(seed_index)
    assert sum(len(c) for c in chunks.values()) == store.chunk_count()
    for source, record in documents.items():
        text = store.document_text(source)
        assert text and record.chars == len(text)
        assert len(chunks[source]) == record.chunk_count
        for chunk in chunks[source]:
            assert chunk.text == text[chunk.start : chunk.end]
            assert chunk.title == record.title
    assert documents["003_06470abda2abc466.txt"].title.startswith("U.S. Pushes Ukraine to Accept Ceasefire")
    assert {"CNN", "Reuters"} <= set(documents["001_20d8a64b5ad4b8da.txt"].outlets)
    assert any("reuters.com" in url for url in documents["000_7cb2ce7f0b4da310.txt"].urls)


def test_boilerplate_is_never_indexed(seed_index: Settings) -> None:
    texts = [c.text.lower() for chunks in live_chunks(seed_index).values() for c in chunks]
    for phrase in ["cookie", "consent", "travel ban", "student loan", "las vegas", "pslf", "share this post"]:
        assert not any(phrase in text for text in texts), phrase
    assert any("30-day truce" in text for text in texts)


def test_keyword_index_covers_exactly_the_live_chunks(seed_index: Settings) -> None:
    store = open_store(seed_index)
    keyword = store.keyword_index()
    live_ids = {c.id for chunks in live_chunks(seed_index).values() for c in chunks}
    assert set(keyword.ids) == live_ids
    best_id, _ = keyword.search("What conditions did the US attach to the minerals deal?", 1)[0]
    assert store.get_chunks([best_id])[0].source in {"003_06470abda2abc466.txt", "002_884db0deb9c6adc3.txt"}


def test_rerun_on_unchanged_corpus_embeds_nothing_and_writes_nothing(make_settings, embeddings) -> None:
    settings = make_settings()
    first = run_ingest(settings, embeddings=embeddings)
    assert (first.files_added, first.chunks_embedded) == (5, first.chunks_total)
    before = index_files_digest(settings.index_dir)
    again = run_ingest(settings, embeddings=embeddings)
    assert (again.files_unchanged, again.files_added, again.files_updated, again.chunks_embedded) == (
        5,
        0,
        0,
        0,
    )
    assert again.chunks_total == first.chunks_total
    assert index_files_digest(settings.index_dir) == before


def test_edit_replaces_exactly_that_files_chunks(make_settings, corpus: Path, embeddings) -> None:
    settings = make_settings()
    run_ingest(settings, embeddings=embeddings)
    before = live_chunks(settings)
    edited = corpus / "003_06470abda2abc466.txt"
    edited.write_text(
        edited.read_text() + "\n\nOfficials said a signing ceremony could follow within weeks.\n"
    )
    report = run_ingest(settings, embeddings=embeddings)
    assert (report.files_updated, report.files_unchanged) == (1, 4)
    assert 1 <= report.chunks_embedded <= 2, "only the changed tail is embedded again"
    after = live_chunks(settings)
    for source in before:
        same = {c.id for c in before[source]} == {c.id for c in after[source]}
        assert same == (source != edited.name)
    assert any("signing ceremony" in c.text for c in after[edited.name])
    assert open_store(settings).chunk_count() == sum(len(c) for c in after.values()), "no stale chunks"


def test_deleted_and_renamed_files_leave_no_stale_chunks(make_settings, corpus: Path, embeddings) -> None:
    settings = make_settings()
    run_ingest(settings, embeddings=embeddings)
    (corpus / "000_7cb2ce7f0b4da310.txt").unlink()
    (corpus / "002_884db0deb9c6adc3.txt").rename(corpus / "renamed.txt")
    report = run_ingest(settings, embeddings=embeddings)
    assert (report.files_deleted, report.files_added, report.chunks_embedded) == (2, 1, 0)
    store = open_store(settings)
    assert sorted(store.documents()) == sorted(
        ["001_20d8a64b5ad4b8da.txt", "003_06470abda2abc466.txt", "004_0d837e66c873dd7d.txt", "renamed.txt"]
    )
    chunks = live_chunks(settings)
    assert store.chunk_count() == sum(len(c) for c in chunks.values())
    assert set(store.keyword_index().ids) == {c.id for cs in chunks.values() for c in cs}


def test_other_folders_are_left_alone_unless_pruned(make_settings, tmp_path: Path, embeddings) -> None:
    settings = make_settings()
    run_ingest(settings, embeddings=embeddings)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.md").write_text(
        "# Kursk update\n\nUkrainian forces withdrew from two villages near Sudzha.\n"
    )
    report = run_ingest(settings, [extra], embeddings=embeddings)
    assert (report.files_added, report.files_deleted, report.documents_total) == (1, 0, 6)
    report = run_ingest(settings, [extra], embeddings=embeddings, prune=True)
    assert (report.files_deleted, report.documents_total) == (5, 1)


def test_hostile_files_are_skipped_with_reasons(make_settings, tmp_path: Path, embeddings) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "random.txt").write_bytes(os.urandom(4096))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "latin1.txt").write_bytes(
        "Zelensky a visité le café à Kyiv. Déjà vu pour l'Europe.".encode("latin-1")
    )
    (folder / "utf16.txt").write_bytes("Die Waffenruhe gilt ab Montag, sagte Selenskyj.".encode("utf-16"))
    (folder / "huge.txt").write_bytes(b"a" * (10 * 1024 * 1024))
    (folder / "program.exe").write_bytes(b"MZ\x90\x00")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "good.md").write_text("# Talks resume\n\nNegotiators met in Riyadh on Tuesday.\n")
    settings = make_settings()
    report = run_ingest(settings, [folder], embeddings=embeddings)
    reasons = {item["source"]: item["reason"] for item in report.skipped}
    assert reasons == {
        "random.txt": "binary content",
        "empty.txt": "empty file",
        "huge.txt": "larger than the 5 MB limit",
        "program.exe": "unsupported file type .exe",
        "loop.txt": reasons["loop.txt"],
    }
    assert reasons["loop.txt"].startswith("unreadable:")
    assert str(tmp_path) not in " ".join(reasons.values())
    store = open_store(settings)
    assert sorted(store.documents()) == ["good.md", "latin1.txt", "utf16.txt"]
    assert "café" in (store.document_text("latin1.txt") or "")
    assert "Waffenruhe" in (store.document_text("utf16.txt") or "")


def test_index_built_with_another_model_is_a_clear_error(seed_index: Settings) -> None:
    with pytest.raises(IndexMismatchError, match=r"all-MiniLM-L6-v2.*ASSISTANT_EMBEDDING_MODEL"):
        IndexStore.open(seed_index, model="bge-large-en-v1.5", dimension=None, create=False)
    with pytest.raises(IndexMismatchError, match="1024 dimensions"):
        IndexStore.open(seed_index, model=seed_index.embedding_model, dimension=1024, create=False)


def test_changed_chunk_settings_rechunk_every_document(make_settings, embeddings) -> None:
    run_ingest(make_settings(), embeddings=embeddings)
    report = run_ingest(make_settings(chunk_tokens=100, chunk_overlap_tokens=10), embeddings=embeddings)
    assert report.files_updated == 5
    assert all(len(c.text) < 800 for cs in live_chunks(make_settings()).values() for c in cs)


def test_missing_path_is_an_error_before_anything_is_written(make_settings, tmp_path: Path) -> None:
    from assistant.errors import AssistantError

    settings = make_settings()
    with pytest.raises(AssistantError, match="No such file or folder"):
        run_ingest(settings, [tmp_path / "nope"], embeddings=lambda: pytest.fail("model loaded"))
    assert not (settings.index_dir / "chroma").exists()


EmbedFactory = Callable[[], object]


def test_html_and_pdf_are_ingested_with_their_titles(make_settings, tmp_path: Path, embeddings) -> None:
    from tests.ingest.test_loaders import tiny_pdf

    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "page.html").write_text(
        "<html><head><title>Kyiv talks | Example News</title>"
        '<meta property="og:title" content="Negotiators meet in Riyadh"></head><body>'
        "<nav>Home | World | Sport</nav><article><h1>Negotiators meet in Riyadh</h1>"
        "<p>Ukrainian and American negotiators met in Riyadh on Tuesday to discuss a partial truce.</p>"
        "<p>The talks focused on energy infrastructure and Black Sea shipping.</p></article>"
        "<script>alert('x')</script><footer>We use cookies to improve your experience.</footer></body></html>"
    )
    (folder / "brief.pdf").write_bytes(tiny_pdf(["Sumy region evacuation expanded to six villages."]))
    settings = make_settings()
    report = run_ingest(settings, [folder], embeddings=embeddings)
    assert (report.files_added, report.files_skipped) == (2, 0)
    store = open_store(settings)
    documents = store.documents()
    assert documents["page.html"].title == "Negotiators meet in Riyadh"
    assert documents["page.html"].kind == "html" and documents["brief.pdf"].kind == "pdf"
    page = store.document_text("page.html") or ""
    assert "Black Sea shipping" in page and "alert(" not in page and "cookies" not in page
    assert "Sumy region evacuation" in (store.document_text("brief.pdf") or "")


def test_the_index_is_where_the_settings_say(seed_index: Settings) -> None:
    """Local by default; on the test server under NEWSDESK_TEST_CHROMA=server (nothing but the keyword
    cache is then written locally)."""
    from assistant.providers import make_chroma_client

    collections = {c.name for c in make_chroma_client(seed_index).list_collections()}
    assert seed_index.collection in collections
    local_database = seed_index.index_dir / "chroma" / "chroma.sqlite3"
    assert local_database.exists() is (seed_index.chroma_url is None)
