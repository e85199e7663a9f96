"""ingest.cleaning: boilerplate never survives, every news paragraph does, metadata is extracted."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.cleaning import CleanedDocument, clean_document
from tests.conftest import SEED_CORPUS

CORPUS = SEED_CORPUS
SEED_PREFIXES = ("000", "001", "002", "003", "004")
STORY = "Officials met in Geneva on Tuesday to resume ceasefire talks, a spokesperson said."


def seed_path(prefix: str) -> Path:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return path


def seed_text(prefix: str) -> str:
    return seed_path(prefix).read_text(encoding="utf-8")


@cache
def cleaned_seed(prefix: str) -> CleanedDocument:
    return clean_document(seed_text(prefix), kind="text", fallback_title=seed_path(prefix).stem)


def squash(text: str) -> str:
    """Whitespace-normalized text (also turns the no-break spaces of 003 into plain spaces)."""
    return " ".join(text.split())


def paragraphs(document: CleanedDocument) -> list[str]:
    return [squash(paragraph) for paragraph in document.text.split("\n\n")]


def clean(
    text: str,
    kind: str = "text",
    *,
    fallback_title: str = "fallback",
    html_title: str | None = None,
    html_meta: dict[str, str] | None = None,
) -> CleanedDocument:
    return clean_document(
        text, kind=kind, fallback_title=fallback_title, html_title=html_title, html_meta=html_meta
    )


# --- seed corpus: boilerplate --------------------------------------------------------------------

# Raw lines of the seed files that are page furniture, not news. Everything else must survive.
SEED_BOILERPLATE: dict[str, tuple[str, ...]] = {
    "003": ("Category", "Latest news", "2 min read", "Authors", "See all"),
    "004": (
        "Customize Consent Preferences",
        "We use cookies to help you navigate efficiently and perform certain functions. You will find "
        "detailed information about all cookies under each consent category below.",
        'The cookies that are categorized as "Necessary" are stored on your browser as they are essential '
        "for enabling the basic functionalities of the site. ...",
        "Always Active",
        "Necessary cookies are required to enable the basic features of this site, such as providing secure "
        "log-in or adjusting your consent preferences. These cookies do not store any personally "
        "identifiable data.",
        "Functional cookies help perform certain functionalities like sharing the content of the website on "
        "social media platforms, collecting feedback, and other third-party features.",
        "Analytical cookies are used to understand how visitors interact with the website. These cookies "
        "help provide information on metrics such as the number of visitors, bounce rate, traffic source, "
        "etc.",
        "Performance cookies are used to understand and analyze the key performance indexes of the website "
        "which helps in delivering a better user experience for the visitors.",
        "Advertisement cookies are used to provide visitors with customized advertisements based on the "
        "pages you visited previously and to analyze the effectiveness of the ad campaigns.",
        "Share This Post",
        "Related Posts",
        "Trump administration weighs travel ban on dozens of countries, memo says",
        "The Trump Administration Considers Expanded Travel Restrictions: A Sweeping...",
        "Some student loan repayment plans have been suspended. Here’s what borrowers should know",
        "Understanding the Impact of Trump Administration's Changes to Student...",
        "I Moved From Texas to Las Vegas With My Family, Worth It",
        "Discovering the Charm of Las Vegas: A Family's Journey A...",
        "Student-Loan Borrowers on PSLF React to Trump’s Plans to Limit Relief",
        "The Uncertain Future of Public Service Loan Forgiveness: A...",
    ),
}

# News lines whose cleaned form differs from plain markdown stripping: the photo credit goes.
SEED_REWRITES: dict[str, str] = {
    "U.S. President Donald Trump answers a reporter’s question in the White House’s Roosevelt Room on March "
    "3, 2025, in Washington, DC. (Source: Getty Images)": (
        "U.S. President Donald Trump answers a reporter’s question in the White House’s Roosevelt Room on "
        "March 3, 2025, in Washington, DC."
    ),
}

MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def link_text(match: re.Match[str]) -> str:
    text = match.group(1)
    return (urlsplit(text).hostname or text) if text.startswith("http") else text


def expected_news_paragraph(raw_line: str) -> str:
    """What a raw news line of a seed file must look like after cleaning."""
    line = squash(raw_line)
    line = SEED_REWRITES.get(line, line)
    line = MARKDOWN_LINK.sub(link_text, line).replace("**", "")
    return re.sub(r"^(?:#+|\*)\s+", "", line)


def expected_news_paragraphs(prefix: str) -> list[str]:
    boilerplate = {squash(line) for line in SEED_BOILERPLATE.get(prefix, ())}
    raw_lines = [squash(line) for line in seed_text(prefix).split("\n") if line.strip()]
    unknown = boilerplate - set(raw_lines)
    assert not unknown, f"boilerplate list out of date: {unknown}"
    news = [expected_news_paragraph(line) for line in raw_lines if line not in boilerplate]
    return list(dict.fromkeys(news))  # 003 prints its headline twice


@pytest.mark.parametrize("prefix", SEED_PREFIXES)
def test_seed_keeps_every_news_paragraph_and_nothing_else(prefix: str) -> None:
    assert paragraphs(cleaned_seed(prefix)) == expected_news_paragraphs(prefix)


def test_seed_boilerplate_is_gone() -> None:
    for prefix in SEED_PREFIXES:
        text = cleaned_seed(prefix).text
        for furniture in (
            "Share This Post",
            "Related Posts",
            "2 min read",
            "Getty Images",
            "See all",
            "Consent",
        ):
            assert furniture not in text, (prefix, furniture)
        for teaser in ("travel ban", "student loan", "Student-Loan", "Las Vegas", "PSLF", "Loan Forgiveness"):
            assert teaser not in text, (prefix, teaser)
        assert "Category" not in text.split("\n\n")
        assert "Authors" not in text.split("\n\n")
        assert "**" not in text and "](" not in text and "# " not in text


def test_seed_004_has_no_cookie_banner() -> None:
    text = cleaned_seed("004").text
    assert "cookie" not in text.lower()
    assert "consent" not in text.lower()
    assert "Always Active" not in text


def test_seed_003_prints_its_headline_once() -> None:
    text = cleaned_seed("003").text
    assert text.count("Condition for Minerals Deal Bloomberg Says") == 1
    assert "Latest news" not in text


NEWS_SENTENCES: dict[str, tuple[str, ...]] = {
    "000": (
        "As of February 9, 2025, news reports indicate that US President Donald Trump is actively pushing "
        "for ceasefire talks between Russia and Ukraine.",
        "Controversially, discussions have emerged regarding Ukraine potentially exchanging mineral "
        "resources for US military aid, a proposal that has drawn criticism.",
        "1. CNN: www.cnn.com (As Trump pushes for ceasefire talks, Ukraine sees Kursk as a ...)",
        "5. Associated Press: apnews.com (Trump says he wants to negotiate about Ukraine. "
        "It's not clear if ...)",
    ),
    "001": (
        "Former US President Donald Trump is actively pushing for ceasefire talks between Russia and "
        "Ukraine, according to recent reports.",
        "The Los Angeles Times and Associated Press report on this uncertainty, highlighting the potential "
        "challenges in achieving a peaceful resolution.",
        "Furthermore, the US has expressed its desire for Ukraine to hold elections following a ceasefire, "
        "according to a report by Reuters.",
        "The Guardian reports on this proposal, which has drawn criticism from various quarters.",
        "The potential exchange of resources and the prospect of post-ceasefire elections add further "
        "complexity to an already delicate situation.",
    ),
    "002": (
        "The central issue of land will likely prove the most difficult problem to solve in any cease-fire "
        "negotiation.",
        "“I think President Putin wants peace, and President Zelenskyy wants peace, and I want peace,” Trump "
        "told reporters in the Oval Office.",
        "Ukraine Trades Rare Earths for Security Assistance",
        "Trump said that Zelenskyy had “essentially agreed” to give the United States access to some $500 "
        "billion worth of deposits of rare earths and critical minerals.",
    ),
    "003": (
        "The United States is pressing Ukraine to agree to a ceasefire with Russia "
        "as part of a minerals deal",
        "The White House has not responded to requests for comment, Bloomberg reports.",
        "The halt in intelligence access is seen as unprecedented and could strain transatlantic relations, "
        "current and former officials said.",
        "Led by the UK and France, European leaders are developing a security plan for Ukraine that would "
        "require U.S. backing. However, Trump has not committed to supporting such guarantees.",
        "U.S. President Donald Trump answers a reporter’s question in the White House’s Roosevelt Room on "
        "March 3, 2025, in Washington, DC.",
    ),
    "004": (
        "Ukraine has already agreed to a 30-day truce proposed by the U.S.",
        "President Vladimir Putin of Russia has made a direct and striking demand, urging Ukraine to order "
        "its forces to surrender in the Kursk region.",
        "The situation on the ground remains dire, with a Ukrainian soldier describing the conditions as "
        '"bad, almost critical," though not as severe as Trump’s depiction.',
        "In response to the growing threat, Ukrainian authorities have ordered the evacuation of several "
        "villages in the Sumy region, affecting hundreds of residents.",
        "The situation remains tense, with the international community watching closely as the conflict "
        "enters a critical phase.",
    ),
}


@pytest.mark.parametrize("prefix", SEED_PREFIXES)
def test_seed_news_sentences_survive(prefix: str) -> None:
    text = squash(cleaned_seed(prefix).text)
    for sentence in NEWS_SENTENCES[prefix]:
        assert sentence in text


def test_seed_section_headings_are_their_own_paragraphs() -> None:
    assert "Trump's Ceasefire Initiative" in paragraphs(cleaned_seed("001"))
    assert "Looking Ahead" in paragraphs(cleaned_seed("001"))
    assert "Ukraine’s Response" in paragraphs(cleaned_seed("004"))


def test_seed_text_format() -> None:
    for prefix in SEED_PREFIXES:
        text = cleaned_seed(prefix).text
        assert text == text.strip()
        assert "\n\n\n" not in text
        assert all(paragraph.strip() == paragraph and paragraph for paragraph in text.split("\n\n"))
        assert "\u00a0" not in text and "  " not in text


# --- seed corpus: metadata -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "title"),
    [
        ("000", "As of February 9, 2025, news reports indicate that US President Donald Trump is actively…"),
        ("001", "Trump Pushes for Russia-Ukraine Ceasefire Amidst Controversy"),
        ("002", "The central issue of land will likely prove the most difficult problem to solve in any…"),
        ("003", "U.S. Pushes Ukraine to Accept Ceasefire as Condition for Minerals Deal Bloomberg Says"),
        ("004", "U.S. and Russia Had ‘Productive’ Discussions About Ukraine Cease-Fire, Trump Says"),
    ],
)
def test_seed_titles(prefix: str, title: str) -> None:
    assert cleaned_seed(prefix).title == title


def test_seed_titles_stay_in_the_text() -> None:
    for prefix in ("001", "003", "004"):
        document = cleaned_seed(prefix)
        assert paragraphs(document)[0] == document.title


SEED_URLS = (
    "https://www.cnn.com/2025/02/07/world/ukraine-kursk-trump-ceasefire-talks-intl/index.html",
    "https://www.latimes.com/world-nation/story/2025-02-08/trump-says-he-wants-to-negotiate-about-ukraine-its-not-"
    "clear-if-putin-really-does",
    "https://www.reuters.com/world/us-wants-ukraine-hold-elections-following-ceasefire-says-trump-envoy-2025-02-01/",
    "https://www.theguardian.com/us-news/2025/feb/04/trump-wants-rare-earth-resources-from-ukraine-in-exchange-for-aid",
    "https://apnews.com/article/putin-trump-russia-ukraine-war-51adbc0cde5a9ca0eaabf46153eb9580",
)


def test_seed_000_metadata() -> None:
    document = cleaned_seed("000")
    assert document.outlets == ("CNN", "Los Angeles Times", "Reuters", "The Guardian", "Associated Press")
    assert document.urls == SEED_URLS
    # 9 February from the text; the rest from the URLs, including /2025/feb/04/.
    assert document.dates == ("2025-02-01", "2025-02-04", "2025-02-07", "2025-02-08", "2025-02-09")


def test_seed_001_metadata() -> None:
    document = cleaned_seed("001")
    assert document.outlets == ("The Los Angeles Times", "Associated Press", "CNN", "Reuters", "The Guardian")
    assert sorted(document.urls) == sorted(SEED_URLS)
    assert document.urls[0].startswith("https://www.latimes.com/")
    assert document.dates == ("2025-02-01", "2025-02-04", "2025-02-07", "2025-02-08")


def test_seed_metadata_without_sources() -> None:
    assert cleaned_seed("002").urls == () and cleaned_seed("002").outlets == ()
    assert cleaned_seed("002").dates == ()  # "Feb. 12" and "Feb. 14" have no year
    assert cleaned_seed("003").dates == ("2025-03-03",)  # "March 6" has no year
    assert cleaned_seed("004").dates == ()


def test_seed_cleaning_is_deterministic_and_idempotent() -> None:
    for prefix in SEED_PREFIXES:
        first = cleaned_seed(prefix)
        assert clean_document(seed_text(prefix), kind="text", fallback_title=seed_path(prefix).stem) == first
        assert clean(first.text).text == first.text


# --- consent banners -----------------------------------------------------------------------------

MADE_UP_PAGE = """Cookie settings

