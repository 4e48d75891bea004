"""An author's text as one line of plain text, for places that cannot hold HTML (an
``<option>`` of the teacher's pin list, a ``title``): the rendered, sanitised HTML read back as a
reader sees it, with the maths written out in Unicode (``$2\\frac{1}{3} \\times 4$`` reads
"2 1/3 × 4") instead of TeX, images as their alt text in brackets, and no Markdown markup.

The TeX reading covers school maths (fractions, operators and relations, powers and indices,
roots, Greek letters, text, spacing, ``\\left``/``\\right``); any other command shows its name
without the backslash, so nothing an author wrote disappears. A fraction after a digit reads as
a mixed number ("2 1/3"); a fraction of more than one term gets brackets ("(2 × 2)/(3 × 2)").
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

FRACTIONS = {"frac", "dfrac", "tfrac", "cfrac"}
WITH_TEXT = {"text", "textrm", "textbf", "textit", "mathrm", "mathbf", "mathit", "mathsf",
             "operatorname", "mbox", "boldsymbol", "bm", "underline", "overline", "vec",
             "boxed", "displaystyle"}
LEFT_OUT = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
            "textstyle", "scriptstyle", "limits", "nolimits", "!"}
SPACING = {",", ";", ":", " ", "quad", "qquad", "enspace", "thinspace", "medspace", "space"}
OPERATORS = {"times": "×", "div": "÷", "cdot": "·", "pm": "±", "mp": "∓", "le": "≤", "leq": "≤",
             "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "equiv": "≡",
             "lt": "<", "gt": ">", "to": "→", "rightarrow": "→", "Rightarrow": "⇒",
             "leftarrow": "←", "iff": "⇔", "implies": "⇒", "sim": "∼", "propto": "∝",
             "in": "∈", "notin": "∉", "subset": "⊂", "cup": "∪", "cap": "∩", "colon": ":"}
SYMBOLS = {"infty": "∞", "pi": "π", "theta": "θ", "alpha": "α", "beta": "β", "gamma": "γ",
           "delta": "δ", "Delta": "Δ", "epsilon": "ε", "lambda": "λ", "mu": "μ", "sigma": "σ",
           "Sigma": "Σ", "phi": "φ", "omega": "ω", "Omega": "Ω", "degree": "°", "circ": "°",
           "ldots": "…", "dots": "…", "cdots": "⋯", "prime": "′", "angle": "∠",
           "triangle": "△", "perp": "⊥", "parallel": "∥", "sum": "Σ", "prod": "Π",
           "percent": "%", "lbrace": "{", "rbrace": "}", "langle": "⟨", "rangle": "⟩",
           "vert": "|", "mid": "|"}
ROOTS = {"": "√", "2": "√", "3": "∛", "4": "∜"}
SUPERSCRIPTS = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
SUBSCRIPTS = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_PART = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}^_&~]|\s+|.", re.DOTALL)
_ATOM = re.compile(r"[-−]?[\w.,′]+")
_BLOCKS = {"p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
           "blockquote", "table", "thead", "tbody", "hr", "ul", "ol"}


class _Tex:
    """A recursive reading of TeX into text."""

    def __init__(self, tex: str) -> None:
        self._parts = _PART.findall(tex)
        self._at = 0

    def text(self) -> str:
        return " ".join(self._sequence(until=None).split())

    def _next(self) -> str | None:
        if self._at >= len(self._parts):
            return None
        self._at += 1
        return self._parts[self._at - 1]

    def _sequence(self, until: str | None) -> str:
        out = ""
        while (part := self._next()) is not None and part != until:
            if part[1:] in FRACTIONS and part[0] == "\\" and out[-1:].isdigit():  # 2\frac13
                out += " "
            out += self._piece(part)
        return out

    def _argument(self) -> str:
        part = self._next()
        while part is not None and part.isspace():
            part = self._next()
        if part is None:
            return ""
        return self._sequence(until="}") if part == "{" else self._piece(part)

    def _optional(self) -> str:
        if self._at < len(self._parts) and self._parts[self._at] == "[":
            self._at += 1
            return self._sequence(until="]")
        return ""

    def _piece(self, part: str) -> str:
        if part == "{":
            return self._sequence(until="}")
        if part in {"^", "_"}:
            argument = self._argument()
            table = SUPERSCRIPTS if part == "^" else SUBSCRIPTS
            written = argument.translate(table)
            return written if written != argument or not argument else f"{part}({argument})"
        if part in {"&", "~", "\\\\"} or part.isspace():
            return " "
        if not part.startswith("\\"):
            return part
        return self._command(part[1:].rstrip("*"))

    def _command(self, name: str) -> str:
        if name in FRACTIONS:
            over, under = _grouped(self._argument()), _grouped(self._argument())
            return f"{over}/{under}"
        if name == "sqrt":
            index, radicand = self._optional(), _grouped(self._argument())
            return f"{ROOTS.get(index, index)}{radicand}"
        if name in WITH_TEXT:
            return self._argument()
        if name in OPERATORS:
            return f" {OPERATORS[name]} "
        if name in SPACING:
            return " "
        if name in LEFT_OUT:
            return ""
        return SYMBOLS.get(name, f"{name} ")


def _grouped(part: str) -> str:
    part = " ".join(part.split())
    return part if not part or _ATOM.fullmatch(part) else f"({part})"


def tex_as_text(tex: str) -> str:
    """``tex`` (a formula's source) written out in Unicode text."""
    return _Tex(tex).text()


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._maths: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in {"span", "div"} and "math" in (found.get("class") or "").split():
            self._maths = []
        elif tag == "img":
            self.parts.append(f" [{found.get('alt') or 'picture'}] ")
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._maths is not None and tag in {"span", "div"}:
            self.parts.append(tex_as_text("".join(self._maths)))
            self._maths = None
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        (self._maths if self._maths is not None else self.parts).append(data)


def html_as_text(html: str) -> str:
    """Rendered, sanitised ``html`` (:mod:`courses.rendering.texts`) as one line of text."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return " ".join("".join(reader.parts).split())
