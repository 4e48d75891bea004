"""Markdown to HTML (:mod:`markdown_it`, CommonMark with tables and strikethrough), before
sanitising.

- Raw HTML is off: an author's ``<b>`` or ``<script>`` shows as the text typed.
- A single line break stays a line break (texts written as plain text keep their lines).
- Maths: ``$...$`` inline and ``$$...$$`` displayed (:mod:`mdit_py_plugins.dollarmath`, with
  pandoc's rule that ``$`` must touch the formula and not a digit, so "$5 and $10" is money)
  becomes a placeholder, ``<span class="math" data-display="0">TeX</span>`` or a ``div`` with
  ``data-display="1"``, which ``static/js/maths.js`` typesets with KaTeX in the browser; the
  TeX itself is the fallback without JavaScript.
- Fenced code with a language is highlighted on the server by Pygments (classes styled by
  ``static/css/highlight.css``); without a known language it is shown as written.
- Images: ``![alt](image:name)`` is the course's uploaded image of that name, at its size, with
  its stored alt text when the brackets are empty; an unknown name shows a visible note.
- Tables keep their column alignment as a class (``align-left``, ``align-center``,
  ``align-right``), so no ``style`` attribute is ever needed.
- A mixed number such as ``2 1/3`` in running text becomes ``<span class="number">`` (no-wrap,
  ``static/css/rich.css``) with a no-break space, so it never breaks across lines.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_inline_dollar
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

IMAGE_SCHEME = "image:"
MIXED_NUMBER = re.compile(r"(?<![\d.,/])\d+ \d+/\d+(?![\d/])")
_FORMATTER = HtmlFormatter(nowrap=True)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """An uploaded image as a text refers to it."""

    url: str
    alt: str
    width: int
    height: int


ImageLookup = Callable[[str], ImageRef | None]


def _highlight(code: str, language: str, attributes: str) -> str:
    try:
        lexer = get_lexer_by_name(language.strip()) if language.strip() else None
    except ClassNotFound:
        lexer = None
    body = highlight(code, lexer, _FORMATTER) if lexer is not None else escape(code)
    return f'<pre class="highlight"><code>{body}</code></pre>\n'


def _math(tag: str, display: str) -> Callable[..., str]:
    def render(self: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict,
               env: EnvType) -> str:
        tex = escape(tokens[index].content.strip(), quote=False)
        return f'<{tag} class="math" data-display="{display}">{tex}</{tag}>'
    return render


def _image(self: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict,
           env: EnvType) -> str:
    token = tokens[index]
    source = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if not source.startswith(IMAGE_SCHEME):
        return f'<img src="{escape(source)}" alt="{escape(alt)}" loading="lazy">'
    name = source.removeprefix(IMAGE_SCHEME)
    lookup: ImageLookup = env["images"]
    image = lookup(name)
    if image is None:
        return f'<span class="missing-image">[no image named “{escape(name)}”]</span>'
    return (f'<img class="content-image" src="{escape(image.url)}" '
            f'alt="{escape(alt or image.alt)}" width="{image.width}" height="{image.height}" '
            'loading="lazy">')


def _mixed_number(self: RendererHTML, tokens: Sequence[Token], index: int,
                  options: OptionsDict, env: EnvType) -> str:
    number = escape(tokens[index].content.replace(" ", "\u00a0"))
    return f'<span class="number">{number}</span>'


def _wrap_mixed_numbers(state: StateCore) -> None:
    for block in state.tokens:
        if block.children:
            block.children = [piece for token in block.children
                              for piece in _split_mixed_numbers(token)]


def _split_mixed_numbers(token: Token) -> list[Token]:
    if token.type != "text" or not MIXED_NUMBER.search(token.content):
        return [token]
    pieces, position = [], 0
    for match in MIXED_NUMBER.finditer(token.content):
        pieces.append(Token("text", "", 0, level=token.level,
                            content=token.content[position:match.start()]))
        pieces.append(Token("mixed_number", "span", 0, level=token.level, content=match.group()))
        position = match.end()
    pieces.append(Token("text", "", 0, level=token.level, content=token.content[position:]))
    return [piece for piece in pieces if piece.content]


def _alignment_as_class(state: StateCore) -> None:
    for token in state.tokens:
        style = token.attrGet("style") if token.type in {"th_open", "td_open"} else None
        if isinstance(style, str) and style.startswith("text-align:"):
            del token.attrs["style"]
            token.attrSet("class", f"align-{style.removeprefix('text-align:')}")


def _dollar_at_the_start(rule: Callable[[StateInline, bool], bool]
                         ) -> Callable[[StateInline, bool], bool]:
    """The plugin's ``$`` rule, which reads the character before a ``$`` at the very start as
    the text's last one (``src[-1]``): "$x$ m²" was not maths. Here that character is a space."""
    def checked(state: StateInline, silent: bool) -> bool:
        if state.pos != 0 or not state.src[-1:].isdigit():
            return rule(state, silent)
        source = state.src
        state.src = f"{source} "
        try:
            return rule(state, silent)
        finally:
            state.src = source
    return checked


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True, "highlight": _highlight})
    parser.enable(["table", "strikethrough"])
    parser.use(dollarmath_plugin, allow_labels=False, allow_space=False, allow_digits=False,
               double_inline=True)
    parser.inline.ruler.at("math_inline", _dollar_at_the_start(
        math_inline_dollar(allow_space=False, allow_digits=False, allow_double=True)))
    parser.core.ruler.push("wrap_mixed_numbers", _wrap_mixed_numbers)
    parser.core.ruler.push("alignment_as_class", _alignment_as_class)
    parser.add_render_rule("math_inline", _math("span", "0"))
    parser.add_render_rule("math_inline_double", _math("div", "1"))
    parser.add_render_rule("math_block", _math("div", "1"))
    parser.add_render_rule("image", _image)
    parser.add_render_rule("mixed_number", _mixed_number)
    return parser


_PARSER = _parser()


def to_html(text: str, images: ImageLookup | Mapping[str, ImageRef], *,
            inline: bool = False) -> str:
    """``text`` as HTML (not yet sanitised); ``inline`` renders phrasing content only (for an
    option's label), without paragraphs."""
    lookup = images.get if isinstance(images, Mapping) else images
    env: dict[str, Any] = {"images": lookup}
    if inline:
        return _PARSER.renderInline(text, env)
    return _PARSER.render(text, env)


def refers_to_images(text: str) -> bool:
    """Whether ``text`` may refer to an uploaded image (so the course's images are needed)."""
    return IMAGE_SCHEME in text
