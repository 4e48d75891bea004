"""How well a placement check places simulated learners (``manage.py evaluate_placement``).

Each simulated learner of the built-in simulator (:mod:`learnpath.sim.model`) has a latent
knowledge per skill; the *truth* is that they know a skill when its knowledge before the check
is at least ``known_at`` (default 0.4, the threshold at which the simulator's learner of average
aptitude understands a difficulty-3 exercise on it half the time). Knowledge never exceeds a
prerequisite's, so the known skills are closed under prerequisites, as the check assumes.

Ways to place a learner, each answered by the same learners (same seed) a minute apart:

- ``none``: no check; the chart is empty and every skill reads its BKT ``p_init``;
- ``fixed_bkt``: a fixed test (:func:`learnpath.placement.fixed_test`) answered as practice,
  the chart kept by BKT as the site keeps it (:func:`learnpath.mastery.replay`);
- ``fixed_placement``: the same fixed test, read by the placement check's inference;
- ``adaptive``: the placement check itself (:class:`learnpath.placement.Placement`).

Per method: per-skill accuracy (P(known) ≥ 0.5 against the truth), the AUC of P(known) over all
learner × skill pairs, the Brier score, and the mean number of items. The check's settings
(``confident_at``, ``prior_concentration``) are chosen by the lowest Brier score on a
validation population (another seed), never on the learners reported. The same methods and
scores on the data-driven simulator: :mod:`learnpath.bench.placement_data`.
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from learnpath import mastery
from learnpath.placement import CheckedAnswer, Placement, PlacementConfig, fixed_test
from learnpath.sim.model import SimCourse, SimulatedLearner
from learnpath.sim.policies import (
    BehaviouralPolicy,
    Observation,
    ObservedAttempt,
    course_graph,
    plan_exercises,
)
from learnpath.sim.population import draw_learner

KNOWN_AT = 0.4
PRIOR_ATTEMPTS = 120
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
METHODS = ("none", "fixed_bkt", "fixed_placement", "adaptive")
GRID = {"confident_at": (0.9, 0.95, 0.99), "prior_concentration": (0.5, 2.0, 8.0)}


@dataclass(frozen=True)
class PlacementScore:
    method: str
    learners: int
    accuracy: float
    auc: float
    brier: float
    mean_items: float


@dataclass
class Placed:
    """Every learner × skill pair's truth and predicted P(known), and each learner's items."""

    truth: list[bool]
    predicted: list[float]
    items: list[int]


Ask = Callable[[str], bool]  # asks the learner an exercise; True when they answer right
Method = Callable[[Ask], tuple[dict[str, float], int]]


def placement_methods(course: SimCourse, config: PlacementConfig, items: int,
                      params: Mapping[str, mastery.BKTParams] | None = None
                      ) -> dict[str, Method]:
    """Each way of placing a learner (see the module doc) on ``course``, with these BKT
    parameters (the defaults when ``None``); each takes the function that asks the learner."""
    graph = course_graph(course)
    exercises = plan_exercises(course)
    params = dict(params or {})
    placement = Placement(graph, exercises, params, config=config)
    fixed = fixed_test(graph, exercises, items)
    skills_of = {e.key: e.skills for e in exercises}

    def p_init(key: str) -> float:
        return params.get(key, mastery.DEFAULT_PARAMS).p_init

    def none(ask: Ask) -> tuple[dict[str, float], int]:
        return {key: p_init(key) for key in course.skill_keys}, 0

    def fixed_bkt(ask: Ask) -> tuple[dict[str, float], int]:
        answers = [CheckedAnswer(key, ask(key)) for key in fixed]
        chart = mastery.replay([(skills_of[a.exercise_key], a.correct, START) for a in answers],
                               graph, params)
        return {key: chart[key].p_mastery if key in chart else p_init(key)
                for key in course.skill_keys}, len(answers)

    def fixed_placement(ask: Ask) -> tuple[dict[str, float], int]:
        answers = [CheckedAnswer(key, ask(key)) for key in fixed]
        return placement.p_known(answers), len(answers)

    def adaptive(ask: Ask) -> tuple[dict[str, float], int]:
        answers: list[CheckedAnswer] = []
        while (key := placement.next_exercise(answers)) is not None:
            answers.append(CheckedAnswer(key, ask(key)))
        return placement.p_known(answers), len(answers)

    return {"none": none, "fixed_bkt": fixed_bkt, "fixed_placement": fixed_placement,
            "adaptive": adaptive}


def arriving_learner(course: SimCourse, seed: int, index: int, prior_attempts: int
                     ) -> SimulatedLearner:
    """The ``index``-th simulated learner of ``seed`` as they arrive at the check: after up to
    ``prior_attempts`` attempts (uniform, seeded) of study elsewhere, wandering through the
    course as :class:`~learnpath.sim.policies.BehaviouralPolicy` does, a minute apart, then a
    day without practice. The site sees none of that study."""
    learner = draw_learner(course, seed, index, START)
    rng = random.Random(f"learnpath.placement.bench/{seed}/{index}")
    wandering = BehaviouralPolicy(course, rng)
    history: list[ObservedAttempt] = []
    for _ in range(rng.randint(0, prior_attempts)):
        now = learner.clock + timedelta(minutes=1)
        key = wandering.choose(Observation(course, tuple(history), now))
        history.append(ObservedAttempt(key, learner.attempt(key, now).correct, False, now))
    learner.advance(learner.clock + timedelta(days=1))
    return learner


def _place(course: SimCourse, method: Method, learners: int, seed: int, known_at: float,
           prior_attempts: int) -> Placed:
    placed = Placed([], [], [])
    for index in range(learners):
        learner = arriving_learner(course, seed, index, prior_attempts)
        truth = {key: value >= known_at for key, value in learner.knowledge.items()}

        def ask(key: str, learner: SimulatedLearner = learner) -> bool:
            return learner.attempt(key, learner.clock + timedelta(minutes=1)).correct

        predicted, items = method(ask)
        for key in course.skill_keys:
            placed.truth.append(truth[key])
            placed.predicted.append(predicted[key])
        placed.items.append(items)
    return placed


def score_placed(method: str, placed: Placed, learners: int) -> PlacementScore:
    """Per-skill accuracy, AUC and Brier score of P(known) against the truth, and items."""
    from learnpath.seq.metrics import roc_auc  # imports torch: only when scoring

    truth = np.array(placed.truth, dtype=float)
    predicted = np.array(placed.predicted)
    both = len(set(placed.truth)) == 2
    return PlacementScore(
        method, learners,
        accuracy=float(np.mean((predicted >= 0.5) == truth.astype(bool))),
        auc=float(roc_auc(truth, predicted)) if both else float("nan"),
        brier=float(np.mean((predicted - truth) ** 2)),
        mean_items=float(np.mean(placed.items)),
    )


def choose_config(course: SimCourse, learners: int, seed: int, items: int = 15,
                  known_at: float = KNOWN_AT, prior_attempts: int = PRIOR_ATTEMPTS
                  ) -> tuple[PlacementConfig, list[dict[str, float]]]:
    """The grid's settings with the lowest Brier score of the adaptive check on a validation
    population of ``learners`` (seed ``seed``); returns them and every setting's score."""
    tried = []
    for confident_at, concentration in itertools.product(*GRID.values()):
        config = PlacementConfig(max_items=items, confident_at=confident_at,
                                 prior_concentration=concentration)
        adaptive = placement_methods(course, config, items)["adaptive"]
        score = score_placed("adaptive", _place(course, adaptive, learners, seed, known_at,
                                                prior_attempts), learners)
        tried.append({"confident_at": confident_at, "prior_concentration": concentration,
                      "brier": score.brier, "accuracy": score.accuracy, "auc": score.auc,
                      "mean_items": score.mean_items})
    best = min(tried, key=lambda row: (row["brier"], row["mean_items"]))
    return replace(PlacementConfig(max_items=items), confident_at=best["confident_at"],
                   prior_concentration=best["prior_concentration"]), tried


def evaluate_placement(course: SimCourse, config: PlacementConfig, learners: int, seed: int,
                       items: int = 15, known_at: float = KNOWN_AT,
                       prior_attempts: int = PRIOR_ATTEMPTS, methods: Sequence[str] = METHODS,
                       ) -> list[PlacementScore]:
    """Every method's score on the same ``learners`` simulated learners of ``seed``."""
    made = placement_methods(course, config, items)
    return [score_placed(name, _place(course, made[name], learners, seed, known_at,
                                      prior_attempts), learners)
            for name in methods]


def table(scores: Sequence[PlacementScore]) -> str:
    lines = ["| placement | learners | per-skill accuracy | AUC | Brier | items |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {s.method} | {s.learners} | {s.accuracy:.3f} | {s.auc:.3f} | {s.brier:.3f} | "
              f"{s.mean_items:.1f} |" for s in scores]
    return "\n".join(lines)
