"""Template filters for showing course content as the author means it."""
from __future__ import annotations

from django import template

from courses.models import Exercise
from learnpath.answers import display_number

register = template.Library()


@register.filter
def shown_answer(exercise: Exercise) -> str:
    """A numeric exercise's right answer as the author means it: ``23``, ``5/6``, ``0.75``."""
    if exercise.numeric_answer is None:
        return ""
    return display_number(exercise.numeric_answer, exercise.tolerance)


@register.filter
def shown_number(value: float | None) -> str:
    return "" if value is None else display_number(value)
