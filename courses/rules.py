"""Rules about course content that more than one door enforces (the admin's forms, the course
JSON import, the pin form, URLs): each rule lives here once, and callers only phrase its message
for their place (``tests/test_rules.py`` pins that the admin and the importer agree).

Messages start in lower case and have no full stop; :func:`sentence` turns one into a sentence
for a form.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, TypeGuard

from courses.judging.spec import code_problems
from courses.models import Choice, key_validator
from learnpath.answers import CHOICE, CODE, KINDS, NUMERIC

# The course document (``learnpath-course``), read by the importer and written by the export.
FORMAT_NAME = "learnpath-course"
FORMAT_VERSION = 1
MAX_KEY_LENGTH = 80
MIN_CHOICES = 2
# The validator's own compiled pattern (re.compile returns a compiled pattern as it is).
_KEY_PATTERN = re.compile(key_validator.regex)


def sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


def is_key(value: Any) -> bool:
    """A well-formed course, skill or exercise key: what may be looked up at all."""
    # fullmatch: the validator's "$" would also accept a key that ends in a newline.
    return isinstance(value, str) and 0 < len(value) <= MAX_KEY_LENGTH and bool(
        _KEY_PATTERN.fullmatch(value)
    )


def key_problems(value: Any) -> list[str]:
    if not isinstance(value, str) or not value or len(value) > MAX_KEY_LENGTH:
        return [f"must be a key of 1 to {MAX_KEY_LENGTH} characters"]
    if not is_key(value):
        return [f"{value!r} must use lowercase letters, digits, '-' and '_'"]
    return []


def nonempty_text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def finite_number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def choice_problems(options: Sequence[tuple[Any, Any]]) -> list[str]:
    """Options ``(text, correct)`` of a multiple-choice exercise."""
    if len(options) < MIN_CHOICES:
        return [f"a multiple-choice exercise needs at least {MIN_CHOICES} options"]
    if len(options) > Choice.MAX_PER_EXERCISE:
        return [f"{len(options)} options; at most {Choice.MAX_PER_EXERCISE} are allowed"]
    longest = Choice._meta.get_field("text").max_length or 0
    if not all(
        nonempty_text(text) and len(text.strip()) <= longest and isinstance(correct, bool)
        for text, correct in options
    ):
        return [f"each option needs a text (at most {longest} characters) and correct: "
                "true/false"]
    if not any(correct for _, correct in options):
        return ["at least one option must be correct"]
    return []


def takes_several_options(correct_flags: Sequence[bool]) -> bool:
    """A choice exercise with more than one right option is answered with check boxes (the
    practice page and the admin's preview show it the same way)."""
    return sum(correct_flags) > 1


def numeric_problems(answer: Any, tolerance: Any) -> list[tuple[str, str]]:
    """``(field, message)`` for a numeric exercise's answer and tolerance."""
    if not finite_number(answer):
        return [("answer", "a numeric exercise needs a number as its answer")]
    if not finite_number(tolerance) or tolerance < 0:
        return [("tolerance", "must be a number >= 0")]
    return []


def accepted_problems(accepted: Any) -> list[str]:
    """A short-text exercise's accepted answers."""
    if not isinstance(accepted, list) or not accepted or not all(
        nonempty_text(answer) for answer in accepted
    ):
        return ['a short-text exercise needs a list of accepted answers, e.g. ["3/4"]']
    return []


def answer_problems(
    kind: Any, *, choices: Sequence[tuple[Any, Any]] = (), answer: Any = None,
    tolerance: Any = 0, accepted: Any = None, code: Any = None,
) -> list[tuple[str, str]]:
    """``(field, message)`` for everything that makes an exercise answerable, by kind; the
    fields are the course document's (``kind``, ``choices``, ``answer``, ``tolerance``,
    ``accepted``, ``code``). A program's reference solution is run against its tests only
    where it is saved (:func:`courses.judging.spec.reference_problems`): this is a check of
    the data alone."""
    if kind not in KINDS:
        return [("kind", f"must be one of {', '.join(KINDS)}")]
    if kind == CHOICE:
        return [("choices", message) for message in choice_problems(choices)]
    if kind == NUMERIC:
        return numeric_problems(answer, tolerance)
    if kind == CODE:
        return code_problems(code)
    return [("accepted", message) for message in accepted_problems(accepted)]
