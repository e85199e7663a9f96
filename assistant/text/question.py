"""One question, analysed once at the start of a turn: its tokens and weighted terms, the kind of answer
it asks for, the names and dates it holds, whether it is a request to refuse, and whether it leans on the
conversation. Retrieval and the answerers read the `Question`; none of them re-reads the text.

    question = analyse_question("Who did Trump send to Kyiv?", history)

The analysis is pure text: what depends on the index (how rare a term is) is applied by its reader
(`Question.term_weights(idf)`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from assistant.text.answer_types import DATE, counted_terms, expected_answer_type
from assistant.text.days import MONTHS, Day, mentioned_days
from assistant.text.injection import asks_to_override
from assistant.text.tokens import keyword_tokens

TermWeight = Callable[[str], float]
Message = Mapping[str, str]

# Requests for something other than facts from the documents.
_TASK = re.compile(
    r"^\s*(please\s+|can you\s+|could you\s+)?"
    r"(write|compose|draft|generate|create|make up|invent|sing|draw)\b"
    r".{0,60}\b(poem|story|song|joke|essay|haiku|limerick|code|script|program|email|letter|recipe|rap|tweet)s?\b"
    r"|^\s*(please\s+)?translate\b|\brecipe\b|\btell me a joke\b",
    re.IGNORECASE | re.DOTALL,
)
# Words that point back at the conversation ("What did they say after that meeting?").
_REFERENCE = re.compile(
    r"\b(he|she|they|them|their|theirs|him|his|her|it|its|this|that|these|those|there|then|such|the same|"
    r"the (deal|meeting|talks|plan|agreement|truce|proposal|call|conference|report|trip|visit))\b",
    re.IGNORECASE,
)
MARKER = re.compile(r"\[\d+\]")
# A capitalised word inside the question: a name the documents must know to answer it.
_QUESTION_NAME = re.compile(r"(?<=[\w,;:'’\"] )[A-Z][a-z]{2,}(?:[-'][A-Za-z]+)?\b")
_DEMONYM = re.compile(r"(an|ans|ern|ese|ish|ic)$")  # "American", "Western": adjectives, not names

# Words that shape a question but carry no topic.
# "what" comes from "What's": the tokenizer keeps it (its stop word is "what", not "what's").
QUESTION_FILLER = frozenset(
    keyword_tokens(
        "say said tell told mention mentioned report reported according article document documents news"
    )
) | {"what"}
# Words that only shape a timeline request ("Give me a timeline of ...", "how did it develop").
TIMELINE_FORM = frozenset(
    keyword_tokens(
        "timeline chronology chronological order sequence events develop developed unfold unfolded evolve "
        "evolved progress progressed give step time happen happened"
    )
)
_INTERROGATIVE = re.compile(
    r"^(?:(?:by|in|on|at|for|from|to|with|of|since|under|after|before|and|but|so)\s+)?"
    r"(what|who|whom|whose|when|where|why|how|which|is|are|was|were|do|does|did|can|could|will|would|"
    r"should|has|have|had)\b",
    re.IGNORECASE,
)
# A question asking for the news of a topic rather than a fact: "What's the latest on the mayor?", "Any
# news about the ferry?", "Any updates on the minerals deal?", "What is new with Zelensky?".
_NEWS_OF = re.compile(
    r"\b(?:(?:the\s+)?(?:latest|newest|most\s+recent|recent)(?:\s+(?:news|updates?|developments?|reports?))?"
    r"|news|updates?|developments?)\s+(?:on|about|regarding|concerning|with|from|in|for|of)\b"
    r"|\bwhat(?:'s|’s|\s+is)\s+(?:new|the\s+latest)\s+(?:on|about|with|in|for)\b"
    r"|\bwhat(?:'s|’s|\s+is)\s+the\s+latest\b",
    re.IGNORECASE,
)
_NAME_PHRASE = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:(?:of|the|for|de|and)\s+)?[A-Z][\w'’-]+)+")
_LATEST_ONLY = re.compile(r"\b(latest|newest|most\s+recent)\b", re.IGNORECASE)
# ... unless it asks what someone did or said ("What did the latest report on inflation say?"): a fact.
_ASKS_AN_ACT = re.compile(
    r"^\W*(?:what|who|when|where|why|how|which)\s+(?:did|does|do|will|would|could|can|should|has|have|had)\b",
    re.IGNORECASE,
)
NEWS_FORM = frozenset(
    keyword_tokens("latest newest most recent news update updates development developments new reports any")
)
MAX_NEWS_TOPIC_TERMS = 3
_TIMELINE = re.compile(
    r"\b(timeline|chronolog\w*|sequence of events|in (chronological |what )?order|step by step|over time|"
    r"how did .{2,80}? (develop|unfold|evolve|progress|come about)|"
    r"how has .{2,80}? (developed|unfolded|evolved))\b",
    re.IGNORECASE,
)
CONTEXT_WEIGHT = 0.25  # weight of terms that only the earlier turns of a follow-up contribute


@dataclass(frozen=True, slots=True)
class QuestionName:
    """A name the question holds, with its keyword tokens."""

    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    text: str  # as asked, white space collapsed
    tokens: tuple[str, ...]  # keyword tokens of the text
    answer_type: str  # see assistant.text.answer_types
    counted: frozenset[str]  # what a "how many / how much" question counts
    names: tuple[QuestionName, ...]  # capitalised words the documents must know (not demonyms)
    dates: tuple[str, ...]  # the date expressions it holds ("February 12", "2025", "last week")
    days: tuple[Day, ...]  # the calendar days it names, in any form ("Feb. 12" -> (2, 12, None))
    refusal: str | None  # "instructions" or "task" when it is not a question about the documents
    timeline: bool  # it asks how something unfolded, in order ("Give me a timeline of ...")
    follows_up: bool  # it leans on the conversation ("Who proposed it?")
    context: str  # the earlier turns' text it leans on ("" for a standalone question)
    terms: Mapping[str, float]  # its topic terms (1.0), and those only the context holds (CONTEXT_WEIGHT)
    query: str  # what retrieval searches for: the text, with the context for a follow-up
    query_tokens: tuple[str, ...]
    news_topic: tuple[str, ...] = ()  # the topic terms of a question asking for its news ("latest on X")
    news_names: tuple[str, ...] = ()  # ... and the names of several words it holds ("Bank of Japan")
    latest_only: bool = False  # ... and for its latest news only ("the latest", "most recent", "newest")

    @property
    def asked(self) -> frozenset[str]:
        """The question's own terms: a name or date among them is not an answer to it."""
        return frozenset(self.tokens)

    def without_terms(self, terms: frozenset[str], days: tuple[Day, ...] = ()) -> Question:
        """The same question with some topic terms and days set aside (the words that named an outlet or
        a period the turn already filtered by: the sentences need not hold them, nor state those days)."""
        kept_days = tuple(day for day in self.days if day not in days)
        if not terms & self.terms.keys() and kept_days == self.days:
            return self
        kept = {term: share for term, share in self.terms.items() if term not in terms}
        return replace(self, terms=MappingProxyType(kept), days=kept_days)

    def term_weights(self, weight: TermWeight) -> dict[str, float]:
        """The terms weighted by ``weight`` (an index's IDF), context-only terms at their share."""
        return {term: weight(term) * share for term, share in self.terms.items()}

    def with_query(self, query: str) -> Question:
        """The same question searched for with another text (a standalone question an LLM wrote)."""
        return replace(self, query=query, query_tokens=tuple(keyword_tokens(query)))


