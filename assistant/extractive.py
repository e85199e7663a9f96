"""The offline answerer: the few sentences of the retrieved passages that best answer the question,
verbatim, each followed by its citation marker. It never writes text that is not in the corpus, and it
abstains when the evidence is weak or the request is not a question about the corpus.

Everything here is pure: scores come from the passages, the question and a term-weight function."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.instructions import is_instruction
from assistant.keyword import keyword_tokens
from assistant.sentences import split_sentences
from assistant.types import Answer, Citation, Passage

TermWeight = Callable[[str], float]
Similarity = Callable[[Sequence[str]], Sequence[float]]  # cosine similarity of texts to the question

# Requests that are instructions to the assistant rather than questions about the news.
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,60}\b(instructions?|prompts?|rules|guidelines|above|previous)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bpretend (to be|you)\b|\bact as\b|\bjailbreak\b|\bdeveloper mode\b"
    r"|\b(reveal|print|show|repeat)\b.{0,30}\b(prompt|instructions)\b",
    re.IGNORECASE | re.DOTALL,
)
_TASK = re.compile(
    r"^\s*(please\s+|can you\s+|could you\s+)?"
    r"(write|compose|draft|generate|create|make up|invent|sing|draw)\b"
    r".{0,60}\b(poem|story|song|joke|essay|haiku|limerick|code|script|program|email|letter|recipe|rap|tweet)s?\b"
    r"|^\s*(please\s+)?translate\b|\brecipe\b|\btell me a joke\b",
    re.IGNORECASE | re.DOTALL,
)
_DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?\s*\d{0,2}|\b(19|20)\d{2}\b|\b(Monday|Tuesday|"
    r"Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|last week|next week|earlier|"
    r"later|this week|summer|winter|spring|autumn)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|millions?|billions?)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-z]+|[A-Z](?:\.[A-Z])+\.?|[A-Z]{2,})")
# A run of capitalized words: "Treasury Secretary Scott Bessent" ("JD Vance" is missed).
_PERSON = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][a-z]{2,})+")
_TITLES = frozenset(
    keyword_tokens(
        "president vice prime minister secretary envoy special foreign defense treasury state chancellor "
        "spokesman spokeswoman spokesperson ambassador general senator former leader official mr mrs ms dr"
    )
)
_PERSON_QUESTION = re.compile(
    r"\bname of\b|^(who|whom|whose)\b.*\b(envoy|secretary|president|minister|official|leader|spokes\w+|"
    r"ambassador|general|senator|person|man|woman)\b"
)
# Source-list lines ("Reuters: www.reuters.com (headline)") hold links, not statements.
_LISTING = re.compile(r"\b(www\.|https?://)|\.(com|org|net)\b")

# Sentence scoring, chosen with tests/eval/seed.jsonl (see benchmarks/tune_answerer.py).
SIMILARITY_SHARE = 0.7  # relevance = share of semantic similarity vs term coverage
RELEVANCE_WEIGHT = 0.65
# The passage's retrieval score is left out: retrieval already chose which passages are read, and with
# score fusion adding it only pulled sentences of the top passage ahead of better ones.
TYPE_WEIGHT = 0.1  # the sentence holds the kind of answer asked for
LISTING_PENALTY = 0.2
HEADING_PENALTY = 0.15  # headlines and section titles name a topic; they rarely answer
KEEP_RATIO = 0.8  # further sentences of the best one's document must score this share of the best
OTHER_DOCUMENT_RATIO = 0.97  # ... and sentences of other documents this share
CORROBORATION = 0.7  # share of a quote's terms another document's sentence must share to be cited too
NEIGHBOUR_RATIO = 0.5  # the best sentence's neighbour joins it when it scores this share of the best

CONTEXT_WEIGHT = 0.25  # weight of terms that only the earlier turns of a follow-up contribute

# Words that shape a question but carry no topic.
QUESTION_FILLER = frozenset(
    keyword_tokens(
        "say said tell told mention mentioned report reported according article document documents news"
    )
)


def refusal_reason(question: str) -> str | None:
    """Why a request is not a question about the corpus, or None when it is one."""
    if _INJECTION.search(question):
        return "instructions"
    if _TASK.search(question):
        return "task"
    return None


def expected_answer_type(question: str) -> str:
    """The kind of answer a question asks for, from its wording (classic answer-type detection)."""
    q = question.strip().lower()
    if re.match(r"^(when|what (date|day|time|year|month))\b", q) or re.search(r"\bwhat (date|day)\b", q):
        return "date"
    if re.match(r"^how (many|much|long|old|far)\b", q) or re.search(r"\b(how many|how much)\b", q):
        return "number"
    if _PERSON_QUESTION.search(q):
        return "person"
    if re.match(r"^(who|whom|whose)\b", q):
        return "name"
    if re.match(r"^where\b", q):
        return "place"
    if re.match(r"^why\b", q):
        return "reason"
    if re.search(r"\b(conditions?|terms|requirements?|demands?|in return|in exchange)\b", q):
        return "condition"
    return "any"


# Without a date, number or name, a sentence cannot answer when / how many / who at all; the other cues
# only make a sentence more likely to answer.
STRICT_TYPES = frozenset({"date", "number", "name", "person"})
# What a sentence holding each kind of answer usually contains.
_TYPE_CUES = {
    "date": _DATE,
    "name": _NAME,
    "person": _PERSON,
    "place": re.compile(
        r"\b(in|at|near|from|to) (the )?[A-Z][a-z]+|\b(region|city|capital|village|border)\b"
    ),
    "reason": re.compile(
        r"\b(because|due to|in order to|so that|aim(s|ed)? to|to (pressure|push|force)|argue|since|"
        r"as a result|intended to)\b"
    ),
    "condition": re.compile(
        r"\b(if|requires?d?|condition|as part of|in exchange|in return|must|provided|commits? to|"
        r"would need)\b",
        re.IGNORECASE,
    ),
}


def matches_type(sentence: str, answer_type: str, question: str = "") -> bool:
    """Whether the sentence holds the kind of answer asked for. A name or date the question itself
    contains is not an answer to it ("Who did Trump send?" is not answered by "Trump"), and a count must
    be of the thing asked about ("how much military aid" is not answered by "$500 billion of minerals")."""
    if answer_type == "number":  # a quantity, not the digits of a date
        if not _NUMBER.search(_DATE.sub(" ", sentence)):
            return False
        focus = counted_terms(question)
        if focus & _MONEY_TERMS and _CURRENCY.search(sentence):
            return True
        return not focus or bool(focus & set(keyword_tokens(sentence)))
    cue = _TYPE_CUES.get(answer_type)
    if cue is None:
        return True
    if answer_type not in STRICT_TYPES or not question:
        return bool(cue.search(sentence))
    asked = set(keyword_tokens(question))
    for match in cue.finditer(sentence):
        terms = set(keyword_tokens(match.group(0)))
        if answer_type == "person":  # the same person under a title the question doesn't use
            terms -= _TITLES
            if terms and not terms & asked:
                return True
        elif terms - asked:
            return True
    return False


_COUNTED = re.compile(r"\bhow (?:many|much)((?: [a-z-]+){1,3})")
_MONEY_TERMS = frozenset(keyword_tokens("money cost costs price funds funding cash dollars euros"))
_CURRENCY = re.compile(r"[$€£]\s?\d|\b(dollars?|euros?|pounds)\b", re.IGNORECASE)
_AUXILIARY = frozenset(
    {"is", "are", "was", "were", "has", "have", "had", "do", "does", "did", "will", "would", "can", "could"}
)


def counted_terms(question: str) -> set[str]:
    """The terms of what a "how many / how much" question counts ("soldiers", "military aid")."""
    found = _COUNTED.search(question.lower())
    if not found:
        return set()
    words = found.group(1).split()
    if words[0] in _AUXILIARY:  # "how much was it worth": nothing named
        return set()
    ends = [i for i, word in enumerate(words) if word in _AUXILIARY]
    return set(keyword_tokens(" ".join(words[: ends[0]] if ends else words[:1])))


@dataclass(frozen=True, slots=True)
class Candidate:
    passage: int  # index into the passages
    start: int  # offsets in the cleaned document
    end: int
    text: str
    coverage: float  # share of the question's term weight found in the sentence
    similarity: float  # semantic similarity to the question (0 when not computed)
    score: float


def query_weights(question: str, context: str, weight: TermWeight) -> dict[str, float]:
    """Term weights of the question (IDF), with terms only in the follow-up context at half weight."""
    weights = {t: weight(t) for t in keyword_tokens(question) if t not in QUESTION_FILLER}
    for term in keyword_tokens(context):
        if term not in weights and term not in QUESTION_FILLER:
            weights[term] = weight(term) * CONTEXT_WEIGHT
    return weights


def coverage(terms: set[str], weights: dict[str, float]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in terms) / total if total else 0.0


def candidates(
    question: str,
    passages: Sequence[Passage],
    weights: dict[str, float],
    similarity: Similarity | None = None,
) -> list[Candidate]:
    """Every sentence of the passages, scored by relevance (term coverage and, when given, semantic
    similarity) and whether it holds the kind of answer asked for."""
    answer_type = expected_answer_type(question)
    spans = [
        (index, start, end, passage.text[start:end])
        for index, passage in enumerate(passages)
        for start, end in split_sentences(passage.text)
    ]
    spans = [s for s in spans if len(s[3]) >= 20 and not is_instruction(s[3])]
    similarities = list(similarity([s[3] for s in spans])) if similarity and spans else [0.0] * len(spans)
    found: list[Candidate] = []
    for (index, start, end, text), sim in zip(spans, similarities, strict=True):
        passage = passages[index]
        cov = coverage(set(keyword_tokens(text)), weights)
        typed = 1.0 if matches_type(text, answer_type, question) else 0.0
        relevance = (1 - SIMILARITY_SHARE) * cov + SIMILARITY_SHARE * max(sim, 0.0) if similarity else cov
        score = (
            RELEVANCE_WEIGHT * relevance
            + TYPE_WEIGHT * typed
            - (LISTING_PENALTY if _LISTING.search(text) else 0.0)
            - (HEADING_PENALTY if text[-1] not in ".!?…\"'”’)" else 0.0)
        )
        found.append(
            Candidate(index, passage.start + start, passage.start + end, text, cov, max(sim, 0.0), score)
        )
    return sorted(found, key=lambda c: -c.score)


def evidence(question: str, ranked: Sequence[Candidate], semantic: bool = True) -> float:
    """How strongly the passages answer the question (0..1): the semantic similarity of the closest
    sentence (its term coverage when no similarity was computed). For "when" / "how many" / "who",
    only sentences holding a date, a count of the thing asked about or a new name count, and the best
    sentence must be one of them."""
    answer_type = expected_answer_type(question)
    if not ranked:
        return 0.0
    typed = ranked
    if answer_type in STRICT_TYPES:
        typed = [c for c in ranked if matches_type(c.text, answer_type, question)]
        if not typed or typed[0] is not ranked[0]:
            return 0.0
    return max(c.similarity if semantic else c.coverage for c in typed)


def pick_sentences(ranked: Sequence[Candidate], passages: Sequence[Passage], limit: int) -> list[Candidate]:
    """The best sentence with its stronger neighbour (news paragraphs often finish a thought in the next
    sentence), then the next-best sentences that score nearly as well, without near-repeats."""
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    neighbours = [c for c in ranked[1:] if _adjacent(c, best, passages)]
    if neighbours and limit > 1 and neighbours[0].score >= NEIGHBOUR_RATIO * best.score:
        chosen.append(neighbours[0])
    seen = [set(keyword_tokens(c.text)) for c in chosen]
    best_source = passages[best.passage].source
    for candidate in ranked[1:]:
        if len(chosen) >= limit or candidate.score < min(KEEP_RATIO, OTHER_DOCUMENT_RATIO) * best.score:
            break
        same_document = passages[candidate.passage].source == best_source
        if candidate.score < (KEEP_RATIO if same_document else OTHER_DOCUMENT_RATIO) * best.score:
            continue
        terms = set(keyword_tokens(candidate.text))
        if candidate in chosen or any(
            len(terms & other) / max(1, min(len(terms), len(other))) > 0.6 for other in seen
        ):
            continue
        chosen.append(candidate)
        seen.append(terms)
    return chosen


def _adjacent(a: Candidate, b: Candidate, passages: Sequence[Passage]) -> bool:
    same_document = passages[a.passage].source == passages[b.passage].source
    return same_document and (0 <= a.start - b.end <= 3 or 0 <= b.start - a.end <= 3)


def compose(
    chosen: Sequence[Candidate], passages: Sequence[Passage], ranked: Sequence[Candidate] = ()
) -> tuple[str, tuple[Citation, ...]]:
    """Sentences in readable order (documents by relevance, sentences by position), adjacent sentences of
    one document merged into one quote, each quote followed by its marker. When another document states
    the same thing (a near-identical sentence among ``ranked``), the quote carries its marker too."""
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
    parts: list[str] = []
    citations: list[Citation] = []
    for group in groups:
        passage = passages[group[0].passage]
        quote = passage.text[group[0].start - passage.start : group[-1].end - passage.start]
        sources = [_citation(passage, group)]
        sources += [_citation(passages[c.passage], [c]) for c in _corroborating(group, passages, ranked)]
        markers = "".join(f"[{len(citations) + i}]" for i in range(1, len(sources) + 1))
        citations.extend(sources)
        parts.append(f"{' '.join(quote.split())} {markers}")  # one line even if the quote spans paragraphs
    return " ".join(parts), tuple(citations)


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
    )


def _corroborating(
    group: Sequence[Candidate], passages: Sequence[Passage], ranked: Sequence[Candidate]
) -> list[Candidate]:
    """At most one near-identical sentence per other document, for a one-sentence quote."""
    if len(group) != 1:
        return []
    source = passages[group[0].passage].source
    terms = set(keyword_tokens(group[0].text))
    found: dict[str, Candidate] = {}
    for candidate in ranked:
        other = passages[candidate.passage].source
        if other == source or other in found:
            continue
        shared = len(terms & set(keyword_tokens(candidate.text)))
        if shared >= CORROBORATION * max(1, len(terms)):
            found[other] = candidate
    return list(found.values())


# A capitalised word inside the question: a name the documents must know to answer it.
_QUESTION_NAME = re.compile(r"(?<=[\w,;:'’\"] )[A-Z][a-z]{2,}(?:[-'][A-Za-z]+)?\b")


_DEMONYM = re.compile(r"(an|ans|ern|ese|ish|ic)$")


def unknown_names(question: str, known: Callable[[str], bool]) -> list[str]:
    """Names in the question that no indexed document contains ("Where was the Zorblat treaty signed?")."""
    unknown = []
    for match in _QUESTION_NAME.finditer(question):
        if _DEMONYM.search(match.group(0)):  # "American", "Western": adjectives, not names
            continue
        terms = keyword_tokens(match.group(0))
        if terms and not any(known(term) for term in terms):
            unknown.append(match.group(0))
    return unknown


def abstention(question: str, reason: str | None, names: Sequence[str] = ()) -> str:
    if names:
        listed = " or ".join(f"“{name}”" for name in names)
        return f"The documents don't say. No indexed article mentions {listed}."
    if reason in ("instructions", "task"):
        return (
            "I can only answer questions about the indexed news articles, so I won't follow that request. "
            "Ask me what the documents say about a topic instead."
        )
    return "The documents don't say. Nothing in the indexed articles answers this question."


def answer_offline(
    question: str,
    passages: Sequence[Passage],
    weight: TermWeight,
    *,
    context: str = "",
    similarity: Similarity | None = None,
    max_sentences: int = 3,
    min_support: float = 0.35,
    known: Callable[[str], bool] | None = None,
) -> Answer:
    """A grounded extractive answer, or an abstention. ``known`` tells whether any indexed document
    holds a term; a question naming something no document mentions is not answered."""
    reason = refusal_reason(question)
    if reason is not None:
        return Answer(
            abstention(question, reason), abstained=True, question=question, passages=tuple(passages)
        )
    names = unknown_names(question, known) if known else []
    if names:
        return Answer(
            abstention(question, None, names), abstained=True, question=question, passages=tuple(passages)
        )
    weights = query_weights(question, context, weight)
    ranked = candidates(question, passages, weights, similarity)
    if evidence(question, ranked, semantic=similarity is not None) < min_support:
        return Answer(abstention(question, None), abstained=True, question=question, passages=tuple(passages))
    text, citations = compose(pick_sentences(ranked, passages, max_sentences), passages, ranked)
    return Answer(text, citations, question=question, passages=tuple(passages))
