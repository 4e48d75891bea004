"""Stored history as the sequence model's attempt records: the one conversion, used for
training (:func:`courses.ml.training.course_training_data`) and for stepping learner states
(:mod:`courses.ml.learner_state`) alike, so both see exactly the same inputs.

A record starts a new session when its stored study session differs from the previous
attempt's (sessions are cut when the attempt is stored, with the course's session gap); times
are seconds since the epoch; an exercise is named by its key.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from courses.queries.history import HistoryRow

if TYPE_CHECKING:
    from learnpath.seq import Attempt as ModelAttempt

# Exercise id -> (key, skill keys), as :func:`courses.ml.learner_state.exercise_catalog` gives.
Catalog = Mapping[int, tuple[str, tuple[str, ...]]]


def model_attempts(
    rows: Iterable[HistoryRow], catalog: Catalog, previous_session: int | None = None
) -> Iterator[tuple[ModelAttempt, tuple[str, ...]]]:
    """Each stored attempt as (model record, the exercise's skills), in the rows' order;
    ``previous_session`` is the session of the attempt before the first row, if any."""
    from learnpath.seq import Attempt as ModelAttempt

    for row in rows:
        key, skills = catalog[row.exercise_id]
        yield ModelAttempt(
            exercise=key,
            correct=row.correct,
            timestamp=row.submitted_at.timestamp(),
            new_session=row.session_id != previous_session,
        ), skills
        previous_session = row.session_id
