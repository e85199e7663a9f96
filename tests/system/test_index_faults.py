"""A damaged or missing index: the CLI exits non-zero with one clear line, the chain raises a clear error
(never an invented citation), the app starts anyway and says what is wrong, and a rebuild recovers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.errors import IndexMismatchError, IndexUnavailableError
from assistant.settings import Settings
from benchmarks.app_process import free_port
from tests.conftest import SEED_CORPUS


def damaged_copy(seed_index: Settings, tmp_path: Path) -> Settings:
    target = tmp_path / "index"
    shutil.copytree(seed_index.index_dir, target)
    database = target / "chroma" / "chroma.sqlite3"
    os.truncate(database, database.stat().st_size // 2)
    return Settings(index_dir=target, corpus_dir=SEED_CORPUS)


def test_a_truncated_database_is_a_clear_error_and_a_rebuild_recovers(
    seed_index: Settings, tmp_path: Path, embeddings
) -> None:  # type: ignore[no-untyped-def]
    from assistant import build_chain
    from ingest.pipeline import run_ingest

    settings = damaged_copy(seed_index, tmp_path)
    with pytest.raises(IndexUnavailableError, match=r"cannot be opened .*python -m ingest --rebuild"):
        build_chain(settings, embeddings=embeddings)
    env = dict(os.environ, ASSISTANT_INDEX_DIR=str(settings.index_dir))
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "What conditions?"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot be opened" in done.stderr and done.stdout == ""
    report = run_ingest(settings, embeddings=embeddings, rebuild=True)
    assert report.documents_total == 5
    assert not build_chain(settings, embeddings=embeddings).invoke("How long is the truce?").abstained


def test_an_index_without_its_collections_is_called_empty(tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    from assistant import build_chain
    from assistant.providers import make_chroma_client

    settings = Settings(index_dir=tmp_path / "index")
    make_chroma_client(settings).create_collection("something-else")
    with pytest.raises(IndexUnavailableError, match="empty or incomplete"):
        build_chain(settings, embeddings=embeddings)


def test_an_index_built_with_another_embedding_size_is_a_mismatch(tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    from assistant import build_chain
    from assistant.providers import make_chroma_client

    settings = Settings(index_dir=tmp_path / "index")
    client = make_chroma_client(settings)
    metadata = {"embedding_model": settings.embedding_model, "embedding_dim": 3, "schema": 1}
    client.create_collection(settings.collection, metadata=metadata)
    client.create_collection(f"{settings.collection}-documents")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        build_chain(settings, embeddings=embeddings)


def test_the_app_starts_on_a_damaged_index_and_says_what_is_wrong(
    seed_index: Settings, tmp_path: Path
) -> None:
    from gradio_client import Client

    from assistant.answer.chain import build_services
    from assistant.web.launch import serve
    from assistant.web.services import unavailable_services

    settings = damaged_copy(seed_index, tmp_path).model_copy(update={"server_port": free_port()})
    with pytest.raises(IndexUnavailableError) as caught:
        build_services(settings)
    demo, url = serve(unavailable_services(settings, str(caught.value)))
    try:
        with urllib.request.urlopen(url + "config", timeout=10) as response:
            config = response.read().decode()
        assert "The index is not available" in config and "cannot be opened" in config
        assert str(tmp_path) not in config  # no absolute server paths on the page
        with pytest.raises(Exception, match="cannot be opened") as error:
            Client(url, verbose=False).predict(question="How long is the truce?", api_name="/chat")
        assert str(tmp_path) not in str(error.value)
        assert "citations" not in json.dumps(str(error.value))
    finally:
        demo.close()


def test_the_app_recovers_without_a_restart_once_the_index_is_rebuilt(
    seed_index: Settings, tmp_path: Path, embeddings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import Client

    import assistant.web.degraded
    from app import reopener
    from assistant.answer.chain import build_services
    from assistant.web.launch import serve
    from assistant.web.services import unavailable_services
    from ingest.pipeline import run_ingest

    monkeypatch.setattr(assistant.web.degraded, "RETRY_INTERVAL_S", 0.2)
    settings = damaged_copy(seed_index, tmp_path).model_copy(update={"server_port": free_port()})
    with pytest.raises(IndexUnavailableError) as caught:
        build_services(settings)
    services = unavailable_services(settings, str(caught.value), reopener(settings))
    demo, url = serve(services)
    try:
        client = Client(url, verbose=False)
        time.sleep(0.3)  # a retry is due: the index is still damaged, so the answer is still the reason
        with pytest.raises(Exception, match="cannot be opened"):
            client.predict(question="How long is the truce?", api_name="/chat")
        assert "cannot be opened" in services.problem and services.documents.documents() == []
        run_ingest(settings, embeddings=embeddings, rebuild=True)  # what the banner tells the user to do
        time.sleep(0.3)
        result = client.predict(question="How long is the truce?", api_name="/chat")
        assert result["citations"] and not result["abstained"]
        assert services.problem == "" and len(services.documents.documents()) == 5
    finally:
        demo.close()
