"""Teachers' pins as read: those that apply to a learner's path, and those of a class."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Max, Q

from courses.models import Attempt, Cohort, Course, Exercise, PathPin, SkillState
from learnpath.mastery import MasteryLevel


def pinned_exercises(learner: User, course: Course) -> list[PathPin]:
    """Pins for this learner or their classes in this course that still apply: active
exercises, each once, without the pins the learner is done with."""
    pins = PathPin.objects.filter(
        Q(learner=learner) | Q(cohort__learners=learner),
        exercise__course=course,
        exercise__status=Exercise.Status.ACTIVE,
    ).select_related("exercise", "teacher").order_by("position", "created_at", "id")
    unique: dict[int, PathPin] = {}
    for pin in pins:
        unique.setdefault(pin.exercise_id, pin)
    done = _done_pins(learner, course, list(unique.values()))
    return [pin for pin in unique.values() if pin.pk not in done]


def _done_pins(learner: User, course: Course, pins: list[PathPin]) -> set[int]:
    """Pins this learner is done with: answered after pinning, or (``until`` mastered) every
    skill of the exercise mastered. Two queries, whatever the number of pins; none without."""
    if not pins:
        return set()
    answered = dict(
        Attempt.objects.filter(learner=learner, course=course,
                               exercise_id__in=[pin.exercise_id for pin in pins])
        .values("exercise_id").annotate(last=Max("submitted_at"))
        .values_list("exercise_id", "last")
    )
    done = {pin.pk for pin in pins if pin.until == PathPin.Until.ANSWERED
            and pin.exercise_id in answered and answered[pin.exercise_id] >= pin.created_at}
    until_mastered = [pin for pin in pins if pin.until == PathPin.Until.MASTERED]
    if until_mastered:
        mastered = set(SkillState.objects.filter(
            learner=learner, course=course, level=MasteryLevel.MASTERED.value
        ).values_list("skill_id", flat=True))
        skills: dict[int, set[int]] = {}
        for exercise_id, skill_id in Exercise.skills.through.objects.filter(
            exercise_id__in=[pin.exercise_id for pin in until_mastered]
        ).values_list("exercise_id", "skill_id"):
            skills.setdefault(exercise_id, set()).add(skill_id)
        done |= {pin.pk for pin in until_mastered if skills.get(pin.exercise_id, {0}) <= mastered}
    return done


def pins_of_cohort(cohort: Cohort) -> list[PathPin]:
    """The class's own pins and the pins for each of its learners in this course."""
    return list(
        PathPin.objects.filter(exercise__course=cohort.course)
        .filter(Q(cohort=cohort) | Q(learner__cohorts=cohort))
        .select_related("exercise", "learner")
        .distinct()
        .order_by("learner__username", "position", "id")
    )
