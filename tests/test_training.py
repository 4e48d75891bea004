"""Retraining: registry entries, promotion rules, failures, corrupt artifacts, triggers, and the
incremental learner state."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_celery_beat.models import PeriodicTask

from courses.actions.attempts import record_attempt
from courses.ml import registry, training
from courses.ml.learner_state import advance, exercise_catalog
from courses.models import Course, Exercise, LearnerModelState, ModelVersion, TrainingRun
from courses.queries.history import learner_histories
from courses.recommend.cache import refresh_path
from courses.recommend.paths import (
    BROKEN_MODEL_NOTE,
    LSTM,
    SKILL_GRAPH,
    UNEARNED_MODEL_NOTE,
    recommend_path,
)
from courses.tasks import retrain_course_model, retrain_due_models


def _train(course: Course, trigger: str = TrainingRun.Trigger.ADMIN) -> TrainingRun:
    run, _ = training.open_run(course, trigger)
    return training.run_training(run.pk)


def test_first_run_registers_and_activates_a_checked_artifact(populated: Course) -> None:
    run = _train(populated)
    assert run.status == TrainingRun.Status.ACTIVATED
    version = ModelVersion.objects.get(course=populated)
    assert version.status == ModelVersion.Status.ACTIVE and version.number == 1
    assert Path(version.artifact_path).is_file()
    assert registry.file_checksum(Path(version.artifact_path)) == version.checksum
    assert version.valid_auc is not None and version.valid_hr10 is not None
    assert version.training_learners == 12 and version.training_attempts > 200
    assert LearnerModelState.objects.filter(course=populated).count() == 12
    assert run.progress == 1.0 and run.tries == 1


def test_not_enough_data_is_skipped(course: Course, enrolled_alice: Any) -> None:
    run = _train(course)
    assert run.status == TrainingRun.Status.SKIPPED
    assert "at least" in run.message
    assert not ModelVersion.objects.exists()


def test_a_worse_candidate_is_kept_and_the_active_model_stays(populated: Course) -> None:
    _train(populated)
    active = ModelVersion.objects.get(status="active")
    active.valid_auc = 0.999
    active.save()
    run = _train(populated)
    assert run.status == TrainingRun.Status.KEPT_CANDIDATE
    assert "below the active model" in run.message
    assert ModelVersion.objects.get(status="active").pk == active.pk
    assert ModelVersion.objects.get(number=2).status == ModelVersion.Status.CANDIDATE


def test_a_good_candidate_replaces_the_active_one_atomically(populated: Course) -> None:
    _train(populated)
    run = _train(populated)
    assert run.status == TrainingRun.Status.ACTIVATED
    statuses = dict(ModelVersion.objects.values_list("number", "status"))
    assert statuses == {1: "retired", 2: "active"}
    assert set(LearnerModelState.objects.values_list("model_version__number", flat=True)) == {2}


def test_a_failing_run_is_retried_then_failed_and_changes_nothing(
    populated: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    _train(populated)
    active = ModelVersion.objects.get(status="active")

    def broken(*args: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(training, "_train", broken)
    run, _ = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    result = retrain_course_model.apply(args=[run.pk])
    assert result.failed() and isinstance(result.result, RuntimeError)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert run.tries == 3 and "disk full" in run.message
    assert ModelVersion.objects.get(status="active").pk == active.pk
    assert ModelVersion.objects.count() == 1


@pytest.mark.parametrize("damage", ["corrupt", "missing", "loaded"])
def test_a_broken_artifact_falls_back_and_warns(
    populated: Course, damage: str, client: Any, monkeypatch: Any
) -> None:
    _train(populated)
    learner = get_user_model().objects.get(username="p00")
    assert recommend_path(learner, populated).source == LSTM
    version = ModelVersion.objects.get(status="active")
    artifact = Path(version.artifact_path)
    if damage == "missing":
        artifact.unlink()
    else:
        artifact.write_bytes(b"not a model")
    if damage == "loaded":
        # The file matches its checksum but cannot be loaded (say, after a code change).
        version.checksum = registry.file_checksum(artifact)
        version.save()
    monkeypatch.setattr(registry, "_models", registry.LoadedModels())  # as in a new process
    path = recommend_path(learner, populated)
    assert path.source == SKILL_GRAPH and path.about == BROKEN_MODEL_NOTE
    assert path.items
    problems = registry.artifact_problems()
    assert len(problems) == 1 and damage in problems[0]
    learner.set_password("pw")
    learner.save()
    client.force_login(learner)
    assert client.get(f"/courses/{populated.slug}/").status_code == 200
    admin = get_user_model().objects.create_superuser("boss", "b@example.invalid", "pw")
    client.force_login(admin)
    page = client.get("/admin/courses/modelversion/", follow=True)
    assert damage in page.content.decode()


def test_learner_state_is_advanced_by_each_attempt_like_a_full_rerun(
    populated: Course, django_capture_on_commit_callbacks: Any
) -> None:
    _train(populated)
    learner = get_user_model().objects.get(username="p01")
    exercise = Exercise.objects.get(key="quarters-numeric")
    for given in ("0.75", "0.5", "3/4"):
        with django_capture_on_commit_callbacks(execute=True):
            attempt = record_attempt(learner=learner, exercise=exercise, given=given,
                                     client_id=uuid.uuid4()).attempt
        assert refresh_path(learner.pk, populated.pk)  # what the worker does after the answer
    from learnpath.seq import state_from_bytes

    stored = LearnerModelState.objects.get(learner=learner, course=populated)
    assert stored.last_attempt_id == attempt.pk
    _, model = registry.serving_model(
        populated, {k: v for k, v in exercise_catalog(populated).values() if v}
    )
    rows = [row for _, rows in learner_histories(populated, learner.pk) for row in rows]
    full = advance(model, model.initial_state(), rows, exercise_catalog(populated), None)
    incremental = state_from_bytes(bytes(stored.state))
    assert abs(full.vector - incremental.vector).max() < 1e-5
    full_scores = model.score(full).p_correct
    assert abs(full_scores - model.score(incremental).p_correct).max() < 1e-5


def test_enough_new_attempts_queue_a_threshold_run(
    course: Course, enrolled_alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    course.retrain_after_attempts = 3
    course.save()
    exercise = Exercise.objects.get(key="quarters-numeric")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            record_attempt(learner=enrolled_alice, exercise=exercise, given="0.75",
                           client_id=uuid.uuid4())
    runs = list(TrainingRun.objects.all())
    assert [(run.trigger, run.status) for run in runs] == [("threshold", "queued")]
    with django_capture_on_commit_callbacks(execute=True):
        record_attempt(learner=enrolled_alice, exercise=exercise, given="0.75",
                       client_id=uuid.uuid4())
    assert TrainingRun.objects.count() == 1


def test_schedule_exists_and_queues_only_due_courses(course: Course, enrolled_alice: Any) -> None:
    task = PeriodicTask.objects.get(task="courses.tasks.retrain_due_models")
    assert task.interval is not None and task.enabled
    assert retrain_due_models.apply().get() == []
    course.retrain_after_attempts = 1
    course.save()
    record_attempt(learner=enrolled_alice, exercise=Exercise.objects.get(key="quarters-text"),
                   given="a quarter", client_id=uuid.uuid4())
    queued = retrain_due_models.apply().get()
    assert TrainingRun.objects.get(pk=queued[0]).trigger == TrainingRun.Trigger.SCHEDULE


def test_admin_can_start_a_run_and_follow_it(populated: Course, client: Any) -> None:
    admin = get_user_model().objects.create_superuser("boss", "b@example.invalid", "pw")
    client.force_login(admin)
    response = client.post(
        "/admin/courses/course/",
        {"action": "retrain_model", "_selected_action": [populated.pk]},
        follow=True,
    )
    assert response.status_code == 200
    run = TrainingRun.objects.get()
    assert run.trigger == "admin" and run.status == "queued"
    assert f"run #{run.pk}" in response.content.decode()
    training.run_training(run.pk)
    listing = client.get("/admin/courses/trainingrun/").content.decode()
    assert "Trained and activated" in listing and "100%" in listing


def test_every_process_picks_up_a_new_version_without_restart(populated: Course) -> None:
    _train(populated)
    catalog = {k: v for k, v in exercise_catalog(populated).values() if v}
    first, _ = registry.serving_model(populated, catalog)
    _train(populated)
    second, _ = registry.serving_model(populated, catalog)
    assert (first.number, second.number) == (1, 2)


def test_a_new_exercise_is_scored_through_its_skills_and_says_so(
    populated: Course, tess: Any
) -> None:
    from courses.actions.pins import add_pin
    from courses.models import Cohort, Skill
    from courses.recommend.paths import NEW_EXERCISE_NOTE

    _train(populated)
    fresh = Exercise.objects.create(course=populated, key="halves-new", prompt="Half of 8?",
                                    kind="numeric", numeric_answer=4, difficulty=1)
    fresh.skills.add(Skill.objects.get(key="halves"))
    learner = get_user_model().objects.get(username="p02")
    cohort = Cohort.objects.create(name="New", course=populated, teacher=tess)
    cohort.learners.add(learner)
    add_pin(tess, cohort, "halves-new", learner=learner)
    path = recommend_path(learner, populated)
    assert path.source == LSTM
    assert path.items[0].exercise_key == "halves-new"
    assert path.items[0].reason.endswith(str(NEW_EXERCISE_NOTE))
    assert 0.0 < path.items[0].p_success < 1.0


def test_a_run_that_no_longer_exists_is_nothing_to_do(db: Any) -> None:
    assert retrain_course_model.apply(args=[987654]).get() == "missing"


def test_a_failure_that_cannot_be_recorded_is_still_retried(
    populated: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("connection is closed")

    def unrecordable(*args: Any) -> None:
        raise RuntimeError("the database is down too")

    monkeypatch.setattr(training, "_train", broken)
    monkeypatch.setattr(training, "record_failure", unrecordable)
    run, _ = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    result = retrain_course_model.apply(args=[run.pk])
    assert result.failed() and "connection is closed" in str(result.result)
    assert TrainingRun.objects.get(pk=run.pk).tries == 3  # all three tries happened


def test_a_model_plans_paths_only_while_it_beats_the_chart_on_held_out_learners(
    populated: Course,
) -> None:
    _train(populated)
    version = ModelVersion.objects.get(status="active")
    assert 0 < version.metrics["valid_chart_auc"] < 1  # measured on the validation learners
    learner = get_user_model().objects.get(username="p00")
    version.metrics = {**version.metrics, "valid_auc": 0.61, "valid_chart_auc": 0.64}
    version.save()
    path = recommend_path(learner, populated)
    assert path.source == SKILL_GRAPH and path.model_version is None and path.items
    assert path.note == UNEARNED_MODEL_NOTE % {"number": version.number, "model": "0.610",
                                              "chart": "0.640"}
    assert "AUC 0.610 against 0.640" in path.note
    version.metrics = {**version.metrics, "valid_auc": 0.66}
    version.save()
    assert recommend_path(learner, populated).source == LSTM


def test_a_version_records_its_calibration_on_the_validation_learners(populated: Course) -> None:
    import numpy as np
    from django.conf import settings

    from learnpath.seq import TrainConfig
    from learnpath.seq.data import drop_short
    from learnpath.seq.metrics import expected_calibration_error, reliability_bins
    from learnpath.seq.serving import split_learners

    _train(populated)
    metrics = ModelVersion.objects.get(status="active").metrics
    data = training.course_training_data(populated)
    config = TrainConfig(**settings.LEARNPATH_TRAINING)
    _, valid = split_learners(drop_short(data.sequences, config.min_attempts),
                              config.valid_fraction, config.seed)
    assert len(valid) == metrics["valid_learners"] >= 1
    loaded = registry.serving_model(populated, data.exercise_skills)
    assert loaded is not None
    model = loaded[1]
    temperature = float(model.model.answer_temperature)
    assert temperature != 1.0 and metrics["answer_temperature"] == pytest.approx(temperature)
    # The served (calibrated) model's P(right) before each validation attempt, step by step.
    labels, predicted = [], []
    for sequence in valid:
        state = model.initial_state()
        for attempt in sequence.attempts:
            predicted.append(model.score(state).p_correct_by_exercise()[attempt.exercise])
            labels.append(float(attempt.correct))
            state = model.step(state, attempt, data.exercise_skills.get(attempt.exercise))
    expected = reliability_bins(np.array(labels), np.array(predicted))
    stored = metrics["valid_reliability"]
    assert [(row["low"], row["count"]) for row in stored] == [
        (row["low"], row["count"]) for row in expected]
    for key in ("predicted", "observed"):
        assert [row[key] for row in stored] == pytest.approx([row[key] for row in expected],
                                                             abs=1e-5)
    assert metrics["valid_ece"] == pytest.approx(
        expected_calibration_error(np.array(labels), np.array(predicted)), abs=1e-5)
    # The skill chart's, replayed over the same attempts.
    chart = metrics["valid_chart_reliability"]
    assert sum(row["count"] for row in chart) == len(labels)
    assert metrics["valid_chart_ece"] == pytest.approx(
        sum(row["count"] * abs(row["predicted"] - row["observed"]) for row in chart) / len(labels))
    assert 0 < metrics["valid_chart_auc"] < 1
