"""Plotly figures for the dashboards, as plain ``{"data": [...], "layout": {...}}`` dicts for
``Plotly.newPlot``: one palette and one layout for every chart. Builders take frozen rows
(:mod:`courses.dashboards.rows`) or plain values, never querysets."""
from __future__ import annotations

import html
from typing import Any

from django.utils.formats import get_format

from learnpath import mastery

Figure = dict[str, Any]

LEVELS = list(mastery.MasteryLevel)
LEVEL_RANKS = {level.value: level.rank for level in LEVELS}
LEVEL_COLOURS = {
    mastery.MasteryLevel.NOT_STARTED: "#eef0f3",
    mastery.MasteryLevel.ATTEMPTED: "#fbd49c",
    mastery.MasteryLevel.FAMILIAR: "#fff08a",
    mastery.MasteryLevel.PROFICIENT: "#a9dfa0",
    mastery.MasteryLevel.MASTERED: "#45b362",
}
READY_COLOUR = "#2f5bd3"
PATH_COLOUR = "#e8730c"
YOU_COLOUR = "#2f5bd3"
CLASS_COLOUR = "#8a94a3"
RIGHT_COLOUR = "#45b362"
WRONG_COLOUR = "#e07b6a"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13,
        "color": "#1d2530"}


def layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "y": 1, "yref": "container",
                  "yanchor": "top", "pad": {"t": 14}, "font": {"size": 17}},
        "font": FONT,
        # Decimal and thousands separators of the page's language (Plotly's own date words
        # stay English: it is served without its locale files).
        "separators": f"{get_format('DECIMAL_SEPARATOR')}{get_format('THOUSAND_SEPARATOR')}",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 60, "r": 30, "t": 60, "b": 60},
        **extra,
    }


def plain(text: str) -> str:
    """Plotly reads some HTML tags and entities in labels: escape names so they show as typed."""
    return html.escape(text, quote=False)


