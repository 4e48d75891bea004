"""Teachers' pins as read: those that apply to a learner's path, and those of a class."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q

from courses.models import Cohort, Course, Exercise, PathPin


def pinned_exercises(learner: User, course: Course) -> list[PathPin]:
    """Active pins for this learner or their classes in this course, each exercise once."""
    pins = PathPin.objects.filter(
        Q(learner=learner) | Q(cohort__learners=learner),
        exercise__course=course,
        exercise__status=Exercise.Status.ACTIVE,
    ).select_related("exercise", "teacher").order_by("position", "created_at", "id")
    unique: dict[int, PathPin] = {}
    for pin in pins:
        unique.setdefault(pin.exercise_id, pin)
    return list(unique.values())


def pins_of_cohort(cohort: Cohort) -> list[PathPin]:
    """The class's own pins and the pins for each of its learners in this course."""
    return list(
        PathPin.objects.filter(exercise__course=cohort.course)
        .filter(Q(cohort=cohort) | Q(learner__cohorts=cohort))
        .select_related("exercise", "learner")
        .distinct()
        .order_by("learner__username", "position", "id")
    )
