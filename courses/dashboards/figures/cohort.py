"""The class dashboard's heatmap."""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext

from courses.dashboards.figures import LEVEL_COLOURS, LEVEL_RANKS, LEVELS, Figure, layout, plain
from courses.dashboards.rows import HeatmapRow
from courses.queries.charts import SkillColumn, level_label

HEATMAP_CELL_TEXT_LIMIT = 2500
HEATMAP_LABEL_WIDTH = 28


def _level_colourscale() -> list[list[Any]]:
    """Discrete bands: level rank r (0..4) maps to exactly its own colour."""
    steps = len(LEVELS)
    scale: list[list[Any]] = []
    for rank, level in enumerate(LEVELS):
        scale += [[rank / steps, LEVEL_COLOURS[level]], [(rank + 1) / steps, LEVEL_COLOURS[level]]]
    return scale


def heatmap_figure(skills: Sequence[SkillColumn], rows: Sequence[HeatmapRow]) -> Figure:
    """Learners (rows, in the given order, top down) × skills, coloured by level rank."""
    rank = LEVEL_RANKS
    labels = {level.value: level_label(level.value) for level in LEVELS}
    show_text = len(rows) * len(skills) <= HEATMAP_CELL_TEXT_LIMIT
    row_height = 26 if len(rows) <= 60 else 14
    names = [plain(skill.name) for skill in skills]
    short = [textwrap.shorten(skill.name, HEATMAP_LABEL_WIDTH, placeholder="…")
             for skill in skills]
    label_room = int(3.6 * max((len(name) for name in short), default=0))
    return {
        "data": [{
            "type": "heatmap",
            "x": names,
            "y": [plain(row.username) for row in rows],
            "z": [[rank[cell.level] for cell in row.cells] for row in rows],
            "text": [[cell.percent for cell in row.cells] for row in rows],
            "customdata": [[cell.label for cell in row.cells] for row in rows],
            "texttemplate": "%{text}" if show_text else "",
            "textfont": {"size": 11},
            "hovertemplate": "<b>%{y}</b> · %{x}<br>%{customdata} %{text}%<br>"
                             + gettext("Click to open the learner's dashboard") + "<extra></extra>",
            "colorscale": _level_colourscale(),
            "zmin": -0.5, "zmax": len(LEVELS) - 0.5,
            "xgap": 1, "ygap": 1,
            "colorbar": {"title": {"text": gettext("Mastery level")},
                         "tickvals": list(range(len(LEVELS))),
                         "ticktext": [labels[level.value] for level in LEVELS], "len": 0.9,
                         "lenmode": "fraction", "thickness": 14},
        }],
        "layout": layout(
            gettext("Mastery by learner and skill"),
            height=125 + label_room + row_height * len(rows),
            xaxis={"title": {"text": gettext("Skill (prerequisites first)")}, "side": "top",
                   "tickangle": -40, "tickfont": {"size": 11}, "tickvals": names,
                   "ticktext": [plain(name) for name in short]},
            yaxis={"title": {"text": gettext("Learner")}, "autorange": "reversed",
                   "type": "category",
                   "tickfont": {"size": 11}},
            margin={"l": 110, "r": 20, "t": 85 + label_room, "b": 20},
        ),
    }