We value your privacy

We use cookies to personalise content and ads and to analyse our traffic. You can accept all cookies or \
manage your preferences at any time.

Accept all
Reject all
Manage preferences

Necessary

Strictly necessary cookies are required for the website to function and cannot be switched off.

Analytics

Your browser stores these cookies so that we can count visits and improve our site.

Parliament Votes to Curb Online Tracking

Parliament voted on Tuesday to limit online tracking, ending years of debate over digital privacy.

The measure passed 412 to 98, with most opposition members abstaining.
"""


def test_consent_banner_in_a_page_is_removed() -> None:
    document = clean(MADE_UP_PAGE, kind="html")
    assert paragraphs(document) == [
        "Parliament Votes to Curb Online Tracking",
        "Parliament voted on Tuesday to limit online tracking, ending years of debate over digital privacy.",
        "The measure passed 412 to 98, with most opposition members abstaining.",
    ]
    assert document.title == "Parliament Votes to Curb Online Tracking"


def test_banner_with_copyright_year_before_a_related_box_does_not_hide_the_story() -> None:
    page = (
        "We use cookies on our website to give you the most relevant experience. © 2025 Example Media\n\n"
        f"Trending Now\n\n{STORY}\n\nRelated Articles\n\nCelebrity Chef Opens New Restaurant"
    )
    assert paragraphs(clean(page, kind="html")) == [STORY]


@pytest.mark.parametrize(
    "paragraph",
    [
        "Parliament voted on Tuesday to limit the tracking cookies that websites place on visitors' browsers "
        "without consent, a change regulators said would end the flood of consent banners.",
        "Google said it would phase out third-party cookies in its Chrome browser, a change advertisers had "
        "long feared.",
        "Under the new law, websites must obtain consent before storing cookies, and fines can reach 4% of "
        "global turnover.",
        "The bakery sold 20,000 cookies on the first day, the owner said.",
    ],
)
def test_news_paragraph_about_cookies_survives(paragraph: str) -> None:
    page = f"EU Tightens Rules on Online Tracking\n\n{paragraph}\n\nThe rules take effect next year."
    assert paragraph in paragraphs(clean(page))


@pytest.mark.parametrize(
    "line",
    [
        "Customize Consent Preferences",
        "Always Active",
        "Accept all",
        "Reject All Cookies",
        "Manage preferences",
        "Cookie settings",
        "Cookie Policy",
        "We value your privacy",
    ],
)
def test_consent_ui_lines_are_removed(line: str) -> None:
    assert paragraphs(clean(f"{line}\n\n{STORY}")) == [STORY]


# --- page furniture ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "furniture",
    [
        "Share This Post",
        "Share this article",
        "Share on Facebook",
        "Tweet",
        "Copy link",
        "Email",
        "Print",
        "Facebook | Twitter | LinkedIn",
        "See all",
        "Load more",
        "Show more →",
        "2 min read",
        "5 minute read",
        "Advertisement",
        "ADVERTISEMENT",
        "Subscribe to our newsletter",
        "Subscribe now for unlimited access",
        "Authors",
        "By",
        "Tags: Ukraine, Russia, Diplomacy",
    ],
)
def test_furniture_lines_are_removed(furniture: str) -> None:
    assert paragraphs(clean(f"{furniture}\n\n{STORY}\n\n{furniture}")) == [STORY]


def test_category_label_takes_its_value_line_along() -> None:
    text = f"Category\nWorld news\n\nTags\nUkraine\n\n{STORY}"
    assert paragraphs(clean(text)) == [STORY]


def test_author_label_keeps_the_next_line() -> None:
    assert paragraphs(clean(f"By\nJane Doe\n\n{STORY}")) == ["Jane Doe", STORY]


@pytest.mark.parametrize(
    "heading", ["Related Posts", "Related Articles", "Read More", "You May Also Like", "Trending Now"]
)
def test_related_content_is_dropped_to_the_end(heading: str) -> None:
    teasers = "Celebrity Chef Opens New Restaurant\n\nTen beaches you must visit this summer."
    text = f"{STORY}\n\n{heading}\n\n{teasers}"
    assert paragraphs(clean(text)) == [STORY]


def test_related_heading_before_any_news_only_drops_itself() -> None:
    assert paragraphs(clean(f"Recommended\n\n{STORY}")) == [STORY]


def test_repeated_headline_near_the_top_is_dropped() -> None:
    headline = "Ceasefire Talks Resume in Geneva"
    story = [f"{STORY.removesuffix('.')} ({number})." for number in range(12)]
    text = "\n\n".join([headline, f"3 min read\n{headline}", *story, headline])
    # Beyond the first lines a repetition is content again (e.g. a section that quotes the headline).
    assert paragraphs(clean(text)) == [headline, *story, headline]


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Soldiers patrol Kyiv on Monday. (Source: Getty Images)", "Soldiers patrol Kyiv on Monday."),
        ("A rescue worker at the site. (Photo: Reuters)", "A rescue worker at the site."),
        ("Soldiers patrol Kyiv. Photo by Chip Somodevilla/Getty Images", "Soldiers patrol Kyiv."),
        (
            "Zelensky in Kyiv on Friday. Image credit: Ukrainian Presidential Press Service",
            "Zelensky in Kyiv on Friday.",
        ),
        ("Delegates arrive in Geneva. Credit: AP", "Delegates arrive in Geneva."),
        ("Delegates arrive in Geneva. AP Photo/Evan Vucci", "Delegates arrive in Geneva."),
        (
            "Smoke rises over the city [Image: AFP] after the strike.",
            "Smoke rises over the city after the strike.",
        ),
    ],
)
def test_photo_credit_is_stripped_from_the_caption(caption: str, expected: str) -> None:
    assert paragraphs(clean(f"{caption}\n\n{STORY}")) == [expected, STORY]


@pytest.mark.parametrize(
    "credit", ["(Source: Getty Images)", "Credit: AP", "Photo: Reuters", "Photo by Jane Doe/AFP"]
)
def test_credit_alone_on_a_line_is_dropped(credit: str) -> None:
    assert paragraphs(clean(f"{credit}\n\n{STORY}")) == [STORY]


@pytest.mark.parametrize(
    "sentence",
    [
        "Pictures by the dozen were shown to reporters in the capital on Monday.",
        "The ministry cut its growth forecast (Source: central bank data) for the third time.",
        "Credit Suisse shares fell 5% on Monday.",
    ],
)
def test_sentences_that_resemble_credits_survive(sentence: str) -> None:
    assert paragraphs(clean(sentence)) == [sentence]


# --- characters and markdown ---------------------------------------------------------------------


def test_invisible_characters_are_removed_and_spaces_collapsed() -> None:
    text = (
        "Zero\u200bwidth\u200d and\ufeff bidi\u202e marks\u2066 here\u2060.\nTabs\t\tand  \u00a0 spaces   \n"
    )
    assert clean(text).text == "Zerowidth and bidi marks here.\n\nTabs and spaces"


def test_markdown_syntax_is_resolved() -> None:
    text = (
        "# Main **Headline** Here\n\n"
        "Intro with [a report](https://example.com/report) and __bold__ and *italic* words.\n\n"
        "## Sources\n\n"
        "* **CNN:** [https://www.cnn.com/2025/02/07/x.html](https://www.cnn.com/2025/02/07/x.html)\n"
        "- Plain bullet\n"
        "1. **Reuters:** [https://www.reuters.com/world/x](https://www.reuters.com/world/x) (Headline)\n"
    )
    document = clean(text, kind="markdown")
    assert paragraphs(document) == [
        "Main Headline Here",
        "Intro with a report and bold and italic words.",
        "Sources",
        "CNN: www.cnn.com",
        "Plain bullet",
        "1. Reuters: www.reuters.com (Headline)",
    ]
    assert document.title == "Main Headline Here"
    assert document.urls == (
        "https://example.com/report",
        "https://www.cnn.com/2025/02/07/x.html",
        "https://www.reuters.com/world/x",
    )
    assert document.outlets == ("CNN", "Reuters")
    assert document.dates == ("2025-02-07",)


def test_urls_keep_their_order_and_images_are_dropped() -> None:
    text = "See https://a.example/1, then [b](https://b.example/2) ![map](https://img.example/x.png) <https://c.example/3>."
    document = clean(text, kind="markdown")
    assert document.text == "See https://a.example/1, then b c.example."
    assert document.urls == ("https://a.example/1", "https://b.example/2", "https://c.example/3")


def test_markdown_soft_wrapped_lines_join_but_separate_lines_stay_apart() -> None:
    text = "Negotiators said the talks\nwould resume next week.\nThe minister declined to comment."
    assert paragraphs(clean(text, kind="markdown")) == [
        "Negotiators said the talks would resume next week.",
        "The minister declined to comment.",
    ]


def test_hard_wrapped_pdf_text_becomes_paragraphs() -> None:
    text = (
        "The ministry said on Monday that the talks would resume next week in\n"
        "Geneva, with delegations from both countries expected to attend the\n"
        "first session. Officials declined to give further details about the\n"
        "agenda, citing the sensitivity of the negotiations and the security\n"
        "situation on the ground in the eastern regions of the country today.\n"
        "\n"
        "Background\n"
        "\n"
        "Negotiations collapsed in the spring after a series of attacks on the\n"
        "capital, and diplomats have since worked to rebuild a frame-\n"
        "work that both sides could accept."
    )
    document = clean(text, kind="pdf")
    assert [len(paragraph.split()) > 40 for paragraph in paragraphs(document)] == [True, False, False]
    assert paragraphs(document)[1:] == [
        "Background",
        "Negotiations collapsed in the spring after a series of attacks on the capital, and diplomats have "
        "since worked to rebuild a framework that both sides could accept.",
    ]


# --- titles and dates ----------------------------------------------------------------------------


def test_title_prefers_html_title_over_heading_like_lines() -> None:
    document = clean(f"Some Leading Section Name\n\n{STORY}", kind="html", html_title="  Real   Headline ")
    assert document.title == "Real Headline"


def test_title_from_leading_headline_but_not_from_a_later_section_heading() -> None:
    assert clean(f"Ceasefire Talks Resume in Geneva\n\n{STORY}").title == "Ceasefire Talks Resume in Geneva"
    assert clean(f"Summary:\n\n{STORY}\n\nA Later Section Heading").title == STORY.removesuffix(".")


def test_long_first_sentence_is_trimmed_at_a_word_boundary() -> None:
    sentence = (
        "The U.S. and Ukrainian delegations met in Jeddah on Tuesday for more than eight hours of talks on a "
        "proposed truce."
    )
    title = clean(sentence).title
    assert title.endswith("…") and len(title) <= 91
    assert sentence.startswith(title.removesuffix("…"))


def test_title_falls_back_when_nothing_fits() -> None:
    assert clean("", fallback_title="file-stem").title == "file-stem"
    assert clean("ok", fallback_title="file-stem").title == "file-stem"
    assert clean("", fallback_title="file-stem").text == ""


def test_dates_in_prose_and_urls() -> None:
    text = (
        "Talks began on 9 February 2025 and resumed Feb. 12, 2025 after a pause; a deal was signed on "
        "March 6 and ratified 2025-04-01. An invalid February 30, 2025 is ignored.\n\n"
        "See https://example.com/news/2024/dec/31/story and https://example.com/2024/01/15/other."
    )
    assert clean(text).dates == ("2024-01-15", "2024-12-31", "2025-02-09", "2025-02-12", "2025-04-01")


def test_html_meta_adds_url_outlet_and_date() -> None:
    meta = {"url": "https://news.example.com/a", "sitename": "Example News", "date": "2025-03-11"}
    document = clean(STORY, kind="html", html_meta=meta)
    assert document.urls == ("https://news.example.com/a",)
    assert document.outlets == ("Example News",)
    assert document.dates == ("2025-03-11",)


# Lines that exercise every rule, mixed with arbitrary text by the property test below.
FRAGMENTS = (
    "",
    "# Ceasefire Talks Resume",
    "## Section",
    "===",
    "---",
    "> quoted **bold** text",
    "* **CNN:** [https://www.cnn.com/2025/02/07/a](https://www.cnn.com/2025/02/07/a) (teaser ...)",
    "[ref]: https://ref.example/2024/dec/31/x",
    "Category",
    "Latest news",
    "2 min read",
    "Related Posts",
    "Share This Post",
    "We use cookies to improve your experience on our website.",
    "Necessary",
    "Caption of a photo in Kyiv. (Source: Getty Images)",
    "Photo by Jane Doe/AFP",
    "Officials met in Geneva on March 3, 2025 to resume talks, a spokesperson said.",
    "a line that continues",
    "frag-",
    "\u200b\u00a0\t",
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=60)), max_size=25).map("\n".join),
    st.sampled_from(["text", "markdown", "html", "pdf"]),
)
def test_any_text_gives_well_formed_output(text: str, kind: str) -> None:
    document = clean_document(text, kind=kind, fallback_title="fallback")
    assert document == clean_document(text, kind=kind, fallback_title="fallback")
    assert document.text == document.text.strip()
    assert all(paragraph and "\n" not in paragraph for paragraph in document.text.split("\n\n")) or (
        document.text == ""
    )
    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]", document.text)
    assert document.title
    assert list(document.dates) == sorted(set(document.dates))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", date) for date in document.dates)
