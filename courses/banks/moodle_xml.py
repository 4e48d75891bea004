"""Moodle XML question banks (the format Moodle's question bank exports): multiple choice
(one or several right options), true/false, short answer and numerical questions, with their
feedback, hints, tags, categories and embedded images.

Moodle's credits become right and wrong options: with one answer allowed, the options with the
highest positive credit are right (normally the 100 % one); with several allowed, every option
with a positive credit is right and the rest wrong. A short answer accepts its full-credit
answers (partial-credit ones are left out and said so; ``*`` wildcards are not supported). A
numerical question takes its full-credit answer and that answer's tolerance.

The XML is read with defusedxml: a file that declares entities or a DTD is refused, so a bank
cannot make the server fetch files or expand into gigabytes.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from courses.banks.moodle_text import AUTO, TextTooLong, escape_text, markdown_of
from courses.banks.questions import (
    CHOICE,
    NUMERIC,
    TEXT,
    BankChoice,
    BankImage,
    BankQuestion,
    ParsedBank,
    category_path,
    decoded,
    decoded_as,
    difficulty_of,
    finite_number,
    image_name,
    with_digest,
)

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "numerical"}
PLUGINFILE = "@@PLUGINFILE@@"
_DECLARED = re.compile(
    rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]{0,39})["']""")
# Python's names of the character sets XML files are saved in (not its other codecs, such as
# base64 or unicode_escape, which would read anything, lone surrogates included).
_CHARACTER_SETS = re.compile(r"utf-(8|16|32)(-[lb]e)?|ascii|iso8859-\d+|cp\d+|koi8-\w|mac-\w+|"
                             r"shift_jis(_2004|x0213)?|euc_\w+|gb2312|gbk|gb18030|big5(hkscs)?|"
                             r"iso2022_\w+|tis-620")
_MARKDOWN_IMAGE = re.compile(
    r"!\[((?:[^\]\\\n]|\\.)*)\]\((@@PLUGINFILE@@/[^)\s]*)(?:\s+\"[^\"\n]*\")?\)")
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _xml_text(raw: bytes | str, bank: ParsedBank) -> str | None:
    """The file's text: UTF-8, or UTF-16 with its byte-order mark, or the encoding the XML
    declaration names (Moodle writes UTF-8; older tools ISO-8859-1 or Windows-1252)."""
    if isinstance(raw, str) or raw.startswith(codecs.BOM_UTF8):
        return decoded(raw, bank)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decoded_as(raw, "utf-16", bank)
    declared = _DECLARED.match(raw)
    if declared is None:
        return decoded(raw, bank)
    name = declared.group(1).decode("ascii")
    try:
        encoding = codecs.lookup(name).name
    except LookupError:
        encoding = ""
    if not _CHARACTER_SETS.fullmatch(encoding):
        bank.problem(1, "", f"the file says it is in {name!r}, an encoding this server does "
                     "not read: save it as UTF-8")
        return None
    return decoded_as(raw, "utf-8-sig" if encoding == "utf-8" else encoding, bank)


def _question_lines(text: str) -> list[int]:
    """The line each <question> below <quiz> starts on, in document order (read by expat
    itself, once defusedxml has accepted the file)."""
    lines: list[int] = []
    depth = 0
    parser = expat.ParserCreate("utf-8")

    def start(name: str, attributes: object) -> None:
        nonlocal depth
        depth += 1
        if depth == 2 and name == "question":
            lines.append(parser.CurrentLineNumber)

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(text.encode("utf-8"), True)
    return lines


def _text(element: ET.Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path) if path else element
    return (found.text or "").strip() if found is not None else ""


def _file_path(node: ET.Element) -> str:
    folder = "/" + (node.get("path") or "/").strip("/")
    return f"{folder.rstrip('/')}/{(node.get('name') or '').strip()}"


@dataclass
class _Images:
    """The images of the whole bank, one course image per distinct content."""

    by_digest: dict[str, BankImage] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def image(self, filename: str, data: bytes, alt: str) -> BankImage:
        image = BankImage(image_name(filename), filename, data, alt)
        known = self.by_digest.get(image.digest)
        if known is not None:
            return known
        if image.name in self.names:
            image = BankImage(with_digest(image.name, image.digest), filename, data, alt)
        self.by_digest[image.digest] = image
        self.names.add(image.name)
        return image


