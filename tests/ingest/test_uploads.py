"""ingest.uploads: uploaded files are checked by content, stored under safe names and indexed, or refused
with a clear sentence; against real Chroma and the real embedding model, in a fresh index per test."""

from __future__ import annotations

import hashlib
import os
import threading
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import given
from hypothesis import strategies as st

import ingest.uploads as uploads_module
from assistant.index.lease import LOCK_NAME
from assistant.index.store import IndexStore
from assistant.settings import Settings
from assistant.types import DocumentRecord
from ingest.pipeline import Ingestor
from ingest.uploads import (
    MAX_NAME_BYTES,
    MAX_NAME_CHARS,
    UploadInbox,
    UploadOutcome,
    numbered_name,
    safe_name,
)
from tests.ingest.test_loaders import NEWS_PAGE, tiny_pdf

ARTICLE = (
    "Flood barriers were raised along the river in Rotterdam on Monday as water levels kept rising.\n\n"
    "The city council said the barriers would stay up until the end of the week."
)
OTHER_ARTICLE = (
    "A rare orchid was found growing on a roundabout in Leeds, botanists reported on Friday.\n\n"
    "The council agreed to leave the roundabout unmowed until the flowers have seeded."
)
BOILERPLATE = "We use cookies to improve your experience on our website. Accept all cookies."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        index_dir=tmp_path / "index", upload_dir=tmp_path / "uploaded", corpus_dir=tmp_path / "corpus"
    )


@pytest.fixture
def inbox(settings: Settings, embeddings) -> UploadInbox:  # type: ignore[no-untyped-def]
    return UploadInbox(settings, embeddings)


@pytest.fixture
def incoming(tmp_path: Path) -> Callable[[str, bytes], tuple[str, Path]]:
    """Writes a file the way Gradio leaves an upload: under a temporary name of its own."""
    folder = tmp_path / "gradio"
    folder.mkdir()
    counter = iter(range(1_000_000))

    def write(name: str, data: bytes) -> tuple[str, Path]:
        path = folder / f"upload-{next(counter)}"
        path.write_bytes(data)
        return name, path

    return write


