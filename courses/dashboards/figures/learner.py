"""The learner dashboard's figures: skill graph, ability radar, mastery timeline, activity."""
from __future__ import annotations

import textwrap
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from django.utils.translation import gettext, ngettext

from courses.dashboards.figures import (
    CLASS_COLOUR,
    LEVEL_COLOURS,
    LEVELS,
    PATH_COLOUR,
    READY_COLOUR,
    RIGHT_COLOUR,
    WRONG_COLOUR,
    YOU_COLOUR,
    Figure,
    layout,
    plain,
)
from courses.dashboards.graph_layout import graph_layout
from courses.dashboards.rows import DayActivity
from courses.queries.charts import ESTIMATED_LABEL, level_label, percent
from learnpath import mastery
from learnpath.skillgraph import SkillGraph

LABEL_WIDTH = 14


def _wrap(name: str) -> str:
    lines = textwrap.wrap(name, LABEL_WIDTH, break_long_words=False) or [name]
    return "<br>".join(plain(line) for line in lines)


def _edge_arrows(graph: SkillGraph, at: Mapping[str, tuple[float, float]]) -> list[dict[str, Any]]:
    return [
        {
            "x": at[skill][0], "y": at[skill][1], "ax": at[prerequisite][0],
            "ay": at[prerequisite][1], "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
            "text": "", "showarrow": True, "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": 1.3,
            "arrowcolor": "#9aa3b0", "standoff": 16, "startstandoff": 16,
        }
        for prerequisite, skill in sorted(graph.graph.edges)
    ]


def _ring(name: str, keys: Mapping[str, list[str]], at: Mapping[str, tuple[float, float]],
          colour: str, size: int, numbered: bool) -> Figure:
    """Open circles around ``keys`` (skill -> labels, e.g. the path steps on that skill)."""
    trace: Figure = {
        "type": "scatter", "name": name, "mode": "markers",
        "x": [at[k][0] for k in keys], "y": [at[k][1] for k in keys],
        "marker": {"symbol": "circle-open", "size": size, "color": colour,
                   "line": {"width": 3, "color": colour}},
        "hoverinfo": "skip",
    }
    if numbered:
        trace.update(mode="markers+text", text=[",".join(numbers) for numbers in keys.values()],
                     textposition="middle center",
                     textfont={"size": 12, "color": "#1d2530"})
    return trace


def _level_nodes(graph: SkillGraph, level: mastery.MasteryLevel, keys: Sequence[str],
                 percents: Mapping[str, int], at: Mapping[str, tuple[float, float]],
                 estimated: Set[str]) -> Figure:
    label = level_label(level.value)
    return {
        "type": "scatter", "name": label, "mode": "markers+text",
        "x": [at[k][0] for k in keys], "y": [at[k][1] for k in keys],
        "text": [_wrap(graph.name(k)) for k in keys], "textposition": "bottom center",
        "textfont": {"size": 11},
        "customdata": [
            [plain(graph.name(k)), str(ESTIMATED_LABEL) if k in estimated else label,
             f"{percents[k]}% mastery" if k in percents else "no answers"]
            for k in keys
        ],
        "hovertemplate": "<b>%{customdata[0]}</b><br>%{customdata[1]} · %{customdata[2]}"
                         "<extra></extra>",
        "marker": {"size": 26, "color": LEVEL_COLOURS[level],
                   "line": {"width": 1.5, "color": "#4a5563"}},
    }


def skill_graph_figure(
    graph: SkillGraph,
    levels: Mapping[str, str],
    percents: Mapping[str, int],
    ready: Sequence[str],
    path: Sequence[str],
    estimated: Set[str] = frozenset(),
) -> Figure:
    """Nodes by mastery level (a legend entry per level present); the frontier ringed, and the
    path's skills ringed and numbered with their step numbers (``path`` = skill per step).
    ``estimated`` skills (no answers of their own) say so when hovered."""
    at = graph_layout(graph)
    keys_by_level: dict[str, list[str]] = defaultdict(list)
    for key in graph.topological_order():
        keys_by_level[levels.get(key, mastery.MasteryLevel.NOT_STARTED.value)].append(key)
    traces = [
        _level_nodes(graph, level, keys_by_level[level.value], percents, at, estimated)
        for level in LEVELS
        if keys_by_level.get(level.value)
    ]
    steps: dict[str, list[str]] = {}
    for number, key in enumerate(path, start=1):
        steps.setdefault(key, []).append(str(number))
    if ready:
        traces.append(_ring(gettext("Ready to learn"), {key: [] for key in ready}, at,
                            READY_COLOUR, 38, numbered=False))
    if steps:
        traces.append(_ring(gettext("Recommended path"), steps, at, PATH_COLOUR, 31, numbered=True))
    widest = max(Counter(x for x, _ in at.values()).values(), default=1)
    right = max((x for x, _ in at.values()), default=0.0)
    top = max((y for _, y in at.values()), default=0.0)
    return {
        "data": traces,
        "layout": layout(
            gettext("Skill graph"),
            height=220 + 95 * widest,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            annotations=_edge_arrows(graph, at),
            xaxis={"title": {"text": gettext("← learnt first · prerequisites point to the "
                                             "skills they open →")},
                   "showgrid": False, "zeroline": False, "showticklabels": False,
                   "range": [-0.45, right + 0.45], "fixedrange": True},
            yaxis={"visible": False, "range": [-top - 0.85, top + 0.4], "fixedrange": True},
            hovermode="closest",
            margin={"l": 20, "r": 20, "t": 90, "b": 50},
        ),
    }


