"""Which exercise a learner practises next when there is no path to follow: the simple
skill-graph rule documented in :func:`learnpath.rule.rule_next_exercise`."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Max
from django.utils import timezone

from courses.models import Attempt, Course, Exercise
from courses.queries.charts import chart_of
from courses.queries.graphs import skill_graph_for
from courses.queries.reviews import review_schedule
from learnpath.paths import PlanExercise
from learnpath.rule import rule_next_exercise


def next_exercise(learner: User, course: Course) -> Exercise | None:
    exercises = {
        exercise.key: exercise
        for exercise in course.exercises.filter(status=Exercise.Status.ACTIVE).prefetch_related(
            "skills"
        )
    }
    plan_exercises = [
        PlanExercise(key, tuple(sorted(s.key for s in e.skills.all())), e.difficulty)
        for key, e in exercises.items()
        if e.skills.all()
    ]
    last_seen = {
        key: last.timestamp()
        for key, last in Attempt.objects.filter(learner=learner, course=course)
        .values("exercise__key")
        .annotate(last=Max("submitted_at"))
        .values_list("exercise__key", "last")
    }
    key = rule_next_exercise(
        chart_of(learner, course), skill_graph_for(course), plan_exercises, last_seen,
        timezone.now(), review_schedule=review_schedule(learner.pk, course),
    )
    return exercises.get(key) if key else None
