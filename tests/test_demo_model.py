"""The demo's first model responds to a learner's answers as the real one should.

``load_demo`` trains it as ``make demo`` does: with the site's own training settings (not the
small ones of the other tests) and the demo's simulated history (``DEMO_HISTORY_LEARNERS``);
only the stored class is smaller, which the model barely sees next to that history. Then a new
learner answers three of a skill's exercises, two minutes apart (about the simulated learners'
median time between answers), and the chances the practice page shows on the skill's other
exercises (the path's success model) must fall by at least ``FALL`` after three wrong answers
and rise by at least ``RISE`` after three right ones. Trained on the 40 classmates alone, the
demo's model raised them after three wrong answers as after three right ones.

The model reads the time between answers too: in the simulated history one answer in eight
comes less than a minute after the one before, mostly from learners who know the skill, so after
three quick wrong answers the chances hardly fall. Training on the whole history takes one to two
minutes on one thread; trained on 500 simulated learners the model did not yet rise after right
answers, so the test trains on the demo's size.
"""
from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from courses.actions.attempts import record_attempt
from courses.actions.enrolment import enrol
from courses.management.commands.load_demo import DEMO_HISTORY_LEARNERS
from courses.ml.training import course_training_data
from courses.models import Attempt, Course, Exercise
from courses.queries.charts import chart_of
from courses.queries.exercises import answer_for
from courses.recommend.course_view import course_view
from courses.recommend.paths import LSTM, _success_model
from learnpath.site import settings as site_settings
from tests.factories import answer

# The skills right after the course's first one, each with five or six exercises of its own.
SKILLS = ("frac-equivalent", "frac-mixed", "dec-place-value")
ANSWERED = 3
PACE = timedelta(minutes=2)
FALL = 0.05  # the mean chance on the skill's other exercises: 5 points lower after three wrong
RISE = 0.02  # and 2 points higher after three right (seen: falls of 10-18, rises of 3-12)


def _own_exercises(course: Course, skill: str) -> list[Exercise]:
    """The skill's active exercises that train it alone, by key."""
    return [exercise for exercise in course.exercises.filter(status=Exercise.Status.ACTIVE)
            .prefetch_related("skills", "choices").order_by("key")
            if [s.key for s in exercise.skills.all()] == [skill]]


def _mean_chance(learner: Any, course: Course, keys: list[str]) -> float:
    """The mean predicted chance on ``keys``, as the learner's path shows it."""
    model, source, *_ = _success_model(
        learner, course, course_view(course), chart_of(learner, course), timezone.now())
    assert source == LSTM, "the demo's model does not plan paths: the chart's chances show"
    chances = model.p_correct(keys)
    return sum(chances.values()) / len(chances)


def _chances_before_and_after(course: Course, skill: str, correct: bool) -> tuple[float, float]:
    exercises = _own_exercises(course, skill)
    assert len(exercises) > ANSWERED + 1, skill
    answered, others = exercises[:ANSWERED], [e.key for e in exercises[ANSWERED:]]
    learner = get_user_model().objects.create_user(f"{skill}-{'right' if correct else 'wrong'}")
    enrol(learner, course)
    before = _mean_chance(learner, course, others)
    first = timezone.now() - ANSWERED * PACE
    for index, exercise in enumerate(answered):
        record_attempt(learner=learner, exercise=exercise, given=answer_for(exercise, correct),
                       client_id=uuid.uuid4(), submitted_at=first + index * PACE,
                       follow_up=False)
    return before, _mean_chance(learner, course, others)


@pytest.mark.slow
@pytest.mark.django_db
@override_settings(LEARNPATH_TRAINING=site_settings.LEARNPATH_TRAINING)
def test_the_demo_model_falls_after_wrong_answers_and_rises_after_right_ones() -> None:
    call_command("load_demo", "--learners", "3", stdout=io.StringIO(), stderr=io.StringIO())
    course = Course.objects.get(slug="fractions")
    version = course.model_versions.get(status="active")
    assert version.metrics["simulated_learners"] == DEMO_HISTORY_LEARNERS
    changes, failures = [], []
    for skill in SKILLS:
        for correct in (False, True):
            before, after = _chances_before_and_after(course, skill, correct)
            changes.append(f"{skill}, three {'right' if correct else 'wrong'} answers: "
                           f"{before:.1%} -> {after:.1%}")
            if (after - before < RISE) if correct else (before - after < FALL):
                failures.append(changes[-1])
    assert failures == [], "\n".join(["Too small a change:", *failures, "All:", *changes])


def test_the_simulated_history_is_the_same_at_every_run_and_stored_nowhere(
    course: Course, alice: Any
) -> None:
    enrol(alice, course)
    answer(alice, course, "quarters-numeric", right=True)
    course.simulated_learners = 5
    course.save()
    data = course_training_data(course)
    assert (len(data.sequences), data.simulated_learners) == (6, 5)
    assert data.attempts == 1 + data.simulated_attempts
    assert [s.learner for s in data.sequences] == [str(alice.pk)] + [f"sim:{n}" for n in range(5)]
    assert course_training_data(course).sequences == data.sequences
    assert Attempt.objects.count() == 1
