"""The offline answerer: the few sentences of the retrieved passages that best answer the question,
verbatim, each followed by its citation marker. It never writes text that is not in the corpus, and it
abstains when the evidence is weak or the request is not a question about the corpus.

Everything here is pure: scores come from the analysed question, the passages and the weights."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from assistant.text.answer_types import CUES, CURRENCY, DATE, MONEY_TERMS, NUMBER, STRICT_TYPES, TITLES
from assistant.text.days import states_any
from assistant.text.injection import is_instruction
from assistant.text.question import Question
from assistant.text.sentences import candidate_spans
from assistant.text.tokens import keyword_tokens
from assistant.types import Answer, Citation, Passage

# "The latest on ...": a sentence of a newer report leads when it scores at least this share of the best
# (retrieval has already kept only passages near the best one).
LATEST_SENTENCE_SHARE = 0.5
Similarity = Callable[[Sequence[str]], Sequence[float]]  # cosine similarity of texts to the question
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
TermWeight = Callable[[str], float]  # how much a (stemmed) term counts: the index's IDF

# Source-list lines ("Reuters: www.reuters.com (headline)") hold links, not statements.
_LISTING = re.compile(r"\b(www\.|https?://)|\.(com|org|net)\b")


@dataclass(frozen=True, slots=True)
class OfflineWeights:
    """How a sentence is scored and which sentences join the best one. Chosen with tests/eval/seed.jsonl
    (benchmarks/tune_answerer.py); the passage's retrieval score is left out on purpose: retrieval already
    chose which passages are read, and with score fusion adding it only pulled sentences of the top
    passage ahead of better ones."""

    similarity_share: float = 0.7  # relevance = share of semantic similarity vs term coverage
    relevance: float = 0.65
    answer_type: float = 0.1  # the sentence holds the kind of answer asked for
    listing_penalty: float = 0.2
    heading_penalty: float = 0.15  # headlines and section titles name a topic; they rarely answer
    keep_ratio: float = 0.8  # further sentences of the best one's document must score this share of the best
    other_document_ratio: float = 0.97  # ... and sentences of other documents this share
    corroboration: float = 0.7  # share of a quote's terms another document's sentence must share to be cited
    neighbour_ratio: float = (
        0.5  # the best sentence's neighbour joins it when it scores this share of the best
    )
    day_match: float = 0.25  # the sentence states a calendar day the question names ("on Feb. 12")


DEFAULT_WEIGHTS = OfflineWeights()


def matches_type(sentence: str, question: Question, terms: frozenset[str] | None = None) -> bool:
    """Whether the sentence holds the kind of answer asked for. A name or date the question itself
    contains is not an answer to it ("Who did Trump send?" is not answered by "Trump"), and a count must
    be of the thing asked about ("how much military aid" is not answered by "$500 billion of minerals").
    ``terms`` are the sentence's keyword tokens when the caller has them."""
    answer_type = question.answer_type
    if answer_type == "number":  # a quantity, not the digits of a date
        if not NUMBER.search(DATE.sub(" ", sentence)):
            return False
        focus = question.counted
        if focus & MONEY_TERMS and CURRENCY.search(sentence):
            return True
        if terms is None:
            terms = frozenset(keyword_tokens(sentence))
        return not focus or bool(focus & terms)
    cue = CUES.get(answer_type)
    if cue is None:
        return True
    if answer_type not in STRICT_TYPES:
        return bool(cue.search(sentence))
    asked = question.asked
    for match in cue.finditer(sentence):
        found = set(keyword_tokens(match.group(0)))
        if answer_type == "person":  # the same person under a title the question doesn't use
            found -= TITLES
            if found and not found & asked:
                return True
        elif found - asked:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Candidate:
    passage: int  # index into the passages
    start: int  # offsets in the cleaned document
    end: int
    text: str
    terms: frozenset[str]  # keyword tokens of the text
    coverage: float  # share of the question's term weight found in the sentence
    similarity: float  # semantic similarity to the question (0 when not computed)
    typed: bool  # it holds the kind of answer asked for
    score: float
    on_day: bool = False  # it states a calendar day the question names