@pytest.fixture
def ingest_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Records every ingest run the inbox starts (the real run still happens)."""
    runs: list[object] = []
    real_run = Ingestor.run

    def run(self: Ingestor, *args: object, **kwargs: object) -> object:
        runs.append(args)
        return real_run(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(uploads_module.Ingestor, "run", run)
    yield runs


def documents(settings: Settings) -> dict[str, DocumentRecord]:
    return IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False).documents()


def stored_files(settings: Settings) -> dict[str, bytes]:
    """Everything under upload_dir, hidden files included, by path relative to it."""
    return {
        p.relative_to(settings.upload_dir).as_posix(): p.read_bytes()
        for p in sorted(settings.upload_dir.rglob("*"))
        if p.is_file()
    }


def assert_friendly(outcomes: list[UploadOutcome], tmp_path: Path) -> None:
    for outcome in outcomes:
        assert str(tmp_path) not in outcome.message and "Traceback" not in outcome.message
        assert outcome.message.endswith(".") and "\n" not in outcome.message
        assert (outcome.source is None) == (outcome.status == "rejected")


# --- adding ----------------------------------------------------------------------------------------


def test_text_upload_is_stored_indexed_and_searchable(
    inbox: UploadInbox, settings: Settings, incoming, embeddings, tmp_path: Path
) -> None:
    outcomes = inbox.add([incoming("Rotterdam floods.txt", ARTICLE.encode())])

    assert outcomes == [
        UploadOutcome(
            "Rotterdam floods.txt",
            "added",
            "Rotterdam floods.txt was added as uploads/Rotterdam-floods.txt.",
            "uploads/Rotterdam-floods.txt",
        )
    ]
    assert stored_files(settings) == {"uploads/Rotterdam-floods.txt": ARTICLE.encode()}
    record = documents(settings)["uploads/Rotterdam-floods.txt"]
    assert record.root == str(settings.upload_dir)
    assert record.content_hash == hashlib.sha256(ARTICLE.encode()).hexdigest()
    store = IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)
    hits = store.dense_search(embeddings.embed_query("Why were flood barriers raised in Rotterdam?"), k=1)
    assert hits[0].chunk.source == "uploads/Rotterdam-floods.txt"
    assert "Flood barriers were raised" in hits[0].chunk.text
    assert_friendly(outcomes, tmp_path)


def test_identical_reupload_is_unchanged_and_starts_no_ingest(
    inbox: UploadInbox, settings: Settings, incoming, ingest_runs: list[object]
) -> None:
    inbox.add([incoming("floods.txt", ARTICLE.encode())])
    before = documents(settings)

    again = inbox.add(
        [incoming("floods.txt", ARTICLE.encode()), incoming("copy of floods.md", ARTICLE.encode())]
    )

    assert [(o.status, o.source) for o in again] == [("unchanged", "uploads/floods.txt")] * 2
    assert again[1].message == "copy of floods.md is already indexed as uploads/floods.txt."
    assert len(ingest_runs) == 1
    assert documents(settings) == before  # same versions, same ingested_at
    assert list(stored_files(settings)) == ["uploads/floods.txt"]


def test_stored_extension_follows_the_detected_kind(
    inbox: UploadInbox, settings: Settings, incoming, ingest_runs: list[object], tmp_path: Path
) -> None:
    pdf = tiny_pdf(["Flood barriers were raised in Rotterdam on Monday."])

    outcomes = inbox.add(
        [
            incoming("scan.txt", pdf),
            incoming("page.txt", NEWS_PAGE),
            incoming("notes.markdown", b"# Notes\n\nHi."),
        ]
    )

    assert [(o.status, o.source) for o in outcomes] == [
        ("added", "uploads/scan.pdf"),
        ("added", "uploads/page.html"),
        ("added", "uploads/notes.md"),
    ]
    assert len(ingest_runs) == 1  # one run for every accepted file of a call
    records = documents(settings)
    assert records["uploads/scan.pdf"].kind == "pdf"
    assert records["uploads/page.html"].kind == "html"
    assert records["uploads/page.html"].title == "Ceasefire talks resume in Geneva"
    assert stored_files(settings)["uploads/scan.pdf"] == pdf
    assert_friendly(outcomes, tmp_path)


def test_same_name_with_new_content_replaces_the_document(
    inbox: UploadInbox, settings: Settings, incoming
) -> None:
    inbox.add([incoming("notes.txt", ARTICLE.encode())])

    outcomes = inbox.add([incoming("notes.txt", OTHER_ARTICLE.encode())])

    assert outcomes == [
        UploadOutcome(
            "notes.txt", "updated", "notes.txt replaced the earlier uploads/notes.txt.", "uploads/notes.txt"
        )
    ]
    assert stored_files(settings) == {"uploads/notes.txt": OTHER_ARTICLE.encode()}
    store = IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)
    assert list(store.documents()) == ["uploads/notes.txt"]
    text = store.document_text("uploads/notes.txt") or ""
    assert "orchid" in text and "Rotterdam" not in text
    assert all("Rotterdam" not in chunk.text for chunk, _ in store.iter_live_chunks())


def test_duplicate_names_in_one_call(inbox: UploadInbox, settings: Settings, incoming) -> None:
    outcomes = inbox.add(
        [
            incoming("notes.txt", ARTICLE.encode()),
            incoming("notes.txt", OTHER_ARTICLE.encode()),
            incoming("NOTES.txt", ARTICLE.encode()),
        ]
    )

    assert [(o.name, o.status, o.source) for o in outcomes] == [
        ("notes.txt", "added", "uploads/notes.txt"),
        ("notes.txt", "added", "uploads/notes-2.txt"),
        ("NOTES.txt", "unchanged", "uploads/notes.txt"),
    ]
    assert set(documents(settings)) == {"uploads/notes.txt", "uploads/notes-2.txt"}
    assert stored_files(settings)["uploads/notes-2.txt"] == OTHER_ARTICLE.encode()


def test_empty_list_does_nothing(inbox: UploadInbox, settings: Settings, ingest_runs: list[object]) -> None:
    assert inbox.add([]) == []
    assert ingest_runs == []
    assert not settings.upload_dir.exists()


# --- refusing --------------------------------------------------------------------------------------


def test_junk_is_rejected_with_clear_messages_and_nothing_stored(
    inbox: UploadInbox, settings: Settings, incoming, ingest_runs: list[object], tmp_path: Path
) -> None:
    outcomes = inbox.add(
        [
            incoming("report.txt", bytes(range(256)) * 8),
            incoming("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(500)),
            incoming("empty.md", b""),
            incoming("blank.txt", b" \n\t\n"),
            incoming("fake.pdf", b"just some text"),
            incoming("broken.pdf", b"%PDF-1.4\ngarbage\n"),
        ]
    )

    assert [o.message for o in outcomes] == [
        "report.txt is not a text, Markdown, HTML or PDF document (it looks binary).",
        "photo.jpg is not a text, Markdown, HTML or PDF document (it looks binary).",
        "empty.md is empty.",
        "blank.txt is empty.",
        "fake.pdf ends in .pdf but is not a PDF document.",
        outcomes[5].message,
    ]
    assert outcomes[5].message in (
        "broken.pdf is a damaged PDF that could not be read.",
        "broken.pdf is a PDF without extractable text (is it a scanned image?).",
    )
    assert {o.status for o in outcomes} == {"rejected"}
    assert ingest_runs == []
    assert stored_files(settings) == {}
    assert_friendly(outcomes, tmp_path)


def test_oversized_file_is_rejected_from_its_size_alone(
    tmp_path: Path, embeddings, incoming, ingest_runs: list[object]
) -> None:
    settings = Settings(index_dir=tmp_path / "index", upload_dir=tmp_path / "uploaded", max_file_mb=5)
    inbox = UploadInbox(settings, embeddings)
    name, over = incoming("notes.pdf", b"")
    os.truncate(over, int(12.3 * 1024 * 1024))  # sparse: stat() says 12.3 MB, nothing is on disk
    _, huge = incoming("huge.txt", b"")
    os.truncate(huge, 64 * 1024**3)  # 64 GiB: reading it would take minutes and all the memory

    outcomes = inbox.add(
        [(name, over), ("huge.txt", huge), incoming("edge.txt", b"x" * (5 * 1024 * 1024 + 1))]
    )

    assert [o.message for o in outcomes] == [
        "notes.pdf is 12.3 MB; the limit is 5 MB.",
        "huge.txt is 65536.0 MB; the limit is 5 MB.",
        "edge.txt is 5.000001 MB; the limit is 5 MB.",
    ]
    assert ingest_runs == []
    assert stored_files(settings) == {}


def test_boilerplate_only_upload_is_rejected_and_removed_again(
    inbox: UploadInbox, settings: Settings, incoming, tmp_path: Path
) -> None:
    inbox.add([incoming("notes.txt", ARTICLE.encode())])
    before = documents(settings)

    outcomes = inbox.add(
        [incoming("cookies.txt", BOILERPLATE.encode()), incoming("notes.txt", BOILERPLATE.encode())]
    )

    reason = "has no article text left once boilerplate such as cookie notices and share buttons is removed."
    assert [(o.status, o.message) for o in outcomes] == [
        ("rejected", f"cookies.txt {reason}"),
        ("rejected", f"notes.txt {reason}"),
    ]
    # The new file is gone again; the replaced one has its old bytes back, matching the kept index entry.
    assert stored_files(settings) == {"uploads/notes.txt": ARTICLE.encode()}
    assert documents(settings) == before
    assert_friendly(outcomes, tmp_path)


def test_busy_index_rejects_and_leaves_the_folder_as_it_was(
    tmp_path: Path, embeddings, incoming, ingest_runs: list[object]
) -> None:
    settings = Settings(
        index_dir=tmp_path / "index", upload_dir=tmp_path / "uploaded", ingest_lock_timeout_s=0
    )
    inbox = UploadInbox(settings, embeddings)
    inbox.add([incoming("notes.txt", ARTICLE.encode())])
    before = documents(settings)

    with FileLock(settings.index_dir / LOCK_NAME):
        outcomes = inbox.add(
            [
                incoming("notes.txt", OTHER_ARTICLE.encode()),
                incoming("new.txt", b"Fresh news."),
                incoming("x.bin", b""),
            ]
        )

    busy = "was not added: the index is busy with another ingest; try again in a minute."
    assert [(o.status, o.message) for o in outcomes] == [
        ("rejected", f"notes.txt {busy}"),
        ("rejected", f"new.txt {busy}"),
        ("rejected", "x.bin is empty."),
    ]
    assert stored_files(settings) == {"uploads/notes.txt": ARTICLE.encode()}  # no temp file left either
    assert documents(settings) == before
    assert_friendly(outcomes, tmp_path)

    retried = inbox.add([incoming("new.txt", b"Fresh news.")])  # the lock is free again
    assert [(o.status, o.source) for o in retried] == [("added", "uploads/new.txt")]


def test_other_index_errors_reject_without_naming_server_paths(
    inbox: UploadInbox, settings: Settings, embeddings, incoming, tmp_path: Path
) -> None:
    inbox.add([incoming("notes.txt", ARTICLE.encode())])
    mismatched = UploadInbox(settings.model_copy(update={"embedding_model": "another-model"}), embeddings)

    outcomes = mismatched.add([incoming("new.txt", OTHER_ARTICLE.encode())])

    assert outcomes == [
        UploadOutcome(
            "new.txt",
            "rejected",
            "new.txt was not added: the index could not be updated right now; please try again later.",
            None,
        )
    ]
    assert stored_files(settings) == {"uploads/notes.txt": ARTICLE.encode()}


# --- names -------------------------------------------------------------------------------------------


def test_hostile_names_are_stored_safely_inside_the_upload_folder(
    inbox: UploadInbox, settings: Settings, incoming, tmp_path: Path
) -> None:
    names = ["../../etc/passwd", "..\\..\\evil.txt", "<script>.md", "/tmp/abs.txt", ".bashrc", "CON.txt", ""]
    outcomes = inbox.add(
        [incoming(name, f"News item {i}: the mayor spoke.".encode()) for i, name in enumerate(names)]
    )

    assert [(o.name, o.status, o.source) for o in outcomes] == [
        ("passwd", "added", "uploads/passwd.txt"),
        ("evil.txt", "added", "uploads/evil.txt"),
        ("<script>.md", "added", "uploads/script.md"),
        ("abs.txt", "added", "uploads/abs.txt"),
        (".bashrc", "added", "uploads/bashrc.txt"),
        ("CON.txt", "added", "uploads/_CON.txt"),
        ("", "added", "uploads/document.txt"),
    ]
    assert outcomes[-1].message == "The unnamed file was added as uploads/document.txt."
    assert sorted(stored_files(settings)) == sorted(o.source for o in outcomes if o.source)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.parts[len(tmp_path.parts)] != "index"]
    assert all(p.parent in (tmp_path / "gradio", settings.upload_dir / "uploads") for p in written)
    assert set(documents(settings)) == {o.source for o in outcomes}


@pytest.mark.parametrize(
    ("name", "suffix", "expected"),
    [
        ("../../etc/passwd", ".txt", "passwd.txt"),
        ("..\\..\\evil.txt", ".txt", "evil.txt"),
        ("<script>.md", ".md", "script.md"),
        ("My Report (final).TXT", ".pdf", "My-Report-final.pdf"),
        ("  .hidden.txt", ".txt", "hidden.txt"),
        ("ｒｅｐｏｒｔ．ｔｘｔ", ".txt", "report.txt"),  # fullwidth: NFKC
        ("a／b.txt", ".txt", "b.txt"),  # a fullwidth solidus is a separator after NFKC
        ("report.docx", ".txt", "report.docx.txt"),  # only supported extensions are replaced
        ("नमस्ते दुनिया.txt", ".txt", "नमस्ते-दुनिया.txt"),
        ("aux", ".html", "_aux.html"),
        ("lpt1.tar.gz", ".txt", "_lpt1.tar.gz.txt"),
        ("con-" + "." * 100, ".txt", "_con.txt"),
        ("...", ".txt", "document.txt"),
        ("", ".md", "document.md"),
        ("x" * 300 + ".txt", ".txt", "x" * 76 + ".txt"),
    ],
)
def test_safe_name_examples(name: str, suffix: str, expected: str) -> None:
    assert safe_name(name, suffix) == expected


def test_numbered_name_stays_within_the_limits() -> None:
    assert numbered_name("notes.txt", 2) == "notes-2.txt"
    long = safe_name("é" * 300, ".html")
    assert len(numbered_name(long, 12).encode()) <= MAX_NAME_BYTES
    assert numbered_name(long, 12).endswith("-12.html")


ALLOWED_PUNCTUATION = set("._-")


@given(name=st.text(max_size=400), suffix=st.sampled_from([".txt", ".md", ".html", ".pdf"]))
def test_safe_name_is_always_harmless(name: str, suffix: str) -> None:
    result = safe_name(name, suffix)
    stem = result.removesuffix(suffix)
    assert stem and result.endswith(suffix)
    assert "/" not in result and "\\" not in result
    assert not result.startswith((".", "-"))
    assert all(
        c.isalnum() or c in ALLOWED_PUNCTUATION or unicodedata.category(c).startswith("M") for c in result
    )
    assert len(result) <= MAX_NAME_CHARS and len(result.encode()) <= MAX_NAME_BYTES
    assert stem.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
    assert safe_name(result, suffix) == result  # a stored name is its own safe name
    assert safe_name(f"../{name}", suffix) == result or "/" in unicodedata.normalize("NFKC", name)


@given(number=st.integers(min_value=2, max_value=10_000), name=st.text(max_size=200))
def test_numbered_names_are_harmless_too(number: int, name: str) -> None:
    result = numbered_name(safe_name(name, ".txt"), number)
    assert result.endswith(f"-{number}.txt") and not result.startswith((".", "-"))
    assert len(result) <= MAX_NAME_CHARS and len(result.encode()) <= MAX_NAME_BYTES


# --- threads -----------------------------------------------------------------------------------------


def test_concurrent_uploads_of_one_name_are_serialized(
    inbox: UploadInbox, settings: Settings, embeddings, incoming
) -> None:
    texts = [ARTICLE, OTHER_ARTICLE, "The mayor of Utrecht resigned on Tuesday after a vote."]
    files = [incoming("notes.txt", text.encode()) for text in texts]
    inboxes = [inbox, UploadInbox(settings, embeddings), inbox]  # a second inbox on the same folder too
    results: list[UploadOutcome] = []
    start = threading.Barrier(len(files))

    def upload(target: UploadInbox, item: tuple[str, Path]) -> None:
        start.wait()
        results.extend(target.add([item]))

    threads = [threading.Thread(target=upload, args=pair) for pair in zip(inboxes, files, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # One call at a time: the first adds, the others replace; the folder and the index agree at the end.
    assert sorted((o.status, o.source) for o in results) == [
        ("added", "uploads/notes.txt"),
        ("updated", "uploads/notes.txt"),
        ("updated", "uploads/notes.txt"),
    ]
    stored = stored_files(settings)
    assert list(stored) == ["uploads/notes.txt"]
    record = documents(settings)["uploads/notes.txt"]
    assert record.content_hash == hashlib.sha256(stored["uploads/notes.txt"]).hexdigest()
