"""Skill charts in the database: kept current on every attempt, rebuilt from history on demand.

The estimator is :mod:`learnpath.mastery` (BKT per skill, documented there). An attempt updates,
in its own transaction, only the states of the exercise's skills and (on a right answer) their
direct prerequisites: a handful of queries whatever the length of the history. A rebuild replays
each learner's attempts in the order they were stored (by id), which is exactly the order the
incremental updates saw, so both give identical charts.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from courses.models import (
    Attempt,
    Cohort,
    Course,
    Enrollment,
    MasteryEvent,
    Prerequisite,
    Skill,
    SkillState,
)
from courses.services.graphs import skill_graph_for
from courses.services.history import exercise_skill_keys, learner_histories
from learnpath import mastery
from learnpath.skillgraph import SkillGraph, SkillSpec

LEVEL_LABELS = {
    mastery.MasteryLevel.NOT_STARTED: "Not started",
    mastery.MasteryLevel.ATTEMPTED: "Attempted",
    mastery.MasteryLevel.FAMILIAR: "Familiar",
    mastery.MasteryLevel.PROFICIENT: "Proficient",
    mastery.MasteryLevel.MASTERED: "Mastered",
}
LEVEL_RULES = {
    mastery.MasteryLevel.NOT_STARTED: "no evidence yet",
    mastery.MasteryLevel.ATTEMPTED: f"mastery below {mastery.FAMILIAR_P:.0%}",
    mastery.MasteryLevel.FAMILIAR: f"≥ {mastery.FAMILIAR_P:.0%}",
    mastery.MasteryLevel.PROFICIENT: (
        f"≥ {mastery.PROFICIENT_P:.0%} over {mastery.PROFICIENT_EVIDENCE:.0f}+ answers"
    ),
    mastery.MasteryLevel.MASTERED: (
        f"≥ {mastery.MASTERED_P:.0%} over {mastery.MASTERED_EVIDENCE:.0f}+ answers"
    ),
}


def params_for(skills: Iterable[Skill]) -> dict[str, mastery.BKTParams]:
    return {
        skill.key: mastery.BKTParams(**skill.bkt_params) for skill in skills if skill.bkt_params
    }


def to_mastery(state: SkillState) -> mastery.SkillMastery:
    return mastery.SkillMastery(
        p_mastery=state.p_mastery,
        evidence=state.evidence,
        attempts=state.attempts,
        correct=state.correct,
        last_attempt_at=state.last_attempt_at,
        peak_p_mastery=state.peak_p_mastery,
    )


def _copy_into(row: SkillState, value: mastery.SkillMastery) -> None:
    row.p_mastery = value.p_mastery
    row.evidence = value.evidence
    row.attempts = value.attempts
    row.correct = value.correct
    row.last_attempt_at = value.last_attempt_at
    row.peak_p_mastery = value.peak_p_mastery
    row.level = value.level.value


def chart_of(learner: AbstractBaseUser, course: Course) -> dict[str, mastery.SkillMastery]:
    rows = SkillState.objects.filter(learner=learner, course=course).select_related("skill")
    return {row.skill.key: to_mastery(row) for row in rows}


def _local_graph(skills: list[Skill]) -> tuple[SkillGraph, dict[str, Skill]]:
    """The exercise's skills with their direct prerequisites: all an update needs to see."""
    links = list(
        Prerequisite.objects.filter(skill__in=skills).select_related("prerequisite")
    )
    by_key = {skill.key: skill for skill in skills}
    by_key.update({link.prerequisite.key: link.prerequisite for link in links})
    prerequisites: dict[int, list[str]] = defaultdict(list)
    for link in links:
        prerequisites[link.skill_id].append(link.prerequisite.key)
    exercise_keys = {skill.key for skill in skills}
    specs = [
        SkillSpec(
            key=key,
            name=key,
            prerequisites=tuple(sorted(prerequisites[skill.pk])) if key in exercise_keys else (),
        )
        for key, skill in by_key.items()
    ]
    return SkillGraph(specs), by_key


