"""Texts written as plain text, before texts were Markdown, kept reading as they were written.

Most plain text is already valid Markdown that reads the same ("$5 and $10" is money, "3 * 4"
is not emphasis). A text that would read differently rendered ("2*3*4", "$x$", a line starting
"1." or "#") gets the characters Markdown would take as markup escaped with a backslash; the
rest are left alone, so authors do not find backslashes they never needed. Used by migration
``0010`` on the stored texts.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from courses.rendering.markdown import to_html
from courses.rendering.sanitise import clean

_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<&$~|!])")
_LINE_START_MARKUP = re.compile(r"^(\s*)([#>+=-])", re.MULTILINE)
_LINE_START_NUMBER = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(text: str) -> str:
    """What a reader sees of ``text`` rendered (maths as its TeX), whitespace collapsed."""
    parser = _Text()
    parser.feed(clean(to_html(text, {})))
    parser.close()
    return " ".join("".join(parser.parts).split())


def reads_the_same(text: str, written: str | None = None) -> bool:
    """Whether ``text`` rendered shows the characters of ``written`` (by default, of itself)."""
    return visible_text(text) == " ".join((text if written is None else written).split())


def escape_markup(text: str) -> str:
    escaped = _INLINE_MARKUP.sub(r"\\\1", text)
    escaped = _LINE_START_MARKUP.sub(r"\1\\\2", escaped)
    return _LINE_START_NUMBER.sub(r"\1\\\2", escaped)


def as_markdown(text: str) -> str:
    """``text`` unchanged when it already reads the same as Markdown, else escaped (unchanged
    too when even escaping cannot keep it reading the same)."""
    if reads_the_same(text):
        return text
    escaped = escape_markup(text)
    return escaped if reads_the_same(escaped, text) else text
