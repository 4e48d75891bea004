"""Moodle's text formats read as learnpath's Markdown (courses.banks.moodle_text): what an
author wrote in Moodle's editor shows the same words after our Markdown and sanitiser, with
its formatting where Markdown has it — for the HTML Moodle writes and for any HTML hypothesis
builds from the same tags and Markdown's special characters."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from courses.banks.moodle_text import AUTO, HTML, MARKDOWN, PLAIN, markdown_of
from courses.rendering.markdown import to_html
from courses.rendering.plain import visible_text
from courses.rendering.sanitise import clean

_SEPARATED = {"p", "div", "br", "li", "ul", "ol", "h2", "h3", "blockquote", "pre", "table", "tr",
              "td", "th", "hr"}


class _Visible(HTMLParser):
    """What a browser shows of a Moodle text: its words, blocks apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.hidden += tag in {"script", "style"}
        if tag in _SEPARATED:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in {"script", "style"} and self.hidden > 0
        if tag in _SEPARATED:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def shown_by_moodle(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def no_image(source: str, alt: str) -> str:
    return ""


def rendered(html: str, text_format: str = HTML) -> str:
    return clean(to_html(markdown_of(html, text_format, no_image, []), {}))


@pytest.mark.parametrize("html, markdown, shown", [
    ("<p>Which is <strong>one half</strong>?</p>", "Which is **one half**?",
     "<p>Which is <strong>one half</strong>?</p>"),
    ("<p>2*3*4 and $5 and a_b_c</p>", "2\\*3\\*4 and \\$5 and a\\_b\\_c", "2*3*4 and $5 and a_b_c"),
    ("<p>1. not a list</p><p># not a heading</p>", "1\\. not a list\n\n\\# not a heading",
     "<p>1. not a list</p>"),
    ("<p>x<sup>2</sup> and H<sub>2</sub>O and x<sup>n+1</sup></p>", "x² and H₂O and xⁿ⁺¹",
     "x² and H₂O"),
    (r"<p>Half is \(\frac{1}{2}\), and $$x^2$$ shows alone</p>",
     "Half is $\\frac{1}{2}$, and $$x^2$$ shows alone",
     '<span class="math" data-display="0">\\frac{1}{2}</span>'),
    ("<ul><li>one</li><li>two<ol><li>three</li></ol></li></ul>", None, "<li>one</li>"),
    ("<table><tr><th>a|b</th><th>c</th></tr><tr><td>1</td><td>2</td></tr></table>", None,
     "<th>a|b</th>"),
    ('<p><a href="https://example.com/x">a link</a> and <a href="javascript:x()">no link</a>'
     "<script>alert(1)</script></p>", None,
     '<a href="https://example.com/x" rel="noopener noreferrer nofollow">a link</a> and no link'),
    ("<pre>def f():\n    return 1</pre>", "```\ndef f():\n    return 1\n```", "    return 1"),
    ("<b>" * 500 + "deep" + "</b>" * 500, "**deep**", "<strong>deep</strong>"),
    ("<b>a</b><b>b</b> and <code>x</code><code>y</code>", "**ab** and `xy`", "<code>xy</code>"),
    ('<p>Wow!<a href="https://example.com/">link</a></p>', None, "Wow!<a"),
    ("<p>a<![x b<!-- c --> d</p>", "a d", "<p>a d</p>"),  # Python's parser raised on <![
    ("<p>x<y and <a href='<a href='</p>", "x\\<y and \\<a href='\\<a href='",
     "x&lt;y and &lt;a href='&lt;a href='"),
    ("<p>one</p></p><p>two</p>", "one\n\ntwo", "<p>two</p>"),
])
def test_moodle_html_becomes_markdown_that_reads_the_same(html: str, markdown: str | None,
                                                          shown: str) -> None:
    if markdown is not None:
        assert markdown_of(html, HTML, no_image, []) == markdown
    assert shown in rendered(html)


def test_the_other_formats() -> None:
    assert markdown_of("one\n# two\n3) *three*", PLAIN, no_image, []) == (
        "one\n\\# two\n3\\) \\*three\\*")
    assert markdown_of("auto <b>bold</b>\nnext line", AUTO, no_image, []) == (
        "auto **bold**\nnext line")
    assert markdown_of("  *kept* as written  ", MARKDOWN, no_image, []) == "*kept* as written"


def test_what_is_left_out_is_said() -> None:
    notes: list[str] = []
    markdown_of('<a href="@@PLUGINFILE@@/sheet.pdf">the sheet</a>', HTML, no_image, notes)
    assert notes == ["the linked file '/sheet.pdf' was left out (only images come along)"]


_BROKEN_TAG = re.compile(r'<(?!/?[a-z0-9]+(?: href="[^"<>]*")?>)[A-Za-z/!?]')
_TEXT = st.text(alphabet=st.sampled_from(list("ab12 \n\t*_[]\\`$#>-+=|~<&!.()/:;\"'")),
                max_size=12)
_INLINE_TAGS = ["b", "strong", "i", "em", "span", "code", "a", "del", "u"]
_BLOCK_TAGS = ["p", "div", "h2", "blockquote", "ul", "ol", "li", "pre"]


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def wrap(tag: str, inner: list[str]) -> str:
        opening = f'<a href="https://example.com/{len(inner)}">' if tag == "a" else f"<{tag}>"
        return opening + "".join(inner) + f"</{tag}>"
    return st.builds(wrap, st.sampled_from(_INLINE_TAGS + _BLOCK_TAGS),
                     st.lists(children, max_size=3))


_HTML = st.recursive(st.one_of(_TEXT, st.just("<br>")), _element, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(_HTML, min_size=1, max_size=4).map("".join))
def test_any_moodle_html_shows_the_same_characters(html: str) -> None:
    """Every character, in order (spaces aside: where blocks break, browsers and this simple
    reader differ); maths aside, and tags with a "<" inside (browsers read "<a<>" as a tag,
    the converter as text, like Python's parser "<!" at the end)."""
    assume("\\(" not in html and "\\[" not in html and "$$" not in html)
    assume(not _BROKEN_TAG.search(html))
    shown = visible_text(markdown_of(html, HTML, no_image, []))
    assert "".join(shown.split()) == "".join(shown_by_moodle(html).split())
