"""GIFT question banks (Moodle's text format): multiple choice (``{=right ~wrong}``, several
right ones with ``~%50%``), true/false (``{T}``, ``{FALSE}``), short answer (``{=a =b}``) and
numerical (``{#3.14:0.01}``, ``{#1..2}``) questions, with titles, categories (``$CATEGORY:``),
per-answer feedback (``#…``), general feedback (``####…``) and the ``[html]``, ``[markdown]``,
``[plain]`` and ``[moodle]`` text formats (:mod:`.moodle_text` turns each into Markdown; GIFT
has no embedded files, so an ``<img>`` is reported and left out). Matching, essay,
description and missing-word-with-several-gaps questions are reported as not supported.
Credits map to right/wrong options as in :mod:`.moodle_xml`.

There is no maintained GIFT library on PyPI (``pygiftparser`` was last released in 2016 for
Python 2-era code), so this is a small parser of the documented syntax.
"""
from __future__ import annotations

import re

from courses.banks.moodle_text import AUTO, HTML, MARKDOWN, PLAIN, TextTooLong, markdown_of
from courses.banks.questions import (
    CHOICE,
    NUMERIC,
    TEXT,
    BankChoice,
    BankQuestion,
    ParsedBank,
    category_path,
    decoded,
    finite_number,
)

_ESCAPES = {"\\~": "~", "\\=": "=", "\\#": "#", "\\{": "{", "\\}": "}", "\\:": ":",
            "\\n": "\n", "\\\\": "\\"}
_ESCAPE = re.compile(r"\\[~=#{}:n\\]")
_FORMAT = re.compile(r"^\[(html|markdown|plain|moodle)\]\s*")
_FORMATS = {"html": HTML, "markdown": MARKDOWN, "plain": PLAIN, "moodle": AUTO}
_CREDIT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_TRUE, _FALSE = {"T", "TRUE"}, {"F", "FALSE"}


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group()], text).strip()


def _unescaped(text: str, char: str, start: int = 0) -> int:
    """Index of the first ``char`` not escaped by a backslash, or -1."""
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(char, index):
            return index
        index += 1
    return -1


def _split_unescaped(text: str, marks: str) -> list[str]:
    """Splits before every unescaped character of ``marks`` (each piece keeps its mark)."""
    pieces, current, index = [], "", 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current += text[index:index + 2]
            index += 2
            continue
        if char in marks and current.strip():
            pieces.append(current)
            current = ""
        current += char
        index += 1
    if current.strip():
        pieces.append(current)
    return pieces


