"""Hostile texts through the rendering (Hypothesis): Markdown and raw HTML built from
``javascript:``/``vbscript:``/``data:text/html`` addresses (mixed case, entity-encoded, split by
whitespace and control characters, percent-encoded), event handlers, scripts, styles and CSS,
SVG and MathML with scripts, frames, objects, embeds, forms, dot segments that climb out of the
media folder, and raw HTML inside maths, code and tables.

The property, checked on the HTML parsed back with :mod:`html.parser` and read the way a
browser reads addresses: only the allow-list's elements; no ``on*`` and no ``style``
attribute; every link's scheme http, https or mailto (or none); every image from the site's own
media or static folder; no comments or declarations; and, from Markdown, maths placeholders
that hold text only.
Both walls are fuzzed: Markdown rendered and sanitised, and the sanitiser alone on raw HTML.
"""
from __future__ import annotations

import operator
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from courses.rendering.markdown import ImageRef, to_html
from courses.rendering.sanitise import TAGS, clean

SITE = "https://learnpath.example/courses/fractions/exercises/x/"
LINK_SCHEMES = {"http", "https", "mailto"}
IMAGE_FOLDERS = ("/media/", "/static/")
FORBIDDEN_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form",
                  "base", "meta", "link", "frame", "frameset", "noscript", "template"}
IMAGES = {"dot": ImageRef("/media/content-images/1/abc.png", "A red dot", 40, 30)}
# What a browser drops from an address before reading it (WHATWG URL): tabs and newlines
# anywhere, C0 controls and spaces at either end.
_URL_DROPPED = re.compile(r"[\t\n\r]")
_URL_STRIPPED = "".join(chr(code) for code in range(0x21))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def browser_address(value: str) -> str:
    return _URL_DROPPED.sub("", value).strip(_URL_STRIPPED)


def scheme_of(value: str) -> str | None:
    match = _SCHEME.match(browser_address(value))
    return match.group(1).lower() if match else None


def image_lands_on_the_site(value: str) -> bool:
    """Whether the browser would fetch ``value`` from the site's media or static folder, after
    resolving backslashes, encoded dots and dot segments as browsers do."""
    address = re.sub("%2e", ".", browser_address(value).replace("\\", "/"), flags=re.IGNORECASE)
    parts = urlsplit(urljoin(SITE, address))
    return (parts.scheme, parts.netloc) == ("https", "learnpath.example") and (
        parts.path.startswith(IMAGE_FOLDERS))