# A report is about a topic when its title and lead hold this share of the topic terms' weight (IDF):
# "the minerals deal talks" -> a report titled "US presses Ukraine on minerals deal" is about it.
ABOUT_SHARE = 0.6


def coverage(terms: frozenset[str], weights: Mapping[str, float]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


def candidates(
    question: Question,
    passages: Sequence[Passage],
    term_weights: Mapping[str, float],
    similarity: Similarity | None = None,
    weights: OfflineWeights = DEFAULT_WEIGHTS,
) -> list[Candidate]:
    """Every sentence of the passages, scored by relevance (the share of the question's term weight it
    holds and, when given, semantic similarity) and whether it holds the kind of answer asked for."""
    spans = [
        (index, start, end, passage.text[start:end])
        for index, passage in enumerate(passages)
        for start, end in candidate_spans(passage.text)
    ]
    spans = [s for s in spans if not is_instruction(s[3]) and not is_fragment(s[3])]
    similarities = list(similarity([s[3] for s in spans])) if similarity and spans else [0.0] * len(spans)
    found: list[Candidate] = []
    for (index, start, end, text), sim in zip(spans, similarities, strict=True):
        passage = passages[index]
        terms = frozenset(keyword_tokens(text))
        cov = coverage(terms, term_weights)
        typed = matches_type(text, question, terms)
        on_day = states_any(text, question.days)
        share = weights.similarity_share
        relevance = (1 - share) * cov + share * max(sim, 0.0) if similarity else cov
        score = (
            weights.relevance * relevance
            + weights.answer_type * (1.0 if typed else 0.0)
            + (weights.day_match if on_day else 0.0)
            - (weights.listing_penalty if _LISTING.search(text) else 0.0)
            - (weights.heading_penalty if text[-1] not in ".!?…\"'”’)" else 0.0)
        )
        found.append(
            Candidate(
                index,
                passage.start + start,
                passage.start + end,
                text,
                terms,
                cov,
                max(sim, 0.0),
                typed,
                score,
                on_day,
            )
        )
    return sorted(found, key=lambda c: -c.score)


def evidence(question: Question, ranked: Sequence[Candidate], semantic: bool = True) -> float:
    """How strongly the passages answer the question (0..1): the semantic similarity of the closest
    sentence (its term coverage when no similarity was computed). For "when" / "how many" / "who",
    only sentences holding a date, a count of the thing asked about or a new name count, and the best
    sentence must be one of them. A question naming a day ("What happened on February 12?") is answered
    by what a sentence stating that day says."""
    if not ranked:
        return 0.0
    if question.days and ranked[0].on_day:
        return 1.0
    typed = list(ranked)
    if question.answer_type in STRICT_TYPES:
        typed = [c for c in ranked if c.typed]
        if not typed or typed[0] is not ranked[0]:
            return 0.0
    return max(c.similarity if semantic else c.coverage for c in typed)


def covers_all(question: Question, ranked: Sequence[Candidate]) -> bool:
    """The best sentence holds every topic term of a question of two or more, and the kind of answer
    asked for: as strong a sign as similarity ("What will close for six weeks?" / "... will close one
    lane for six weeks ..." scores 0.36 by similarity alone)."""
    if not ranked or len(question.terms) < 2 or ranked[0].coverage < 0.999:
        return False
    return ranked[0].typed or question.answer_type not in STRICT_TYPES


def pick_sentences(
    ranked: Sequence[Candidate],
    passages: Sequence[Passage],
    limit: int,
    weights: OfflineWeights = DEFAULT_WEIGHTS,
) -> list[Candidate]:
    """The best sentence with its stronger neighbour (news paragraphs often finish a thought in the next
    sentence), then the next-best sentences that score nearly as well, without near-repeats."""
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    # A headline is no neighbour: glued to the lead it repeats, it reads "Deal stalls Talks on the deal …".
    neighbours = [c for c in ranked[1:] if _adjacent(c, best, passages) and not _is_headline(c, passages)]
    if neighbours and limit > 1 and neighbours[0].score >= weights.neighbour_ratio * best.score:
        chosen.append(neighbours[0])
    seen = [c.terms for c in chosen]
    best_source = passages[best.passage].source
    keep, other = weights.keep_ratio, weights.other_document_ratio
    for candidate in ranked[1:]:
        if len(chosen) >= limit or candidate.score < min(keep, other) * best.score:
            break
        same_document = passages[candidate.passage].source == best_source
        if candidate.score < (keep if same_document else other) * best.score:
            continue
        terms = candidate.terms
        if candidate in chosen or any(
            len(terms & other_terms) / max(1, min(len(terms), len(other_terms))) > 0.6 for other_terms in seen
        ):
            continue
        chosen.append(candidate)
        seen.append(terms)
    return chosen


def leads(passages: Sequence[Passage], limit: int) -> list[Candidate]:
    """The first statement of each of the first ``limit`` documents among the passages, in their order:
    what a question asking only for the news of a period or an outlet is answered with."""
    found: list[Candidate] = []
    seen: set[str] = set()
    for index, passage in enumerate(passages):
        if passage.source in seen or len(found) >= limit:
            continue
        statements = _statements(passage)
        if statements:
            found.append(_quoted(index, passage, *statements[0]))
            seen.add(passage.source)
    return found


def news_of(
    topic: Mapping[str, float],
    passages: Sequence[Passage],
    limit: int,
    names: Sequence[str] = (),
    about: float = ABOUT_SHARE,
) -> list[Candidate]:
    """For "What's the latest on the mayor?": one statement of each report about the topic (its title
    and the article's first statement hold at least ``about`` of the topic terms' weight, and every
    name of several words as written: "Bank of Japan" is no report about Japanese banks), newest report
    first (undated last). The statement is the article's lead when the passage starts the article, else
    the passage's first statement naming the topic; a headline is no statement."""
    wanted = frozenset(topic)
    phrases = [name.lower() for name in names]
    found: list[tuple[str, Candidate]] = []
    seen: set[str] = set()
    for index, passage in enumerate(passages):
        if passage.source in seen:
            continue
        headline = " ".join(passage.title.split())
        statements = _statements(passage)
        if not statements:
            continue
        lead = statements[0][2] if passage.start == 0 else ""
        if coverage(frozenset(keyword_tokens(f"{headline} {lead}")), topic) < about:
            continue
        written = " ".join(f"{headline} {lead}".split()).lower()
        if not all(phrase in written for phrase in phrases):
            continue
        naming = [s for s in statements if wanted & frozenset(keyword_tokens(s[2]))]
        start, end, text = statements[0] if passage.start == 0 or not naming else naming[0]
        found.append((passage.published, _quoted(index, passage, start, end, text)))
        seen.add(passage.source)
    found.sort(key=lambda item: item[0] or "", reverse=True)  # stable: equal dates keep retrieval order
    return [candidate for _, candidate in found[:limit]]


def _statements(passage: Passage) -> list[tuple[int, int, str]]:
    """The passage's sentences that state something, as (start, end, text) in the passage; a headline
    is no statement."""
    headline = " ".join(passage.title.split())
    found = []
    for start, end in candidate_spans(passage.text):
        text = passage.text[start:end]
        stated = text[-1] in ".!?…\"'”’)" and not is_fragment(text) and not is_instruction(text)
        if stated and " ".join(text.split()) != headline:
            found.append((start, end, text))
    return found


def _quoted(index: int, passage: Passage, start: int, end: int, text: str) -> Candidate:
    """A statement chosen for what it is (a report's lead), not for a score."""
    terms = frozenset(keyword_tokens(text))
    return Candidate(index, passage.start + start, passage.start + end, text, terms, 0.0, 0.0, True, 1.0)


def newest_among_best(
    ranked: Sequence[Candidate], passages: Sequence[Passage], near_best: float = LATEST_SENTENCE_SHARE
) -> list[Candidate]:
    """For "the latest on …": among the sentences scoring nearly as well as the best, those of the newest
    report first (undated after dated); the rest keep their order."""
    if not ranked:
        return []
    best = ranked[0].score
    close = [c for c in ranked if c.score >= near_best * best]
    rest = [c for c in ranked if c.score < near_best * best]
    close.sort(key=lambda c: passages[c.passage].published or "", reverse=True)
    return close + rest


def _is_headline(candidate: Candidate, passages: Sequence[Passage]) -> bool:
    return " ".join(candidate.text.split()) == " ".join(passages[candidate.passage].title.split())


def _adjacent(a: Candidate, b: Candidate, passages: Sequence[Passage]) -> bool:
    same_document = passages[a.passage].source == passages[b.passage].source
    return same_document and (0 <= a.start - b.end <= 3 or 0 <= b.start - a.end <= 3)


def compose(
    chosen: Sequence[Candidate],
    passages: Sequence[Passage],
    ranked: Sequence[Candidate] = (),
    weights: OfflineWeights = DEFAULT_WEIGHTS,
    story_of: Callable[[str], str] = lambda source: source,
) -> tuple[str, tuple[Citation, ...]]:
    """The quote holding the best sentence (``chosen[0]``) first, then the others in readable order
    (documents by relevance, sentences by position); adjacent sentences of one document merged into one
    quote, each quote followed by its marker. When another document states the same thing (a
    near-identical sentence among ``ranked``), the quote carries its marker too."""
    document_rank: dict[str, int] = {}
    for candidate in sorted(chosen, key=lambda c: c.passage):
        document_rank.setdefault(passages[candidate.passage].source, len(document_rank))
    ordered = sorted(chosen, key=lambda c: (document_rank[passages[c.passage].source], c.start))
    groups: list[list[Candidate]] = []
    for candidate in ordered:
        last = groups[-1][-1] if groups else None
        if last is not None and _adjacent(candidate, last, passages) and candidate.start > last.start:
            groups[-1].append(candidate)
        else:
            groups.append([candidate])
    if chosen:
        groups.sort(key=lambda group: chosen[0] not in group)  # stable: the rest keep their order
    parts: list[str] = []
    citations: list[Citation] = []
    for group in groups:
        passage = passages[group[0].passage]
        quote = passage.text[group[0].start - passage.start : group[-1].end - passage.start]
        sources = [_citation(passage, group)]
        corroborating = _corroborating(group, passages, ranked, weights.corroboration, story_of)
        sources += [_citation(passages[c.passage], [c]) for c in corroborating]
        markers = "".join(f"[{len(citations) + i}]" for i in range(1, len(sources) + 1))
        citations.extend(sources)
        parts.append(f"{' '.join(quote.split())} {markers}")  # one line even if the quote spans paragraphs
    return " ".join(parts), tuple(citations)


def compose_lines(
    lines: Sequence[tuple[str, Candidate]], passages: Sequence[Passage]
) -> tuple[str, tuple[Citation, ...]]:
    """One list item per sentence, in the order given, each led by its label ("12 Feb 2025 — ") and
    followed by its marker: a timeline."""
    parts: list[str] = []
    citations: list[Citation] = []
    for label, candidate in lines:
        passage = passages[candidate.passage]
        citations.append(_citation(passage, [candidate]))
        parts.append(f"- {label}{' '.join(candidate.text.split())} [{len(citations)}]")
    return "\n".join(parts), tuple(citations)


def _citation(passage: Passage, group: Sequence[Candidate]) -> Citation:
    start, end = group[0].start, group[-1].end
    return Citation(
        source=passage.source,
        title=passage.title,
        quote=passage.text[start - passage.start : end - passage.start],
        start=start,
        end=end,
        score=round(max(c.score for c in group), 4),
        passage=passage.text,
        passage_start=passage.start,
        passage_end=passage.end,
        outlet=passage.outlet,
        published=passage.published,
    )


def _corroborating(
    group: Sequence[Candidate],
    passages: Sequence[Passage],
    ranked: Sequence[Candidate],
    share: float,
    story_of: Callable[[str], str] = lambda source: source,
) -> list[Candidate]:
    """At most one near-identical sentence per other story, for a one-sentence quote: copies of one
    report count once, so two markers are two independent reports."""
    if len(group) != 1:
        return []
    story = story_of(passages[group[0].passage].source)
    terms = group[0].terms
    found: dict[str, Candidate] = {}
    for candidate in ranked:
        other = story_of(passages[candidate.passage].source)
        if other == story or other in found:
            continue
        shared = len(terms & candidate.terms)
        if shared >= share * max(1, len(terms)):
            found[other] = candidate
    return list(found.values())


def is_fragment(sentence: str) -> bool:
    """A piece cut out of a link list or a caption, not a statement: its brackets don't pair up
    ("It's not clear Putin does)")."""
    return sentence.count("(") != sentence.count(")") or sentence.count("[") != sentence.count("]")


def missing_years(question: Question, passages: Sequence[Passage]) -> list[str]:
    """Years the question is pinned to that no retrieved passage holds, in its text or its publication
    date ("Who won the 2023 Rugby World Cup?" over articles of 2004): the passages are about another
    time, so they don't answer it."""
    years = dict.fromkeys(match.group(0) for match in YEAR.finditer(question.text))
    return [
        year
        for year in years
        if not any(year in passage.text or passage.published.startswith(year) for passage in passages)
    ]


def unknown_names(question: Question, known: Callable[[str], bool]) -> list[str]:
    """Names in the question that no indexed document contains ("Where was the Zorblat treaty signed?")."""
    return [
        name.text for name in question.names if name.tokens and not any(known(term) for term in name.tokens)
    ]


def abstention(reason: str | None, names: Sequence[str] = (), scope: str = "indexed article") -> str:
    if names:
        listed = " or ".join(f"“{name}”" for name in names)
        return f"The documents don't say. No {scope} mentions {listed}."
    if reason in ("instructions", "task"):
        return (
            "I can only answer questions about the indexed news articles, so I won't follow that request. "
            "Ask me what the documents say about a topic instead."
        )
    return "The documents don't say. Nothing in the indexed articles answers this question."


def uniform(term: str) -> float:
    return 1.0


def answer_offline(
    question: Question,
    passages: Sequence[Passage],
    *,
    term_weight: TermWeight = uniform,
    similarity: Similarity | None = None,
    max_sentences: int = 3,
    min_support: float = 0.35,
    known: Callable[[str], bool] | None = None,
    weights: OfflineWeights = DEFAULT_WEIGHTS,
    newest_first: bool = False,
    overview: bool = False,
    arrange: Callable[[Sequence[Candidate]], Answer | None] | None = None,
    story_of: Callable[[str], str] = lambda source: source,
) -> Answer:
    """A grounded extractive answer, or an abstention. ``term_weight`` says how much a term counts (the
    index's IDF); ``known`` tells whether any indexed document holds a term, and a question naming
    something no document mentions is not answered. ``arrange`` may give the answer another shape from
    the ranked sentences once the evidence holds (None: the usual answer)."""

    def abstain(text: str) -> Answer:
        return Answer(text, abstained=True, question=question.text, passages=tuple(passages))

    if question.refusal is not None:
        return abstain(abstention(question.refusal))
    names = unknown_names(question, known) if known else []
    if names:
        return abstain(abstention(None, names))
    years = missing_years(question, passages)
    if years:
        return abstain(abstention(None, years, scope="article found for this question"))
    if overview and passages:  # "What happened last week?": the news of the scope, each story's lead
        text, citations = compose(leads(passages, max_sentences), passages)
        return Answer(text, citations, question=question.text, passages=tuple(passages))
    wanted = 1 if question.latest_only else max_sentences  # "the latest on X": its newest report
    topic = {term: term_weight(term) for term in question.news_topic}
    if topic and (reports := news_of(topic, passages, wanted, question.news_names)):
        text, citations = compose(reports, passages)  # "Any news about X?": the reports about X
        return Answer(text, citations, question=question.text, passages=tuple(passages))
    ranked = candidates(question, passages, question.term_weights(term_weight), similarity, weights)
    if evidence(question, ranked, semantic=similarity is not None) < min_support and not covers_all(
        question, ranked
    ):
        return abstain(abstention(None))
    if arrange is not None:  # another shape of answer from the same evidence (a timeline)
        arranged = arrange(ranked)
        if arranged is not None:
            return arranged
    if newest_first:
        ranked = newest_among_best(ranked, passages)
    chosen = pick_sentences(ranked, passages, max_sentences, weights)
    text, citations = compose(chosen, passages, ranked, weights, story_of)
    return Answer(text, citations, question=question.text, passages=tuple(passages))
