"""Policies: what chooses a simulated learner's next exercise, from what the app would see.

Baselines: :class:`RandomPolicy`, :class:`StreakPolicy` and :class:`BehaviouralPolicy` (how
self-directed learners wander, used for demo data), which see only the observed history.

The app's own path policies, driven by the simulator for offline evaluation, each see only what
the site would see (the observed history), keep the learner's BKT chart current from it exactly
as the site does (with the course's fitted BKT parameters when given, as after
``manage.py fit_mastery``), and choose the next exercise:

- ``skill_graph``: :func:`learnpath.rule.rule_next_exercise`, the rule before any model;
- ``planner_cold``: :func:`learnpath.paths.plan_path` with the cold-start success model (skill
  chart + authored difficulty) — the site's path when no model is trained;
- ``lstm``: :func:`learnpath.paths.plan_path` with the trained LSTM's predictions from the
  learner's recurrent state, advanced one step per observed attempt (as the site does).

The planners plan a path and the simulated learner takes its first step; the path is re-planned
after every answer, as the site does after each attempt.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from learnpath import mastery, review
from learnpath.paths import (
    ChartSuccessModel,
    PlanConfig,
    PlanExercise,
    SequenceSuccessModel,
    SuccessModel,
    plan_path,
)
from learnpath.rule import rule_next_exercise
from learnpath.sim.model import MAX_DIFFICULTY, MIN_DIFFICULTY, SimCourse, _clip
from learnpath.sim.records import model_attempts
from learnpath.skillgraph import SkillGraph, SkillSpec, build_skill_graph


@dataclass(frozen=True)
class ObservedAttempt:
    """What the app records of an attempt; ``at`` is the submission time, ``session_index``
    the learner's study session (0 for the first)."""

    exercise_key: str
    correct: bool
    hint_used: bool
    at: datetime
    session_index: int = 0


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
    """Uniformly random exercise, ignoring the history; with ``targets``, any exercise of the
    targets or of the skills they build on."""

    def __init__(self, course: SimCourse, rng: random.Random, targets: Sequence[str] = ()
                 ) -> None:
        keys = tuple(exercise.key for exercise in course.exercises)
        known = [key for key in targets if course.has_skill(key)]
        if known:
            graph = course_graph(course)
            allowed = set(known).union(*(graph.ancestors(key) for key in known))
            keys = tuple(e.key for e in course.exercises if allowed.intersection(e.skills)) or keys
        self._keys = keys
        self._rng = rng

    def choose(self, observation: Observation) -> str:
        return self._rng.choice(self._keys)


class StreakPolicy:
    """A mastery-learning baseline (not the app's rule, which is :class:`SkillGraphRulePolicy`).

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


def course_graph(course: SimCourse) -> SkillGraph:
    return build_skill_graph(
        SkillSpec(key, key, course.skill(key).prerequisites) for key in course.skill_keys
    )


def plan_exercises(course: SimCourse) -> list[PlanExercise]:
    return [PlanExercise(e.key, e.skills, e.difficulty) for e in course.exercises]


class _Tracker:
    """Folds newly observed attempts into the chart (and, optionally, the model state)."""

    def __init__(self, course: SimCourse, serving: Any = None,
                 params: Mapping[str, mastery.BKTParams] | None = None) -> None:
        self.graph = course_graph(course)
        self.params = dict(params or {})
        self.exercises = plan_exercises(course)
        self.by_key = {e.key: e for e in self.exercises}
        self.chart: dict[str, mastery.SkillMastery] = {}
        self.answered_at: dict[str, datetime] = {}
        self.recent: list[str] = []
        self.serving = serving
        self.state = serving.initial_state() if serving is not None else None
        self.seen = 0
        self.last_session: int | None = None

    def catch_up(self, observation: Observation) -> None:
        for observed in observation.history[self.seen:]:
            skills = self.by_key[observed.exercise_key].skills
            self.chart.update(mastery.apply_attempt(
                self.chart, skills, observed.correct, observed.at, self.graph, self.params
            ))
            self.answered_at[observed.exercise_key] = observed.at
            self.recent.append(observed.exercise_key)
            if self.serving is not None:
                (attempt,) = model_attempts([observed], self.last_session)
                self.state = self.serving.step(self.state, attempt, skills)
            self.last_session = observed.session_index
        self.seen = len(observation.history)


class SkillGraphRulePolicy:
    def __init__(self, course: SimCourse, rng: random.Random,
                 params: Mapping[str, mastery.BKTParams] | None = None,
                 targets: Sequence[str] = ()) -> None:
        self.tracker = _Tracker(course, params=params)
        self.targets = tuple(targets)

    def choose(self, observation: Observation) -> str:
        self.tracker.catch_up(observation)
        key = rule_next_exercise(self.tracker.chart, self.tracker.graph, self.tracker.exercises,
                                 {key: at.timestamp() for key, at in
                                  self.tracker.answered_at.items()}, observation.now,
                                 self.targets)
        return key or self.tracker.exercises[0].key


class PlannerPolicy:
    """The site's planner; ``serving`` is a trained model, or None for the cold-start model."""

    def __init__(self, course: SimCourse, rng: random.Random, serving: Any = None,
                 config: PlanConfig | None = None,
                 params: Mapping[str, mastery.BKTParams] | None = None) -> None:
        self.tracker = _Tracker(course, serving, params)
        self.config = config or PlanConfig(length=1)
        self.fallback = SkillGraphRulePolicy(course, rng, params, self.config.targets)

    def _model(self, now: datetime) -> SuccessModel:
        tracker = self.tracker
        if tracker.serving is None:
            return ChartSuccessModel(tracker.chart, tracker.by_key, tracker.params,
                                     tracker.graph, now)
        skills = {e.key: e.skills for e in tracker.exercises}
        return SequenceSuccessModel(tracker.serving, tracker.state, skills)

    def choose(self, observation: Observation) -> str:
        self.tracker.catch_up(observation)
        history = observation.history
        last_answer = (history[-1].exercise_key, history[-1].correct) if history else None
        steps = plan_path(
            self.tracker.chart, self.tracker.graph, self.tracker.exercises,
            self._model(observation.now), now=observation.now, config=self.config,
            params=self.tracker.params, recent=self.tracker.recent,
            last_seen=self.tracker.answered_at, last_answer=last_answer,
        )
        if steps:
            return steps[0].exercise_key
        return self.fallback.choose(observation)