class _QuestionTexts:
    """One question's texts as Markdown, with the files embedded beside each text
    (``<file name=... path=... encoding="base64">``) as the course images they show. A
    question an image cannot come along for is refused with the reason."""

    def __init__(self, element: ET.Element, question: BankQuestion, bank: ParsedBank,
                 images: _Images) -> None:
        self.question, self.bank, self.images = question, bank, images
        self.refusals: list[str] = []
        self.everywhere = self._files(element)
        self.used: set[str] = set()

    def _files(self, holder: ET.Element, direct: bool = False) -> dict[str, bytes | str]:
        """Path -> the file's bytes, or why they cannot be read."""
        files: dict[str, bytes | str] = {}
        for node in holder.findall("file") if direct else holder.iter("file"):
            path = _file_path(node)
            if (node.get("encoding") or "base64") != "base64" or path.endswith("/"):
                files[path] = "has no name or is not base64-encoded"
                continue
            try:
                files[path] = base64.b64decode("".join((node.text or "").split()), validate=True)
            except (binascii.Error, ValueError):
                files[path] = "is not valid base64"
        return files

    def text(self, holder: ET.Element | None) -> str:
        if holder is None:
            return ""
        here = self._files(holder, direct=True)
        notes: list[str] = []

        def image(source: str, alt: str) -> str:
            return self._image(source, " ".join(alt.split()), here, notes)

        text_format = holder.get("format") or AUTO
        raw = _text(holder)
        if text_format == "markdown":
            raw = _MARKDOWN_IMAGE.sub(lambda m: image(
                m.group(2), _MARKDOWN_ESCAPE.sub(r"\1", m.group(1))), raw)
        try:
            converted = markdown_of(raw, text_format, image, notes)
        except TextTooLong as error:
            self.refusals.append(str(error))
            return ""
        for note in dict.fromkeys(notes):
            self.bank.note(self.question, note)
        return converted

    def _image(self, source: str, alt: str, here: dict[str, bytes | str],
               notes: list[str]) -> str:
        source = source.strip()
        if not source.startswith(PLUGINFILE):
            notes.append(f"an image from elsewhere ({source[:80]!r}) was left out: upload it "
                         "to the course and show it with ![alt](image:NAME)")
            return ""
        path = "/" + unquote(re.split(r"[?#]", source.removeprefix(PLUGINFILE))[0]).lstrip("/")
        data = here.get(path, self.everywhere.get(path))
        self.used.add(path)
        filename = path.rsplit("/", 1)[-1]
        if data is None:
            self.refusals.append(f"the image {filename!r} is not embedded in the file")
        elif isinstance(data, str):
            self.refusals.append(f"the embedded image {filename!r} {data}")
        elif not alt:
            self.refusals.append(f"the image {filename!r} has no alt text: describe what it "
                                 "shows in Moodle (the image's description) and export again")
        else:
            found = self.images.image(filename, data, alt)
            if found not in self.question.images:
                self.question.images.append(found)
            return f"![{escape_text(alt)}](image:{found.name})"
        return ""

    def refused(self) -> bool:
        """Reports what keeps the question out, and the files no text showed."""
        for path in sorted(set(self.everywhere) - self.used):
            self.bank.note(self.question, f"the embedded file {path.lstrip('/')!r} is not "
                           "shown by any text and was left out")
        for refusal in dict.fromkeys(self.refusals):
            self.bank.problem(self.question.line, self.question.name, refusal)
        return bool(self.refusals)


def parse_moodle_xml(raw: bytes | str) -> ParsedBank:
    bank = ParsedBank()
    text = _xml_text(raw, bank)
    if text is None:
        return bank
    try:
        root = fromstring(text)
    except DefusedXmlException:
        bank.problem(1, "", "the file declares a DTD or entities, which are not allowed")
        return bank
    except ET.ParseError as error:
        line, column = error.position
        bank.problem(line, "", f"this is not well-formed XML (column {column + 1}): "
                     f"{str(error).split(':')[0]}")
        return bank
    if root.tag != "quiz":
        bank.problem(1, "", f"a Moodle XML bank starts with <quiz>, not <{root.tag}>")
        return bank
    lines = _question_lines(text)
    category, images = "", _Images()
    for index, element in enumerate(root.findall("question")):
        line = lines[index] if index < len(lines) else 1
        kind = element.get("type", "")
        if kind == "category":
            category = category_path(_text(element.find("category")))
            continue
        question = _question(element, kind, line, index, category, bank, images)
        if question is not None:
            bank.questions.append(question)
    return bank.finish()


