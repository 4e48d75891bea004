"""The class dashboard's assignments chart: learners by status, one bar per assignment."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from courses.dashboards.figures import RIGHT_COLOUR, WRONG_COLOUR, Figure, layout, plain
from courses.queries.assignments import STATUSES

if TYPE_CHECKING:
    from courses.dashboards.assignments import AssignmentSummary

STATUS_COLOURS = {"done": RIGHT_COLOUR, "on_track": "#a9dfa0", "behind": "#fbd49c",
                  "overdue": WRONG_COLOUR}


def assignments_figure(summaries: Sequence[AssignmentSummary]) -> Figure:
    """Stacked horizontal bars (assignments by due date, top down) of learners per status; the
    hover gives the share of the time to the due date gone and the mean progress."""
    labels = [plain(f"{s.title} · {timezone.localtime(s.due_at):%d %b}") for s in summaries]
    return {
        "data": [{
            "type": "bar", "orientation": "h", "name": label,
            "y": labels, "x": [s.counts[status] for s in summaries],
            "marker": {"color": STATUS_COLOURS[status]},
            "customdata": [[s.elapsed_percent, s.mean_percent] for s in summaries],
            "hovertemplate": f"<b>%{{y}}</b><br>{label}: %{{x}} learners<br>"
                             "Time gone: %{customdata[0]}% · mean progress: "
                             "%{customdata[1]}%<extra></extra>",
        } for status, label in STATUSES.items()],
        "layout": layout(
            "Learners by assignment status",
            barmode="stack", height=140 + 38 * max(len(summaries), 1),
            xaxis={"title": {"text": "Learners"}, "rangemode": "tozero"},
            yaxis={"autorange": "reversed", "type": "category", "automargin": True},
            legend={"orientation": "h", "y": -0.25},
        ),
    }
