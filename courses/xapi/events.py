"""What an attempt tells the LRS, written into the outbox in the attempt's transaction.

:func:`attempt_recorded` is called by :mod:`courses.actions.attempts` right after the skill chart
is updated. With no LRS configured it returns at once (no query). Otherwise it writes, in one
upsert (:func:`courses.outbox.service.enqueue_many`):

- *answered*, for every attempt;
- *mastered*, for each skill the attempt brought to the *mastered* level (again after a skill
  fell back and was mastered anew: each is its own statement, keyed by the attempt);
- *completed* for the course, when that left every skill of the course mastered. The site has
  no fixed path to finish (the learning path is planned again after every answer), so
  "completed" means "mastered every skill of the course"; it is sent once per learner and
  course.

It reads the learner's pseudonym (one query) and, only when a skill was mastered, the skills'
names and whether any skill of the course is still not mastered (two queries).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import to_locale

from courses.models import Attempt, Skill, SkillState
from courses.outbox import service as outbox
from courses.queries.content import ExerciseContent
from courses.xapi import statements
from courses.xapi.lrs import CHANNEL
from courses.xapi.models import Pseudonym
from learnpath.mastery import MasteryLevel


def enabled() -> bool:
    return bool(settings.XAPI_LRS_URL)


def site() -> statements.Site:
    language = to_locale(settings.LANGUAGE_CODE).replace("_", "-")
    return statements.Site(url=settings.SITE_URL, language=language)


def attempt_recorded(attempt: Attempt, exercise: ExerciseContent,
                     newly_mastered: Sequence[tuple[str, float]]) -> None:
    """Call inside the attempt's transaction; ``newly_mastered`` holds (skill key, P(mastery))
    for each skill this attempt brought to *mastered*."""
    if not enabled():
        return
    here = site()
    pseudonym = str(Pseudonym.objects.get_or_create(user_id=attempt.learner_id)[0].name)
    answer = _answer(attempt, exercise)
    payloads: dict[str, dict[str, Any]] = {
        f"answered:{attempt.pk}": statements.answered(here, pseudonym, answer),
    }
    if newly_mastered:
        names = dict(Skill.objects.filter(course_id=attempt.course_id,
                                          key__in=[key for key, _ in newly_mastered])
                     .values_list("key", "name"))
        for key, p_mastery in newly_mastered:
            payloads[f"mastered:{attempt.pk}:{key}"] = statements.mastered(
                here, pseudonym, answer, key, names.get(key, key), p_mastery
            )
        if _masters_the_course(attempt):
            payloads[statements.completed_key(attempt.learner_id, attempt.course_id)] = (
                statements.completed(here, pseudonym, answer, attempt.learner_id,
                                     attempt.course_id)
            )
    outbox.enqueue_many(CHANNEL, payloads)


def _masters_the_course(attempt: Attempt) -> bool:
    mastered = SkillState.objects.filter(
        learner_id=attempt.learner_id, course_id=attempt.course_id,
        level=MasteryLevel.MASTERED.value,
    ).values("skill_id")
    return not (Skill.objects.filter(course_id=attempt.course_id)
                .exclude(pk__in=mastered).exists())


def _answer(attempt: Attempt, exercise: ExerciseContent) -> statements.Answer:
    course = attempt.course
    recorded = attempt.submitted_at - attempt.started_at
    return statements.Answer(
        attempt_id=attempt.pk,
        course_slug=course.slug,
        course_title=course.title,
        exercise_key=exercise.key,
        exercise_kind=exercise.kind,
        prompt=exercise.prompt,
        options=[(option.id, option.text) for option in exercise.choices],
        skills=[(skill.key, skill.name) for skill in exercise.skills],
        response=attempt.answer,
        correct=attempt.correct,
        hint_used=attempt.hint_used,
        submitted_at=attempt.submitted_at,
        # An attempt stored without a start time starts when it is submitted: no duration.
        duration_seconds=recorded.total_seconds() if recorded.total_seconds() > 0 else None,
    )
