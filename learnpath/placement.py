"""The placement check: a short adaptive test that places a new learner on the skill graph.

Knowledge states
    As in knowledge space theory (ALEKS), a learner's state is the set of skills they know,
    and it is closed under prerequisites: knowing a skill means knowing what it builds on. A
    right answer on a skill is therefore evidence for all its prerequisites, and a wrong one
    evidence against everything that builds on it, without any extra rule. The belief is a
    probability over such states, held on a fixed *support* of states: the empty and the full
    set plus up to :attr:`PlacementConfig.states` distinct ones drawn (seeded, so the same
    course always has the same support) by walking the graph in topological order and knowing
    each skill whose prerequisites are known with a probability drawn once per state: for half
    of them from the prior below (the states a learner is likely to be in), for the other half
    uniform in (0, 1), so that states of every size are present. Each distinct state is weighted
    by how often it was drawn times its prior probability over its probability under that
    half-and-half draw (importance sampling, so the weighted support stands for the prior).

Prior
    A learner knows each skill whose prerequisites they know with the same probability ``q``
    (unknown, Beta-distributed with mean ``q̄`` and concentration
    :attr:`PlacementConfig.prior_concentration`), so learners who know more know more
    everywhere: ``P(state) = B(α + k, β + m) / B(α, β)``, ``α = c·q̄``, ``β = c·(1 − q̄)``,
    with ``k`` the skills known and ``m`` the skills not known whose prerequisites all are.
    ``q̄`` is the mean of the skills' ``p_init`` (their BKT probability of being known before
    any practice: fitted on the course's data, or the default).

Answers
    P(right | state) comes from the success model the planner uses before a sequence model is
    trained (:class:`learnpath.success.ChartSuccessModel`: BKT's slip and guess of the
    exercise's weakest skill, shifted by the authored difficulty), read on a chart that knows
    the exercise's skills (p_mastery 1) when the state holds them all, and on one that does not
    (p_mastery 0) otherwise.

Choosing the next exercise
    The one whose answer tells most about the state: the largest mutual information between the
    answer and the state, ``H(π·p₁ + (1 − π)·p₀) − π·H(p₁) − (1 − π)·H(p₀)`` in bits, with
    ``π`` the belief that the state holds all its skills and ``p₁``, ``p₀`` P(right) either way.
    It asks, of the exercises on each set of skills, those of difficulty nearest 3 (the typical
    exercise of a skill), and an exercise on several skills only when one of them has no
    exercise of its own; answers on any active exercise of the course's skills are understood.
    Exercises already asked are not asked again; ties go to the first key.

Stopping
    After :attr:`PlacementConfig.max_items` answers, or as soon as every skill's P(known) is at
    most ``1 − confident_at`` or at least ``confident_at``, or when no exercise left would tell
    more than :attr:`PlacementConfig.min_bits`.

Result
    Per skill (:class:`PlacedSkill`): P(known) under the belief, ``known`` when it is at least
    one half, the answers on the skill itself (``direct``) and the evidence behind it in
    answers' worth (:func:`learnpath.mastery.evidence_between`, from the prior's P(known) to the
    belief's); ``inferred`` is the part of that evidence beyond the direct answers. The chart
    the path starts from is :func:`learnpath.mastery.placed_mastery` of each skill.

Pure: plain data in and out (numpy inside); deterministic for the same course and answers.
"""
from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from learnpath import mastery
from learnpath.skillgraph import SkillGraph
from learnpath.success import ChartSuccessModel, PlanExercise


@dataclass(frozen=True)
class PlacementConfig:
    max_items: int = 15
    # Chosen on validation learners of the simulator (``manage.py evaluate_placement``).
    confident_at: float = 0.99
    prior_concentration: float = 2.0
    min_bits: float = 0.01
    states: int = 3000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_items < 1 or self.states < 1:
            raise ValueError("a placement check needs at least one item and one state")
        if not 0.5 < self.confident_at <= 1.0 or self.prior_concentration <= 0.0:
            raise ValueError(f"invalid placement settings: {self}")


@dataclass(frozen=True)
class CheckedAnswer:
    exercise_key: str
    correct: bool


@dataclass(frozen=True)
class PlacedSkill:
    key: str
    p_known: float
    p_prior: float
    direct: int
    evidence: float

    @property
    def known(self) -> bool:
        return self.p_known >= 0.5

    @property
    def inferred(self) -> float:
        return max(0.0, self.evidence - self.direct)


