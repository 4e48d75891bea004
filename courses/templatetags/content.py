"""Template filters for showing course content as the author means it: ``rich`` and
``rich_inline`` show an author's text (Markdown with maths and images) as sanitised HTML
(:mod:`courses.rendering.texts`, one home for the rendering): ``{{ exercise.prompt|rich:course
}}``; ``rich_inline`` leaves out paragraphs, for an option's label; ``as_text`` is the same text
as one line of plain text with its maths written out, for an ``<option>`` or a ``title``.
"""
from __future__ import annotations

from typing import Protocol

from django import template
from django.utils.safestring import SafeString

from courses.models import Course
from courses.rendering.texts import plain_text, render_text
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


@register.filter
def rich(text: str, course: Course) -> SafeString:
    return render_text(course, text)


@register.filter
def rich_inline(text: str, course: Course) -> SafeString:
    return render_text(course, text, inline=True)


@register.filter
def as_text(text: str, course: Course) -> str:
    return plain_text(course, text)
