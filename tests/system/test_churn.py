"""Churn: 20 cycles of add / edit / delete / rename / restore, each followed by a re-ingest, keep the index
exactly in step with the corpus folder.

A Hypothesis state machine changes a small folder of synthetic dispatches (invented names and ledger
numbers, so every chunk has words of its own) and re-ingests it with the real embedding model into a real
Chroma index. After every cycle, and once more at teardown, it proves:

- the catalogue is the folder: one record per file, at the version its bytes and the pipeline give;
- Chroma holds exactly the chunks of those versions (none missing, no chunk of a deleted document or of a
  replaced version left behind), and so does the keyword index;
- every live chunk is in the top ``TOP_K`` of a search with its own text, in hybrid, dense and keyword mode
  (misses are counted as *unreachable*);
- no chunk of a deleted document or of an old version is ever returned, even when searching with its old
  text, nor stored, nor keyword-indexed (counted as *stale*);
- the ingest report counts what changed, only texts not stored already are embedded (a renamed file
  reuses all of its embeddings), and a second ingest right after changes nothing;
- a chain built once before the churn, as the app holds it, follows every ingest made in the same process:
  it finds the new text and never serves a stale passage;
- finally, deleting every document empties the index, and the chain notices even that (a change that
  commits no document), and still answers.

Both figures, unreachable and stale, must be 0; ``pytest -s`` prints them with the other figures.

Why one rule: Hypothesis switches rules off per example (swarm testing), which over many examples finds
more bugs, but this test can afford a single 20-cycle example, in which about half of the kinds of change
would never run. So each cycle is one rule whose argument is a list of 1-3 changes of any kind. Hypothesis
also tries its simplest example first (every choice minimal: 20 times "add a one-paragraph document");
``start`` rejects it before anything is built, so the one example paid for is a random one, derandomized
so every run is the same. No shrinking (each example costs seconds): on a failure, the printed steps are
the whole failing run, and it replays identically."""

from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, Phase, assume
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from assistant import build_chain
from assistant.answer.chain import NewsdeskChain
from assistant.index.store import IndexStore, text_hash
from assistant.retrieval.retriever import MODES, Mode
from assistant.settings import Settings
from assistant.types import Chunk, Passage
from ingest.pipeline import (
    IngestReport,
    SourceFile,
    document_version,
    pipeline_fingerprint,
    prepare_document,
    run_ingest,
)

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

pytestmark = pytest.mark.slow  # about 100 chunks embedded and 1,600 searches: 20-40 s on 2 busy cores

CYCLES = 20
TOP_K = 5
MAX_DOCUMENTS = 10
SEED_DOCUMENTS = 5
CHUNK_TOKENS = 80  # a sentence is about 40 tokens: a paragraph of 1-3 sentences makes 1-2 chunks

SYLLABLES = [
    "ka", "lo", "mir", "vet", "sa", "dun", "pre", "zol", "ta", "gri", "nom", "bel",
    "osk", "fer", "lun", "quo", "tib", "ras", "hel", "dor", "wen", "jus", "pim", "cor",
]  # fmt: skip
VERBS = ["inspected", "funded", "audited", "repaired", "surveyed", "rerouted", "catalogued", "reopened"]
OBJECTS = [
    "the grain depot",
    "a tidal barrier",
    "the railway viaduct",
    "a seed vault",
    "the ferry pier",
    "a wind farm",
    "the archive annex",
]


# --- the folder's content: articles made of numbered paragraphs ---------------------------------------
def invented_name(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


def paragraph_text(vocabulary_seed: int, serial: int) -> str:
    """1-3 sentences of invented names; ``serial`` (unique per paragraph ever written) makes them unique."""
    rng = random.Random(f"{vocabulary_seed}:{serial}")
    return " ".join(
        f"{invented_name(rng, 2)} {invented_name(rng, 3)} of {invented_name(rng, 2)}ville "
        f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} near {invented_name(rng, 3)} "
        f"on ledger {serial}-{sentence} for {rng.randint(100, 999)} {invented_name(rng, 2).lower()}s."
        for sentence in range(rng.randint(1, 3))
    )


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[int, ...]  # paragraph serials

    def render(self, vocabulary_seed: int) -> str:
        body = [paragraph_text(vocabulary_seed, serial) for serial in self.paragraphs]
        return "\n\n".join([f"# {self.title}", *body]) + "\n"


