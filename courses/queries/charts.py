"""Skill charts as read: a learner's chart, the chart page's rows, and the one learner × skill
grid of a class that both the class page and the class dashboard show (:func:`class_grid`).

Mastery is shown in whole per cent by :func:`percent` on every chart, grid and dashboard (halves
round up), so the same state never reads 62 % on one page and 63 % on another.

A skill with evidence but no answers of its own (its mastery inferred from right answers on
skills that build on it) is *estimated*: wherever a level is named it reads
:data:`ESTIMATED_LABEL` instead of the level's name (:func:`level_label`), keeps the colour of the
level its estimate reaches, and its grid cell shows the per cent as ``~45``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Count, Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from courses.models import Attempt, Cohort, Course, ReviewCard, Skill, SkillState
from courses.phrases import short_number, shown
from courses.queries.graphs import skill_graph_for
from learnpath import mastery, review
from learnpath.phrases import Phrase

LEVEL_LABELS = {
    mastery.MasteryLevel.NOT_STARTED: gettext_lazy("Not started"),
    mastery.MasteryLevel.ATTEMPTED: gettext_lazy("Attempted"),
    mastery.MasteryLevel.FAMILIAR: gettext_lazy("Familiar"),
    mastery.MasteryLevel.PROFICIENT: gettext_lazy("Proficient"),
    mastery.MasteryLevel.MASTERED: gettext_lazy("Mastered"),
}
LEVEL_RULES = {
    mastery.MasteryLevel.NOT_STARTED: gettext_lazy("no evidence yet"),
    mastery.MasteryLevel.ATTEMPTED: format_lazy(
        gettext_lazy("answered, mastery below {percent}%"),
        percent=f"{mastery.FAMILIAR_P:.0%}"[:-1]),
    mastery.MasteryLevel.FAMILIAR: f"≥ {mastery.FAMILIAR_P:.0%}",
    mastery.MasteryLevel.PROFICIENT: format_lazy(
        gettext_lazy("≥ {percent}% with evidence worth {answers}+ answers"),
        percent=f"{mastery.PROFICIENT_P:.0%}"[:-1], answers=f"{mastery.PROFICIENT_EVIDENCE:.0f}"),
    mastery.MasteryLevel.MASTERED: format_lazy(
        gettext_lazy("≥ {percent}% with evidence worth {answers}+ answers"),
        percent=f"{mastery.MASTERED_P:.0%}"[:-1], answers=f"{mastery.MASTERED_EVIDENCE:.0f}"),
}
# What "evidence" means, said with the legend (the rule is learnpath.mastery's).
EVIDENCE_NOTE = format_lazy(gettext_lazy(
    "Evidence: each answer on a skill counts as one; each right answer on a skill that builds "
    "on it counts as {weight} of an answer, so a skill can move before you practise it."),
    weight=lazy(short_number, str)(mastery.PREREQUISITE_EVIDENCE_WEIGHT))
# A skill never answered whose mastery is inferred from the skills that build on it.
ESTIMATED_LABEL = gettext_lazy("Not practised (estimated)")
ESTIMATED_RULE = gettext_lazy(
    "no answers on the skill itself: its mastery is estimated from right answers on skills "
    "that build on it, and it takes the colour of the level the estimate reaches")
ESTIMATED_MARK = "~"
ESTIMATED_CELL_NOTE = format_lazy(
    gettext_lazy("{mark}45: not practised (estimated), from right answers on skills that build "
                 "on it"), mark=ESTIMATED_MARK)
NOT_STARTED = mastery.MasteryLevel.NOT_STARTED.value


def percent(p: float) -> int:
    """Whole per cent, halves rounded up (int() is several times faster than round() here)."""
    return int(100 * p + 0.5)


def is_estimated(level: str, attempts: int) -> bool:
    """Evidence, but none from answers on the skill itself."""
    return attempts == 0 and level != NOT_STARTED


def level_label(level: str, attempts: int | None = None) -> str:
    """The level's name; :data:`ESTIMATED_LABEL` when ``attempts`` is 0 and there is evidence
    (leave ``attempts`` out to name the level itself, e.g. in a legend)."""
    if attempts is not None and is_estimated(level, attempts):
        return str(ESTIMATED_LABEL)
    return str(LEVEL_LABELS[mastery.MasteryLevel(level)])


def params_for(skills: Iterable[Skill]) -> dict[str, mastery.BKTParams]:
    return {
        skill.key: mastery.BKTParams(**skill.bkt_params) for skill in skills if skill.bkt_params
    }


def to_mastery(state: SkillState) -> mastery.SkillMastery:
    return mastery.SkillMastery(
        p_mastery=state.p_mastery,
        evidence=state.evidence,
        attempts=state.attempts,
        correct=state.correct,
        last_attempt_at=state.last_attempt_at,
        peak_p_mastery=state.peak_p_mastery,
    )


def chart_and_schedule(
    learner: User, course: Course
) -> tuple[dict[str, mastery.SkillMastery], dict[str, datetime]]:
    """:func:`chart_of` with the review due time of each skill of the chart that has a card,
    in the same query (a skill without a chart row is not mastered, so is never scheduled)."""
    chart, schedule = {}, {}
    due = ReviewCard.objects.filter(learner_id=OuterRef("learner_id"),
                                    skill_id=OuterRef("skill_id")).values("due")[:1]
    for key, p, evidence, attempts, correct, last_at, peak, due_at in SkillState.objects.filter(
        learner=learner, course=course
    ).values_list("skill__key", "p_mastery", "evidence", "attempts", "correct",
                  "last_attempt_at", "peak_p_mastery", Subquery(due)):
        chart[key] = mastery.SkillMastery(p_mastery=p, evidence=evidence, attempts=attempts,
                                          correct=correct, last_attempt_at=last_at,
                                          peak_p_mastery=peak)
        if due_at is not None:
            schedule[key] = due_at
    return chart, schedule


def chart_of(learner: User, course: Course) -> dict[str, mastery.SkillMastery]:
    """The learner's chart by skill key, read as plain values (one query)."""
    return {
        key: mastery.SkillMastery(p_mastery=p, evidence=evidence, attempts=attempts,
                                  correct=correct, last_attempt_at=last_at, peak_p_mastery=peak)
        for key, p, evidence, attempts, correct, last_at, peak in SkillState.objects.filter(
            learner=learner, course=course
        ).values_list("skill__key", "p_mastery", "evidence", "attempts", "correct",
                      "last_attempt_at", "peak_p_mastery")
    }


