"""Moodle's text formats as learnpath's Markdown (:mod:`courses.rendering.markdown`, which shows
authors' raw HTML as the text typed), so an imported text reads as it did in Moodle.

- ``html`` (what Moodle's editor writes): paragraphs, line breaks, bold, italics, struck text,
  code, headings, lists, block quotes, preformatted text, simple tables and links become their
  Markdown; superscript and subscript digits their Unicode characters; ``<img>`` whatever the
  caller makes of it (Moodle XML: the embedded file as a course image); every other tag is left
  out and its text kept (scripts and styles with their text). The text itself is escaped, so
  ``2*3*4`` or ``$5`` show as written.
- ``moodle_auto_format``: HTML where a new line is a line break; ``plain_text``: text as typed.
- ``markdown``: kept as it is.

Maths written for Moodle's filters, ``\\(...\\)``, ``\\[...\\]`` and ``$$...$$``, becomes
``$...$`` and ``$$...$$``. Tags nest at most :data:`MAX_DEPTH` deep; deeper ones only keep
their text, so no bank can make the converter recurse without bound.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

HTML, AUTO, PLAIN, MARKDOWN = "html", "moodle_auto_format", "plain_text", "markdown"
MAX_DEPTH = 40
MAX_SOURCE_LENGTH = 200_000  # far above any exercise text (10,000 characters of Markdown)
ImageWriter = Callable[[str, str], str]  # (src, alt) -> the Markdown that stands for it
LINKED = ("http://", "https://", "mailto:")

_VOID = frozenset({"br", "img", "hr", "wbr", "input", "col", "area", "source", "meta", "link"})
_DROPPED = frozenset({"script", "style", "template", "svg", "math", "iframe", "object", "embed",
                      "noscript", "textarea", "select", "button", "head", "title"})
_BLOCKS = frozenset({"p", "div", "section", "article", "aside", "header", "footer", "main",
                     "nav", "figure", "figcaption", "address", "center", "dl", "dt", "dd",
                     "form", "fieldset", "details", "summary", "body", "html"})
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCK_LEVEL = _BLOCKS | set(_HEADINGS) | {"ul", "ol", "li", "blockquote", "pre", "table",
                                           "thead", "tbody", "tfoot", "tr", "td", "th", "hr"}
_CLOSED_BY = {"p": _BLOCK_LEVEL - {"td", "th", "tr", "li"} | {"p"}, "li": {"li"},
              "td": {"td", "th", "tr"}, "th": {"td", "th", "tr"}, "tr": {"tr"}}
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*", "del": "~~", "s": "~~",
             "strike": "~~"}
_CODE = frozenset({"code", "tt", "kbd", "samp"})
_SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")

_SPACE = re.compile(r"[ \t\n\r\f]+")
_DECLARATION = re.compile(r"<!--.*?(?:-->|\Z)|<![^>]*(?:>|\Z)", re.S)
_MATHS = {"\\(": "\\)", "\\[": "\\]", "$$": "$$"}  # Moodle's maths: opening -> closing
_INLINE_MARK = re.compile(r"[\\`*_\[\]~|$]|<(?=[A-Za-z/!?])|&(?=#?\w+;)")
_LINE_START_MARK = re.compile(r"^(\d*)([#>+=.)-])")
_BARE_PIPE = re.compile(r"(?<!\\)\|")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_OPEN, _CLOSE = "\ue000", "\ue001"  # around a code span's number until its phrase is done
_CODE_MARK = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_CODE_RUN = re.compile(f"(?:{_OPEN}\\d+{_CLOSE})+")


class TextTooLong(ValueError):
    def __init__(self, length: int) -> None:
        super().__init__(f"a text is {length:,} characters long; at most "
                         f"{MAX_SOURCE_LENGTH:,} are read")


@dataclass
class Node:
    tag: str
    attributes: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)


class _Tree(HTMLParser):
    """A forgiving HTML tree: a block closes an open paragraph, an item the item before it; an
    end tag with nothing open to close is ignored (but for ``</p>`` and ``</br>``, which
    browsers read as an empty paragraph and a line break)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("")
        self.open: list[Node] = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cut = 0
        for index in range(len(self.open) - 1, 0, -1):
            if tag in _CLOSED_BY.get(self.open[index].tag, ()):
                cut = index
            if self.open[index].tag in {"ul", "ol", "table"}:
                break
        if cut:
            del self.open[cut:]
        if tag not in _VOID and len(self.open) > MAX_DEPTH:
            return  # too deep: only its text is kept
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(node)
        if tag not in _VOID:
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, 0, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return
        if tag in {"p", "br"}:  # as browsers read a stray </p> or </br>
            self.open[-1].children.append(Node(tag))

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def _stray_brackets_escaped(html: str) -> str:
    """``html`` with every "<" that does not open a tag closed before the next "<" written as
    ``&lt;`` (as Moodle's editor writes it): Python's parser takes quadratic time on many
    unfinished tags (``<a href='<a href='…``)."""
    pieces, position, closing = [], 0, html.find(">")
    while (start := html.find("<", position)) >= 0:
        if 0 <= closing < start:
            closing = html.find(">", start)
        after = html.find("<", start + 1)
        if closing < 0 or 0 <= after < closing:
            pieces.append(html[position:start] + "&lt;")
            position = start + 1
        else:
            pieces.append(html[position:closing + 1])
            position = closing + 1
    return "".join(pieces) + html[position:]


