"""Skill charts in the database: kept current on every attempt, rebuilt from history on demand.

The estimator is :mod:`learnpath.mastery` (BKT per skill, documented there). An attempt updates,
in its own transaction, only the states of the exercise's skills and (on a right answer) their
direct prerequisites: a handful of queries whatever the length of the history. A rebuild replays
each learner's attempts in the order they were stored (by id), which is exactly the order the
incremental updates saw, so both give identical charts.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from django.db import transaction
from django.db.models import QuerySet

from courses.actions.reviews import rebuild_course_cards
from courses.models import (
    Attempt,
    Course,
    Enrollment,
    MasteryEvent,
    PlacementCheck,
    Skill,
    SkillState,
)
from courses.queries.charts import params_for, to_mastery
from courses.queries.content import ExerciseContent, course_content
from courses.queries.graphs import skill_graph_for
from courses.queries.history import exercise_skill_keys, learner_histories
from learnpath import mastery
from learnpath.mastery_fit import fit_course_params
from learnpath.skillgraph import SkillGraph


def _copy_into(row: SkillState, value: mastery.SkillMastery) -> None:
    row.p_mastery = value.p_mastery
    row.evidence = value.evidence
    row.attempts = value.attempts
    row.correct = value.correct
    row.last_attempt_at = value.last_attempt_at
    row.peak_p_mastery = value.peak_p_mastery
    row.level = value.level.value


def apply_attempt_to_chart(
    attempt: Attempt, exercise: ExerciseContent | None = None
) -> list[tuple[str, float]]:
    """Updates the learner's chart for one new attempt; call inside the attempt's transaction.
    The exercise's skills, their prerequisites and parameters come from the course's content
    caches (``exercise``, when given, is the attempt's, as the caller read it from them).
    Returns (key, P(mastery)) of each skill the attempt brought to the *mastered* level."""
    content = course_content(attempt.course)
    exercise = exercise or content.by_id[attempt.exercise_id]
    keys = exercise.skill_keys
    if not keys:
        return []
    graph = skill_graph_for(attempt.course)
    # A right answer also moves the direct prerequisites: their rows are read with the others.
    touched = dict.fromkeys([*keys, *(p for key in keys for p in graph.prerequisites(key))])
    key_of = {content.skill_ids[key]: key for key in touched}
    chart = {
        key_of[row.skill_id]: to_mastery(row)
        for row in SkillState.objects.select_for_update().filter(
            learner_id=attempt.learner_id, skill_id__in=key_of
        )
    }
    changed = mastery.apply_attempt(
        chart, keys, attempt.correct, attempt.submitted_at, graph, content.params
    )
    _store(attempt, changed, content.skill_ids)
    mastered = mastery.MasteryLevel.MASTERED
    return [(key, value.p_mastery) for key, value in changed.items()
            if value.level is mastered and (key not in chart or chart[key].level is not mastered)]


def _store(
    attempt: Attempt, changed: Mapping[str, mastery.SkillMastery], skill_ids: Mapping[str, int]
) -> None:
    """The changed rows, new or not, in one upsert; then their history events."""
    rows = []
    for key, value in changed.items():
        row = SkillState(learner_id=attempt.learner_id, course_id=attempt.course_id,
                         skill_id=skill_ids[key])
        _copy_into(row, value)
        rows.append(row)
    SkillState.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["learner", "skill"],
        update_fields=["p_mastery", "evidence", "attempts", "correct", "last_attempt_at",
                       "peak_p_mastery", "level", "updated_at"],
    )
    MasteryEvent.objects.bulk_create(
        MasteryEvent(
            learner_id=attempt.learner_id,
            course_id=attempt.course_id,
            skill_id=skill_ids[key],
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
    """Replays every learner's attempts (into their review cards too); returns the number of
    learners rebuilt."""
    graph = skill_graph_for(course)
    skills = {skill.key: skill for skill in course.skills.all()}
    params = params_for(skills.values())
    exercise_skills = exercise_skill_keys(course)
    learner_ids = sorted(set(
        Attempt.objects.filter(course=course).values_list("learner_id", flat=True)
    ) | set(_placed(course).values_list("learner_id", flat=True)))
    with transaction.atomic():
        SkillState.objects.filter(course=course).exclude(learner_id__in=learner_ids).delete()
    for done, learner_id in enumerate(learner_ids, start=1):
        _rebuild_learner(course, learner_id, graph, skills, params, exercise_skills)
        if progress:
            progress(done, len(learner_ids))
    rebuild_course_cards(course)
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
        placements = _placed_charts(course, learner_id, graph)
        for _, rows in learner_histories(course, learner_id):
            for row in rows:
                while placements and placements[0][0] < row.attempt_id:
                    chart = placements.pop(0)[1]
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
        if placements:
            chart = placements[-1][1]
        states = []
        for key, value in chart.items():
            state = SkillState(learner_id=learner_id, course=course, skill=skills[key])
            _copy_into(state, value)
            states.append(state)
        SkillState.objects.bulk_create(states, batch_size=500)
        MasteryEvent.objects.bulk_create(events, batch_size=1000)


def apply_placement_to_chart(
    check: PlacementCheck, chart: Mapping[str, mastery.SkillMastery]
) -> None:
    """Sets the learner's chart to a finished placement check's (every skill of the course);
    call inside the check's transaction. Attempts after it move the chart as usual, and a
    rebuild replays the attempts before it, then takes its chart, then replays the rest."""
    skill_ids = course_content(check.course).skill_ids
    rows = []
    for key, value in chart.items():
        row = SkillState(learner_id=check.learner_id, course_id=check.course_id,
                         skill_id=skill_ids[key])
        _copy_into(row, value)
        rows.append(row)
    SkillState.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["learner", "skill"],
        update_fields=["p_mastery", "evidence", "attempts", "correct", "last_attempt_at",
                       "peak_p_mastery", "level", "updated_at"],
    )


def _placed(course: Course) -> QuerySet[PlacementCheck]:
    return PlacementCheck.objects.filter(course=course, status=PlacementCheck.Status.FINISHED)


def _placed_charts(course: Course, learner_id: int, graph: SkillGraph
                   ) -> list[tuple[int, dict[str, mastery.SkillMastery]]]:
    """(newest attempt before it, its chart) of each finished placement check, in order."""
    return [
        (check.last_attempt_id,
         {key: mastery.placed_mastery(value["p_known"], value["evidence"])
          for key, value in check.result.items() if key in graph})
        for check in _placed(course).filter(learner_id=learner_id)
        .order_by("finished_at", "id")
    ]


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
    fitted = fit_course_params(histories, min_observations=min_observations)
    with transaction.atomic():
        for skill in course.skills.select_for_update():
            params = fitted.get(skill.key)
            skill.bkt_params = dataclasses.asdict(params) if params else None
            skill.save(update_fields=["bkt_params"])
    return fitted
