"""Learner simulator: synthetic learners whose latent knowledge grows with practice (the
course and learner model; populations and evaluation are in :mod:`learnpath.sim.population`).

The simulator gives the demo a realistic attempt history on a fresh machine and lets
later work compare learning-path policies offline on the *same* simulated population.
It is pure: plain dataclasses in and out, no Django (the skill order comes from
:mod:`learnpath.skillgraph`).

Course
------
A :class:`SimCourse` is a set of skills with prerequisites (a directed acyclic graph)
and exercises. Each exercise trains one or more skills and has a difficulty ``d`` in
1..5.

Learner model
-------------
Every learner has a latent knowledge ``k_j`` in [0, 1] per skill ``j`` and personal
:class:`LearnerTraits`. For an exercise ``e`` with skills ``S(e)`` and difficulty ``d``:

* joint knowledge (all skills are needed, so it is conjunctive)::

      K = prod_{j in S(e)} k_j

* understanding, the chance the learner genuinely can solve ``e``; the threshold
  ``b_d`` rises with difficulty and aptitude ``a`` shifts it a little::

      b_d = 0.15 + 0.125 * (d - 1)                      (0.15 for d=1 .. 0.65 for d=5)
      u   = sigmoid(10 * (K - b_d) + 0.3 * a)

* a hint is asked with probability ``hint_propensity * (1 - u)`` (struggling learners
  ask more) and, when used, closes half of the gap: ``u_h = u + 0.5 * (1 - u)``.

* observed success with slip ``s`` and guess ``g``, so ``g <= P(correct) <= 1 - s``::

      P(correct) = g + (1 - s - g) * u_h

After the attempt every skill ``j`` of the exercise learns::

      delta_k_j = lambda * r_j * h(u) * o * w * (1 - k_j)

* ``lambda``: the learner's learning rate;
* ``r_j = prod_{p in prereq(j)} min(1, k_p / 0.8)``: readiness — practising a skill
  whose prerequisites are unknown yields little; prerequisites known at 0.8 or more
  do not hold learning back;
* ``h(u) = 0.2 + 0.8 * exp(-((u - 0.65) / 0.3)^2)``: desirable difficulty — a productive
  struggle (``u`` near 0.65) teaches most; far-too-easy (``u`` near 1) and hopeless
  (``u`` near 0) items teach little;
* ``o``: 1 after a correct answer, 0.4 after an error (some learning from feedback);
* ``w``: 0.6 when a hint was used, else 1.

Forgetting is exponential towards the learner's initial knowledge ``k0_j`` (what one
knew before the course is not forgotten), slowed by practice (spacing effect)::

      k_j(t) = k0_j + (k_j(t_j) - k0_j) * exp(-phi * (t - t_j) / (1 + 0.5 * n_j))

with ``phi`` the forgetting rate per day, ``t_j`` the last time ``j`` was practised and
``n_j`` the number of practices of ``j``. Because ``n_j`` only changes when ``j`` is
practised, forgetting is evaluated lazily and exactly.

Durations: ``(20 + 25 d) * exp(0.35 z - 0.15 a) * (1 + 0.8 (1 - u))`` seconds, plus
30 s with a hint, clipped to 5..900 s (``z`` standard normal).

Population
----------
:meth:`LearnerTraits.draw` samples, per learner (``a`` ~ N(0, 1) clipped to +-2.5,
``z`` independent standard normals):

=================  =======================================================
aptitude           ``a``
learning_rate      ``0.35 * exp(0.35 a + 0.25 z)`` clipped to 0.05..0.6
slip               Beta(2, 18) clipped to 0.01..0.3 (mean 0.10)
guess              Beta(3, 12) clipped to 0.02..0.4 (mean 0.20)
forgetting_rate    ``0.1 * exp(-0.2 a + 0.4 z)`` per day, clipped to 0.01..0.5
sessions_per_week  ``3 * exp(0.5 z)`` clipped to 0.5..10
persistence        Beta(2, 2): more sessions and longer sessions
hint_propensity    Beta(2, 5)
=================  =======================================================

Initial knowledge, in topological order: ``min(Beta(2, 5) * exp(0.3 a), 0.9)``, capped
by the lowest initial knowledge of the skill's prerequisites.

Sessions: a learner starts within two days of ``start``; attempts inside a session are
separated by a think gap (lognormal, median 8 s, at most 5 min) after the previous
submission; sessions are separated by ``max(2 h, Exp(mean 7 / sessions_per_week days))``,
at most 30 days. With persistence ``q``, a learner has ``lo + Binomial(hi - lo, q)``
sessions and about ``lo + q (hi - lo)`` attempts per session (rounded, Gaussian noise).

Reproducibility
---------------
Each learner ``i`` of seed ``s`` owns four independent random streams (traits, answers,
timing, policy), each seeded from ``(s, i, stream name)``. Traits, initial knowledge and
session sizes do not depend on the policy, and each attempt consumes a fixed number of
draws, so different policies meet the same population with common random numbers.

Policies
--------
A :class:`Policy` sees an :class:`Observation` — the course, the observed history
``(exercise_key, correct, hint_used, at)`` and the current time — never the latent
knowledge. They live in :mod:`learnpath.sim.policies`: :class:`RandomPolicy`,
:class:`StreakPolicy` (a mastery-learning baseline: streaks and a difficulty staircase),
:class:`BehaviouralPolicy` (how real learners wander), and the app's own rules driven by the
simulator (:class:`SkillGraphRulePolicy`, :class:`PlannerPolicy`). A policy factory is any
callable ``(course, rng) -> Policy``; the classes themselves are factories.

Evaluation
----------
:func:`evaluate_policy` gives every learner the same attempt budget and reports, over
the target skills (all skills by default):

* mastery gain: mean over target skills of final minus initial latent knowledge, where
  "final" is the knowledge at the last attempt;
* attempts to target: the number of attempts after which every target skill has latent
  knowledge >= threshold for the first time (0 if already so before practice).
  Learners who never get there are right-censored: ``mean_attempts_to_target`` averages
  only learners who reached the target (``None`` if nobody did),
  ``censored_mean_attempts_to_target`` counts the others at the budget (a lower bound),
  and ``reached_target_share`` gives the share who reached it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TypeVar

from learnpath.skillgraph import SkillSpec, ordered_by_prerequisites

MASTERY_THRESHOLD = 0.95
MIN_DIFFICULTY = 1
MAX_DIFFICULTY = 5

SECONDS_PER_DAY = 86_400.0
UNDERSTANDING_SLOPE = 10.0
APTITUDE_PERFORMANCE_WEIGHT = 0.3
HINT_BOOST = 0.5
SWEET_SPOT = 0.65
SWEET_SPOT_WIDTH = 0.3
MIN_CHALLENGE_FACTOR = 0.2
READY_LEVEL = 0.8
ERROR_LEARNING = 0.4
HINT_LEARNING = 0.6
STABILITY_PER_PRACTICE = 0.5
MIN_SESSION_GAP_HOURS = 2.0
MAX_SESSION_GAP_DAYS = 30.0
MEDIAN_THINK_SECONDS = 8.0
MAX_THINK_SECONDS = 300.0
MIN_DURATION_SECONDS = 5.0
MAX_DURATION_SECONDS = 900.0
ENROLMENT_SPREAD_DAYS = 2.0


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# --------------------------------------------------------------------------- course


@dataclass(frozen=True)
class SimSkill:
    """A skill and the keys of the skills it builds on."""

    key: str
    prerequisites: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "prerequisites", tuple(self.prerequisites))
        if self.key in self.prerequisites:
            raise ValueError(f"skill {self.key!r} lists itself as a prerequisite")


@dataclass(frozen=True)
class SimExercise:
    """An exercise that trains one or more skills, difficulty 1 (easy) .. 5 (hard)."""

    key: str
    skills: tuple[str, ...]
    difficulty: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))
        if not self.skills:
            raise ValueError(f"exercise {self.key!r} trains no skill")
        if len(set(self.skills)) != len(self.skills):
            raise ValueError(f"exercise {self.key!r} lists a skill twice")
        if not MIN_DIFFICULTY <= self.difficulty <= MAX_DIFFICULTY:
            raise ValueError(f"exercise {self.key!r} difficulty must be 1..5")


_Keyed = TypeVar("_Keyed", SimSkill, SimExercise)


@dataclass(frozen=True)
class SimCourse:
    """Skills (a prerequisite DAG) and exercises, validated and indexed on creation."""

    skills: tuple[SimSkill, ...]
    exercises: tuple[SimExercise, ...]
    _skill_by_key: dict[str, SimSkill] = field(init=False, repr=False, compare=False)
    _exercise_by_key: dict[str, SimExercise] = field(init=False, repr=False, compare=False)
    _exercises_by_skill: dict[str, tuple[SimExercise, ...]] = field(
        init=False, repr=False, compare=False
    )
    _topological_order: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", tuple(self.skills))
        object.__setattr__(self, "exercises", tuple(self.exercises))
        skill_by_key = _unique_by_key(self.skills, "skill")
        exercise_by_key = _unique_by_key(self.exercises, "exercise")
        if not self.exercises:
            raise ValueError("a course needs at least one exercise")
        for skill in self.skills:
            _require_known(skill.prerequisites, skill_by_key, f"skill {skill.key!r}")
        for exercise in self.exercises:
            _require_known(exercise.skills, skill_by_key, f"exercise {exercise.key!r}")
        by_skill: dict[str, list[SimExercise]] = {skill.key: [] for skill in self.skills}
        for exercise in self.exercises:
            for skill_key in exercise.skills:
                by_skill[skill_key].append(exercise)
        object.__setattr__(self, "_skill_by_key", skill_by_key)
        object.__setattr__(self, "_exercise_by_key", exercise_by_key)
        object.__setattr__(
            self, "_exercises_by_skill", {key: tuple(found) for key, found in by_skill.items()}
        )
        object.__setattr__(self, "_topological_order", _course_order(self.skills))

    @property
    def skill_keys(self) -> tuple[str, ...]:
        return tuple(skill.key for skill in self.skills)

    @property
    def topological_order(self) -> tuple[str, ...]:
        """Prerequisites first; among skills that are ready together, course order."""
        return self._topological_order

    def skill(self, key: str) -> SimSkill:
        return self._skill_by_key[key]

    def exercise(self, key: str) -> SimExercise:
        return self._exercise_by_key[key]

    def has_skill(self, key: str) -> bool:
        return key in self._skill_by_key

    def has_exercise(self, key: str) -> bool:
        return key in self._exercise_by_key

    def exercises_for(self, skill_key: str) -> tuple[SimExercise, ...]:
        """Exercises that train the skill, in course order."""
        return self._exercises_by_skill[skill_key]


def _unique_by_key(items: Sequence[_Keyed], kind: str) -> dict[str, _Keyed]:
    by_key: dict[str, _Keyed] = {}
    for item in items:
        if item.key in by_key:
            raise ValueError(f"duplicate {kind} key {item.key!r}")
        by_key[item.key] = item
    return by_key


def _course_order(skills: Sequence[SimSkill]) -> tuple[str, ...]:
    """Prerequisites first; among skills ready together, course order."""
    return tuple(ordered_by_prerequisites(
        [SkillSpec(skill.key, skill.key, tuple(skill.prerequisites)) for skill in skills]
    ))


def _require_known(keys: Sequence[str], known: Mapping[str, SimSkill], owner: str) -> None:
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ValueError(f"{owner} refers to unknown skills {unknown}")


# --------------------------------------------------------------------------- learner


@dataclass(frozen=True)
class LearnerTraits:
    """Personal parameters of one simulated learner (see the module docstring)."""

    aptitude: float
    learning_rate: float
    slip: float
    guess: float
    forgetting_rate: float
    sessions_per_week: float
    persistence: float
    hint_propensity: float

    def __post_init__(self) -> None:
        if not 0.0 < self.learning_rate <= 1.0:
            raise ValueError("learning_rate must be in (0, 1]")
        if self.slip < 0.0 or self.guess < 0.0 or self.slip + self.guess >= 1.0:
            raise ValueError("slip and guess must be >= 0 with slip + guess < 1")
        if self.forgetting_rate < 0.0 or self.sessions_per_week <= 0.0:
            raise ValueError("forgetting_rate must be >= 0 and sessions_per_week > 0")
        if not (0.0 <= self.persistence <= 1.0 and 0.0 <= self.hint_propensity <= 1.0):
            raise ValueError("persistence and hint_propensity must be in [0, 1]")

    @classmethod
    def draw(cls, rng: random.Random) -> LearnerTraits:
        """Sample one learner from the population described in the module docstring."""
        aptitude = _clip(rng.gauss(0.0, 1.0), -2.5, 2.5)
        return cls(
            aptitude=aptitude,
            learning_rate=_clip(0.35 * math.exp(0.35 * aptitude + 0.25 * rng.gauss(0, 1)),
                                0.05, 0.6),
            slip=_clip(rng.betavariate(2, 18), 0.01, 0.3),
            guess=_clip(rng.betavariate(3, 12), 0.02, 0.4),
            forgetting_rate=_clip(0.1 * math.exp(-0.2 * aptitude + 0.4 * rng.gauss(0, 1)),
                                  0.01, 0.5),
            sessions_per_week=_clip(3.0 * math.exp(0.5 * rng.gauss(0, 1)), 0.5, 10.0),
            persistence=rng.betavariate(2, 2),
            hint_propensity=rng.betavariate(2, 5),
        )


def draw_initial_knowledge(
    course: SimCourse, traits: LearnerTraits, rng: random.Random
) -> dict[str, float]:
    """Prior knowledge per skill, never above the prior knowledge of its prerequisites."""
    initial: dict[str, float] = {}
    for key in course.topological_order:
        drawn = min(rng.betavariate(2, 5) * math.exp(0.3 * traits.aptitude), 0.9)
        prerequisites = course.skill(key).prerequisites
        cap = min((initial[p] for p in prerequisites), default=1.0)
        initial[key] = min(drawn, cap)
    return initial


@dataclass(frozen=True)
class SimOutcome:
    correct: bool
    hint_used: bool
    duration_seconds: float


class SimulatedLearner:
    """Latent per-skill knowledge that learns from attempts and forgets over time.

    The learner has a clock (an aware datetime); ``knowledge``, ``p_correct`` and
    ``mastered`` read the state at the clock, ``advance`` and ``attempt`` move it on.
    """

    def __init__(
        self,
        course: SimCourse,
        traits: LearnerTraits,
        initial_knowledge: Mapping[str, float],
        rng: random.Random,
        clock: datetime,
    ) -> None:
        missing = set(course.skill_keys) - set(initial_knowledge)
        if missing:
            raise ValueError(f"initial knowledge is missing skills {sorted(missing)}")
        _require_aware(clock)
        self.course = course
        self.traits = traits
        self._rng = rng
        self._index = {key: index for index, key in enumerate(course.skill_keys)}
        self._prerequisites = [
            tuple(self._index[p] for p in skill.prerequisites) for skill in course.skills
        ]
        self._baseline = [_clip(float(initial_knowledge[k]), 0.0, 1.0) for k in course.skill_keys]
        self._value = list(self._baseline)
        self._touched = [clock.timestamp()] * len(self._baseline)
        self._practices = [0] * len(self._baseline)
        self._clock = clock

    @property
    def clock(self) -> datetime:
        return self._clock

    @property
    def knowledge(self) -> Mapping[str, float]:
        """Read-only latent knowledge per skill at the learner's clock."""
        now = self._clock.timestamp()
        return MappingProxyType(
            {key: self._level(index, now) for key, index in self._index.items()}
        )

    def knowledge_of(self, skill_key: str) -> float:
        return self._level(self._index[skill_key], self._clock.timestamp())

    def mastered(self, skill_key: str, threshold: float = MASTERY_THRESHOLD) -> bool:
        return self.knowledge_of(skill_key) >= threshold

    def advance(self, to: datetime) -> None:
        """Move the clock forward; knowledge decays lazily as it is read."""
        _require_aware(to)
        if to < self._clock:
            raise ValueError(f"cannot go back in time from {self._clock} to {to}")
        self._clock = to

    def p_correct(self, exercise: SimExercise | str) -> float:
        """Probability of a correct answer now, without a hint."""
        exercise = self._resolve(exercise)
        understanding = self._understanding(exercise, self._clock.timestamp())
        return self._success_probability(understanding)

    def attempt(self, exercise: SimExercise | str, at: datetime) -> SimOutcome:
        """Answer the exercise at ``at`` (draws a fixed three numbers), then learn."""
        exercise = self._resolve(exercise)
        self.advance(at)
        now = at.timestamp()
        understanding = self._understanding(exercise, now)
        hint_draw, answer_draw, duration_noise = (
            self._rng.random(), self._rng.random(), self._rng.gauss(0.0, 1.0)
        )
        hint_used = hint_draw < self.traits.hint_propensity * (1.0 - understanding)
        helped = understanding + HINT_BOOST * (1.0 - understanding) if hint_used else understanding
        correct = answer_draw < self._success_probability(helped)
        self._learn(exercise, now, understanding, correct, hint_used)
        duration = self._duration(exercise, understanding, hint_used, duration_noise)
        return SimOutcome(correct=correct, hint_used=hint_used, duration_seconds=duration)

    def _resolve(self, exercise: SimExercise | str) -> SimExercise:
        return self.course.exercise(exercise) if isinstance(exercise, str) else exercise

    def _level(self, index: int, now: float) -> float:
        baseline = self._baseline[index]
        elapsed_days = (now - self._touched[index]) / SECONDS_PER_DAY
        stability = 1.0 + STABILITY_PER_PRACTICE * self._practices[index]
        decay = math.exp(-self.traits.forgetting_rate * elapsed_days / stability)
        return baseline + (self._value[index] - baseline) * decay

    def _understanding(self, exercise: SimExercise, now: float) -> float:
        joint = math.prod(self._level(self._index[key], now) for key in exercise.skills)
        threshold = 0.15 + 0.125 * (exercise.difficulty - 1)
        return _sigmoid(
            UNDERSTANDING_SLOPE * (joint - threshold)
            + APTITUDE_PERFORMANCE_WEIGHT * self.traits.aptitude
        )

    def _success_probability(self, understanding: float) -> float:
        slip, guess = self.traits.slip, self.traits.guess
        return guess + (1.0 - slip - guess) * understanding

    def _learn(
        self, exercise: SimExercise, now: float, understanding: float, correct: bool,
        hint_used: bool,
    ) -> None:
        challenge = MIN_CHALLENGE_FACTOR + (1.0 - MIN_CHALLENGE_FACTOR) * math.exp(
            -(((understanding - SWEET_SPOT) / SWEET_SPOT_WIDTH) ** 2)
        )
        outcome = 1.0 if correct else ERROR_LEARNING
        help_factor = HINT_LEARNING if hint_used else 1.0
        step = self.traits.learning_rate * challenge * outcome * help_factor
        indices = [self._index[key] for key in exercise.skills]
        # All levels are read before any is written so skill order inside an exercise is moot.
        before = [
            (index, self._level(index, now),
             math.prod(
                 min(1.0, self._level(p, now) / READY_LEVEL) for p in self._prerequisites[index]
             ))
            for index in indices
        ]
        for index, level, readiness in before:
            self._value[index] = level + step * readiness * (1.0 - level)
            self._touched[index] = now
            self._practices[index] += 1

    def _duration(
        self, exercise: SimExercise, understanding: float, hint_used: bool, noise: float
    ) -> float:
        base = 20.0 + 25.0 * exercise.difficulty
        spread = math.exp(0.35 * noise - 0.15 * self.traits.aptitude)
        seconds = base * spread * (1.0 + 0.8 * (1.0 - understanding)) + (30.0 if hint_used else 0)
        return _clip(seconds, MIN_DURATION_SECONDS, MAX_DURATION_SECONDS)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the simulator needs timezone-aware datetimes")