def parse_html(html: str) -> Node:
    """The tree of ``html``. Comments and other ``<!...>`` declarations go first, as browsers
    drop them (Python's parser raises AssertionError on some, ``<![x``)."""
    tree = _Tree()
    tree.feed(_stray_brackets_escaped(_DECLARATION.sub("", html)))
    tree.close()
    return tree.root


def escape_text(text: str) -> str:
    """``text`` with every character Markdown could read as markup escaped."""
    return _INLINE_MARK.sub(lambda match: "\\" + match.group(), text)


def _maths(tex: str, display: bool) -> str | None:
    tex = " ".join(tex.split())
    if not tex or "$" in tex or tex.endswith("\\"):
        return None
    return f"$${tex}$$" if display else f"${tex}$"


def _text(text: str) -> str:
    """Running text: Moodle's maths as ours, everything else escaped. (A scan rather than a
    regular expression, which took quadratic time on many openings without a closing.)"""
    pieces, position = [], 0
    upcoming = {opening: text.find(opening) for opening in _MATHS}
    while True:
        found = [(index, opening) for opening, index in upcoming.items() if index >= 0]
        if not found:
            break
        start, opening = min(found)
        end = text.find(_MATHS[opening], start + 2)
        if end < 0:
            upcoming[opening] = -1  # no closing anywhere after: no more of these
            continue
        maths = _maths(text[start + 2:end], display=opening != "\\(")
        pieces += [escape_text(text[position:start]), maths] if maths is not None else [
            escape_text(text[position:end + 2])]
        position = end + 2
        for name, index in upcoming.items():
            if 0 <= index < position:
                upcoming[name] = text.find(name, position)
    pieces.append(escape_text(text[position:]))
    return "".join(pieces)


def _around(inner: str, make: Callable[[str], str]) -> str:
    """``make`` of ``inner`` without its spaces and line breaks, which stay outside."""
    core = inner.strip()
    if not core:
        return inner
    return inner[: len(inner) - len(inner.lstrip())] + make(core) + inner[len(inner.rstrip()):]


def _wrapped(mark: str, inner: str) -> str:
    """``inner`` between emphasis marks; plain when the marks could not open and close there
    (an edge of punctuation, such as an escape or maths)."""
    def wrap(core: str) -> str:
        if _PUNCTUATION.match(core[0]) or _PUNCTUATION.match(core[-1]):
            return core
        return mark + core + mark
    return _around(inner, wrap)


def _joined(pieces: Iterable[str]) -> str:
    """Inline pieces side by side; two emphases of one kind that meet become one, since their
    marks would run together (``**a****b**``), and a "!" before a link is escaped."""
    joined: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        last = joined[-1] if joined else ""
        mark = next((m for m in ("**", "~~", "*") if last.endswith(m) and piece.startswith(m)),
                    None)
        if mark is not None and last[-len(mark) - 1:-len(mark)] not in {"*", "~", "\\"} and (
                piece[len(mark):len(mark) + 1] not in {"*", "~"}):
            joined[-1], piece = last[: -len(mark)], piece[len(mark):]
        elif last.endswith("!") and piece.startswith("["):  # not an image's "!["
            joined[-1] = last[:-1] + "\\!"
        joined.append(piece)
    return "".join(joined)