def analyse_question(text: str, history: Sequence[Message] = (), *, max_query_chars: int = 2000) -> Question:
    """Everything the turn needs to know about ``text``; ``history`` is the conversation before it."""
    tokens = tuple(keyword_tokens(text))
    timeline = bool(_TIMELINE.search(text))
    follows_up = leans_on_history(text, tokens, history)
    context = conversation_context(history) if follows_up else ""
    asked = as_question(text)[:max_query_chars]
    query = f"{asked} {context}"[:max_query_chars] if follows_up else asked
    terms = topic_terms(
        [t for t in tokens if t not in TIMELINE_FORM] if timeline else tokens, keyword_tokens(context)
    )
    return Question(
        text=text,
        tokens=tokens,
        answer_type=expected_answer_type(text),
        counted=frozenset(counted_terms(text)),
        names=question_names(text),
        dates=tuple(match.group(0).strip() for match in DATE.finditer(text)),
        days=tuple(sorted(mentioned_days(text), key=lambda day: (day[0], day[1], day[2] or 0))),
        refusal=refusal_reason(text),
        timeline=timeline,
        follows_up=follows_up,
        context=context,
        terms=MappingProxyType(terms),
        query=query,
        query_tokens=tokens if query == asked else tuple(keyword_tokens(query)),
        news_topic=(topic := news_topic(text, terms) if not timeline else ()),
        news_names=_name_phrases(text[_NEWS_OF.search(text).end() :]) if topic else (),  # type: ignore[union-attr]
        latest_only=bool(_LATEST_ONLY.search(text)),
    )


