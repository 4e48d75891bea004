"""One value per course and process, kept with the course identity it was read for: (creation
time, ``content_version``), which every change of skills, prerequisites, exercises or options
raises (:mod:`courses.signals`), so a stale value is never returned and nothing needs
resetting.

The identity is read from the database on each call, because the caller's course object may be
older than the content (a command or a worker that holds one while it changes the content). A
page that has just read the course (:func:`courses.access.course_with_enrolment`) marks it with
:func:`read_now`: its identity is then taken from the object, which is as current as anything
else the request reads, and the page pays no query for its cached content.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

from courses.models import Course

T = TypeVar("T")
Identity = tuple[datetime, int]

_READ_NOW = "_content_identity_read_now"


def read_now(course: Course) -> Course:
    """Marks a course object the current request has just read (and will not change the
    content of): per-content caches trust its ``created_at`` and ``content_version``."""
    setattr(course, _READ_NOW, True)
    return course


def identity_of(course: Course) -> Identity | None:
    """The course's content identity; ``None`` when the course is gone."""
    if getattr(course, _READ_NOW, False):
        return course.created_at, course.content_version
    return Course.objects.filter(pk=course.pk).values_list(
        "created_at", "content_version"
    ).first()


class PerContent(Generic[T]):
    def __init__(self, load: Callable[[Course], T]) -> None:
        self._load = load
        self._values: dict[int, tuple[Identity, T]] = {}

    def of(self, course: Course) -> T:
        identity = identity_of(course)
        cached = self._values.get(course.pk)
        if cached is not None and identity is not None and cached[0] == identity:
            return cached[1]
        value = self._load(course)
        if identity is not None:
            self._values[course.pk] = (identity, value)
        return value
