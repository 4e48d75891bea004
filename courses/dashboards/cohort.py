"""Teacher dashboard (:func:`class_dashboard`)
The *heatmap* is learners × skills (skills in the graph's topological order), coloured by
mastery level, with the P(mastery) in per cent as text. Rows sort by :data:`HEATMAP_SORTS`.
*Who needs help* flags a learner, with each reason, when

- they have no attempt in the course yet, or none for :data:`INACTIVE_AFTER_DAYS` days;
- a skill's mastery is falling: it peaked at proficient or better (P ≥ 0.80) and is now
  :data:`learnpath.mastery.FALLING_DROP` or more below the peak (the review rule);
- they are stuck on a skill: :data:`STRUGGLING_FAILURES` or more wrong answers on it and
  still below proficient.

Each kind is one line naming the worst :data:`REASON_EXAMPLES` skills (largest drop, most
wrong answers) and counting the others; learners with the most kinds of reason come first.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from django.db.models import F, Q
from django.utils import timezone

from courses.dashboards.figures import LEVEL_COLOURS, LEVEL_RANKS, LEVELS, Figure
from courses.dashboards.figures.cohort import heatmap_figure
from courses.dashboards.rows import HeatmapRow
from courses.models import Cohort, SkillState
from courses.queries.charts import SkillColumn, class_grid, level_label, percent
from learnpath import mastery

INACTIVE_AFTER_DAYS = 7
STRUGGLING_FAILURES = 5
REASON_EXAMPLES = 2
HEATMAP_SORTS = {
    "name": "name",
    "mastery": "mastery, lowest first",
    "activity": "last active, longest ago first",
    "help": "needs help first",
}


@dataclass(frozen=True)
class ClassDashboard:
    cohort_id: int
    skills: list[SkillColumn]
    rows: list[HeatmapRow]
    sort: str
    figure: Figure
    legend: list[tuple[str, str, str]]

    @property
    def needs_help(self) -> list[HeatmapRow]:
        """Flagged learners, the most reasons first."""
        return sorted((r for r in self.rows if r.reasons), key=lambda r: (-len(r.reasons),
                                                                          r.username))


class _FlaggedState(NamedTuple):
    learner_id: int
    skill_id: int
    p_mastery: float
    level: str
    peak: float
    attempts: int
    correct: int


_PROFICIENT_RANK = LEVEL_RANKS[mastery.MasteryLevel.PROFICIENT.value]
# The SQL preselection is a little looser than the rules, so rounding never hides a case.
_SQL_SLACK = 1e-9


def _inactivity(last_active: datetime | None, now: datetime) -> list[str]:
    if last_active is None:
        return ["no attempts yet"]
    idle_days = (now - last_active).days
    return [f"no activity for {idle_days} days"] if idle_days >= INACTIVE_AFTER_DAYS else []


def _is_falling(state: _FlaggedState) -> bool:
    return state.peak >= mastery.PROFICIENT_P and state.peak - state.p_mastery >= (
        mastery.FALLING_DROP
    )


def _is_stuck(state: _FlaggedState) -> bool:
    return (state.attempts - state.correct >= STRUGGLING_FAILURES
            and LEVEL_RANKS[state.level] < _PROFICIENT_RANK)


def _summary(what: str, details: list[str]) -> str:
    """One reason line naming the worst :data:`REASON_EXAMPLES` skills and counting the rest."""
    if len(details) == 1:
        return f"{what} {details[0]}"
    shown = ", ".join(details[:REASON_EXAMPLES])
    rest = len(details) - REASON_EXAMPLES
    return f"{what} {len(details)} skills: {shown}" + (f" and {rest} more" if rest > 0 else "")


def _skill_reasons(states: Sequence[_FlaggedState], names: Mapping[int, str]) -> list[str]:
    """The falling and stuck rules of the module docstring: one line each, worst skills first."""
    falling = sorted((s for s in states if _is_falling(s)), key=lambda s: s.p_mastery - s.peak)
    stuck = sorted((s for s in states if _is_stuck(s)), key=lambda s: s.correct - s.attempts)
    reasons = []
    if falling:
        reasons.append(_summary("mastery falling on", [
            f"{names[s.skill_id]} ({percent(s.peak)}% → {percent(s.p_mastery)}%)"
            for s in falling
        ]))
    if stuck:
        reasons.append(_summary("stuck on", [
            f"{names[s.skill_id]} ({s.attempts - s.correct} wrong, still "
            f"{level_label(s.level).lower()})"
            for s in stuck
        ]))
    return reasons


def _skill_flags(cohort: Cohort, names: Mapping[int, str]) -> dict[int, list[str]]:
    """Learner id -> reasons about their skills; SQL fetches only rows the rules may flag."""
    below_proficient = [level.value for level in LEVELS if level.rank < _PROFICIENT_RANK]
    falling = Q(peak_p_mastery__gte=mastery.PROFICIENT_P - _SQL_SLACK) & Q(
        peak_p_mastery__gte=F("p_mastery") + mastery.FALLING_DROP - _SQL_SLACK
    )
    stuck = Q(level__in=below_proficient) & Q(attempts__gte=F("correct") + STRUGGLING_FAILURES)
    by_learner: dict[int, list[_FlaggedState]] = defaultdict(list)
    for row in SkillState.objects.filter(
        falling | stuck, course=cohort.course, learner__cohorts=cohort
    ).order_by("learner_id", "skill_id").values_list(
        "learner_id", "skill_id", "p_mastery", "level", "peak_p_mastery", "attempts", "correct"
    ):
        by_learner[row[0]].append(_FlaggedState(*row))
    return {
        learner_id: reasons
        for learner_id, states in by_learner.items()
        if (reasons := _skill_reasons(states, names))
    }


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
    """The class heatmap and who needs help, in seven queries whatever the class size."""
    now = now or timezone.now()
    grid = class_grid(cohort)
    names = {skill_id: skill.name for skill_id, skill in zip(grid.skill_ids, grid.skills,
                                                             strict=True)}
    flags = _skill_flags(cohort, names)
    rows = [
        HeatmapRow(
            learner_id=row.learner_id, username=row.username, full_name=row.full_name,
            attempts=row.attempts, last_active=row.last_active, mean_percent=row.mean_percent,
            cells=row.cells,
            reasons=_inactivity(row.last_active, now) + flags.get(row.learner_id, []),
        )
        for row in grid.rows
    ]
    sort = sort if sort in HEATMAP_SORTS else "name"
    rows = _sorted_rows(rows, sort)
    return ClassDashboard(
        cohort_id=cohort.pk, skills=grid.skills, rows=rows, sort=sort,
        figure=heatmap_figure(grid.skills, rows),
        legend=[(level.value, level_label(level.value), LEVEL_COLOURS[level]) for level in LEVELS],
    )
