"""The index on a real `chroma run` server on 127.0.0.1: ingest and answers through it, another process's
ingest seen without a restart, a rebuild, and the server going away and coming back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import IndexBusyError, IndexUnavailableError
from assistant.settings import Settings
from tests.conftest import SEED_CORPUS
from tests.support.chroma_server import ChromaServer

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
    from assistant.answer.chain import build_services
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


# --- the ingest lock on the server ------------------------------------------------------------------------
def lock_settings(server: ChromaServer, tmp_path: Path, name: str) -> Settings:
    """Settings of one "machine": its own local folder (so its own file lock), the shared server."""
    return Settings(
        chroma_url=server.url, index_dir=tmp_path / name, corpus_dir=SEED_CORPUS, collection="lock-test"
    )


def test_the_server_lease_lets_one_ingest_in_at_a_time_across_machines(
    server: ChromaServer, tmp_path: Path, embeddings
) -> None:  # type: ignore[no-untyped-def]
    from assistant.index.lease import LeaseTimeout, ServerLease
    from ingest.pipeline import run_ingest

    first, second = lock_settings(server, tmp_path, "a"), lock_settings(server, tmp_path, "b")
    held = ServerLease(first)
    held.acquire(timeout=0)
    try:
        other = ServerLease(second)
        with pytest.raises(LeaseTimeout, match=held.owner):
            other.acquire(timeout=0.3)
        busy = second.model_copy(update={"ingest_lock_timeout_s": 0})
        with pytest.raises(IndexBusyError, match="Another ingest is running on the Chroma server"):
            run_ingest(busy, embeddings=embeddings)
    finally:
        held.release()
    assert held.holder() is None
    assert run_ingest(second, embeddings=embeddings).documents_total == 5  # free again
    assert ServerLease(first).holder() is None  # released after the ingest


def test_a_lease_is_renewed_while_held_and_taken_over_once_its_holder_died(
    server: ChromaServer, tmp_path: Path
) -> None:
    from assistant.index.lease import LeaseTimeout, ServerLease

    settings = lock_settings(server, tmp_path, "c")
    holder = ServerLease(settings, lease_s=0.6)
    holder.acquire(timeout=0)
    time.sleep(1.5)  # more than two leases: still held, because it is renewed
    with pytest.raises(LeaseTimeout):
        ServerLease(settings).acquire(timeout=0)
    holder._stop.set()  # the holder "dies": no more renewals, and no release
    holder._renewing.join(timeout=5)  # type: ignore[union-attr]
    successor = ServerLease(settings)
    successor.acquire(timeout=5)  # taken over once the lease has expired
    assert successor.holder() == successor.owner
    successor.release()
