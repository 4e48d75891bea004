"""The admin's view of a course's models: versions and their validation metrics, the training
curve of each run, the data volume over time, and the latest retraining runs. Plain data and
Plotly figure dicts; a fixed number of queries whatever the history."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate

from courses.models import Attempt, Course, ModelVersion, TrainingRun

RECENT_RUNS = 15
_STATUS_COLOURS = {"active": "#1f8a4c", "candidate": "#c77c02", "retired": "#8a94a3"}


@dataclass(frozen=True)
class ModelDashboard:
    course: Course
    versions: list[ModelVersion]
    runs: list[TrainingRun]
    metrics_figure: dict[str, Any]
    curves_figure: dict[str, Any]
    volume_figure: dict[str, Any]
    volume_rows: list[tuple[str, int, int]]


def _layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}},
        "margin": {"l": 60, "r": 70, "t": 50, "b": 50},
        "legend": {"orientation": "h", "y": -0.25},
        **extra,
    }


def metrics_figure(versions: list[ModelVersion]) -> dict[str, Any]:
    ordered = sorted(versions, key=lambda v: v.number)
    numbers = [f"v{v.number}" for v in ordered]
    colours = [_STATUS_COLOURS.get(v.status, "#444") for v in ordered]
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": label, "x": numbers,
         "y": [getattr(v, field) for v in ordered],
         "marker": {"color": colours, "size": 10}, "line": {"dash": dash},
         "text": [v.get_status_display() for v in ordered],
         "hovertemplate": "%{x} (%{text}): %{y:.3f}<extra>" + label + "</extra>"}
        for label, field, dash in (("validation AUC", "valid_auc", "solid"),
                                   ("validation HR@10", "valid_hr10", "dot"))
    ]
    return {"data": data, "layout": _layout(
        "Validation metrics by model version (green: active, orange: candidate)",
        "model version", "metric", yaxis={"title": {"text": "metric"}, "range": [0, 1]},
    )}


def curves_figure(versions: list[ModelVersion]) -> dict[str, Any]:
    """Each version's training run, epoch by epoch: the validation score early stopping
    watches (solid) and the training loss (dotted, right axis)."""
    data: list[dict[str, Any]] = []
    for version in sorted(versions, key=lambda v: v.number):
        history = version.metrics.get("history") or []
        monitor = version.metrics.get("monitor", "auc").upper()
        epochs = [row.get("epoch") for row in history]
        if any("valid_score" in row for row in history):
            data.append({"type": "scatter", "mode": "lines+markers",
                         "name": f"v{version.number} validation {monitor}", "x": epochs,
                         "y": [row.get("valid_score") for row in history]})
        if history:
            data.append({"type": "scatter", "mode": "lines", "line": {"dash": "dot"},
                         "name": f"v{version.number} training loss", "x": epochs, "yaxis": "y2",
                         "y": [row.get("train_loss") for row in history]})
    layout = _layout("Training curves: validation score and training loss per epoch", "epoch",
                     "validation score", xaxis={"title": {"text": "epoch"}, "dtick": 1},
                     yaxis2={"title": {"text": "training loss"}, "overlaying": "y",
                             "side": "right"})
    return {"data": data, "layout": layout}


def volume(course: Course) -> tuple[dict[str, Any], list[tuple[str, int, int]]]:
    """Attempts per day and in total, with each model version's training data size."""
    per_day = list(
        Attempt.objects.filter(course=course)
        .annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
        .values_list("day", "count")
    )
    rows, total = [], 0
    for day, count in per_day:
        total += count
        rows.append((day.isoformat(), count, total))
    data = [
        {"type": "bar", "name": "attempts that day", "x": [r[0] for r in rows],
         "y": [r[1] for r in rows], "marker": {"color": "#9db7f0"}},
        {"type": "scatter", "mode": "lines", "name": "attempts in total", "yaxis": "y2",
         "x": [r[0] for r in rows], "y": [r[2] for r in rows], "line": {"color": "#2f5bd3"}},
    ]
    layout = _layout("Data volume over time", "day", "attempts per day",
                     yaxis2={"title": {"text": "attempts in total"}, "overlaying": "y",
                             "side": "right"})
    return {"data": data, "layout": layout}, rows


def model_dashboard(course: Course) -> ModelDashboard:
    versions = list(ModelVersion.objects.filter(course=course).order_by("-number"))
    runs = list(
        TrainingRun.objects.filter(course=course).select_related("model_version")[:RECENT_RUNS]
    )
    volume_figure, volume_rows = volume(course)
    return ModelDashboard(
        course=course,
        versions=versions,
        runs=runs,
        metrics_figure=metrics_figure(versions),
        curves_figure=curves_figure(versions),
        volume_figure=volume_figure,
        volume_rows=volume_rows,
    )
