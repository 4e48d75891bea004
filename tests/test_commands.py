"""Management commands: demo loading (idempotent), import/export, simulation, chart rebuild."""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from courses.models import (
    Attempt,
    Cohort,
    Course,
    MasteryEvent,
    ModelVersion,
    SkillState,
    TrainingRun,
)
from courses.tasks import retrain_course_model
from tests.factories import small_course_document


def _run(*args: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_load_demo_twice_creates_everything_once(db: Any) -> None:
    output = _run("load_demo", "--learners", "3", "--history-learners", "0")
    for account in ("ada", "tess", "admin"):
        assert account in output
    counts = (Course.objects.count(), Attempt.objects.count(), get_user_model().objects.count())
    assert counts[1] > 0
    _run("load_demo", "--learners", "3", "--history-learners", "0")
    assert (Course.objects.count(), Attempt.objects.count(),
            get_user_model().objects.count()) == counts
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert users.get(username="ada").check_password("demo")
    cohort = Cohort.objects.get(teacher__username="tess", course__slug="fractions")
    assert set(cohort.learners.values_list("username", flat=True)) == {
        "ada", "sim-001", "sim-002", "sim-003"
    }
    # The second demo course: programs, with ada and simulated learners in tess's club.
    club = Cohort.objects.get(teacher__username="tess", course__slug="python-basics")
    assert set(club.learners.values_list("username", flat=True)) == {
        "ada", "py-sim-001", "py-sim-002", "py-sim-003"
    }
    python = Course.objects.get(slug="python-basics")
    assert python.exercises.filter(kind="code").count() >= 30
    assert python.skills.count() >= 10
    assert Attempt.objects.filter(course=python, learner__username="py-sim-001").exists()


def test_load_demo_can_leave_the_first_models_to_the_worker(db: Any) -> None:
    output = _run("load_demo", "--learners", "3", "--history-learners", "40", "--train-later")
    assert "for the Celery worker" in output and "Training a first model" not in output
    queued = TrainingRun.objects.filter(status=TrainingRun.Status.QUEUED)
    assert sorted(queued.values_list("course__slug", flat=True)) == ["fractions",
                                                                      "python-basics"]
    assert not ModelVersion.objects.exists()
    # Run again, it queues nothing twice; the worker's task then trains each queued run.
    _run("load_demo", "--learners", "3", "--history-learners", "40", "--train-later")
    assert TrainingRun.objects.count() == 2
    fractions = queued.get(course__slug="fractions")
    status = retrain_course_model.apply(args=[fractions.pk]).get()
    fractions.refresh_from_db()
    assert fractions.status == status == TrainingRun.Status.ACTIVATED
    assert ModelVersion.objects.filter(course__slug="fractions",
                                       status=ModelVersion.Status.ACTIVE).exists()


def test_export_then_import_command_round_trip(course: Course, tmp_path: Path) -> None:
    target = tmp_path / "mini.json"
    _run("export_course", "mini", "-o", str(target))
    document = json.loads(target.read_text())
    assert document["course"]["slug"] == "mini"
    document["course"]["slug"] = "mini-copy"
    target.write_text(json.dumps(document))
    assert "Created course 'mini-copy'" in _run("import_course", str(target))
    assert Course.objects.get(slug="mini-copy").exercises.count() == 6


def test_import_command_reports_every_problem(db: Any, tmp_path: Path) -> None:
    document = small_course_document()
    document["skills"][0]["prerequisites"] = ["adding"]
    document["exercises"][2]["answer"] = None
    target = tmp_path / "bad.json"
    target.write_text(json.dumps(document))
    with pytest.raises(CommandError) as raised:
        _run("import_course", str(target))
    message = str(raised.value)
    assert "cycle" in message and "exercises[2] (quarters-numeric).answer" in message
    assert not Course.objects.exists()


def test_import_command_with_missing_file(db: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        _run("import_course", str(tmp_path / "missing.json"))


def test_export_unknown_course(db: Any) -> None:
    with pytest.raises(CommandError, match="No course"):
        _run("export_course", "nope")


def test_simulate_then_rebuild_charts(course: Course) -> None:
    output = _run("simulate_learners", "mini", "--learners", "4", "--seed", "3")
    assert "4 simulated learners" in output
    assert Attempt.objects.count() > 0
    before = list(SkillState.objects.order_by("id").values_list("learner_id", "skill_id",
                                                                 "p_mastery"))
    events = MasteryEvent.objects.count()
    assert "Rebuilt 4 learner chart(s)" in _run("rebuild_charts", "mini")
    after = list(SkillState.objects.order_by("learner_id", "skill_id").values_list(
        "learner_id", "skill_id", "p_mastery"))
    assert sorted(before) == after
    assert MasteryEvent.objects.count() == events
    assert "0 new attempts" in _run("simulate_learners", "mini", "--learners", "4", "--seed", "3")


def test_simulate_learners_refuses_bad_arguments(course: Course) -> None:
    with pytest.raises(CommandError, match="No course"):
        _run("simulate_learners", "nope")
    with pytest.raises(CommandError, match="at least 1"):
        _run("simulate_learners", "mini", "--learners", "0")


def test_evaluate_paths_writes_one_row_per_policy(course: Course, tmp_path: Path) -> None:
    output = _run("evaluate_paths", "--course", "mini", "--learners", "3", "--attempts", "6",
                  "--train-learners", "12", "--out", str(tmp_path))
    rows = json.loads((tmp_path / "results.json").read_text())
    policies = [row["policy"] for row in rows]
    # The LSTM plans only if it beats the chart on its validation learners; else lstm_always.
    assert policies in (["lstm", "planner_cold", "skill_graph", "random"],
                        ["lstm", "lstm_always", "planner_cold", "skill_graph", "random"])
    assert ("lstm_always" in policies) == ("does not beat the chart" in output)
    for row in rows:
        assert row["learners"] == 3 and row["attempts_per_learner"] == 6
        assert 0 <= row["mean_mastery_gain"] <= 1
        assert set(row) >= {"policy", "learners", "attempts_per_learner", "mean_mastery_gain",
                            "mean_attempts_to_target"}
    assert "| skill_graph |" in output
    with pytest.raises(CommandError, match="Unknown target"):
        _run("evaluate_paths", "--course", "mini", "--targets", "nope", "--out", str(tmp_path))
