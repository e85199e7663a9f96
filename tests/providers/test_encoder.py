"""The OpenVINO embedding runtime against the reference (sentence-transformers on torch, fp32): the same
vectors, batched or one at a time, for any text; a missing or damaged model file is one clear error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ConfigurationError
from assistant.providers.encoder import Encoder, best_precision, is_built
from assistant.providers.encoder_embeddings import EncoderEmbeddings
from assistant.settings import Settings
from tests.conftest import PROJECT, SEED_CORPUS


def sample_texts() -> list[str]:
    """Paragraphs of the seed documents, some headlines, and the edge cases."""
    paragraphs = [
        line.strip()
        for path in sorted(SEED_CORPUS.iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [*paragraphs[:120], "", " ", "a", "Ukraine " * 600, "Вашингтон и Киев договорились о перемирии."]


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    from assistant.providers import make_embeddings

    return make_embeddings(Settings(embedding_runtime="torch"))


@pytest.fixture(scope="module", params=["f32", "bf16"])
def runtime(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    from assistant.providers import make_embeddings

    return make_embeddings(Settings(inference_precision=request.param))


def test_vectors_agree_with_sentence_transformers(runtime, reference) -> None:  # type: ignore[no-untyped-def]
    texts = sample_texts()
    ours = np.asarray(runtime.embed_documents(texts))
    theirs = np.asarray(reference.embed_documents(texts))
    cosine = (ours * theirs).sum(axis=1)
    print(f"\n{runtime.variant} vs torch fp32 on {len(texts)} texts: cosine mean {cosine.mean():.6f}, "
          f"min {cosine.min():.6f}")  # fmt: skip
    assert cosine.mean() >= 0.9999 and cosine.min() >= 0.9995
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batches_and_single_queries_agree(runtime) -> None:  # type: ignore[no-untyped-def]
    texts = [*sample_texts()[:40], "", "Ukraine " * 600]
    batched = np.asarray(runtime.embed_documents(texts))
    single = np.asarray([runtime.embed_query(text) for text in texts])
    assert (batched * single).sum(axis=1).min() >= 0.9999


def test_empty_and_very_long_texts_are_embedded(runtime) -> None:  # type: ignore[no-untyped-def]
    vectors = runtime.embed_documents(["", "Ukraine " * 100_000])
    assert [len(v) for v in vectors] == [384, 384]
    assert runtime.embed_documents([]) == []


def test_the_precision_follows_the_cpu() -> None:
    assert best_precision(frozenset({"avx512f", "avx512_bf16"})) == "bf16"
    assert best_precision(frozenset({"amx_bf16", "amx_tile"})) == "bf16"
    assert best_precision(frozenset({"avx2", "avx512f", "avx512_vnni"})) == "f32"


def built_copy(tmp_path: Path) -> Path:
    from assistant.providers.embeddings import embedding_build

    built = embedding_build(Settings())
    assert built is not None
    copy = tmp_path / "model"
    shutil.copytree(built, copy)
    return copy


def test_a_missing_model_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"is missing\. Build it: make models"):
        Encoder(tmp_path / "nowhere", precision="f32", threads=1)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete"])
def test_a_damaged_model_file_is_one_clear_error(tmp_path: Path, damage: str) -> None:
    folder = built_copy(tmp_path)
    weights = folder / "model.bin"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[: 1 << 20])
    elif damage == "garbage":
        weights.write_bytes(b"\0" * weights.stat().st_size)
    else:
        weights.unlink()
    with pytest.raises(ConfigurationError, match=r"is damaged .*Rebuild it: make models"):
        Encoder(folder, precision="f32", threads=1)


def test_a_damaged_manifest_is_a_clear_error(tmp_path: Path) -> None:
    folder = built_copy(tmp_path)
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="is damaged"):
        Encoder(folder, precision="f32", threads=1)


def test_the_model_is_built_on_first_use_and_again_when_its_source_changes(tmp_path: Path) -> None:
    from assistant.providers import make_embeddings, resolve_model_path

    source = tmp_path / "minilm"
    shutil.copytree(resolve_model_path("all-MiniLM-L6-v2"), source)
    settings = Settings(embedding_model=str(source), model_dir=tmp_path / "models")
    embeddings = make_embeddings(settings)  # built now, from the copy
    assert isinstance(embeddings, EncoderEmbeddings) and len(embeddings.embed_query("x")) == 384
    (built,) = (tmp_path / "models").iterdir()
    assert is_built(source, built)
    config = source / "config.json"
    config.write_text(config.read_text(encoding="utf-8").replace("}", ', "note": "edited"}', 1))
    assert not is_built(source, built)


def test_serving_and_ingest_never_import_torch(seed_index: Settings, tmp_path: Path) -> None:
    """The CLI question, build_chain, the app's services and an ingest run, each in a fresh process."""
    code = """
import sys
from assistant.settings import Settings
from ingest.pipeline import run_ingest
from app import build_app_services
settings = Settings()
run_ingest(settings)
services = build_app_services(settings)
answer = services.chain.invoke({"question": "How long is the truce Ukraine agreed to?"})
assert answer.citations, answer
from assistant.answer.cli import main
assert main(["Who did Trump send to Kyiv?"]) == 0
print("TORCH" if "torch" in sys.modules else "NO TORCH", [m for m in sys.modules if m == "transformers"])
"""
    env = {"ASSISTANT_INDEX_DIR": str(seed_index.index_dir), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, env=env, timeout=240
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "NO TORCH []"


def test_an_index_built_with_torch_vectors_is_searched_alike_with_openvino(  # type: ignore[no-untyped-def]
    tmp_path: Path, reference
) -> None:
    """The variants are interchangeable: a torch-built index opens, and every seed question retrieves the
    same passages (near-ties may swap places) and gets the same answer, whichever runtime embeds it."""
    from assistant.answer.chain import build_chain
    from assistant.evaluation.cases import load_cases
    from ingest.pipeline import run_ingest

    torch_settings = Settings(index_dir=tmp_path / "index", embedding_runtime="torch", use_llm=False)
    run_ingest(torch_settings, embeddings=reference)
    torch_chain = build_chain(torch_settings, embeddings=reference)
    openvino_chain = build_chain(torch_settings.model_copy(update={"embedding_runtime": "openvino"}))
    questions = [case.question for case in load_cases([PROJECT / "tests" / "eval" / "seed.jsonl"])]
    swapped = changed = 0
    for question in questions:
        mine, theirs = (chain.invoke({"question": question}) for chain in (openvino_chain, torch_chain))
        assert {p.chunk.id for p in mine.passages} == {p.chunk.id for p in theirs.passages}, question
        swapped += [p.chunk.id for p in mine.passages] != [p.chunk.id for p in theirs.passages]
        changed += (mine.answer, mine.abstained) != (theirs.answer, theirs.abstained)
    print(f"\n{len(questions)} seed questions: {swapped} swapped near-ties, {changed} answers changed")
    assert changed == 0


def test_an_index_of_vectors_no_runtime_here_makes_is_refused(tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    from assistant.errors import IndexMismatchError
    from assistant.index.store import IndexStore
    from assistant.providers import make_chroma_client
    from ingest.pipeline import run_ingest

    settings = Settings(index_dir=tmp_path / "index")
    run_ingest(settings, embeddings=embeddings)
    chunks = make_chroma_client(settings).get_collection(settings.collection)
    chunks.modify(metadata={**(chunks.metadata or {}), "embedding_variant": "onnx-int8"})
    with pytest.raises(IndexMismatchError, match="holds onnx-int8 vectors"):
        IndexStore.open(settings, model=settings.embedding_model, dimension=384, create=False)
