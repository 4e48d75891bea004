"""The app's path policies, driven by the learner simulator for offline evaluation.

Each policy sees only what the site would see (the observed history), keeps the learner's BKT
chart current from it exactly as the site does (with the course's fitted BKT parameters when
given, as after ``manage.py fit_mastery``), and chooses the next exercise:

- ``skill_graph``: :func:`learnpath.paths.rule_next_exercise`, the rule before any model;
- ``planner_cold``: :func:`learnpath.paths.plan_path` with the cold-start success model (skill
  chart + authored difficulty) — the site's path when no model is trained;
- ``lstm``: :func:`learnpath.paths.plan_path` with the trained LSTM's predictions from the
  learner's recurrent state, advanced one step per observed attempt (as the site does).

The planners plan a path and the simulated learner takes its first step; the path is re-planned
after every answer, as the site does after each attempt.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from learnpath import mastery
from learnpath.paths import (
    ChartSuccessModel,
    PlanConfig,
    PlanExercise,
    SequenceSuccessModel,
    SuccessModel,
    plan_path,
    rule_next_exercise,
)
from learnpath.simulator import Observation, SimCourse
from learnpath.skillgraph import SkillGraph, SkillSpec, build_skill_graph

SESSION_GAP = timedelta(minutes=30)


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
        self.last_seen: dict[str, float] = {}
        self.recent: list[str] = []
        self.serving = serving
        self.state = serving.initial_state() if serving is not None else None
        self.seen = 0
        self.last_at: datetime | None = None

    def catch_up(self, observation: Observation) -> None:
        from learnpath.seq import Attempt

        for observed in observation.history[self.seen:]:
            skills = self.by_key[observed.exercise_key].skills
            self.chart.update(mastery.apply_attempt(
                self.chart, skills, observed.correct, observed.at, self.graph, self.params
            ))
            self.last_seen[observed.exercise_key] = observed.at.timestamp()
            self.recent.append(observed.exercise_key)
            if self.serving is not None:
                new_session = self.last_at is None or observed.at - self.last_at > SESSION_GAP
                attempt = Attempt(observed.exercise_key, observed.correct,
                                  observed.at.timestamp(), new_session)
                self.state = self.serving.step(self.state, attempt, skills)
            self.last_at = observed.at
        self.seen = len(observation.history)


class SkillGraphRulePolicy:
    def __init__(self, course: SimCourse, rng: random.Random,
                 params: Mapping[str, mastery.BKTParams] | None = None) -> None:
        self.tracker = _Tracker(course, params=params)

    def choose(self, observation: Observation) -> str:
        self.tracker.catch_up(observation)
        key = rule_next_exercise(self.tracker.chart, self.tracker.graph, self.tracker.exercises,
                                 self.tracker.last_seen, observation.now)
        return key or self.tracker.exercises[0].key


class PlannerPolicy:
    """The site's planner; ``serving`` is a trained model, or None for the cold-start model."""

    def __init__(self, course: SimCourse, rng: random.Random, serving: Any = None,
                 config: PlanConfig | None = None,
                 params: Mapping[str, mastery.BKTParams] | None = None) -> None:
        self.tracker = _Tracker(course, serving, params)
        self.config = config or PlanConfig(length=1)
        self.fallback = SkillGraphRulePolicy(course, rng, params)

    def _model(self, now: datetime) -> SuccessModel:
        tracker = self.tracker
        if tracker.serving is None:
            return ChartSuccessModel(tracker.chart, tracker.by_key, tracker.params,
                                     tracker.graph, now)
        skills = {e.key: e.skills for e in tracker.exercises}
        return SequenceSuccessModel(tracker.serving, tracker.state, skills)

    def choose(self, observation: Observation) -> str:
        self.tracker.catch_up(observation)
        steps = plan_path(
            self.tracker.chart, self.tracker.graph, self.tracker.exercises,
            self._model(observation.now), now=observation.now, config=self.config,
            params=self.tracker.params, recent=self.tracker.recent,
        )
        if steps:
            return steps[0].exercise_key
        return self.fallback.choose(observation)


PolicyFactory = Callable[[SimCourse, random.Random], Any]


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
