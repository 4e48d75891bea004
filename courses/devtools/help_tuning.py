"""Simulated classes for tuning "may need help" (:mod:`courses.dashboards.needs_help`), and how
well a rule finds the learners who truly struggle (``manage.py tune_help``).

A simulated class is built the way ``load_demo`` builds the demo class, in memory: a population of
the learner simulator (:func:`learnpath.sim.simulate_population`, the demo's 28 days, sessions and
wandering learners) practises the course, each history is moved to end within the last few days
as the demo's are, the mastery estimator is fitted on the class (``fit_course_params``, as
``fit_mastery`` does) and every chart replayed with it. The rule reads the same grid the
dashboard reads; the simulator's latent knowledge says who truly struggles.

*Low true mastery* is the bottom quarter of the class by mean latent knowledge over the course's
skills (ties included). A stuck flag is *on a weak skill* when the learner's latent knowledge of
that skill is in the bottom quarter of the learners who answered it.
"""
from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from courses.dashboards.needs_help import HelpRule, flags
from courses.queries.charts import (
    NOT_STARTED_CELL,
    GridCell,
    GridRow,
    SkillColumn,
    grid_cell,
)
from learnpath import mastery
from learnpath.mastery_fit import fit_course_params
from learnpath.sim import SimCourse, SimHistory, simulate_population
from learnpath.skillgraph import SkillGraph

DEMO_DAYS = 28
LOW_SHARE = 0.25


@dataclass(frozen=True)
class SimClass:
    seed: int
    skills: list[SkillColumn]
    rows: list[GridRow]
    truth: dict[int, float]  # learner id -> mean latent knowledge over the course
    skill_truth: dict[int, list[float]]  # learner id -> latent knowledge per skill, grid order


def _row(index: int, history: SimHistory, chart: dict[str, mastery.SkillMastery],
         order: Sequence[str], last_active: datetime | None) -> GridRow:
    cells: list[GridCell] = []
    for key in order:
        state = chart.get(key)
        if state is None or state.level is mastery.MasteryLevel.NOT_STARTED:
            cells.append(NOT_STARTED_CELL)
        else:
            cells.append(grid_cell(state.level.value, state.p_mastery, state.attempts,
                                   state.correct))
    return GridRow(
        learner_id=index, username=f"sim-{index + 1:03d}", full_name="",
        attempts=len(history.attempts), last_active=last_active, cells=cells,
        mastery_total=sum(cell.p_mastery or 0.0 for cell in cells),
    )


def simulated_class(course: SimCourse, graph: SkillGraph, learners: int, seed: int,
                    now: datetime) -> SimClass:
    """One class of ``learners`` simulated learners of population ``seed``, charted at ``now``."""
    histories = simulate_population(course, learners, seed=seed,
                                    start=now - timedelta(days=DEMO_DAYS))
    skills_of = {exercise.key: exercise.skills for exercise in course.exercises}
    params = fit_course_params(
        [[(skills_of[a.exercise_key], a.correct) for a in h.attempts] for h in histories]
    )
    order = graph.topological_order()
    rows, truth, skill_truth = [], {}, {}
    for history in histories:
        shift = timedelta(0)
        if history.attempts:  # as load_demo: ends 2 to 68 hours ago, spread over learners
            wanted_end = now - timedelta(hours=2 + 11 * (history.learner_index % 7))
            shift = wanted_end - history.attempts[-1].submitted_at
        chart = mastery.replay(
            [(skills_of[a.exercise_key], a.correct, a.submitted_at + shift)
             for a in history.attempts], graph, params,
        )
        last = history.attempts[-1].submitted_at + shift if history.attempts else None
        rows.append(_row(history.learner_index, history, chart, order, last))
        truth[history.learner_index] = statistics.fmean(history.final_knowledge.values())
        skill_truth[history.learner_index] = [history.final_knowledge[key] for key in order]
    return SimClass(seed, [SkillColumn(key, graph.name(key)) for key in order], rows, truth,
                    skill_truth)


@dataclass(frozen=True)
class RuleScore:
    """A rule over several classes: means (and the range of the share) over the classes."""

    share: float
    share_range: tuple[float, float]
    precision: float  # flagged with low true mastery / flagged (classes that flag anyone)
    recall: float  # low true mastery flagged / low true mastery
    precision_half: float  # flagged below the class's median true mastery / flagged
    stuck_on_weak: float | None  # stuck flags on a weak skill / stuck flags (all classes)
    stuck_flags: int


def _bottom(values: dict[int, float], share: float) -> set[int]:
    ordered = sorted(values.values())
    cut = ordered[max(0, round(share * len(ordered)) - 1)]
    return {key for key, value in values.items() if value <= cut}


def _weak(sim: SimClass, learner_id: int, skill: int) -> bool:
    answered = [sim.skill_truth[row.learner_id][skill] for row in sim.rows
                if row.cells[skill].attempts]
    return sim.skill_truth[learner_id][skill] <= sorted(answered)[
        max(0, round(LOW_SHARE * len(answered)) - 1)]


def score(classes: Sequence[SimClass], rule: HelpRule, now: datetime) -> RuleScore:
    shares, precisions, recalls, halves, weak = [], [], [], [], []
    for sim in classes:
        reasons = flags(sim.skills, sim.rows, now, rule)
        flagged = {learner for learner, found in reasons.items() if found}
        low, below_median = _bottom(sim.truth, LOW_SHARE), _bottom(sim.truth, 0.5)
        shares.append(len(flagged) / len(sim.rows))
        recalls.append(len(flagged & low) / len(low))
        if flagged:
            precisions.append(len(flagged & low) / len(flagged))
            halves.append(len(flagged & below_median) / len(flagged))
        weak += [_weak(sim, learner, skill) for learner, found in reasons.items()
                 for flag in found if flag.kind == "stuck" for skill in flag.skills]
    return RuleScore(
        share=statistics.fmean(shares), share_range=(min(shares), max(shares)),
        precision=statistics.fmean(precisions) if precisions else 0.0,
        recall=statistics.fmean(recalls),
        precision_half=statistics.fmean(halves) if halves else 0.0,
        stuck_on_weak=statistics.fmean(weak) if weak else None, stuck_flags=len(weak),
    )
