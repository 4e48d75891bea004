"""Data for the benchmark commands: synthetic courses and fast bulk-loaded simulated histories.

Bulk loading writes attempts and sessions directly (no per-attempt chart update) and leaves the
charts to one rebuild, which gives the same charts as recording attempt by attempt.
"""
from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import Attempt, Course, Enrollment, StudySession
from courses.queries.exercises import answer_for, sim_course_for
from learnpath.sim import simulate_population


def synthetic_course_document(
    skills: int, exercises_per_skill: int, slug: str = "bench-course"
) -> dict[str, Any]:
    """A course whose skills form a layered DAG (each skill needs up to two earlier ones)."""
    skill_items = [
        {
            "key": f"s{n:03d}",
            "name": f"Skill {n}",
            "area": f"Area {n % 5}",
            "prerequisites": [f"s{p:03d}" for p in sorted({n - 1, n // 2}) if 0 <= p < n],
        }
        for n in range(skills)
    ]
    exercise_items = [
        {
            "key": f"e{n:03d}-{k:02d}",
            "skills": [f"s{n:03d}"],
            "kind": "numeric",
            "difficulty": 1 + k % 5,
            "prompt": f"{n} + {k} = ?",
            "answer": n + k,
            "tolerance": 0,
        }
        for n in range(skills)
        for k in range(exercises_per_skill)
    ]
    return {
        "format": "learnpath-course",
        "version": 1,
        "course": {"slug": slug, "title": f"Benchmark course {slug}"},
        "skills": skill_items,
        "exercises": exercise_items,
    }


def bulk_simulated_history(
    course: Course,
    learners: int,
    attempts_per_learner: int,
    seed: int,
    prefix: str = "bulk",
) -> int:
    """Creates ``learners`` users with about ``attempts_per_learner`` simulated attempts each."""
    per_session = (10, 30)
    sessions = max(1, attempts_per_learner // 10)
    histories = simulate_population(
        sim_course_for(course), learners, seed=seed,
        start=timezone.now() - timedelta(days=120),
        sessions=(sessions, sessions), attempts_per_session=per_session,
    )
    exercises = {e.key: e for e in course.exercises.prefetch_related("choices")}
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}-{n:06d}") for n in range(learners)
    )
    Enrollment.objects.bulk_create(Enrollment(learner=user, course=course) for user in users)
    total = 0
    for user, history in zip(users, histories, strict=True):
        total += _store(course, user, history.attempts[:attempts_per_learner], exercises)
    return total


def _store(course: Course, user: Any, attempts: Any, exercises: dict[str, Any]) -> int:
    sessions: dict[int, StudySession] = {}
    for attempt in attempts:
        session = sessions.get(attempt.session_index)
        if session is None:
            session = StudySession(learner=user, course=course, number=len(sessions) + 1,
                                   started_at=attempt.started_at,
                                   last_activity_at=attempt.submitted_at)
            sessions[attempt.session_index] = session
        session.last_activity_at = attempt.submitted_at
        session.attempt_count += 1
    StudySession.objects.bulk_create(sessions.values())
    Attempt.objects.bulk_create(
        (
            Attempt(
                learner=user, course=course, exercise=exercises[a.exercise_key],
                session=sessions[a.session_index], client_id=uuid.uuid4(),
                answer=answer_for(exercises[a.exercise_key], a.correct), correct=a.correct,
                started_at=a.started_at, submitted_at=a.submitted_at, hint_used=a.hint_used,
            )
            for a in attempts
        ),
        batch_size=2000,
    )
    return len(attempts)


class Rollback(Exception):
    """Raised at the end of a benchmark's transaction so that nothing it wrote remains."""


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds per call of ``function``, ``repeat`` times."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms"