def _typical(exercises: Iterable[PlanExercise]) -> list[PlanExercise]:
    """Of the exercises on each set of skills, those whose difficulty is nearest 3, by key;
    an exercise on several skills only when one of them has no exercise of its own."""
    groups: dict[tuple[str, ...], list[PlanExercise]] = {}
    for exercise in exercises:
        groups.setdefault(tuple(sorted(exercise.skills)), []).append(exercise)
    alone = {skills[0] for skills in groups if len(skills) == 1}
    groups = {skills: group for skills, group in groups.items()
              if len(skills) == 1 or not alone.issuperset(skills)}
    kept = []
    for group in groups.values():
        nearest = min(abs(e.difficulty - 3) for e in group)
        kept += [e for e in group if abs(e.difficulty - 3) == nearest]
    return sorted(kept, key=lambda e: e.key)


def _log_share_mixture(alpha: float, beta: float, known: np.ndarray, missing: np.ndarray
                       ) -> np.ndarray:
    """log P(state) when each ready skill is known with a share q ~ Beta(α, β):
    log B(α + known, β + missing) − log B(α, β)."""
    def log_beta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    return np.array([log_beta(alpha + k, beta + m) - log_beta(alpha, beta)
                     for k, m in zip(known.tolist(), missing.tolist(), strict=True)])


def _entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


