"""What the page shows of an answer, and how it is served: pure functions, no browser."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import ConfigurationError, InvalidRequestError
from assistant.settings import Settings
from assistant.types import Answer, Citation, DocumentRecord, UploadOutcome, answer_payload
from assistant.web.conversation import ChatOptions, Conversation, respond
from assistant.web.launch import is_loopback, launch_options
from assistant.web.login import parse_auth
from assistant.web.render import (
    answer_markdown,
    documents_rows,
    highlighted_passage,
    safe_markdown,
    sources_panel,
    status_markdown,
    turn_sources,
    upload_report,
)

PASSAGE = "First sentence here. Second one sets the scene. The quoted claim is this one. After it. Far after."


def citation(quote: str = "The quoted claim is this one.", **changes: object) -> Citation:
    start = PASSAGE.index(quote) + 100 if quote in PASSAGE else 100
    fields: dict[str, object] = {
        "source": "news/a.txt",
        "title": "A title",
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "score": 0.5,
        "passage": PASSAGE,
        "passage_start": 100,
        "passage_end": 100 + len(PASSAGE),
    }
    fields.update(changes)
    return Citation(**fields)  # type: ignore[arg-type]


def test_markers_link_to_their_source_cards_and_stray_markers_stay_text() -> None:
    answer = Answer("Claim one [1]. Claim two [2][1]. Not a source [7].", (citation(), citation()))
    text = answer_markdown(answer, turn=3)
    assert "[\\[1\\]](#nd-src-3-1)" in text and "[\\[2\\]](#nd-src-3-2)" in text
    assert "[7]" in text and "#nd-src-3-7" not in text


@pytest.mark.parametrize(
    ("hostile", "gone"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="http://evil.example/x.png" onerror="alert(1)">', "<img"),
        ("![tracker](http://evil.example/pixel.png)", "!["),
        ("[click me](javascript:alert(1))", "javascript:"),
        ("[home](http://evil.example)", "http://evil.example"),
        ("see [x]\n[x]: http://evil.example/ref\n", "http://evil.example"),
    ],
)
def test_answers_carry_no_markup_images_or_foreign_links(hostile: str, gone: str) -> None:
    text = answer_markdown(Answer(f"Fine text. {hostile} [1]", (citation(),)), turn=1)
    assert gone not in text
    assert "#nd-src-1-1" in text


@given(st.text(max_size=300))
def test_safe_markdown_never_emits_a_tag_or_an_image(text: str) -> None:
    out = safe_markdown(text)
    assert "<" not in out
    assert not re.search(r"!\[[^\]]*\]\(", out)


def test_unsupported_sentences_are_flagged_where_they_stand() -> None:
    answer = Answer(
        "Supported claim [1]. Made-up claim [1]. Last one.", (citation(),), unsupported=("Made-up claim.",)
    )
    text = answer_markdown(answer, turn=1)
    assert "Made-up claim ⚠️*(not found in the cited passage)*" in text
    assert text.count("⚠️") == 1


def test_an_unsupported_sentence_is_flagged_when_its_marker_sits_inside_it() -> None:
    answer = Answer(
        "The US [1] demanded a ceasefire, officials [2] said. Kyiv agreed [1].",
        (citation(), citation()),
        unsupported=("The US demanded a ceasefire, officials said.",),
    )
    text = answer_markdown(answer, turn=1)
    assert "officials [\\[2\\]](#nd-src-1-2) said ⚠️*(not found in the cited passage)*." in text
    assert text.count("⚠️") == 1


def test_source_cards_show_title_source_and_the_quote_marked_in_its_context() -> None:
    html = sources_panel([turn_sources(Answer("Claim [1]", (citation(),)), 1, "What is claimed?")])
    assert 'id="nd-src-1-1"' in html and "A title" in html and "news/a.txt" in html
    assert "<mark>The quoted claim is this one.</mark>" in html
    assert "What is claimed?" in html


def test_highlight_keeps_one_sentence_of_context_on_each_side() -> None:
    marked = highlighted_passage(citation())
    assert marked.startswith("… Second one sets the scene. <mark>")
    assert marked.endswith("</mark> After it. …")
    assert "First sentence" not in marked and "Far after" not in marked


def test_highlight_falls_back_to_the_quote_when_offsets_disagree() -> None:
    assert highlighted_passage(citation(start=0, end=5)) == "<mark>The quoted claim is this one.</mark>"


def test_documents_cannot_put_markup_into_the_source_panel() -> None:
    evil = citation(
        title='<img src=x onerror="alert(1)">Title',
        source="<script>x</script>.txt",
        quote="<b onclick=alert(1)>bold</b>",
        passage="",
    )
    html = sources_panel([turn_sources(Answer("x [1]", (evil,)), 1, "<svg onload=alert(1)>")])
    tags = re.findall(r"<([a-z]+)([^>]*)>", html)
    assert {name for name, _ in tags} <= {
        "details",
        "summary",
        "div",
        "span",
        "b",
        "code",
        "small",
        "blockquote",
        "mark",
    }
    assert not any(re.search(r"\bon\w+=|src=|href=", attributes) for _, attributes in tags)
    assert "&lt;img" in html  # shown as text, not dropped


def test_newest_turn_first_and_open_earlier_ones_collapsed() -> None:
    first = turn_sources(Answer("a [1]", (citation(),)), 1, "First question?")
    second = turn_sources(Answer("No.", abstained=True), 2, "Second question?")
    html = sources_panel([first, second])
    assert html.index("Second question?") < html.index("First question?")
    assert '<details class="nd-turn" id="nd-turn-2" open' in html
    assert '<details class="nd-turn" id="nd-turn-1">' in html
    assert "No sources" in html


def test_status_says_what_answered() -> None:
    assert "offline answerer" in status_markdown(Answer("x [1]", (citation(),)))
    assert "gpt-4o-mini" in status_markdown(Answer("x [1]", (citation(),), answered_by="llm:gpt-4o-mini"))
    fallback = Answer(
        "x [1]",
        (citation(),),
        answered_by="offline (fallback)",
        notice="The language model timed out; this is the offline answer.",
    )
    assert "timed out" in status_markdown(fallback) and "⚠️" in status_markdown(fallback)
    assert "don't answer" in status_markdown(Answer("No.", abstained=True))
    assert "could not be matched" in status_markdown(
        Answer("x [1]", (citation(),), answered_by="llm:m", unsupported=("x",))
    )


def test_documents_rows_and_upload_report() -> None:
    record = DocumentRecord("b.txt", "Bee", "v", "h", "/r", 3, 100, "2026-11-21T09:00:00+00:00")
    assert documents_rows([record]) == [["Bee", "b.txt", "date unknown", "", 3, "2026-11-21 09:00 UTC"]]
    from assistant.index.stories import Stories

    stories = Stories.of({"b.txt": "a.txt", "a.txt": "a.txt"})
    assert documents_rows([record], stories)[0][3] == "a.txt"  # the other copy of its story
    report = upload_report(
        [
            UploadOutcome("a.txt", "added", "a.txt was added.", "uploads/a.txt"),
            UploadOutcome("b.bin", "rejected", "b.bin <is> binary."),
        ]
    )
    assert report.splitlines()[0].startswith("- ✅") and "❌" in report and "<is>" not in report


def test_answer_payload_is_plain_json_without_the_passages() -> None:
    data = answer_payload(Answer("x [1]", (citation(),)))
    assert "passages" not in data and data["citations"][0]["source"] == "news/a.txt"


# --- serving -----------------------------------------------------------------------------------------
def test_launch_is_loopback_unshared_capped_and_unmonitored_by_default() -> None:
    options = launch_options(Settings())
    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["share"] is False and options["enable_monitoring"] is False
    assert options["max_file_size"] == Settings().max_file_bytes and options["auth"] is None


def test_binding_beyond_loopback_requires_auth() -> None:
    with pytest.raises(ConfigurationError, match="ASSISTANT_AUTH"):
        launch_options(Settings(server_name="0.0.0.0"))
    options = launch_options(Settings(server_name="0.0.0.0", auth="ann:s3cret,bob:pw"))
    assert options["auth"] == [("ann", "s3cret"), ("bob", "pw")]


@pytest.mark.parametrize("bad", ["ann", "ann:", ":pw", "ann:pw,"])
def test_malformed_auth_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="user:password"):
        parse_auth(bad)


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2") and not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


# --- a conversation turn -------------------------------------------------------------------------------
class ScriptedChain:
    """Streams fixed answers; records what it was asked."""

    def __init__(self, *items: Answer) -> None:
        self.items = items
        self.requests: list[dict[str, object]] = []

    def stream(self, input: dict[str, object], config: object = None, **kwargs: object):
        self.requests.append(input)
        yield from self.items


def test_a_turn_streams_then_links_markers_and_keeps_the_history() -> None:
    chain = ScriptedChain(
        Answer("Claim [1]", done=False), Answer("Claim [1] more [2]", (citation(), citation()))
    )
    views = list(respond(chain, Conversation(), "  What   is claimed? ", ChatOptions(4, "dense", False)))
    assert views[0].messages == [{"role": "user", "content": "What is claimed?"}] and not views[0].done
    assert views[1].messages[-1]["content"] == "Claim [1]"  # no links while streaming: no citations yet
    final = views[-1]
    assert final.done and "#nd-src-1-2" in final.messages[-1]["content"]
    assert final.conversation.history[-1] == {"role": "assistant", "content": "Claim [1] more [2]"}
    assert 'id="nd-src-1-1"' in final.sources_html
    assert chain.requests[0] == {
        "question": "What is claimed?",
        "chat_history": [],
        "use_llm": False,
        "top_k": 4,
        "retrieval_mode": "dense",
    }
    follow_up = list(respond(chain, final.conversation, "And then?", ChatOptions()))[-1]
    assert len(chain.requests[1]["chat_history"]) == 2  # type: ignore[arg-type]
    assert follow_up.conversation.turns == 2 and "#nd-src-2-1" in follow_up.messages[-1]["content"]


def test_an_empty_question_changes_nothing() -> None:
    with pytest.raises(InvalidRequestError):
        list(respond(ScriptedChain(), Conversation(), "   ", ChatOptions()))


def test_a_real_turn_on_the_seed_index(seed_chain) -> None:
    views = list(
        respond(seed_chain, Conversation(), "How long is the truce Ukraine agreed to?", ChatOptions())
    )
    final = views[-1]
    assert final.answer is not None and not final.answer.abstained
    assert "30-day" in final.messages[-1]["content"] and "#nd-src-1-1" in final.messages[-1]["content"]
    assert "offline answerer" in final.status


def test_bare_web_and_mail_addresses_are_code_not_links() -> None:
    shown = safe_markdown("Log in at http://evil.example/a?b=1&c=2. Or www.evil.example, or x@evil.example!")
    assert shown == "Log in at `http://evil.example/a?b=1&c=2`. Or `www.evil.example`, or `x@evil.example`!"
