"""Simulated learners in the site: histories from :mod:`learnpath.sim`, stored through
the same ``record_attempt`` service as real answers (so sessions and charts are kept the same
way). The answer stored for a simulated attempt is the exercise's right answer or a wrong one.
A simulated program is not run: its attempt is stored as the judge's would be, with the
reference solution (accepted) or the starter code (not), and the simulated outcome.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from courses.actions.attempts import record_attempt, record_checked_attempt
from courses.actions.enrolment import add_to_cohort, enrol
from courses.models import Attempt, Cohort, Course, Exercise
from courses.queries.content import course_content
from courses.queries.exercises import answer_for, sim_course_for
from learnpath.sim import SimHistory, simulate_population

# UUIDs of simulated attempts derive from these, so re-running a simulation stores nothing twice.
_SIMULATION_NAMESPACE = uuid.UUID("6f1d8a43-3c55-4a6e-9f7e-2b8d1c0e5a77")


@dataclass(frozen=True)
class SimulationSummary:
    learners: int
    attempts: int


def simulate_learners(
    course: Course,
    usernames: list[str],
    *,
    seed: int,
    days: int = 28,
    sessions: tuple[int, int] = (3, 8),
    attempts_per_session: tuple[int, int] = (5, 20),
    cohort: Cohort | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationSummary:
    """Gives each named learner a simulated history over the last ``days`` days.

    Learners who already have attempts in the course are left as they are, so running it again
    adds nothing. Attempts that would fall in the future are not stored.
    """
    histories = simulate_population(
        sim_course_for(course),
        n_learners=len(usernames),
        seed=seed,
        start=timezone.now() - timedelta(days=days),
        sessions=sessions,
        attempts_per_session=attempts_per_session,
    )
    exercises = {
        e.key: e for e in course.exercises.prefetch_related("choices", "skills")
    }
    stored = 0
    for done, (username, history) in enumerate(zip(usernames, histories, strict=True), 1):
        learner = _simulated_user(username)
        if cohort is not None:
            add_to_cohort(cohort, learner)
        else:
            enrol(learner, course)
        if not Attempt.objects.filter(learner=learner, course=course).exists():
            stored += _store_history(learner, history, exercises)
        if progress:
            progress(done, len(usernames))
    return SimulationSummary(learners=len(usernames), attempts=stored)


def _simulated_user(username: str) -> User:
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _store_history(
    learner: User, history: SimHistory, exercises: dict[str, Exercise]
) -> int:
    now = timezone.now()
    shift = _recent_shift(history, now)
    count = 0
    with transaction.atomic():
        for index, attempt in enumerate(history.attempts):
            if attempt.submitted_at + shift > now:
                break
            exercise = exercises[attempt.exercise_key]
            client_id = uuid.uuid5(_SIMULATION_NAMESPACE, f"{learner.pk}:{index}")
            started_at = attempt.started_at + shift
            submitted_at = attempt.submitted_at + shift
            if exercise.kind == Exercise.Kind.CODE:
                record_checked_attempt(
                    learner=learner, course=exercise.course,
                    exercise=course_content(exercise.course).by_id[exercise.pk],
                    answer=str(answer_for(exercise, attempt.correct)), correct=attempt.correct,
                    client_id=client_id, started_at=started_at, submitted_at=submitted_at,
                    hint_used=attempt.hint_used)
            else:
                record_attempt(learner=learner, exercise=exercise,
                               given=answer_for(exercise, attempt.correct), client_id=client_id,
                               started_at=started_at, submitted_at=submitted_at,
                               hint_used=attempt.hint_used)
            count += 1
    return count


def _recent_shift(history: SimHistory, now: datetime) -> timedelta:
    """Moves a history that ended long ago forward, so it ends within the last few days
    (spread over learners), as a class that is still practising would look."""
    if not history.attempts:
        return timedelta(0)
    wanted_end = now - timedelta(hours=2 + 11 * (history.learner_index % 7))
    return max(timedelta(0), wanted_end - history.attempts[-1].submitted_at)