# --- the changes a cycle makes to the folder (``pick`` chooses among the candidates, modulo their number) --
@dataclass(frozen=True)
class AddDocument:
    paragraphs: int
    in_subfolder: bool
    suffix: str


@dataclass(frozen=True)
class EditDocument:
    """Rewrites some paragraphs and keeps the others; may also append, drop or retitle (or change nothing:
    the file is rewritten with the same bytes)."""

    pick: int
    rewrite: frozenset[int]
    append: bool
    drop_first: bool
    retitle: bool


@dataclass(frozen=True)
class DeleteDocument:
    pick: int


@dataclass(frozen=True)
class RenameDocument:
    pick: int
    in_subfolder: bool
    suffix: str


@dataclass(frozen=True)
class RestoreDocument:
    """Puts back a version that was live once: a deleted document, or an edited one's earlier text."""

    pick: int


Change = AddDocument | EditDocument | DeleteDocument | RenameDocument | RestoreDocument

PICKS = st.integers(0, 999)
SUFFIXES = st.sampled_from([".md", ".txt"])
ADDS = st.builds(AddDocument, paragraphs=st.integers(1, 5), in_subfolder=st.booleans(), suffix=SUFFIXES)
EDITS = st.builds(
    EditDocument,
    pick=PICKS,
    rewrite=st.frozensets(st.integers(0, 3), max_size=2),
    append=st.booleans(),
    drop_first=st.sampled_from([False, False, False, True]),  # shifts every later chunk
    retitle=st.sampled_from([False, False, False, True]),  # changes every chunk's embedded text
)
DELETES = st.builds(DeleteDocument, pick=PICKS)
RENAMES = st.builds(RenameDocument, pick=PICKS, in_subfolder=st.booleans(), suffix=SUFFIXES)
RESTORES = st.builds(RestoreDocument, pick=PICKS)
# Adds and edits twice as likely as the rest: the folder grows towards MAX_DOCUMENTS, as a news desk's does.
CHANGES: st.SearchStrategy[Change] = st.one_of(ADDS, ADDS, EDITS, EDITS, DELETES, RENAMES, RESTORES)


# --- what the index must hold ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ExpectedDocument:
    version: str
    text: str  # cleaned
    chunks: tuple[Chunk, ...]


@dataclass
class Figures:
    """What the run did and found; printed at teardown (``pytest -s``) and quoted by every failure."""

    cycles: int = 0
    ingests: int = 0
    changes: Counter[str] = field(default_factory=Counter)
    live_chunks_checked: int = 0
    queries: int = 0
    chain_questions: int = 0
    retired_chunks_probed: int = 0
    unreachable: int = 0
    stale: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    problems: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # one line per cycle: the changes, then what ingest did

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.changes.items()))
        return (
            f"churn: {self.cycles} cycles, {self.ingests} ingests, changes ({kinds}); "
            f"{self.live_chunks_checked} live chunks checked, {self.queries} queries "
            f"({self.chain_questions} through the long-lived chain), {self.retired_chunks_probed} retired "
            f"chunks probed; chunks embedded {self.chunks_embedded}, reused {self.chunks_reused}; "
            f"unreachable {self.unreachable}, stale {self.stale}"
        )


