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
import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

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
    difficulty_of,
    finite_number,
)

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "numerical"}
_QUESTION_TAG = re.compile(r"<question\b")
_HIDDEN = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.S)


def _question_lines(text: str) -> list[int]:
    """The line each <question> element starts on, in document order (CDATA and comments
    blanked first, keeping their newlines, so a question text mentioning the tag is not one)."""
    visible = _HIDDEN.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    return [visible.count("\n", 0, m.start()) + 1 for m in _QUESTION_TAG.finditer(visible)]


def _text(element: ET.Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path) if path else element
    return (found.text or "").strip() if found is not None else ""


def _images(element: ET.Element, question: BankQuestion, bank: ParsedBank) -> None:
    for node in element.iter("file"):
        name = (node.get("name") or "").strip()
        if (node.get("encoding") or "base64") != "base64" or not name:
            bank.note(question, "an embedded file without a name or "
                         "base64 encoding was left out")
            continue
        try:
            data = base64.b64decode("".join((node.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            bank.note(question, f"the embedded file {name!r} is not "
                         "valid base64 and was left out")
            continue
        question.images.append(BankImage(name, data))


def parse_moodle_xml(raw: bytes | str) -> ParsedBank:
    bank = ParsedBank()
    text = decoded(raw, bank)
    if text is None:
        return bank
    try:
        root = fromstring(text.encode("utf-8"))
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
    category = ""
    for index, element in enumerate(root.findall("question")):
        line = lines[index] if index < len(lines) else 1
        kind = element.get("type", "")
        if kind == "category":
            category = category_path(_text(element.find("category")))
            continue
        name = _text(element.find("name")) or f"question {index + 1}"
        if kind not in SUPPORTED:
            bank.problem(line, name, f"the question type {kind!r} is not supported "
                         "(multichoice, truefalse, shortanswer and numerical are)")
            continue
        question = BankQuestion(
            name=name, line=line, kind=CHOICE, category=category,
            prompt=_text(element.find("questiontext")),
            solution=_text(element.find("generalfeedback")),
            hint=_text(element.find("hint")),
            tags=[t for t in (_text(tag) for tag in element.findall("tags/tag")) if t],
            source_id=_text(element, "idnumber"),
        )
        question.difficulty, question.tags = difficulty_of(question.tags)
        if not question.prompt:
            bank.problem(line, name, "the question has no text")
            continue
        _images(element, question, bank)
        answers = [(finite_number(a.get("fraction", "0"), decimal_comma=True), a)
                   for a in element.findall("answer")]
        if any(fraction is None for fraction, _ in answers):
            bank.problem(line, name, "an answer's fraction (credit) is not a number")
            continue
        read = {"multichoice": _multichoice, "truefalse": _truefalse,
                "shortanswer": _shortanswer, "numerical": _numerical}[kind]
        if read(question, element, [(f or 0.0, a) for f, a in answers], bank):
            bank.questions.append(question)
    return bank


def _multichoice(question: BankQuestion, element: ET.Element,
                 answers: list[tuple[float, ET.Element]], bank: ParsedBank) -> bool:
    single = _text(element, "single").lower() not in {"false", "0"}
    best = max((fraction for fraction, _ in answers), default=0.0)
    if best <= 0:
        bank.problem(question.line, question.name, "no answer has a positive credit")
        return False
    question.choices = [
        BankChoice(_text(answer), (fraction == best) if single else fraction > 0,
                   _text(answer.find("feedback")))
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
               answers: list[tuple[float, ET.Element]], bank: ParsedBank) -> bool:
    right = {_text(answer).lower() for fraction, answer in answers if fraction > 0}
    if right not in ({"true"}, {"false"}):
        bank.problem(question.line, question.name, "a true/false question needs exactly one "
                     "of true and false with full credit")
        return False
    question.choices = [BankChoice("True", right == {"true"}),
                        BankChoice("False", right == {"false"})]
    return True


def _shortanswer(question: BankQuestion, element: ET.Element,
                 answers: list[tuple[float, ET.Element]], bank: ParsedBank) -> bool:
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
               answers: list[tuple[float, ET.Element]], bank: ParsedBank) -> bool:
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
