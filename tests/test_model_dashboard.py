"""The admin's model dashboard: versions, curves, data volume, runs; only for staff."""
from __future__ import annotations

import uuid
from typing import Any

import plotly.graph_objects as go
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from courses.actions.attempts import record_attempt
from courses.dashboards.model_versions import model_dashboard
from courses.models import Course, Exercise, ModelVersion, TrainingRun

URL = "/admin/courses/modelversion/dashboard/"


def _version(course: Course, number: int, status: str, auc: float) -> ModelVersion:
    return ModelVersion.objects.create(
        course=course, number=number, status=status, artifact_path=f"/nowhere/v{number}.pt",
        checksum="0" * 64, training_attempts=100 * number, training_learners=10,
        valid_auc=auc, valid_hr10=0.3, decision="test",
        metrics={"monitor": "auc",
                 "history": [{"epoch": 1, "train_loss": 0.6, "valid_score": auc - 0.05},
                             {"epoch": 2, "train_loss": 0.5, "valid_score": auc}]},
    )


def test_figures_are_valid_plotly_and_tell_the_story(course: Course, enrolled_alice: Any) -> None:
    record_attempt(learner=enrolled_alice, exercise=Exercise.objects.get(key="quarters-text"),
                   given="a quarter", client_id=uuid.uuid4())
    _version(course, 1, "retired", 0.70)
    _version(course, 2, "active", 0.72)
    TrainingRun.objects.create(course=course, trigger="admin", status="activated",
                               message="Activated.")
    dashboard = model_dashboard(course)
    for figure in (dashboard.metrics_figure, dashboard.curves_figure, dashboard.volume_figure):
        go.Figure(figure)
        assert figure["layout"]["title"]["text"]
    assert dashboard.metrics_figure["data"][0]["y"] == [0.70, 0.72]
    assert [trace["name"] for trace in dashboard.curves_figure["data"]] == [
        "v1 validation AUC", "v1 training loss", "v2 validation AUC", "v2 training loss"
    ]
    assert dashboard.volume_rows[-1][2] == 1
    assert [run.status for run in dashboard.runs] == ["activated"]


def test_only_staff_with_permission_see_it(course: Course, alice: Any) -> None:
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    learner = Client()
    learner.force_login(alice)
    assert "/admin/login/" in learner.get(URL)["Location"]
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(get_user_model().objects.get(pk=staff.pk))
    assert client.get(URL).status_code == 200


def test_superuser_sees_versions_runs_and_broken_artifacts(course: Course, root: Any) -> None:
    _version(course, 1, "active", 0.71)
    client = Client()
    client.force_login(root)
    page = client.get(URL).content.decode()
    assert "Models of Mini fractions" in page and "v1" in page
    assert "vendor/plotly.min.js" in page and 'id="plot-model-metrics"' in page
    assert "missing" in page  # the artifact does not exist: the admin is warned
    assert client.get(f"{URL}{course.pk}/").status_code == 200
    assert client.get(f"{URL}987654/").status_code == 404
    assert client.post(URL).status_code == 405


def test_each_version_says_whether_it_plans_paths_against_the_chart(course: Course,
                                                                   root: Any) -> None:
    beaten = _version(course, 1, "retired", 0.66)
    beaten.metrics = {**beaten.metrics, "valid_chart_auc": 0.68}
    beaten.save()
    earning = _version(course, 2, "active", 0.75)
    earning.metrics = {**earning.metrics, "valid_chart_auc": 0.71}
    earning.save()
    _version(course, 3, "candidate", 0.70)  # trained before the chart's AUC was kept
    client = Client()
    client.force_login(root)
    page = client.get(URL).content.decode()
    rows = {row.number: row for row in model_dashboard(course).versions}
    assert (rows[1].plans_paths, rows[2].plans_paths, rows[3].plans_paths) == (False, True, True)
    assert rows[3].chart_auc is None and rows[1].chart_auc == 0.68
    assert "<td>0.680</td><td>no: the chart predicts as well</td>" in page
    assert "<td>0.710</td><td>yes</td>" in page and "<td>–</td><td>yes</td>" in page