class IndexChurn(RuleBasedStateMachine):
    """A corpus folder, its index and a chain opened once; the test's own model of the folder (``folder``,
    ``retired``) says what the index must hold after every cycle."""

    def __init__(self, embeddings: Embeddings, workspace: Path) -> None:
        super().__init__()  # cheap: the simplest example is rejected before anything is built
        self.embeddings = embeddings
        self.workspace = workspace
        self.folder_root: Path | None = None
        self.index_settings: Settings | None = None
        self.figures = Figures()
        self.folder: dict[str, Article] = {}  # source -> what the file holds
        self.retired: list[tuple[str, Article]] = []  # versions that were live once and are not now
        self.vocabulary_seed = 0
        self.next_serial = 1
        self.next_name = 1
        self.expected: dict[str, ExpectedDocument] = {}
        self.ever_live: dict[str, Chunk] = {}  # every chunk that was live after some cycle, by id
        self.query_vectors: dict[str, list[float]] = {}
        self.chain: NewsdeskChain | None = None
        self.in_step = False  # the last re-ingest passed its checks (teardown then checks once more)

    # --- set-up ---------------------------------------------------------------------------------------
    @initialize(vocabulary_seed=st.integers(1, 2**31 - 1))
    def start(self, vocabulary_seed: int) -> None:
        """A folder of a few dispatches, ingested; then the chain is built once, as the app does."""
        # Hypothesis' simplest example (20 identical cycles) is not worth paying for: reject it first.
        assume(vocabulary_seed != 1)
        self.vocabulary_seed = vocabulary_seed
        self.folder_root = Path(tempfile.mkdtemp(prefix="churn-", dir=self.workspace))
        self.corpus.mkdir()
        self.index_settings = Settings(
            index_dir=self.folder_root / "index", corpus_dir=self.corpus, chunk_tokens=CHUNK_TOKENS
        )
        for _ in range(SEED_DOCUMENTS):
            self.add_document(AddDocument(paragraphs=3, in_subfolder=False, suffix=".md"))
        self.reingest_and_check()
        probe = next(iter(self.expected.values())).chunks[0].text
        self.embed_queries([probe])
        as_query = self.embeddings.embed_query(probe)
        assert max(abs(a - b) for a, b in zip(as_query, self.query_vectors[probe], strict=True)) < 1e-4, (
            "batched query vectors must equal embed_query's"
        )
        self.chain = build_chain(self.settings, embeddings=self.embeddings)
        self.check_search()  # the chain sees the first state; every cycle after must be followed

    @property
    def corpus(self) -> Path:
        assert self.folder_root is not None
        return self.folder_root / "corpus"

    @property
    def settings(self) -> Settings:
        assert self.index_settings is not None
        return self.index_settings

    # --- the one rule: a cycle -------------------------------------------------------------------------
    @rule(changes=st.lists(CHANGES, min_size=1, max_size=3))
    def churn_cycle(self, changes: list[Change]) -> None:
        """Change the folder (1-3 changes of any kind), re-ingest, and check the index and the chain."""
        self.figures.cycles += 1
        done = [self.apply(change) for change in changes]
        self.figures.log.append(f"cycle {self.figures.cycles:2d}: {'; '.join(done) or 'no change'}")
        self.reingest_and_check()

    def apply(self, change: Change) -> str:
        """Make one change to the folder; what was done (or "skipped ..." when it does not apply now)."""
        done: str | None
        if isinstance(change, AddDocument):
            done = self.add_document(change)
        elif isinstance(change, EditDocument):
            done = self.edit_document(change)
        elif isinstance(change, DeleteDocument):
            done = self.delete_document(change)
        elif isinstance(change, RenameDocument):
            done = self.rename_document(change)
        else:
            done = self.restore_document(change)
        kind = type(change).__name__.removesuffix("Document").lower()
        self.figures.changes[kind if done else "skipped"] += 1
        return f"{kind} {done}" if done else f"skipped {kind}"

    def add_document(self, change: AddDocument) -> str | None:
        if len(self.folder) >= MAX_DOCUMENTS:
            return None
        number = self.take_name_number()
        article = Article(self.new_title(number), tuple(self.take_serial() for _ in range(change.paragraphs)))
        source = self.new_source(number, change.in_subfolder, change.suffix)
        self.write(source, article)
        return f"{source} ({change.paragraphs} paragraphs)"

    def edit_document(self, change: EditDocument) -> str | None:
        if not self.folder:
            return None
        source = sorted(self.folder)[change.pick % len(self.folder)]
        old = self.folder[source]
        paragraphs = [
            self.take_serial() if position % len(old.paragraphs) in change.rewrite else serial
            for position, serial in enumerate(old.paragraphs)
        ]
        if change.drop_first and len(paragraphs) > 1:
            paragraphs.pop(0)
        if change.append:
            paragraphs.append(self.take_serial())
        title = old.title
        if change.retitle:
            title = self.new_title(self.take_name_number())
        new = Article(title, tuple(paragraphs))
        self.write(source, new)
        kept = len(set(old.paragraphs) & set(new.paragraphs))
        retitled = ", new title" if title != old.title else ""
        return (
            f"{source} ({kept} of {len(old.paragraphs)} paragraphs kept, {len(new.paragraphs)} now{retitled})"
        )

    def delete_document(self, change: DeleteDocument) -> str | None:
        if not self.folder:
            return None
        source = sorted(self.folder)[change.pick % len(self.folder)]
        (self.corpus / source).unlink()
        self.retired.append((source, self.folder.pop(source)))
        return source

    def rename_document(self, change: RenameDocument) -> str | None:
        if not self.folder:
            return None
        source = sorted(self.folder)[change.pick % len(self.folder)]
        target = self.new_source(self.take_name_number(), change.in_subfolder, change.suffix)
        (self.corpus / target).parent.mkdir(parents=True, exist_ok=True)
        (self.corpus / source).rename(self.corpus / target)
        article = self.folder.pop(source)
        self.retired.append((source, article))
        self.folder[target] = article
        return f"{source} -> {target}"

    def restore_document(self, change: RestoreDocument) -> str | None:
        """Only versions whose paragraphs no other live document holds: a query with a paragraph's text
        must have one right answer (identical passages in two documents are de-duplicated by design)."""
        candidates = []
        for source, article in self.retired:
            others = {serial for s, a in self.folder.items() if s != source for serial in a.paragraphs}
            room = source in self.folder or len(self.folder) < MAX_DOCUMENTS
            if room and self.folder.get(source) != article and others.isdisjoint(article.paragraphs):
                candidates.append((source, article))
        if not candidates:
            return None
        source, article = candidates[change.pick % len(candidates)]
        over = "over the live version" if source in self.folder else "deleted earlier"
        self.write(source, article)
        return f"{source} ({over})"

    def write(self, source: str, article: Article) -> None:
        path = self.corpus / source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article.render(self.vocabulary_seed), encoding="utf-8")
        previous = self.folder.get(source)
        if previous is not None and previous != article:
            self.retired.append((source, previous))
        self.folder[source] = article

    def new_title(self, number: int) -> str:
        return (
            f"Dispatch {invented_name(random.Random(f'{self.vocabulary_seed}:title:{number}'), 3)} {number}"
        )

    def new_source(self, number: int, in_subfolder: bool, suffix: str) -> str:
        return ("desk/" if in_subfolder else "") + f"dispatch-{number:03d}{suffix}"

    def take_serial(self) -> int:
        self.next_serial += 1
        return self.next_serial - 1

    def take_name_number(self) -> int:
        self.next_name += 1
        return self.next_name - 1

    # --- re-ingest and check -----------------------------------------------------------------------------
    def reingest_and_check(self) -> None:
        self.in_step = False
        before = self.expected
        stored_text_hashes = {text_hash(c.context_text) for d in before.values() for c in d.chunks}
        report = run_ingest(self.settings, embeddings=self.embeddings)
        self.figures.ingests += 1
        self.expected = self.expected_index()
        self.check_report(report, before, stored_text_hashes)
        again = run_ingest(self.settings, embeddings=self.embeddings)
        self.figures.ingests += 1
        idle = (again.changed, again.chunks_embedded, again.files_unchanged, again.files_skipped)
        assert idle == (False, 0, len(self.folder), 0), self.failure(
            f"a second ingest of the unchanged folder did something: {again.to_json()}"
        )
        self.check_catalogue_and_chunks()
        if self.chain is not None:
            self.check_search()
            self.check_retired(before)
            self.check_chain(before)
        self.ever_live.update((c.id, c) for d in self.expected.values() for c in d.chunks)
        self.in_step = True

    def expected_index(self) -> dict[str, ExpectedDocument]:
        """What the index must hold for the folder as it is: computed from the files themselves."""
        pipeline = pipeline_fingerprint(self.settings)
        expected = {}
        for source in self.folder:
            path = self.corpus / source
            data = path.read_bytes()
            content_hash = hashlib.sha256(data).hexdigest()
            version = document_version(content_hash, pipeline)
            file = SourceFile(self.corpus, path, source)
            prepared = prepare_document(file, data, content_hash, version, self.settings, existing=False)
            expected[source] = ExpectedDocument(version, prepared.text, tuple(prepared.chunks))
        return expected

    @property
    def live_chunk_ids(self) -> set[str]:
        return {c.id for d in self.expected.values() for c in d.chunks}

    def check_report(
        self, report: IngestReport, before: dict[str, ExpectedDocument], stored_text_hashes: set[str]
    ) -> None:
        after = self.expected
        added = after.keys() - before.keys()
        updated = {s for s in after.keys() & before.keys() if after[s].version != before[s].version}
        deleted = before.keys() - after.keys()
        counts = (report.files_added, report.files_updated, report.files_deleted, report.files_skipped)
        assert counts == (len(added), len(updated), len(deleted), 0), self.failure(
            f"report {report.to_json()}, expected added {sorted(added)}, updated {sorted(updated)}, "
            f"deleted {sorted(deleted)}"
        )
        assert report.files_unchanged == len(after) - len(added) - len(updated), self.failure("unchanged")
        assert report.changed == bool(added or updated or deleted), self.failure("report.changed")
        written = [chunk for source in added | updated for chunk in after[source].chunks]
        new_texts = {text_hash(c.context_text) for c in written} - stored_text_hashes
        assert report.chunks_embedded == len(new_texts), self.failure(
            f"embedded {report.chunks_embedded} chunks, but only {len(new_texts)} texts were new "
            "(the others are stored already and must be reused)"
        )
        assert report.chunks_embedded + report.chunks_reused == len(written), self.failure("chunks written")
        total = sum(len(d.chunks) for d in after.values())
        assert (report.chunks_total, report.documents_total) == (total, len(after)), self.failure(
            f"report totals {report.to_json()}, expected {total} chunks of {len(after)} documents"
        )
        self.figures.chunks_embedded += report.chunks_embedded
        self.figures.chunks_reused += report.chunks_reused
        if self.figures.log:
            self.figures.log[-1] += (
                f" => files +{len(added)} ~{len(updated)} -{len(deleted)}, chunks embedded "
                f"{report.chunks_embedded}, reused {report.chunks_reused}; now {len(after)} documents, "
                f"{report.chunks_total} chunks"
            )

    def check_catalogue_and_chunks(self) -> None:
        """A store opened now (as a new reader would) holds exactly the folder's documents and chunks."""
        settings = self.settings
        files = {p.relative_to(self.corpus).as_posix() for p in self.corpus.rglob("*") if p.is_file()}
        assert files == set(self.folder), "the test's model of the folder drifted from the disk"
        store = IndexStore.open(settings, model=settings.embedding_model, dimension=None, create=False)
        catalogue = {source: record.doc_version for source, record in store.documents().items()}
        folder = {source: document.version for source, document in self.expected.items()}
        assert catalogue == folder, self.failure(
            f"catalogue != folder: {sorted(catalogue.items() - folder.items())} in the catalogue only, "
            f"{sorted(folder.items() - catalogue.items())} in the folder only"
        )
        assert {r.root for r in store.documents().values()} <= {str(self.corpus)}
        live = {chunk.id: chunk for chunk, _ in store.iter_live_chunks()}
        expected = {c.id: c for d in self.expected.values() for c in d.chunks}
        missing = expected.keys() - live.keys()
        changed = [i for i in expected.keys() & live.keys() if live[i] != expected[i]]
        assert not missing and not changed, self.failure(
            f"{len(missing)} chunks of the folder's documents are not live, {len(changed)} differ"
        )
        leftover = store.chunk_count() - len(expected)  # stored, but not a chunk of the folder's documents
        retired_stored = store.get_chunks([i for i in self.ever_live if i not in expected])
        keyword_extra = set(store.keyword_index().ids) - expected.keys()
        self.count_stale(
            max(leftover, len(retired_stored), len(live.keys() - expected.keys())) + len(keyword_extra),
            f"{leftover} chunks stored besides the live ones ({len(retired_stored)} of them retired), "
            f"{len(keyword_extra)} in the keyword index",
        )
        assert set(store.keyword_index().ids) == expected.keys(), self.failure("keyword index != live chunks")

    def check_search(self) -> None:
        """Every live chunk is in the top TOP_K for its own text, via the long-lived chain's retriever (which
        must notice the ingest by itself: nothing here tells it)."""
        assert self.chain is not None
        # Any question makes the reader look (it syncs on every search, and only then): every chunk has
        # "ledger" in it, so this one also checks that nothing stale is in its keyword results.
        self.search("ledger", "keyword")
        keyword_extra = set(self.chain.services.store.keyword_index().ids) - self.live_chunk_ids
        self.count_stale(len(keyword_extra), "in the long-lived reader's keyword index")
        chunks = [c for d in self.expected.values() for c in d.chunks]
        self.embed_queries(c.text for c in chunks)
        for chunk in chunks:
            self.figures.live_chunks_checked += 1
            for mode in MODES:
                found = self.search(chunk.text, mode)
                if chunk.id not in found:
                    self.figures.unreachable += 1
                    self.figures.problems.append(
                        f"cycle {self.figures.cycles}: {mode} search for {chunk.source}#{chunk.index} "
                        f"missed it: {found}"
                    )
        assert self.figures.unreachable == 0, self.failure("unreachable live chunks")

    def check_retired(self, before: dict[str, ExpectedDocument]) -> None:
        """The chunks this cycle replaced or deleted are not served, searched by their old text (earlier
        ones were probed in their own cycle; that they are not stored is checked every cycle)."""
        just_retired = [c for d in before.values() for c in d.chunks if c.id not in self.live_chunk_ids]
        self.embed_queries(c.text for c in just_retired)
        for chunk in just_retired:
            self.figures.retired_chunks_probed += 1
            for mode in MODES:
                self.search(chunk.text, mode)  # counts stale hits

    def check_chain(self, before: dict[str, ExpectedDocument]) -> None:
        """The chain built before the churn answers from the new state: new text is found, old is gone."""
        assert self.chain is not None
        previous_ids = {c.id for d in before.values() for c in d.chunks}
        new_chunks = [c for d in self.expected.values() for c in d.chunks if c.id not in previous_ids]
        gone = [c for d in before.values() for c in d.chunks if c.id not in self.live_chunk_ids]
        candidates = new_chunks[:1] + gone[:1]
        if not candidates:
            return
        # One question a cycle (a chain answer embeds its question and passage sentences: the costly part),
        # alternating between new text, which must be found, and replaced text, which must not come back.
        chunk = candidates[self.figures.cycles % len(candidates)]
        answer = self.chain.invoke({"question": chunk.text, "use_llm": False})
        self.figures.chain_questions += 1
        self.figures.queries += 1
        ids = [p.chunk.id for p in answer.passages]
        stale_passages, detail = self.stale_passages(answer.passages, f"chain answer to {chunk.source}")
        stale_citations = [
            c.source
            for c in answer.citations
            if c.source not in self.expected or c.quote not in self.expected[c.source].text
        ]
        self.count_stale(
            stale_passages + len(stale_citations), f"{detail}, citing old text {stale_citations}"
        )
        if chunk.id in self.live_chunk_ids and chunk.id not in ids:
            self.figures.unreachable += 1
            self.figures.problems.append(f"cycle {self.figures.cycles}: the chain missed new {chunk.source}")
        assert self.figures.unreachable == 0, self.failure("the long-lived chain missed new text")

    def search(self, text: str, mode: Mode) -> list[str]:
        """Ids of the passages found; any that is not live, or quotes text its document no longer has,
        counts as stale."""
        assert self.chain is not None
        vector = None if mode == "keyword" else self.query_vectors[text]
        passages = self.chain.services.retriever.search(text, k=TOP_K, mode=mode, embedding=vector)
        self.figures.queries += 1
        self.count_stale(*self.stale_passages(passages, f"{mode} search for {text[:40]!r}"))
        return [p.chunk.id for p in passages]

    def stale_passages(self, passages: Iterable[Passage], what: str) -> tuple[int, str]:
        """How many passages are of a chunk that is not live or quote text their document no longer has."""
        live = self.live_chunk_ids
        not_live = [p.chunk.id for p in passages if p.chunk.id not in live]
        old_text = [
            p.chunk.id
            for p in passages
            if p.chunk.id in live and self.expected[p.source].text[p.start : p.end] != p.text
        ]
        stale = len(not_live) + len(old_text)
        return stale, f"{what}: chunks not live {not_live}, quoting old text {old_text}"

    def embed_queries(self, texts: Iterable[str]) -> None:
        """Query vectors, computed once per text (embed_documents applies the same model and kwargs as
        embed_query, batched)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self.query_vectors))
        if missing:
            self.query_vectors.update(zip(missing, self.embeddings.embed_documents(missing), strict=True))

    def count_stale(self, count: int, detail: str) -> None:
        if count:
            self.figures.stale += count
            self.figures.problems.append(f"cycle {self.figures.cycles}: {count} stale: {detail}")
        assert self.figures.stale == 0, self.failure("stale chunks")

    def failure(self, what: str) -> str:
        return f"{what}: {self.figures.summary()}\n" + "\n".join(self.figures.problems[:10])

    @invariant()
    def corpus_stays_small(self) -> None:
        assert len(self.folder) <= MAX_DOCUMENTS

    def clear_out(self) -> None:
        """The last ingest deletes every document, and nothing else: the index must end up empty, and the
        long-lived chain must notice a change that commits no document (only the deletion's generation
        token tells it). Random cycles may or may not have had a deletion-only one; this one always runs."""
        for source in sorted(self.folder):
            (self.corpus / source).unlink()
            self.retired.append((source, self.folder.pop(source)))
        self.figures.log.append(f"after the cycles: delete all {len(self.expected)} documents")
        self.reingest_and_check()
        assert not self.expected and not self.live_chunk_ids

    def teardown(self) -> None:
        try:
            if self.chain is not None and self.in_step:  # not after a failure: that one is the report
                self.check_catalogue_and_chunks()
                self.check_search()
                self.clear_out()
        finally:
            if self.chain is not None:
                print("\n".join(["", *self.figures.log, self.figures.summary()]))
            if self.folder_root is not None:
                shutil.rmtree(self.folder_root, ignore_errors=True)


def test_churn_keeps_the_index_in_step_with_the_folder(embeddings: Embeddings, tmp_path: Path) -> None:
    """20 cycles of churn, one derandomized example: 0 unreachable and 0 stale chunks throughout."""
    machines: list[IndexChurn] = []

    def factory() -> IndexChurn:
        machines.append(IndexChurn(embeddings, tmp_path))
        return machines[-1]

    run_state_machine_as_test(
        factory,
        settings=hypothesis_settings(
            max_examples=1,
            stateful_step_count=CYCLES + 1,  # the start counts as a step
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    figures = machines[-1].figures
    assert figures.cycles == CYCLES, figures.summary()
    assert figures.ingests == 2 * (1 + CYCLES + 1), figures.summary()  # start, cycles, clear-out
    assert figures.unreachable == 0 and figures.stale == 0, figures.summary()
    assert all(figures.changes[kind] for kind in ("add", "edit", "delete", "rename", "restore")), (
        "the derandomized run left a kind of change out: " + figures.summary()
    )
