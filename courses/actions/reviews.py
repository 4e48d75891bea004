"""Review cards in the database: kept current on every attempt, rebuilt from history on demand.

The scheduler is :mod:`learnpath.review` (FSRS, documented there). An attempt updates, in its own
transaction, the cards of the exercise's skills only: one read and one upsert, whatever the
length of the history. A rebuild replays each learner's attempts in the order they were stored
(by id), the order the incremental updates saw, so both give the same cards.
"""
from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from courses.models import Attempt, Course, Enrollment, ReviewCard
from courses.queries.content import ExerciseContent, course_content
from courses.queries.history import exercise_skill_keys
from learnpath import review


def apply_attempt_to_cards(attempt: Attempt, exercise: ExerciseContent) -> None:
    """Feeds one new attempt to the cards of its exercise's skills; call inside the attempt's
    transaction (which holds the learner's enrolment lock, so no two attempts race here)."""
    keys = exercise.skill_keys
    if not keys:
        return
    skill_ids = course_content(attempt.course).skill_ids
    key_of = {skill_ids[key]: key for key in keys}
    cards = {
        key_of[skill_id]: review.SkillCard.from_json(card)
        for skill_id, card in ReviewCard.objects.filter(
            learner_id=attempt.learner_id, skill_id__in=key_of
        ).values_list("skill_id", "card")
    }
    changed = review.apply_answer(cards, keys, attempt.correct, attempt.hint_used,
                                  attempt.submitted_at)
    _store(attempt.learner_id, attempt.course_id, changed, skill_ids, upsert=True)


def _store(learner_id: int, course_id: int, cards: Mapping[str, review.SkillCard],
           skill_ids: Mapping[str, int], *, upsert: bool) -> None:
    rows = [ReviewCard(learner_id=learner_id, course_id=course_id, skill_id=skill_ids[key],
                       card=card.to_json(), due=card.due) for key, card in cards.items()]
    if upsert:
        ReviewCard.objects.bulk_create(rows, update_conflicts=True,
                                       unique_fields=["learner", "skill"],
                                       update_fields=["card", "due", "updated_at"])
    else:
        ReviewCard.objects.bulk_create(rows, batch_size=500)


def rebuild_course_cards(course: Course) -> int:
    """Replays every learner's attempts into their cards; returns the number of learners."""
    exercise_skills = exercise_skill_keys(course)
    skill_ids = dict(course.skills.values_list("key", "id"))
    learner_ids = list(Attempt.objects.filter(course=course).values_list("learner_id", flat=True)
                       .distinct().order_by("learner_id"))
    with transaction.atomic():
        ReviewCard.objects.filter(course=course).exclude(learner_id__in=learner_ids).delete()
    for learner_id in learner_ids:
        with transaction.atomic():
            # The same lock as record_attempt: no attempt lands half-way through the replay.
            list(Enrollment.objects.select_for_update().filter(learner_id=learner_id,
                                                               course=course))
            answers = (
                (exercise_skills.get(exercise_id, []), correct, hint_used, at)
                for exercise_id, correct, hint_used, at in Attempt.objects.filter(
                    course=course, learner_id=learner_id).order_by("id")
                .values_list("exercise_id", "correct", "hint_used", "submitted_at")
                .iterator(chunk_size=5000)
            )
            cards = review.replay_cards(answers)
            ReviewCard.objects.filter(course=course, learner_id=learner_id).delete()
            _store(learner_id, course.pk, cards, skill_ids, upsert=False)
    return len(learner_ids)