def _question(element: ET.Element, kind: str, line: int, index: int, category: str,
              bank: ParsedBank, images: _Images) -> BankQuestion | None:
    name = _text(element.find("name")) or f"question {index + 1}"
    if kind not in SUPPORTED:
        bank.problem(line, name, f"the question type {kind!r} is not supported "
                     "(multichoice, truefalse, shortanswer and numerical are)")
        return None
    question = BankQuestion(
        name=name, line=line, kind=CHOICE, category=category, prompt="",
        tags=[t for t in (_text(tag) for tag in element.findall("tags/tag")) if t],
        source_id=_text(element, "idnumber"),
    )
    texts = _QuestionTexts(element, question, bank, images)
    question.prompt = texts.text(element.find("questiontext"))
    question.solution = texts.text(element.find("generalfeedback"))
    question.hint = texts.text(element.find("hint"))
    question.difficulty, question.tags = difficulty_of(question.tags)
    if not question.prompt:
        if not texts.refused():
            bank.problem(line, name, "the question has no text")
        return None
    answers = [(finite_number(a.get("fraction", "0"), decimal_comma=True), a)
               for a in element.findall("answer")]
    if any(fraction is None for fraction, _ in answers):
        bank.problem(line, name, "an answer's fraction (credit) is not a number")
        return None
    read = {"multichoice": _multichoice, "truefalse": _truefalse,
            "shortanswer": _shortanswer, "numerical": _numerical}[kind]
    if not read(question, element, [(f or 0.0, a) for f, a in answers], bank, texts):
        return None
    return None if texts.refused() else question


def _multichoice(question: BankQuestion, element: ET.Element,
                 answers: list[tuple[float, ET.Element]], bank: ParsedBank,
                 texts: _QuestionTexts) -> bool:
    single = _text(element, "single").lower() not in {"false", "0"}
    best = max((fraction for fraction, _ in answers), default=0.0)
    if best <= 0:
        bank.problem(question.line, question.name, "no answer has a positive credit")
        return False
    question.choices = [
        BankChoice(texts.text(answer), (fraction == best) if single else fraction > 0,
                   texts.text(answer.find("feedback")))
        for fraction, answer in answers
    ]
    if any(not choice.text for choice in question.choices):
        bank.problem(question.line, question.name, "an answer has no text")
        return False
    if not question.solution:
        right = [c.feedback for c in question.choices if c.correct and c.feedback]
        question.solution = right[0] if right else ""
    return True


def _truefalse(question: BankQuestion, element: ET.Element,
               answers: list[tuple[float, ET.Element]], bank: ParsedBank,
               texts: _QuestionTexts) -> bool:
    right = {_text(answer).lower() for fraction, answer in answers if fraction > 0}
    if right not in ({"true"}, {"false"}):
        bank.problem(question.line, question.name, "a true/false question needs exactly one "
                     "of true and false with full credit")
        return False
    question.choices = [BankChoice("True", right == {"true"}),
                        BankChoice("False", right == {"false"})]
    return True


def _shortanswer(question: BankQuestion, element: ET.Element,
                 answers: list[tuple[float, ET.Element]], bank: ParsedBank,
                 texts: _QuestionTexts) -> bool:
    question.kind = TEXT
    full = [_text(answer) for fraction, answer in answers if fraction >= 100]
    question.accepted = [a for a in full if a and "*" not in a]
    if len(question.accepted) < len(full):
        bank.note(question, "answers with the * wildcard are not "
                     "supported and were left out")
    if any(0 < fraction < 100 for fraction, _ in answers):
        bank.note(question, "partial-credit answers count as wrong")
    if not question.accepted:
        bank.problem(question.line, question.name, "no full-credit answer to accept")
        return False
    return True


def _numerical(question: BankQuestion, element: ET.Element,
               answers: list[tuple[float, ET.Element]], bank: ParsedBank,
               texts: _QuestionTexts) -> bool:
    question.kind = NUMERIC
    full = [answer for fraction, answer in answers if fraction >= 100]
    values = [(finite_number(_text(a), decimal_comma=True),
               finite_number(_text(a, "tolerance") or "0", decimal_comma=True)) for a in full]
    usable = [(value, abs(tol)) for value, tol in values if value is not None and tol is not None]
    if not usable:
        bank.problem(question.line, question.name, "no full-credit numeric answer")
        return False
    question.answer, question.tolerance = usable[0]
    if len(usable) > 1:
        bank.note(question, "only the first of several full-credit "
                     "answers is kept")
    return True
