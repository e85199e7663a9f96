"""The answering chain: a LangChain Runnable from {"question", "chat_history"} to an Answer.

    chain = build_chain()
    chain.invoke({"question": "What conditions did the US attach to the minerals deal?"})

A turn: parse the request, analyse the question once, retrieve, then answer offline or with the
configured LLM (falling back to offline on failure). Streaming yields Answers whose text grows; the last
one (done=True) carries the citations."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForChainRun
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import ensure_config, get_callback_manager_for_config

from assistant.answer.grounding import as_answer, check_answer, display_partial
from assistant.answer.llm import LLMFailure, as_data, fence_passages, format_history, stream_completion
from assistant.answer.offline import DEFAULT_WEIGHTS, Candidate, OfflineWeights, answer_offline
from assistant.answer.prompts import load_prompt
from assistant.answer.request import Request
from assistant.answer.timeline import timeline_answer
from assistant.index.store import IndexStore
from assistant.retrieval.events import event_day
from assistant.retrieval.filtered import outlets_named
from assistant.retrieval.langchain import as_document
from assistant.retrieval.recency import newest_first
from assistant.retrieval.retriever import Retriever
from assistant.settings import Settings
from assistant.text.days import Day, mentioned_days
from assistant.text.published import display_date
from assistant.text.question import Question, analyse_question
from assistant.text.tokens import keyword_tokens
from assistant.text.when import TimeScope, bounded_by, may_name_time, time_scope
from assistant.types import Answer, Citation, Filters, Passage, answer_payload

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from assistant.retrieval.langchain import NewsdeskRetriever

log = logging.getLogger(__name__)

TIMELINE_PASSAGES = 10  # a timeline reads more passages: its events are spread over many reports
ALSO_IN = 5  # other copies of a cited story named on its citation, at most
EVENT_PASSAGES = 8  # reports read to date an event a question names ("since the storm")
EVENT_DATED_SHARE = 0.5  # ... in an index where at least this share of the documents is dated
# Part of the LLM budget kept back so that the offline fallback, too, is delivered within it.
FALLBACK_RESERVE_S = 0.5


class SentenceCache:
    """Vectors of answer-candidate sentences: those ingest stored with the index, else computed and
    cached (bounded LRU) for documents whose vectors the index doesn't hold (an index built before
    they were stored)."""

    def __init__(self, embeddings: Embeddings, max_items: int = 20_000) -> None:
        self._embeddings = embeddings
        self._max_items = max_items
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # sentences embedded at question time, for tests and benchmarks

    def similarity(
        self, query_vector: Sequence[float], stored: Mapping[str, np.ndarray] | None = None
    ) -> Callable[[Sequence[str]], list[float]]:
        query = np.asarray(query_vector, dtype=np.float32)

        def score(texts: Sequence[str]) -> list[float]:
            return [float(v @ query) for v in self.vectors(texts, stored)]

        return score

    def vectors(
        self, texts: Sequence[str], stored: Mapping[str, np.ndarray] | None = None
    ) -> list[np.ndarray]:
        found = {t: stored[t] for t in texts if t in stored} if stored else {}
        with self._lock:
            for text in texts:
                if text not in found and text in self._cache:
                    found[text] = self._cache[text]
                    self._cache.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            computed = [np.asarray(v, dtype=np.float32) for v in self._embeddings.embed_documents(missing)]
            found.update(zip(missing, computed, strict=True))
            with self._lock:
                self.computed += len(missing)
                self._cache.update(zip(missing, computed, strict=True))
                while len(self._cache) > self._max_items:
                    self._cache.popitem(last=False)
        return [found[t] for t in texts]


@dataclass
class Services:
    """Everything the chain needs, built once and shared (also by the app)."""

    settings: Settings
    store: IndexStore
    embeddings: Embeddings
    retriever: Retriever
    chat_model: Any = None
    sentence_vectors: SentenceCache | None = None
    offline_weights: OfflineWeights = DEFAULT_WEIGHTS

    def __post_init__(self) -> None:
        if self.sentence_vectors is None:
            self.sentence_vectors = SentenceCache(self.embeddings)


def build_services(
    settings: Settings | None = None, *, embeddings: Embeddings | None = None, chat_model: Any = None
) -> Services:
    from assistant.providers import embedding_dimension, make_chat_model, make_embeddings

    settings = settings or Settings()
    embeddings = embeddings or make_embeddings(settings)
    store = IndexStore.open(
        settings, model=settings.embedding_model, dimension=embedding_dimension(embeddings), create=False
    )
    if chat_model is None:
        chat_model = make_chat_model(settings)
    return Services(settings, store, embeddings, Retriever(store, embeddings, settings), chat_model)


@dataclass(frozen=True)
class _Scope:
    """Which articles a turn reads, as the request and the question say."""

    filters: Filters  # the request's, narrowed by the outlets and the period the question names
    said: str = ""  # what the turn tells the user about it
    latest: bool = False  # the question asks for the newest reports
    outlets: tuple[str, ...] = ()  # outlets the question names (their names are known words)
    overview: bool = False  # nothing but the scope is asked ("What happened last week?")
    scope_terms: frozenset[str] = (
        frozenset()
    )  # the question's words that chose the scope, not asked of sentences
    scope_days: tuple[Day, ...] = ()  # the days those words state ("between March 1 and March 10")


NEWEST_FIRST = "Newest reports first."
# Words of a question that asks only for the news of a scope.
OVERVIEW_WORDS = frozenset(
    keyword_tokens("what happened happen news new report reported reports story stories event events go on")
)


@dataclass(frozen=True)
class _Turn:
    """One question on its way through the chain."""

    request: Request
    question: Question  # analysed once; its query is what retrieval used
    vector: Sequence[float]
    passages: list[Passage]
    scope: _Scope

    @property
    def digest(self) -> bool:
        """The question asks for the news of a period or a topic: one statement per report."""
        return self.scope.overview or bool(self.question.news_topic)


class NewsdeskChain(Runnable[dict[str, Any], Answer]):
    """Retrieve, then answer offline or with the configured LLM (falling back to offline on failure)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def InputType(self) -> type:
        return dict

    @property
    def OutputType(self) -> type:
        return Answer

    @property
    def llm_available(self) -> bool:
        return self.services.chat_model is not None

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        final: Answer | None = None
        for final in self.stream(input, config, **kwargs):  # noqa: B007
            pass
        assert final is not None
        return final

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        return await asyncio.to_thread(self.invoke, input, config, **kwargs)

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Answer]:
        iterator = self.stream(input, config, **kwargs)
        sentinel = object()
        while (item := await asyncio.to_thread(next, iterator, sentinel)) is not sentinel:
            yield item  # type: ignore[misc]

    def stream(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Answer]:
        """The answer as it grows; the run reaches LangChain callbacks (config["callbacks"]) like any
        chain's: one chain run, a child retriever run, child chat-model runs when the LLM is used."""
        config = ensure_config(config)
        run = get_callback_manager_for_config(config).on_chain_start(
            None,
            input if isinstance(input, dict) else {"input": input},
            name=config.get("run_name") or "NewsdeskChain",
            run_id=config.pop("run_id", None),
        )
        final: Answer | None = None
        try:
            for final in self._answers(input, run):
                yield final
        except GeneratorExit:  # the caller stopped reading: the run ends with what it had
            run.on_chain_end(_payload(run, final))
            raise
        except BaseException as exc:
            run.on_chain_error(exc)
            raise
        run.on_chain_end(_payload(run, final))

    def _answers(self, input: Any, run: CallbackManagerForChainRun) -> Iterator[Answer]:
        request = Request.parse(input, self.services.settings)
        use_llm = request.use_llm and self.llm_available
        budget = self.services.settings.llm_budget_s
        deadline = time.monotonic() + budget - min(FALLBACK_RESERVE_S, budget / 4)
        turn = self._retrieve(request, use_llm, deadline, run)
        if turn.scope.filters.active and not turn.passages:
            yield self._filtered_out(turn)
            return
        filters = request.filters
        notice = f"Only articles with {filters.describe()}." if filters.active else ""
        notice = " ".join(part for part in (notice, turn.scope.said) if part)
        answers = self._llm(turn, deadline, run) if use_llm else _progressively(self._offline(turn))
        stories = self.services.retriever.stories()
        for answer in answers:
            citations = tuple(
                replace(c, also_in=stories.others(c.source)[:ALSO_IN]) for c in answer.citations
            )
            sourcing = corroboration(
                answer.answer, citations, turn.passages, stories.of_source, digest=turn.digest
            )
            scope = (
                notice.replace(NEWEST_FIRST, "").strip() if answer.abstained else notice
            )  # no order to tell
            said = " ".join(filter(None, (answer.notice, scope, sourcing)))
            yield replace(answer, citations=citations, notice=said)

    def as_retriever(self, **options: Any) -> NewsdeskRetriever:
        """The chain's own retrieval as a LangChain retriever (``k``, ``mode``, ``filters``)."""
        from assistant.retrieval.langchain import NewsdeskRetriever

        return NewsdeskRetriever(retriever=self.services.retriever, **options)

    def _filtered_out(self, turn: _Turn) -> Answer:
        """The abstention when the filters leave nothing to read, naming the filter that emptied it."""
        filters = turn.scope.filters
        retriever = self.services.retriever
        if retriever.filtered_documents(filters):
            why = f"No passage of the articles with {filters.describe()} matches the question."
        else:
            empty = [label for label, part in filters.parts() if not retriever.filtered_documents(part)]
            why = (
                f"No indexed article has {' and '.join(empty)}."
                if empty
                else f"No indexed article has {filters.describe()} all at once."
            )
        return Answer(f"The documents don't say. {why}", abstained=True, question=turn.question.query)

    def _retrieve(
        self, request: Request, use_llm: bool, deadline: float, run: CallbackManagerForChainRun
    ) -> _Turn:
        """Analyse the question, resolve a follow-up (with the LLM when it is used), then find the
        passages."""
        limit = self.services.settings.max_question_chars
        question = analyse_question(request.question, request.history, max_query_chars=limit)
        if question.follows_up and use_llm:
            condensed = self._condense(request, deadline, run)
            # One that only repeats the follow-up (as a small model does) would drop the conversation's
            # words, which the question's own query carries.
            if condensed and set(keyword_tokens(condensed)) - set(keyword_tokens(request.question)):
                question = question.with_query(condensed[:limit])
        vector = self.services.embeddings.embed_query(question.query)
        scoped = self._scope(request, question)
        retrieval = run.get_child().on_retriever_start(None, question.query, name="NewsdeskRetriever")
        try:
            passages = self.services.retriever.search(
                question,
                k=max(request.top_k, TIMELINE_PASSAGES) if question.timeline else request.top_k,
                mode=request.mode,  # type: ignore[arg-type]
                embedding=vector,
                filters=scoped.filters,
            )
        except BaseException as exc:
            retrieval.on_retriever_error(exc)
            raise
        # Documents only for someone listening: converting them costs a little on every question.
        retrieval.on_retriever_end([as_document(p) for p in passages] if retrieval.handlers else [])
        if scoped.latest:
            passages = newest_first(passages)
        return _Turn(request, question, vector, passages, scoped)

    def _scope(self, request: Request, question: Question) -> _Scope:
        """The request's filters narrowed by what the question says: the outlets it names ("What did
        Harbor Wire report …") and the period ("last week"); and whether it asks for the latest."""
        retriever = self.services.retriever
        filters, said = request.filters, []
        named = outlets_named(question.text, retriever.outlets())
        if named and not filters.outlets:
            filters = replace(filters, outlets=named)
            said.append(f"Only articles from {' or '.join(named)}, as the question asks.")
        scope = self._time_scope(question)
        if scope is not None and scope.event:
            # Bounded by an event only where most reports are dated: elsewhere the undated majority
            # would fall outside any period an event could give.
            if (
                filters.published_from + filters.published_to
                or retriever.facts().dated_share < EVENT_DATED_SHARE
            ):
                scope = None if not scope.latest else TimeScope(latest=True, said=scope.said)
            else:
                scope, note = self._date_event(scope)
                said.append(note)
        scope_days: tuple[Day, ...] = ()
        if scope is not None and scope.has_range and not filters.published_from + filters.published_to:
            period = replace(
                filters,
                published_from=scope.published_from,
                published_to=scope.published_to,
                undated_mentions=True,
            )
            if retriever.filtered_documents(period):
                filters, scope_days = period, tuple(mentioned_days(scope.said))
                said.append(f"Looking at {scope.describe()}.")
            else:
                said.append(f"No article is dated {scope.span()}, so all were searched.")
        elif (scope is not None and scope.latest) or question.news_topic:
            said.append(NEWEST_FIRST)
        scope_terms = frozenset(keyword_tokens(f"{scope.said if scope else ''} {' '.join(named)}"))
        overview = filters.active and all(term in scope_terms | OVERVIEW_WORDS for term in question.terms)
        latest = bool(scope and scope.latest) or bool(question.news_topic)  # news of a topic: newest first
        return _Scope(filters, " ".join(said), latest, named, overview, scope_terms, scope_days)

    def _date_event(self, scope: TimeScope) -> tuple[TimeScope, str]:
        """A period bounded by an event ("since the storm"), dated from the reports that name the event;
        with the sentence for the notice, or why it stays undated."""
        event = analyse_question(scope.event)
        passages = self.services.retriever.search(
            event, k=EVENT_PASSAGES, embedding=self.services.embeddings.embed_query(scope.event)
        )
        found = event_day(event.terms, passages)
        if found is None:
            return scope, f"No dated report names “{scope.event}”, so all were searched."
        shown = display_date(found.day.isoformat())
        return bounded_by(scope, found.day), f"“{scope.event}” is dated {shown} by {found.source}."

    def _time_scope(self, question: Question) -> TimeScope | None:
        """The period the question names, counted from the reference day; none in an index where no
        article has a publication date."""
        if not may_name_time(question.text):
            return None
        retriever = self.services.retriever
        newest = retriever.facts().newest_published
        if newest is None:
            return None
        configured = self.services.settings.reference_date
        return time_scope(question.text, lambda: configured or newest)

    # --- the two answerers ------------------------------------------------------------------------------
    def _offline(self, turn: _Turn) -> Answer:
        services = self.services
        assert services.sentence_vectors is not None
        keywords = services.store.keyword_index()
        answer = answer_offline(
            turn.question.without_terms(turn.scope.scope_terms, turn.scope.scope_days),
            turn.passages,
            term_weight=keywords.idf,
            similarity=services.sentence_vectors.similarity(
                turn.vector, services.retriever.sentence_vectors(turn.passages)
            ),
            max_sentences=services.settings.answer_sentences,
            min_support=services.settings.min_support,
            known=_known(keywords.has, turn.scope.outlets),
            weights=services.offline_weights,
            newest_first=turn.scope.latest,
            overview=turn.scope.overview,
            arrange=self._timeline(turn) if turn.question.timeline else None,
            story_of=services.retriever.stories().of_source,
        )
        return replace(answer, question=turn.question.query)

    def _timeline(self, turn: _Turn) -> Callable[[Sequence[Candidate]], Answer | None]:
        newest = self.services.retriever.facts().newest_published
        year = newest.year if newest else None
        return lambda ranked: timeline_answer(turn.question.text, turn.passages, ranked, year)

    def _llm(self, turn: _Turn, deadline: float, run: CallbackManagerForChainRun) -> Iterator[Answer]:
        settings = self.services.settings
        model_name = settings.llm_model
        passages = turn.passages
        query = turn.question.query
        if not passages:
            yield self._offline(turn)
            return
        if turn.question.timeline:  # the LLM reads the reports in the order they were published
            passages = sorted(passages, key=lambda p: p.published or "9999")
        system, user = load_prompt("answer").render(
            passages=fence_passages(passages),
            history=as_data(format_history(turn.request.history)) or "(none)",
            question=turn.request.question,
        )
        raw = ""
        try:
            for delta in stream_completion(
                self.services.chat_model,
                _messages(system, user),
                deadline=deadline,
                max_retries=settings.llm_max_retries,
                config={"callbacks": run.get_child()},
            ):
                raw += delta
                yield Answer(
                    display_partial(raw, len(passages)),
                    question=query,
                    answered_by=f"llm:{model_name}",
                    passages=tuple(passages),
                    done=False,
                )
        except LLMFailure as failure:
            log.warning("LLM failed (%s); answering offline", failure.kind)
            # kind is a label ("timed out", "the stream broke off", "server error (HTTP 500)"), not a verb
            yield self._fallback(turn, f"The language model did not answer ({failure.kind})")
            return
        checked = check_answer(raw, passages)
        if not checked.abstained and checked.supported_sentences == 0:
            yield self._fallback(turn, "The language model's answer was not supported by the documents")
            return
        yield as_answer(checked, query, passages, model_name)

    def _fallback(self, turn: _Turn, why: str) -> Answer:
        offline = self._offline(turn)
        return replace(
            offline, answered_by="offline (fallback)", notice=f"{why}; this is the offline answer."
        )

    def _condense(self, request: Request, deadline: float, run: CallbackManagerForChainRun) -> str | None:
        """A standalone question from the LLM, within a slice of the budget; None on any failure."""
        system, user = load_prompt("condense").render(
            history=as_data(format_history(request.history)), question=request.question
        )
        budget = min(deadline, time.monotonic() + self.services.settings.llm_budget_s / 3)
        try:
            text = "".join(
                stream_completion(
                    self.services.chat_model,
                    _messages(system, user),
                    deadline=budget,
                    max_retries=0,
                    config={"callbacks": run.get_child()},
                )
            )
        except LLMFailure:
            return None
        text = " ".join(text.split())[: self.services.settings.max_question_chars]
        return text or None