@dataclass(frozen=True)
class ChartRow:
    key: str
    name: str
    description: str  # as written (Markdown); pages show it with the course's rendering
    area: str
    level: str
    level_label: str
    percent: int
    uncertainty_percent: int
    attempts: int
    correct: int
    ready: bool
    review_reason: str

    @property
    def inferred(self) -> bool:
        """Estimated only from answers on skills that build on it, never practised itself."""
        return is_estimated(self.level, self.attempts)


@dataclass(frozen=True)
class LearnerChart:
    rows: list[ChartRow]
    ability: dict[str, float]
    ready_to_learn: list[str]
    review: list[tuple[str, Phrase]]
    legend: list[tuple[str, str, str]]
    # (due, skill) of every mastered skill with a review scheduled, soonest first.
    scheduled: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def evidence_note(self) -> str:
        return str(EVIDENCE_NOTE)


def learner_chart_view(learner: User, course: Course) -> LearnerChart:
    graph = skill_graph_for(course)
    chart, schedule = chart_and_schedule(learner, course)
    ready = mastery.ready_to_learn(chart, graph)
    review_due = review.due_reviews(chart, timezone.now(), schedule)
    review_reasons = dict(review_due)
    rows = []
    for key in graph.topological_order():
        state = chart.get(key)
        level = state.level if state else mastery.MasteryLevel.NOT_STARTED
        rows.append(
            ChartRow(
                key=key,
                name=graph.name(key),
                description=graph.specs[key].description,
                area=graph.area_of(key),
                level=level.value,
                level_label=level_label(level.value, state.attempts if state else 0),
                percent=percent(state.p_mastery) if state else 0,
                uncertainty_percent=percent(1.96 * state.std) if state else 0,
                attempts=state.attempts if state else 0,
                correct=state.correct if state else 0,
                ready=key in ready,
                review_reason=shown(review_reasons[key]) if key in review_reasons else "",
            )
        )
    return LearnerChart(
        rows=rows,
        ability=mastery.ability_chart(chart, graph),
        ready_to_learn=ready,
        review=review_due,
        scheduled=review.scheduled(chart, schedule),
        legend=[
            *((level.value, str(LEVEL_LABELS[level]), str(LEVEL_RULES[level]))
              for level in LEVEL_LABELS),
            ("estimated", str(ESTIMATED_LABEL), str(ESTIMATED_RULE)),
        ],
    )


