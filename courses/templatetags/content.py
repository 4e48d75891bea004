"""Template filters for showing course content as the author means it."""
from __future__ import annotations

from typing import Protocol

from django import template

from learnpath.answers import display_number

register = template.Library()


class NumericExercise(Protocol):
    """A stored exercise, or its cached content (:mod:`courses.queries.content`)."""

    @property
    def numeric_answer(self) -> float | None: ...

    @property
    def tolerance(self) -> float: ...


@register.filter
def shown_answer(exercise: NumericExercise) -> str:
    """A numeric exercise's right answer as the author means it: ``23``, ``5/6``, ``0.75``."""
    if exercise.numeric_answer is None:
        return ""
    return display_number(exercise.numeric_answer, exercise.tolerance)


@register.filter
def shown_number(value: float | None) -> str:
    return "" if value is None else display_number(value)
