"""Stories: copies and light re-edits of one report share a story, kept incrementally with the index; a
retrieved paragraph is kept once per story, and a citation names the story's other copies."""

from __future__ import annotations

from pathlib import Path

from assistant import build_chain
from assistant.index.stories import Stories
from assistant.retrieval.stories import one_per_story
from assistant.settings import Settings
from assistant.types import Chunk
from ingest.pipeline import run_ingest
from ingest.stories import cluster, signature

REPORT = (
    "Ferry firm adds early crossing\n\n"
    "Ferry operator Bluewater Lines said on Monday it will add a 6 a.m. crossing to Gull Island from "
    "February 17, after commuters asked for an earlier boat. The crossing will run on weekdays only and "
    "will use the smaller of the company's two ferries, which carries up to 120 passengers. Bluewater "
    "said the timetable would be reviewed in the summer, once it knew how many people used the new boat. "
    "The island's council welcomed the change and said it had asked for an early boat for three years."
)
REEDIT = REPORT.replace("on Monday", "on Monday morning").replace("three years", "four years") + (
    " A spokesman said tickets would cost the same as on later crossings."
)
OTHER = (
    "Storm floods market\n\nHeavy storms on March 11 flooded the waterfront market, and the stalls stayed "
    "closed the next day while traders cleared the water. The market association said repairs to the "
    "drains would start in April and asked the council for help with the cost."
)


def test_copies_and_re_edits_share_a_story_and_other_reports_do_not() -> None:
    signatures = {"a.txt": signature(REPORT), "b.txt": signature(REPORT), "c.txt": signature(REEDIT)}
    signatures["d.txt"] = signature(OTHER)
    assert cluster(signatures) == {"a.txt": "a.txt", "b.txt": "a.txt", "c.txt": "a.txt", "d.txt": "d.txt"}


def test_a_repeated_paragraph_is_kept_once_per_story_and_new_content_stays() -> None:
    def chunk(source: str, text: str) -> Chunk:
        return Chunk(f"{source}-{text[:5]}", source, source, text, 0, len(text), 0, "v")

    stories = Stories.of({"a.txt": "a.txt", "b.txt": "a.txt"})
    chunks = [
        chunk("a.txt", REPORT),
        chunk("b.txt", REPORT),
        chunk("b.txt", "Tickets cost the same."),
        chunk("d.txt", OTHER),
    ]
    kept = one_per_story(chunks, stories)
    assert [(c.source, c.text[:7]) for c in kept] == [
        ("a.txt", "Ferry f"),
        ("b.txt", "Tickets"),
        ("d.txt", "Storm f"),
    ]
    assert one_per_story(chunks, Stories()) == chunks  # without stories every document is its own


def test_stories_are_kept_with_the_index_incrementally(tmp_path: Path, make_settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "wire.txt").write_text(REPORT)
    (folder / "reprint.txt").write_text(REPORT)
    (folder / "update.txt").write_text(REEDIT)
    (folder / "storm.txt").write_text(OTHER)
    settings: Settings = make_settings(corpus_dir=folder)
    report = run_ingest(settings, embeddings=embeddings)
    assert (report.stories_shared, report.documents_in_shared_stories) == (1, 3)
    chain = build_chain(settings, embeddings=embeddings)
    answer = chain.invoke({"question": "When does the early ferry crossing to Gull Island start?"})
    assert len({c.source for c in answer.citations}) == 1  # one story, cited once
    assert set(answer.citations[0].also_in) | {answer.citations[0].source} == {
        "wire.txt",
        "reprint.txt",
        "update.txt",
    }

    (folder / "update.txt").write_text(OTHER.replace("March 11", "March 12") + " Traders met the mayor.")
    (folder / "reprint.txt").unlink()
    report = run_ingest(settings, embeddings=embeddings)
    stories = build_chain(settings, embeddings=embeddings).services.store.stories()
    assert stories.of_source("update.txt") == stories.of_source("storm.txt")  # it is another story now
    assert stories.others("wire.txt") == ()

    settings.index_dir.joinpath(f"stories-{settings.collection}.npz").write_bytes(b"damaged")
    assert build_chain(settings, embeddings=embeddings).services.store.stories().shared == 0  # each its own
    assert run_ingest(settings, embeddings=embeddings).stories_shared == 1  # and computed again