def _blocks(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each blank-line-separated block, comments removed."""
    blocks: list[tuple[int, str]] = []
    start, lines = 0, list[str]()
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if lines:
                blocks.append((start, "\n".join(lines)))
            lines = []
            continue
        if not lines:
            start = number
        lines.append(line)
    if lines:
        blocks.append((start, "\n".join(lines)))
    return blocks


def parse_gift(raw: bytes | str) -> ParsedBank:
    bank = ParsedBank()
    text = decoded(raw, bank)
    if text is None:
        return bank
    category = ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")  # as editors count lines
    for index, (line, block) in enumerate(_blocks(lines)):
        if block.startswith("$CATEGORY:"):
            category = category_path(block.removeprefix("$CATEGORY:"))
            continue
        question = _question(block, line, index, category, bank)
        if question is not None:
            bank.questions.append(question)
    return bank.finish()


def _as_markdown(question: BankQuestion, text_format: str, bank: ParsedBank) -> None:
    """The question's texts, read in the GIFT format they were written in, as Markdown."""
    notes: list[str] = []

    def no_image(source: str, alt: str) -> str:
        notes.append(f"GIFT has no embedded files: the image {source[:80]!r} was left out")
        return ""

    def convert(text: str) -> str:
        return markdown_of(text, text_format, no_image, notes)

    question.prompt, question.solution = convert(question.prompt), convert(question.solution)
    question.choices = [BankChoice(convert(c.text), c.correct, convert(c.feedback))
                        for c in question.choices]
    for note in dict.fromkeys(notes):
        bank.note(question, note)


def _question(block: str, line: int, index: int, category: str,
              bank: ParsedBank) -> BankQuestion | None:
    name = f"question {index + 1}"
    body = block.strip()
    if body.startswith("::"):
        end = _unescaped(body, "::", 2)
        if end < 0:
            bank.problem(line, name, "the title's closing :: is missing")
            return None
        name = _unescape(body[2:end]) or name
        body = body[end + 2:].strip()
    written = _FORMAT.match(body)
    text_format = _FORMATS[written.group(1)] if written else AUTO
    body = body[written.end():] if written else body
    opening = _unescaped(body, "{")
    if opening < 0:
        bank.problem(line, name, "a description (no answer in braces) is not an exercise")
        return None
    closing = _unescaped(body, "}", opening)
    if closing < 0:
        bank.problem(line, name, "the answer's closing } is missing")
        return None
    if _unescaped(body, "{", closing) >= 0:
        bank.problem(line, name, "questions with several gaps are not supported")
        return None
    before, answers, after = body[:opening], body[opening + 1:closing], body[closing + 1:]
    prompt = _unescape(before) + (" _____ " + _unescape(after) if after.strip() else "")
    question = BankQuestion(name=name, line=line, kind=CHOICE, prompt=prompt.strip(),
                            category=category)
    general = answers.find("####")
    if general >= 0:
        question.solution = _unescape(answers[general + 4:])
        answers = answers[:general]
    if not question.prompt:
        bank.problem(line, name, "the question has no text")
        return None
    answers = answers.strip()
    if not answers:
        bank.problem(line, name, "essay questions (empty braces) are not supported")
        return None
    if "->" in answers:
        bank.problem(line, name, "matching questions are not supported")
        return None
    read = _numerical if answers.startswith("#") else _true_false if _feedback(
        answers)[0].upper() in _TRUE | _FALSE else _options
    if not read(question, answers, bank):
        return None
    try:
        _as_markdown(question, text_format, bank)
    except TextTooLong as error:
        bank.problem(line, name, str(error))
        return None
    if not question.prompt or any(not choice.text for choice in question.choices):
        bank.problem(line, name, "the question or an answer has no text once read as "
                     f"{text_format}")
        return None
    return question


def _feedback(piece: str) -> tuple[str, str]:
    """An answer's text and its feedback (after the first unescaped #)."""
    mark = _unescaped(piece, "#")
    if mark < 0:
        return _unescape(piece), ""
    return _unescape(piece[:mark]), _unescape(piece[mark + 1:])


def _true_false(question: BankQuestion, answers: str, bank: ParsedBank) -> bool:
    text, _ = _feedback(answers)
    right = text.upper() in _TRUE
    question.choices = [BankChoice("True", right), BankChoice("False", not right)]
    return True


def _options(question: BankQuestion, answers: str, bank: ParsedBank) -> bool:
    pieces = _split_unescaped(answers, "=~")
    parsed: list[tuple[str, float, str, str]] = []  # mark, credit, text, feedback
    for piece in pieces:
        piece = piece.strip()
        mark, rest = piece[:1], piece[1:].strip()
        if mark not in "=~":
            bank.problem(question.line, question.name, f"an answer must start with = or ~: "
                         f"{piece[:40]!r}")
            return False
        credit_match = _CREDIT.match(rest)
        credit = float(credit_match.group(1)) if credit_match else (100.0 if mark == "=" else 0.0)
        rest = rest[credit_match.end():] if credit_match else rest
        text, feedback = _feedback(rest)
        if not text:
            bank.problem(question.line, question.name, "an answer has no text")
            return False
        parsed.append((mark, credit, text, feedback))
    if all(mark == "=" for mark, *_ in parsed):
        question.kind = TEXT
        question.accepted = [text for _, credit, text, _ in parsed if credit >= 100]
        if len(question.accepted) < len(parsed):
            bank.note(question, "partial-credit answers count as wrong")
        if not question.accepted:
            bank.problem(question.line, question.name, "no full-credit answer to accept")
            return False
        return True
    single = sum(1 for mark, *_ in parsed if mark == "=") == 1
    best = max(credit for _, credit, _, _ in parsed)
    if best <= 0:
        bank.problem(question.line, question.name, "no answer has a positive credit")
        return False
    question.choices = [BankChoice(text, (credit == best) if single else credit > 0, feedback)
                        for _, credit, text, feedback in parsed]
    return True


def _numerical(question: BankQuestion, answers: str, bank: ParsedBank) -> bool:
    question.kind = NUMERIC
    body = answers[1:].strip()
    pieces = [piece.strip()[1:] for piece in _split_unescaped(body, "=~")] if body.startswith(
        "=") else [body]
    for piece in pieces:
        credit_match = _CREDIT.match(piece.strip())
        if credit_match and float(credit_match.group(1)) < 100:
            continue
        text, _ = _feedback(piece[credit_match.end():] if credit_match else piece)
        if ".." in text:
            low, high = (finite_number(part) for part in text.split("..", 1))
            if low is None or high is None or high < low:
                break
            question.answer, question.tolerance = low / 2 + high / 2, high / 2 - low / 2
            return True
        value, _, tolerance = text.partition(":")
        number, spread = finite_number(value), finite_number(tolerance or "0")
        if number is None or spread is None:
            break
        question.answer, question.tolerance = number, abs(spread)
        return True
    bank.problem(question.line, question.name, "no full-credit numeric answer could be read")
    return False
