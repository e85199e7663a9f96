"""Unsafe output: 30+ payloads through an LLM answer, a user's question, and a document's title, source,
quote and passage. Nothing executable and nothing remote may reach what the page renders. Prints
"tried / got through" (run with -s)."""

from __future__ import annotations

import re

from assistant.types import Answer, Citation
from assistant.web.render import answer_markdown, safe_markdown, sources_panel, turn_sources

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://203.0.113.9/x.js></SCRIPT>",
    '<img src="http://203.0.113.9/t.png">',
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)">',
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="http://203.0.113.9/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[home](http://203.0.113.9/phish)",
    "![pixel](http://203.0.113.9/pixel.png)",
    '![pixel](http://203.0.113.9/p.png "title")',
    "[ref]: http://203.0.113.9/ref.png",
    '<body onload="alert(1)">',
    '<div style="background:url(http://203.0.113.9/bg.png)">x</div>',
    '<link rel="stylesheet" href="http://203.0.113.9/s.css">',
    '<meta http-equiv="refresh" content="0;url=http://203.0.113.9/">',
    '<object data="http://203.0.113.9/x.swf"></object>',
    '<embed src="http://203.0.113.9/x.swf">',
    '<form action="http://203.0.113.9/"><input type=submit></form>',
    '<video src=x onerror="alert(1)"></video>',
    '<audio src="http://203.0.113.9/a.mp3" autoplay></audio>',
    '<details open ontoggle="alert(1)">',
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<base href=http://203.0.113.9/>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '"><script>alert(1)</script>',
    "<style>@import 'http://203.0.113.9/x.css';</style>",
    "<template><script>alert(1)</script></template>",
]
ALLOWED_TAGS = {"details", "summary", "div", "span", "p", "b", "mark", "blockquote", "code", "small"}
ALLOWED_ATTRIBUTES = {"class", "id", "open"}


def markdown_is_inert(text: str) -> bool:
    """No raw tag, no image, no link but the source-card anchors."""
    if "<" in text or re.search(r"!\[[^\]]*\]\(", text):
        return False
    links = re.findall(r"\]\(([^)]*)\)", text)
    return all(link.startswith("#nd-src-") for link in links)


def html_is_inert(html: str) -> bool:
    """Only the panel's own tags, with only class, id and open: no handler, style, src or href at all
    (escaped text such as "&lt;img src=…&gt;" is not a tag and is fine)."""
    for name, attributes in re.findall(r"<([a-zA-Z][\w-]*)([^>]*)>", html):
        names = {attribute.lower() for attribute in re.findall(r"([\w-]+)\s*=", attributes)}
        if name.lower() not in ALLOWED_TAGS or not names <= ALLOWED_ATTRIBUTES:
            return False
    return True


def test_payloads_reach_the_page_only_as_text() -> None:
    tried = through = 0
    for payload in PAYLOADS:
        quote = f"The truce lasts 30 days. {payload}"
        passage = f"Before. {quote} After."
        citation = Citation(
            f"{payload}.txt", payload, quote, 108, 108 + len(quote), 0.5, passage, 100, 100 + len(passage)
        )
        answer = Answer(f"The truce lasts 30 days [1]. {payload} [1]", (citation,))
        checks = [
            markdown_is_inert(answer_markdown(answer, 1)),  # an LLM (or a document) put it in the answer
            markdown_is_inert(safe_markdown(payload)),  # a user typed it as the question
            html_is_inert(
                sources_panel([turn_sources(answer, 1, payload)])
            ),  # title, source, quote, question
        ]
        tried += len(checks)
        through += checks.count(False)
    print(f"\nunsafe output: {tried} tried ({len(PAYLOADS)} payloads x 3 routes), {through} got through")
    assert len(PAYLOADS) >= 30 and through == 0


def test_the_checks_themselves_catch_live_markup() -> None:
    assert not html_is_inert('<img src="http://203.0.113.9/t.png">')
    assert not html_is_inert('<div class="nd-source" onclick="x()">')
    assert not markdown_is_inert("![p](http://203.0.113.9/p.png)")
    assert not markdown_is_inert("[x](javascript:alert(1))")
    assert html_is_inert('<div class="nd-source" id="nd-src-1-1">&lt;img src=x&gt;</div>')