def test_the_card_and_the_cli_name_the_other_copies() -> None:
    from assistant.answer.cli import format_answer
    from assistant.types import Answer, Citation
    from assistant.web.render import source_card

    citation = Citation("wire.txt", "Ferry", "A quote.", 0, 8, 1.0, also_in=("reprint.txt", "update.txt"))
    assert "Also in (the same story): reprint.txt, update.txt" in source_card(citation, 1, 1)
    assert "also in (the same story): reprint.txt, update.txt" in format_answer(
        Answer("A quote. [1]", (citation,))
    )


def test_a_copy_does_not_corroborate_its_own_story_but_another_report_does() -> None:
    from assistant.answer.offline import answer_offline
    from assistant.text.question import analyse_question
    from assistant.types import Passage

    def passage(source: str, text: str) -> Passage:
        return Passage(
            Chunk(f"id-{source}", source, source, text, 0, len(text), 0, "v"), text, 0, len(text), 1.0
        )

    sentence = "Ukraine agreed to a 30-day ceasefire proposed by the United States at talks in Jeddah."
    passages = [
        passage("wire.txt", sentence),
        passage("reprint.txt", sentence),
        passage("other.txt", sentence),
    ]
    question = analyse_question("What did Ukraine agree to in Jeddah?")
    story = {"wire.txt": "wire.txt", "reprint.txt": "wire.txt", "other.txt": "other.txt"}
    answer = answer_offline(question, passages, story_of=lambda source: story[source])
    assert [c.source for c in answer.citations] == ["wire.txt", "other.txt"]  # two reports, not three copies
    assert answer.answer.endswith("[1][2]")


def test_the_answer_says_which_reports_state_a_corroborated_fact() -> None:
    from assistant.answer.chain import corroboration
    from assistant.types import Citation

    cited = (
        Citation("wire.txt", "", "q", 0, 1, 1.0, outlet="Bloomberg"),
        Citation("other.txt", "", "q", 0, 1, 1.0),
        Citation("third.txt", "", "q", 0, 1, 1.0, outlet="Reuters"),
    )
    assert (
        corroboration("A fact. [1][2] Another. [3]", cited) == "[1][2]: reported by Bloomberg and other.txt."
    )
    assert corroboration("A fact. [1]", cited) == ""


def test_a_fact_from_one_report_is_marked_when_other_reports_on_the_topic_exist() -> None:
    from assistant.answer.chain import corroboration
    from assistant.types import Citation, Passage

    def retrieved(source: str, score: float) -> Passage:
        return Passage(Chunk(f"id-{source}", source, source, "t", 0, 1, 0, "v"), "t", 0, 1, score)

    cited = (Citation("wire.txt", "", "q", 0, 1, 1.0),)
    passages = [retrieved("wire.txt", 1.0), retrieved("reprint.txt", 0.95), retrieved("other.txt", 0.9)]
    story = {"wire.txt": "wire.txt", "reprint.txt": "wire.txt", "other.txt": "other.txt"}.__getitem__
    said = corroboration("A fact. [1]", cited, passages, story)
    assert said == "[1]: from one report; 1 other report found on the topic doesn't repeat it."
    assert corroboration("A fact. [1]", cited, passages[:2], story) == ""  # only copies of its own story


def test_stories_can_be_switched_off(tmp_path: Path, make_settings, embeddings) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "wire.txt").write_text(REPORT)
    (folder / "reprint.txt").write_text(REPORT)
    on: Settings = make_settings(corpus_dir=folder)
    assert run_ingest(on, embeddings=embeddings).stories_shared == 1
    off = Settings(**{**on.model_dump(), "find_stories": False})
    assert run_ingest(off, embeddings=embeddings).stories_shared == 0
    assert build_chain(off, embeddings=embeddings).services.store.stories().shared == 0
    assert run_ingest(on, embeddings=embeddings).stories_shared == 1  # on again: computed from the texts