_MARKER_RUN = re.compile(r"(?:\[\d+\]){2,}")
_SINGLE_MARKER = re.compile(r"(?<!\])\[(\d+)\](?!\[)")
ON_TOPIC = 0.8  # a retrieved passage this close to the best one's score is a report on the same topic


def corroboration(
    text: str,
    citations: Sequence[Citation],
    passages: Sequence[Passage] = (),
    story_of: Callable[[str], str] = lambda source: source,
    *,
    digest: bool = False,
) -> str:
    """Which statements several independent reports make, and by whom: "[1][2]: reported by Bloomberg
    and Harbor Wire." (a report without a known outlet by its source); and which come from one report
    while other reports about as relevant (retrieved within ON_TOPIC of the best) don't repeat them (no
    near-identical sentence: they may say it in other words). A ``digest`` (the news of a period or a
    topic: one statement per report by design) gets no single-report notes."""
    said = []
    relevant = [p for p in passages if passages and p.score >= ON_TOPIC * passages[0].score and not digest]
    for number in _SINGLE_MARKER.findall(text):
        cited = citations[int(number) - 1] if 0 < int(number) <= len(citations) else None
        if cited is None:
            continue
        others = {story_of(p.source) for p in relevant} - {story_of(cited.source)}
        if others:
            if len(others) == 1:
                other = "1 other report found on the topic doesn't"
            else:
                other = f"{len(others)} other reports found on the topic don't"
            said.append(f"[{number}]: from one report; {other} repeat it.")
    for run in _MARKER_RUN.findall(text):
        numbers = [int(n) for n in re.findall(r"\d+", run)]
        names = [
            citations[n - 1].outlet or citations[n - 1].source for n in numbers if 0 < n <= len(citations)
        ]
        names = list(dict.fromkeys(names))
        if len(names) > 1:
            said.append(f"{run}: reported by {', '.join(names[:-1])} and {names[-1]}.")
    return " ".join(said)