class _Problems(HTMLParser):
    def __init__(self, maths_holds_text: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._maths_holds_text = maths_holds_text
        self._in_maths = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Emphasis that crosses a $$ block can end up around the maths text when the HTML is
        # repaired (a known rendering flaw, harmless: maths.js reads the text); anything else
        # inside maths is a problem.
        if self._in_maths and self._maths_holds_text and tag not in {"em", "strong"}:
            self.found.append(f"<{tag}> inside a maths placeholder")
        if tag in FORBIDDEN_TAGS or tag not in TAGS:
            self.found.append(f"element <{tag}>")
        for name, value in attrs:
            self._check_attribute(tag, name, value or "")
        classes = dict(attrs).get("class") or ""
        self._in_maths = tag in {"span", "div"} and "math" in classes.split()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_maths = False

    def handle_endtag(self, tag: str) -> None:
        self._in_maths = False

    def _check_attribute(self, tag: str, name: str, value: str) -> None:
        if name.startswith("on"):
            self.found.append(f"event handler {name} on <{tag}>")
        if name in {"style", "srcset", "formaction", "action", "xlink:href", "background"}:
            self.found.append(f"attribute {name} on <{tag}>")
        if name == "href" and scheme_of(value) not in LINK_SCHEMES | {None}:
            self.found.append(f"link to {value!r}")
        if name == "src" and not image_lands_on_the_site(value):
            self.found.append(f"<{tag}> loading {value!r}")

    def handle_comment(self, data: str) -> None:
        self.found.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.found.append(f"declaration {decl!r}")

    def unknown_decl(self, data: str) -> None:
        self.found.append(f"declaration {data!r}")

    def handle_pi(self, data: str) -> None:
        self.found.append(f"processing instruction {data!r}")


def problems(html: str, *, maths_holds_text: bool = True) -> list[str]:
    """What is unsafe in ``html``; ``maths_holds_text``: also any element inside a maths
    placeholder (the Markdown renderer puts only TeX there; the sanitiser alone cannot know a
    placeholder from a span, and what it keeps inside one is allow-listed anyway)."""
    parser = _Problems(maths_holds_text)
    parser.feed(html)
    parser.close()
    return parser.found


# ---------------------------------------------------------------- hostile pieces

PAYLOADS = ["javascript:alert(1)", "vbscript:msgbox(1)", "livescript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "data:image/svg+xml,<svg onload=alert(1)>", "file:///etc/passwd"]
BREAKS = ["\t", "\n", "\r", " ", "\x00", "\x0b", "\x0c", "&#x09;", "&#10;", "&#13;", "&Tab;",
          "&NewLine;", "%09", "%0a", "%00"]


def _encoded(char: str, how: int) -> str:
    return [char, char.upper(), f"&#{ord(char)};", f"&#x{ord(char):X};",
            f"&#000{ord(char)}", f"%{ord(char):02x}"][how]


@st.composite
def hostile_scheme_address(draw: st.DrawFn) -> str:
    """A dangerous address whose scheme is disguised: case, entities, whitespace, escapes."""
    payload = draw(st.sampled_from(PAYLOADS))
    scheme, _, rest = payload.partition(":")
    disguised = []
    for char in scheme:
        disguised.append(_encoded(char, draw(st.integers(0, 5))))
        if draw(st.integers(0, 4)) == 0:
            disguised.append(draw(st.sampled_from(BREAKS)))
    colon = draw(st.sampled_from([":", ":", "&colon;", "&#58;", "&#x3a;", "%3a"]))
    lead = draw(st.sampled_from(["", " ", "\x01", "&#32;", "\t", "\x00"]))
    return f"{lead}{''.join(disguised)}{colon}{rest}"


CLIMBS = ["..", "%2e%2e", ".%2E", "%2E.", ".", "", "\\..", ".\t.", "&#46;&#46;", "%2f..",
          "%5c..", "..;", "./.."]
OFF_SITE = ["//evil.example/x.png", "https://evil.example/a.png", "http:evil.example/a.png",
            "/\\evil.example/a.png", "\\\\evil.example\\a.png", "/accounts/logout/",
            "/media", "media/x.png", "/Media/x.png", "ftp://evil.example/a.png"]


@st.composite
def climbing_address(draw: st.DrawFn) -> str:
    """A site path that starts in the media or static folder and tries to leave it."""
    folder = draw(st.sampled_from(IMAGE_FOLDERS))
    steps = draw(st.lists(st.sampled_from(CLIMBS), min_size=1, max_size=4))
    return folder + "/".join(steps) + "/accounts/logout/"


ADDRESSES = st.one_of(hostile_scheme_address(), climbing_address(), st.sampled_from(OFF_SITE))
HANDLERS = st.builds(operator.add, st.sampled_from(["on", "ON", "On", "oN"]),
                     st.sampled_from(["error", "load", "click", "mouseover", "focus", "ERROR",
                                      "begin", "toggle"]))
CSS = st.sampled_from([
    "color:red", "background:url({u})", "text-align:left;background-image:url({u})",
    "behavior:url(x.htc)", "width:expression(alert(1))", "position:fixed;inset:0;z-index:9",
    "text-align:expression(alert(1))", "-moz-binding:url({u})", "text-align:\\6c eft",
])


@st.composite
def raw_html(draw: st.DrawFn) -> str:
    address = draw(ADDRESSES)
    handler = draw(HANDLERS)
    css = draw(CSS).replace("{u}", address)
    template = draw(st.sampled_from([
        '<a href="{u}">link</a>', "<a href='{u}' {h}=alert(1)>link</a>", "<a href={u}>x</a>",
        '<img src="{u}" {h}="alert(1)">', "<img/src/{h}=alert(1)>", '<img src="{u}">',
        '<img src="/media/content-images/1/abc.png" srcset="{u} 2x" {h}=x>',
        "<script>alert(1)</script>", "<SCRIPT SRC={u}></SCRIPT>", "<scr<script>ipt>alert(1)",
        "<style>body{{background:url({u})}}</style>", '<p style="{c}">styled</p>',
        '<table><tr><th style="{c}">h</th><td style="{c}" {h}=x>d</td></tr></table>',
        "<svg {h}=alert(1)><script>alert(1)</script></svg>",
        '<svg><a xlink:href="{u}"><text>x</text></a><animate attributeName=href to="{u}"/></svg>',
        '<svg><foreignObject><img src="{u}" {h}=x></foreignObject></svg>',
        '<math><maction actiontype="statusline" xlink:href="{u}">x</maction></math>',
        '<iframe src="{u}"></iframe>', '<iframe srcdoc="<script>alert(1)</script>">',
        '<object data="{u}"></object>', '<embed src="{u}">',
        '<form action="{u}"><button formaction="{u}">go</button></form>',
        '<base href="{u}">', '<meta http-equiv="refresh" content="0;url={u}">',
        '<link rel="stylesheet" href="{u}">',
        '<div class="math" data-display="1" {h}="alert(1)" style="{c}">x</div>',
        '<span class="math evil" data-display="2"><img src="{u}"></span>',
        '<noscript><p title="</noscript><img src=x {h}=alert(1)>"></noscript>',
        "<template><script>alert(1)</script></template>", "<textarea><script>x</textarea>",
        "<!--<script>alert(1)</script>-->", "<![CDATA[<script>alert(1)</script>]]>",
        '<a href="/ok" {h}="x" ONCLICK="y" style="{c}">ok</a>', "<details open {h}=alert(1)>",
        '<video><source {h}="alert(1)"></video>', "<body {h}=alert(1)>", "<xmp><script></xmp>",
        '<input autofocus {h}=alert(1)>', '<a href="&#x6A;avascript:alert(1)">x</a>',
    ]))
    return template.format(u=address, h=handler, c=css)


@st.composite
def markdown_reference(draw: st.DrawFn) -> str:
    address = draw(ADDRESSES)
    label = draw(st.sampled_from(["x", "click", "2 1/3", "$x$", "<b>b</b>"]))
    return draw(st.sampled_from([
        f"[{label}]({address})", f"[{label}](<{address}>)", f"![{label}]({address})",
        f"![{label}](<{address}>)", f"<{address}>", f'[{label}]({address} "title")',
        f"[{label}][r]\n\n[r]: {address}", f"![{label}][r]\n\n[r]: <{address}>",
        f"[{label}](image:dot) ![](image:{address})",
    ]))


PIECE = st.one_of(markdown_reference(), raw_html(),
                  st.text(st.sampled_from(list("<>\"'&$`*_[]()!:;/\\=#|~ \n\tax1")),
                          max_size=20))


@st.composite
def wrapped(draw: st.DrawFn) -> str:
    """A hostile piece inside maths, code, a table, a quote, a heading or a list."""
    piece = draw(PIECE)
    one_line = piece.replace("\n", " ")
    return draw(st.sampled_from([
        f"${one_line}$", f"$${one_line}$$", f"$$\n{piece}\n$$", f"$\\text{{{one_line}}}$",
        f"`{one_line}`", f"```\n{piece}\n```", f"```html\n{piece}\n```", f"~~~svg\n{piece}\n~~~",
        f"    {one_line}", f"| {one_line} | x |\n|:-|-:|\n| {one_line} | y |", f"> {piece}",
        f"# {one_line}", f"- {piece}", f"1. {piece}", f"**{one_line}**", f"*{one_line}*",
    ]))


MARKDOWN = st.builds(
    "".join,
    st.lists(st.one_of(PIECE, wrapped(), st.sampled_from(["\n", "\n\n", " ", ""])),
             min_size=1, max_size=8),
)
HTML = st.builds("".join, st.lists(st.one_of(raw_html(), wrapped()), min_size=1, max_size=6))


# ---------------------------------------------------------------- the properties


@settings(max_examples=400, deadline=None)
@given(MARKDOWN, st.booleans())
@example("![a](/media/%2e%2e/accounts/logout/)", False)
@example("![a](/static/.%2E/.%2e/accounts/logout/)", True)
@example("| a |\n|:-|\n| b |", False)
@example("[x](java&#x09;script:alert(1)) [y](JaVaScRiPt&colon;alert(1))", False)
@example("$<img src=x onerror=alert(1)>$ $$<script>alert(1)</script>$$", False)
@example("[x](//evil.example/x.png)| *$$ | x |\n|:-|-:|\n| *$$ | y |*", False)
def test_hostile_markdown_renders_to_safe_html(text: str, inline: bool) -> None:
    page = clean(to_html(text, IMAGES, inline=inline))
    assert problems(page) == [], (text, page)


@settings(max_examples=400, deadline=None)
@given(HTML)
@example('<img src="/media/.\t./accounts/logout/">')
@example('<img src="/media/%2e%2e/accounts/logout/">')
@example('<td style="text-align:left;background:url(javascript:alert(1))">x</td>')
def test_the_sanitiser_alone_makes_hostile_html_safe(html: str) -> None:
    page = clean(html)
    assert problems(page, maths_holds_text=False) == [], (html, page)


def test_the_check_sees_what_a_browser_would_run_or_fetch() -> None:
    """The property is not empty: each of these would pass a naive check and fails this one."""
    for unsafe in ['<a href="java&#x09;script:alert(1)">x</a>',
                   '<a href=" JaVaScRiPt:alert(1)">x</a>',
                   '<img src="/media/%2e%2e/accounts/logout/">',
                   '<img src="/media/.\t./x">', '<img src="/static/..\\..\\x">',
                   '<img src="//evil.example/a.png">', '<td style="text-align:left">x</td>',
                   '<span class="math" data-display="0"><b>x</b></span>', "<!-- x -->",
                   '<p onclick="x">y</p>', "<svg></svg>"]:
        assert problems(unsafe), unsafe
    safe = clean(to_html("[a](https://example.org) [b](/x) ![](image:dot) $x$\n\n"
                         "| a |\n|:-|\n| b |", IMAGES))
    assert problems(safe) == [] and 'src="/media/content-images/1/abc.png"' in safe
