"""The class's skills and exercises: success and answers to mastery, predicted vs observed."""
from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext

from courses.dashboards.figures import READY_COLOUR, RIGHT_COLOUR, Figure, layout, plain
from courses.dashboards.rows import ExerciseStat, SkillStat


def skill_stats_figure(stats: Sequence[SkillStat]) -> Figure:
    """Two bar panels sharing the skill axis: success rate, and median answers to mastery."""
    names = [plain(s.name) for s in stats]
    return {
        "data": [
            {"type": "bar", "orientation": "h", "name": gettext("Success rate (%)"),
             "y": names,
             "x": [s.success_percent for s in stats], "xaxis": "x", "yaxis": "y",
             "marker": {"color": RIGHT_COLOUR},
             "hovertemplate": gettext("%{y}: %{x}% right") + "<extra></extra>"},
            {"type": "scatter", "mode": "markers", "name": gettext("Predicted success (%)"),
             "y": names,
             "x": [s.predicted_percent for s in stats], "xaxis": "x", "yaxis": "y",
             "marker": {"color": "#1d2530", "symbol": "line-ns-open", "size": 16,
                        "line": {"width": 3}},
             "hovertemplate": gettext("%{y}: %{x}% predicted") + "<extra></extra>"},
            {"type": "bar", "orientation": "h", "name": gettext("Answers to mastery (median)"),
             "y": names, "x": [s.attempts_to_mastery for s in stats], "xaxis": "x2",
             "yaxis": "y", "marker": {"color": READY_COLOUR},
             "hovertemplate": gettext("%{y}: %{x} answers to mastery") + "<extra></extra>"},
        ],
        "layout": layout(
            gettext("Skills: success and answers to mastery"),
            height=160 + 26 * len(stats),
            xaxis={"domain": [0, 0.48], "range": [0, 100], "ticksuffix": "%",
                   "title": {"text": gettext("Answers right (%)")}},
            xaxis2={"domain": [0.56, 1], "rangemode": "tozero", "anchor": "y",
                    "title": {"text": gettext("Answers until mastered (median)")}},
            yaxis={"autorange": "reversed", "automargin": True},
            legend={"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
            margin={"l": 20, "r": 20, "t": 90, "b": 60},
        ),
    }


def exercise_difficulty_figure(stats: Sequence[ExerciseStat]) -> Figure:
    """Predicted vs observed success per exercise; below the diagonal = harder than predicted."""
    answered = [e for e in stats if e.attempts and e.predicted_percent is not None]

    def points(name: str, group: list[ExerciseStat], colour: str) -> Figure:
        return {
            "type": "scatter", "mode": "markers", "name": name,
            "x": [e.predicted_percent for e in group], "y": [e.success_percent for e in group],
            "customdata": [[e.key, plain(e.skills), e.attempts] for e in group],
            "marker": {"color": colour, "opacity": 0.8, "line": {"width": 1, "color": "#fff"},
                       "size": [min(30, 7 + 1.5 * e.attempts ** 0.5) for e in group]},
            "hovertemplate": "<b>%{customdata[0]}</b> (%{customdata[1]})<br>"
                             + gettext("predicted %{x}%, observed %{y}% over %{customdata[2]} "
                                       "answers") + "<extra></extra>",
        }

    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": gettext("As predicted"), "x": [0, 100],
             "y": [0, 100], "line": {"color": "#b8c0cc", "dash": "dash"}, "hoverinfo": "skip"},
            points(gettext("Exercise"), [e for e in answered if not e.broken], READY_COLOUR),
            points(gettext("Looks broken"), [e for e in answered if e.broken], "#c0392b"),
        ],
        "layout": layout(
            gettext("Exercises: predicted vs observed success"),
            height=460,
            xaxis={"title": {"text": gettext("Predicted success before the answer (%)")},
                   "range": [0, 101], "ticksuffix": "%"},
            yaxis={"title": {"text": gettext("Observed success (%)")}, "range": [-2, 102],
                   "ticksuffix": "%"},
            annotations=[
                {"x": 98, "y": 4, "xanchor": "right", "text": gettext("harder than predicted"),
                 "showarrow": False, "font": {"color": "#5b6675", "size": 11}},
                {"x": 2, "y": 96, "xanchor": "left", "text": gettext("easier than predicted"),
                 "showarrow": False, "font": {"color": "#5b6675", "size": 11}},
            ],
            legend={"orientation": "h", "x": 0, "y": 1, "yanchor": "bottom"},
            margin={"l": 60, "r": 20, "t": 90, "b": 60},
        ),
    }
