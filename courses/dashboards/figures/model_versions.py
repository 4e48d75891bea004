"""The admin's model dashboard figures: validation metrics per version, training curves, and
the data volume over time."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from courses.dashboards.figures import layout
from courses.dashboards.rows import VersionRow

STATUS_COLOURS = {"active": "#1f8a4c", "candidate": "#c77c02", "retired": "#8a94a3"}


def axes_layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    """The site's one layout, with titled axes and the legend below."""
    return layout(title, **{
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}},
        "margin": {"l": 60, "r": 70, "t": 60, "b": 50},
        "legend": {"orientation": "h", "y": -0.25},
        **extra,
    })


def metrics_figure(versions: Sequence[VersionRow]) -> dict[str, Any]:
    ordered = sorted(versions, key=lambda v: v.number)
    numbers = [f"v{v.number}" for v in ordered]
    colours = [STATUS_COLOURS.get(v.status, "#444") for v in ordered]
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": label, "x": numbers,
         "y": [getattr(v, field) for v in ordered],
         "marker": {"color": colours, "size": 10}, "line": {"dash": dash},
         "text": [v.status_label for v in ordered],
         "hovertemplate": "%{x} (%{text}): %{y:.3f}<extra>" + label + "</extra>"}
        for label, field, dash in (("validation AUC", "valid_auc", "solid"),
                                   ("validation HR@10", "valid_hr10", "dot"))
    ]
    return {"data": data, "layout": axes_layout(
        "Validation metrics by model version (green: active, orange: candidate)",
        "model version", "metric", yaxis={"title": {"text": "metric"}, "range": [0, 1]},
    )}


def curves_figure(versions: Sequence[VersionRow]) -> dict[str, Any]:
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
    return {"data": data, "layout": axes_layout(
        "Training curves: validation score and training loss per epoch", "epoch",
        "validation score", xaxis={"title": {"text": "epoch"}, "dtick": 1},
        yaxis2={"title": {"text": "training loss"}, "overlaying": "y", "side": "right"},
    )}


def volume_figure(rows: Sequence[tuple[str, int, int]]) -> dict[str, Any]:
    """Attempts per day (bars) and in total (line, right axis); rows are (day, count, total)."""
    data = [
        {"type": "bar", "name": "attempts that day", "x": [r[0] for r in rows],
         "y": [r[1] for r in rows], "marker": {"color": "#9db7f0"}},
        {"type": "scatter", "mode": "lines", "name": "attempts in total", "yaxis": "y2",
         "x": [r[0] for r in rows], "y": [r[2] for r in rows], "line": {"color": "#2f5bd3"}},
    ]
    return {"data": data, "layout": axes_layout(
        "Data volume over time", "day", "attempts per day",
        yaxis2={"title": {"text": "attempts in total"}, "overlaying": "y", "side": "right"},
    )}