class Placement:
    """The check on one course: its support of states, prior and answer model; the methods
    take the answers so far (the check keeps no learner state of its own)."""

    def __init__(
        self,
        graph: SkillGraph,
        exercises: Sequence[PlanExercise],
        params: Mapping[str, mastery.BKTParams] | None = None,
        config: PlacementConfig | None = None,
    ) -> None:
        self.graph = graph
        self.params = dict(params or {})
        self.config = config or PlacementConfig()
        self.skills = graph.topological_order()
        self.index = {key: i for i, key in enumerate(self.skills)}
        usable = [e for e in exercises
                  if e.active and e.skills and all(s in graph for s in e.skills)]
        self.exercises = sorted(usable, key=lambda e: e.key)  # answers on any of them count
        self.askable = {e.key for e in _typical(usable)}  # the check asks only these
        self.position = {e.key: i for i, e in enumerate(self.exercises)}

    @property
    def states(self) -> np.ndarray:
        """The support: one row per state, one bool column per skill (topological order)."""
        return self._support[0]

    @property
    def log_prior(self) -> np.ndarray:
        """Each state's log weight in the prior (importance weights, see the module doc)."""
        return self._support[1]

    @cached_property
    def _support(self) -> tuple[np.ndarray, np.ndarray]:
        count, width = self.config.states, len(self.skills)
        rng = random.Random(f"learnpath.placement/{self.config.seed}/{','.join(self.skills)}")
        alpha, beta = self._prior_shape
        shares = np.array([rng.random() if n % 2 else rng.betavariate(alpha, beta)
                           for n in range(count)])
        draws = np.array([[rng.random() for _ in range(width)] for _ in range(count)])
        known = np.zeros((count, width), dtype=bool)
        for j, key in enumerate(self.skills):
            ready = np.ones(count, dtype=bool)
            for prerequisite in self.graph.prerequisites(key):
                ready &= known[:, self.index[prerequisite]]
            known[:, j] = ready & (draws[:, j] < shares)
        extremes = np.array([[False] * width, [True] * width])
        states, counts = np.unique(np.vstack([extremes, known]), axis=0, return_counts=True)
        ready = np.ones_like(states)
        for j, key in enumerate(self.skills):
            for prerequisite in self.graph.prerequisites(key):
                ready[:, j] &= states[:, self.index[prerequisite]]
        sizes = states.sum(axis=1), (ready & ~states).sum(axis=1)
        prior = _log_share_mixture(alpha, beta, *sizes)
        proposal = np.logaddexp(prior, _log_share_mixture(1.0, 1.0, *sizes)) - math.log(2)
        return states, np.log(counts) + prior - proposal

    @cached_property
    def _prior_shape(self) -> tuple[float, float]:
        """(α, β) of the Beta prior on the share of ready skills a learner knows."""
        mean = sum(self.params.get(k, mastery.DEFAULT_PARAMS).p_init for k in self.skills)
        mean = min(max(mean / max(len(self.skills), 1), 1e-3), 1 - 1e-3)
        return (self.config.prior_concentration * mean,
                self.config.prior_concentration * (1 - mean))

    @cached_property
    def holds(self) -> np.ndarray:
        """states × exercises: the state knows every skill of the exercise."""
        holds = np.ones((len(self.states), len(self.exercises)), dtype=bool)
        for e, exercise in enumerate(self.exercises):
            for skill in exercise.skills:
                holds[:, e] &= self.states[:, self.index[skill]]
        return holds

    @cached_property
    def p_right(self) -> tuple[np.ndarray, np.ndarray]:
        """P(right) on each exercise when the state holds its skills, and when it does not."""
        by_key = {e.key: e for e in self.exercises}
        keys = [e.key for e in self.exercises]
        knowing = {k: mastery.SkillMastery(p_mastery=1.0) for k in self.skills}
        not_knowing = {k: mastery.SkillMastery(p_mastery=0.0) for k in self.skills}
        p1 = ChartSuccessModel(knowing, by_key, self.params).p_correct(keys)
        p0 = ChartSuccessModel(not_knowing, by_key, self.params).p_correct(keys)
        return np.array([p1[k] for k in keys]), np.array([p0[k] for k in keys])

    def _check(self, answers: Sequence[CheckedAnswer]) -> None:
        unknown = [a.exercise_key for a in answers if a.exercise_key not in self.position]
        if unknown:
            raise ValueError(f"answers on exercises the check does not use: {unknown}")

    def belief(self, answers: Sequence[CheckedAnswer]) -> np.ndarray:
        """The normalised probability of each state of the support after these answers."""
        self._check(answers)
        log_weight = self.log_prior.copy()
        p1, p0 = self.p_right
        for answer in answers:
            e = self.position[answer.exercise_key]
            right = np.where(self.holds[:, e], p1[e], p0[e])
            log_weight += np.log(right if answer.correct else 1 - right)
        weight = np.exp(log_weight - log_weight.max())
        return weight / weight.sum()

    def p_known(self, answers: Sequence[CheckedAnswer]) -> dict[str, float]:
        marginals = self.belief(answers) @ self.states
        return {key: float(marginals[j]) for j, key in enumerate(self.skills)}

    def information(self, answers: Sequence[CheckedAnswer]) -> dict[str, float]:
        """Bits each exercise not yet asked would tell about the state (see the module doc)."""
        pi = self.belief(answers) @ self.holds
        p1, p0 = self.p_right
        bits = _entropy(pi * p1 + (1 - pi) * p0) - pi * _entropy(p1) - (1 - pi) * _entropy(p0)
        asked = {a.exercise_key for a in answers}
        return {e.key: float(bits[i]) for i, e in enumerate(self.exercises)
                if e.key in self.askable and e.key not in asked}

    def next_exercise(self, answers: Sequence[CheckedAnswer]) -> str | None:
        """The next exercise to ask, or ``None`` when the check is over."""
        if len(answers) >= self.config.max_items or not self.exercises:
            return None
        confident = self.config.confident_at
        if all(p <= 1 - confident or p >= confident for p in self.p_known(answers).values()):
            return None
        bits = self.information(answers)
        if not bits:
            return None
        best = min(bits, key=lambda key: (-bits[key], key))
        return best if bits[best] > self.config.min_bits else None

    def result(self, answers: Sequence[CheckedAnswer]) -> dict[str, PlacedSkill]:
        prior = self.p_known([])
        after = self.p_known(answers)
        skills_of = {e.key: e.skills for e in self.exercises}
        placed = {}
        for key in self.skills:
            params = self.params.get(key, mastery.DEFAULT_PARAMS)
            direct = sum(key in skills_of[a.exercise_key] for a in answers)
            evidence = mastery.evidence_between(prior[key], after[key], params)
            placed[key] = PlacedSkill(key, after[key], prior[key], direct, evidence)
        return placed

    def chart(self, answers: Sequence[CheckedAnswer]) -> dict[str, mastery.SkillMastery]:
        """The skill chart the path starts from after these answers."""
        return {key: mastery.placed_mastery(skill.p_known, skill.evidence)
                for key, skill in self.result(answers).items()}


def fixed_test(graph: SkillGraph, exercises: Sequence[PlanExercise], items: int
               ) -> list[str]:
    """A fixed test of ``items`` exercises, the same for everyone, on single-skill exercises:
    skills spread evenly over the topological order (all of them, round after round, when
    there are fewer skills than items), for each the exercise of difficulty nearest 3 not yet
    chosen (then by key)."""
    by_skill: dict[str, list[str]] = {}
    for exercise in sorted(exercises, key=lambda e: (abs(e.difficulty - 3), e.key)):
        if exercise.active and len(exercise.skills) == 1 and exercise.skills[0] in graph:
            by_skill.setdefault(exercise.skills[0], []).append(exercise.key)
    order = [key for key in graph.topological_order() if key in by_skill]
    if len(order) > items:
        order = [order[i * len(order) // items] for i in range(items)]
    chosen: list[str] = []
    for round_ in range(max((len(keys) for keys in by_skill.values()), default=0)):
        chosen += [by_skill[key][round_] for key in order if len(by_skill[key]) > round_]
    return chosen[:items]
