"""The sentence vectors ingest stores for the offline answerer: exactly the candidate sentences of each
document version, agreeing with the model, kept in step with edits and deletions, and what a question
reads instead of embedding sentences itself. Real Chroma, the real model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from assistant import build_chain
from assistant.index.store import IndexStore
from assistant.settings import Settings
from assistant.text.sentences import candidate_spans
from assistant.types import SentenceVectors
from ingest.pipeline import run_ingest
from tests.conftest import SEED_CORPUS

QUESTIONS = [
    "What conditions did the US attach to the minerals deal?",
    "How long is the ceasefire Ukraine agreed to?",
    "Who did Trump send to Kyiv?",
    "what did vance and rubio do",
]


def open_store(settings: Settings) -> IndexStore:
    return IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)


def test_every_document_has_the_vectors_of_its_candidate_sentences(seed_index: Settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    store = open_store(seed_index)
    records = store.documents()
    assert len(records) == len(list(SEED_CORPUS.iterdir()))
    for source, record in records.items():
        stored = store.sentence_vectors(source, record.doc_version)
        text = store.document_text(source)
        assert stored is not None and text is not None
        assert list(stored.spans) == candidate_spans(text)
        reference = np.asarray(embeddings.embed_documents([text[a:b] for a, b in stored.spans]))
        cosine = (stored.vectors * reference).sum(axis=1) / np.linalg.norm(stored.vectors, axis=1)
        assert cosine.min() >= 0.999, f"{source}: fp16 storage keeps the vectors ({cosine.min():.5f})"
        assert store.sentence_vectors(source, "another-version") is None


def test_questions_embed_no_sentence_and_answer_as_if_they_had(seed_index: Settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    stored_chain = build_chain(seed_index, embeddings=embeddings)
    computing_chain = build_chain(seed_index, embeddings=embeddings)
    computing_chain.services.retriever.sentence_vectors = lambda passages: {}  # type: ignore[method-assign]
    for question in QUESTIONS:
        stored = stored_chain.invoke({"question": question, "use_llm": False})
        computed = computing_chain.invoke({"question": question, "use_llm": False})
        assert (stored.answer, stored.abstained) == (computed.answer, computed.abstained)
        assert [c.quote for c in stored.citations] == [c.quote for c in computed.citations]
    assert stored_chain.services.sentence_vectors.computed == 0  # type: ignore[union-attr]
    assert computing_chain.services.sentence_vectors.computed > 0  # type: ignore[union-attr]


def test_edits_and_deletions_keep_the_vectors_in_step(make_settings, corpus: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    run_ingest(settings, embeddings=embeddings)
    edited, removed = corpus / "003_06470abda2abc466.txt", corpus / "000_7cb2ce7f0b4da310.txt"
    edited.write_text(
        edited.read_text() + "\n\nOfficials said a signing ceremony could follow within weeks.\n"
    )
    removed.unlink()
    report = run_ingest(settings, embeddings=embeddings)
    assert report.sentences_embedded == len(
        candidate_spans(open_store(settings).document_text(edited.name) or "")
    )
    store = open_store(settings)
    record = store.documents()[edited.name]
    stored = store.sentence_vectors(edited.name, record.doc_version)
    assert stored is not None
    assert any("signing ceremony" in text for text in stored.by_text(store.document_text(edited.name) or ""))
    assert removed.name not in store.documents()
    files = sorted(p.name for p in (settings.index_dir / f"sentences-{settings.collection}").iterdir())
    assert len(files) == len(store.documents()), f"one file per live document version, no stale ones: {files}"


def test_vectors_of_a_version_not_yet_committed_are_not_used(make_settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    """What a crash between storing a document's new sentence vectors and committing its new version
    leaves: readers keep the live version's vectors, and the next ingest removes the orphan."""
    settings = make_settings()
    run_ingest(settings, embeddings=embeddings)
    store = open_store(settings)
    source = "004_0d837e66c873dd7d.txt"
    text = store.document_text(source) or ""
    spans = tuple(candidate_spans(text))
    store.mark_pending({source: "a-version-never-committed"})
    wrong = np.zeros((len(spans), 384), dtype=np.float32)
    store.write_sentences([SentenceVectors(source, "a-version-never-committed", spans, wrong)])
    folder = settings.index_dir / f"sentences-{settings.collection}"
    assert len(list(folder.iterdir())) == len(store.documents()) + 1
    chain = build_chain(settings, embeddings=embeddings)
    answer = chain.invoke({"question": "How long is the ceasefire Ukraine agreed to?", "use_llm": False})
    assert not answer.abstained and "30-day" in answer.answer
    assert chain.services.sentence_vectors.computed == 0  # type: ignore[union-attr]
    run_ingest(settings, embeddings=embeddings)
    assert len(list(folder.iterdir())) == len(store.documents()), "the orphan is gone"


def test_an_index_without_sentence_vectors_still_answers(make_settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    run_ingest(settings, embeddings=embeddings)
    shutil.rmtree(settings.index_dir / f"sentences-{settings.collection}")  # as an index built before them
    answer = build_chain(settings, embeddings=embeddings).invoke(
        {"question": "How long is the ceasefire Ukraine agreed to?", "use_llm": False}
    )
    assert not answer.abstained and "30-day" in answer.answer


def test_a_damaged_vectors_file_is_computed_around(make_settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    run_ingest(settings, embeddings=embeddings)
    for path in (settings.index_dir / f"sentences-{settings.collection}").iterdir():
        path.write_bytes(b"not a numpy file")
    chain = build_chain(settings, embeddings=embeddings)
    answer = chain.invoke({"question": "How long is the ceasefire Ukraine agreed to?", "use_llm": False})
    assert not answer.abstained and "30-day" in answer.answer
    assert chain.services.sentence_vectors.computed > 0  # type: ignore[union-attr]


def test_sentences_repeated_across_documents_are_embedded_once(
    make_settings, tmp_path: Path, embeddings
) -> None:  # type: ignore[no-untyped-def]
    """A re-edited or syndicated story repeats most sentences of another; an ingest run embeds them once."""
    folder = tmp_path / "wire"
    folder.mkdir()
    story = (
        "Ukraine agreed to a 30-day ceasefire proposed by the United States on Tuesday. "
        "Russia has not yet said whether it accepts the proposal. "
        "Talks are expected to continue in Jeddah next week."
    )
    (folder / "1-story.txt").write_text(f"Ceasefire agreed\n\n{story}\n")
    (folder / "2-other.txt").write_text(
        "Markets\n\nMarkets in Asia closed higher after a quiet session of trading.\n"
    )
    (folder / "3-update.txt").write_text(
        f"Ceasefire update\n\n{story} Officials said a signing could follow.\n"
    )
    settings = make_settings(corpus_dir=folder, ingest_batch_chunks=1)
    report = run_ingest(settings, embeddings=embeddings)
    assert report.sentences_embedded == 5, "the update's three repeated sentences are reused"
    store = open_store(settings)
    for source, record in store.documents().items():
        stored = store.sentence_vectors(source, record.doc_version)
        text = store.document_text(source) or ""
        assert stored is not None and list(stored.spans) == candidate_spans(text)
        reference = np.asarray(embeddings.embed_documents([text[a:b] for a, b in stored.spans]))
        cosine = (stored.vectors * reference).sum(axis=1) / np.linalg.norm(stored.vectors, axis=1)
        assert cosine.min() >= 0.999
