"""Which exercise a learner practises next, by a simple documented rule on the skill chart.

Until the sequence model is trained, "next" is:

1. the first skill, in the graph's topological order, on the learner's ready-to-learn frontier
   (not mastered, every prerequisite proficient or better); if there is none, the first skill
   due for review; if there is none either (all mastered), the weakest skill;
2. of that skill's active exercises, the one the learner has seen least recently (never seen
   first), ties broken by the difficulty nearest the learner's level on the skill (1 for a new
   skill, up to 5 near mastery), then by key.
"""
from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max
from django.utils import timezone

from courses.models import Attempt, Course, Exercise
from courses.services.charts import chart_of
from courses.services.graphs import skill_graph_for
from learnpath import mastery


def target_difficulty(p_mastery: float) -> float:
    return 1.0 + 4.0 * p_mastery


def next_skill(chart: dict[str, mastery.SkillMastery], course: Course) -> str | None:
    graph = skill_graph_for(course)
    practisable = set(
        Exercise.skills.through.objects.filter(
            exercise__course=course, exercise__status=Exercise.Status.ACTIVE
        ).values_list("skill__key", flat=True)
    )
    for key in mastery.ready_to_learn(chart, graph):
        if key in practisable:
            return key
    for key, _reason in mastery.review_candidates(chart, timezone.now()):
        if key in practisable:
            return key
    weakest = sorted(
        (chart[key].p_mastery if key in chart else 0.0, index, key)
        for index, key in enumerate(graph.topological_order())
        if key in practisable
    )
    return weakest[0][2] if weakest else None


def next_exercise(learner: AbstractBaseUser, course: Course) -> Exercise | None:
    chart = chart_of(learner, course)
    skill_key = next_skill(chart, course)
    if skill_key is None:
        return None
    exercises = list(
        Exercise.objects.filter(
            course=course, status=Exercise.Status.ACTIVE, skills__key=skill_key
        ).distinct()
    )
    last_seen = dict(
        Attempt.objects.filter(learner=learner, exercise__in=exercises)
        .values("exercise_id")
        .annotate(last=Max("submitted_at"))
        .values_list("exercise_id", "last")
    )
    state = chart.get(skill_key)
    target = target_difficulty(state.p_mastery if state else 0.0)
    never = datetime.min.replace(tzinfo=UTC)
    return min(
        exercises,
        key=lambda e: (last_seen.get(e.pk, never), abs(e.difficulty - target), e.key),
    )
