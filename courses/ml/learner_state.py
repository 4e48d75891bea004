"""Each learner's recurrent state under the active model, stored and advanced attempt by attempt.

The stored state records the last attempt it has seen; bringing it up to date feeds only the
attempts after that one through the model (one O(1) step each). After every attempt the worker
that plans the learner's path again (:mod:`courses.recommend.cache`) advances it by that attempt;
after a new model is activated, the training job computes every learner's state once, so
requests never re-run a whole history.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.contrib.auth.models import User

from courses.ml.records import Catalog, model_attempts
from courses.models import Attempt, Course, LearnerModelState, ModelVersion
from courses.queries.history import HistoryRow, exercise_skill_keys, learner_histories

if TYPE_CHECKING:
    from learnpath.seq.serving import LearnerState, ServingModel

logger = logging.getLogger(__name__)


def advance(
    model: ServingModel,
    state: LearnerState,
    rows: Iterable[HistoryRow],
    exercises: Catalog,
    previous_session: int | None,
) -> LearnerState:
    """Feeds stored attempts through the model one step each; exercises the model never saw
    are described by their skills."""
    for attempt, skills in model_attempts(rows, exercises, previous_session):
        state = model.step(state, attempt, skills)
    return state


def exercise_catalog(course: Course) -> dict[int, tuple[str, tuple[str, ...]]]:
    """Exercise id -> (key, skill keys) for every exercise of the course."""
    skills = exercise_skill_keys(course)
    return {
        exercise_id: (key, tuple(skills.get(exercise_id, ())))
        for exercise_id, key in course.exercises.values_list("id", "key")
    }


def current_state(
    learner: User,
    course: Course,
    version: ModelVersion,
    model: ServingModel,
    exercises: Mapping[int, tuple[str, tuple[str, ...]]],
) -> LearnerState:
    """The learner's state after all their attempts, advancing the stored one as needed."""
    from learnpath.seq import state_from_bytes

    stored = LearnerModelState.objects.filter(learner=learner, course=course).first()
    if stored is not None and stored.model_version_id == version.pk:
        state, seen = state_from_bytes(bytes(stored.state)), stored.last_attempt_id
    else:
        state, seen = model.initial_state(), 0
    new_rows = [row for _, rows in learner_histories(course, learner.pk, seen) for row in rows]
    if not new_rows:
        return state
    previous = (
        Attempt.objects.filter(pk=seen).values_list("session_id", flat=True).first()
        if seen else None
    )
    state = advance(model, state, new_rows, exercises, previous)
    _store(learner.pk, course, version, state, new_rows[-1].attempt_id)
    return state


def _store(
    learner_id: int, course: Course, version: ModelVersion, state: LearnerState, last_id: int
) -> None:
    from learnpath.seq import state_to_bytes

    LearnerModelState.objects.update_or_create(
        learner_id=learner_id,
        course=course,
        defaults={"model_version": version, "state": state_to_bytes(state),
                  "last_attempt_id": last_id},
    )


def store_all_states(course: Course, version: ModelVersion, model: ServingModel) -> int:
    """Computes every learner's state under a newly activated model; returns how many."""
    exercises = exercise_catalog(course)
    count = 0
    for learner_id, rows in learner_histories(course):
        state = advance(model, model.initial_state(), rows, exercises, None)
        _store(learner_id, course, version, state, rows[-1].attempt_id)
        count += 1
    return count

