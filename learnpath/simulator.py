"""Learner simulator: synthetic learners whose latent knowledge grows with practice.

The simulator gives the demo a realistic attempt history on a fresh machine and lets
later work compare learning-path policies offline on the *same* simulated population.
It is a pure module: plain dataclasses in and out, no Django, stdlib only.

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
knowledge. :class:`RandomPolicy`, :class:`SkillGraphPolicy` (the app's rule) and
:class:`BehaviouralPolicy` (how real learners wander) are provided. A policy factory is
any callable ``(course, rng) -> Policy``; the classes themselves are factories.

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

import heapq
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol, TypeVar

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
        object.__setattr__(self, "_topological_order", _topological_order(self.skills))

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


def _require_known(keys: Sequence[str], known: Mapping[str, SimSkill], owner: str) -> None:
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ValueError(f"{owner} refers to unknown skills {unknown}")


def _topological_order(skills: Sequence[SimSkill]) -> tuple[str, ...]:
    position = {skill.key: index for index, skill in enumerate(skills)}
    waiting_on = {skill.key: len(set(skill.prerequisites)) for skill in skills}
    dependants: dict[str, list[str]] = {skill.key: [] for skill in skills}
    for skill in skills:
        for prerequisite in set(skill.prerequisites):
            dependants[prerequisite].append(skill.key)
    ready = [(position[key], key) for key, count in waiting_on.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, key = heapq.heappop(ready)
        order.append(key)
        for dependant in dependants[key]:
            waiting_on[dependant] -= 1
            if waiting_on[dependant] == 0:
                heapq.heappush(ready, (position[dependant], dependant))
    if len(order) != len(skills):
        cyclic = sorted(key for key, count in waiting_on.items() if count > 0)
        raise ValueError(f"prerequisites form a cycle among {cyclic}")
    return tuple(order)


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


# --------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class ObservedAttempt:
    """What the app records of an attempt; ``at`` is the submission time."""

    exercise_key: str
    correct: bool
    hint_used: bool
    at: datetime


@dataclass(frozen=True)
class Observation:
    """Everything a real app could know when choosing the next exercise."""

    course: SimCourse
    history: tuple[ObservedAttempt, ...]
    now: datetime


class Policy(Protocol):
    def choose(self, observation: Observation) -> str:
        """Return the key of the next exercise."""
        ...


PolicyFactory = Callable[[SimCourse, random.Random], Policy]


class RandomPolicy:
    """Uniformly random exercise, ignoring the skill graph and the history."""

    def __init__(self, course: SimCourse, rng: random.Random) -> None:
        self._keys = tuple(exercise.key for exercise in course.exercises)
        self._rng = rng

    def choose(self, observation: Observation) -> str:
        return self._rng.choice(self._keys)


class SkillGraphPolicy:
    """The app's simple rule.

    Practise the first skill in topological order that is not observably mastered
    (``mastery_streak`` correct answers in a row on exercises training it). Within that
    skill prefer exercises whose other skills are observably mastered, with the difficulty
    closest to a per-skill staircase (starts at 2, +1 after a correct answer, -1 after an
    error), least recently seen first, then course order. When every skill is mastered,
    review the skill practised longest ago.
    """

    def __init__(
        self, course: SimCourse, rng: random.Random | None = None, mastery_streak: int = 3
    ) -> None:
        self._course = course
        self._order = tuple(k for k in course.topological_order if course.exercises_for(k))
        self._mastery_streak = mastery_streak
        self._streak = dict.fromkeys(course.skill_keys, 0)
        self._target_difficulty = dict.fromkeys(course.skill_keys, 2)
        self._exercise_last_seen: dict[str, int] = {}
        self._skill_last_seen: dict[str, int] = {}
        self._consumed = 0

    def observed_mastered(self, skill_key: str) -> bool:
        return self._streak[skill_key] >= self._mastery_streak

    def choose(self, observation: Observation) -> str:
        self._consume(observation.history)
        return self._pick_exercise(self._next_skill())

    def _consume(self, history: Sequence[ObservedAttempt]) -> None:
        for number in range(self._consumed, len(history)):
            seen = history[number]
            self._exercise_last_seen[seen.exercise_key] = number
            for skill_key in self._course.exercise(seen.exercise_key).skills:
                self._skill_last_seen[skill_key] = number
                step = 1 if seen.correct else -1
                self._streak[skill_key] = self._streak[skill_key] + 1 if seen.correct else 0
                self._target_difficulty[skill_key] = int(_clip(
                    self._target_difficulty[skill_key] + step, MIN_DIFFICULTY, MAX_DIFFICULTY
                ))
        self._consumed = len(history)

    def _next_skill(self) -> str:
        for skill_key in self._order:
            if not self.observed_mastered(skill_key):
                return skill_key
        return min(self._order, key=lambda key: self._skill_last_seen.get(key, -1))

    def _pick_exercise(self, skill_key: str) -> str:
        candidates = self._course.exercises_for(skill_key)
        ready = [
            exercise for exercise in candidates
            if all(k == skill_key or self.observed_mastered(k) for k in exercise.skills)
        ]
        target = self._target_difficulty[skill_key]
        chosen = min(
            ready or candidates,
            key=lambda exercise: (
                abs(exercise.difficulty - target),
                self._exercise_last_seen.get(exercise.key, -1),
            ),
        )
        return chosen.key


class BehaviouralPolicy:
    """How self-directed learners wander through a course (used for demo data).

    Learners walk the skills in course (topological) order, working through each skill's
    exercises from easy to hard. They move on after ``correct_to_move_on`` correct answers
    on the current skill or after ``give_up_after`` attempts on it. At each step they may
    instead repeat the last exercise, review a random earlier skill or skip ahead. After
    the last skill they review at random.
    """

    def __init__(
        self,
        course: SimCourse,
        rng: random.Random,
        repeat_probability: float = 0.08,
        review_probability: float = 0.1,
        skip_probability: float = 0.04,
        correct_to_move_on: int = 2,
        give_up_after: int = 6,
    ) -> None:
        self._course = course
        self._rng = rng
        self._order = tuple(k for k in course.topological_order if course.exercises_for(k))
        self._by_difficulty = {
            key: sorted(course.exercises_for(key), key=lambda exercise: exercise.difficulty)
            for key in self._order
        }
        self._repeat = repeat_probability
        self._review = review_probability
        self._skip = skip_probability
        self._correct_to_move_on = correct_to_move_on
        self._give_up_after = give_up_after
        self._position = 0
        self._attempts_here = 0
        self._correct_here = 0
        self._consumed = 0

    def choose(self, observation: Observation) -> str:
        self._consume(observation.history)
        draw = self._rng.random()
        if observation.history and draw < self._repeat:
            return observation.history[-1].exercise_key
        if self._position >= len(self._order):
            return self._any_exercise(self._order)
        if self._position > 0 and draw < self._repeat + self._review:
            return self._any_exercise(self._order[: self._position])
        if draw < self._repeat + self._review + self._skip or self._done_here():
            self._move_on()
            if self._position >= len(self._order):
                return self._any_exercise(self._order)
        exercises = self._by_difficulty[self._order[self._position]]
        return exercises[min(self._attempts_here, len(exercises) - 1)].key

    def _consume(self, history: Sequence[ObservedAttempt]) -> None:
        current = self._order[self._position] if self._position < len(self._order) else None
        for seen in history[self._consumed:]:
            if current in self._course.exercise(seen.exercise_key).skills:
                self._attempts_here += 1
                self._correct_here += int(seen.correct)
        self._consumed = len(history)

    def _done_here(self) -> bool:
        return (
            self._correct_here >= self._correct_to_move_on
            or self._attempts_here >= self._give_up_after
        )

    def _move_on(self) -> None:
        self._position += 1
        self._attempts_here = 0
        self._correct_here = 0

    def _any_exercise(self, skill_keys: Sequence[str]) -> str:
        return self._rng.choice(self._course.exercises_for(self._rng.choice(skill_keys))).key


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class SimAttempt:
    exercise_key: str
    correct: bool
    hint_used: bool
    started_at: datetime
    submitted_at: datetime
    session_index: int


@dataclass(frozen=True)
class SimHistory:
    learner_index: int
    traits: LearnerTraits
    initial_knowledge: Mapping[str, float]
    final_knowledge: Mapping[str, float]
    attempts: tuple[SimAttempt, ...]


def _stream(seed: int, learner_index: int, name: str) -> random.Random:
    return random.Random(f"learnpath.simulator/{seed}/{learner_index}/{name}")


@dataclass
class _LearnerSetup:
    learner: SimulatedLearner
    timing: random.Random
    policy_rng: random.Random


def _set_up_learner(
    course: SimCourse, seed: int, learner_index: int, start: datetime
) -> _LearnerSetup:
    traits_rng = _stream(seed, learner_index, "traits")
    traits = LearnerTraits.draw(traits_rng)
    initial = draw_initial_knowledge(course, traits, traits_rng)
    timing = _stream(seed, learner_index, "timing")
    enrolled = start + timedelta(days=timing.uniform(0.0, ENROLMENT_SPREAD_DAYS))
    learner = SimulatedLearner(
        course, traits, initial, _stream(seed, learner_index, "answers"), enrolled
    )
    return _LearnerSetup(learner, timing, _stream(seed, learner_index, "policy"))


def draw_learner(
    course: SimCourse, seed: int, learner_index: int, start: datetime
) -> SimulatedLearner:
    """The ``learner_index``-th learner of the population of ``seed``, enrolled near start."""
    return _set_up_learner(course, seed, learner_index, start).learner


def _session_size(rng: random.Random, persistence: float, bounds: tuple[int, int]) -> int:
    low, high = bounds
    mean = low + persistence * (high - low)
    return int(_clip(round(mean + rng.gauss(0.0, (high - low) / 6.0)), low, high))


def _population_session_sizes(
    rng: random.Random, persistence: float, sessions: tuple[int, int],
    attempts_per_session: tuple[int, int],
) -> list[int]:
    extra_sessions = sum(rng.random() < persistence for _ in range(sessions[1] - sessions[0]))
    count = sessions[0] + extra_sessions
    return [_session_size(rng, persistence, attempts_per_session) for _ in range(count)]


def _budget_session_sizes(
    rng: random.Random, persistence: float, budget: int, attempts_per_session: tuple[int, int]
) -> list[int]:
    sizes: list[int] = []
    left = budget
    while left > 0:
        sizes.append(min(left, _session_size(rng, persistence, attempts_per_session)))
        left -= sizes[-1]
    return sizes


def _think_seconds(rng: random.Random) -> float:
    return min(MEDIAN_THINK_SECONDS * math.exp(rng.gauss(0.0, 0.8)), MAX_THINK_SECONDS)


def _session_gap_seconds(rng: random.Random, sessions_per_week: float) -> float:
    days = rng.expovariate(sessions_per_week / 7.0)
    hours = _clip(days * 24.0, MIN_SESSION_GAP_HOURS, MAX_SESSION_GAP_DAYS * 24.0)
    return hours * 3600.0


def _attempt_stream(
    setup: _LearnerSetup, policy: Policy, session_sizes: Sequence[int]
) -> Iterator[SimAttempt]:
    """Drive the learner with the policy through the sessions, yielding each attempt."""
    learner, timing = setup.learner, setup.timing
    observed: list[ObservedAttempt] = []
    session_start = learner.clock
    for session_index, size in enumerate(session_sizes):
        now = session_start
        for _ in range(size):
            key = policy.choose(Observation(learner.course, tuple(observed), now))
            if not learner.course.has_exercise(key):
                raise ValueError(f"policy chose unknown exercise {key!r}")
            outcome = learner.attempt(key, now)
            submitted = now + timedelta(seconds=outcome.duration_seconds)
            observed.append(ObservedAttempt(key, outcome.correct, outcome.hint_used, submitted))
            yield SimAttempt(key, outcome.correct, outcome.hint_used, now, submitted,
                             session_index)
            now = submitted + timedelta(seconds=_think_seconds(timing))
        gap = _session_gap_seconds(timing, learner.traits.sessions_per_week)
        session_start = (observed[-1].at if observed else now) + timedelta(seconds=gap)


def simulate_population(
    course: SimCourse,
    n_learners: int,
    seed: int,
    start: datetime,
    sessions: tuple[int, int] = (3, 8),
    attempts_per_session: tuple[int, int] = (5, 20),
    policy_factory: PolicyFactory = BehaviouralPolicy,
) -> list[SimHistory]:
    """Give ``n_learners`` simulated learners an attempt history over several sessions."""
    _require_aware(start)
    _require_range(sessions, "sessions", minimum=1)
    _require_range(attempts_per_session, "attempts_per_session", minimum=1)
    histories = []
    for index in range(n_learners):
        setup = _set_up_learner(course, seed, index, start)
        initial = dict(setup.learner.knowledge)
        sizes = _population_session_sizes(
            setup.timing, setup.learner.traits.persistence, sessions, attempts_per_session
        )
        policy = policy_factory(course, setup.policy_rng)
        attempts = tuple(_attempt_stream(setup, policy, sizes))
        histories.append(SimHistory(
            index, setup.learner.traits, initial, dict(setup.learner.knowledge), attempts
        ))
    return histories


def _require_range(bounds: tuple[int, int], name: str, minimum: int) -> None:
    if not minimum <= bounds[0] <= bounds[1]:
        raise ValueError(f"{name} must be (min, max) with {minimum} <= min <= max")


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class LearnerEvaluation:
    learner_index: int
    traits: LearnerTraits
    initial_knowledge: Mapping[str, float]
    final_knowledge: Mapping[str, float]
    mastery_gain: float
    attempts_to_target: int | None


@dataclass(frozen=True)
class PolicyResult:
    target_skills: tuple[str, ...]
    attempts_per_learner: int
    threshold: float
    mean_mastery_gain: float
    mean_attempts_to_target: float | None
    censored_mean_attempts_to_target: float
    reached_target_share: float
    learners: tuple[LearnerEvaluation, ...]


def evaluate_policy(
    course: SimCourse,
    policy_factory: PolicyFactory,
    n_learners: int,
    attempts_per_learner: int,
    seed: int,
    target_skills: Sequence[str] | None = None,
    threshold: float = MASTERY_THRESHOLD,
    start: datetime | None = None,
    attempts_per_session: tuple[int, int] = (5, 15),
) -> PolicyResult:
    """Run the seed's population under a policy with a fixed attempt budget each."""
    targets = tuple(target_skills) if target_skills is not None else course.skill_keys
    unknown = [key for key in targets if not course.has_skill(key)]
    if unknown:
        raise ValueError(f"unknown target skills {unknown}")
    if not targets or n_learners < 1 or attempts_per_learner < 1:
        raise ValueError("need target skills, at least one learner and one attempt each")
    _require_range(attempts_per_session, "attempts_per_session", minimum=1)
    start = start or datetime.fromisoformat("2025-01-06T09:00:00+00:00")
    learners = tuple(
        _evaluate_learner(course, policy_factory, index, attempts_per_learner, seed, targets,
                          threshold, start, attempts_per_session)
        for index in range(n_learners)
    )
    reached = [ev.attempts_to_target for ev in learners if ev.attempts_to_target is not None]
    censored = [
        ev.attempts_to_target if ev.attempts_to_target is not None else attempts_per_learner
        for ev in learners
    ]
    return PolicyResult(
        target_skills=targets,
        attempts_per_learner=attempts_per_learner,
        threshold=threshold,
        mean_mastery_gain=sum(ev.mastery_gain for ev in learners) / len(learners),
        mean_attempts_to_target=sum(reached) / len(reached) if reached else None,
        censored_mean_attempts_to_target=sum(censored) / len(censored),
        reached_target_share=len(reached) / len(learners),
        learners=learners,
    )


def _evaluate_learner(
    course: SimCourse, policy_factory: PolicyFactory, index: int, budget: int, seed: int,
    targets: tuple[str, ...], threshold: float, start: datetime,
    attempts_per_session: tuple[int, int],
) -> LearnerEvaluation:
    setup = _set_up_learner(course, seed, index, start)
    learner = setup.learner
    initial = {key: learner.knowledge_of(key) for key in targets}
    sizes = _budget_session_sizes(
        setup.timing, learner.traits.persistence, budget, attempts_per_session
    )
    policy = policy_factory(course, setup.policy_rng)

    def all_mastered() -> bool:
        return all(learner.mastered(key, threshold) for key in targets)

    attempts_to_target = 0 if all_mastered() else None
    for count, _ in enumerate(_attempt_stream(setup, policy, sizes), start=1):
        if attempts_to_target is None and all_mastered():
            attempts_to_target = count
    final = {key: learner.knowledge_of(key) for key in targets}
    gain = sum(final[key] - initial[key] for key in targets) / len(targets)
    return LearnerEvaluation(index, learner.traits, initial, final, gain, attempts_to_target)
