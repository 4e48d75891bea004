"""The admin's model dashboard: versions, curves, calibration, data volume, runs; only for
staff."""
from __future__ import annotations

import uuid
from typing import Any

import plotly.graph_objects as go
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from courses.actions.attempts import record_attempt
from courses.dashboards.model_versions import (
    NOT_RECORDED_NOTE,
    RELIABILITY_VERSIONS,
    UNREADABLE_NOTE,
    model_dashboard,
)
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


RELIABILITY = [
    {"low": 0.5, "high": 0.6, "count": 40, "predicted": 0.56, "observed": 0.5},
    {"low": 0.6, "high": 0.7, "count": 120, "predicted": 0.64, "observed": 0.66},
    {"low": 0.9, "high": 1.0, "count": 8, "predicted": 0.93, "observed": 1.0},
]
CHART_RELIABILITY = [
    {"low": 0.3, "high": 0.4, "count": 100, "predicted": 0.35, "observed": 0.6},
    {"low": 0.7, "high": 0.8, "count": 68, "predicted": 0.72, "observed": 0.7},
]


def _calibrated(course: Course, number: int, status: str = "active") -> ModelVersion:
    version = _version(course, number, status, 0.74)
    version.metrics = {**version.metrics, "valid_ece": 0.0321, "answer_temperature": 1.37,
                       "valid_reliability": RELIABILITY, "valid_chart_ece": 0.1234,
                       "valid_chart_reliability": CHART_RELIABILITY}
    version.save()
    return version


def _page(root: Any) -> str:
    client = Client()
    client.force_login(root)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_a_calibrated_version_shows_its_reliability_plot_and_table(course: Course,
                                                                  root: Any) -> None:
    _calibrated(course, 2)
    card = model_dashboard(course).reliability_cards[0]
    figure = card.figure
    assert figure is not None and card.note == ""
    go.Figure(figure)
    traces = {trace["name"]: trace for trace in figure["data"]}
    diagonal = traces["perfectly calibrated"]
    assert diagonal["x"] == [0, 1] and diagonal["y"] == [0, 1]
    model = traces["model, ECE 0.032"]
    assert model["x"] == [0.56, 0.64, 0.93] and model["y"] == [0.5, 0.66, 1.0]
    bars = traces["attempts per bin (model)"]
    assert bars["type"] == "bar" and bars["y"] == [40, 120, 8]
    assert bars["x"] == pytest.approx([0.55, 0.65, 0.95])
    chart = traces["skill chart, ECE 0.123"]
    assert chart["x"] == [0.35, 0.72] and chart["y"] == [0.6, 0.7]
    page = _page(root)
    assert 'id="plot-model-reliability-2"' in page and 'id="figure-model-reliability-2"' in page
    assert "ECE 0.032, skill chart 0.123 · temperature 1.37" in page
    # Trained before the bias: the temperature alone; after: both.
    assert "bias" not in page.split("ECE 0.032, skill chart 0.123")[1].split("</p>")[0]
    version = ModelVersion.objects.get(course=course, number=2)
    version.metrics = {**version.metrics, "answer_bias": 0.253}
    version.save()
    assert "ECE 0.032, skill chart 0.123 · temperature 1.37, bias 0.25" in _page(root)
    # The versions table's ECE column, after whether the version plans paths.
    assert '<th scope="col">Plans paths</th><th scope="col">Validation ECE</th>' in page
    assert "<td>yes</td><td>0.032</td>" in page
    # The table alternative: every bin of the model, then of the chart.
    assert "<td>60–70 %</td><td>120</td><td>64 %</td><td>66 %</td>" in page
    assert "<td>30–40 %</td><td>100</td><td>35 %</td><td>60 %</td>" in page
    assert NOT_RECORDED_NOTE not in page


def test_a_version_trained_before_calibration_says_so_instead_of_a_plot(course: Course,
                                                                       root: Any) -> None:
    _version(course, 1, "retired", 0.70)
    _calibrated(course, 2)
    cards = {card.version.number: card for card in model_dashboard(course).reliability_cards}
    assert cards[1].figure is None and cards[1].note == NOT_RECORDED_NOTE
    page = _page(root)
    assert NOT_RECORDED_NOTE in page and 'id="plot-model-reliability-1"' not in page
    assert "<td>v1</td><td>Retired</td><td>0.700</td><td>–</td><td>yes</td><td>–</td>" in page
    assert 'id="plot-model-reliability-2"' in page


@pytest.mark.parametrize("metrics", [
    [],
    "not metrics",
    {"history": "not a list", "monitor": 3, "valid_chart_auc": "high", "valid_auc": "0.7"},
    {"history": [None, {"epoch": 1}], "valid_ece": "low", "answer_temperature": [1]},
    {"valid_reliability": "not a table", "valid_chart_reliability": {"low": 0}},
    {"valid_reliability": [None], "valid_ece": 0.05},
    {"valid_reliability": [{"low": 0.5, "high": 0.6, "count": "many", "predicted": 0.5,
                            "observed": 0.5}]},
    {"valid_reliability": [{"low": 0.5, "high": 0.6, "count": 3, "predicted": 0.5}]},
    {"valid_reliability": [], "valid_chart_reliability": [{"low": 0.1}]},
])
def test_malformed_or_missing_metrics_never_break_the_dashboard(
    course: Course, root: Any, metrics: Any
) -> None:
    version = _version(course, 1, "active", 0.71)
    version.metrics = metrics
    version.save()
    dashboard = model_dashboard(course)
    for figure in (dashboard.metrics_figure, dashboard.curves_figure):
        go.Figure(figure)
    (card,) = dashboard.reliability_cards
    recorded = isinstance(metrics, dict) and "valid_reliability" in metrics
    assert card.figure is None
    assert card.note == (UNREADABLE_NOTE if recorded else NOT_RECORDED_NOTE)
    page = _page(root)
    assert card.note in page and "v1" in page


def test_only_the_newest_versions_get_a_reliability_plot(course: Course, root: Any) -> None:
    for number in range(1, RELIABILITY_VERSIONS + 3):
        _calibrated(course, number, "retired")
    dashboard = model_dashboard(course)
    assert [card.version.number for card in dashboard.reliability_cards] == list(
        range(RELIABILITY_VERSIONS + 2, 2, -1))
    page = _page(root)
    assert f"The {RELIABILITY_VERSIONS} newest versions" in page
    assert 'id="plot-model-reliability-2"' not in page and "<td>v2</td>" in page


def test_an_unreadable_chart_table_leaves_the_model_plot_without_the_chart(
    course: Course, root: Any
) -> None:
    version = _calibrated(course, 1)
    version.metrics = {**version.metrics, "valid_chart_reliability": [{"low": "x"}],
                       "valid_chart_ece": None, "answer_temperature": "hot"}
    version.save()
    (card,) = model_dashboard(course).reliability_cards
    assert card.figure is not None
    assert [trace["name"] for trace in card.figure["data"]] == [
        "attempts per bin (model)", "perfectly calibrated", "model, ECE 0.032"]
    page = _page(root)
    assert "ECE 0.032</p>" in page and "Skill chart, same learners" not in page
