"""Shared fixtures: real embedding model (loaded once), real Chroma in temporary folders.

With NEWSDESK_TEST_CHROMA=server the indexes of `make_settings` and `seed_index` live on a real `chroma run`
server instead (one per session, a collection per test), so the ingest and chain suites can be run
against server mode unchanged: `make test` does that for the ingest, chain and evaluation suites."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings

PROJECT = Path(__file__).resolve().parent.parent
SEED_CORPUS = PROJECT / "data" / "corpus"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's ASSISTANT_* variables or .env file."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") or name in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


SERVER_MODE = os.environ.get("NEWSDESK_TEST_CHROMA", "local") == "server"


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """The URL of a session-wide `chroma run` in server mode; None for local indexes."""
    if not SERVER_MODE:
        yield None
        return
    from tests.support.chroma_server import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "data").start()
    yield server.url
    server.stop()


def index_location(chroma_url: str | None) -> dict[str, object]:
    """Settings that put an index on the test server, in a collection of its own; {} for local mode."""
    return {"chroma_url": chroma_url, "collection": f"test-{uuid.uuid4().hex[:12]}"} if chroma_url else {}


def settings_environment(settings: Settings) -> dict[str, str]:
    """The ASSISTANT_* variables that make a subprocess open the same index as `settings`."""
    env = {"ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    if settings.chroma_url:
        env |= {"ASSISTANT_CHROMA_URL": settings.chroma_url, "ASSISTANT_COLLECTION": settings.collection}
    return env


@pytest.fixture(scope="session")
def embeddings():  # type: ignore[no-untyped-def]
    from assistant.providers import make_embeddings

    return make_embeddings(Settings())


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the seed corpus that a test may edit."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, target)
    return target


@pytest.fixture
def make_settings(tmp_path: Path, corpus: Path, chroma_url: str | None) -> Callable[..., Settings]:
    location = index_location(chroma_url)  # one index per test, as a local folder would be

    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {"index_dir": tmp_path / "index", "corpus_dir": corpus, **location}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return factory


@pytest.fixture(scope="session")
def seed_index(  # type: ignore[no-untyped-def]
    tmp_path_factory: pytest.TempPathFactory, embeddings, chroma_url: str | None
) -> Iterator[Settings]:
    """The seed corpus ingested once, for tests that only read."""
    from ingest.pipeline import run_ingest

    index_dir = tmp_path_factory.mktemp("seed") / "index"
    settings = Settings(index_dir=index_dir, corpus_dir=SEED_CORPUS, **index_location(chroma_url))  # type: ignore[arg-type]
    run_ingest(settings, embeddings=embeddings)
    yield settings


def fresh_chroma() -> None:
    """Forget Chroma's in-process client cache, so the next open reads what other processes wrote."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


@pytest.fixture(scope="session")
def seed_chain(seed_index: Settings, embeddings):  # type: ignore[no-untyped-def]
    """The offline chain over the seed index."""
    from assistant import build_chain

    return build_chain(seed_index, embeddings=embeddings)