def ability_figure(
    ability: Mapping[str, float],
    class_ability: Mapping[str, float] | None,
    class_name: str,
    own_label: str = "",
) -> Figure:
    """Radar of mean mastery per area (%); the class average as a second, grey outline."""
    areas = list(ability)
    labels = [plain(area) for area in areas]

    def outline(name: str, values: Mapping[str, float], colour: str, fill: str) -> Figure:
        r = [percent(values.get(area, 0.0)) for area in areas]
        return {
            "type": "scatterpolar", "name": name, "theta": [*labels, labels[0]] if areas else [],
            "r": [*r, r[0]] if r else [], "mode": "lines+markers", "fill": fill,
            "line": {"color": colour, "width": 2.5}, "marker": {"size": 6},
            "hovertemplate": "%{theta}: %{r}%<extra>" + name + "</extra>",
        }

    traces = [outline(plain(own_label or gettext("You")), ability, YOU_COLOUR, "toself")]
    if class_ability is not None:
        traces.insert(0, outline(gettext("Class average (%(name)s)") % {"name": plain(class_name)},
                                 class_ability,
                                 CLASS_COLOUR, "none"))
    return {
        "data": traces,
        "layout": layout(
            gettext("Ability by area (mean mastery, %)"),
            height=420,
            polar={"radialaxis": {"range": [0, 100], "ticksuffix": "%", "angle": 45,
                                  "tickfont": {"size": 10}, "gridcolor": "#d9dee5"},
                   "angularaxis": {"gridcolor": "#d9dee5", "direction": "clockwise"}},
            legend={"orientation": "h", "x": 0, "y": -0.08},
            margin={"l": 70, "r": 70, "t": 70, "b": 50},
        ),
    }


def _threshold_lines() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    thresholds = [(gettext("Familiar"), mastery.FAMILIAR_P),
                  (gettext("Proficient"), mastery.PROFICIENT_P),
                  (gettext("Mastered"), mastery.MASTERED_P)]
    shapes = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 100 * p,
         "y1": 100 * p, "line": {"color": "#b8c0cc", "width": 1, "dash": "dot"}}
        for _, p in thresholds
    ]
    notes = [
        {"xref": "paper", "x": 1.01, "xanchor": "left", "yref": "y", "y": 100 * p,
         "yanchor": "middle", "text": f"{name} {percent(p)}%", "showarrow": False,
         "font": {"size": 10, "color": "#5b6675"}}
        for name, p in thresholds
    ]
    return shapes, notes


def timeline_figure(
    series: Mapping[str, Sequence[tuple[str, float]]],
    names: Mapping[str, str],
    chosen: Iterable[str],
) -> Figure:
    """A step line of P(mastery) (%) per skill; skills not chosen start hidden (legend only)."""
    shown = set(chosen)
    shapes, notes = _threshold_lines()
    traces = [
        {
            "type": "scatter", "mode": "lines+markers", "name": plain(names[key]),
            "x": [at for at, _ in points], "y": [percent(p) for _, p in points],
            "line": {"shape": "hv", "width": 2}, "marker": {"size": 5},
            "visible": True if key in shown else "legendonly",
            "hovertemplate": f"%{{x|%b %d %H:%M}}: %{{y}}%<extra>{plain(names[key])}</extra>",
        }
        for key, points in series.items()
    ]
    return {
        "data": traces,
        "layout": layout(
            gettext("Mastery over time"),
            shapes=shapes,
            annotations=notes,
            xaxis={"title": {"text": gettext("Date")}, "type": "date"},
            yaxis={"title": {"text": gettext("Mastery (%)")}, "range": [0, 102], "ticksuffix": "%"},
            legend={"title": {"text": gettext("Skills (click to show or hide):")},
                    "orientation": "h",
                    "x": 0, "y": -0.2, "yanchor": "top"},
            hovermode="closest",
            height=420 + 22 * ((len(traces) + 2) // 3),
            margin={"l": 60, "r": 100, "t": 60, "b": 60},
        ),
    }


def activity_figure(days: Sequence[DayActivity]) -> Figure:
    """Right and wrong answers per day as stacked bars; minutes practised on a second axis."""
    x = [day.day.isoformat() for day in days]
    return {
        "data": [
            {"type": "bar", "name": gettext("Right answers"), "x": x,
             "y": [d.correct for d in days], "marker": {"color": RIGHT_COLOUR},
             "hovertemplate": gettext("%{x}: %{y} right") + "<extra></extra>"},
            {"type": "bar", "name": gettext("Wrong answers"), "x": x,
             "y": [d.attempts - d.correct for d in days], "marker": {"color": WRONG_COLOUR},
             "hovertemplate": gettext("%{x}: %{y} wrong") + "<extra></extra>"},
            {"type": "scatter", "name": gettext("Minutes practised"), "x": x,
             "y": [d.minutes for d in days], "yaxis": "y2", "mode": "lines+markers",
             "line": {"color": "#1d2530", "width": 2},
             "hovertemplate": gettext("%{x}: %{y} min") + "<extra></extra>"},
        ],
        "layout": layout(
            ngettext("Practice per day (last %(count)s day)",
                     "Practice per day (last %(count)s days)", len(days)) % {"count": len(days)},
            height=360,
            barmode="stack",
            xaxis={"title": {"text": gettext("Day")}, "type": "date"},
            yaxis={"title": {"text": gettext("Answers")}, "rangemode": "tozero"},
            yaxis2={"title": {"text": gettext("Minutes")}, "overlaying": "y", "side": "right",
                    "rangemode": "tozero", "showgrid": False, "tickmode": "auto"},
            legend={"orientation": "h", "x": 0, "y": -0.25},
            margin={"l": 60, "r": 60, "t": 60, "b": 80},
        ),
    }