def apply_attempt_to_chart(attempt: Attempt) -> None:
    """Updates the learner's chart for one new attempt; call inside the attempt's transaction."""
    skills = list(attempt.exercise.skills.all())
    if not skills:
        return
    graph, skills_by_key = _local_graph(skills)
    rows = {
        row.skill.key: row
        for row in SkillState.objects.select_for_update()
        .filter(learner_id=attempt.learner_id, skill__in=skills_by_key.values())
        .select_related("skill")
    }
    changed = mastery.apply_attempt(
        {key: to_mastery(row) for key, row in rows.items()},
        [skill.key for skill in skills],
        attempt.correct,
        attempt.submitted_at,
        graph,
        params_for(skills_by_key.values()),
    )
    _store(attempt, changed, rows, skills_by_key)


def _store(
    attempt: Attempt,
    changed: Mapping[str, mastery.SkillMastery],
    rows: dict[str, SkillState],
    skills_by_key: Mapping[str, Skill],
) -> None:
    new_rows, updated_rows = [], []
    for key, value in changed.items():
        row = rows.get(key)
        if row is None:
            row = SkillState(
                learner_id=attempt.learner_id, course_id=attempt.course_id, skill=skills_by_key[key]
            )
            new_rows.append(row)
        else:
            updated_rows.append(row)
        _copy_into(row, value)
    SkillState.objects.bulk_create(new_rows)
    SkillState.objects.bulk_update(
        updated_rows,
        ["p_mastery", "evidence", "attempts", "correct", "last_attempt_at", "peak_p_mastery",
         "level"],
    )
    MasteryEvent.objects.bulk_create(
        MasteryEvent(
            learner_id=attempt.learner_id,
            course_id=attempt.course_id,
            skill=skills_by_key[key],
            attempt=attempt,
            at=attempt.submitted_at,
            p_mastery=value.p_mastery,
            evidence=value.evidence,
            level=value.level.value,
        )
        for key, value in changed.items()
    )


def rebuild_course_charts(
    course: Course, progress: Callable[[int, int], None] | None = None
) -> int:
    """Replays every learner's attempts; returns the number of learners rebuilt."""
    graph = skill_graph_for(course)
    skills = {skill.key: skill for skill in course.skills.all()}
    params = params_for(skills.values())
    exercise_skills = exercise_skill_keys(course)
    learner_ids = list(
        Attempt.objects.filter(course=course)
        .values_list("learner_id", flat=True)
        .distinct()
        .order_by("learner_id")
    )
    with transaction.atomic():
        SkillState.objects.filter(course=course).exclude(learner_id__in=learner_ids).delete()
    for done, learner_id in enumerate(learner_ids, start=1):
        _rebuild_learner(course, learner_id, graph, skills, params, exercise_skills)
        if progress:
            progress(done, len(learner_ids))
    return len(learner_ids)


def _rebuild_learner(
    course: Course,
    learner_id: int,
    graph: SkillGraph,
    skills: Mapping[str, Skill],
    params: Mapping[str, mastery.BKTParams],
    exercise_skills: Mapping[int, list[str]],
) -> None:
    with transaction.atomic():
        # The same lock as record_attempt: no attempt lands half-way through the replay.
        list(Enrollment.objects.select_for_update().filter(learner_id=learner_id, course=course))
        SkillState.objects.filter(course=course, learner_id=learner_id).delete()
        MasteryEvent.objects.filter(course=course, learner_id=learner_id).delete()
        chart: dict[str, mastery.SkillMastery] = {}
        events: list[MasteryEvent] = []
        for _, rows in learner_histories(course, learner_id):
            for row in rows:
                keys = [key for key in exercise_skills.get(row.exercise_id, []) if key in graph]
                if not keys:
                    continue
                changed = mastery.apply_attempt(
                    chart, keys, row.correct, row.submitted_at, graph, params
                )
                chart.update(changed)
                events += [
                    MasteryEvent(
                        learner_id=learner_id, course=course, skill=skills[key],
                        attempt_id=row.attempt_id, at=row.submitted_at,
                        p_mastery=value.p_mastery, evidence=value.evidence,
                        level=value.level.value,
                    )
                    for key, value in changed.items()
                ]
        states = []
        for key, value in chart.items():
            state = SkillState(learner_id=learner_id, course=course, skill=skills[key])
            _copy_into(state, value)
            states.append(state)
        SkillState.objects.bulk_create(states, batch_size=500)
        MasteryEvent.objects.bulk_create(events, batch_size=1000)


