"""Each rule that more than one place enforces has one home; these tests pin that the places
agree (the admin and the course import; the class page and the class dashboard; training and
serving; the simulator and the skill graph)."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from courses.actions.attempts import record_attempt
from courses.actions.course_import import CourseDocumentError, import_course
from courses.ml.learner_state import advance, exercise_catalog
from courses.ml.registry import serving_model
from courses.ml.training import course_training_data, open_run, run_training
from courses.models import Choice, Cohort, Course, Exercise, SkillState, TrainingRun
from courses.queries.charts import class_grid, percent
from courses.queries.history import learner_histories
from courses.rules import choice_problems, sentence
from learnpath.sim import SimCourse, SimExercise, SimSkill
from learnpath.skillgraph import ordered_by_prerequisites
from tests.factories import small_course_document


def test_too_many_options_read_the_same_in_the_admin_and_the_import(
    db: Any, root: Any, course: Course
) -> None:
    options = [(f"option {i}", i == 0) for i in range(Choice.MAX_PER_EXERCISE + 1)]
    (rule,) = choice_problems(options)
    document = small_course_document(slug="other")
    document["exercises"][0]["choices"] = [{"text": t, "correct": c} for t, c in options]
    with pytest.raises(CourseDocumentError) as raised:
        import_course(document)
    assert any(problem.endswith(f".choices: {rule}") for problem in raised.value.problems)

    client = Client()
    client.force_login(root)
    exercise = Exercise.objects.get(course=course, key="halves-choice")
    page = client.get(f"/admin/courses/exercise/{exercise.pk}/change/")
    data = {key: value for key, value in page.context["adminform"].form.initial.items()
            if value is not None and not isinstance(value, list)}
    data.update(skills=[s.pk for s in exercise.skills.all()], **{
        "choices-TOTAL_FORMS": len(options), "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0, "choices-MAX_NUM_FORMS": 1000,
    })
    for index, (text, correct) in enumerate(options):
        data[f"choices-{index}-text"] = text
        data[f"choices-{index}-position"] = index
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    response = client.post(f"/admin/courses/exercise/{exercise.pk}/change/", data)
    assert response.status_code == 200
    assert sentence(rule) in response.content.decode()


def test_the_class_page_and_the_class_dashboard_show_the_same_percent(
    cohort: Cohort, course: Course, alice: Any, tess: Any
) -> None:
    record_attempt(learner=alice, exercise=Exercise.objects.get(key="quarters-numeric"),
                   given="0.75", client_id=uuid.uuid4())
    SkillState.objects.filter(learner=alice).update(p_mastery=0.625, level="familiar")
    assert percent(0.625) == 63  # halves round up (round() would give 62)
    client = Client()
    client.force_login(tess)
    grid = client.get(f"/teach/classes/{cohort.pk}/").context["class_grid"]
    dashboard = client.get(f"/teach/classes/{cohort.pk}/dashboard/").context["dashboard"]
    shown = [cell.percent for cell in grid.rows[0].cells]
    assert "63" in shown
    assert shown == [cell.percent for cell in dashboard.rows[0].cells]
    assert grid.rows == class_grid(cohort).rows


def test_training_and_serving_read_history_through_one_conversion(populated: Course) -> None:
    """The records the model was trained on, stepped through the served model, give exactly the
    state the site keeps for each learner (which is advanced from the stored history)."""
    run, _ = open_run(populated, TrainingRun.Trigger.ADMIN)
    run_training(run.pk)
    catalog = exercise_catalog(populated)
    loaded = serving_model(populated, {k: v for k, v in catalog.values() if v})
    assert loaded is not None
    _, model = loaded
    skills = {key: tagged for key, tagged in catalog.values()}
    data = course_training_data(populated)
    for (learner_id, rows), sequence in zip(learner_histories(populated), data.sequences,
                                            strict=True):
        assert sequence.learner == str(learner_id)
        sessions = [row.session_id for row in rows]
        assert [a.new_session for a in sequence.attempts] == [
            i == 0 or sessions[i] != sessions[i - 1] for i in range(len(rows))]
        trained = model.initial_state()
        for attempt in sequence.attempts:
            trained = model.step(trained, attempt, skills[attempt.exercise])
        served = advance(model, model.initial_state(), rows, catalog, None)
        assert abs(trained.vector - served.vector).max() < 1e-6


def test_the_simulator_orders_skills_with_the_skill_graphs_sort() -> None:
    skills = (SimSkill("c", ("a",)), SimSkill("a"), SimSkill("b", ("a",)))
    course = SimCourse(skills, (SimExercise("e", ("a",)),))
    from learnpath.skillgraph import SkillSpec

    specs = [SkillSpec(s.key, s.key, s.prerequisites) for s in skills]
    assert list(course.topological_order) == ordered_by_prerequisites(specs) == ["a", "c", "b"]