# ---------------------------------------------------------------- the class grid


@dataclass(frozen=True)
class SkillColumn:
    key: str
    name: str


class GridCell(NamedTuple):
    """One learner's mastery of one skill; ``p_mastery`` is None for a skill not started.
    ``percent`` is the text shown: ``"45"``, ``"~45"`` when estimated, ``""`` when not started.
    ``attempts`` and ``wrong`` count the learner's own answers on the skill."""

    level: str
    p_mastery: float | None
    percent: str
    attempts: int = 0
    wrong: int = 0

    @property
    def estimated(self) -> bool:
        return is_estimated(self.level, self.attempts)

    @property
    def label(self) -> str:
        return level_label(self.level, self.attempts)


NOT_STARTED_CELL = GridCell(NOT_STARTED, None, "")


def grid_cell(level: str, p_mastery: float, attempts: int, correct: int) -> GridCell:
    shown = str(percent(p_mastery))
    if is_estimated(level, attempts):
        shown = ESTIMATED_MARK + shown
    return GridCell(level, p_mastery, shown, attempts, attempts - correct)


@dataclass(frozen=True)
class GridRow:
    learner_id: int
    username: str
    full_name: str
    attempts: int
    last_active: datetime | None
    cells: list[GridCell]
    mastery_total: float

    @property
    def mean_mastery(self) -> float:
        """Mean P(mastery) over the course's skills, a skill not started counting 0."""
        return self.mastery_total / len(self.cells) if self.cells else 0.0

    @property
    def mean_percent(self) -> int:
        return percent(self.mean_mastery)


@dataclass(frozen=True)
class ClassGrid:
    """Learners (by username) × skills (prerequisites first) of a class."""

    skills: list[SkillColumn]
    skill_ids: list[int]
    rows: list[GridRow]

    @property
    def titled_rows(self) -> list[tuple[GridRow, list[tuple[GridCell, str]]]]:
        """Each row with its cells and their titles ("Halves: Familiar") for tables."""
        return [
            (row, [(cell, f"{skill.name}: {cell.label}")
                   for skill, cell in zip(self.skills, row.cells, strict=True)])
            for row in self.rows
        ]


def class_grid(cohort: Cohort) -> ClassGrid:
    """The class's learners × skills in four queries, whatever the class size."""
    course = cohort.course
    graph = skill_graph_for(course)
    skills = [SkillColumn(key, graph.name(key)) for key in graph.topological_order()]
    ids = dict(course.skills.values_list("key", "id"))
    skill_ids = [ids[skill.key] for skill in skills]
    cells: dict[int, dict[int, GridCell]] = {}
    totals: dict[int, float] = {}
    for learner_id, skill_id, p, level, attempts, correct in SkillState.objects.filter(
        course=course, learner__cohorts=cohort
    ).values_list("learner_id", "skill_id", "p_mastery", "level", "attempts", "correct"):
        if level != NOT_STARTED:
            cells.setdefault(learner_id, {})[skill_id] = grid_cell(level, p, attempts, correct)
            totals[learner_id] = totals.get(learner_id, 0.0) + p
    activity = {
        learner_id: (count, last)
        for learner_id, count, last in Attempt.objects.filter(
            course=course, learner__cohorts=cohort
        ).values("learner_id").annotate(count=Count("id"), last=Max("submitted_at"))
        .values_list("learner_id", "count", "last")
    }
    rows = []
    for learner_id, username, first_name, last_name in (
        get_user_model().objects.filter(cohorts=cohort).order_by("username")
        .values_list("id", "username", "first_name", "last_name")
    ):
        own = cells.get(learner_id, {})
        attempts, last_active = activity.get(learner_id, (0, None))
        rows.append(GridRow(
            learner_id=learner_id, username=username,
            full_name=f"{first_name} {last_name}".strip(), attempts=attempts,
            last_active=last_active,
            cells=[own.get(skill_id, NOT_STARTED_CELL) for skill_id in skill_ids],
            mastery_total=totals.get(learner_id, 0.0),
        ))
    return ClassGrid(skills=skills, skill_ids=skill_ids, rows=rows)