def fit_mastery_params(course: Course, min_observations: int = 50) -> dict[str, mastery.BKTParams]:
    """Fits BKT parameters per skill on the course's attempts and stores them on the skills.

    Skills with fewer than ``min_observations`` answers go back to the documented defaults.
    Charts must be rebuilt afterwards (the caller decides when).
    """
    exercise_skills = exercise_skill_keys(course)
    histories = [
        [(exercise_skills.get(row.exercise_id, []), row.correct) for row in rows]
        for _, rows in learner_histories(course)
    ]
    fitted = mastery.fit_course_params(histories, min_observations=min_observations)
    with transaction.atomic():
        for skill in course.skills.select_for_update():
            params = fitted.get(skill.key)
            skill.bkt_params = dataclasses.asdict(params) if params else None
            skill.save(update_fields=["bkt_params"])
    return fitted


@dataclass(frozen=True)
class ChartRow:
    key: str
    name: str
    area: str
    level: str
    level_label: str
    percent: int
    uncertainty_percent: int
    attempts: int
    correct: int
    ready: bool
    review_reason: str


@dataclass(frozen=True)
class LearnerChart:
    rows: list[ChartRow]
    ability: dict[str, float]
    ready_to_learn: list[str]
    review: list[tuple[str, str]]
    legend: list[tuple[str, str, str]]


def learner_chart_view(learner: AbstractBaseUser, course: Course) -> LearnerChart:
    graph = skill_graph_for(course)
    chart = chart_of(learner, course)
    ready = mastery.ready_to_learn(chart, graph)
    review = mastery.review_candidates(chart, timezone.now())
    review_reasons = dict(review)
    rows = []
    for key in graph.topological_order():
        state = chart.get(key)
        level = state.level if state else mastery.MasteryLevel.NOT_STARTED
        rows.append(
            ChartRow(
                key=key,
                name=graph.name(key),
                area=graph.area_of(key),
                level=level.value,
                level_label=LEVEL_LABELS[level],
                percent=round(100 * state.p_mastery) if state else 0,
                uncertainty_percent=round(100 * 1.96 * state.std) if state else 0,
                attempts=state.attempts if state else 0,
                correct=state.correct if state else 0,
                ready=key in ready,
                review_reason=review_reasons.get(key, ""),
            )
        )
    return LearnerChart(
        rows=rows,
        ability=mastery.ability_chart(chart, graph),
        ready_to_learn=ready,
        review=review,
        legend=[(level.value, LEVEL_LABELS[level], LEVEL_RULES[level]) for level in LEVEL_LABELS],
    )


@dataclass(frozen=True)
class ClassCell:
    level: str
    label: str
    percent: str


@dataclass(frozen=True)
class ClassRow:
    learner_id: int
    username: str
    attempts: int
    last_active: datetime | None
    cells: list[ClassCell]


@dataclass(frozen=True)
class ClassChart:
    skills: list[Skill]
    learners: list[ClassRow]


def class_chart(cohort: Cohort) -> ClassChart:
    """Learners × skills of a class in four queries, whatever the class size."""
    skills = list(cohort.course.skills.order_by("key"))
    graph_order = {key: index for index, key in enumerate(skill_graph_for(cohort.course)
                                                          .topological_order())}
    skills.sort(key=lambda skill: graph_order.get(skill.key, len(graph_order)))
    learners = list(
        get_user_model()
        .objects.filter(cohorts=cohort)
        .order_by("username")
        .values_list("id", "username")
    )
    states: dict[tuple[int, int], tuple[float, str]] = {
        (learner_id, skill_id): (p, level)
        for learner_id, skill_id, p, level in SkillState.objects.filter(
            course=cohort.course, learner__cohorts=cohort
        ).values_list("learner_id", "skill_id", "p_mastery", "level")
    }
    activity = {
        row["learner_id"]: row
        for row in Attempt.objects.filter(course=cohort.course, learner__cohorts=cohort)
        .values("learner_id")
        .annotate(count=Count("id"), last=Max("submitted_at"))
    }
    not_started = mastery.MasteryLevel.NOT_STARTED
    rows = []
    for learner_id, username in learners:
        cells = []
        for skill in skills:
            p, level = states.get((learner_id, skill.pk), (None, not_started.value))
            label = f"{skill.name}: {LEVEL_LABELS[mastery.MasteryLevel(level)]}"
            cells.append(ClassCell(level, label, "" if p is None else f"{round(100 * p)}"))
        seen = activity.get(learner_id, {})
        rows.append(
            ClassRow(learner_id, username, seen.get("count", 0), seen.get("last"), cells)
        )
    return ClassChart(skills=skills, learners=rows)
