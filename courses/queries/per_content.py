"""One value per course and process, kept with the course identity it was read for: (creation
time, ``content_version``), which every change of skills, prerequisites, exercises or options
raises (:mod:`courses.signals`), so a stale value is never returned and nothing needs
resetting. The identity is read from the database on each call: the caller's course object may
be older than the content."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

from courses.models import Course

T = TypeVar("T")


class PerContent(Generic[T]):
    def __init__(self, load: Callable[[Course], T]) -> None:
        self._load = load
        self._values: dict[int, tuple[tuple[datetime, int], T]] = {}

    def of(self, course: Course) -> T:
        identity = Course.objects.filter(pk=course.pk).values_list(
            "created_at", "content_version"
        ).first()
        cached = self._values.get(course.pk)
        if cached is not None and identity is not None and cached[0] == identity:
            return cached[1]
        value = self._load(course)
        if identity is not None:
            self._values[course.pk] = (identity, value)
        return value
