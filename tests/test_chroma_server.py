"""The index on a real `chroma run` server on 127.0.0.1: ingest and answers through it, another process's
ingest seen without a restart, a rebuild, and the server going away and coming back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import IndexUnavailableError
from assistant.settings import Settings
from tests.chroma_server import ChromaServer
from tests.conftest import SEED_CORPUS

MINERALS = "What conditions did the US attach to the minerals deal?"
TREATY = (
    "Zorblat Treaty Signed\n\nThe Zorblat treaty on river shipping was signed in Reykjavik on 3 April 2025.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path_factory.mktemp("chroma") / "data").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def server_settings(server: ChromaServer, tmp_path_factory: pytest.TempPathFactory, embeddings) -> Settings:  # type: ignore[no-untyped-def]
    from ingest.pipeline import run_ingest

    root = tmp_path_factory.mktemp("server-app")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    settings = Settings(chroma_url=server.url, index_dir=root / "cache", corpus_dir=root / "corpus")
    report = run_ingest(settings, embeddings=embeddings)
    assert report.documents_total == 5
    return settings


def test_ingest_and_answers_go_through_the_server(server_settings: Settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    from assistant import build_chain

    assert not (server_settings.index_dir / "chroma").exists()  # nothing of the index is local
    answer = build_chain(server_settings, embeddings=embeddings).invoke(MINERALS)
    assert not answer.abstained and answer.citations
    assert answer.citations[0].source == "003_06470abda2abc466.txt"


def test_another_process_ingest_is_answerable_without_a_restart(
    server_settings: Settings, tmp_path: Path, embeddings
) -> None:  # type: ignore[no-untyped-def]
    from assistant import build_chain

    chain = build_chain(server_settings, embeddings=embeddings)
    assert chain.invoke("Where was the Zorblat treaty signed?").abstained
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "treaty.txt").write_text(TREATY, encoding="utf-8")
    env = dict(
        os.environ,
        ASSISTANT_CHROMA_URL=server_settings.chroma_url or "",
        ASSISTANT_INDEX_DIR=str(tmp_path / "other-cache"),  # another process, its own local cache
    )
    subprocess.run([sys.executable, "-m", "ingest", str(extra)], env=env, check=True, capture_output=True)
    for mode in ("hybrid", "keyword", "dense"):
        answer = chain.invoke({"question": "Where was the Zorblat treaty signed?", "retrieval_mode": mode})
        assert "Reykjavik" in answer.answer, mode
    (extra / "treaty.txt").write_text(TREATY.replace("Reykjavik", "Tromsø"), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "ingest", str(extra)], env=env, check=True, capture_output=True)
    answer = chain.invoke({"question": "Where was the Zorblat treaty signed?", "retrieval_mode": "keyword"})
    assert "Tromsø" in answer.answer and "Reykjavik" not in answer.answer
    (extra / "treaty.txt").unlink()
    subprocess.run([sys.executable, "-m", "ingest", str(extra)], env=env, check=True, capture_output=True)
    assert chain.invoke("Where was the Zorblat treaty signed?").abstained


def test_the_server_going_away_is_a_clear_error_and_answers_resume(tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    from assistant import build_chain
    from ingest.pipeline import run_ingest

    own = ChromaServer(tmp_path / "data").start()
    try:
        settings = Settings(chroma_url=own.url, index_dir=tmp_path / "cache", corpus_dir=SEED_CORPUS)
        run_ingest(settings, embeddings=embeddings)
        chain = build_chain(settings, embeddings=embeddings)
        assert not chain.invoke(MINERALS).abstained
        own.stop()
        with pytest.raises(IndexUnavailableError, match="cannot be read right now"):
            chain.invoke(MINERALS)
        own = ChromaServer(tmp_path / "data", own.port).start()  # back, with the same data and port
        assert not chain.invoke(MINERALS).abstained
    finally:
        own.stop()


def test_rebuild_on_the_server_and_a_clear_error_when_it_is_unreachable(tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    from assistant.chain import build_services
    from ingest.pipeline import run_ingest

    own = ChromaServer(tmp_path / "data").start()
    try:
        settings = Settings(chroma_url=own.url, index_dir=tmp_path / "cache", corpus_dir=SEED_CORPUS)
        run_ingest(settings, embeddings=embeddings)
        report = run_ingest(settings, embeddings=embeddings, rebuild=True)
        assert report.documents_total == 5 and report.chunks_embedded == report.chunks_total
    finally:
        own.stop()
    with pytest.raises(IndexUnavailableError, match="Cannot reach the Chroma server"):
        build_services(settings, embeddings=embeddings)
