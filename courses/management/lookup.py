"""What the management commands share: finding the course a command names."""
from __future__ import annotations

from django.core.management.base import CommandError

from courses.models import Course


def course_or_error(slug: str) -> Course:
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise CommandError(f"No course {slug!r} in this database.")
    return course
