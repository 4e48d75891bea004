"""Teacher dashboard (:func:`class_dashboard`)
The *heatmap* is learners × skills (skills in the graph's topological order), coloured by
mastery level, with the P(mastery) in per cent as text (``~45`` for a skill only estimated from
the skills that build on it). Rows sort by :data:`HEATMAP_SORTS`.

*Who needs help* flags a learner, with a reason line per kind, when they are inactive (no
answer for a week, or none while classmates have started), stuck on a skill most of the class
gets through (wrong answers well above what the classmates who got it needed), or far behind
the class's median mastery: the rule and its thresholds are :mod:`courses.dashboards.needs_help`
(:data:`~courses.dashboards.needs_help.HELP_RULE`), and the page states them under *Why
flagged*. A stuck line names the worst :data:`~courses.dashboards.needs_help.REASON_EXAMPLES`
skills (most wrong answers) and counts the others; learners with the most kinds of reason come
first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy

from courses.dashboards.figures import LEVEL_COLOURS, LEVELS, Figure
from courses.dashboards.figures.cohort import heatmap_figure
from courses.dashboards.needs_help import HELP_RULE, flags
from courses.dashboards.rows import HeatmapRow
from courses.models import Cohort
from courses.queries.charts import ESTIMATED_CELL_NOTE, SkillColumn, class_grid, level_label

HEATMAP_SORTS = {
    "name": gettext_lazy("name"),
    "mastery": gettext_lazy("mastery, lowest first"),
    "activity": gettext_lazy("last active, longest ago first"),
    "help": gettext_lazy("needs help first"),
}


@dataclass(frozen=True)
class ClassDashboard:
    cohort_id: int
    skills: list[SkillColumn]
    rows: list[HeatmapRow]
    sort: str
    figure: Figure
    legend: list[tuple[str, str, str]]
    help_rule: list[str]
    started: bool

    @property
    def estimated_note(self) -> str:
        return str(ESTIMATED_CELL_NOTE)

    @property
    def needs_help(self) -> list[HeatmapRow]:
        """Flagged learners, the most reasons first."""
        return sorted((r for r in self.rows if r.reasons), key=lambda r: (-len(r.reasons),
                                                                          r.username))


def _sorted_rows(rows: list[HeatmapRow], sort: str) -> list[HeatmapRow]:
    by_name = sorted(rows, key=lambda r: r.username)
    if sort == "mastery":
        return sorted(by_name, key=lambda r: r.mean_percent)
    if sort == "activity":
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(by_name, key=lambda r: r.last_active or oldest)
    if sort == "help":
        return sorted(by_name, key=lambda r: -len(r.reasons))
    return by_name


def class_dashboard(cohort: Cohort, *, sort: str = "name", now: datetime | None = None
                    ) -> ClassDashboard:
    """The class heatmap and who needs help, in the class grid's queries (six) whatever the
    class size."""
    now = now or timezone.now()
    grid = class_grid(cohort)
    reasons = flags(grid.skills, grid.rows, now)
    rows = [
        HeatmapRow(
            learner_id=row.learner_id, username=row.username, full_name=row.full_name,
            attempts=row.attempts, last_active=row.last_active, mean_percent=row.mean_percent,
            cells=row.cells, reasons=[flag.text for flag in reasons[row.learner_id]],
        )
        for row in grid.rows
    ]
    sort = sort if sort in HEATMAP_SORTS else "name"
    rows = _sorted_rows(rows, sort)
    return ClassDashboard(
        cohort_id=cohort.pk, skills=grid.skills, rows=rows, sort=sort,
        figure=heatmap_figure(grid.skills, rows),
        legend=[(level.value, level_label(level.value), LEVEL_COLOURS[level]) for level in LEVELS],
        help_rule=HELP_RULE.notes(),
        started=any(row.last_active is not None for row in grid.rows),
    )
