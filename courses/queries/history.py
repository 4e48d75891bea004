"""A course's stored attempts as plain, ordered per-learner histories (one place for the query).

Order is the storage order (attempt id), the order in which charts and recurrent states were
updated incrementally, so replays reproduce them exactly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from courses.models import Attempt, Course, Exercise


@dataclass(frozen=True, slots=True)
class HistoryRow:
    attempt_id: int
    exercise_id: int
    correct: bool
    submitted_at: datetime
    session_id: int


def exercise_skill_keys(course: Course) -> dict[int, list[str]]:
    """Exercise id -> its skill keys (sorted), for every exercise of the course."""
    skills: dict[int, list[str]] = defaultdict(list)
    for exercise_id, key in (
        Exercise.skills.through.objects.filter(exercise__course=course)
        .order_by("exercise_id", "skill__key")
        .values_list("exercise_id", "skill__key")
    ):
        skills[exercise_id].append(key)
    return dict(skills)


def learner_histories(
    course: Course, learner_id: int | None = None, after_attempt_id: int = 0
) -> Iterator[tuple[int, list[HistoryRow]]]:
    """(learner id, that learner's attempts in storage order), learner by learner."""
    attempts = Attempt.objects.filter(course=course, id__gt=after_attempt_id)
    if learner_id is not None:
        attempts = attempts.filter(learner_id=learner_id)
    current: int | None = None
    rows: list[HistoryRow] = []
    ordered = attempts.order_by("learner_id", "id").values_list(
        "learner_id", "id", "exercise_id", "correct", "submitted_at", "session_id"
    )
    for learner, attempt_id, exercise_id, correct, submitted_at, session_id in ordered.iterator(
        chunk_size=5000
    ):
        if learner != current:
            if current is not None:
                yield current, rows
            current, rows = learner, []
        rows.append(HistoryRow(attempt_id, exercise_id, correct, submitted_at, session_id))
    if current is not None:
        yield current, rows