def _name_phrases(text: str) -> tuple[str, ...]:
    """Names of several capitalised words ("Bank of Japan", "Harbor Bridge"), as written."""
    return tuple(" ".join(match.group(0).split()) for match in _NAME_PHRASE.finditer(text))


def news_topic(text: str, terms: Mapping[str, float]) -> tuple[str, ...]:
    """The topic of a question that asks for its news ("What's the latest on the mayor?" -> mayor), or ()
    for any other question. A topic of more than a few terms is a question about a fact, not a topic."""
    if not _NEWS_OF.search(text) or _ASKS_AN_ACT.search(text):
        return ()
    topic = tuple(term for term, share in terms.items() if share == 1.0 and term not in NEWS_FORM)
    return topic if 1 <= len(topic) <= MAX_NEWS_TOPIC_TERMS else ()


def as_question(text: str) -> str:
    """The text as retrieval and the similarity model should read it: a question typed without its
    question mark ("what did vance and rubio do") gets one, so it is searched for exactly as the
    punctuated question is (the embedding model is uncased but reads punctuation)."""
    if text and text[-1] not in ".?!…" and _INTERROGATIVE.match(text):
        return f"{text}?"
    return text


def refusal_reason(question: str) -> str | None:
    """Why a request is not a question about the corpus, or None when it is one."""
    if asks_to_override(question):
        return "instructions"
    if _TASK.search(question):
        return "task"
    return None


def question_names(question: str) -> tuple[QuestionName, ...]:
    names = []
    for match in _QUESTION_NAME.finditer(question):
        if not _DEMONYM.search(match.group(0)) and match.group(0).lower() not in MONTHS:  # dates are no names
            names.append(QuestionName(match.group(0), tuple(keyword_tokens(match.group(0)))))
    return tuple(names)


def topic_terms(tokens: Sequence[str], context_tokens: Sequence[str]) -> dict[str, float]:
    """The question's topic terms at share 1, and terms only the follow-up context holds at
    CONTEXT_WEIGHT."""
    terms = dict.fromkeys((t for t in tokens if t not in QUESTION_FILLER), 1.0)
    for term in context_tokens:
        if term not in terms and term not in QUESTION_FILLER:
            terms[term] = CONTEXT_WEIGHT
    return terms


def leans_on_history(question: str, tokens: Sequence[str], history: Sequence[Message]) -> bool:
    """A question that refers back ("What did they say after that meeting?") or is too short to stand
    alone, in a conversation that has one."""
    if not any(m["role"] == "user" for m in history):
        return False
    return bool(_REFERENCE.search(question)) or len(tokens) <= 2


def conversation_context(history: Sequence[Message], turns: int = 1) -> str:
    """The last user question(s) and the start of the last answer, without citation markers."""
    users = [m["content"] for m in history if m["role"] == "user"][-turns:]
    answers = [m["content"] for m in history if m["role"] == "assistant"][-1:]
    text = " ".join(users + [a[:300] for a in answers])
    return MARKER.sub("", text).strip()
