"""kill -9 at random moments and concurrent ingests: the index stays readable and consistent."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from assistant.errors import IndexUnavailableError
from assistant.index.lease import LOCK_NAME
from assistant.index.store import IndexStore
from assistant.settings import Settings
from ingest.pipeline import document_version, pipeline_fingerprint, run_ingest
from tests.conftest import PROJECT, SEED_CORPUS, fresh_chroma

pytestmark = pytest.mark.slow

SUBJECTS = [
    "The envoy",
    "Kyiv",
    "The Kremlin",
    "European leaders",
    "The Treasury",
    "Analysts",
    "The White House",
]
VERBS = ["proposed", "rejected", "welcomed", "questioned", "delayed", "announced", "criticised"]
OBJECTS = ["a 30-day truce", "the minerals accord", "new sanctions", "security guarantees", "an aid package"]


def synthetic_article(number: int, revision: int) -> str:
    rng = random.Random(number * 1000 + revision)
    lines = [f"# Dispatch {number}, revision {revision}", ""]
    for paragraph in range(rng.randint(3, 6)):
        lines.append(
            " ".join(
                f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                f"in round {number}-{paragraph}-{s}."
                for s in range(rng.randint(3, 6))
            )
        )
        lines.append("")
    return "\n".join(lines)


def write_corpus(folder: Path, revision: int) -> None:
    """Revision 1: seed + 30 dispatches. Revision 2 edits 20, deletes 5 and adds 10."""
    folder.mkdir(exist_ok=True)
    for seed in SEED_CORPUS.iterdir():
        (folder / seed.name).write_bytes(seed.read_bytes())
    numbers = range(30) if revision == 1 else [n for n in range(40) if not 25 <= n < 30]
    for path in folder.glob("dispatch-*.md"):
        path.unlink()
    for n in numbers:
        text_revision = 2 if revision == 2 and n < 20 else 1
        (folder / f"dispatch-{n:02d}.md").write_text(synthetic_article(n, text_revision))


def versions(folder: Path, settings: Settings) -> dict[str, str]:
    pipeline = pipeline_fingerprint(settings)
    return {
        p.name: document_version(hashlib.sha256(p.read_bytes()).hexdigest(), pipeline)
        for p in folder.iterdir()
    }


def ingest_subprocess(corpus: Path, index_dir: Path, *extra: str) -> subprocess.Popen[str]:
    env = os.environ | {"ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_INGEST_BATCH_CHUNKS": "12"}
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "--json", "-v", *extra, str(corpus)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 120) -> list[str]:
    """Lines of stderr up to the first containing ``needle`` (the rest keeps draining in a thread)."""
    seen: list[str] = []
    found = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if needle in line:
                found.set()
        found.set()

    threading.Thread(target=drain, daemon=True).start()
    assert found.wait(timeout), f"no {needle!r} within {timeout}s: {seen}"
    return seen


def snapshot(settings: Settings) -> tuple[IndexStore, dict[str, str], dict[str, list]]:
    fresh_chroma()
    store = IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)
    catalogue = {source: record.doc_version for source, record in store.documents().items()}
    chunks: dict[str, list] = {}
    for chunk, embedding in store.iter_live_chunks(include_embeddings=True):
        chunks.setdefault(chunk.source, []).append((chunk, embedding))
    return store, catalogue, chunks


def assert_consistent(settings: Settings, allowed: dict[str, set[str]]) -> None:
    """What a reader sees: every live document complete, in one of its known versions, nothing else."""
    store, catalogue, chunks = snapshot(settings)
    for source, version in catalogue.items():
        assert version in allowed[source], source
        record = store.documents()[source]
        text = store.document_text(source) or ""
        assert len(chunks.get(source, [])) == record.chunk_count, source
        assert all(chunk.text == text[chunk.start : chunk.end] for chunk, _ in chunks[source])
    assert set(chunks) <= set(catalogue)
    assert set(store.keyword_index().ids) == {c.id for items in chunks.values() for c, _ in items}


def test_kill_9_at_random_points_then_rerun_equals_a_clean_build(tmp_path: Path, embeddings) -> None:
    rng = random.Random(20250306)
    corpus = tmp_path / "corpus"
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=corpus)
    write_corpus(corpus, 1)
    v1 = versions(corpus, settings)
    write_corpus(corpus, 2)
    v2 = versions(corpus, settings)
    allowed = {source: {v1.get(source), v2.get(source)} - {None} for source in v1 | v2}

    kills = []
    for revision, cycles in ((1, 1), (2, 3)):
        write_corpus(corpus, revision)
        for _ in range(cycles):
            process = ingest_subprocess(corpus, settings.index_dir)
            log = wait_for_line(process, "embedding model ready")
            delay = rng.uniform(0.0, 3.0)
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            commits = sum("committed" in line for line in log)
            kills.append((revision, round(delay, 2), commits, process.returncode))
            try:
                assert_consistent(settings, allowed)
            except IndexUnavailableError:
                assert revision == 1 and commits == 0, "only a first build killed early has no index yet"
        if revision == 1:
            fresh_chroma()
            run_ingest(settings, embeddings=embeddings)
    print("kills (revision, delay s, batches committed before the kill, exit code):", kills)
    assert any(code == -signal.SIGKILL and commits > 0 for _, _, commits, code in kills), "no kill mid-way"

    fresh_chroma()
    final = run_ingest(settings, embeddings=embeddings)
    assert final.files_skipped == 0
    clean = Settings(index_dir=tmp_path / "clean", corpus_dir=corpus)
    run_ingest(clean, embeddings=embeddings)

    store, catalogue, chunks = snapshot(settings)
    _, clean_catalogue, clean_chunks = snapshot(clean)
    assert catalogue == clean_catalogue == v2
    assert store.pending_sources() == []
    assert store.chunk_count() == sum(len(items) for items in chunks.values()), "orphan chunks left"
    for source, items in clean_chunks.items():
        ours = {chunk.id: (chunk, vector) for chunk, vector in chunks[source]}
        for chunk, vector in items:
            assert ours[chunk.id][0] == chunk
            # The same vector up to the runtime's precision: in bf16 a text's vector depends slightly on
            # the batch it was embedded with (its padding), and a re-run batches differently.
            assert float(np.dot(ours[chunk.id][1], vector)) >= 0.9999


def test_second_ingest_waits_or_exits_with_a_clear_message(tmp_path: Path, corpus: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    holder = FileLock(index_dir / LOCK_NAME)
    holder.acquire()
    try:
        impatient = ingest_subprocess(corpus, index_dir, "--wait", "0")
        _, err = impatient.communicate(timeout=120)
        assert impatient.returncode == 75
        assert "Another ingest is running" in err and "Traceback" not in err

        patient = ingest_subprocess(corpus, index_dir, "--wait", "120")
        wait_for_line(patient, "waiting up to 120 s")
    finally:
        holder.release()
    out, _ = patient.communicate(timeout=180)
    assert patient.returncode == 0
    assert json.loads(out)["files_added"] == 5


def test_two_concurrent_ingests_serialize_and_agree(tmp_path: Path, corpus: Path) -> None:
    index_dir = tmp_path / "index"
    first = ingest_subprocess(corpus, index_dir)
    second = ingest_subprocess(corpus, index_dir)
    results = [json.loads(p.communicate(timeout=240)[0]) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0]
    assert sorted(r["files_added"] for r in results) == [0, 5]
    assert sorted(r["files_unchanged"] for r in results) == [0, 5]
    fresh_chroma()
    store = IndexStore.open(
        Settings(index_dir=index_dir), model="all-MiniLM-L6-v2", dimension=None, create=False
    )
    assert len(store.documents()) == 5
    assert store.chunk_count() == results[0]["chunks_total"] == results[1]["chunks_total"]
