"""The admin's model dashboard figures: validation metrics per version, training curves, the
reliability of each version's predictions, and the data volume over time."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext

from courses.dashboards.figures import layout
from courses.dashboards.rows import ReliabilityBin, VersionRow

STATUS_COLOURS = {"active": "#1f8a4c", "candidate": "#c77c02", "retired": "#8a94a3"}
MODEL_COLOUR = "#2f5bd3"
CHART_COLOUR = "#e8730c"
COUNT_COLOUR = "#c9d6f5"


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
        for label, field, dash in ((gettext("validation AUC"), "valid_auc", "solid"),
                                   (gettext("validation HR@10"), "valid_hr10", "dot"))
    ]
    return {"data": data, "layout": axes_layout(
        gettext("Validation metrics by model version (green: active, orange: candidate)"),
        gettext("model version"), gettext("metric"),
        yaxis={"title": {"text": gettext("metric")}, "range": [0, 1]},
    )}


def training_history(version: VersionRow) -> list[dict[str, Any]]:
    """The version's stored epochs (epoch, valid_score, train_loss), unreadable entries left out."""
    stored = version.metrics.get("history")
    return [row for row in stored if isinstance(row, dict)] if isinstance(stored, list) else []


def monitored_metric(version: VersionRow) -> str:
    return str(version.metrics.get("monitor") or "auc").upper()


def curves_figure(versions: Sequence[VersionRow]) -> dict[str, Any]:
    """Each version's training run, epoch by epoch: the validation score early stopping
    watches (solid) and the training loss (dotted, right axis)."""
    data: list[dict[str, Any]] = []
    for version in sorted(versions, key=lambda v: v.number):
        history = training_history(version)
        monitor = monitored_metric(version)
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
        gettext("Training curves: validation score and training loss per epoch"), gettext("epoch"),
        gettext("validation score"), xaxis={"title": {"text": gettext("epoch")}, "dtick": 1},
        yaxis2={"title": {"text": gettext("training loss")}, "overlaying": "y",
                "side": "right"},
    )}


def _ece(value: float | None) -> str:
    return "ECE –" if value is None else f"ECE {value:.3f}"


def _reliability_trace(name: str, bins: Sequence[ReliabilityBin], colour: str,
                       symbol: str) -> dict[str, Any]:
    return {"type": "scatter", "mode": "lines+markers", "name": name, "yaxis": "y2",
            "x": [b.predicted for b in bins], "y": [b.observed for b in bins],
            "customdata": [[b.count, b.low, b.high] for b in bins],
            "line": {"color": colour}, "marker": {"color": colour, "size": 8, "symbol": symbol},
            "hovertemplate": "predicted %{x:.0%}, observed %{y:.0%} (%{customdata[0]} attempts "
                             "predicted %{customdata[1]:.0%}–%{customdata[2]:.0%})<extra>"
                             + name + "</extra>"}


def reliability_figure(version: VersionRow) -> dict[str, Any]:
    """Predicted chance of success against the observed rate of right answers, per bin of the
    prediction, on the version's validation learners: the model's (after calibration),
    the skill chart's when it was recorded, the diagonal a calibrated model would follow, and
    the model's attempts per bin (bars, right axis). The rates are on the overlaying axis so
    that their lines are drawn over the bars."""
    bins = version.reliability or ()
    data: list[dict[str, Any]] = [
        {"type": "bar", "name": gettext("attempts per bin (model)"),
         "x": [(b.low + b.high) / 2 for b in bins], "y": [b.count for b in bins],
         "width": [(b.high - b.low) * 0.9 for b in bins], "marker": {"color": COUNT_COLOUR},
         "customdata": [[b.low, b.high] for b in bins],
         "hovertemplate": "%{y} attempts predicted %{customdata[0]:.0%}–%{customdata[1]:.0%}"
                          "<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": gettext("perfectly calibrated"),
         "yaxis": "y2",
         "x": [0, 1], "y": [0, 1], "line": {"color": "#8a94a3", "dash": "dash", "width": 1},
         "hoverinfo": "skip"},
        _reliability_trace(gettext("model, %(ece)s") % {"ece": _ece(version.ece)}, bins,
                           MODEL_COLOUR, "circle"),
    ]
    if version.chart_reliability:
        data.append(_reliability_trace(gettext("skill chart, %(ece)s")
                                       % {"ece": _ece(version.chart_ece)},
                                       version.chart_reliability, CHART_COLOUR, "diamond"))
    percent = {"range": [0, 1], "tickformat": ".0%", "dtick": 0.2}
    return {"data": data, "layout": axes_layout(
        gettext("v%(number)s: predicted against observed success") % {"number": version.number},
        gettext("predicted chance of success"), gettext("attempts"),
        margin={"l": 60, "r": 60, "t": 60, "b": 150},
        xaxis={"title": {"text": gettext("predicted chance of success")}, **percent},
        yaxis={"title": {"text": gettext("attempts")}, "side": "right", "rangemode": "tozero",
               "showgrid": False},
        yaxis2={"title": {"text": gettext("observed rate of right answers")}, "overlaying": "y",
                "side": "left", **percent},
        # At the foot of the figure, in the bottom margin, however many rows it wraps to.
        legend={"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0,
                "yanchor": "bottom"},
    )}


def volume_figure(rows: Sequence[tuple[str, int, int]]) -> dict[str, Any]:
    """Attempts per day (bars) and in total (line, right axis); rows are (day, count, total)."""
    data = [
        {"type": "bar", "name": gettext("attempts that day"), "x": [r[0] for r in rows],
         "y": [r[1] for r in rows], "marker": {"color": "#9db7f0"}},
        {"type": "scatter", "mode": "lines", "name": gettext("attempts in total"),
         "yaxis": "y2",
         "x": [r[0] for r in rows], "y": [r[2] for r in rows], "line": {"color": "#2f5bd3"}},
    ]
    return {"data": data, "layout": axes_layout(
        gettext("Data volume over time"), gettext("day"), gettext("attempts per day"),
        yaxis2={"title": {"text": gettext("attempts in total")}, "overlaying": "y",
                "side": "right"},
    )}
