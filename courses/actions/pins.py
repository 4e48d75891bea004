"""Teachers' pins: exercises that come first in a learner's or a whole class's path (read by
:mod:`courses.queries.pins`)."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.errors import InvalidInput, NotFound
from courses.models import Cohort, Exercise, PathPin
from courses.rules import is_key


@transaction.atomic
def add_pin(
    teacher: User,
    cohort: Cohort,
    exercise_key: str,
    learner: User | None = None,
    until: str = PathPin.Until.ANSWERED,
) -> PathPin:
    """Pins an active exercise of the class's course, for one learner of it or for all, until
    answered or until its skills are mastered. Pinning it again renews the pin from now."""
    if until not in PathPin.Until.values:
        raise InvalidInput(_("Choose how long the pin holds: until answered or until mastered."))
    if not is_key(exercise_key):  # Garbage (a NUL above all) never reaches the database.
        raise NotFound(_("There is no such exercise in %(course)s.")
                       % {"course": cohort.course.title})
    exercise = Exercise.objects.filter(course=cohort.course, key=exercise_key).first()
    if exercise is None:
        raise NotFound(_("There is no exercise “%(key)s” in %(course)s.")
                       % {"key": exercise_key, "course": cohort.course.title})
    if not exercise.is_active:
        raise InvalidInput(_("A retired exercise cannot be pinned."))
    if learner is not None and not cohort.learners.filter(pk=learner.pk).exists():
        raise InvalidInput(_("This learner is not in the class."))
    existing = PathPin.objects.filter(exercise=exercise, cohort=None if learner else cohort,
                                      learner=learner).first()
    if existing is not None:
        PathPin.objects.filter(pk=existing.pk).update(created_at=timezone.now(), until=until)
        existing.refresh_from_db()
        return existing
    scope = PathPin.objects.filter(learner=learner) if learner else PathPin.objects.filter(
        cohort=cohort
    )
    last = scope.filter(exercise__course=cohort.course).aggregate(top=Max("position"))["top"]
    return PathPin.objects.create(
        teacher=teacher, exercise=exercise, learner=learner,
        cohort=None if learner else cohort, position=(last or 0) + 1, until=until,
    )


def remove_pin(cohort: Cohort, pin_id: int) -> None:
    pin = PathPin.objects.filter(pk=pin_id, exercise__course=cohort.course).first()
    if pin is None or not (pin.cohort_id == cohort.pk or (
        pin.learner_id is not None and cohort.learners.filter(pk=pin.learner_id).exists()
    )):
        raise NotFound(_("There is no such pin in this class."))
    pin.delete()
