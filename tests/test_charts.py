"""Skill charts in the app: incremental == rebuilt, constant-query class chart, graph changes,
and the practice rule on the ready-to-learn frontier."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.actions.attempts import record_attempt
from courses.actions.charts import fit_mastery_params, rebuild_course_charts
from courses.actions.course_import import import_course, parse_course_json
from courses.actions.simulation import simulate_learners
from courses.models import Cohort, Course, Exercise, MasteryEvent, Prerequisite, Skill, SkillState
from courses.queries.charts import chart_of, class_grid, learner_chart_view
from courses.queries.exercises import answer_for as simulation_answer
from courses.recommend import practice
from courses.tasks import rebuild_course_charts_task

DEMO = Path(__file__).resolve().parents[1] / "courses" / "demo" / "fractions_course.json"


def _snapshot(course: Course) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    states = list(
        SkillState.objects.filter(course=course)
        .order_by("learner_id", "skill_id")
        .values_list("learner_id", "skill_id", "p_mastery", "evidence", "attempts", "correct",
                     "last_attempt_at", "peak_p_mastery", "level")
    )
    events = list(
        MasteryEvent.objects.filter(course=course)
        .order_by("attempt_id", "skill_id")
        .values_list("learner_id", "skill_id", "attempt_id", "at", "p_mastery", "evidence",
                     "level")
    )
    return states, events


@pytest.fixture
def demo_course(db: Any) -> Course:
    return import_course(parse_course_json(DEMO.read_bytes())).course


def test_rebuilt_charts_equal_incremental_ones_on_demo_data(demo_course: Course) -> None:
    summary = simulate_learners(demo_course, [f"sim-{n}" for n in range(6)], seed=7)
    assert summary.attempts > 100
    incremental = _snapshot(demo_course)
    assert len(incremental[0]) > 20
    progress: list[tuple[int, int]] = []
    assert rebuild_course_charts(demo_course, progress=lambda d, t: progress.append((d, t)))
    assert progress[-1] == (6, 6)
    assert _snapshot(demo_course) == incremental


def test_rebuild_follows_a_graph_change(course: Course, enrolled_alice: Any) -> None:
    exercise = Exercise.objects.get(key="quarters-numeric")
    for _ in range(3):
        record_attempt(learner=enrolled_alice, exercise=exercise, given="0.75",
                       client_id=uuid.uuid4())
    assert SkillState.objects.get(skill__key="halves").evidence > 0
    # Right answers on quarters are evidence for its prerequisite halves, while that edge exists.
    quarters = Skill.objects.get(key="quarters")
    quarters.prerequisite_links.all().delete()
    rebuild_course_charts_task.apply(args=[course.pk]).get()
    assert not SkillState.objects.filter(skill__key="halves").exists()
    Prerequisite.objects.create(skill=quarters, prerequisite=Skill.objects.get(key="halves"))
    rebuild_course_charts_task.apply(args=[course.pk]).get()
    assert SkillState.objects.get(skill__key="halves").evidence > 0


def test_deleting_a_skill_removes_its_states(course: Course, enrolled_alice: Any) -> None:
    record_attempt(learner=enrolled_alice, exercise=Exercise.objects.get(key="quarters-numeric"),
                   given="0.75", client_id=uuid.uuid4())
    Skill.objects.get(key="halves").delete()
    rebuild_course_charts_task.apply(args=[course.pk]).get()
    assert set(SkillState.objects.values_list("skill__key", flat=True)) == {"quarters"}
    chart = learner_chart_view(enrolled_alice, course)
    assert [row.key for row in chart.rows] == ["quarters", "adding"]


def test_rebuild_task_ignores_a_deleted_course(db: Any) -> None:
    assert rebuild_course_charts_task.apply(args=[987654]).get() == 0


def test_class_chart_reads_in_constant_queries(demo_course: Course) -> None:
    teacher = get_user_model().objects.create_user("teach")
    small = Cohort.objects.create(name="small", course=demo_course, teacher=teacher)
    large = Cohort.objects.create(name="large", course=demo_course, teacher=teacher)
    simulate_learners(demo_course, ["s1", "s2"], seed=1, sessions=(1, 1), cohort=small)
    simulate_learners(demo_course, [f"l{n}" for n in range(8)], seed=2, sessions=(1, 1),
                      cohort=large)
    counts = []
    for cohort in (small, large):
        with CaptureQueriesContext(connection) as queries:
            chart = class_grid(cohort)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert len(chart.rows) == 8
    assert len(chart.rows[0].cells) == demo_course.skills.count()


def test_learner_chart_lists_levels_frontier_and_legend(
    course: Course, enrolled_alice: Any
) -> None:
    chart = learner_chart_view(enrolled_alice, course)
    assert [row.key for row in chart.rows] == ["halves", "quarters", "adding"]
    assert all(row.level == "not_started" for row in chart.rows)
    assert chart.ready_to_learn == ["halves"]
    assert [row.ready for row in chart.rows] == [True, False, False]
    assert [label for _, label, _ in chart.legend] == [
        "Not started", "Attempted", "Familiar", "Proficient", "Mastered",
        "Not practised (estimated)",
    ]


def test_next_exercise_moves_along_the_frontier(course: Course, enrolled_alice: Any) -> None:
    first = practice.next_exercise(enrolled_alice, course)
    assert first.key in {"halves-choice", "halves-multi"}
    for exercise_key in ("halves-choice", "halves-multi") * 4:
        exercise = Exercise.objects.get(key=exercise_key)
        right = [c.pk for c in exercise.choices.all() if c.is_correct]
        record_attempt(learner=enrolled_alice, exercise=exercise, given=right,
                       client_id=uuid.uuid4())
    halves = chart_of(enrolled_alice, course)["halves"]
    assert halves.level.value in {"proficient", "mastered"}
    assert practice.next_exercise(enrolled_alice, course).key in {
        "quarters-numeric", "quarters-text", "adding-numeric"
    }
    assert practice.next_exercise(enrolled_alice, course).status == Exercise.Status.ACTIVE


def test_next_exercise_prefers_unseen_exercises(course: Course, enrolled_alice: Any) -> None:
    first = practice.next_exercise(enrolled_alice, course)
    wrong = [c.pk for c in first.choices.all() if not c.is_correct][:1]
    record_attempt(learner=enrolled_alice, exercise=first, given=wrong, client_id=uuid.uuid4())
    second = practice.next_exercise(enrolled_alice, course)
    assert second.key != first.key


def test_fitted_parameters_are_stored_and_used_by_both_paths(demo_course: Course) -> None:
    simulate_learners(demo_course, [f"fit-{n}" for n in range(12)], seed=5)
    fitted = fit_mastery_params(demo_course, min_observations=30)
    assert fitted
    stored = Skill.objects.exclude(bkt_params=None)
    assert set(stored.values_list("key", flat=True)) == set(fitted)
    rebuild_course_charts(demo_course)
    learner = get_user_model().objects.get(username="fit-0")
    skill_key = next(iter(fitted))
    exercise = Exercise.objects.filter(skills__key=skill_key, status="active").first()
    record_attempt(learner=learner, exercise=exercise,
                   given=simulation_answer(exercise, True), client_id=uuid.uuid4())
    incremental = _snapshot(demo_course)
    rebuild_course_charts(demo_course)
    assert _snapshot(demo_course) == incremental


def test_the_chart_says_what_its_levels_rest_on(course: Course, enrolled_alice: Any) -> None:
    from django.test import Client

    from courses.queries.charts import (
        ESTIMATED_LABEL,
        ESTIMATED_RULE,
        EVIDENCE_NOTE,
        LEVEL_LABELS,
    )
    from learnpath.mastery import MasteryLevel

    record_attempt(learner=enrolled_alice, exercise=Exercise.objects.get(key="quarters-numeric"),
                   given="0.75", client_id=uuid.uuid4())
    chart = learner_chart_view(enrolled_alice, course)
    rows = {row.key: row for row in chart.rows}
    assert rows["halves"].attempts == 0 and rows["halves"].level != "not_started"
    assert rows["halves"].inferred and not rows["quarters"].inferred
    assert rows["halves"].level_label == ESTIMATED_LABEL
    assert rows["quarters"].level_label == LEVEL_LABELS[MasteryLevel(rows["quarters"].level)]
    assert rows["adding"].level_label == "Not started"
    rules = {label: rule for _, label, rule in chart.legend}
    assert rules["Mastered"] == "≥ 95% with evidence worth 5+ answers"
    assert rules["Attempted"].startswith("answered")
    assert rules[ESTIMATED_LABEL] == ESTIMATED_RULE
    client = Client()
    client.force_login(enrolled_alice)
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert "From skills that build on it" in page
    assert f'<span class="badge level-{rows["halves"].level}">{ESTIMATED_LABEL}</span>' in page
    assert str(EVIDENCE_NOTE) in page
    assert f"{rows['halves'].percent}% <small>" in page