def _code_span(text: str) -> str:
    def fenced(code: str) -> str:
        fence = "`" * (max((len(run) for run in re.findall("`+", code)), default=0) + 1)
        padded = f" {code} " if code.startswith("`") or code.endswith("`") else code
        return fence + padded + fence
    return _around(text, fenced)


def _url(href: str) -> str:
    return href.strip().replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


class _Writer:
    def __init__(self, image: ImageWriter, notes: list[str]) -> None:
        self.image = image
        self.notes = notes
        self.code: list[str] = []  # code spans, written once a phrase is complete

    # ------------------------------------------------------------------ inline content

    def phrase(self, nodes: list[Node | str], cell: bool = False) -> str:
        """Inline content as Markdown. Code spans side by side become one, since their
        backtick fences would run together."""
        def code(match: re.Match[str]) -> str:
            return _code_span("".join(self.code[int(n)] for n in _CODE_MARK.findall(
                match.group())))
        return _CODE_RUN.sub(code, self.inline(nodes, cell=cell))

    def inline(self, nodes: list[Node | str], marks: frozenset[str] = frozenset(),
               cell: bool = False) -> str:
        return _joined(self._inline(node, marks, cell) for node in nodes)

    def _inline(self, node: Node | str, marks: frozenset[str], cell: bool) -> str:
        if isinstance(node, str):
            return _text(_SPACE.sub(" ", node).replace(_OPEN, "").replace(_CLOSE, ""))
        tag = node.tag
        if tag in _DROPPED:
            return ""
        if tag == "br":
            return " " if cell else "\n"
        if tag == "img":
            return self.image(node.attributes.get("src", ""), node.attributes.get("alt", ""))
        if tag in _CODE and "code" not in marks:
            self.code.append(_SPACE.sub(" ", _plain(node)).replace(_OPEN, "").replace(_CLOSE, ""))
            return f"{_OPEN}{len(self.code) - 1}{_CLOSE}"
        mark = _EMPHASIS.get(tag)
        if mark is not None and mark not in marks:
            return _wrapped(mark, self.inline(node.children, marks | {mark}, cell))
        if tag == "a" and "link" not in marks:
            return self._link(node, marks, cell)
        if tag in {"sup", "sub"}:
            return self._script(node, marks, cell)
        inner = self.inline(node.children, marks, cell)
        return f" {inner} " if tag in _BLOCK_LEVEL else inner

    def _link(self, node: Node, marks: frozenset[str], cell: bool) -> str:
        inner = self.inline(node.children, marks | {"link"}, cell)
        href = node.attributes.get("href", "").strip()
        if not href.lower().startswith(LINKED) or not inner.strip():
            if href.startswith("@@PLUGINFILE@@"):
                self.notes.append(f"the linked file {href.removeprefix('@@PLUGINFILE@@')!r} "
                                  "was left out (only images come along)")
            return inner
        return _around(inner, lambda core: f"[{core}](<{_url(href)}>)")

    def _script(self, node: Node, marks: frozenset[str], cell: bool) -> str:
        written = _SPACE.sub(" ", _plain(node)).strip()
        table = _SUPERSCRIPT if node.tag == "sup" else _SUBSCRIPT
        if written and all(char in "0123456789+-=()" + ("n" if node.tag == "sup" else "")
                           for char in written):
            return written.translate(table)
        mark = "^" if node.tag == "sup" else "\\_"
        return _around(self.inline(node.children, marks, cell), lambda core: f"{mark}({core})")

    # ------------------------------------------------------------------ blocks

    def blocks(self, nodes: list[Node | str]) -> list[str]:
        blocks: list[str] = []
        run: list[Node | str] = []
        for node in nodes:
            if isinstance(node, Node) and node.tag in _BLOCK_LEVEL:
                blocks += _paragraph(self.phrase(run))
                run = []
                blocks += self._block(node)
            else:
                run.append(node)
        return blocks + _paragraph(self.phrase(run))

    def _block(self, node: Node) -> list[str]:
        tag = node.tag
        if tag in _HEADINGS:
            text = " ".join(self.phrase(node.children).split())
            closing = "\\#" if text.endswith("#") else ""  # not read as a closing sequence
            return [f"{'#' * _HEADINGS[tag]} {text.removesuffix('#')}{closing}"] if text else []
        if tag in {"ul", "ol"}:
            return self._list(node)
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(node.children))
            return ["\n".join(f"> {line}".rstrip() for line in inner.split("\n"))] if inner else []
        if tag == "pre":
            return _fenced(_plain(node))
        if tag == "table":
            return self._table(node)
        if tag == "hr":
            return ["---"]
        return self.blocks(node.children)

    def _list(self, node: Node) -> list[str]:
        ordered = node.tag == "ol"
        start = node.attributes.get("start", "1")
        number = int(start) if start.isdigit() and len(start) < 9 else 1
        items: list[str] = []
        for content in _items(node.children):
            blocks = self.blocks(content)
            if not blocks:
                continue
            marker = f"{number + len(items)}. " if ordered else "- "
            indent = " " * len(marker)
            body = "".join(blocks[:1] + [
                ("\n" if block.startswith(("- ", "1. ")) else "\n\n") + block  # a tight list
                for block in blocks[1:]]).split("\n")
            items.append("\n".join([marker + body[0]] + [
                indent + line if line else "" for line in body[1:]]))
        return ["\n".join(items)] if items else []

    def _table(self, node: Node) -> list[str]:
        rows: list[list[str]] = []
        for row in _rows(node):
            rows.append([_BARE_PIPE.sub(r"\\|", " ".join(self.phrase(
                cell.children, cell=True).split())) for cell in row])
        rows = [row for row in rows if any(row)]
        if not rows:
            return []
        width = max(len(row) for row in rows)
        lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
        return ["\n".join([lines[0], "|" + " --- |" * width, *lines[1:]])]