def _payload(run: CallbackManagerForChainRun, answer: Answer | None) -> dict[str, Any]:
    """The run's output for its callbacks; nothing is built when none listens."""
    return answer_payload(answer) if answer is not None and run.handlers else {}


def _known(has: Callable[[str], bool], outlets: Sequence[str]) -> Callable[[str], bool]:
    """Whether the index knows a term: its documents' words, and the outlets the question names (an
    outlet's name is metadata, not necessarily in the text)."""
    named = frozenset(token for outlet in outlets for token in keyword_tokens(outlet))
    return lambda term: term in named or has(term)


def _progressively(answer: Answer) -> Iterator[Answer]:
    """Stream a finished answer quote by quote (the text so far), then the answer with its citations."""
    ends = [m.end() for m in re.finditer(r"\[\d+\]", answer.answer)]
    for end in ends[:-1]:
        yield replace(answer, answer=answer.answer[:end], citations=(), done=False)
    yield answer


def _messages(system: str, user: str) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    return [SystemMessage(system), HumanMessage(user)]


def build_chain(
    settings: Settings | None = None, *, embeddings: Embeddings | None = None, chat_model: Any = None
) -> NewsdeskChain:
    """The chain over the index that ingest built (settings from the environment by default)."""
    return NewsdeskChain(build_services(settings, embeddings=embeddings, chat_model=chat_model))
