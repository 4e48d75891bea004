"""The placement check: started, answered question by question, finished (which sets the
chart, :func:`courses.actions.charts.apply_placement_to_chart`) or skipped.

A learner's check is serialised by a row lock on it, so two tabs answering at once cannot both
answer the same question; a repeated submission of an answered question changes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from courses.actions.charts import apply_placement_to_chart
from courses.errors import Conflict, InvalidInput
from courses.models import Attempt, Course, PlacementAnswer, PlacementCheck
from courses.phrases import shown
from courses.queries.content import course_content
from courses.recommend.placement import answers_of, placement_for
from learnpath import mastery
from learnpath.answers import AnswerError, check_answer
from learnpath.placement import CheckedAnswer, Placement

NO_CHECK = "You have no placement check under way; start one from the course page."


def add_placement_check(learner: User, course: Course) -> PlacementCheck:
    """Starts a check (or returns the one under way)."""
    if placement_for(course).next_exercise([]) is None:
        raise InvalidInput(gettext("This course has no exercises a placement check could ask."))
    with transaction.atomic():
        active = _active(learner, course)
        return active or PlacementCheck.objects.create(learner=learner, course=course)


def record_placement_skipped(learner: User, course: Course) -> PlacementCheck:
    """The learner says no: the check under way (if any) ends without touching the chart."""
    with transaction.atomic():
        check = _active(learner, course) or PlacementCheck(learner=learner, course=course)
        check.status = PlacementCheck.Status.SKIPPED
        check.finished_at = timezone.now()
        check.save()
        return check


def record_placement_answer(learner: User, course: Course, exercise_key: str,
                            given: str | Sequence[str | int]) -> PlacementCheck:
    """Checks and stores the answer to the current question; when it was the last, finishes
    the check and sets the chart, in the same transaction."""
    with transaction.atomic():
        check = _active(learner, course)
        if check is None:
            raise Conflict(NO_CHECK)
        placement = placement_for(course)
        answers = [a for a in answers_of(check) if a.exercise_key in placement.position]
        if any(a.exercise_key == exercise_key for a in answers):
            return check  # a resubmission of a question already answered
        if exercise_key != placement.next_exercise(answers):
            raise InvalidInput(
                gettext("This answer was meant for another question; please reload."))
        exercise = course_content(course).by_key[exercise_key]
        try:
            correct = check_answer(exercise.answer_key, given)
        except AnswerError as error:
            raise InvalidInput(shown(error.phrase)) from error
        PlacementAnswer.objects.create(placement=check, exercise_id=exercise.id,
                                       answer=given if isinstance(given, str) else list(given),
                                       correct=correct)
        answers.append(CheckedAnswer(exercise_key, correct))
        if placement.next_exercise(answers) is None:
            _finish(check, answers, placement)
        return check


def _active(learner: User, course: Course) -> PlacementCheck | None:
    return (PlacementCheck.objects.select_for_update()
            .filter(learner=learner, course=course, status=PlacementCheck.Status.ACTIVE).first())


def _finish(check: PlacementCheck, answers: list[CheckedAnswer], placement: Placement) -> None:
    result = placement.result(answers)
    chart = {key: mastery.placed_mastery(skill.p_known, skill.evidence)
             for key, skill in result.items()}
    check.status = PlacementCheck.Status.FINISHED
    check.finished_at = timezone.now()
    check.last_attempt_id = (Attempt.objects.filter(learner_id=check.learner_id,
                                                    course_id=check.course_id)
                             .order_by("-id").values_list("id", flat=True).first() or 0)
    check.result = {key: {"p_known": skill.p_known, "p_prior": skill.p_prior,
                          "known": skill.known, "direct": skill.direct,
                          "evidence": skill.evidence, "inferred": skill.inferred}
                    for key, skill in result.items()}
    check.save()
    apply_placement_to_chart(check, chart)