def planner_factory(
    serving: Any = None,
    config: PlanConfig | None = None,
    params: Mapping[str, mastery.BKTParams] | None = None,
) -> PolicyFactory:
    def factory(course: SimCourse, rng: random.Random) -> PlannerPolicy:
        return PlannerPolicy(course, rng, serving, config, params)

    return factory


def rule_factory(params: Mapping[str, mastery.BKTParams] | None = None) -> PolicyFactory:
    def factory(course: SimCourse, rng: random.Random) -> SkillGraphRulePolicy:
        return SkillGraphRulePolicy(course, rng, params)

    return factory


class ReviewingPlanner:
    """The site's planner (cold-start model, one step) under a review rule, with what the site
    would keep of one learner: the chart, the review cards, the answer times. ``rule`` is
    ``none`` (nothing due), ``today`` (:func:`learnpath.mastery.review_candidates`) or
    ``fsrs`` (the cards' schedule, :mod:`learnpath.review`); used by
    :mod:`learnpath.sim.review_eval`."""

    def __init__(self, course: SimCourse, bkt: Mapping[str, mastery.BKTParams],
                 params: review.ReviewParams) -> None:
        self.graph = course_graph(course)
        self.exercises = plan_exercises(course)
        self.by_key = {e.key: e for e in self.exercises}
        self.bkt = dict(bkt)
        self.params = params
        self.chart: dict[str, mastery.SkillMastery] = {}
        self.cards: dict[str, review.SkillCard] = {}
        self.last_seen: dict[str, datetime] = {}
        self.recent: list[str] = []
        self.last_answer: tuple[str, bool] | None = None

    def choose(self, now: datetime, rule: str) -> str | None:
        schedule = {"none": {}, "today": None}.get(rule, review.schedule_of(self.cards))
        steps = plan_path(
            self.chart, self.graph, self.exercises,
            ChartSuccessModel(self.chart, self.by_key, self.bkt, self.graph, now),
            now=now, config=PlanConfig(length=1), params=self.bkt, recent=self.recent,
            last_seen=self.last_seen, last_answer=self.last_answer, review_schedule=schedule,
        )
        return steps[0].exercise_key if steps else None

    def record(self, key: str, correct: bool, hint_used: bool, at: datetime) -> None:
        skills = self.by_key[key].skills
        self.chart.update(mastery.apply_attempt(self.chart, skills, correct, at, self.graph,
                                                self.bkt))
        self.cards.update(review.apply_answer(self.cards, skills, correct, hint_used, at,
                                              self.params))
        self.last_seen[key] = at
        self.recent.append(key)
        self.last_answer = (key, correct)