def _items(children: list[Node | str]) -> list[list[Node | str]]:
    """A list's items: each ``<li>``'s content, and each run of anything else between them."""
    items: list[list[Node | str]] = []
    loose: list[Node | str] = []
    for child in children:
        if isinstance(child, Node) and child.tag == "li":
            items += [loose, child.children] if loose else [child.children]
            loose = []
        else:
            loose.append(child)
    return [*items, loose] if loose else items


def _rows(table: Node) -> list[list[Node]]:
    rows: list[list[Node]] = []
    for child in table.children:
        if not isinstance(child, Node):
            continue
        if child.tag in {"thead", "tbody", "tfoot"}:
            rows += _rows(child)
        elif child.tag == "tr":
            rows.append([cell for cell in child.children
                         if isinstance(cell, Node) and cell.tag in {"td", "th"}])
    return rows


def _plain(node: Node | str) -> str:
    if isinstance(node, str):
        return node
    if node.tag in _DROPPED:
        return ""
    if node.tag == "br":
        return "\n"
    inner = "".join(_plain(child) for child in node.children)
    return f"\n{inner}\n" if node.tag in _BLOCK_LEVEL else inner


def _fenced(code: str) -> list[str]:
    code = code.strip("\n")
    if not code.strip():
        return []
    fence = "`" * max(3, max((len(run) for run in re.findall("`+", code)), default=0) + 1)
    return [f"{fence}\n{code}\n{fence}"]


def _line_start(line: str) -> str:
    """A line that Markdown would read as a heading, quote, list or rule, escaped."""
    match = _LINE_START_MARK.match(line)
    if match is None or (match.group(2) in ".)") != bool(match.group(1)):
        return line
    return f"{match.group(1)}\\{line[match.end(1):]}"


def _paragraph(text: str) -> list[str]:
    lines = [line.strip() for line in text.split("\n")]
    lines = [_line_start(line) for line in lines if line]
    return ["\n".join(lines)] if lines else []


def markdown_of(text: str, text_format: str, image: ImageWriter, notes: list[str]) -> str:
    """``text``, written in Moodle's ``text_format``, as Markdown; what was left out is added
    to ``notes``. :class:`TextTooLong` past :data:`MAX_SOURCE_LENGTH`."""
    if len(text) > MAX_SOURCE_LENGTH:
        raise TextTooLong(len(text))
    if text_format == MARKDOWN:
        return text.strip()
    if text_format == PLAIN:
        root = Node("", children=[piece for line in text.split("\n")
                                  for piece in (line, Node("br"))])
    else:
        root = parse_html(text.replace("\n", "<br>") if text_format == AUTO else text)
    return "\n\n".join(_Writer(image, notes).blocks(root.children))
