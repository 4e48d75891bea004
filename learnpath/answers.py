"""Answer checking for the three answered exercise kinds, on plain data (the fourth, a Python
program, is judged by running it: :mod:`learnpath.judge`).

- Multiple choice: the learner selects one or more option ids; the answer is right when the
  selected set equals the set of correct options exactly (so "select all that apply" needs all).
- Numeric: the learner types a number: ``0.75``, ``-3``, ``1,5`` (decimal comma), a fraction
  ``3/4``, a mixed number ``1 1/2``, or with a trailing ``%`` (taken as the number written:
  ``75%`` is 75). Right when ``|given - answer| <= tolerance`` (plus a 1e-9 float slack).
- Short text: compared after normalising: Unicode NFKC, case-folded, surrounding spaces removed
  and inner runs of spaces collapsed to one. Right when it equals any accepted answer.

An empty or malformed answer raises :class:`AnswerError` with a message for the learner; it is
not an attempt and is never stored.

A numeric answer is shown as the author means it (:func:`display_number`): a whole number
without decimals (``23``, not ``23.0``); a value written as a rounded repeating decimal
(four or more decimals, e.g. ``0.8333``) as the simplest fraction within its tolerance with a
denominator of at most :data:`DISPLAY_MAX_DENOMINATOR` (``5/6``, or ``1 5/6`` above one); any
other value as written (``0.75``, ``0.667``, ``1.875``).
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from learnpath.phrases import Phrase, gettext_noop

CHOICE = "choice"
NUMERIC = "numeric"
TEXT = "text"
CODE = "code"  # a program: judged in a sandbox (learnpath.judge), never checked here
KINDS = (CHOICE, NUMERIC, TEXT, CODE)
MAX_ANSWER_LENGTH = 500
DISPLAY_MAX_DENOMINATOR = 12
_REPEATING_DECIMALS = 4
_FLOAT_SLACK = 1e-9
_TYPE_AN_ANSWER = gettext_noop("Please type your answer.")
_NOT_AN_OPTION = gettext_noop("That option is not one of this exercise's options.")

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_MIXED = re.compile(r"^(?P<sign>[+-]?)(?P<whole>\d+)\s+(?P<num>\d+)\s*/\s*(?P<den>\d+)$")
_FRACTION = re.compile(rf"^(?P<num>{_NUMBER})\s*/\s*(?P<den>{_NUMBER})$")
_DECIMAL = re.compile(rf"^{_NUMBER}(?:[eE][+-]?\d+)?$")


class AnswerError(ValueError):
    """The answer cannot be checked (empty, malformed, or not one of the options); ``phrase``
    says why to the learner (``str(error)`` in English)."""

    def __init__(self, template: str, **values: str) -> None:
        self.phrase = Phrase.of(template, **values)
        super().__init__(str(self.phrase))


@dataclass(frozen=True)
class AnswerKey:
    """What an exercise accepts; built from the stored exercise."""

    kind: str
    choice_ids: frozenset[int] = frozenset()
    correct_choice_ids: frozenset[int] = frozenset()
    numeric_answer: float | None = None
    tolerance: float = 0.0
    accepted_answers: tuple[str, ...] = ()


def normalise_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def parse_number(raw: str) -> float:
    """Reads a number as a learner types it; raises AnswerError with a readable message."""
    text = raw.strip().replace("\u2212", "-").rstrip("%").strip()
    if not text:
        raise AnswerError(gettext_noop("Please type a number."))
    if len(text) > 64:
        raise AnswerError(gettext_noop("That number is too long."))
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    value: float | Fraction
    if mixed := _MIXED.match(text):
        magnitude = int(mixed["whole"]) + _fraction(mixed["num"], mixed["den"])
        value = -magnitude if mixed["sign"] == "-" else magnitude
    elif fraction := _FRACTION.match(text):
        value = _fraction(fraction["num"], fraction["den"])
    elif _DECIMAL.match(text):
        value = float(text)
    else:
        raise AnswerError(gettext_noop("“%(given)s” is not a number. Try 0.75, 3/4 or 1 1/2."),
                          given=raw.strip())
    result = float(value)
    if not math.isfinite(result):
        raise AnswerError(gettext_noop("That number is too large."))
    return result


def _fraction(numerator: str, denominator: str) -> Fraction:
    top, bottom = Fraction(numerator), Fraction(denominator)
    if bottom == 0:
        raise AnswerError(gettext_noop("A fraction cannot have 0 as its denominator."))
    return top / bottom


def parse_choice_ids(selected: Iterable[str | int], key: AnswerKey) -> frozenset[int]:
    ids: set[int] = set()
    for item in selected:
        try:
            ids.add(int(item))
        except (TypeError, ValueError):
            raise AnswerError(_NOT_AN_OPTION) from None
    if not ids:
        raise AnswerError(gettext_noop("Please select an answer."))
    if not ids <= key.choice_ids:
        raise AnswerError(_NOT_AN_OPTION)
    return frozenset(ids)


def check_answer(key: AnswerKey, given: str | Sequence[str | int]) -> bool:
    """True when ``given`` is right for ``key``; AnswerError when it cannot be checked."""
    if key.kind == CODE:
        raise AnswerError(gettext_noop("A program is judged, not checked: submit it to the judge."))
    if key.kind == CHOICE:
        if isinstance(given, str):
            given = [given] if given.strip() else []
        return parse_choice_ids(given, key) == key.correct_choice_ids
    if not isinstance(given, str):
        raise AnswerError(_TYPE_AN_ANSWER)
    if len(given) > MAX_ANSWER_LENGTH:
        raise AnswerError(gettext_noop("Answers are at most %(count)s characters."),
                          count=str(MAX_ANSWER_LENGTH))
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in given):
        # Control characters (NUL above all, which PostgreSQL cannot store) are never typed.
        raise AnswerError(gettext_noop("The answer contains a character that is not allowed."))
    if key.kind == NUMERIC:
        if key.numeric_answer is None:
            raise AnswerError(gettext_noop("This exercise has no answer set yet."))
        value = parse_number(given)
        return abs(value - key.numeric_answer) <= key.tolerance + _FLOAT_SLACK
    if key.kind == TEXT:
        normalised = normalise_text(given)
        if not normalised:
            raise AnswerError(_TYPE_AN_ANSWER)
        return normalised in {normalise_text(accepted) for accepted in key.accepted_answers}
    raise AnswerError(gettext_noop("Unknown exercise kind “%(kind)s”."), kind=key.kind)


def display_number(value: float, tolerance: float = 0.0) -> str:
    """The number as the author means it (see the module docstring)."""
    if float(value).is_integer():
        return str(int(value))
    written = repr(float(value))  # the shortest text that reads back as this number
    decimals = len(written.partition(".")[2]) if "e" not in written else 0
    if decimals >= _REPEATING_DECIMALS:
        for denominator in range(2, DISPLAY_MAX_DENOMINATOR + 1):
            fraction = Fraction(round(value * denominator), denominator)
            if abs(float(fraction) - value) <= max(tolerance, _FLOAT_SLACK):
                return _fraction_text(fraction)
    return written


def _fraction_text(fraction: Fraction) -> str:
    sign = "-" if fraction < 0 else ""
    whole, rest = divmod(abs(fraction.numerator), fraction.denominator)
    part = f"{rest}/{fraction.denominator}"
    return f"{sign}{whole} {part}" if whole else f"{sign}{part}"
