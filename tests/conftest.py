"""Shared fixtures: real embedding model (loaded once), real Chroma in temporary folders."""

from __future__ import annotations

import os
import shutil
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
def make_settings(tmp_path: Path, corpus: Path) -> Callable[..., Settings]:
    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {"index_dir": tmp_path / "index", "corpus_dir": corpus}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return factory


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    """The seed corpus ingested once, for tests that only read."""
    from ingest.pipeline import run_ingest

    settings = Settings(index_dir=tmp_path_factory.mktemp("seed") / "index", corpus_dir=SEED_CORPUS)
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
